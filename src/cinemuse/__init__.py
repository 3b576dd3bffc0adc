"""cinemuse: offline creative tools for video, photos and music.

The public API is the names below, imported on first use (module ``__getattr__``, as librosa
and scikit-image do), so ``import cinemuse`` loads nothing heavy and ``cinemuse --help`` stays
instant. Each name lives in exactly one module, listed in ``_EXPORTS``; the command line, the
studio and the batch runner call these same functions.

>>> import cinemuse
>>> result = cinemuse.compose("theme.wav", duration=30, mood="calm", seed=1)
>>> result.tempo, result.files["output"]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # jobs on files: each returns a small frozen result with .to_dict()
    "score_video": "cinemuse.pipelines.score",
    "score_folder": "cinemuse.pipelines.score",
    "ScoreOptions": "cinemuse.pipelines.score",
    "ScoreResult": "cinemuse.pipelines.score",
    "FolderResult": "cinemuse.pipelines.score",
    "scored_video_name": "cinemuse.pipelines.naming",
    "compose": "cinemuse.pipelines.compose",
    "build_cue": "cinemuse.pipelines.compose",
    "ComposeResult": "cinemuse.pipelines.compose",
    "analyze_song": "cinemuse.pipelines.analyze",
    "SongProfile": "cinemuse.analysis.audio",
    "make_covers": "cinemuse.pipelines.cover",
    "CoverResult": "cinemuse.pipelines.cover",
    "check_cover": "cinemuse.vision.cover",
    "colorize_image": "cinemuse.pipelines.colorize",
    "colorize_file": "cinemuse.pipelines.colorize",
    "ColorizeResult": "cinemuse.pipelines.colorize",
    "restore_image": "cinemuse.pipelines.restore",
    "restore_file": "cinemuse.pipelines.restore",
    "RestoreResult": "cinemuse.pipelines.restore",
    "make_slideshow": "cinemuse.pipelines.slideshow",
    "SlideshowOptions": "cinemuse.pipelines.slideshow",
    "SlideshowResult": "cinemuse.pipelines.slideshow",
    "list_styles": "cinemuse.vision.stylize",
    "preview_styles": "cinemuse.pipelines.stylepreview",
    "StylePreview": "cinemuse.pipelines.stylepreview",
    # the contract between picture and music
    "CueSheet": "cinemuse.cuesheet",
    "Section": "cinemuse.cuesheet",
    "Hit": "cinemuse.cuesheet",
    "Mood": "cinemuse.cuesheet",
    # reporting and failing
    "Progress": "cinemuse.progress",
    "SILENT": "cinemuse.progress",
    "CinemuseError": "cinemuse.errors",
    "BadInputError": "cinemuse.errors",
    "OutputError": "cinemuse.errors",
    "UsageError": "cinemuse.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cinemuse' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # for type checkers and IDEs; never executed
    from cinemuse.analysis.audio import SongProfile
    from cinemuse.cuesheet import CueSheet, Hit, Mood, Section
    from cinemuse.errors import BadInputError, CinemuseError, OutputError, UsageError
    from cinemuse.pipelines.analyze import analyze_song
    from cinemuse.pipelines.colorize import ColorizeResult, colorize_file, colorize_image
    from cinemuse.pipelines.compose import ComposeResult, build_cue, compose
    from cinemuse.pipelines.cover import CoverResult, make_covers
    from cinemuse.pipelines.restore import RestoreResult, restore_file, restore_image
    from cinemuse.pipelines.score import (
        FolderResult, ScoreOptions, ScoreResult, score_folder, score_video,
    )
    from cinemuse.pipelines.slideshow import SlideshowOptions, SlideshowResult, make_slideshow
    from cinemuse.pipelines.stylepreview import StylePreview, preview_styles
    from cinemuse.progress import SILENT, Progress
    from cinemuse.vision.cover import check_cover
    from cinemuse.vision.stylize import list_styles
