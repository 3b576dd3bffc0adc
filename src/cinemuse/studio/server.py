"""The studio's web server: the page, its static files and the HTTP API under ``/api``.

Built on FastAPI (Starlette underneath) and served by uvicorn: the standard small stack of the
Python web world, about 15 packages, no outbound requests, no page framework. FastAPI's own
documentation pages load their scripts from a CDN, so they are off; the API is described by
``GET /api/openapi.json`` and in the README. The page is plain HTML, CSS and JavaScript from
``static/``, and uses exactly this API.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException

from cinemuse import __version__
from cinemuse.studio import DEFAULT_MAX_UPLOAD_MB, DEFAULT_PORT

STATIC = Path(__file__).with_name("static")


class Studio:
    """One running studio: its token, private folder, job queue and web app."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB, workers: int = 1, warm: bool = True):
        from cinemuse.studio.jobs import JobManager
        from cinemuse.studio.security import Guard, allowed_hosts

        self.host, self.port = host, port
        self.max_upload = int(max_upload_mb * 1024 * 1024)
        self.token = secrets.token_urlsafe(32)
        self.root = Path(tempfile.mkdtemp(prefix="cinemuse-studio-"))
        self.jobs = JobManager(self.root, workers=workers, warm=warm)
        self.cookie = f"cinemuse_studio_{port}"  # cookies ignore ports: one name per studio
        self.app = Guard(create_app(self), token=self.token, hosts=allowed_hosts(host, port),
                         cookie=self.cookie, max_body=self.max_upload)

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/?token={self.token}"

    def close(self) -> None:
        """Stop the workers and delete the private folder (every upload and result in it)."""
        self.jobs.close()
        shutil.rmtree(self.root, ignore_errors=True)


def _error(status: int, message: str):
    return JSONResponse({"error": message}, status_code=status)


def create_app(studio: Studio):
    from cinemuse.studio.kinds import KINDS

    app = FastAPI(title="cinemuse studio", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    statics = {p.name: p for p in STATIC.iterdir() if p.is_file()}  # served by name, nothing else

    @app.exception_handler(HTTPException)
    async def http_error(request, exc):
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request, exc):
        return _error(400, "malformed request")

    @app.get("/", include_in_schema=False)
    def index():
        return HTMLResponse(statics["index.html"].read_text())

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str):
        path = statics.get(name)
        if path is None:
            return _error(404, "no such file")
        return FileResponse(path)

    @app.get("/api/kinds", summary="The jobs this studio runs, with their options")
    def kinds() -> dict[str, Any]:
        return {"version": __version__, "max_upload_bytes": studio.max_upload,
                "kinds": [k.describe() for k in KINDS.values()]}

    _job_routes(app, studio)
    return app


def _job_routes(app, studio: Studio) -> None:
    from cinemuse.studio.jobs import TERMINAL

    @app.post("/api/jobs", status_code=201, summary="Start a job (multipart: kind, options, files)")
    async def create_job(request: Request):
        return await _create_job(studio, request)

    @app.get("/api/jobs", summary="Every job of this session, newest first")
    def list_jobs():
        return {"jobs": [studio.jobs.view(j) for j in studio.jobs.all()]}

    @app.get("/api/jobs/{jid}", summary="A job's state, progress, error and results")
    def get_job(jid: str):
        job = studio.jobs.get(jid)
        return _error(404, f"no job {jid!r}") if job is None else studio.jobs.view(job)

    @app.get("/api/jobs/{jid}/events", summary="Server-sent events: the job each time it changes")
    async def job_events(jid: str):
        job = studio.jobs.get(jid)
        if job is None:
            return _error(404, f"no job {jid!r}")

        async def stream():
            seen, quiet = -1, 0.0
            while True:
                if job.version != seen:
                    seen, quiet = job.version, 0.0
                    yield f"event: job\ndata: {json.dumps(studio.jobs.view(job))}\n\n"
                    if job.state in TERMINAL:
                        return
                elif quiet > 15:
                    quiet = 0.0
                    yield ": still here\n\n"
                await asyncio.sleep(0.05)
                quiet += 0.05

        return StreamingResponse(stream(), media_type="text/event-stream")

    @app.delete("/api/jobs/{jid}", summary="Cancel a job (queued or running); its files are deleted")
    def cancel_job(jid: str):
        job = studio.jobs.cancel(jid)
        return _error(404, f"no job {jid!r}") if job is None else studio.jobs.view(job)

    @app.get("/api/jobs/{jid}/files/{fid}", summary="One result file, by its id")
    def job_file(jid: str, fid: str, download: bool = False):
        job = studio.jobs.get(jid)
        found = job.result_path(fid) if job is not None else None
        if found is None:
            return _error(404, "no such file")
        path, record = found
        name = record["name"].replace("/", "_")
        return FileResponse(path, media_type=record["type"], filename=name,
                            content_disposition_type="attachment" if download else "inline")


