"""Where the benchmarks find ../shared/data: the same lookup as ``cinemuse train``.

``--data-dir`` on the command line, else ``$CINEMUSE_DATA``, else ``../shared/data`` beside
the checkout (:func:`cinemuse.train.paths.shared_data_dir`).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_data_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="the shared data folder (default: $CINEMUSE_DATA, else ../shared/data)")


def data_dir(explicit: Path | None = None) -> Path:
    """The shared data folder, or exit with the one line ``cinemuse train`` would print."""
    from cinemuse.errors import UsageError
    from cinemuse.train.paths import shared_data_dir

    try:
        return shared_data_dir(explicit)
    except UsageError as exc:
        raise SystemExit(f"benchmark: {exc}") from None
