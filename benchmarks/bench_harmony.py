"""Harmony model vs a per-bar diatonic baseline on held-out POP909 songs.

For each test song (10 % of POP909 by song, seed 909; never seen in training) the
melody is harmonised by
  * the shipped HMM (Viterbi, half-bar slots),
  * the baseline: per bar, the diatonic triad covering the most melody time,
and compared with the annotated chords. Figures (JSON lines):
  * chord_agreement: share of annotated half-bar slots whose chord root and triad
    quality match the annotation;
  * strong_beat_chord_tones: share of melody notes starting on beat 1 or 3 that are
    tones of the chord under them (the annotated chords' own figure is printed too).

Run: .venv/bin/python benchmarks/bench_harmony.py [--limit N]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from cinemuse.music.harmony import HarmonyModel, best_diatonic_per_bar, chord_tone_share
from cinemuse.music.theory import chord_index, index_chord
from cinemuse.train.harmony import load_song, pop909_songs, split_songs
from cinemuse.train.paths import shared_data_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N test songs")
    args = parser.parse_args()
    test_dirs = split_songs(pop909_songs(shared_data_dir()))["test"][: args.limit]
    model = HarmonyModel.load()
    sums = {name: {"agree": 0, "slots": 0, "tones": 0.0, "notes": 0} for name in ("hmm", "baseline", "annotated")}
    t0 = time.time()
    n_songs = 0
    for d in test_dirs:
        song = load_song(d)
        if song is None:
            continue
        n_songs += 1
        mask = song.chords >= 0
        decoded = {
            "hmm": model.harmonize(song.melody, bar_start=song.bar_start, mode=song.mode),
            "baseline": best_diatonic_per_bar(song.melody, bar_start=song.bar_start, mode=song.mode),
        }
        for name, chords in decoded.items():
            idx = np.array([chord_index(c) for c in chords])
            sums[name]["agree"] += int(np.sum(idx[mask] == song.chords[mask]))
            sums[name]["slots"] += int(mask.sum())
        # chord-tone share over notes whose slot has an annotated chord (same notes for all)
        notes = [(s, pc) for s, pc in song.strong_notes if song.chords[s] >= 0]
        annotated = [index_chord(max(int(c), 0)) for c in song.chords]
        for name, chords in (*decoded.items(), ("annotated", annotated)):
            share = chord_tone_share(chords, notes)
            if notes:
                sums[name]["tones"] += share * len(notes)
                sums[name]["notes"] += len(notes)
    for name, s in sums.items():
        row = {
            "benchmark": "harmony",
            "method": name,
            "test_songs": n_songs,
            "strong_beat_chord_tones": round(s["tones"] / max(s["notes"], 1), 4),
            "strong_beat_notes": s["notes"],
        }
        if name != "annotated":
            row["chord_agreement"] = round(s["agree"] / max(s["slots"], 1), 4)
            row["annotated_slots"] = s["slots"]
        print(json.dumps(row))
    print(json.dumps({"benchmark": "harmony", "wall_seconds": round(time.time() - t0, 1)}))


if __name__ == "__main__":
    main()
