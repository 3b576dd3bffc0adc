"""Title text set legibly over a picture: bundled DejaVu Sans Bold (with the fallback fonts of
:mod:`cinemuse.vision.fonts` for other scripts), white, on a soft dark halo.

The halo (the text's own shape, blurred and darkened under it) keeps white text readable
over any background — bright sky or busy texture — without a box, as video titles do.
"""

from __future__ import annotations

import numpy as np


def wrap(text: str, font, max_width: float) -> list[str]:
    lines = [""]
    for word in text.split():
        trial = (lines[-1] + " " + word).strip()
        if font.getlength(trial) <= max_width or not lines[-1]:
            lines[-1] = trial
        else:
            lines.append(word)
    return lines


def draw_title(rgb: np.ndarray, text: str, *, position: str = "centre", scale: float = 0.085) -> np.ndarray:
    """A copy of ``rgb`` with ``text`` on it; ``position`` "centre" or "bottom"; ``scale``: letter height / short side."""
    from PIL import Image, ImageDraw, ImageFilter

    from cinemuse.vision.fonts import ChainFont, chain_font

    h, w = rgb.shape[:2]
    size = max(16, int(scale * min(w, h)))
    font = chain_font(text, size)
    while True:  # shrink until the longest word fits
        lines = wrap(text, font, 0.86 * w)
        if max(font.getlength(line) for line in lines) <= 0.9 * w or size <= 12:
            break
        size = int(size * 0.9)
        font = ChainFont(font.chain, size)
    line_h = int(size * 1.25)
    block = line_h * len(lines)
    y0 = (h - block) // 2 if position == "centre" else int(h * 0.92) - block
    img = Image.fromarray(np.ascontiguousarray(rgb))
    halo = Image.new("L", (w, h), 0)
    dh = ImageDraw.Draw(halo)
    spots = [((w - font.getlength(line)) / 2, y0 + i * line_h, line) for i, line in enumerate(lines)]
    for x, y, line in spots:
        font.draw(dh, (x, y), line, fill=255, stroke_width=max(2, size // 10), stroke_fill=255)
    halo = halo.filter(ImageFilter.GaussianBlur(max(2, size // 6))).point(lambda v: int(v * 0.8))
    img = Image.composite(Image.new("RGB", (w, h), (0, 0, 0)), img, halo)
    draw = ImageDraw.Draw(img)
    for x, y, line in spots:
        font.draw(draw, (x, y), line, fill=(250, 248, 240))
    return np.asarray(img)
