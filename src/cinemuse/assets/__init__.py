"""Shipped model weights and their licence notes (see LICENSES.md in this folder)."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Callable, TypeVar

from cinemuse.errors import ModelMissingError


def asset_path(name: str) -> Path:
    """Path of a shipped asset file; a clear error if the install lacks it."""
    path = Path(str(files("cinemuse.assets").joinpath(name)))
    if not path.is_file():
        raise ModelMissingError(
            f"shipped asset {name!r} is missing from this install ({path}); "
            "reinstall cinemuse or rebuild it with 'cinemuse train'"
        )
    return path


T = TypeVar("T")


def load_shipped(name: str, loader: Callable[..., T], *options) -> T:
    """``loader(path, *options)`` of the shipped asset ``name``, once per process.

    Every shipped model goes through here (``MelodyModel.load``, ``HarmonyModel.load``,
    ``DrumLibrary.load``, ``ImageEncoder.load``, ``Colorizer.load``): a model is read from
    disk once however many jobs, sections or threads ask for it. Models are used read-only.
    """
    return _load_shipped(name, loader, options)


@lru_cache(maxsize=None)
def _load_shipped(name: str, loader, options: tuple):
    return loader(asset_path(name), *options)
