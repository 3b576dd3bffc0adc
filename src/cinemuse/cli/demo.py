"""`cinemuse demo`: make a short demo video and score it (no files of yours needed)."""

from __future__ import annotations

import argparse

from cinemuse.cli.argtypes import seed

HELP = "make a short demo video and score it (no files of yours needed)"
DESCRIPTION = """\
Make a 15-second demo video (--length to change it) (scenes painted in code: a sunset, the sea, a forest, a city
at night, neon, a meadow; camera pans, zooms, a jolt, a flash, a dissolve and fades) and
give it an original soundtrack with 'cinemuse score'. Nothing is downloaded and no file of
yours is needed. Prints where the result is.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", default="cinemuse-demo.mp4", metavar="PATH",
                        help="where to write the scored demo (default: ./cinemuse-demo.mp4)")
    parser.add_argument("--seed", type=seed, default=0, help="random seed for the music (default 0)")
    parser.add_argument("--length", type=float, default=15.0, metavar="SECONDS",
                        help="length of the demo video, 4 to 60 seconds (default 15)")
    parser.add_argument("--style", help="arrangement style (default: chosen from the picture)")
    parser.add_argument("--cue-sheet", metavar="PATH", help="also write PATH.json and PATH.csv")


def run(args: argparse.Namespace, progress) -> dict:
    import tempfile
    from pathlib import Path

    from cinemuse.io.atomic import OutputSet
    from cinemuse.pipelines.demo import demo_edit, frame_times
    from cinemuse.pipelines.score import cue_sheet_paths
    import cinemuse
    from cinemuse.io.video import write_video

    from cinemuse.errors import UsageError

    if not 4.0 <= args.length <= 60.0:
        raise UsageError("--length must be between 4 and 60 seconds")
    out = Path(args.output)
    # every output checked before the demo video is made (score_video checks them again)
    outputs = OutputSet(force=args.force)
    outputs.add(out, what="-o", formats=(".mp4", ".mov", ".m4v", ".mkv"))
    if args.cue_sheet:
        for p in cue_sheet_paths(Path(args.cue_sheet)):
            outputs.add(p, what="--cue-sheet")
    fps = 25
    edit = demo_edit(size=(640, 360), seed=0, length=args.length)
    times = frame_times(edit.duration, fps=fps)
    with tempfile.TemporaryDirectory(prefix="cinemuse-demo-") as tmp:
        source = Path(tmp) / "demo-source.mp4"
        with progress.stage("Making the demo video", total=len(times)) as stage:

            def frames():
                for _, rgb in edit.frames(times):
                    stage.advance()
                    yield rgb

            write_video(source, frames(), fps=fps, preset="veryfast")
        result = cinemuse.score_video(
            source, out, seed=args.seed, style=args.style, replace_audio=True, force=args.force,
            cue_sheet=args.cue_sheet, progress=progress,
        ).to_dict()
    result["input"] = "(generated demo video)"
    result["output"] = str(out.resolve())
    return result


def describe(result: dict) -> str:
    return (
        f"Demo scored: {result['output']}\n"
        f"  {result['duration']:.1f} s, {result['tempo']:.1f} bpm, {result['cuts']} cuts, "
        f"{result['transitions']} fades/dissolves, {result['hits']} musical hits\n"
        "  Open it in a video player or browser. Score your own video with: "
        "cinemuse score VIDEO -o OUT.mp4"
    )
