"""Photographic grades ("looks") for slideshows: no learning, a few curves each.

Every look is per-channel tone curves (applied as 8-bit lookup tables), a saturation
change, and optionally a vignette and a fixed grain, chosen to echo familiar film and
photo-app grades:

=========  ==========================================================================
``film``   gentle S-curve, lifted blacks, warm highlights and cool shadows (split
           toning), slight desaturation, vignette, fine grain
``warm``   white balance towards 4000 K-ish amber (+red, -blue), a little more
           saturation
``cool``   towards blue (-red, +blue), slightly less saturation, a touch more contrast
``faded``  matte: blacks lifted to ~14 %, whites pulled down, low contrast and
           saturation, soft vignette
``mono``   luminance (Rec. 709 weights) with a moderate S-curve, vignette, fine grain
``none``   the photo as it is
=========  ==========================================================================

The look is applied once per photo (before the camera move); the vignette belongs to the
frame, so it is applied per frame by :meth:`Look.vignette_map` multiplication.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

LOOKS = ("none", "film", "warm", "cool", "faded", "mono")


@dataclass(frozen=True)
class Look:
    name: str
    gains: tuple[float, float, float] = (1.0, 1.0, 1.0)  # white balance, per channel
    contrast: float = 0.0  # S-curve strength, -1..1
    black: float = 0.0  # output level of black, 0..1
    white: float = 1.0  # output level of white
    saturation: float = 1.0
    split: float = 0.0  # warm highlights / cool shadows
    mono: bool = False
    vignette: float = 0.0  # darkening at the corners, 0..1
    grain: float = 0.0  # std of the fixed grain, in 0..1 units


_LOOKS = {
    "none": Look("none"),
    "film": Look("film", gains=(1.03, 1.0, 0.96), contrast=0.35, black=0.05, white=0.97, saturation=0.9,
                 split=0.04, vignette=0.28, grain=0.018),
    "warm": Look("warm", gains=(1.08, 1.01, 0.88), contrast=0.12, saturation=1.08, vignette=0.1),
    "cool": Look("cool", gains=(0.92, 1.0, 1.08), contrast=0.2, saturation=0.92, vignette=0.1),
    "faded": Look("faded", gains=(1.02, 1.0, 0.97), contrast=-0.25, black=0.14, white=0.92, saturation=0.7,
                  vignette=0.18),
    "mono": Look("mono", contrast=0.3, black=0.02, mono=True, vignette=0.3, grain=0.015),
}


def get_look(name: str) -> Look:
    try:
        return _LOOKS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown look {name!r}; choose from {', '.join(LOOKS)}") from None


def _curve(look: Look, channel: int) -> np.ndarray:
    x = np.linspace(0.0, 1.0, 256)
    y = np.clip(x * look.gains[channel], 0, 1)
    if look.contrast:
        s = 0.5 - 0.5 * np.cos(np.pi * y)  # a smooth S through (0.5, 0.5)
        y = y + look.contrast * (s - y)
    if look.split:
        sign = (1.0, 0.0, -1.0)[channel]  # red up in highlights, blue up in shadows
        y = y + look.split * sign * (y - 0.5) * 2.0 * np.where(y > 0.5, 1.0, 0.6)
    y = look.black + (look.white - look.black) * np.clip(y, 0, 1)
    return np.clip(np.round(y * 255.0), 0, 255).astype(np.uint8)


@lru_cache(maxsize=16)
def _tables(look: Look) -> np.ndarray:
    return np.stack([_curve(look, c) for c in range(3)], axis=1)[:, None, :]  # (256, 1, 3) for cv2.LUT


def apply_look(rgb: np.ndarray, look: Look, *, seed: int = 0) -> np.ndarray:
    """The graded photo (uint8 RGB, same size); the vignette is not included (see :func:`vignette_map`)."""
    import cv2

    if look.name == "none":
        return rgb
    x = rgb
    if look.mono:
        grey = cv2.cvtColor(x, cv2.COLOR_RGB2GRAY)  # Rec. 601 luma; close enough for a grade
        x = np.repeat(grey[:, :, None], 3, axis=2)
    elif look.saturation != 1.0:
        grey = cv2.cvtColor(x, cv2.COLOR_RGB2GRAY)[:, :, None].astype(np.float32)
        x = np.clip(grey + (x.astype(np.float32) - grey) * look.saturation, 0, 255).astype(np.uint8)
    x = cv2.LUT(np.ascontiguousarray(x), _tables(look))
    if look.grain:
        rng = np.random.default_rng(seed)
        noise = rng.normal(0.0, look.grain * 255.0, x.shape[:2]).astype(np.float32)
        x = np.clip(x.astype(np.float32) + noise[:, :, None], 0, 255).astype(np.uint8)
    return x


@lru_cache(maxsize=4)
def vignette_map(look: Look, width: int, height: int) -> np.ndarray | None:
    """(H, W, 3) uint8 gains for a frame (255 = 1, at the centre), or None for no vignette.

    Apply with ``cv2.multiply(frame, vmap, scale=1 / 255)``: 8-bit, a few ms per 1080p frame.
    """
    if not look.vignette:
        return None
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r2 = ((xx - width / 2) / (width / 2)) ** 2 + ((yy - height / 2) / (height / 2)) ** 2
    g = 1.0 - look.vignette * np.clip(r2 / 2.0, 0, 1) ** 1.5
    return np.repeat(np.round(g * 255.0)[:, :, None], 3, axis=2).astype(np.uint8)
