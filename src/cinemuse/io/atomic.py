"""Checked inputs and atomic outputs: a run writes everything it promised, or nothing.

Three promises, and the one tool for each:

- **One output file** appears whole or not at all: :func:`atomic_output` yields a hidden
  temporary file next to it and renames it into place when the block succeeds, so a crash or
  Ctrl-C never leaves a partial file under the name the user asked for.
- **An existing file is replaced only with** ``force=True``, and ``force`` only ever replaces
  the files cinemuse itself writes, by name. No function here deletes a folder or a file it
  did not create: a folder of outputs (stems) is filled file by file, each atomically.
- **All outputs of a run, or none**: :class:`OutputSet` checks every output before any work
  (name, format, clash with another output or an input, writability) and, when the work is
  done, renames all of them into place together; if one rename fails, the others are undone.

A command that writes several files uses :class:`OutputSet`::

    outputs = OutputSet(force=args.force, inputs=[video])
    outputs.add(out, what="-o", formats=(".mp4", ".mov"))   # checked now, before any work
    outputs.add(side, what="--audio-out", formats=AUDIO_FORMATS)
    outputs.add_folder(stems, what="--stems")
    ...                                                       # the long work
    with outputs:                                             # commit on success, else discard
        write_video(outputs.stage(out), ..., force=True)
        outputs.stage(stems / "melody.wav")                   # files inside a folder: checked here

Temporary files carry the writing process's id and host in their name
(``.NAME.cm<pid>-<host>-XXXX.part.EXT``), so a later run in the same folder can tell the ones
left by a killed run (SIGKILL, power loss) from the ones another run is still writing, and
removes only the former (:func:`clean_stale_parts`).
"""

from __future__ import annotations

import errno
import os
import re
import socket
import tempfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from cinemuse.errors import BadInputError, DiskFullError, OutputError, UsageError

__all__ = [
    "OutputSet",
    "atomic_output",
    "check_input_file",
    "check_output_folder",
    "check_output_path",
    "clean_stale_parts",
    "disk_full_error",
    "parts_of",
]

# A few MB: below this a failed write is taken to be the disk filling up (libsndfile reports
# ENOSPC only as "System error").
_FULL_BYTES = 4 << 20
_HOST = f"{zlib.crc32(socket.gethostname().encode('utf-8', 'replace')) & 0xFFFFFF:06x}"
_PART = re.compile(r"^\..*\.cm(?P<pid>\d+)-(?P<host>[0-9a-f]{6})-[A-Za-z0-9_]{8}\.(?P<kind>part|old)(\..*)?$")
_cleaned: set[str] = set()


# ----------------------------------------------------------------------------- names


def _name_problem(p: Path) -> str | None:
    """Why ``p`` cannot be used as a file name here, or None."""
    try:
        p.name.encode("utf-8")
    except UnicodeEncodeError:
        return "file name is not valid UTF-8 (rename it, or choose another name)"
    parent = p.parent if str(p.parent) else Path(".")
    try:
        limit = os.pathconf(parent, "PC_NAME_MAX") if parent.is_dir() else 255
    except OSError:
        limit = 255
    size = len(os.fsencode(p.name))
    if size > limit:
        return f"file name is too long ({size} bytes; this file system allows {limit})"
    return None


def _token() -> str:
    return f"cm{os.getpid()}-{_HOST}-"


def _temp_prefix(final: Path, room: int) -> str:
    """``.STEM.cmPID-HOST-`` with STEM cut so that the whole name stays within 255 bytes."""
    stem = final.stem
    while len(os.fsencode(f".{stem}.{_token()}")) + 8 + room > 255 and stem:
        stem = stem[:-1]
    return f".{stem}.{_token()}"


def _exists(p: Path) -> bool:
    """True for anything at ``p``, a dangling symbolic link included (Path.exists follows it)."""
    return os.path.lexists(p)


# ----------------------------------------------------------------------------- inputs


