"""`cinemuse score`: give a video an original soundtrack that follows its cuts, motion and light."""

from __future__ import annotations

import argparse

from cinemuse.cli.argtypes import seed

HELP = "give a video an original soundtrack that follows its cuts, motion and light"
DESCRIPTION = """\
Give a video an original soundtrack that follows the picture.

The picture is read once at low resolution: cuts, fades and dissolves, motion, light and
colour. The music changes section at the cuts, marks every cut with a hit at its exact
time, takes a tempo that puts as many cuts as possible on the beat, gets busier with the
motion, and ends exactly when the video ends. The video stream is copied bit for bit.

By default the video's own sound is kept, with the music ducked under it where it is
active (speech stays intelligible); --replace-audio drops it.

VIDEO may be a folder: every video in it is scored into the folder given by -o
(default: FOLDER_scored); files that fail are listed at the end and the exit code is 2.

examples:
  cinemuse score holiday.mp4 -o holiday_scored.mp4
  cinemuse score clip.mov -o out.mp4 --mood tense --tempo 100 --cue-sheet clip_cues
  cinemuse score clips/ -o scored/ --replace-audio
  cinemuse score clip.mp4 -o out.mp4 --audio-out music.wav --timeline clip.xml --markers clip.edl
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", metavar="VIDEO", help="video file, or a folder of videos")
    parser.add_argument(
        "-o", "--output", metavar="OUT",
        help="output video (.mp4/.mov/.mkv), or folder for a folder input "
        "(default: VIDEO_scored.mp4, or .mov/.mkv when the picture cannot go into MP4; FOLDER_scored)",
    )
    music = parser.add_argument_group("music")
    music.add_argument("--style", help="arrangement style, e.g. cinematic, piano, ambient, "
                       "electronic (default: chosen from the picture's mood)")
    music.add_argument("--mood", help="override the picture's mood: a name (happy, sad, calm, tense, "
                       "epic, dreamy, dark, playful, neutral) or VALENCE,AROUSAL in -1..1")
    music.add_argument("--tempo", type=float, metavar="BPM",
                       help="fixed tempo in beats per minute (default: fitted to the cuts, 70-140)")
    music.add_argument("--seed", type=seed, default=0, help="random seed; same seed, same music (default 0)")
    music.add_argument("--intensity", type=float, default=1.0, metavar="X",
                       help="0 (restrained) .. 2 (driving); 1 follows the picture (default 1)")
    sound = parser.add_argument_group("sound")
    sound.add_argument("--duck", type=float, default=10.0, metavar="DB",
                       help="lower the music by this many dB where the original sound is active "
                       "(default 10)")
    sound.add_argument("--replace-audio", action="store_true",
                       help="drop the original sound; the music alone")
    extra = parser.add_argument_group("extra outputs (for a folder input: folders)")
    extra.add_argument("--audio-out", metavar="WAV", help="also write the soundtrack (.wav/.flac/.mp3/.m4a)")
    extra.add_argument("--midi-out", metavar="MID", help="also write the music as MIDI")
    extra.add_argument("--stems", metavar="DIR", help="also write one WAV per instrument into DIR")
    extra.add_argument("--cue-sheet", metavar="PATH",
                       help="also write PATH.json and PATH.csv: tempo, sections, every cut "
                       "(seconds and frame) and every hit")
    extra.add_argument("--timeline", metavar="FILE", action="append",
                       help="also write an editor timeline: the original video, the new soundtrack "
                       "(and --stems, one track each), a marker at every cut and hit, sections as "
                       "ranged markers; the format by extension: .otio, .xml (Final Cut Pro 7 XML, for "
                       "Premiere Pro and DaVinci Resolve), .fcpxml (Final Cut Pro), .edl (CMX 3600); may be repeated")
    extra.add_argument("--markers", metavar="FILE", action="append",
                       help="also write the markers alone: .edl (DaVinci Resolve's marker EDL: "
                       "Timeline > Import > Timeline Markers from EDL) or .csv")


def options_from_args(args, progress=None):
    """ScoreOptions from parsed arguments, checked (UsageError); `batch score` uses it too."""
    import cinemuse
    from cinemuse.errors import UsageError

    from cinemuse.cuesheet import check_tempo

    check_tempo(args.tempo)
    if not 0.0 <= args.intensity <= 2.0:
        raise UsageError("--intensity must be between 0 and 2")
    if args.duck < 0 or args.duck > 60:
        raise UsageError("--duck must be between 0 and 60 dB")
    if args.style is not None:
        from cinemuse.music.styles import STYLES

        if args.style not in STYLES:
            raise UsageError(f"--style: unknown style {args.style!r}; choose from {', '.join(STYLES)}")
    return cinemuse.ScoreOptions(
        style=args.style, mood=args.mood, tempo=args.tempo, seed=args.seed,
        intensity=args.intensity, duck_db=args.duck, replace_audio=args.replace_audio,
        audio_out=args.audio_out, midi_out=args.midi_out, stems_dir=args.stems,
        cue_sheet=args.cue_sheet, timeline=getattr(args, "timeline", None),
        markers=getattr(args, "markers", None), force=args.force,
    )


def run(args: argparse.Namespace, progress) -> dict:
    from pathlib import Path

    import cinemuse
    from cinemuse.errors import BadInputError

    opts = options_from_args(args, progress)
    src = Path(args.video)
    if src.is_dir():
        out = Path(args.output) if args.output else src.with_name(src.name.rstrip("/") + "_scored")
        result = cinemuse.score_folder(src, out, opts, progress=progress)
        if result.failed:
            for f in result.failed:
                progress.log(f"failed: {f.error}")
            names = "; ".join(f.error for f in result.failed)
            raise BadInputError(
                None, f"{len(result.failed)} of {len(result.failed) + len(result.scored)} "
                f"videos failed (the others are in {out}): {names}",
            )
        return result.to_dict()
    from cinemuse.pipelines.score import default_output

    out = Path(args.output) if args.output else default_output(src)
    if out.is_dir():  # -o FOLDER for one video: write FOLDER/NAME_scored.mp4
        out = default_output(src, out)
    return cinemuse.score_video(src, out, opts, progress=progress).to_dict()


def describe(result: dict) -> str:
    if "scored" in result:
        return f"scored {len(result['scored'])} videos into {result['output']}"
    lines = [
        f"wrote {result['output']}  ({result['duration']:.2f} s, {result['tempo']:.1f} bpm, "
        f"{result['cuts']} cuts, {result['sections']} sections, {result['hits']} hits)"
    ]
    for k, v in result["files"].items():
        if k != "video":
            lines.append(f"  {k}: {v if isinstance(v, str) else ', '.join(v)}")
    return "\n".join(lines)
