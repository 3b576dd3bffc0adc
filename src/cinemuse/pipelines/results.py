"""What a job returns: small frozen values, read as attributes, turned into JSON by ``to_dict``.

Every pipeline (score, compose, cover, colorize, restore) returns a subclass of :class:`Result`
(:class:`~cinemuse.analysis.audio.SongProfile` plays the same part for ``analyze``). The CLI
prints ``result.to_dict()`` for ``--json``; the studio and the batch runner read the
attributes. Paths are strings, so a result survives a trip through JSON unchanged; every
file a job wrote is listed under ``files``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any


def plain(value: Any) -> Any:
    """``value`` as JSON types: dataclasses and mappings -> dict, sequences -> list, Path -> str."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return value.to_dict()
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # a numpy scalar
        return value.item()
    return value


@dataclasses.dataclass(frozen=True)
class Result:
    """Base of the pipelines' result types; fields that are None are left out of the dict."""

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: plain(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if getattr(self, f.name) is not None
        }
