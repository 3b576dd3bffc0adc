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
MAX_FILES = 32


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
    form = Form()
    part: dict = {}
    header: dict = {"field": b"", "value": b""}

    def on_part_begin():
        part.clear()
        part.update(headers={}, buf=bytearray(), file=None)

    def on_header_field(data, start, end):
        header["field"] += data[start:end]

    def on_header_value(data, start, end):
        header["value"] += data[start:end]

    def on_header_end():
        part["headers"][header["field"].decode("latin-1").lower()] = header["value"]
        header.update(field=b"", value=b"")

    def on_headers_finished():
        _, disp = parse_options_header(part["headers"].get("content-disposition", b""))
        part["name"] = disp.get(b"name", b"").decode("utf-8", "replace")
        filename = disp.get(b"filename")
        if filename is not None:
            if part["name"] != "files":
                raise BadForm(f"unexpected file field {part['name']!r}; files go in 'files'")
            if len(form.files) >= MAX_FILES:
                raise BadForm(f"at most {MAX_FILES} files per job")
            client = filename.decode("utf-8", "replace")
            path = folder / f"{len(form.files)}{safe_suffix(client)}"
            part["file"] = path.open("xb")
            form.files.append(Upload(path, client))

    def on_part_data(data, start, end):
        if part["file"] is not None:
            part["file"].write(data[start:end])
        else:
            part["buf"] += data[start:end]
            if len(part["buf"]) > MAX_FIELD_BYTES:
                raise BadForm(f"field {part['name']!r} is too long")

    def on_part_end():
        if part["file"] is not None:
            part["file"].close()
        else:
            form.fields[part["name"]] = part["buf"].decode("utf-8", "replace")

    parser = MultipartParser(params[b"boundary"], {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
        "on_part_end": on_part_end,
    })
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
        if part.get("file") is not None and not part["file"].closed:
            part["file"].close()
    return form


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
