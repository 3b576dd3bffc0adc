"""The ``restore`` job: an old photo or a scanned negative in, a cleaned picture out."""

from __future__ import annotations

import time
from pathlib import Path

from cinemuse.progress import SILENT


def restore_file(
    input_path: str | Path,
    output_path: str | Path,
    *,
    steps: list[str] | None = None,
    negative: str | None = None,
    fill_mask_path: str | Path | None = None,
    force: bool = False,
    progress=SILENT,
) -> dict:
    """Restore a picture file; ``steps=None`` lets the picture's measurements choose the steps.

    Returns a summary dict: the steps run, what they found, and the output path.
    """
    import numpy as np

    from cinemuse.errors import BadInputError
    from cinemuse.io.atomic import check_input_file, check_output_path
    from cinemuse.io.image import read_image, write_image
    from cinemuse.vision.restore import restore_image

    src = check_input_file(input_path)
    check_output_path(output_path, force=force)
    start = time.perf_counter()
    rgb = read_image(src)
    mask = None
    if fill_mask_path is not None:
        mask_rgb = read_image(check_input_file(fill_mask_path))
        if mask_rgb.shape[:2] != rgb.shape[:2]:
            raise BadInputError(fill_mask_path, f"mask is {mask_rgb.shape[1]}x{mask_rgb.shape[0]} but the picture is "
                                                f"{rgb.shape[1]}x{rgb.shape[0]}")
        mask = mask_rgb.max(axis=2) > 127  # white = missing
        if not np.any(mask):
            raise BadInputError(fill_mask_path, "mask has no white (missing) pixels")
    out, report = restore_image(rgb, steps=steps, negative=negative, fill_mask=mask, progress=progress)
    write_image(output_path, out, force=force)
    return {"output": str(output_path), **report, "seconds": round(time.perf_counter() - start, 2)}
