"""Learn a library of one-bar drum patterns from the Groove MIDI Dataset, by style and tempo.

Each 4/4 performance in the dataset's *train* split is quantised to a 16th-note grid
(from its recorded bpm), cut into bars, and each bar becomes a (16 steps x 9 drum
classes) velocity pattern. Patterns are grouped by style family (rock, funk, hiphop...),
tempo band and beat/fill, identical onset patterns are merged (velocities averaged,
occurrences counted), and the most frequent ones per group are kept. The composer samples
grooves and fills from this library in proportion to how often drummers played them.

Pure numpy; writes ``assets/drums/grooves.safetensors`` (a few hundred KB).
Usage: ``cinemuse train drums``.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from cinemuse.progress import SILENT

# The 9 drum classes of the Groove MIDI paper (Gillick et al. 2019), and the GM pitches
# that map to them. The first pitch of each class is the one the composer plays.
DRUM_CLASSES = {
    "kick": (36, 35),
    "snare": (38, 40, 37, 39),
    "closed_hat": (42, 22, 44),
    "open_hat": (46, 26),
    "low_tom": (43, 58, 41),
    "mid_tom": (47, 45),
    "high_tom": (50, 48),
    "crash": (49, 55, 57, 52),
    "ride": (51, 59, 53),
}
CLASS_NAMES = tuple(DRUM_CLASSES)
PITCH_TO_CLASS = {p: i for i, pitches in enumerate(DRUM_CLASSES.values()) for p in pitches}
TEMPO_BANDS = (0.0, 90.0, 120.0, 1000.0)  # slow < 90 <= mid < 120 <= fast
STEPS = 16
KEEP_PER_GROUP = 48


def tempo_band(bpm: float) -> int:
    """Index of the tempo band of ``bpm`` (0 slow, 1 mid, 2 fast)."""
    return int(np.searchsorted(TEMPO_BANDS, bpm, side="right") - 1)


def bar_patterns(midi_path: Path, bpm: float) -> np.ndarray:
    """Quantised bars of one performance, shape (bars, 16, 9) uint8 velocities."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(str(midi_path))
    step = 60.0 / bpm / 4.0
    notes = [n for inst in pm.instruments for n in inst.notes if n.pitch in PITCH_TO_CLASS]
    if not notes:
        return np.zeros((0, STEPS, len(CLASS_NAMES)), dtype=np.uint8)
    positions = np.array([int(round(n.start / step)) for n in notes])
    n_bars = int(positions.max() // STEPS + 1)
    grid = np.zeros((n_bars, STEPS, len(CLASS_NAMES)), dtype=np.uint8)
    for n, pos in zip(notes, positions):
        bar, s = divmod(pos, STEPS)
        c = PITCH_TO_CLASS[n.pitch]
        grid[bar, s, c] = max(grid[bar, s, c], n.velocity)
    return grid


def train(*, data_dir=None, output=None, seed: int = 0, quick: bool = False, progress=SILENT) -> dict:
    """Build the groove library from the Groove MIDI Dataset's train split."""
    from safetensors.numpy import save_file

    from cinemuse.train.paths import shared_data_dir

    root = shared_data_dir(data_dir) / "music" / "groove"
    rows = [
        r for r in csv.DictReader(open(root / "info.csv"))
        if r["split"] == "train" and r["time_signature"] == "4-4"
    ]
    if quick:
        rows = rows[:150]
    groups: dict[tuple[str, int, int], dict[bytes, list]] = defaultdict(dict)
    with progress.stage("Reading Groove MIDI (train split)", total=len(rows)) as st:
        for r in rows:
            family = r["style"].split("/")[0]
            bpm = float(r["bpm"])
            is_fill = int(r["beat_type"] == "fill")
            bars = bar_patterns(root / r["midi_filename"], bpm)
            for bar in bars:
                onsets = bar > 0
                if onsets.sum() < 3:  # silence or a lone hit: not a pattern
                    continue
                key = np.packbits(onsets).tobytes()
                entry = groups[(family, tempo_band(bpm), is_fill)].setdefault(key, [np.zeros(bar.shape), 0])
                entry[0] += bar
                entry[1] += 1
            st.advance()

    patterns, styles, bands, fills, counts = [], [], [], [], []
    families = sorted({k[0] for k in groups})
    for (family, band, is_fill), entries in sorted(groups.items()):
        # most frequent first; ties broken by the pattern bytes so the file is reproducible
        ranked = sorted(entries.items(), key=lambda kv: (-kv[1][1], kv[0]))[:KEEP_PER_GROUP]
        for _, (vel_sum, count) in ranked:
            mean = np.where(vel_sum > 0, vel_sum / count, 0)
            patterns.append(np.clip(np.round(mean), 0, 127).astype(np.uint8))
            styles.append(families.index(family))
            bands.append(band)
            fills.append(is_fill)
            counts.append(count)
    out = Path(output) if output else Path(__file__).resolve().parents[1] / "assets" / "drums"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "grooves.safetensors"
    save_file(
        {
            "patterns": np.stack(patterns),  # (P, 16, 9) uint8 velocities
            "style": np.array(styles, dtype=np.int32),
            "tempo_band": np.array(bands, dtype=np.int32),
            "is_fill": np.array(fills, dtype=np.int32),
            "count": np.array(counts, dtype=np.int32),
        },
        str(path),
        metadata={
            "families": json.dumps(families),
            "classes": json.dumps(CLASS_NAMES),
            "tempo_bands": json.dumps(TEMPO_BANDS),
            "trained_on": "Groove MIDI Dataset train split, 4/4 (CC BY 4.0, Gillick et al. 2019)",
        },
    )
    return {
        "model": "drums",
        "output": str(path),
        "performances": len(rows),
        "patterns": len(patterns),
        "groups": len(groups),
        "families": families,
        "seed": seed,
    }
