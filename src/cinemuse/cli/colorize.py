"""`cinemuse colorize`: colour a black-and-white photo or film."""

from __future__ import annotations

import argparse

HELP = "colour a black-and-white photo or film"
DESCRIPTION = """\
Colour a black-and-white photo or film. Automatic colour comes from a model trained for
cinemuse (an ImageNet EfficientNet-Lite0 encoder and a small chroma decoder, run on this
CPU); with --reference, colours are taken from your own colour photos of similar content,
matched region by region. Films are coloured shot by shot with colour carried along the
motion, so it does not flicker; their audio is kept as it was. The picture's lightness is
never changed.

  cinemuse colorize grandma.jpg -o grandma-colour.jpg
  cinemuse colorize street.png -o street-colour.png --reference today1.jpg today2.jpg
  cinemuse colorize film.mp4 -o film-colour.mp4
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="INPUT", help="black-and-white photo or video (colour is discarded)")
    parser.add_argument("-o", "--output", metavar="OUT", required=True,
                        help="output picture (.png/.jpg) or video (.mp4) — the same kind as INPUT")
    parser.add_argument("--reference", metavar="IMG", nargs="+", default=[],
                        help="colour photos of similar content whose colours to use")
    parser.add_argument("--saturation", type=float, default=1.0,
                        help="scale the colour strength (default 1.0; 0 = grey)")
    parser.add_argument("--temperature", type=float, default=None,
                        help="automatic colour boldness: lower is more vivid (default: the trained value)")
    parser.add_argument("--work-size", type=int, default=None, metavar="PIXELS",
                        help="longer side at which the model looks (default 512 for photos, 320 for video)")
    parser.add_argument("--key-interval", type=int, default=8, metavar="N",
                        help="video: run the model every N frames and carry colour along the motion "
                        "in between (default 8)")


def check_args(args: argparse.Namespace) -> None:
    """UsageError for out-of-range options (`batch colorize` checks them up front too)."""
    from cinemuse.errors import UsageError

    if args.saturation < 0 or args.saturation > 4:
        raise UsageError("--saturation must be between 0 and 4")
    if args.temperature is not None and not 0.05 <= args.temperature <= 2:
        raise UsageError("--temperature must be between 0.05 and 2")
    if args.work_size is not None and not 64 <= args.work_size <= 2048:
        raise UsageError("--work-size must be between 64 and 2048")
    if args.key_interval < 1:
        raise UsageError("--key-interval must be at least 1")


def run(args: argparse.Namespace, progress) -> dict:
    check_args(args)
    import cinemuse

    return cinemuse.colorize_file(
        args.input, args.output, references=args.reference, force=args.force,
        work_side=args.work_size, temperature=args.temperature, saturation=args.saturation,
        key_interval=args.key_interval, progress=progress,
    ).to_dict()


def describe(result: dict) -> str:
    if result.get("kind") == "video":
        return (f"wrote {result['output']}: {result['frames']} frames {result['width']}x{result['height']} "
                f"in {result['seconds']} s ({result['fps_processed']} fps)"
                + (", original audio kept" if result.get("audio_kept") else ""))
    return f"wrote {result['output']} ({result['width']}x{result['height']}) in {result['seconds']} s"
