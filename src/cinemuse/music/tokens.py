"""Melody representation: one token per 16th-note step, MusicVAE style.

A monophonic melody of ``n_steps`` sixteenths becomes ``n_steps`` integer tokens:

* ``REST`` (0) — the sounding note (if any) stops here and nothing starts;
* ``HOLD`` (1) — nothing changes: the current note goes on sounding, or the silence goes on;
* ``PITCH_OFFSET + k`` — a new note of MIDI pitch ``PITCH_MIN + k`` starts here (ending any note).

Pitches are C-relative (tunes are transposed to C major / A minor, see
:mod:`cinemuse.train.corpus`) and bounded to ``PITCH_MIN..PITCH_MAX`` (C3..C6); a segment out of
range is moved by whole octaves, a lone note still outside is folded in by octaves.

Notes are int arrays of shape (n, 3): ``(pitch, start_step, duration_steps)``.
The module also holds the melody attributes used for latent attribute vectors and benchmarks.
"""

from __future__ import annotations

import numpy as np

REST = 0
HOLD = 1
PITCH_MIN = 48  # C3
PITCH_MAX = 84  # C6
PITCH_OFFSET = 2
NUM_PITCHES = PITCH_MAX - PITCH_MIN + 1
VOCAB_SIZE = PITCH_OFFSET + NUM_PITCHES
STEPS_PER_BAR = 16

# Krumhansl-Kessler key profiles, for the major/minor colour of a melody
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
C_MAJOR_PCS = np.array([0, 2, 4, 5, 7, 9, 11])


def fit_pitch_range(notes: np.ndarray) -> np.ndarray:
    """Move a note array by whole octaves into ``PITCH_MIN..PITCH_MAX``; fold stragglers.

    Parameters
    ----------
    notes : int array (n, 3) of (pitch, start, duration)

    Returns
    -------
    int64 array (n, 3), pitches inside the range.
    """
    notes = np.asarray(notes, dtype=np.int64).reshape(-1, 3).copy()
    if len(notes) == 0:
        return notes
    lo, hi = notes[:, 0].min(), notes[:, 0].max()
    if lo < PITCH_MIN:
        notes[:, 0] += 12 * int(np.ceil((PITCH_MIN - lo) / 12))
    elif hi > PITCH_MAX:
        notes[:, 0] -= 12 * int(np.ceil((hi - PITCH_MAX) / 12))
    p = notes[:, 0]
    while (p < PITCH_MIN).any() or (p > PITCH_MAX).any():
        p = np.where(p < PITCH_MIN, p + 12, p)
        p = np.where(p > PITCH_MAX, p - 12, p)
    notes[:, 0] = p
    return notes


def notes_to_tokens(notes: np.ndarray, *, n_steps: int) -> np.ndarray:
    """Tokens (n_steps,) int64 of a monophonic note array whose starts are relative to step 0.

    Notes starting outside ``0..n_steps-1`` are dropped; a later onset ends the previous note.
    """
    notes = fit_pitch_range(notes)
    tokens = np.full(n_steps, HOLD, dtype=np.int64)
    notes = notes[(notes[:, 1] >= 0) & (notes[:, 1] < n_steps)]
    notes = notes[np.argsort(notes[:, 1], kind="stable")]
    # monophonic: a note lasts at most until the next onset
    notes[:-1, 2] = np.minimum(notes[:-1, 2], notes[1:, 1] - notes[:-1, 1])
    for pitch, start, duration in notes:
        end = start + max(1, duration)
        tokens[start] = PITCH_OFFSET + pitch - PITCH_MIN
        if end < n_steps and tokens[end] == HOLD:
            tokens[end] = REST
    # a later note-on overrides an earlier REST written at the same step
    for pitch, start, _ in notes:
        tokens[start] = PITCH_OFFSET + pitch - PITCH_MIN
    return tokens