async def _create_job(studio: Studio, request) -> Any:
    from cinemuse.errors import BadInputError, CinemuseError
    from cinemuse.studio.kinds import KINDS
    from cinemuse.studio.uploads import BadForm, TooLarge, read_form, safe_stem

    jid, folder = studio.jobs.new_folder()
    submitted = False
    try:
        try:
            form = await read_form(request.stream(), request.headers.get("content-type", ""),
                                   folder / "in", limit=studio.max_upload)
        except TooLarge:
            return _error(413, f"the upload is larger than the studio's limit of "
                          f"{studio.max_upload // (1024 * 1024)} MB (cinemuse studio --max-upload-mb)")
        except BadForm as exc:
            return _error(400, str(exc))
        kind = KINDS.get(form.fields.get("kind", ""))
        if kind is None:
            return _error(400, f"unknown job kind {form.fields.get('kind')!r}; kinds are {', '.join(KINDS)}")
        try:
            options = json.loads(form.fields.get("options") or "{}")
        except json.JSONDecodeError:
            options = None
        if not isinstance(options, dict):
            return _error(400, "options must be a JSON object")
        try:
            options = kind.parse_options(options)
        except CinemuseError as exc:
            return _error(400, f"{kind.name}: {exc}")
        problem = _count_problem(kind, len(form.files))
        if problem:
            return _error(400, f"{kind.name}: {problem}")
        try:
            inputs = await asyncio.to_thread(_checked_inputs, kind, form.files)
        except BadInputError as exc:
            return _error(415, str(exc))
        stem = safe_stem(form.files[0].client_name) if form.files else kind.name
        job = studio.jobs.submit(jid, folder, kind.name, inputs, options, stem)
        submitted = True
    finally:
        if not submitted:  # nothing of a refused request is kept
            shutil.rmtree(folder, ignore_errors=True)
    return JSONResponse(studio.jobs.view(job), status_code=201)


def _checked_inputs(kind, uploads) -> list:
    """Every upload checked to be what ``kind`` takes; returns the paths the job gets.

    A slideshow takes photos and at most one song: the song is moved into ``song/`` (a place
    the runner recognises), so what a file is was decided here, by decoding it, never by its
    name.
    """
    from cinemuse.errors import BadInputError
    from cinemuse.studio.uploads import check_media

    if kind.inputs != "photos":
        for i, up in enumerate(uploads):
            check_media(up.path, up.client_name, kind.inputs if i == 0 else "image")
        return [u.path for u in uploads]
    photos, songs = [], []
    for up in uploads:
        try:
            check_media(up.path, up.client_name, "image")
            photos.append(up.path)
        except BadInputError as exc:
            try:
                check_media(up.path, up.client_name, "audio")
            except BadInputError:
                raise exc from None
            songs.append(up)
    if len(songs) > 1:
        raise BadInputError(songs[1].client_name, "a slideshow takes one song (this is the second)")
    if not photos:
        raise BadInputError(uploads[0].client_name, "a slideshow needs photos, not only a song")
    for up in songs:
        (up.path.parent / "song").mkdir()
        photos.append(up.path.rename(up.path.parent / "song" / up.path.name))
    return photos


_WANTED = {"video": "a video", "photos": "photos", "audio": "an audio file", "image": "a picture", "visual": "a picture or a video"}


def _count_problem(kind, n: int) -> str | None:
    if kind.inputs is None:
        return "takes no files" if n else None
    if n == 0:
        return f"needs {_WANTED[kind.inputs]}"
    if n > 1 and not kind.references:
        return "takes one file"
    return None
