"""A "bounce to disk" buffer: hours of float32 audio in a private temporary file, not in RAM.

A two-pass job (render, measure the loudness, then apply one gain) must see the whole
soundtrack twice. :class:`AudioScratch` keeps it on disk between the passes::

    with AudioScratch(channels=2) as scratch:
        for block in render_blocks():
            scratch.append(block)
        gain = measure(scratch.blocks())
        write_audio(path, (b * gain for b in scratch.blocks()), 44100)

The file is created already unlinked where the system allows it (``tempfile.TemporaryFile``),
so it vanishes with the process even on Ctrl-C or a crash, and is closed by :meth:`close`,
by leaving the ``with`` block, or when the object is garbage collected. Reads are plain file
reads into a fresh block (not a memory map, whose touched pages would count in the process's
resident memory).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

__all__ = ["AudioScratch"]

_FRAME_DTYPE = np.dtype("<f4")


class AudioScratch:
    """An append-only (plus overwrite) store of ``(n, channels)`` float32 samples on disk.

    Parameters
    ----------
    channels : int
        Channels of every block (1 or more).
    dir : str or Path, optional
        Folder for the temporary file (default: the system's temporary folder).

    Attributes
    ----------
    n_samples : int
        Frames stored so far.
    channels : int
    """

    def __init__(self, channels: int, *, dir: str | os.PathLike | None = None):
        if int(channels) < 1:
            raise ValueError(f"channels must be at least 1, got {channels!r}")
        self.channels = int(channels)
        self.n_samples = 0
        # Unbuffered: every read/write goes straight to the file at an explicit offset, so
        # several blocks() iterators and appends can interleave without a shared position.
        self._dir = dir if dir is not None else tempfile.gettempdir()
        try:
            self._file = tempfile.TemporaryFile(prefix="cinemuse-scratch-", suffix=".f32", dir=dir, buffering=0)
        except OSError as exc:
            raise self._disk_error(exc) from None

    # ------------------------------------------------------------------ writing

    def append(self, block: np.ndarray) -> None:
        """Add ``block`` (m, channels) float32 (1-D is taken as mono) after the stored frames."""
        x = self._check(block)
        self._write(self.n_samples, x)
        self.n_samples += x.shape[0]

    def write_at(self, start: int, block: np.ndarray) -> None:
        """Overwrite frames ``start .. start + m`` with ``block`` (e.g. to wrap a loop's tail).

        ``start`` may be at most :attr:`n_samples`; a block reaching past the end extends it.
        """
        start = int(start)
        if not 0 <= start <= self.n_samples:
            raise ValueError(f"start must be within 0..{self.n_samples}, got {start}")
        x = self._check(block)
        self._write(start, x)
        self.n_samples = max(self.n_samples, start + x.shape[0])

    # ------------------------------------------------------------------ reading

    def blocks(self, size: int = 65536, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
        """Frames ``start .. stop`` as consecutive (m, channels) float32 blocks, m <= size.

        Each call reads the file afresh, so the stored audio can be walked any number of times.
        """
        size = int(size)
        if size <= 0:
            raise ValueError(f"size must be positive, got {size}")
        start, stop = self._span(start, stop)
        return self._blocks(size, start, stop)

    def _blocks(self, size: int, start: int, stop: int) -> Iterator[np.ndarray]:
        for at in range(start, stop, size):
            yield self._read(at, min(size, stop - at))

    def read(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Frames ``start .. stop`` as one (stop - start, channels) float32 array."""
        start, stop = self._span(start, stop)
        return self._read(start, stop - start)

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Delete the temporary file (idempotent)."""
        self._file.close()

    @property
    def closed(self) -> bool:
        return self._file.closed

    def __enter__(self) -> "AudioScratch":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        file = getattr(self, "_file", None)
        if file is not None:
            file.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.n_samples} frames"
        return f"AudioScratch(channels={self.channels}, {state})"

    # ------------------------------------------------------------------ internals

    def _check(self, block) -> np.ndarray:
        x = np.asarray(block, dtype=_FRAME_DTYPE)
        if x.ndim == 1 and self.channels == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != self.channels:
            raise ValueError(f"block must be (m, {self.channels}), got shape {x.shape}")
        return np.ascontiguousarray(x)

    def _span(self, start: int, stop: int | None) -> tuple[int, int]:
        stop = self.n_samples if stop is None else int(stop)
        start = int(start)
        if not 0 <= start <= stop <= self.n_samples:
            raise ValueError(f"need 0 <= start <= stop <= {self.n_samples}, got {start}, {stop}")
        return start, stop

    def _write(self, frame: int, x: np.ndarray) -> None:
        view = memoryview(x).cast("B")
        self._file.seek(frame * self.channels * _FRAME_DTYPE.itemsize)
        try:
            while view:  # a raw write may take fewer bytes than offered
                view = view[self._file.write(view) :]
        except OSError as exc:
            raise self._disk_error(exc) from None

    def _disk_error(self, exc: OSError) -> Exception:
        """A full scratch disk is the world's fault, not a bug: say which folder and what to do."""
        import errno

        from cinemuse.errors import DiskFullError

        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            return exc
        return DiskFullError(Path(self._dir), "the disk holding this temporary folder is full (cinemuse keeps "
                                              "audio there between mastering passes; set TMPDIR to a folder "
                                              "with more room)")

    def _read(self, frame: int, count: int) -> np.ndarray:
        out = np.empty((count, self.channels), _FRAME_DTYPE)
        view = memoryview(out).cast("B")
        self._file.seek(frame * self.channels * _FRAME_DTYPE.itemsize)
        while view:
            got = self._file.readinto(view)
            if not got:
                raise OSError("scratch file is shorter than its recorded length")
            view = view[got:]
        return out
