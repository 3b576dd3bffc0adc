"""Every learned painting style on one of your photos, small: to choose a style before a
slideshow is rendered (the studio's slideshow tab shows them as a grid).

The photo is reduced first (``side`` pixels on its long side), so a preview of all six styles
costs a fraction of a second per style; the look is applied after the style, as the
slideshow does. All pictures are written together or none (:class:`~cinemuse.io.atomic.OutputSet`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cinemuse.pipelines.results import Result
from cinemuse.progress import SILENT, Progress

PREVIEW_SIDE = 480


@dataclass(frozen=True)
class StylePreview(Result):
    """What :func:`preview_styles` made: ``files`` maps ``"photo"`` (graded, no style) and each
    style's name to its JPEG."""

    input: str
    files: dict[str, Any]
    styles: tuple[dict, ...]


def preview_styles(photo: str | os.PathLike, out_dir: str | os.PathLike, *, stem: str | None = None,
                   look: str = "none", strength: float = 1.0, side: int = PREVIEW_SIDE, force: bool = False,
                   progress: Progress = SILENT) -> StylePreview:
    """Write ``STEM_photo.jpg`` and ``STEM_style-NAME.jpg`` per learned style into ``out_dir``.

    Parameters
    ----------
    photo : path
    out_dir : path
        An existing folder.
    look : str
        A slideshow look (``none``, ``film``, ``warm``...), applied to every preview.
    strength : float
        0..1, the style's blend with the photo.
    side : int
        Long side of the previews, pixels.
    """
    import cv2

    from cinemuse.errors import UsageError
    from cinemuse.io.atomic import OutputSet, check_input_file
    from cinemuse.io.image import read_image, write_image
    from cinemuse.vision.looks import apply_look, get_look
    from cinemuse.vision.stylize import Stylizer

    photo, out_dir = check_input_file(photo), Path(out_dir)
    try:
        grade = get_look(look)
    except ValueError as exc:
        raise UsageError(f"--look: {exc}") from None
    if not 0.0 <= strength <= 1.0:
        raise UsageError("--style-strength must be between 0 and 1")
    stem = stem or photo.stem
    stylizer = Stylizer.load()
    outputs = OutputSet(force=force, inputs=[photo])
    names = ["photo"] + [s.name for s in stylizer.styles]
    paths = {n: outputs.add(out_dir / f"{stem}_{'photo' if n == 'photo' else 'style-' + n}.jpg", what=n)
             for n in names}
    rgb = read_image(photo)
    s = min(1.0, side / max(rgb.shape[:2]))
    small = cv2.resize(rgb, (max(1, round(rgb.shape[1] * s)), max(1, round(rgb.shape[0] * s))),
                       interpolation=cv2.INTER_AREA)
    with outputs, progress.stage("Painting the styles", total=len(names)) as stage:
        for n in names:
            painted = small if n == "photo" else stylizer.stylize(small, n, strength=strength)
            write_image(outputs.stage(paths[n]), apply_look(painted, grade, seed=0), force=True, quality=88)
            stage.advance()
    return StylePreview(input=str(photo), files={n: str(p) for n, p in paths.items()},
                        styles=tuple(s.to_dict() for s in stylizer.styles))
