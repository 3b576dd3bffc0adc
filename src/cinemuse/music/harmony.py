"""Chords under a melody: an HMM over half-bar slots learned from POP909.

States are key-relative triads (12 roots x 6 qualities, see :mod:`cinemuse.music.theory`).
Transitions are smoothed chord-bigram counts, separate for slots that start a bar and
slots in the middle of a bar (so the model learns where chords tend to change), and per
mode. Emissions score the melody's pitch classes in a slot by how often each interval
above a chord's root sounds over that chord quality in POP909's melodies. Decoding is
Viterbi (the best chords) or, with an ``rng``, forward-filtering backward-sampling (a
plausible alternative each time), with hard constraints for cadences and loop seams.
"""

from __future__ import annotations

import json

import numpy as np

from cinemuse.music.theory import N_CHORDS, QUALITIES, Chord, chord_index, index_chord

_BACKOFF = 2.0  # pseudo-counts of the unigram mixed into every transition row
_EMISSION_BACKOFF = 20.0  # seconds of melody worth of the quality-shared profile per chord


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(x - m), axis=axis))


class HarmonyModel:
    """Key-relative chord HMM. Build with :meth:`load` (shipped counts) or :meth:`from_counts`.

    Attributes
    ----------
    log_transition : dict
        ``{mode: {"bar": (72, 72), "mid": (72, 72), "initial": (72,)}}`` log-probabilities.
    log_emission : np.ndarray, shape (6, 12)
        log P(melody interval above the root | chord quality).
    melody_weight : float
        How much a slot's melody counts against the chord prior.
    """

    def __init__(self, log_transition: dict, log_emission: np.ndarray, melody_weight: float,
                 chord_emission: np.ndarray | None = None):
        self.log_transition = log_transition
        self.log_emission = log_emission
        self.melody_weight = float(melody_weight)
        # (72, 12): log P(key-relative pitch class | chord): the chord's own counts where it
        # is common, backed off to the root-relative profile of its quality where it is rare
        shared = np.empty((N_CHORDS, 12))
        for idx in range(N_CHORDS):
            chord = index_chord(idx)
            shared[idx] = np.exp(np.roll(log_emission[QUALITIES.index(chord.quality)], chord.root))
        if chord_emission is not None:
            own = np.asarray(chord_emission, dtype=float)
            table = (own + _EMISSION_BACKOFF * shared) / (own.sum(1, keepdims=True) + _EMISSION_BACKOFF)
        else:
            table = shared
        self._pc_table = np.log(table)

    @classmethod
    def from_counts(cls, stats: dict, *, melody_weight: float = 2.0) -> "HarmonyModel":
        """From :func:`cinemuse.train.harmony.count_statistics` output (dense arrays)."""
        counts = stats["counts"]
        all_next = sum(c["bar"].sum(0) + c["mid"].sum(0) + c["initial"] for c in counts.values())
        unigram_all = (all_next + 0.1) / (all_next + 0.1).sum()
        log_transition = {}
        for mode, c in counts.items():
            mode_next = c["bar"].sum(0) + c["mid"].sum(0) + c["initial"]
            # the mode's own unigram, itself backed off to both modes
            unigram = (mode_next + 20.0 * unigram_all) / (mode_next.sum() + 20.0)
            log_transition[mode] = {
                kind: np.log(
                    (c[kind] + _BACKOFF * unigram[None, :])
                    / (c[kind].sum(1, keepdims=True) + _BACKOFF)
                )
                for kind in ("bar", "mid")
            }
            log_transition[mode]["initial"] = np.log(
                (c["initial"] + _BACKOFF * unigram) / (c["initial"].sum() + _BACKOFF)
            )
        emission = np.asarray(stats["emission"], dtype=float) + 1.0
        log_emission = np.log(emission / emission.sum(1, keepdims=True))
        chord_emission = stats.get("chord_emission")
        return cls(log_transition, log_emission, melody_weight, chord_emission)

    @classmethod
    def from_json(cls, path) -> "HarmonyModel":
        payload = json.loads(open(path).read())
        counts = {}
        for mode, c in payload["transitions"].items():
            dense = {"initial": np.array(c["initial"], dtype=float)}
            for kind in ("bar", "mid"):
                m = np.zeros((N_CHORDS, N_CHORDS))
                for r, col, v in c[kind]:
                    m[r, col] = v
                dense[kind] = m
            counts[mode] = dense
        return cls.from_counts(
            {"counts": counts, "emission": np.array(payload["emission"]),
             "chord_emission": np.array(payload["chord_emission"]) if "chord_emission" in payload else None},
            melody_weight=payload["melody_weight"],
        )

    @classmethod
    def load(cls) -> "HarmonyModel":
        """The shipped model (``assets/harmony/harmony.json``), loaded once per process."""
        from cinemuse.assets import load_shipped

        return load_shipped("harmony/harmony.json", cls.from_json)

    # ------------------------------------------------------------------ decoding
    def slot_scores(self, melody: np.ndarray) -> np.ndarray:
        """Melody log-likelihood of every chord in every slot, shape (S, 72).

        ``melody`` (S, 12) holds the time each key-relative pitch class sounds in a slot;
        each slot is normalised so long and short slots count alike.
        """
        melody = np.asarray(melody, dtype=float)
        totals = melody.sum(1, keepdims=True)
        weights = np.divide(melody, totals, out=np.zeros_like(melody), where=totals > 0)
        return self.melody_weight * weights @ self._pc_table.T

    def harmonize(
        self,
        melody: np.ndarray,
        *,
        bar_start: np.ndarray,
        mode: str = "major",
        allowed: dict[int, list[Chord]] | None = None,
        rng: np.random.Generator | None = None,
        temperature: float = 1.0,
        change_bias: float = 0.0,
    ) -> list[Chord]:
        """Chords for S half-bar slots under a melody.

        Parameters
        ----------
        melody : np.ndarray, shape (S, 12)
            Duration of each key-relative pitch class per slot (zeros: no melody).
        bar_start : np.ndarray, shape (S,), bool
            Whether each slot starts a bar.
        mode : {"major", "minor"}
        allowed : dict, optional
            Slot -> chords it may take (e.g. a cadence: last slot I, the one before V or IV).
        rng : np.random.Generator, optional
            None: the single best sequence (Viterbi). Given: a sample from the posterior
            at ``temperature`` (lower = closer to the best).
        change_bias : float
            Nats subtracted from "same chord again" at bar starts: a composer's knob for
            more harmonic motion (POP909 often holds a chord for bars; background music
            with a held tonic under a wandering melody sounds static). 0 = the data's own.

        Returns
        -------
        chords : list of Chord, length S
        """
        trans = self.log_transition["minor" if mode == "minor" else "major"]
        n_slots = len(melody)
        if n_slots == 0:
            return []
        emit = self.slot_scores(melody)
        if allowed:
            for slot, chords in allowed.items():
                mask = np.full(N_CHORDS, -np.inf)
                mask[[chord_index(c) for c in chords]] = 0.0
                emit[slot] = emit[slot] + mask
        scale = 1.0 / max(temperature, 1e-3) if rng is not None else 1.0
        emit = emit * scale
        log_t = {k: trans[k] * scale for k in ("bar", "mid")}
        if change_bias:
            log_t["bar"] = log_t["bar"] - np.eye(N_CHORDS) * change_bias * scale
        init = trans["initial"] * scale
        if rng is None:
            path = self._viterbi(emit, bar_start, log_t, init)
        else:
            path = self._sample(emit, bar_start, log_t, init, rng)
        return [index_chord(int(i)) for i in path]

    @staticmethod
    def _viterbi(emit, bar_start, log_t, init) -> np.ndarray:
        n_slots = len(emit)
        score = init + emit[0]
        back = np.zeros((n_slots, N_CHORDS), dtype=int)
        for s in range(1, n_slots):
            cand = score[:, None] + log_t["bar" if bar_start[s] else "mid"]  # (prev, next)
            back[s] = np.argmax(cand, axis=0)
            score = cand[back[s], np.arange(N_CHORDS)] + emit[s]
        path = np.empty(n_slots, dtype=int)
        path[-1] = int(np.argmax(score))
        for s in range(n_slots - 1, 0, -1):
            path[s - 1] = back[s, path[s]]
        return path

    @staticmethod
    def _sample(emit, bar_start, log_t, init, rng) -> np.ndarray:
        n_slots = len(emit)
        alpha = np.empty((n_slots, N_CHORDS))
        alpha[0] = init + emit[0]
        for s in range(1, n_slots):
            t = log_t["bar" if bar_start[s] else "mid"]
            alpha[s] = _logsumexp(alpha[s - 1][:, None] + t, axis=0) + emit[s]
        path = np.empty(n_slots, dtype=int)
        path[-1] = _draw(alpha[-1], rng)
        for s in range(n_slots - 1, 0, -1):
            t = log_t["bar" if bar_start[s] else "mid"]
            path[s - 1] = _draw(alpha[s - 1] + t[:, path[s]], rng)
        return path


