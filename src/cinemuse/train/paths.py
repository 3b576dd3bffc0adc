"""Where training data and caches live."""

from __future__ import annotations

import os
from pathlib import Path

from cinemuse.errors import UsageError

REPO_ROOT = Path(__file__).resolve().parents[3]


def shared_data_dir(explicit: Path | None = None) -> Path:
    """The shared data folder: ``explicit``, $CINEMUSE_DATA, or ../shared/data beside the checkout."""
    candidates = [explicit] if explicit else []
    if os.environ.get("CINEMUSE_DATA"):
        candidates.append(Path(os.environ["CINEMUSE_DATA"]))
    candidates += [REPO_ROOT.parent / "shared" / "data", REPO_ROOT / "shared" / "data"]
    for c in candidates:
        if c is not None and c.is_dir():
            return c
    raise UsageError("cannot find the shared data folder; pass --data-dir or set CINEMUSE_DATA")


def cache_dir(name: str) -> Path:
    """A folder for rebuildable intermediate files (parsed corpora...), ignored by git."""
    root = Path(os.environ.get("CINEMUSE_CACHE", REPO_ROOT / ".cache"))
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path
