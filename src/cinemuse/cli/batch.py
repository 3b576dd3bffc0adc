"""`cinemuse batch`: run one job over whole folders, resumably, on worker processes or Ray."""

from __future__ import annotations

import argparse

HELP = "run a job over whole folders or archives: resumable, fault-tolerant, parallel"
INTERRUPTED = "interrupted; finished outputs are kept, nothing is half-written; run the same command to resume"
JOB_NAMES = ("score", "compose", "slideshow", "cover", "analyze", "colorize", "restore")
DESCRIPTION = """\
Run one job over many inputs. Everything after -- goes to the job, as on its own
command line (see 'cinemuse JOB --help'); INPUT and -o are given by the batch.

  score      videos (folders searched recursively)    -> OUT_DIR/NAME.mp4
  compose    CSV or JSON lists of briefs: fields name or output, duration, mood, style,
             key, mode, tempo, seed, loop, instruments, format -> OUT_DIR/NAME.wav (or .mid ...)
  cover      songs                                     -> NAME.png, .jpg, -thumb.jpg, -vertical.jpg
  analyze    songs                                     -> NAME.json
  colorize   B&W photos and films                      -> NAME.jpg/.png/.tif, films NAME.mp4
  restore    photos and scans                          -> NAME.jpg/.png/.tif
  slideshow  folders of albums: every folder with photos directly in it is one album
             (HOLIDAYS/2025/lisbon/*.jpg given as HOLIDAYS) -> OUT_DIR/2025/lisbon.mp4

Outputs are named after their inputs and mirror the input folders. OUT_DIR/manifest.jsonl
gets one line per input per state change (queued, running, done, failed, skipped), with the
error, seconds, attempt and a hash of the options. Run the same command again to resume: an
input whose content and options are unchanged and whose outputs exist is skipped; changed
options redo it. A bad input fails alone, and is not tried again while it and the options
stay the same (--retry-failed tries it anyway); a worker that crashes or is killed is
retried up to --retries times. Ctrl-C stops cleanly (no half-written file). Exit code 0
when every input is done, 2 when some inputs were bad, 1 on an internal error.

The Ray engine (pip install "cinemuse[ray]") starts Ray on this machine, or joins a cluster
with --address; paths must be visible at the same place on every node (a shared mount).

examples:
  cinemuse batch score clips/ -o scored/ -- --replace-audio --seed 3
  cinemuse batch compose briefs.csv -o music/ --workers 2
  cinemuse batch colorize archive/ -o coloured/ --engine ray --address auto
"""

# placeholders for the job's own INPUT and -o, so that its parser checks the options
_SLOTS = {
    "score": (["IN.mp4"], []),
    "compose": ([], ["-o", "OUT.wav"]),
    "cover": (["IN.wav"], ["-o", "OUT.png"]),
    "analyze": (["IN.wav"], []),
    "colorize": (["IN.png"], ["-o", "OUT.png"]),
    "restore": (["IN.png"], ["-o", "OUT.png"]),
    "slideshow": (["IN"], ["-o", "OUT.mp4"]),
}
# each job's own INPUT argument, left out of the options the manifest hashes
_INPUT_DEST = {"score": "video", "cover": "song", "analyze": "song", "colorize": "input", "restore": "input",
               "slideshow": "photos"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", metavar="JOB", choices=JOB_NAMES, help=", ".join(JOB_NAMES))
    parser.add_argument("inputs", metavar="INPUTS", nargs="+",
                        help="files and folders (compose: brief lists; slideshow: a folder of albums)")
    parser.add_argument("-o", "--output", metavar="OUT_DIR", required=True, help="output folder")
    parser.add_argument("--engine", choices=("local", "ray"), default="local",
                        help="local worker processes (default) or Ray")
    parser.add_argument("--address", metavar="ADDR",
                        help="Ray cluster to join (auto, HOST:PORT, ray://HOST:10001); default: start Ray here")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="parallel workers (default: the CPU cores; Ray: the cluster's CPUs)")
    parser.add_argument("--retries", type=int, default=2, metavar="N",
                        help="tries again for an input whose worker died (default 2)")
    parser.add_argument("--retry-failed", action="store_true",
                        help="run again inputs that an earlier run found bad although they and the options "
                             "are unchanged (by default they are recorded as failed again without running)")


