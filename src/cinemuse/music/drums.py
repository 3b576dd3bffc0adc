"""Drum parts from the learned groove library (see :mod:`cinemuse.train.drums`).

The library holds one-bar (16 steps x 9 classes) velocity patterns from the Groove MIDI
Dataset, grouped by style family, tempo band and beat/fill, with how often each was
played. A drum part picks a main groove and a contrasting one per section (sampled in
proportion to frequency), a fill in the bar before each new section, and thins or
thickens the pattern with the energy curve.
"""

from __future__ import annotations

import json

import numpy as np

# GM pitches played for the 9 classes (same order as cinemuse.train.drums.CLASS_NAMES)
CLASS_PITCHES = (36, 38, 42, 46, 43, 47, 50, 49, 51)
KICK, SNARE, CLOSED_HAT, OPEN_HAT, LOW_TOM, MID_TOM, HIGH_TOM, CRASH, RIDE = range(9)
TEMPO_BANDS = (0.0, 90.0, 120.0, 1000.0)


class DrumLibrary:
    """The shipped groove library. ``DrumLibrary.load()``; then :meth:`choose`."""

    def __init__(self, patterns, style, tempo_band, is_fill, count, families):
        self.patterns = patterns  # (P, 16, 9) uint8
        self.style = style
        self.tempo_band = tempo_band
        self.is_fill = is_fill
        self.count = count
        self.families = list(families)

    @classmethod
    def load(cls) -> "DrumLibrary":
        """The shipped groove library, loaded once per process."""
        from cinemuse.assets import load_shipped

        return load_shipped("drums/grooves.safetensors", cls.from_file)

    @classmethod
    def from_file(cls, path) -> "DrumLibrary":
        from safetensors import safe_open
        from safetensors.numpy import load_file

        with safe_open(str(path), framework="numpy") as f:
            families = json.loads(f.metadata()["families"])
        t = load_file(str(path))
        return cls(t["patterns"], t["style"], t["tempo_band"], t["is_fill"], t["count"], families)

    def candidates(self, families, bpm: float, *, fill: bool) -> np.ndarray:
        """Indices of patterns for these style families, nearest tempo band, beat or fill."""
        wanted = [self.families.index(f) for f in families if f in self.families]
        band = int(np.searchsorted(TEMPO_BANDS, bpm, side="right") - 1)
        base = np.isin(self.style, wanted) & (self.is_fill == int(fill))
        if not fill:
            # a groove should start its bar: kick or crash on step 1
            starts = (self.patterns[:, 0, KICK] > 0) | (self.patterns[:, 0, CRASH] > 0)
            if np.any(base & starts):
                base &= starts
        for distance in range(3):  # the tempo band, else a neighbouring one
            idx = np.flatnonzero(base & (np.abs(self.tempo_band - band) <= distance))
            if len(idx):
                return idx
        return np.flatnonzero(self.is_fill == int(fill))

    def choose(self, families, bpm: float, rng: np.random.Generator, *, fill: bool = False,
               exclude: int | None = None) -> int:
        """Index of a pattern, drawn in proportion to how often drummers played it."""
        idx = self.candidates(families, bpm, fill=fill)
        if exclude is not None and len(idx) > 1:
            idx = idx[idx != exclude]
        weights = self.count[idx].astype(float)
        return int(rng.choice(idx, p=weights / weights.sum()))


def shape_pattern(pattern: np.ndarray, energy: float) -> np.ndarray:
    """Adapt a (16, 9) velocity pattern to an energy in 0..1.

    Low energy drops ghost notes, toms and crashes and softens everything; high energy
    keeps all of it and adds a little velocity.
    """
    out = pattern.astype(float)
    if energy < 0.35:
        out[:, [LOW_TOM, MID_TOM, HIGH_TOM, CRASH]] = 0
        out[out < 50] = 0  # ghost notes
        out[1::2, CLOSED_HAT] = 0  # 16th hats -> 8ths
    elif energy < 0.6:
        out[out < 35] = 0
    scale = 0.65 + 0.5 * energy
    return np.clip(out * scale, 0, 127)


def drum_notes(
    bar_plan: list[tuple[float, float, str, float]],
    *,
    families,
    bpm: float,
    rng: np.random.Generator,
    swing: float = 0.0,
) -> list[tuple[int, int, float, float]]:
    """Drum notes for a bar plan.

    Parameters
    ----------
    bar_plan : list of (start seconds, bar seconds, kind, energy)
        ``kind`` is "groove", "groove_b" (the contrasting groove), "fill", "crash" (one
        crash+kick on the downbeat, for endings) or "rest".
    families : sequence of str
        Groove MIDI style families to draw from.
    swing : float
        Delay of off-beat 8ths as a fraction of an 8th note.

    Returns
    -------
    notes : list of (pitch, velocity, start, end)
    """
    lib = DrumLibrary.load()
    main = lib.choose(families, bpm, rng)
    contrast = lib.choose(families, bpm, rng, exclude=main)
    notes = []
    for start, bar_len, kind, energy in bar_plan:
        if kind == "rest":
            continue
        # the grooves are one 4/4 bar of 16ths: a bar of another length repeats (or cuts) them
        # in 16ths at the tempo, rather than squeezing 16 steps into 3 beats (a 3/4 piece's
        # drums played a third faster than its beat)
        steps = max(1, int(round(bar_len * bpm / 15.0)))
        step = bar_len / steps
        if kind == "crash":
            notes.append((CLASS_PITCHES[CRASH], int(70 + 40 * energy), start, start + bar_len))
            notes.append((CLASS_PITCHES[KICK], int(70 + 40 * energy), start, start + step))
            continue
        if kind == "fill":
            pattern = lib.patterns[lib.choose(families, bpm, rng, fill=True)]
        else:
            pattern = lib.patterns[main if kind == "groove" else contrast]
        shaped = shape_pattern(pattern, energy)
        if steps != len(shaped):  # a groove keeps its downbeat, a fill its run into the next bar
            first = (len(shaped) - steps) % len(shaped) if kind == "fill" else 0
            shaped = shaped[(first + np.arange(steps)) % len(shaped)]
        for s, c in zip(*np.nonzero(shaped)):
            t = start + s * step
            if swing and s % 4 == 2:
                t += swing * 2 * step
            notes.append((CLASS_PITCHES[c], int(max(1, shaped[s, c])), t, t + step))
    return notes
