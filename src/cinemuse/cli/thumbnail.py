"""`cinemuse thumbnail`: the best frame of a video as a 1280x720 thumbnail, with a title."""

from __future__ import annotations

import argparse

HELP = "pick a video's best frame and make a 1280x720 thumbnail (optional title)"
DESCRIPTION = """\
Pick the best frame of a video — sharp, well exposed, colourful, not in the middle of a
transition, with a face where there is one — frame it to 1280x720 keeping the faces in,
and set an optional title legibly over it. JPEG (under 2 MB) or PNG.

examples:
  cinemuse thumbnail holiday.mp4 -o thumb.jpg
  cinemuse thumbnail vlog.mp4 -o thumb.jpg --title "Three days in Lisbon"
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", metavar="VIDEO", help="a video file")
    parser.add_argument("-o", "--output", metavar="OUT.jpg", help="thumbnail (.jpg/.png; default VIDEO_thumb.jpg)")
    parser.add_argument("--title", metavar="TEXT", help="text set over the picture")


def run(args: argparse.Namespace, progress) -> dict:
    from pathlib import Path

    from cinemuse.pipelines.thumbnail import make_thumbnail

    src = Path(args.video)
    out = Path(args.output) if args.output else src.with_name(src.stem + "_thumb.jpg")
    return make_thumbnail(src, out, title=args.title, force=args.force, progress=progress).to_dict()


def describe(result: dict) -> str:
    return (f"wrote {result['output']}  (frame at {result['time']:.2f} s, {result['faces']} faces, "
            f"{result['bytes'] / 1e3:.0f} kB)")
