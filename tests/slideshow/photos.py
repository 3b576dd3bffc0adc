"""Photos for the slideshow tests, made in code: distinct scenes, EXIF dates and orientation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def scene(seed: int, size=(320, 240)) -> np.ndarray:
    """A distinct picture: smooth colour fields plus a few bright shapes (something salient)."""
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([
        127 + 100 * np.sin(xx / w * rng.uniform(2, 7) + rng.uniform(0, 6)),
        127 + 100 * np.sin(yy / h * rng.uniform(2, 7) + rng.uniform(0, 6)),
        127 + 100 * np.sin((xx + yy) / (w + h) * rng.uniform(2, 9) + rng.uniform(0, 6)),
    ], axis=2)
    for _ in range(3):
        cx, cy, r = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h, rng.uniform(0.05, 0.15) * w
        mask = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
        base[mask] = rng.uniform(0, 255, 3)
    return np.clip(base, 0, 255).astype(np.uint8)


def write_photo(path: Path, rgb: np.ndarray, *, taken: str | None = None, orientation: int | None = None) -> Path:
    img = Image.fromarray(rgb)
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
        img = img.transpose(Image.Transpose.ROTATE_90) if orientation == 6 else img
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken
    img.save(path, quality=92, exif=exif.tobytes())
    return path


def album(folder: Path, n: int = 4, size=(320, 240)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [write_photo(folder / f"p{i:02d}.jpg", scene(i, size), taken=f"2026:07:0{1 + i} 10:00:00") for i in range(n)]
