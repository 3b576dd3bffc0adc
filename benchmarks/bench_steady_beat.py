"""Does `cinemuse analyze` tell a song with a beat from a sound without one? (``steady_beat``)

Two sides, each scored with ``analyze_song``'s ``steady_beat`` (beat strength at least
``rhythm.STEADY_BEAT``):

- **without a beat**: sounds made here from seeds (none of them the ones the threshold was
  chosen on): white, pink and brown noise; sine tones; held chords; chords swelling and fading;
  glissandi; rain (noise with random bursts); random clicks at ~3 a second.  They should read
  as having no steady beat.
- **with a beat**: the excerpts of the accuracy benchmark (``bench_analyze.py``: held-out POP909
  songs, Groove MIDI performances, folk tunes with and without drums, cinemuse's styles, in two
  SoundFonts through seven degradations), read from its render cache; run that benchmark
  once first (``--render-only`` is enough).  They should read as steady.

One JSON line per sound kind and per set, then a summary.

    .venv/bin/python benchmarks/bench_steady_beat.py [--variants 6] [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

SR = 44100
KINDS = ("white noise", "pink noise", "brown noise", "sine tone", "held chord", "swelling chord",
         "glissando", "rain", "random clicks")


def beatless(kind: str, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """One sound of ``kind`` without a pulse, mono float32."""
    n = int(seconds * SR)
    t = np.arange(n) / SR

    def tones(freqs, amp=0.1):
        return sum(amp * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) for f in freqs)

    root = 110.0 * 2 ** (rng.integers(0, 24) / 12)
    triad = root * 2 ** (np.array([0, 4 if rng.random() < 0.5 else 3, 7]) / 12)
    if kind == "white noise":
        y = rng.normal(size=n) * rng.uniform(0.05, 0.3)
    elif kind in ("pink noise", "brown noise"):
        spectrum = np.fft.rfft(rng.normal(size=n))
        f = np.maximum(np.fft.rfftfreq(n, 1 / SR), 1.0)
        y = np.fft.irfft(spectrum / (np.sqrt(f) if kind == "pink noise" else f), n)
        y *= rng.uniform(0.05, 0.3) / (y.std() + 1e-12)
    elif kind == "sine tone":
        y = tones([root * 2], amp=rng.uniform(0.1, 0.4))
    elif kind == "held chord":
        y = tones(triad)
    elif kind == "swelling chord":
        y = (0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.05, 0.2) * t)) * tones(triad, 0.15)
    elif kind == "glissando":
        freq = root * 2 ** (rng.uniform(1, 3) * t / seconds)
        y = rng.uniform(0.1, 0.4) * np.sin(2 * np.pi * np.cumsum(freq) / SR)
    elif kind == "rain":
        bursts = np.where(rng.random(n) < rng.uniform(10, 60) / SR, rng.uniform(5, 30), 0.0)
        envelope = np.convolve(bursts, np.exp(-np.arange(int(0.01 * SR)) / (0.002 * SR)))[:n]
        y = rng.normal(size=n) * 0.02 * (1.0 + envelope)
    elif kind == "random clicks":
        y = np.where(rng.random(n) < 3.0 / SR, 1.0, 0.0) + rng.normal(size=n) * 0.001
    else:
        raise ValueError(kind)
    return np.clip(y, -1, 1).astype(np.float32)


def read(samples: np.ndarray) -> tuple[bool, float]:
    from cinemuse.analysis.audio import analyze_song

    profile = analyze_song(samples, SR)
    return bool(profile.steady_beat), float(profile.beat_strength)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=6, help="sounds of each kind without a beat")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--renders", type=Path, default=Path.home() / ".cache" / "cinemuse-bench" / "analyze",
                        help="bench_analyze.py's render cache (its manifest.jsonl)")
    args = parser.parse_args(argv)
    if args.variants < 1 or not args.seconds >= 2.0:
        parser.error("--variants must be at least 1 and --seconds at least 2")

    without = []
    for k, kind in enumerate(KINDS):
        rng = np.random.default_rng([args.seed, k])
        reads = [read(beatless(kind, args.seconds, rng)) for _ in range(args.variants)]
        strengths = [s for _, s in reads]
        without += [steady for steady, _ in reads]
        print(json.dumps({"side": "without a beat", "kind": kind, "sounds": len(reads),
                          "read_unsteady": round(1 - float(np.mean([s for s, _ in reads])), 3),
                          "beat_strength": [round(min(strengths), 3), round(max(strengths), 3)]}), flush=True)

    with_beat: dict[str, list[tuple[bool, float]]] = {}
    manifest = args.renders / "manifest.jsonl"
    if manifest.is_file():
        from cinemuse.io.audio import read_audio

        for line in manifest.read_text().splitlines():
            row = json.loads(line)
            samples = read_audio(args.renders / row["file"], sample_rate=SR)
            with_beat.setdefault(row["set"], []).append(read(samples))
        for name, reads in sorted(with_beat.items()):
            strengths = [s for _, s in reads]
            print(json.dumps({"side": "with a beat", "set": name, "excerpts": len(reads),
                              "read_steady": round(float(np.mean([s for s, _ in reads])), 3),
                              "beat_strength_min": round(min(strengths), 3),
                              "beat_strength_p1": round(float(np.percentile(strengths, 1)), 3)}), flush=True)
    else:
        print(f"no renders at {manifest}: run benchmarks/bench_analyze.py --render-only first", file=sys.stderr)
    everything = [steady for reads in with_beat.values() for steady, _ in reads]
    print(json.dumps({"summary": "overall",
                      "without_a_beat_read_unsteady": round(1 - float(np.mean(without)), 3),
                      "without_a_beat_sounds": len(without),
                      "with_a_beat_read_steady": round(float(np.mean(everything)), 3) if everything else None,
                      "with_a_beat_excerpts": len(everything)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
