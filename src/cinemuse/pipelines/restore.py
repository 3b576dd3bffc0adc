"""The ``restore`` job: an old photo or a scanned negative in, a cleaned picture out."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cinemuse.pipelines.results import Result
from cinemuse.progress import SILENT

MIN_SIDE = 16  # pixels; the smallest picture whose noise and JPEG blocks can be measured


@dataclass(frozen=True)
class RestoreResult(Result):
    """What :func:`restore_file` did: the ``steps`` run in order and the ``report`` of what
    they measured and found (``analysis`` when the steps were chosen automatically,
    ``noise_sigma``, ``defect_pixels``, ``filled_pixels``)."""

    output: str
    steps: tuple[str, ...]
    report: dict[str, Any]
    seconds: float

    @property
    def files(self) -> dict[str, str]:
        return {"output": self.output}

    def to_dict(self) -> dict[str, Any]:  # the report's entries at the top level, as before
        return {"output": self.output, **self.report, "steps": list(self.steps),
                "seconds": self.seconds}


def restore_image(image, *, steps: list[str] | None = None, negative: str | None = None,
                  fill_mask=None, progress=SILENT):
    """Restore a picture (an RGB uint8 array or a picture file).

    Returns ``(restored RGB uint8 array, report dict)``; ``steps=None`` lets the picture's
    measurements choose the steps. See :func:`cinemuse.vision.restore.restore_image`.
    """
    import numpy as np

    from cinemuse.vision.restore import restore_image as restore_array

    if not isinstance(image, np.ndarray):
        from cinemuse.io.atomic import check_input_file
        from cinemuse.io.image import read_image

        image = read_image(check_input_file(image))
    return restore_array(image, steps=steps, negative=negative, fill_mask=fill_mask, progress=progress)


def restore_file(
    input_path: str | Path,
    output_path: str | Path,
    *,
    steps: list[str] | None = None,
    negative: str | None = None,
    fill_mask_path: str | Path | None = None,
    force: bool = False,
    progress=SILENT,
) -> RestoreResult:
    """Restore a picture file; ``steps=None`` lets the picture's measurements choose the steps."""
    import numpy as np

    from cinemuse.errors import BadInputError
    from cinemuse.io.atomic import OutputSet, check_input_file
    from cinemuse.io.image import read_image, write_image
    from cinemuse.vision.restore import restore_image

    src = check_input_file(input_path)
    inputs = [src] + ([check_input_file(fill_mask_path)] if fill_mask_path is not None else [])
    OutputSet(force=force, inputs=inputs).add(output_path, what="-o")  # checked before any work
    start = time.perf_counter()
    rgb = read_image(src)
    if min(rgb.shape[:2]) < MIN_SIDE:  # noise, dust and block measurements need some picture
        raise BadInputError(src, f"picture is {rgb.shape[1]}x{rgb.shape[0]} pixels, too small to restore "
                                 f"(at least {MIN_SIDE}x{MIN_SIDE})")
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
    found = {k: v for k, v in report.items() if k != "steps"}
    return RestoreResult(output=str(output_path), steps=tuple(report["steps"]), report=found,
                         seconds=round(time.perf_counter() - start, 2))
