"""`cinemuse analyze`: describe a song: tempo, beats, key, loudness, sections, mood."""

from __future__ import annotations

import argparse

HELP = "describe a song: tempo, beats, key, loudness, sections, mood, genre tags"
DESCRIPTION = """\
Describe a song (any audio FFmpeg reads): tempo and beat times, bars, key and mode with a
confidence, integrated loudness (LUFS) and a loudness curve, energy, onset density and
brightness curves, sections, a mood estimate (valence / arousal) with its basis, and genre,
mood and instrument tags from the musicnn taggers (Million Song Dataset and MagnaTagATune).

  cinemuse analyze song.mp3
  cinemuse analyze song.mp3 --json > song.json
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("song", metavar="SONG", help="audio file (mp3, wav, flac, m4a, ogg, ...)")
    parser.add_argument("--arrays", action="store_true",
                        help="with --json, also include the spectrum and chroma summaries")


def run(args: argparse.Namespace, progress) -> dict:
    import cinemuse

    profile = cinemuse.analyze_song(args.song, progress=progress)
    result = {"song": str(args.song)}
    result.update(profile.to_dict(arrays=args.arrays))
    return result


def describe(result: dict) -> str:
    m = result["mood"]
    secs = ", ".join(f"{s['label']} {s['start']:.0f}-{s['end']:.0f}s" for s in result["sections"])
    beats = result["beats"]
    count = lambda n, noun: f"{n} {noun}{'' if n == 1 else 's'}"  # noqa: E731
    tempo = (f"  tempo     {result['tempo_bpm']:.1f} BPM, {count(len(beats), 'beat')}, "
             f"{count(len(result['downbeats']), 'bar')} of {result['meter']}")
    if not result["steady_beat"]:
        tempo = (f"  tempo     no steady beat (beat strength {result['beat_strength']:.2f}); a grid of "
                 f"{count(len(beats), 'beat')} at {result['tempo_bpm']:.1f} BPM to cut to")
    return "\n".join([
        f"{result['song']}: {result['duration']:.1f} s",
        tempo,
        f"  key       {result['key']} (confidence {result['key_confidence']:.2f})",
        f"  loudness  {result['loudness_lufs']:.1f} LUFS integrated",
        f"  sound     brightness {result['brightness_hz']:.0f} Hz, "
        f"{result['onset_density']:.1f} onsets/s",
        f"  sections  {secs}",
        f"  mood      valence {m['valence']:+.2f}, arousal {m['arousal']:+.2f}, "
        f"intensity {m['intensity']:.2f}  (rule-based; see --json 'mood.basis')",
    ] + _describe_tags(result.get("tags")))


def _describe_tags(tags: dict | None) -> list[str]:
    if not tags:
        return []
    top = lambda model: ", ".join(f"{t} {p:.2f}" for t, p in list(tags[model].items())[:5])  # noqa: E731
    return [f"  genre     {tags['genre']}  (musicnn tags; see --json 'tags')",
            f"  tags      {top('msd')}",
            f"            {top('mtt')}"]
