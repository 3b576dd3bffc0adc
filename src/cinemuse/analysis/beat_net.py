"""Beat and downbeat activations from the shipped beat network (onnxruntime, no torch).

The network (:mod:`cinemuse.train.beats`: a temporal convolutional network trained here on
annotated renders) reads the 48-band log-mel that
:func:`cinemuse.analysis.song_features.extract_features` keeps per frame, and the song's chroma
and bass chroma brought to the same frames (:func:`harmony`: chords change on the bar line more
often than inside it, which the drums alone leave open between beats 1 and 3), and gives, for
every frame, the probability that a beat and that a bar's first beat falls there.  The tempo,
beats and bars are then read from these curves by :mod:`cinemuse.analysis.rhythm`.

The network ships as two graphs (:func:`cinemuse.train.beats.split_network`): a front end that
turns each frame's log-mel and harmony into 32 features, looking only 3 frames out, and the
dilated blocks that read 47 s of those.  The blocks run over overlapping windows
(:data:`WINDOW` frames with :data:`CONTEXT` frames of context each side, the receptive field),
the front end over short chunks of each window (its 2-D intermediates hold 48 bands per frame),
so memory stays flat however long the song is, and the result equals one pass over the whole
song (within float rounding).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

ASSET = "rhythm/beat_tcn.onnx"  # the dilated blocks and head; the front end beside it
HARMONY_BANDS = 24  # chroma, then bass chroma
# a chroma frame quieter than this fraction of the song's loudest bin reads as silence, not as
# a chord (its pitch classes are scaled by the floor instead of by its own maximum)
HARMONY_FLOOR = 0.02
WINDOW = 16384  # frames scored per run of the blocks (6.3 min at 43 fps: most songs in one)
CONTEXT = 1040  # frames of context each side: more than half the receptive field (1025)
FRONT_CHUNK = 1024  # frames per run of the front end, whose 2-D intermediates are large
FRONT_CONTEXT = 8  # frames of context each side of a front-end chunk (it looks 3 frames out)


def front_path(path) -> Path:
    """The front end's graph beside a network's ``path`` (``x.onnx`` -> ``x.front.onnx``)."""
    path = Path(path)
    return path.with_name(path.stem + ".front.onnx")


def open_session(path):
    """An onnxruntime session for one of the rhythm graphs: one thread, no memory arena."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1  # small convolutions: threads cost more than they give
    options.inter_op_num_threads = 1
    # no arena: it keeps (and rounds up to a power of two) the largest window's
    # intermediates for the life of the process
    options.enable_cpu_mem_arena = False
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def open_network(path) -> tuple:
    """(front end, blocks) onnxruntime sessions of the network whose blocks are at ``path``."""
    return open_session(front_path(path)), open_session(path)


def load_shipped_network() -> tuple:
    """The shipped network's two sessions, made once per process."""
    from cinemuse.assets import load_shipped

    return load_shipped(ASSET, open_network)


@lru_cache(maxsize=4)
def network_at(path: str) -> tuple:
    """The sessions of another export of the network (training's checks), once per path."""
    return open_network(path)


def harmony(chroma: np.ndarray, bass_chroma: np.ndarray, start: int, stop: int) -> np.ndarray:
    """(24, stop - start) float32: chroma and bass chroma at rhythm frames ``start..stop``.

    Each chroma frame is scaled by its own largest bin (so a chord reads the same loud or soft,
    down to :data:`HARMONY_FLOOR` of the song's loudest) and linearly interpolated from the
    chroma hop to the rhythm hop (chroma frame j and rhythm frame i are both centred on their
    hop, so frame i sits at chroma position i * HOP / CHROMA_HOP).
    """
    from cinemuse.analysis.song_features import CHROMA_HOP, HOP

    out = np.zeros((HARMONY_BANDS, max(0, stop - start)), np.float32)
    n = chroma.shape[1]
    if n == 0 or stop <= start:
        return out
    pos = np.arange(start, stop) * (HOP / CHROMA_HOP)
    lo = np.clip(np.floor(pos).astype(int), 0, n - 1)
    hi = np.minimum(lo + 1, n - 1)
    frac = np.clip(pos - lo, 0.0, 1.0).astype(np.float32)
    for row, c in ((0, chroma), (12, bass_chroma)):
        c = np.asarray(c, np.float32)
        floor = HARMONY_FLOOR * float(c.max()) + 1e-9
        window = c[:, lo[0]: hi[-1] + 1]
        window = window / np.maximum(window.max(axis=0, keepdims=True), floor)
        a, b = window[:, lo - lo[0]], window[:, hi - lo[0]]
        out[row:row + 12] = a + frac * (b - a)
    return out


def activations(mel_db: np.ndarray, chroma: np.ndarray, bass_chroma: np.ndarray, *,
                model=None) -> tuple[np.ndarray, np.ndarray]:
    """(beat, downbeat) probabilities per frame, each (T,) float32, from (48, T) log-mel dB and
    the song's (12, Tc) chroma and bass chroma (:class:`~cinemuse.analysis.song_features.SongFeatures`).

    ``model``: path of another ONNX export of the network (training's checks), default the
    shipped one.
    """
    network = load_shipped_network() if model is None else network_at(str(model))
    mel = np.asarray(mel_db)  # float16 as kept; each chunk is converted on its own
    n = mel.shape[1]
    out = np.zeros((2, n), np.float32)
    if n == 0:
        return out[0], out[1]
    for start in range(0, n, WINDOW):
        lo, hi = max(0, start - CONTEXT), min(n, start + WINDOW + CONTEXT)
        features = _front_features(network[0], mel, harmony(chroma, bass_chroma, lo, hi), lo, hi)
        act = network[1].run(None, {"features": features[None]})[0][0]
        end = min(n, start + WINDOW)
        out[:, start:end] = act[:, start - lo: end - lo]
    return out[0], out[1]


def _front_features(front, mel: np.ndarray, harm: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """(channels, hi - lo) front-end features of frames ``lo..hi``, as one run over that window
    gives them (its edges padded as the window's own), computed a chunk at a time."""
    parts = []
    for a in range(lo, hi, FRONT_CHUNK):
        b = min(hi, a + FRONT_CHUNK)
        a0, b0 = max(lo, a - FRONT_CONTEXT), min(hi, b + FRONT_CONTEXT)
        f = front.run(None, {"mel_db": mel[None, :, a0:b0].astype(np.float32),
                             "harmony": np.ascontiguousarray(harm[None, :, a0 - lo:b0 - lo])})[0][0]
        parts.append(f[:, a - a0: b - a0])
    return np.ascontiguousarray(np.concatenate(parts, axis=1))
