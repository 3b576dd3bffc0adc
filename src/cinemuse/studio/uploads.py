"""Uploads: a multipart body streamed straight into a job's folder, under a size limit, and
checked to be media before any job sees it.

Files are stored under names the studio makes (``0.mp4``, ``1.jpg``...): a client's file name
is never a path here. Only its extension is kept, when it is a known media extension, because
some decoders and jobs go by it (a colourise input is a video when it ends in ``.mp4``), and
its stem, reduced to letters, digits, ``-`` and ``_``, names the downloads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator

from cinemuse.errors import BadInputError

MEDIA_EXTENSIONS = frozenset((
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mts", ".m2ts", ".ts", ".3gp", ".wmv", ".flv",
    ".mpg", ".mpeg", ".ogv", ".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".aif", ".aiff",
    ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp", ".gif",
))
MAX_FIELD_BYTES = 64 * 1024  # kind and options: small JSON
MAX_FILES = 200  # a slideshow's album; the size limit still bounds the whole upload


class TooLarge(Exception):
    """The body went over the upload limit."""


class BadForm(Exception):
    """The body is not the multipart form the API documents."""


@dataclass
class Upload:
    path: Path
    client_name: str  # as sent, for messages only (never a path)


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)


def safe_stem(name: str, fallback: str = "input") -> str:
    """A client's file name reduced to a harmless base name for downloads."""
    stem = Path(name.replace("\\", "/")).name
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_")[:60]
    return stem or fallback


def safe_suffix(name: str) -> str:
    suffix = Path(name.replace("\\", "/")).suffix.lower()
    return suffix if suffix in MEDIA_EXTENSIONS else ""


async def read_form(chunks: AsyncIterator[bytes], content_type: str, folder: Path, *, limit: int) -> Form:
    """Parse a ``multipart/form-data`` body from ``chunks`` into ``folder``.

    Raises TooLarge past ``limit`` bytes (the caller deletes ``folder``) and BadForm for a
    body that is not such a form.
    """
    from python_multipart.multipart import MultipartParser, parse_options_header

    ctype, params = parse_options_header(content_type)
    if ctype == b"application/x-www-form-urlencoded":  # a job without files, from a plain form
        return await _read_urlencoded(chunks)
    if ctype != b"multipart/form-data" or not params.get(b"boundary"):
        raise BadForm("the body must be multipart/form-data")
    writer = _PartWriter(folder)
    parser = MultipartParser(params[b"boundary"], writer.callbacks())
    received = 0
    try:
        async for chunk in chunks:
            received += len(chunk)
            if received > limit:
                raise TooLarge
            parser.write(chunk)
        parser.finalize()
    except (TooLarge, BadForm):
        raise
    except Exception as exc:  # the parser's own errors: a malformed body
        raise BadForm(f"malformed multipart body ({exc})") from None
    finally:
        writer.close()
    return writer.form


class _PartWriter:
    """python-multipart's callbacks: text fields into memory, files straight to disk."""

    def __init__(self, folder: Path):
        self.folder, self.form = folder, Form()
        self.headers: dict[str, bytes] = {}
        self.name, self.buf, self.file = "", bytearray(), None
        self.field, self.value = b"", b""

    def callbacks(self) -> dict:
        return {name: getattr(self, name) for name in (
            "on_part_begin", "on_header_field", "on_header_value", "on_header_end",
            "on_headers_finished", "on_part_data", "on_part_end")}

    def on_part_begin(self):
        self.headers, self.buf, self.file = {}, bytearray(), None

    def on_header_field(self, data, start, end):
        self.field += data[start:end]

    def on_header_value(self, data, start, end):
        self.value += data[start:end]

    def on_header_end(self):
        self.headers[self.field.decode("latin-1").lower()] = self.value
        self.field, self.value = b"", b""

    def on_headers_finished(self):
        from python_multipart.multipart import parse_options_header

        _, disp = parse_options_header(self.headers.get("content-disposition", b""))
        self.name = disp.get(b"name", b"").decode("utf-8", "replace")
        filename = disp.get(b"filename")
        if filename is None:
            return
        if self.name != "files":
            raise BadForm(f"unexpected file field {self.name!r}; files go in 'files'")
        if len(self.form.files) >= MAX_FILES:
            raise BadForm(f"at most {MAX_FILES} files per job")
        client = filename.decode("utf-8", "replace")
        path = self.folder / f"{len(self.form.files)}{safe_suffix(client)}"  # never the client's name
        self.file = path.open("xb")
        self.form.files.append(Upload(path, client))

    def on_part_data(self, data, start, end):
        if self.file is not None:
            self.file.write(data[start:end])
            return
        self.buf += data[start:end]
        if len(self.buf) > MAX_FIELD_BYTES:
            raise BadForm(f"field {self.name!r} is too long")

    def on_part_end(self):
        if self.file is not None:
            self.file.close()
        else:
            self.form.fields[self.name] = self.buf.decode("utf-8", "replace")

    def close(self):
        if self.file is not None and not self.file.closed:
            self.file.close()


async def _read_urlencoded(chunks: AsyncIterator[bytes]) -> Form:
    from urllib.parse import parse_qsl

    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > 4 * MAX_FIELD_BYTES:
            raise BadForm("the form is too long; files go in a multipart/form-data body")
    return Form(fields=dict(parse_qsl(body.decode("utf-8", "replace"))))


def check_media(path: Path, client_name: str, wanted: str) -> None:
    """Raise BadInputError (naming the client's file) unless ``path`` decodes as ``wanted``:
    ``video``, ``audio``, ``image`` or ``visual`` (an image or a video)."""
    try:
        if wanted == "video":
            _check_video(path)
        elif wanted == "audio":
            _check_audio(path)
        elif wanted == "image":
            _check_image(path)
        else:
            try:
                _check_image(path)
            except BadInputError:
                _check_video(path)
    except BadInputError as exc:
        raise BadInputError(client_name, exc.problem) from None


def _check_video(path: Path) -> None:
    from cinemuse.io.video import probe_video

    info = probe_video(path)
    if not info.duration or info.duration <= 0:
        raise BadInputError(path, "is a video without frames")


def _check_audio(path: Path) -> None:
    from cinemuse.io.audio import iter_audio

    for block in iter_audio(path, block=4096):
        if len(block):
            return
    raise BadInputError(path, "has no sound in it")


def _check_image(path: Path) -> None:
    from cinemuse.io.image import read_image

    read_image(path)
