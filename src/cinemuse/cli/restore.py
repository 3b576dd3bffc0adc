"""`cinemuse restore`: clean an old photo: noise, dust and scratches, negatives, missing parts."""

from __future__ import annotations

import argparse

HELP = "clean an old photo: noise, dust and scratches, negatives, missing parts"
DESCRIPTION = """\
Clean an old photo or develop a scanned film negative. Pick steps, or let --auto (the
default when no step is given) choose them from the picture's measured noise, defects,
missing blocks, colour cast and tonal range. Steps run in this order: negative, fill,
scratches, denoise, levels.

  cinemuse restore scan.jpg -o clean.png --auto
  cinemuse restore negative.tif -o positive.png --negative colour
  cinemuse restore torn.png -o mended.png --fill torn-mask.png --scratches --denoise
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="INPUT", help="photo or scan to restore")
    parser.add_argument("-o", "--output", metavar="OUT", required=True, help="output picture (.png/.jpg/.tif)")
    parser.add_argument("--denoise", action="store_true", help="remove grain and noise (strength measured)")
    parser.add_argument("--scratches", action="store_true", help="find dust specks and scratches and paint them out")
    parser.add_argument("--negative", choices=("colour", "color", "bw"),
                        help="develop a scanned film negative (colour with orange mask, or black-and-white)")
    parser.add_argument("--fill", metavar="MASK", nargs="?", const="detect",
                        help="fill missing parts: white pixels of MASK (same size), or found "
                        "automatically when no MASK is given")
    parser.add_argument("--levels", action="store_true", help="stretch black and white points")
    parser.add_argument("--auto", action="store_true", help="choose the steps from the picture (default)")


def steps_from_args(args: argparse.Namespace) -> list[str]:
    """The steps asked for, in their fixed order (empty: let the picture choose)."""
    from cinemuse.errors import UsageError

    steps = []
    if args.negative:
        steps.append("negative")
    if args.fill:
        steps.append("fill")
    if args.scratches:
        steps.append("scratches")
    if args.denoise:
        steps.append("denoise")
    if args.levels:
        steps.append("levels")
    if args.auto and steps:
        raise UsageError("--auto chooses the steps itself; give either --auto or steps")
    return steps


def run(args: argparse.Namespace, progress) -> dict:
    steps = steps_from_args(args)
    import cinemuse

    negative = {"color": "colour"}.get(args.negative, args.negative)
    return cinemuse.restore_file(
        args.input, args.output, steps=steps or None, negative=negative,
        fill_mask_path=None if args.fill in (None, "detect") else args.fill,
        force=args.force, progress=progress,
    ).to_dict()


def describe(result: dict) -> str:
    steps = ", ".join(result.get("steps", [])) or "nothing needed"
    return f"wrote {result['output']} ({steps}) in {result['seconds']} s"