def _draw(logits: np.ndarray, rng: np.random.Generator) -> int:
    p = np.exp(logits - np.max(logits))
    p /= p.sum()
    return int(rng.choice(len(p), p=p))


def chord_tone_share(chords: list[Chord], notes: list[tuple[int, int]]) -> float:
    """Share of (slot, key-relative pitch class) notes that belong to their slot's chord."""
    if not notes:
        return float("nan")
    hits = sum(1 for slot, pc in notes if (pc - chords[slot].root) % 12 in chords[slot].intervals)
    return hits / len(notes)


def best_diatonic_per_bar(melody: np.ndarray, *, bar_start: np.ndarray, mode: str) -> list[Chord]:
    """Baseline: per bar, the diatonic triad covering the most melody time (ties: I, V, IV...)."""
    from cinemuse.music.theory import diatonic_triads

    triads = diatonic_triads(mode)
    # tie-break by the usual frequency of degrees: I, V, IV, vi, ii, iii, vii
    preference = {0: 6, 7: 5, 5: 4, 9: 3, 8: 3, 2: 2, 4: 1, 3: 1, 10: 1, 11: 0}
    chords: list[Chord] = []
    starts = [i for i in range(len(melody)) if bar_start[i]] or [0]
    if starts[0] != 0:
        starts = [0] + starts
    bounds = starts + [len(melody)]
    for a, b in zip(bounds[:-1], bounds[1:]):
        pcs = melody[a:b].sum(0)
        best = max(
            triads,
            key=lambda c: (sum(pcs[(c.root + i) % 12] for i in c.intervals), preference.get(c.root, 0)),
        )
        chords.extend([best] * (b - a))
    return chords


__all__ = ["HarmonyModel", "chord_tone_share", "best_diatonic_per_bar", "chord_index"]
