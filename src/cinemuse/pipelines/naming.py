"""Output names made from an input's, in one place, so that every front end (the command
line, folder runs, batch, the studio) names a run's outputs alike.

The one rule that is more than string joining: a scored video keeps its picture as it is
(stream copy), so its container must hold that codec: ``.mp4`` for H.264/HEVC/AV1, ``.mov``
for ProRes, ``.mkv`` for what neither holds (FFV1...).
"""

from __future__ import annotations

import os
from pathlib import Path


def scored_video_name(video: str | os.PathLike, folder: str | os.PathLike | None = None, *,
                      stem: str | None = None, suffix: str = "_scored") -> Path:
    """``FOLDER/STEM_scored.EXT``: ``folder`` defaults to the video's, ``stem`` to its name's,
    and ``EXT`` is the container that can hold the video's picture as it is."""
    from cinemuse.io.video import copy_container_for

    video = Path(video)
    folder = video.parent if folder is None else Path(folder)
    return folder / f"{stem if stem is not None else video.stem}{suffix}{copy_container_for(video)}"


def per_input_name(folder: str | os.PathLike, source: str | os.PathLike, ext: str = "") -> Path:
    """``FOLDER/NAME.ext`` for one input of a many-input run (``NAME``: the input's stem)."""
    return Path(folder) / (Path(source).stem + ext)
