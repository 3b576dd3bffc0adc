"""Checked inputs and atomic outputs.

Every output is written to a hidden temporary file in the destination folder and
renamed into place only when complete, so a crash or Ctrl-C never leaves a partial
file under the name the user asked for, and an existing file is replaced only with
``force=True``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from cinemuse.errors import BadInputError, OutputError


def check_input_file(path: str | os.PathLike) -> Path:
    """Return ``path`` as a Path if it is an existing, non-empty, readable regular file."""
    p = Path(path)
    if not p.exists():
        raise BadInputError(p, "no such file")
    if p.is_dir():
        raise BadInputError(p, "is a folder, expected a file")
    if not os.access(p, os.R_OK):
        raise BadInputError(p, "not readable (permission denied)")
    if p.stat().st_size == 0:
        raise BadInputError(p, "file is empty")
    return p


def check_output_path(path: str | os.PathLike, *, force: bool = False) -> Path:
    """Fail early (before any work) if ``path`` cannot be written as an output.

    Raises :class:`OutputError` when the file exists and ``force`` is false, when it is
    a folder, or when its folder is missing or not writable.
    """
    p = Path(path)
    if p.is_dir():
        raise OutputError(p, "is a folder, expected an output file name")
    if p.exists() and not force:
        raise OutputError(p, "already exists (use --force to overwrite)")
    _check_output_folder(p)
    return p


def _check_output_folder(p: Path) -> Path:
    """The folder that will hold output ``p``, checked to exist and to take new files."""
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(p, f"output folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(p, f"output folder {parent} is not writable")
    # Create and delete a scratch file: the only test that a read-only mount, a full disk
    # or root-owned permissions cannot fool (os.access says yes to root everywhere).
    try:
        fd, name = tempfile.mkstemp(prefix=".cinemuse-write-test.", dir=parent)
    except OSError as exc:
        raise OutputError(p, f"output folder {parent} is not writable ({exc.strerror})") from None
    os.close(fd)
    os.unlink(name)
    return parent


def _umask() -> int:
    """The process umask (reading it means setting it; put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_output(path: str | os.PathLike, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` if the block succeeds.

    The temporary name keeps the extension, so writers that pick a format from it
    (FFmpeg, Pillow, soundfile) behave as they would for the real name.
    """
    final = check_output_path(path, force=force)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{final.stem}.", suffix=f".part{final.suffix}", dir=final.parent or "."
        )
    except OSError as exc:  # read-only filesystem, full disk, permissions root-only checks miss
        raise OutputError(final, f"cannot write in output folder {final.parent} ({exc.strerror})") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        # mkstemp makes the file private (0600); a finished output gets the usual
        # permissions, as if it had been created with open().
        os.chmod(tmp, 0o666 & ~_umask())
        yield tmp
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise OutputError(final, "writer produced no data")
        if final.exists() and not force:  # appeared while we worked
            raise OutputError(final, "already exists (use --force to overwrite)")
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_output_dir(path: str | os.PathLike, *, force: bool = False) -> Iterator[Path]:
    """Like :func:`atomic_output` for a folder of files (stems): built aside, then renamed."""
    final = Path(path)
    if final.exists() and not final.is_dir():
        raise OutputError(final, "exists and is not a folder")
    if final.is_dir() and any(final.iterdir()) and not force:
        raise OutputError(final, "folder is not empty (use --force to replace it)")
    parent = _check_output_folder(final)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".part", dir=parent))
    except OSError as exc:
        raise OutputError(final, f"cannot write in output folder {parent} ({exc.strerror})") from None
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        yield tmp
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
