"""The key of a song from its chroma: a small learned, transposition-equivariant classifier.

Method
    Multinomial logistic regression over the 24 major and minor keys in which every key shares
    one weight vector per mode, applied to the song's features rotated so that the candidate
    tonic comes first: score(tonic t, mode m) = w_m . rotate(x, -t) + b_m.  Rotating the input
    chroma by k semitones therefore rotates the answer by k semitones (the model cannot prefer
    one tonic over another, only pitch-class patterns relative to a tonic), and the weights
    generalise a key-profile correlation (Krumhansl & Kessler 1982; Albrecht & Shanahan 2013)
    to several profiles learned jointly from data, as the learned key classifiers do
    (Korzeniowski & Widmer 2017, "End-to-end musical key estimation using a convolutional
    neural network", EUSIPCO), here one linear layer on song-level statistics.

Features (12-vectors, C first, on chroma scaled by its maximum and optionally log-compressed,
``log(1 + gamma x)``; each scaled to unit length)
    ``chroma``: the song-mean chroma (the whole song scaled by its loudest bin, so loud
    passages count more); ``bass``: the same for the 40-200 Hz register (the bass states the
    root); ``chroma_frame`` / ``bass_frame``: the mean of per-frame max-normalised chroma over
    non-silent frames (every chord counts alike, however loud); ``cooc``: the pitch-class
    co-occurrence matrix (mean outer product of unit-length frames, upper triangle), which sees
    which notes sound together and not only how often each sounds; ``bass_cooc``: the same
    between the bass and the full chroma (which notes sound over which bass note).
    ``chords`` (two 12-vectors): a soft histogram of the best-matching major and minor triad
    per frame (centred binary triad templates, as in the template chord recognisers since
    Fujishima 1999), so the model can weigh the chords of a key (I, IV, V; vi, ii, iii)
    relative to the tonic.  ``opening`` / ``closing``: the first / last 8 s (tried, not used
    by the shipped model unless named in its file).

The weights are trained by :mod:`cinemuse.train.key` on annotated renders and shipped as
``assets/key/key_model.json``; this module needs numpy only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cinemuse.analysis.song_features import ANALYSIS_SR, CHROMA_HOP

ASSET_NAME = "key/key_model.json"
FORMAT = "cinemuse-key-equivariant-logreg-v1"
FEATURES = ("chroma", "bass", "chroma_frame", "bass_frame", "opening", "closing", "chords", "cooc",
            "bass_cooc")
MATRICES = {"cooc": True, "bass_cooc": False}  # name -> symmetric (only its upper triangle used)
EDGE_SECONDS = 8.0  # how much of the song's start and end the opening / closing features see
FRAME_SECONDS = CHROMA_HOP / ANALYSIS_SR  # the chroma hop
_TRIU = np.triu_indices(12)
# frames below this fraction of the loudest frame's energy are silence for the per-frame features
_SILENCE = 0.05
CHORD_TEMPERATURE = 0.05  # softmax temperature of the per-frame triad match, correlation units


def _triad_templates() -> np.ndarray:
    """(24, 12) centred unit templates: major triads on C..B, then minor triads on C..B."""
    t = np.zeros((24, 12))
    for root in range(12):
        t[root, [(root + i) % 12 for i in (0, 4, 7)]] = 1.0
        t[12 + root, [(root + i) % 12 for i in (0, 3, 7)]] = 1.0
    t -= t.mean(axis=1, keepdims=True)
    return t / np.linalg.norm(t, axis=1, keepdims=True)


_TRIADS = _triad_templates()


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v) + 1e-9)


KEY_CHUNK = 4096  # chroma frames reduced at a time (6.3 min): a 3-hour song is 116 k frames


def _compress(x: np.ndarray, gamma: float) -> np.ndarray:
    """log(1 + gamma x) / log(1 + gamma) on 0..1 values (gamma 0: unchanged)."""
    return np.log1p(gamma * x) / np.log1p(gamma) if gamma > 0 else x


def _chord_input(cn: np.ndarray, bn: np.ndarray) -> np.ndarray:
    """What the triad match reads: log-compressed chroma with the bass at half weight."""
    return np.log1p(10.0 * (cn + 0.5 * bn))


class _FrameSums:
    """The song-level sums every feature is made of, added up a chunk of frames at a time so
    that a long song's per-frame intermediates (several copies of its chroma in float64) never
    exist all at once."""

    def __init__(self, energies: dict[str, float]):
        # loudest frame of each per-frame measure, from a first pass: its silence threshold
        self.floor = {k: _SILENCE * (v + 1e-12) for k, v in energies.items()}
        self.frames = 0
        self.chroma = np.zeros(12)
        self.bass = np.zeros(12)
        self.frame_sums = {"chroma": np.zeros(12), "bass": np.zeros(12)}
        self.frame_counts = {"chroma": 0, "bass": 0}
        self.chords = np.zeros(24)
        self.chord_frames = 0
        self.cooc = np.zeros((12, 12))
        self.bass_cooc = np.zeros((12, 12))

    def add(self, cn: np.ndarray, bn: np.ndarray, *, chords: bool) -> None:
        self.frames += cn.shape[1]
        self.chroma += cn.sum(axis=1)
        self.bass += bn.sum(axis=1)
        for name, x in (("chroma", cn), ("bass", bn)):  # max-normalised non-silent frames
            cols = x[:, x.sum(axis=0) > self.floor[name]]
            self.frame_sums[name] += (cols / (cols.max(axis=0, keepdims=True) + 1e-12)).sum(axis=1)
            self.frame_counts[name] += cols.shape[1]
        if chords:  # the soft per-frame choice of the best-matching triad
            x = _chord_input(cn, bn)
            x = x[:, x.sum(axis=0) > self.floor["chords"]]
            if x.shape[1]:
                x = x - x.mean(axis=0)
                x /= np.linalg.norm(x, axis=0) + 1e-9
                score = _TRIADS @ x
                p = np.exp((score - score.max(axis=0)) / CHORD_TEMPERATURE)
                self.chords += (p / p.sum(axis=0)).sum(axis=1)
                self.chord_frames += x.shape[1]
        u = cn / (np.linalg.norm(cn, axis=0, keepdims=True) + 1e-9)
        ub = bn / (np.linalg.norm(bn, axis=0, keepdims=True) + 1e-9)
        self.cooc += u @ u.T
        self.bass_cooc += ub @ u.T

    def frame_normalised(self, name: str) -> np.ndarray:
        """Mean of per-frame max-normalised columns over the non-silent frames."""
        n = self.frame_counts[name]
        return self.frame_sums[name] / n if n else np.zeros(12)

    def chord_histogram(self) -> np.ndarray:
        """(2, 12): how much of the song each major / minor triad root holds (square root of
        the soft per-frame triad choice, both rows scaled by one norm so their balance tells
        the mode)."""
        if not self.chord_frames:
            return np.zeros((2, 12))
        h = np.sqrt(self.chords / self.chord_frames)
        return (h / (np.linalg.norm(h) + 1e-9)).reshape(2, 12)


def key_features(chroma: np.ndarray, bass_chroma: np.ndarray, *, names=FEATURES,
                 gamma: float = 0.0, chunk: int = KEY_CHUNK) -> tuple[np.ndarray, list[np.ndarray]]:
    """The named song-level features of (12, T) chroma and bass chroma (raw magnitudes).

    Returns ``(vectors, matrices)``: (K, 12) for the 12-vector features in ``names`` order, and
    ``(matrix, symmetric)`` for the (12, 12) matrices named (``cooc``, ``bass_cooc``), each
    scaled to unit norm.  The frames are reduced ``chunk`` at a time (the result does not
    depend on it beyond float rounding).
    """
    c = np.asarray(chroma).reshape(12, -1)
    b = np.asarray(bass_chroma).reshape(12, -1)
    if c.shape[1] == 0:
        c = np.zeros((12, 1))
    if b.shape[1] == 0:
        b = np.zeros((12, 1))
    n = max(c.shape[1], b.shape[1])  # an empty bass broadcasts (one column of zeros)
    c_peak, b_peak = float(c.max()) + 1e-9, float(b.max()) + 1e-9

    def normalised(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        cn = _compress(np.asarray(c[:, lo:hi] if c.shape[1] > 1 else c, np.float64) / c_peak, gamma)
        bn = _compress(np.asarray(b[:, lo:hi] if b.shape[1] > 1 else b, np.float64) / b_peak, gamma)
        width = max(cn.shape[1], bn.shape[1])
        return np.broadcast_to(cn, (12, width)), np.broadcast_to(bn, (12, width))

    chords = "chords" in names
    spans = [(lo, min(n, lo + chunk)) for lo in range(0, n, chunk)]
    energies = {"chroma": 0.0, "bass": 0.0, "chords": 0.0}
    for lo, hi in spans:  # first pass: the loudest frame of each measure
        cn, bn = normalised(lo, hi)
        energies["chroma"] = max(energies["chroma"], float(cn.sum(axis=0).max()))
        energies["bass"] = max(energies["bass"], float(bn.sum(axis=0).max()))
        if chords:
            energies["chords"] = max(energies["chords"], float(_chord_input(cn, bn).sum(axis=0).max()))
    sums = _FrameSums(energies)
    for lo, hi in spans:
        sums.add(*normalised(lo, hi), chords=chords)
    edge = max(1, int(round(EDGE_SECONDS / FRAME_SECONDS)))

    def edge_mean(lo: int, hi: int) -> np.ndarray:
        cn, bn = normalised(lo, hi)
        return cn.mean(axis=1) + bn.mean(axis=1)

    make = {
        "chroma": lambda: sums.chroma / sums.frames,
        "bass": lambda: sums.bass / sums.frames,
        "chroma_frame": lambda: sums.frame_normalised("chroma"),
        "bass_frame": lambda: sums.frame_normalised("bass"),
        "opening": lambda: edge_mean(0, min(n, edge)),
        "closing": lambda: edge_mean(max(0, n - edge), n),
    }
    rows = []
    for name in names:
        if name == "chords":
            rows.extend(sums.chord_histogram())
        elif name not in MATRICES:
            rows.append(_unit(make[name]()))
    vectors = np.stack(rows or [np.zeros(12)])
    matrices = {"cooc": sums.cooc, "bass_cooc": sums.bass_cooc}
    mats = [(_unit(matrices[name] / sums.frames), MATRICES[name]) for name in names if name in MATRICES]
    return vectors, mats


def rotated_design(vectors: np.ndarray, matrices: list[tuple[np.ndarray, bool]]) -> np.ndarray:
    """(12, D) rows: the features seen from each candidate tonic 0..11 (tonic first).

    Vectors rotate along their pitch axis, matrices along both; a symmetric matrix keeps its
    upper triangle only.
    """
    rows = []
    for t in range(12):
        parts = [np.roll(vectors, -t, axis=1).ravel()]
        for m, symmetric in matrices:
            r = np.roll(np.roll(m, -t, axis=0), -t, axis=1)
            parts.append(r[_TRIU] if symmetric else r.ravel())
        rows.append(np.concatenate(parts))
    return np.asarray(rows)


@dataclass(frozen=True)
class KeyModel:
    """Weights (2, D) for major and minor, the minor bias, and the feature recipe."""

    weights: np.ndarray
    minor_bias: float
    features: tuple[str, ...]
    gamma: float = 0.0

    @classmethod
    def from_json(cls, path: Path) -> "KeyModel":
        payload = json.loads(Path(path).read_text())
        if payload.get("format") != FORMAT:
            raise ValueError(f"{path}: not a {FORMAT} file")
        return cls(weights=np.asarray(payload["weights"], dtype=np.float64),
                   minor_bias=float(payload["minor_bias"]), features=tuple(payload["features"]),
                   gamma=float(payload["gamma"]))

    def to_payload(self) -> dict:
        return {"format": FORMAT, "features": list(self.features), "gamma": self.gamma,
                "minor_bias": round(float(self.minor_bias), 6),
                "weights": np.round(self.weights, 6).tolist()}

    @classmethod
    def load(cls) -> "KeyModel":
        """The shipped model (``assets/key/key_model.json``), loaded once per process."""
        from cinemuse.assets import load_shipped

        return load_shipped(ASSET_NAME, cls.from_json)

    def design(self, chroma: np.ndarray, bass_chroma: np.ndarray) -> np.ndarray:
        return rotated_design(*key_features(chroma, bass_chroma, names=self.features, gamma=self.gamma))

    def logits(self, design: np.ndarray) -> np.ndarray:
        """(24,) scores, majors C..B then minors C..B, of one (12, D) design."""
        return np.concatenate([design @ self.weights[0], design @ self.weights[1] + self.minor_bias])

    def estimate(self, chroma: np.ndarray, bass_chroma: np.ndarray) -> tuple[int, str, float, np.ndarray]:
        """``(tonic, mode, confidence, probabilities)`` of one song's (12, T) chroma.

        ``confidence`` is the softmax probability of the best key minus that of the runner-up
        (0: a tie, 1: no rival); ``probabilities`` (24,) are majors C..B then minors C..B.
        """
        z = self.logits(self.design(chroma, bass_chroma))
        p = np.exp(z - z.max())
        p /= p.sum()
        order = np.argsort(p)[::-1]
        best = int(order[0])
        confidence = float(p[best] - p[order[1]])
        return best % 12, ("major" if best < 12 else "minor"), confidence, p
