"""Colour-space helpers: the sRGB transfer function, CIE Lab (D65, sRGB), CIEDE2000 and the
Hasler–Süsstrunk colourfulness.

Lab conversions go through OpenCV (a run-time dependency already) on float32 input, which
gives L in 0..100 and a, b in about -128..127 — the same numbers as ``skimage.color``.
CIEDE2000 is written out here in numpy (Sharma, Wu & Dalal 2005) rather than taken from
scikit-image, so that running the product never needs scikit-image; the tests compare the
two.
"""

from __future__ import annotations

import numpy as np


def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """The sRGB decoding (IEC 61966-2-1): encoded 0..1 -> linear light 0..1, same shape.

    Floating input keeps its precision (float32 stays float32); anything else becomes float64.
    """
    c = np.asarray(values)
    if not np.issubdtype(c.dtype, np.floating):
        c = c.astype(np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(values: np.ndarray) -> np.ndarray:
    """The sRGB encoding: linear light 0..1 -> encoded 0..1 (the inverse of :func:`srgb_to_linear`)."""
    x = np.asarray(values)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB (H, W, 3) uint8 (or float in 0..1) -> Lab (H, W, 3) float32, L 0..100."""
    import cv2

    x = np.asarray(rgb)
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    return cv2.cvtColor(np.ascontiguousarray(x), cv2.COLOR_RGB2Lab)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """Lab (H, W, 3) float -> sRGB (H, W, 3) uint8; out-of-gamut colours are clipped."""
    import cv2

    rgb = cv2.cvtColor(np.ascontiguousarray(lab, dtype=np.float32), cv2.COLOR_Lab2RGB)
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Lab lightness L (H, W) float32 in 0..100 of an RGB or greyscale image."""
    x = np.asarray(rgb)
    if x.ndim == 2:
        x = np.repeat(x[..., None], 3, axis=2)
    return rgb_to_lab(x)[..., 0]


def grey_from_lightness(lightness: np.ndarray) -> np.ndarray:
    """Neutral grey RGB (H, W, 3) uint8 with the given Lab lightness (H, W) in 0..100."""
    lab = np.zeros(lightness.shape + (3,), np.float32)
    lab[..., 0] = lightness
    return lab_to_rgb(lab)


def to_grey(rgb: np.ndarray) -> np.ndarray:
    """Drop the chroma of an RGB image, keeping its Lab lightness: (H, W, 3) uint8."""
    return grey_from_lightness(luminance(rgb))


def is_greyscale(rgb: np.ndarray, *, tolerance: float = 3.0) -> bool:
    """True when an RGB image carries (almost) no colour: mean Lab chroma below ``tolerance``."""
    x = np.asarray(rgb)
    if x.ndim == 2:
        return True
    step = max(1, int(np.sqrt(x.shape[0] * x.shape[1] / 65536)))
    lab = rgb_to_lab(x[::step, ::step])
    return float(np.hypot(lab[..., 1], lab[..., 2]).mean()) < tolerance


def delta_e_2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference of two Lab arrays (..., 3) -> (...) float64.

    Follows Sharma, Wu & Dalal (2005) with kL = kC = kH = 1.
    """
    lab1 = np.asarray(lab1, dtype=np.float64)
    lab2 = np.asarray(lab2, dtype=np.float64)
    L1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    L2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    c_bar7 = ((c1 + c2) / 2) ** 7
    g = 0.5 * (1 - np.sqrt(c_bar7 / (c_bar7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360

    dL = L2 - L1
    dC = c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, dh)
    dh = np.where(dh < -180, dh + 360, dh)
    dh = np.where(c1p * c2p == 0, 0.0, dh)
    dH = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh) / 2)

    L_bar = (L1 + L2) / 2
    c_bar_p = (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_bar = np.where(np.abs(h1p - h2p) > 180, np.where(h_sum < 360, h_sum + 360, h_sum - 360), h_sum) / 2
    h_bar = np.where(c1p * c2p == 0, h_sum, h_bar)
    t = (
        1
        - 0.17 * np.cos(np.radians(h_bar - 30))
        + 0.24 * np.cos(np.radians(2 * h_bar))
        + 0.32 * np.cos(np.radians(3 * h_bar + 6))
        - 0.20 * np.cos(np.radians(4 * h_bar - 63))
    )
    d_theta = 30 * np.exp(-(((h_bar - 275) / 25) ** 2))
    c_bar_p7 = c_bar_p**7
    r_c = 2 * np.sqrt(c_bar_p7 / (c_bar_p7 + 25.0**7))
    s_l = 1 + 0.015 * (L_bar - 50) ** 2 / np.sqrt(20 + (L_bar - 50) ** 2)
    s_c = 1 + 0.045 * c_bar_p
    s_h = 1 + 0.015 * c_bar_p * t
    r_t = -np.sin(np.radians(2 * d_theta)) * r_c
    return np.sqrt(
        (dL / s_l) ** 2 + (dC / s_c) ** 2 + (dH / s_h) ** 2 + r_t * (dC / s_c) * (dH / s_h)
    )


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Süsstrunk (2003) colourfulness M of an RGB image (0 = grey; ~30+ = quite colourful).

    ``rg = R - G``, ``yb = (R + G)/2 - B`` on the 0..255 scale; ``M = sigma_rgyb + 0.3 mu_rgyb``.
    """
    return float(colourfulness_batch(np.asarray(rgb).reshape(1, -1, 3))[0])


def colourfulness_batch(images: np.ndarray) -> np.ndarray:
    """:func:`colourfulness` of each of ``images``, shape (B, ..., 3) on 0..255 -> (B,)."""
    x = np.asarray(images, dtype=np.float64).reshape(len(images), -1, 3)
    rg = x[..., 0] - x[..., 1]
    yb = 0.5 * (x[..., 0] + x[..., 1]) - x[..., 2]
    return np.hypot(rg.std(1), yb.std(1)) + 0.3 * np.hypot(rg.mean(1), yb.mean(1))


def psnr(a: np.ndarray, b: np.ndarray, *, peak: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB of two same-shaped arrays."""
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(peak**2 / mse)


def guided_filter(guide: np.ndarray, src: np.ndarray, *, radius: int, eps: float) -> np.ndarray:
    """Edge-preserving smoothing of ``src`` steered by ``guide`` (He, Sun & Tang 2010).

    Parameters
    ----------
    guide : np.ndarray, shape (H, W), float32 (e.g. lightness scaled to 0..1)
    src : np.ndarray, shape (H, W) or (H, W, C), float32
    radius : int
        Box radius in pixels.
    eps : float
        Regularisation: larger = smoother, in squared guide units.

    Returns
    -------
    np.ndarray, same shape as ``src``, float32
    """
    a, b = guided_filter_coefficients(guide, src, radius=radius, eps=eps)
    guide = guide.astype(np.float32)
    return a * (guide[..., None] if a.ndim == 3 else guide) + b


def guided_filter_coefficients(
    guide: np.ndarray, src: np.ndarray, *, radius: int, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """The guided filter's smoothed linear model: ``src ~ a * guide + b`` per pixel.

    Returned apart so that they can be fitted at a small size and upsampled before being
    applied to a large guide (He & Sun 2015, "fast guided filter").

    Returns
    -------
    (a, b) : np.ndarray, each the shape of ``src``, float32
    """
    import cv2

    size = (2 * radius + 1, 2 * radius + 1)

    def box(x):
        return cv2.boxFilter(x, -1, size, borderType=cv2.BORDER_REFLECT)

    guide = guide.astype(np.float32)
    src = src.astype(np.float32)
    mean_i = box(guide)
    var_i = box(guide * guide) - mean_i * mean_i
    if src.ndim == 3:  # one pair of coefficients per channel
        mean_i, var_i, guide = mean_i[..., None], var_i[..., None], guide[..., None]
    mean_p = box(src)
    cov = box(guide * src) - mean_i * mean_p
    a = cov / (var_i + eps)
    b = mean_p - a * mean_i
    return box(a), box(b)
