"""`cinemuse compose`: compose background music of an exact length, mood and style."""

from __future__ import annotations

import argparse

from cinemuse.cli.argtypes import seed

HELP = "compose background music of an exact length, mood and style"
DESCRIPTION = """\
Compose original music: a melody from the learned melody model, chords learned from
POP909, drums learned from the Groove MIDI Dataset, arranged in a style, rendered with
a General MIDI soundfont and mastered to -14 LUFS.

The format of -o follows its extension: .wav .flac .mp3 (audio), .mid (MIDI),
.musicxml .abc (lead sheet: melody and chord symbols).

examples:
  cinemuse compose -o calm.wav --duration 90 --mood calm
  cinemuse compose -o loop.wav --duration 30 --style lofi --loop --stems stems/
  cinemuse compose -o theme.mid --duration 60 --mood 0.5,-0.2 --key "D minor" --seed 7
"""

STYLE_NAMES = ("cinematic", "ambient", "lofi", "folk", "pop", "piano", "electronic")
MOOD_NAMES = ("happy", "sad", "calm", "tense", "epic", "dreamy", "dark", "playful", "neutral")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", required=True, help="output file (.wav .flac .mp3 .mid .musicxml .abc)")
    parser.add_argument("--duration", type=float, default=60.0,
                        help="exact length in seconds, 5 to 1200 (default 60)")
    parser.add_argument("--tempo", type=float, default=None, help="beats per minute (default: from mood and style)")
    parser.add_argument("--key", default=None, help="tonic, e.g. C, F#, Bb, or 'D minor' (default: chosen by seed)")
    parser.add_argument("--mode", choices=("major", "minor"), default=None, help="default: from the mood")
    parser.add_argument("--mood", default=None,
                        help=f"a name ({', '.join(MOOD_NAMES)}) or valence,arousal in [-1, 1]")
    parser.add_argument("--style", default=None, help=f"one of {', '.join(STYLE_NAMES)} (default: from the mood)")
    parser.add_argument("--instruments", default=None,
                        help="override parts: ROLE=INSTRUMENT,... with ROLE melody/chords/pad/bass and a GM "
                             "name or number, e.g. melody=flute,bass=33")
    parser.add_argument("--seed", type=seed, default=0, help="random seed; same seed and options = same MIDI")
    parser.add_argument("--loop", action="store_true", help="a seamless loop: the end joins the start")
    parser.add_argument("--stems", default=None, metavar="DIR", help="also write one WAV per instrument here")


def run(args: argparse.Namespace, progress) -> dict:
    import cinemuse

    return cinemuse.compose(
        args.output, duration=args.duration, tempo=args.tempo, key=args.key, mode=args.mode,
        mood=args.mood, style=args.style, seed=args.seed, loop=args.loop,
        instruments=args.instruments, stems_dir=args.stems, force=args.force, progress=progress,
    ).to_dict()


def describe(result: dict) -> str:
    labels = " ".join(s["label"] for s in result["sections"])
    lines = [
        f"wrote {result['files']['output']}: {result['duration']:.2f} s, {result['style']}, "
        f"{result['key']}, {result['tempo']:.1f} bpm{' (loop)' if result['loop'] else ''}",
        f"form: {labels}",
    ]
    if "stems" in result["files"]:
        lines.append(f"stems: {', '.join(result['files']['stems'])}")
    return "\n".join(lines)
