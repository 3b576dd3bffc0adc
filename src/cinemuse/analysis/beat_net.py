"""Beat and downbeat activations from the shipped beat network (onnxruntime, no torch).

The network (:mod:`cinemuse.train.beats`: a temporal convolutional network trained here on
annotated renders) reads the 48-band log-mel that
:func:`cinemuse.analysis.song_features.extract_features` keeps per frame and gives, for every
frame, the probability that a beat and that a bar's first beat falls there.  The tempo, beats
and bars are then read from these curves by :mod:`cinemuse.analysis.rhythm`.

Long songs are run in overlapping windows (:data:`WINDOW` frames with :data:`CONTEXT` frames
of context each side, the network's receptive field), so memory stays flat however long the
song is, and the result equals one pass over the whole song (within float rounding).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

ASSET = "rhythm/beat_tcn.onnx"
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


def activations(mel_db: np.ndarray, *, model=None) -> tuple[np.ndarray, np.ndarray]:
    """(beat, downbeat) probabilities per frame, each (T,) float32, from (48, T) log-mel dB.

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
        act = session.run(None, {"mel_db": mel[None, :, lo:hi].astype(np.float32)})[0][0]
        end = min(n, start + WINDOW)
        out[:, start:end] = act[:, start - lo: end - lo]
    return out[0], out[1]