def tokens_to_notes(tokens: np.ndarray) -> np.ndarray:
    """Notes (n, 3) int64 (pitch, start, duration) of a token sequence; inverse of notes_to_tokens."""
    tokens = np.asarray(tokens)
    rows = []
    current = None  # [pitch, start]
    for step, tok in enumerate(tokens):
        if tok == HOLD:
            continue
        if current is not None:
            rows.append((current[0], current[1], step - current[1]))
            current = None
        if tok >= PITCH_OFFSET:
            current = [PITCH_MIN + int(tok) - PITCH_OFFSET, step]
    if current is not None:
        rows.append((current[0], current[1], len(tokens) - current[1]))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def segment_tune(
    notes: np.ndarray,
    *,
    bars: int = 2,
    hop_bars: int = 2,
    min_onsets: int = 2,
) -> np.ndarray:
    """Cut one tune into ``bars``-bar token segments starting on bar lines.

    Parameters
    ----------
    notes : int array (n, 3) of (pitch, start step, duration); bar 0 starts at step 0.
    bars : bars per segment (16 steps each).
    hop_bars : bars between segment starts (1 gives overlapping segments for training).
    min_onsets : segments with fewer note onsets are dropped (silence is not a melody).

    Returns
    -------
    int64 array (n_segments, bars * 16) of tokens.
    """
    notes = np.asarray(notes, dtype=np.int64).reshape(-1, 3)
    n_steps = bars * STEPS_PER_BAR
    if len(notes) == 0:
        return np.zeros((0, n_steps), np.int64)
    last_bar = (int((notes[:, 1] + notes[:, 2]).max()) - 1) // STEPS_PER_BAR
    out = []
    # windows lie inside the tune: none runs past its last bar
    for bar in range(0, last_bar - bars + 2, hop_bars):
        lo = bar * STEPS_PER_BAR
        sel = notes[(notes[:, 1] >= lo) & (notes[:, 1] < lo + n_steps)]
        if len(sel) < min_onsets:
            continue
        sel = sel.copy()
        sel[:, 1] -= lo
        out.append(notes_to_tokens(sel, n_steps=n_steps))
    return np.array(out, dtype=np.int64).reshape(-1, n_steps)


# --------------------------------------------------------------------------- attributes

ATTRIBUTES = ("density", "register", "mode", "rhythm")


def note_density(notes: np.ndarray, *, n_steps: int) -> float:
    """Note onsets per bar."""
    return len(notes) * STEPS_PER_BAR / n_steps


def register(notes: np.ndarray) -> float:
    """Mean MIDI pitch of the notes (nan when there are none)."""
    return float(np.mean(notes[:, 0])) if len(notes) else float("nan")


def mode_colour(notes: np.ndarray) -> float:
    """Major-ness: correlation of the duration-weighted pitch-class histogram with the C-major
    key profile minus its correlation with the A-minor profile (in -2..2; > 0 sounds major)."""
    if len(notes) == 0:
        return float("nan")
    hist = np.bincount(notes[:, 0] % 12, weights=notes[:, 2], minlength=12).astype(float)
    if hist.std() == 0:
        return 0.0
    major = np.corrcoef(hist, _MAJOR_PROFILE)[0, 1]
    minor = np.corrcoef(hist, np.roll(_MINOR_PROFILE, 9))[0, 1]  # A minor
    return float(major - minor)


def rhythmic_activity(notes: np.ndarray) -> float:
    """Share of onsets off the beat (start step not a multiple of 4): syncopation / fast runs."""
    if len(notes) == 0:
        return float("nan")
    return float(np.mean(notes[:, 1] % 4 != 0))


def in_key_share(notes: np.ndarray) -> float:
    """Share of notes whose pitch class is in C major / A natural minor (the white keys)."""
    if len(notes) == 0:
        return float("nan")
    return float(np.isin(notes[:, 0] % 12, C_MAJOR_PCS).mean())


def segment_attributes(tokens: np.ndarray) -> dict[str, float]:
    """The four control attributes of one token segment (see :data:`ATTRIBUTES`)."""
    notes = tokens_to_notes(tokens)
    return {
        "density": note_density(notes, n_steps=len(tokens)),
        "register": register(notes),
        "mode": mode_colour(notes),
        "rhythm": rhythmic_activity(notes),
    }
