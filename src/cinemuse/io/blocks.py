"""Streams of audio blocks: re-cutting them to any size, and learning their shape up front.

Audio moves through cinemuse as iterators of ``(m, channels)`` float32 blocks so that an
hour of sound costs the memory of a few blocks. :class:`Rebuffer` and :class:`BlockFeed` cut a
stream into the sizes a consumer asks for; :func:`peek_blocks` turns "an array or blocks"
into one form, reading only the first block.
"""

from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

__all__ = ["Rebuffer", "BlockFeed", "as_block", "peek_blocks"]


class Rebuffer:
    """A FIFO of (m, channels) float32 pieces, taken out in blocks of any size."""

    def __init__(self, channels: int):
        self.pieces: list[np.ndarray] = []
        self.count = 0
        self.channels = channels

    def push(self, piece: np.ndarray) -> None:
        if piece.shape[0]:
            self.pieces.append(piece)
            self.count += piece.shape[0]

    def take(self, n: int) -> np.ndarray:
        """The next ``n`` samples (n <= count), as one contiguous (n, channels) float32 array."""
        out = np.empty((n, self.channels), np.float32)
        filled = 0
        while filled < n:
            piece = self.pieces[0]
            m = min(n - filled, piece.shape[0])
            out[filled : filled + m] = piece[:m]
            filled += m
            if m == piece.shape[0]:
                self.pieces.pop(0)
            else:
                self.pieces[0] = piece[m:]
        self.count -= n
        return out


class BlockFeed:
    """Pulls samples from an iterator of (m, channels) blocks in whatever amounts are asked.

    Only as many blocks are drawn as the requests need, so a generator is never run ahead.
    """

    def __init__(self, blocks: Iterable[np.ndarray], channels: int):
        self.blocks = iter(blocks)
        self.buffer = Rebuffer(channels)
        self.channels = channels
        self.exhausted = False

    def take(self, n: int, *, pad: bool = True) -> np.ndarray:
        """The next ``n`` samples; once the blocks run out, silence (``pad``) or fewer."""
        while self.buffer.count < n and not self.exhausted:
            block = next(self.blocks, None)
            if block is None:
                self.exhausted = True
            else:
                self.buffer.push(np.asarray(block, dtype=np.float32).reshape(-1, self.channels))
        out = self.buffer.take(min(n, self.buffer.count))
        if pad and out.shape[0] < n:
            out = np.concatenate([out, np.zeros((n - out.shape[0], self.channels), np.float32)])
        return out


def as_block(x, *, what: str = "samples") -> np.ndarray:
    """One block as (m, channels) float32: 1-D means mono."""
    a = np.asarray(x, dtype=np.float32)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[1] < 1 or a.shape[1] > 8:
        raise ValueError(f"{what} must be (n_samples, channels), got shape {a.shape}")
    return a


def peek_blocks(samples, *, block: int = 8192, what: str = "samples") -> tuple[int, Iterator[np.ndarray]] | None:
    """Normalise an array or an iterable of blocks into (channels, iterator of non-empty blocks).

    An ``np.ndarray`` is the whole signal (served as views of ``block`` samples); anything else
    is iterated as ``(m, channels)`` blocks, of which the first non-empty one is read here to
    learn the channel count. ``None`` when there are no samples at all.
    """
    if isinstance(samples, np.ndarray):
        x = as_block(samples, what=what)
        if x.shape[0] == 0:
            return None
        return x.shape[1], (x[i : i + block] for i in range(0, x.shape[0], block))
    it = iter(samples)
    for first in it:
        first = as_block(first, what=what)
        if first.shape[0]:
            break
    else:
        return None
    channels = first.shape[1]

    def rest() -> Iterator[np.ndarray]:
        yield first
        for x in it:
            x = as_block(x, what=what)
            if x.shape[1] != channels:
                raise ValueError(f"{what}: a block has {x.shape[1]} channels, the first had {channels}")
            if x.shape[0]:
                yield x

    return channels, rest()
