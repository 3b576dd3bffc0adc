"""Opening any media file FFmpeg reads, with every failure as one line naming the file.

:func:`open_input` is the one door in: :mod:`cinemuse.io.video` and :mod:`cinemuse.io.audio`
both open their inputs through it, so a text file, a truncated MP4 or a damaged header gets
the same :class:`~cinemuse.errors.BadInputError` whichever reader met it first.
:func:`decode_tolerant` decodes a stream as players do, skipping a few damaged packets.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import av

from cinemuse.errors import BadInputError
from cinemuse.io.atomic import check_input_file

__all__ = ["open_input", "decode_tolerant", "ffmpeg_text"]


def open_input(path: str | os.PathLike) -> tuple[Path, "av.container.InputContainer"]:
    """Open ``path`` for reading with every FFmpeg failure turned into a BadInputError."""
    p = check_input_file(path)
    if _looks_like_text(p):  # FFmpeg would happily "decode" a text file as ANSI art
        raise BadInputError(p, "is a text file, not audio or video")
    try:
        container = av.open(str(p), mode="r", metadata_errors="replace")
    except av.error.InvalidDataError:
        raise BadInputError(p, _unreadable_reason(p)) from None
    except av.error.EOFError:
        raise BadInputError(p, "ends before any audio or video data (truncated or zero-length)") from None
    except av.error.FFmpegError as exc:
        raise BadInputError(p, f"cannot be opened as media ({ffmpeg_text(exc)})") from None
    try:
        _check_not_truncated(p, container)
    except BaseException:
        container.close()
        raise
    return p, container


def _looks_like_text(p: Path) -> bool:
    with open(p, "rb") as fh:
        head = fh.read(512)
    return bool(head) and all(32 <= b < 127 or b in (9, 10, 13) for b in head)


def _unreadable_reason(p: Path) -> str:
    """A better message than FFmpeg's 'Invalid data' when we can tell what the file is."""
    with open(p, "rb") as fh:
        head = fh.read(16)
    if head[4:8] == b"ftyp":
        return "is an MP4/MOV file but cannot be read: truncated or damaged (its index is missing)"
    if head[:4] == b"RIFF" or head[:3] == b"ID3" or head[:4] in (b"fLaC", b"OggS"):
        return "is a media file FFmpeg cannot read: truncated or damaged"
    return "is not a media file FFmpeg can read (wrong format, or damaged)"


def _check_not_truncated(p: Path, container) -> None:
    """MP4/MOV keep an index of where every sample lies; samples past the end = truncated.

    FFmpeg itself just stops early on such files, so without this check a half-downloaded
    video would silently look like a shorter one. Only the last index entries are looked at
    (they hold the highest offsets in practice), so this costs microseconds.
    """
    if "mp4" not in container.format.name and "mov" not in container.format.name:
        return
    size = p.stat().st_size
    for stream in container.streams:
        try:
            entries = stream.index_entries
            n = len(entries)
            end = max((entries[i].pos + entries[i].size for i in range(max(0, n - 64), n)), default=0)
        except Exception:  # an index we cannot read is not evidence of truncation
            continue
        if end > size:
            raise BadInputError(
                p,
                f"is truncated: it stops at {size} bytes but its data runs to {end} bytes "
                "(an incomplete download or copy?)",
            )


def ffmpeg_text(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return " ".join(str(text).split())  # one line, always


# Damaged packets are skipped, as players do, until they are more than this share of those
# read (and more than a handful): one bad packet must not sink a long phone video.
_MAX_DAMAGED_SHARE = 0.10
_MAX_DAMAGED_ALWAYS_OK = 3


def decode_tolerant(p: Path, container, stream, *, kind: str = "video", on_damaged=None) -> Iterator:
    """``container.decode(stream)``, skipping packets the decoder rejects as invalid.

    ``on_damaged(packet)`` is called for each skipped packet (audio uses it to put silence
    where the packet was, so what follows stays in sync).

    Raises
    ------
    BadInputError
        When damaged packets exceed 10 % of those read (and 3 in all).
    """
    packets = damaged = 0
    for packet in container.demux(stream):
        packets += 1
        try:
            frames = packet.decode()
        except av.error.InvalidDataError as exc:
            damaged += 1
            if damaged > _MAX_DAMAGED_ALWAYS_OK and damaged > _MAX_DAMAGED_SHARE * packets:
                at = "" if packet.pts is None else f" near {float(packet.pts * stream.time_base):.2f}s"
                raise BadInputError(
                    p, f"{kind} data is corrupt{at}: {damaged} of {packets} packets damaged "
                    f"({ffmpeg_text(exc)})",
                ) from None
            if on_damaged is not None:
                on_damaged(packet)
            continue
        yield from frames
