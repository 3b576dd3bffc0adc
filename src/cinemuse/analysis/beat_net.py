"""Beat and downbeat activations from the shipped beat network (onnxruntime, no torch).

The network (:mod:`cinemuse.train.beats`: a temporal convolutional network trained here on
annotated renders) reads the 48-band log-mel that
:func:`cinemuse.analysis.song_features.extract_features` keeps per frame, and the song's chroma
and bass chroma brought to the same frames (:func:`harmony`: chords change on the bar line more
often than inside it, which the drums alone leave open between beats 1 and 3), and gives, for
every frame, the probability that a beat and that a bar's first beat falls there.  The tempo,
beats and bars are then read from these curves by :mod:`cinemuse.analysis.rhythm`.

Long songs are run in overlapping windows (:data:`WINDOW` frames with :data:`CONTEXT` frames
of context each side, the network's receptive field), so memory stays flat however long the
song is, and the result equals one pass over the whole song (within float rounding).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

ASSET = "rhythm/beat_tcn.onnx"
HARMONY_BANDS = 24  # chroma, then bass chroma
# a chroma frame quieter than this fraction of the song's loudest bin reads as silence, not as
# a chord (its pitch classes are scaled by the floor instead of by its own maximum)
HARMONY_FLOOR = 0.02
WINDOW = 8192  # frames scored per run (3.2 min at 43 fps)
CONTEXT = 1040  # frames of context each side: more than half the receptive field (1025)


def _open_session(path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1  # small convolutions: threads cost more than they give
    options.inter_op_num_threads = 1
    # no arena: it keeps (and rounds up to a power of two) the largest window's
    # intermediates for the life of the process
    options.enable_cpu_mem_arena = False
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def load_shipped_session():
    """The shipped network's onnxruntime session, made once per process."""
    from cinemuse.assets import load_shipped

    return load_shipped(ASSET, _open_session)


@lru_cache(maxsize=4)
def _session_at(path: str):
    """A session for another export of the network (training's checks), once per path."""
    return _open_session(path)


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
    session = load_shipped_session() if model is None else _session_at(str(model))
    mel = np.asarray(mel_db)  # float16 as kept; each window is converted on its own
    n = mel.shape[1]
    out = np.zeros((2, n), np.float32)
    if n == 0:
        return out[0], out[1]
    for start in range(0, n, WINDOW):
        lo, hi = max(0, start - CONTEXT), min(n, start + WINDOW + CONTEXT)
        inputs = {"mel_db": mel[None, :, lo:hi].astype(np.float32),
                  "harmony": harmony(chroma, bass_chroma, lo, hi)[None]}
        act = session.run(None, inputs)[0][0]
        end = min(n, start + WINDOW)
        out[:, start:end] = act[:, start - lo: end - lo]
    return out[0], out[1]