class _JobParser(argparse.ArgumentParser):
    """The job's own options; a mistake in them is a usage error of the batch.

    As on the job's own command line, every ``type=float`` option refuses NaN and infinities.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from cinemuse.cli.argtypes import finite_float

        self.register("type", float, finite_float)

    def error(self, message: str) -> None:  # type: ignore[override]
        from cinemuse.errors import UsageError

        raise UsageError(f"job options after --: {message} (see cinemuse {self.prog} --help)")


def _job_args(job: str, given: list[str]) -> argparse.Namespace:
    """The job's options parsed by the job's own parser, as on its own command line."""
    import importlib

    from cinemuse.errors import UsageError

    if any(a in ("-o", "--output") or a.startswith("--output=") for a in given):
        raise UsageError("batch: give the output folder with batch's own -o, not after --")
    module = importlib.import_module(f"cinemuse.cli.{job}")
    parser = _JobParser(prog=job, add_help=False)
    module.add_arguments(parser)
    before, after = _SLOTS[job]
    ns = parser.parse_args(before + list(given) + after)
    ns.force = False
    return ns


def _absolute(folder: str | None) -> str | None:
    """An extras folder as every worker, on any node, finds it (see _portable in the runner)."""
    import os

    return None if folder is None else os.path.abspath(folder)


def _job_options(job: str, ns: argparse.Namespace):
    """What the workers pass to the job's pipeline (checked here, before any work)."""
    from cinemuse.errors import UsageError

    if getattr(ns, "timeline", None) or getattr(ns, "markers", None):
        # one path given once would be every input's timeline: all jobs after the first would clash
        raise UsageError(f"batch {job}: --timeline and --markers are not supported in a batch; "
                         f"use cinemuse {job} on one input for an editor timeline")
    if job == "score":
        from dataclasses import replace

        from cinemuse.cli.score import options_from_args
        from cinemuse.pipelines.batch.jobs import ScoreBatchOptions

        opts = options_from_args(ns)
        plain = replace(opts, audio_out=None, midi_out=None, stems_dir=None, cue_sheet=None)
        return ScoreBatchOptions(plain, *map(_absolute, (ns.audio_out, ns.midi_out, ns.cue_sheet, ns.stems)))
    if job == "compose":
        import cinemuse
        from cinemuse.pipelines.compose import parse_instruments

        opts = {k: getattr(ns, k) for k in ("duration", "tempo", "key", "mode", "mood", "style", "seed", "loop")}
        cinemuse.build_cue(**opts)  # the defaults every brief starts from must be valid themselves
        parse_instruments(ns.instruments)
        if ns.stems:
            raise UsageError("batch compose: --stems is not supported in a batch")
        return {**opts, "instruments": ns.instruments}
    if job == "cover":
        if ns.check:
            raise UsageError("batch cover: --check is not a batch job; use cinemuse cover --check")
        from cinemuse.vision.fonts import require_covered

        require_covered(ns.title, "--title", ns.font)  # refused once, not per song
        require_covered(ns.artist, "--artist", ns.font, bold=False)
        return {"variants": ns.variants, "seed": ns.seed, "look": ns.look, "title": ns.title,
                "artist": ns.artist, "font": ns.font, "text_colour": ns.text_color}
    if job == "analyze":
        return {"arrays": ns.arrays}
    if job == "colorize":
        from cinemuse.cli.colorize import check_args

        check_args(ns)
        return {"references": ns.reference, "work_side": ns.work_size, "temperature": ns.temperature,
                "saturation": ns.saturation, "key_interval": ns.key_interval}
    if job == "slideshow":
        return _slideshow_options(ns)
    from cinemuse.cli.restore import steps_from_args

    negative = {"color": "colour"}.get(ns.negative, ns.negative)
    return {"steps": steps_from_args(ns) or None, "negative": negative,
            "fill_mask_path": None if ns.fill in (None, "detect") else ns.fill}


def _slideshow_options(ns: argparse.Namespace):
    import tempfile
    from dataclasses import replace
    from pathlib import Path

    from cinemuse.cli.slideshow import options_from_args
    from cinemuse.errors import UsageError
    from cinemuse.pipelines.batch.jobs import SlideshowBatchOptions
    from cinemuse.pipelines.slideshow import check_options

    if ns.list_styles:
        raise UsageError("batch slideshow: --list-styles is not a batch job; use cinemuse slideshow --list-styles")
    if ns.song is not None and (ns.midi or ns.stems):
        raise UsageError("--midi and --stems need composed music; they do not apply with --song")
    opts = options_from_args(ns)
    # a song path must mean the same file to every worker, wherever it runs
    plain = replace(opts, song=None if opts.song is None else opts.song.resolve(),
                    cue_sheet=None, audio_out=None, midi_out=None, stems_dir=None)
    check_options(Path(tempfile.gettempdir()) / "cinemuse-batch-check.mp4", replace(plain, force=True))
    return SlideshowBatchOptions(plain, *map(_absolute, (ns.audio, ns.midi, ns.cue_sheet, ns.stems)))


def run(args: argparse.Namespace, progress) -> dict:
    import json
    import sys
    from pathlib import Path

    from cinemuse.errors import BadInputError, CinemuseError
    from cinemuse.pipelines.batch import BatchRequest, run_batch

    for given in [*args.inputs, args.output]:
        if "://" in given:  # Path() would fold s3://b/k into s3:/b/k, a missing local file
            from cinemuse.errors import UsageError

            raise UsageError(f"{given}: object storage URLs are not supported; give a path on a mount that "
                             "every worker sees (NFS, CephFS, a FUSE-mounted bucket)")
    ns = _job_args(args.job, getattr(args, "passthrough", []))
    options = _job_options(args.job, ns)
    key = {k: v for k, v in sorted(vars(ns).items()) if k not in (_INPUT_DEST.get(args.job), "output", "force")}
    req = BatchRequest(
        job=args.job, inputs=[Path(p) for p in args.inputs], out_dir=Path(args.output), options=options,
        options_key=key, engine=args.engine, workers=args.workers, retries=args.retries,
        address=args.address, force=args.force, retry_failed=args.retry_failed,
    )
    result = run_batch(req, progress=progress).to_dict()
    if not result["failed"]:
        return result
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif not args.quiet:
        print(describe(result))
    n, total = len(result["failed"]), result["total"]
    first = result["failed"][0]["error"]
    message = f"{n} of {total} inputs failed (see {result['manifest']}); first: {first}"
    if result["internal_errors"]:
        raise CinemuseError(message)
    raise BadInputError(None, message)


def describe(result: dict) -> str:
    lines = [f"batch {result['job']}: {result['done']} done, {result['skipped']} skipped (done before), "
             f"{len(result['failed'])} failed of {result['total']}, in {result['seconds']:.1f} s -> {result['output']}"]
    lines += [f"  failed: {f['error']}" for f in result["failed"]]
    return "\n".join(lines)
