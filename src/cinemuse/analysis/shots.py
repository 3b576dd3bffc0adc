"""Per-shot semantic descriptors, mapped into the melody model's latent space.

As in SCORE! (seed 001): a representative frame of each shot goes through a pretrained image
classifier's feature extractor (here the shared EfficientNet-Lite0 ImageNet encoder,
:class:`cinemuse.vision.encoder.ImageEncoder`, 1280-d pooled features), the features are
PCA-whitened over the video, and the whitened coordinates are carried into the music latent
space by a fixed, seeded linear map. Whitening makes the directions along which *this*
video's shots differ count equally; the linear map keeps distances (up to scale), so shots
that look alike get nearby latents (related music) and different-looking shots get far-apart
latents (different music).

Functions are numpy in, numpy out::

    frames = representative_frames(analysis, spans)      # one small RGB frame per span
    feats = embed_frames(frames)                          # (n, 1280)
    white = whiten(feats)                                 # (n, k), k <= 16
    latents = project_to_latent(white, latent_dim=256)    # (n, latent_dim), ~N(0, 1) per dim
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from cinemuse.analysis.video import VideoAnalysis

MAX_COMPONENTS = 16  # whitened dimensions kept (a video rarely has more independent looks)
PROJECTION_SEED = 20240601  # fixed: the same look maps to the same latent in every video


def representative_frames(
    analysis: VideoAnalysis, spans: Sequence[tuple[float, float]]
) -> list[np.ndarray]:
    """One stored keyframe per span (start, end) in seconds: the one nearest the span's middle,
    preferring frames that are not inside a gradual transition.

    Returns a list of RGB uint8 arrays (h, w, 3); a span with no stored frame inside gets the
    nearest one in time.
    """
    if not analysis.keyframes:
        raise ValueError("the analysis kept no keyframes (analyze with keep_keyframes=True)")
    kt = np.array([t for t, _ in analysis.keyframes])
    in_transition = np.zeros(len(kt), bool)
    for tr in analysis.transitions:
        in_transition |= (kt >= tr.start) & (kt <= tr.end)
    out = []
    for start, end in spans:
        middle = 0.5 * (start + end)
        inside = (kt >= start) & (kt < end)
        cost = np.abs(kt - middle) + np.where(inside, 0.0, 1e3) + np.where(in_transition, 10.0, 0.0)
        out.append(analysis.keyframes[int(np.argmin(cost))][1])
    return out


def embed_frames(frames: Sequence[np.ndarray], *, encoder=None, batch: int = 8) -> np.ndarray:
    """Pooled ImageNet features of each frame, shape (n, 1280) float32."""
    if encoder is None:
        from cinemuse.vision.encoder import ImageEncoder

        encoder = ImageEncoder.load()
    if not frames:
        return np.zeros((0, 1280), np.float32)
    parts = [encoder.embed_batch(list(frames[i : i + batch])) for i in range(0, len(frames), batch)]
    return np.concatenate(parts).astype(np.float32)


def whiten(
    features: np.ndarray, *, max_components: int = MAX_COMPONENTS, floor: float = 2.0
) -> np.ndarray:
    """PCA-whiten features over the video (rows = shots).

    Each principal direction is divided by ``sqrt(eigenvalue + reg)``, where ``reg`` is at
    least ``floor`` (in squared feature units) and 5 % of the mean kept eigenvalue. Without
    it, a video whose shots all look alike would have its tiny differences blown up to unit
    variance and get unrelated music for near-identical shots.

    Parameters
    ----------
    features : ndarray, shape (n, d)
    max_components : int

    Returns
    -------
    ndarray, shape (n, k), k = min(n - 1, max_components) (at least 1)
    """
    x = np.asarray(features, np.float64)
    n = len(x)
    if n < 2:
        return np.zeros((n, 1))
    centred = x - x.mean(0)
    # PCA through the small n x n Gram matrix (n shots << 1280 features)
    u, sing, _ = np.linalg.svd(centred, full_matrices=False)
    k = max(1, min(n - 1, max_components))
    eig = sing[:k] ** 2 / (n - 1)
    reg = max(floor, 0.05 * float(eig.mean()))
    scores = u[:, :k] * sing[:k]  # (n, k) coordinates on the principal axes
    return scores / np.sqrt(eig + reg)


def project_to_latent(
    whitened: np.ndarray, *, latent_dim: int, seed: int = PROJECTION_SEED
) -> np.ndarray:
    """Map whitened shot coordinates into a latent space with a fixed Gaussian random matrix.

    A random Gaussian map preserves distances up to a common scale (Johnson-Lindenstrauss),
    so neighbourhoods among shots become neighbourhoods among latents; entries of variance
    1/k give latents with about unit variance per dimension, like the melody model's prior.

    Returns
    -------
    ndarray, shape (n, latent_dim)
    """
    w = np.asarray(whitened, np.float64)
    k = w.shape[1]
    rng = np.random.default_rng(seed)
    R = rng.standard_normal((MAX_COMPONENTS, latent_dim))[:k] / np.sqrt(k)
    return w @ R


def shot_latents(
    analysis: VideoAnalysis,
    spans: Sequence[tuple[float, float]],
    *,
    latent_dim: int,
    encoder=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Latent vectors for each span of the video, and the raw features they came from.

    Returns
    -------
    latents : ndarray, shape (n_spans, latent_dim)
    features : ndarray, shape (n_spans, 1280)
    """
    frames = representative_frames(analysis, spans)
    feats = embed_frames(frames, encoder=encoder)
    return project_to_latent(whiten(feats), latent_dim=latent_dim), feats
