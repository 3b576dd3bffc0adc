"""Shipped model weights and their licence notes (see LICENSES.md in this folder)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

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