def check_input_file(path: str | os.PathLike) -> Path:
    """Return ``path`` as a Path if it is an existing, non-empty, readable regular file."""
    p = Path(path)
    try:
        os.stat(p)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise BadInputError(p, "file name is too long for this file system") from None
    if not p.exists():
        raise BadInputError(p, "no such file")
    if p.is_dir():
        raise BadInputError(p, "is a folder, expected a file")
    if not os.access(p, os.R_OK):
        raise BadInputError(p, "not readable (permission denied)")
    if p.stat().st_size == 0:
        raise BadInputError(p, "file is empty")
    try:
        str(p).encode("utf-8")
    except UnicodeEncodeError:
        raise BadInputError(p, "file name is not valid UTF-8 (rename it)") from None
    return p


# ----------------------------------------------------------------------------- outputs


def check_output_path(path: str | os.PathLike, *, force: bool = False) -> Path:
    """Fail early (before any work) if ``path`` cannot be written as an output.

    Raises :class:`OutputError` when something exists at ``path`` (a dangling symbolic link
    included) and ``force`` is false, when it is a folder, when its name is unusable (not
    UTF-8, too long) or when its folder is missing or not writable.
    """
    p = Path(path)
    problem = _name_problem(p)  # first: a name too long for the file system breaks every stat
    if problem:
        raise OutputError(p, problem)
    if p.is_dir():
        raise OutputError(p, "is a folder, expected an output file name")
    if _exists(p) and not force:
        raise OutputError(p, "already exists (use --force to overwrite)")
    _check_writable_folder(p, p.parent if str(p.parent) else Path("."))
    return p


def check_output_folder(path: str | os.PathLike, *, force: bool = False) -> Path:
    """Fail early if ``path`` cannot take a folder of outputs (stems).

    A folder that does not exist yet needs a writable parent; one that exists must be a
    writable folder, and empty unless ``force`` (then cinemuse writes its files into it, and
    replaces only files of the same names; nothing else in it is touched).
    """
    p = Path(path)
    problem = _name_problem(p.absolute())
    if problem:
        raise OutputError(p, problem)
    if _exists(p) and not p.is_dir():
        raise OutputError(p, "exists and is not a folder")
    if p.is_dir():
        if not force and any(not _PART.match(n) for n in os.listdir(p)):
            raise OutputError(p, "folder is not empty (use --force to write into it: files of the same "
                                 "names are replaced, nothing else is touched)")
        _check_writable_folder(p, p, what="folder")
    else:
        parent = p.parent if str(p.parent) else Path(".")
        if not parent.is_dir():
            raise OutputError(p, f"folder {parent} does not exist")
        _check_writable_folder(p, parent)
    return p


