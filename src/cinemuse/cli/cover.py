"""`cinemuse cover`: draw a store-ready album cover that looks the way a song sounds."""

from __future__ import annotations

import argparse

from cinemuse.cli.argtypes import seed

HELP = "draw a store-ready album cover that looks the way a song sounds"
DESCRIPTION = """\
Draw album covers for a song: colour from its mood (fast/major -> lighter, more saturated,
yellower; slow/minor -> darker, greyer, bluer; loud/noisy -> darker, redder), shapes from its
own spectrum, beats, sections, chroma and energy. Writes a 3000x3000 sRGB PNG and JPEG, a
1280x720 thumbnail and a 1080x1920 vertical variant, each drawn natively at its size.

  cinemuse cover song.mp3 -o cover.png --title "Night Drive" --artist "The Examples"
  cinemuse cover song.mp3 -o cover.png --variants 4 --look ridges --seed 7
  cinemuse cover --check cover.png        (exit 2 when a store rule fails)

Titles in any script: characters the font lacks are set in bundled fallbacks (Devanagari,
Thai, Chinese/Japanese, Hangul, emoji) or the system's fonts (fontconfig); a character no
font has is refused before any work (exit 2), never drawn as an empty box.

Looks: ridges (spectrogram ridge lines), orbits (beats on section rings), weave (chroma dot
matrix), flow (energy flow field), bauhaus (geometric grid), horizon (loudness landscape).
"""

# kept in sync with cinemuse.vision.cover_looks.LOOKS (a test checks); listed here so that
# building the parser imports nothing heavy
LOOK_NAMES = ("auto", "ridges", "orbits", "weave", "flow", "bauhaus", "horizon")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("song", metavar="SONG", nargs="?", help="audio file")
    parser.add_argument("-o", "--output", metavar="COVER.png",
                        help="the square cover to write (.png or .jpg); siblings get -thumb, "
                        "-vertical and -vN suffixes")
    parser.add_argument("--title", help="title text to set on the cover")
    parser.add_argument("--artist", help="artist text to set on the cover")
    parser.add_argument("--font", metavar="FONT.ttf",
                        help="TrueType/OpenType font for the text (default: bundled DejaVu Sans)")
    parser.add_argument("--text-color", metavar="COLOUR",
                        help="text colour, e.g. '#ffffff' or 'white' (default: picked for "
                        "contrast; a scrim is added until the contrast is at least 4.5:1)")
    parser.add_argument("--variants", type=int, default=1, metavar="N",
                        help="how many different covers to draw (default 1, at most 20)")
    parser.add_argument("--seed", type=seed, default=0, help="variation seed (default 0)")
    parser.add_argument("--look", choices=LOOK_NAMES, default="auto",
                        help="visual family (default: picked from the song)")
    parser.add_argument("--check", metavar="FILE",
                        help="only check an existing cover image against the store rules (with "
                        "--title/--artist: also that every character of that text has a glyph; "
                        "covers cinemuse drew record their text)")


def run(args: argparse.Namespace, progress) -> dict:
    from cinemuse.errors import UsageError

    if args.check:
        return _check(args)
    if not args.song or not args.output:
        raise UsageError("give a SONG and -o COVER.png (or --check FILE)")
    import cinemuse

    return cinemuse.make_covers(
        args.song, args.output, variants=args.variants, seed=args.seed, look=args.look,
        title=args.title, artist=args.artist, font=args.font, text_colour=args.text_color,
        force=args.force, progress=progress,
    ).to_dict()


def _check(args: argparse.Namespace) -> dict:
    import json
    import sys

    from cinemuse.errors import BadInputError
    import cinemuse

    rules = cinemuse.check_cover(args.check, title=args.title, artist=args.artist, font=args.font)
    result = {
        "file": args.check,
        "passed": all(r.passed for r in rules),
        "rules": [{"rule": r.name, "passed": r.passed, "detail": r.detail} for r in rules],
    }
    if result["passed"]:
        return result
    # print the full report, then fail with exit code 2 and a one-line reason
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(describe(result))
    failed = ", ".join(r.name for r in rules if not r.passed)
    raise BadInputError(args.check, f"fails the cover store rules: {failed}")


def describe(result: dict) -> str:
    if "rules" in result:
        lines = [f"{result['file']}: {'passes' if result['passed'] else 'FAILS'} the store rules"]
        for r in result["rules"]:
            lines.append(f"  {'pass' if r['passed'] else 'FAIL'}  {r['rule']:<10} {r['detail']}")
        return "\n".join(lines)
    lines = [f"{result['song']}: {result['key']}, {result['tempo_bpm']:.0f} BPM; mood valence "
             f"{result['mood']['valence']:+.2f}, arousal {result['mood']['arousal']:+.2f}"
             + (f", genre {result['mood']['genre']}" if result["mood"].get("genre") else "")
             + f" -> base colour {result['mood']['base_colour']}"]
    for c in result["covers"]:
        text = "" if c["text_contrast"] is None else f", text contrast {c['text_contrast']:.1f}:1"
        lines.append(f"  {c['look']} (seed {c['seed']}){text}")
        for path in c["files"].values():
            lines.append(f"    {path}")
    lines.append(f"  {result['seconds_total']:.1f} s")
    return "\n".join(lines)
