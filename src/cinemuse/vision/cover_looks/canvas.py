"""Drawing helpers shared by the cover looks: a float canvas, antialiased shapes, gradients.

Everything is drawn at the final resolution (3000x3000 for a store cover) with OpenCV's
antialiased primitives at 1/16-pixel precision, so edges are crisp at full size: nothing
is drawn small and scaled up.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SHIFT = 4  # OpenCV fixed-point: coordinates are multiplied by 2**SHIFT (1/16 px precision)
_SCALE = 1 << SHIFT


@dataclass
class Palette:
    """Colours of one cover, sRGB floats 0..1.

    background, background2 : the two ends of the background gradient
    inks : (k, 3) foreground colours, ordered from the most to the least used
    accent : a small-area contrast colour
    """

    background: np.ndarray
    background2: np.ndarray
    inks: np.ndarray
    accent: np.ndarray

    def ink(self, i: int) -> np.ndarray:
        return self.inks[i % len(self.inks)]


class Canvas:
    """An RGB uint8 image plus helpers that take float coordinates in pixels."""

    def __init__(self, width: int, height: int):
        self.width, self.height = int(width), int(height)
        self.unit = float(min(width, height))  # shapes scale with the short side
        self.image = np.zeros((self.height, self.width, 3), dtype=np.uint8)
        # where the looks place their main motif; the cover shrinks it to keep a band free
        # for the title and artist (backgrounds still fill the whole canvas)
        self.frame = (0.0, 0.0, float(width), float(height))

    # --- fills
    def fill_gradient(self, top: np.ndarray, bottom: np.ndarray, *, angle_deg: float = 90.0,
                      radial: bool = False, centre: tuple[float, float] = (0.5, 0.4)) -> None:
        """Linear (or radial) gradient between two colours, dithered against 8-bit banding.

        The smooth ramp is computed at 1/8 size and enlarged (a gradient has no detail to
        lose); the dither is added at full size.
        """
        h, w = self.height, self.width
        hs, ws = max(2, h // 8), max(2, w // 8)
        ys = np.linspace(0.0, 1.0, hs, dtype=np.float32)[:, None]
        xs = np.linspace(0.0, 1.0, ws, dtype=np.float32)[None, :]
        if radial:
            aspect = w / h
            t = np.sqrt(((xs - centre[0]) * aspect) ** 2 + (ys - centre[1]) ** 2) / 0.9
        else:
            a = np.deg2rad(angle_deg)
            t = xs * np.cos(a) + ys * np.sin(a)
            t = (t - t.min()) / (t.max() - t.min() + 1e-9)
        t = np.clip(t, 0, 1)
        t = t * t * (3 - 2 * t)  # smoothstep: softer ends
        top255 = np.asarray(top, np.float32) * 255.0
        bottom255 = np.asarray(bottom, np.float32) * 255.0
        small = top255 + (bottom255 - top255) * t[..., None]  # (hs, ws, 3)
        big = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        # ordered dither (4x4 Bayer) of +-0.5 LSB breaks 8-bit banding in slow gradients
        bayer = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]],
                         dtype=np.float32) / 16.0 - 0.47
        big += np.tile(bayer, (h // 4 + 1, w // 4 + 1))[:h, :w, None]
        np.clip(big, 0, 255, out=big)
        self.image[:] = big

    # --- primitives (float pixel coordinates, colours as 0..1 floats)
    @staticmethod
    def _col(colour) -> tuple[int, int, int]:
        c = np.clip(np.asarray(colour, dtype=np.float64) * 255.0 + 0.5, 0, 255)
        return int(c[0]), int(c[1]), int(c[2])

    @staticmethod
    def _pts(points: np.ndarray) -> np.ndarray:
        return np.round(np.asarray(points, dtype=np.float64) * _SCALE).astype(np.int32)

    def polygon(self, points: np.ndarray, colour, *, alpha: float = 1.0) -> None:
        """Filled antialiased polygon; ``alpha`` < 1 blends it over what is there."""
        pts = np.asarray(points, dtype=np.float64)
        self._draw(lambda img, o: cv2.fillPoly(img, [self._pts(pts - o)], self._col(colour),
                                               cv2.LINE_AA, SHIFT), pts, alpha)

    def polyline(self, points: np.ndarray, colour, thickness: float, *, closed: bool = False,
                 alpha: float = 1.0) -> None:
        """Antialiased polyline of ``thickness`` pixels."""
        t = max(1, int(round(thickness)))
        pts = np.asarray(points, dtype=np.float64)
        self._draw(lambda img, o: cv2.polylines(img, [self._pts(pts - o)], closed,
                                                self._col(colour), t, cv2.LINE_AA, SHIFT),
                   pts, alpha, pad=t)

    def polylines(self, lines: list[np.ndarray], colour, thickness: float) -> None:
        """Many opaque polylines in one colour in one call (fast)."""
        if not lines:
            return
        t = max(1, int(round(thickness)))
        cv2.polylines(self.image, [self._pts(p) for p in lines], False, self._col(colour), t,
                      cv2.LINE_AA, SHIFT)

    def circle(self, centre, radius: float, colour, *, thickness: float = -1,
               alpha: float = 1.0) -> None:
        """Antialiased disc (``thickness`` < 0) or ring."""
        cx, cy = float(centre[0]), float(centre[1])
        t = -1 if thickness < 0 else max(1, int(round(thickness)))
        box = np.array([[cx - radius, cy - radius], [cx + radius, cy + radius]])

        def draw(img, o):
            c = (int(round((cx - o[0]) * _SCALE)), int(round((cy - o[1]) * _SCALE)))
            cv2.circle(img, c, int(round(radius * _SCALE)), self._col(colour), t, cv2.LINE_AA,
                       SHIFT)

        self._draw(draw, box, alpha, pad=max(t, 2))

    def arc(self, centre, radius: float, start_deg: float, end_deg: float, colour,
            thickness: float, *, alpha: float = 1.0) -> None:
        """Antialiased arc drawn as a fine polyline (angles clockwise from 3 o'clock)."""
        n = max(8, int(abs(end_deg - start_deg) / 360.0 * radius * 0.5))
        a = np.deg2rad(np.linspace(start_deg, end_deg, n))
        pts = np.stack([centre[0] + radius * np.cos(a), centre[1] + radius * np.sin(a)], 1)
        self.polyline(pts, colour, thickness, alpha=alpha)

    def _draw(self, fn, points, alpha: float, pad: int = 2) -> None:
        """Run ``fn(image, offset)``; with ``alpha`` < 1 draw on a crop and blend it back."""
        if alpha >= 1.0:
            fn(self.image, np.zeros(2))
            return
        # blend only inside the shape's bounding box, not over the whole canvas
        p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        img = self.image
        x0 = int(max(0, np.floor(p[:, 0].min()) - pad - 2))
        y0 = int(max(0, np.floor(p[:, 1].min()) - pad - 2))
        x1 = int(min(img.shape[1], np.ceil(p[:, 0].max()) + pad + 3))
        y1 = int(min(img.shape[0], np.ceil(p[:, 1].max()) + pad + 3))
        if x1 <= x0 or y1 <= y0:
            return
        roi = img[y0:y1, x0:x1]
        layer = roi.copy()
        fn(layer, np.array([x0, y0], dtype=np.float64))
        cv2.addWeighted(layer, alpha, roi, 1.0 - alpha, 0.0, dst=roi)


def smooth_curve(values: np.ndarray, n_out: int, *, sigma: float = 1.0) -> np.ndarray:
    """Resample a 1-D series to ``n_out`` points, Gaussian-smoothed (sigma in input samples)."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) == 0:
        return np.zeros(n_out)
    if sigma > 0 and len(v) > 2:
        r = max(1, int(3 * sigma))
        k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
        k /= k.sum()
        v = np.convolve(np.pad(v, r, mode="edge"), k, mode="valid")
    x_in = np.linspace(0.0, 1.0, len(v))
    return np.interp(np.linspace(0.0, 1.0, n_out), x_in, v)