def _check_writable_folder(p: Path, folder: Path, *, what: str = "output folder") -> Path:
    """``folder`` (which will hold output ``p``) exists and takes new files."""
    if not folder.is_dir():
        raise OutputError(p, f"{what} {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(p, f"{what} {folder} is not writable")
    # Create and delete a scratch file: the only test that a read-only mount, a full disk
    # or root-owned permissions cannot fool (os.access says yes to root everywhere).
    try:
        fd, name = tempfile.mkstemp(prefix=f".cinemuse-write-test.{_token()}", suffix=".part", dir=folder)
    except OSError as exc:
        raise OutputError(p, f"{what} {folder} is not writable ({exc.strerror})") from None
    os.close(fd)
    os.unlink(name)
    return folder


def _umask() -> int:
    """The process umask (reading it means setting it; put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def clean_stale_parts(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that killed cinemuse runs on this host left in ``folder``.

    Only names of cinemuse's own temporaries (``.NAME.cm<pid>-<host>-XXXXXXXX.part...``) whose
    process is gone are touched; a backup (``.old``) whose output name is free is put back
    under that name instead of being removed. Returns what was removed. Runs once per folder
    per process; errors (a read-only folder, a race with another cleaner) are ignored.
    """
    folder = Path(folder) if str(folder) else Path(".")
    key = os.path.abspath(folder)
    if key in _cleaned:
        return []
    _cleaned.add(key)
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    for name in names:
        m = _PART.match(name)
        if not m or m["host"] != _HOST or int(m["pid"]) == os.getpid() or _pid_alive(int(m["pid"])):
            continue
        p = folder / name
        try:
            if not p.is_file() or p.is_symlink():
                continue
            original = folder / name[1:].split(f".cm{m['pid']}-", 1)[0]
            if m["kind"] == "old" and not _exists(original):
                os.rename(p, original)
                continue
            p.unlink()
            removed.append(p)
        except OSError:
            pass
    return removed


def parts_of(path: str | os.PathLike) -> list[Path]:
    """The temporary files (``.part``) that any process started for output ``path``.

    For a caller that knows their writer is gone whatever its pid says (a batch driver whose
    worker died, possibly on another host); :func:`clean_stale_parts` is the general cleaner.
    """
    final = Path(path)
    folder = final.parent if str(final.parent) else Path(".")
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = []
    for name in names:
        m = _PART.match(name)
        if not m or m["kind"] != "part" or not (name.endswith(f".part{final.suffix}") or name.endswith(".part")):
            continue
        stem = name[1:].split(f".cm{m['pid']}-", 1)[0]
        # a long stem is cut to keep the temporary's name within 255 bytes (_temp_prefix)
        if stem == final.stem or (stem and final.stem.startswith(stem) and len(os.fsencode(name)) >= 240):
            found.append(folder / name)
    return found


def _new_temp(final: Path, *, kind: str = "part") -> Path:
    """A fresh, empty, private-named temporary next to ``final`` with normal permissions."""
    folder = final.parent if str(final.parent) else Path(".")
    clean_stale_parts(folder)
    suffix = f".{kind}{final.suffix}" if len(os.fsencode(final.suffix)) < 40 else f".{kind}"
    try:
        fd, name = tempfile.mkstemp(prefix=_temp_prefix(final, len(os.fsencode(suffix))), suffix=suffix,
                                    dir=folder)
    except OSError as exc:  # read-only filesystem, full disk, permissions root-only checks miss
        if exc.errno == errno.ENOSPC:
            raise DiskFullError(final, f"the disk holding {folder} is full (nothing was written)") from None
        raise OutputError(final, f"cannot write in output folder {folder} ({exc.strerror})") from None
    os.close(fd)
    # mkstemp makes the file private (0600); a finished output gets the usual permissions,
    # as if it had been created with open().
    os.chmod(name, 0o666 & ~_umask())
    return Path(name)


def disk_full_error(exc: BaseException, path: Path, folder: Path | None = None) -> DiskFullError | None:
    """A :class:`DiskFullError` naming ``path`` if ``exc`` came from ``folder``'s disk filling up."""
    if isinstance(exc, DiskFullError):
        return None
    folder = folder or (path.parent if str(path.parent) else Path("."))
    full = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
    # libsndfile says only "System error" and FFmpeg may say "I/O error": look at the disk
    if not full and isinstance(exc, (OSError, RuntimeError)) and not isinstance(exc, BadInputError):
        probe = folder
        while not probe.is_dir() and probe != probe.parent:  # a folder we made may be gone again
            probe = probe.parent
        try:
            st = os.statvfs(probe)
            full = st.f_bavail * st.f_frsize < _FULL_BYTES
        except OSError:
            full = False
    if not full:
        return None
    return DiskFullError(path, f"the disk holding {folder} is full (nothing was written)")


@contextmanager
def atomic_output(path: str | os.PathLike, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` if the block succeeds.

    The temporary name keeps the extension, so writers that pick a format from it
    (FFmpeg, Pillow, soundfile) behave as they would for the real name.
    """
    final = check_output_path(path, force=force)
    tmp = _new_temp(final)
    try:
        yield tmp
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise OutputError(final, "writer produced no data")
        if _exists(final) and not force:  # appeared while we worked
            raise OutputError(final, "already exists (use --force to overwrite)")
        os.replace(tmp, final)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        full = disk_full_error(exc, final)
        if full is not None:
            raise full from exc
        raise


# ----------------------------------------------------------------------------- a run's outputs


def _key(p: Path) -> str:
    """One spelling per place: ``a/../b.wav``, ``./b.wav`` and a link to the folder agree."""
    parent, name = os.path.split(os.path.abspath(p))
    return os.path.normcase(os.path.join(os.path.realpath(parent), name))


class OutputSet:
    """The outputs of one run: checked together before any work, committed together or not at all.

    Parameters
    ----------
    force : bool
        Replace outputs that exist (only those: by name, never a folder's other files).
    inputs : iterable of paths
        The run's inputs; no output may be one of them, even with ``force``.

    Use :meth:`add` / :meth:`add_folder` before the work (each checks at once and raises
    :class:`OutputError` or :class:`UsageError`), :meth:`stage` during it (a temporary path to
    write to; a file inside an added folder is checked there), and leave the ``with`` block
    (or call :meth:`commit`) to rename everything into place. An exception in the block, or a
    failed commit, removes every temporary and every folder the set created (only if empty),
    and restores any file already replaced, so the disk is as it was before the run.
    """

    def __init__(self, *, force: bool = False, inputs: Iterable[str | os.PathLike] = ()):
        self.force = force
        self._inputs = [Path(p) for p in inputs]
        self._files: dict[str, tuple[Path, str]] = {}  # key -> (path, what)
        self._folders: dict[str, tuple[Path, str]] = {}
        self._staged: dict[str, Path] = {}  # key -> temporary
        self._made: list[Path] = []  # folders this set created, in creation order
        self.committed = False

    # ------------------------------------------------------------------ before the work

    def add(self, path: str | os.PathLike, *, what: str = "output", formats: Iterable[str] | None = None) -> Path:
        """Register one output file and check it now; returns it as a Path."""
        p = Path(path)
        problem = _name_problem(p)
        if problem:
            raise OutputError(p, problem)
        if formats is not None:
            formats = tuple(formats)
            if p.suffix.lower() not in formats:
                raise UsageError(f"{p}: {what}: unknown format {p.suffix or '(no extension)'}; "
                                 f"use one of {', '.join(formats)}")
        self._check_clash(p, what, folder=False)
        if not self._inside_new_folder(p):
            check_output_path(p, force=self.force)
        self._files[_key(p)] = (p, what)
        return p

    def add_folder(self, path: str | os.PathLike, *, what: str = "output folder") -> Path:
        """Register a folder the run fills with files (created if missing) and check it now."""
        p = Path(path)
        problem = _name_problem(p.absolute())
        if problem:
            raise OutputError(p, problem)
        self._check_clash(p, what, folder=True)
        check_output_folder(p, force=self.force)
        self._folders[_key(p)] = (p, what)
        return p

    def _inside_new_folder(self, p: Path) -> bool:
        parent = _key(p.parent if str(p.parent) else Path("."))
        return parent in self._folders and not self._folders[parent][0].is_dir()

    def _check_clash(self, p: Path, what: str, *, folder: bool) -> None:
        key = _key(p)
        for src in self._inputs:
            same = key == _key(src)
            if not same and src.exists() and p.exists():
                try:
                    same = os.path.samefile(src, p)
                except OSError:
                    same = False
            if same:
                raise OutputError(p, f"{what} is the input of this run (cinemuse never writes over its input)")
        for table, kind in ((self._files, "file"), (self._folders, "folder")):
            if key in table:
                other_path, other = table[key]
                if other == what:
                    raise OutputError(p, f"{what} is given twice")
                shape = "" if (kind == "folder") == folder else f" ({other} writes a {kind} there)"
                raise OutputError(p, f"{what} and {other} name the same place{shape}")

    # ------------------------------------------------------------------ during the work

    def stage(self, path: str | os.PathLike, *, what: str | None = None) -> Path:
        """The temporary file to write ``path`` into (created empty, next to it).

        ``path`` is an output added before, or a file inside an added folder (checked here:
        it must not exist unless ``force``, nor clash with another output).
        """
        p = Path(path)
        key = _key(p)
        if key in self._staged:
            return self._staged[key]
        if key not in self._files:
            parent = _key(p.parent if str(p.parent) else Path("."))
            if parent not in self._folders:
                raise ValueError(f"{p} was not added to this OutputSet")
            folder, folder_what = self._folders[parent]
            self._check_clash(p, what or f"{folder_what} file {p.name}", folder=False)
            if _exists(p) and (not self.force or p.is_dir()):
                raise OutputError(p, "already exists (use --force to overwrite)" if not p.is_dir()
                                  else "is a folder, expected an output file name")
            self._files[key] = (p, what or f"{folder_what} file")
        self._make_folder(p.parent)
        problem = _name_problem(p)
        if problem:
            raise OutputError(p, problem)
        self._staged[key] = tmp = _new_temp(p)
        return tmp

    def _make_folder(self, folder: Path) -> None:
        if folder.is_dir() or _key(folder) not in self._folders:
            return
        try:
            folder.mkdir()
        except FileExistsError:
            if not folder.is_dir():
                raise OutputError(folder, "exists and is not a folder") from None
            return
        except OSError as exc:
            raise OutputError(folder, f"cannot create the folder ({exc.strerror})") from None
        os.chmod(folder, 0o777 & ~_umask())
        self._made.append(folder)

    # ------------------------------------------------------------------ the end

    def commit(self) -> list[Path]:
        """Rename every staged output into place, all or none; returns the outputs' paths."""
        finals = [(self._files[k][0], tmp) for k, tmp in self._staged.items()]
        for final, tmp in finals:
            if not tmp.exists() or tmp.stat().st_size == 0:
                raise OutputError(final, "writer produced no data")
            if final.is_dir():
                raise OutputError(final, "is a folder, expected an output file name")
            if _exists(final) and not self.force:  # appeared while we worked
                raise OutputError(final, "already exists (use --force to overwrite)")
        backups: list[tuple[Path, Path]] = []
        done: list[Path] = []
        try:
            for final, tmp in finals:
                if _exists(final):
                    backup = _new_temp(final, kind="old")
                    os.replace(final, backup)
                    backups.append((final, backup))
                os.replace(tmp, final)
                done.append(final)
        except BaseException as exc:
            self._undo(done, backups)
            if isinstance(exc, OSError):
                raise OutputError(final, f"could not be put in place ({exc.strerror})") from exc
            raise
        for _, backup in backups:
            backup.unlink(missing_ok=True)
        self._staged.clear()
        self.committed = True
        return [f for f, _ in finals]

    def _undo(self, done: list[Path], backups: list[tuple[Path, Path]]) -> None:
        restored = dict(backups)
        for final in done:
            if final not in restored:
                final.unlink(missing_ok=True)
        for final, backup in backups:
            os.replace(backup, final)
        self.discard()

    def discard(self) -> None:
        """Remove every temporary, and every folder this set created if it is empty again."""
        for tmp in self._staged.values():
            tmp.unlink(missing_ok=True)
        self._staged.clear()
        for folder in reversed(self._made):
            try:
                folder.rmdir()  # only ever an empty folder we made: never rmtree
            except OSError:
                pass
        self._made.clear()

    def __enter__(self) -> "OutputSet":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.commit()
            except BaseException:
                self.discard()
                raise
            return
        staged = {str(tmp): self._files[k][0] for k, tmp in self._staged.items()}
        self.discard()
        if not isinstance(exc, Exception) or not self._files:
            return
        if isinstance(exc, DiskFullError):  # name the user's file, not our temporary
            final = staged.get(str(exc.path))
            if final is not None:
                raise DiskFullError(final, exc.problem) from exc
            if exc.path not in (p for p, _ in self._files.values()):  # scratch space elsewhere
                first = next(iter(self._files.values()))[0]
                raise DiskFullError(first, f"not written: {exc}") from exc
            return
        for final in reversed(list(staged.values())):  # the latest is the one being written
            full = disk_full_error(exc, final)
            if full is not None:
                raise full from exc
