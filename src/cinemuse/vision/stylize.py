"""Learned painting styles: the feed-forward network trained by ``cinemuse train style``.

One ONNX network (``assets/vision/style_net.onnx``, see :mod:`cinemuse.train.style` for the
method and its sources) holds every style through conditional instance normalisation; its
metadata lists the styles with the painting, painter and year each was learned from.

The network runs at a *working size* (long side ``WORK_SIDE`` px by default) and the result
is brought back to the photo's size. Two reasons: brush strokes have the scale they were
learned at (96-px crops of photos 96-240 px on their short side, against paintings 384 px on
theirs), so at full 12-megapixel resolution they would shrink to specks; and it keeps a
1920x1080 photo well under a second on two cores (``benchmarks/bench_style.py``). Detail lost
by the resize is not missed: the slideshow shows each photo through a moving crop, and the
strokes are the point. ``strength`` blends the stylised picture with the photo (0 = photo,
1 = painting).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

ASSET_NAME = "vision/style_net.onnx"
WORK_SIDE = 768


@dataclass(frozen=True)
class StyleInfo:
    name: str
    title: str
    artist: str
    year: str

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "artist": self.artist, "year": self.year}


class Stylizer:
    """The shipped style network; thread-safe, numpy in, numpy out."""

    def __init__(self, session, styles: list[StyleInfo]):
        self._session = session
        self._lock = threading.Lock()
        self.styles = styles

    @classmethod
    def load(cls, *, threads: int | None = None) -> "Stylizer":
        """Load the shipped network (cached)."""
        from cinemuse.vision.encoder import default_threads

        return _load_cached(threads or default_threads())

    @classmethod
    def from_file(cls, path, *, threads: int | None = None) -> "Stylizer":
        """A style network other than the shipped one (a candidate from ``cinemuse train style``)."""
        from cinemuse.vision.encoder import make_session

        session = make_session(path, threads=threads)
        meta = session.get_modelmeta().custom_metadata_map
        styles = [StyleInfo(s["name"], s["title"], s["artist"], str(s["year"])) for s in json.loads(meta["styles"])]
        return cls(session, styles)

    def index(self, name: str) -> int:
        names = [s.name for s in self.styles]
        if name not in names:
            raise ValueError(f"unknown style {name!r}; choose from {', '.join(names)}")
        return names.index(name)

    def stylize(self, rgb: np.ndarray, style: str, *, strength: float = 1.0, work_side: int = WORK_SIDE) -> np.ndarray:
        """The photo painted in ``style``.

        Parameters
        ----------
        rgb : np.ndarray, shape (H, W, 3), uint8
        style : str
            One of :attr:`styles`' names.
        strength : float
            0..1, blend with the photo.
        work_side : int
            Long side the network runs at (see the module docstring).

        Returns
        -------
        np.ndarray, shape (H, W, 3), uint8
        """
        import cv2

        if not 0.0 <= strength <= 1.0:
            raise ValueError(f"strength must be in 0..1, got {strength}")
        h, w = rgb.shape[:2]
        s = min(1.0, work_side / max(h, w))
        ww, wh = max(4, round(w * s / 4) * 4), max(4, round(h * s / 4) * 4)  # the network needs multiples of 4
        small = cv2.resize(rgb, (ww, wh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
        weights = np.zeros((1, len(self.styles)), np.float32)
        weights[0, self.index(style)] = 1.0
        x = small.astype(np.float32).transpose(2, 0, 1)[None]
        with self._lock:
            y = self._session.run(None, {"rgb": x, "style": weights})[0][0]
        out = np.clip(y.transpose(1, 2, 0), 0, 255).astype(np.uint8)
        if (ww, wh) != (w, h):
            out = cv2.resize(out, (w, h), interpolation=cv2.INTER_CUBIC if s < 1 else cv2.INTER_AREA)
        if strength < 1.0:
            out = cv2.addWeighted(out, strength, rgb, 1.0 - strength, 0.0)
        return out


@lru_cache(maxsize=2)
def _load_cached(threads: int) -> Stylizer:
    from cinemuse.assets import asset_path

    return Stylizer.from_file(asset_path(ASSET_NAME), threads=threads)


def list_styles() -> list[StyleInfo]:
    """The styles the shipped network knows."""
    return Stylizer.load().styles
