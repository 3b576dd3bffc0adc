"""The worker process: runs one job at a time, keeps what it loaded for the next one.

It talks to the studio over a pipe. In: ``{"id", "kind", "inputs", "options", "out_dir",
"stem"}``. Out: ``("ready",)`` once warmed up, then per job ``("started", id)``, any number
of ``("stage", id, description, fraction)``, and ``("done", id, summary)`` or
``("failed", id, message)``. Models are cached per process by the modules that load them
(soundfont, image encoder, melody model), so a second job of a kind skips the loading.

SIGTERM is how the studio cancels: it becomes KeyboardInterrupt, so every atomic output in
flight removes its temporary file on the way out; the studio then deletes the job's folder.
"""

from __future__ import annotations

import json
import signal
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

from cinemuse.progress import Progress, Stage


class _PipeStage(Stage):
    def __init__(self, report, total):
        self._report, self._total, self._done = report, total, 0.0

    def advance(self, amount: float = 1.0) -> None:
        self.update(self._done + amount)

    def update(self, completed: float, total: float | None = None) -> None:
        if total is not None:
            self._total = total
        self._done = completed
        if self._total:
            self._report(min(1.0, self._done / self._total))


class PipeProgress(Progress):
    """Progress that reports each stage's fraction over the pipe (at most ~10 times a second)."""

    def __init__(self, send, job_id: str):
        self._send, self._id, self._last = send, job_id, 0.0

    @contextmanager
    def stage(self, description: str, total: float | None = None):
        import time

        def report(fraction: float, force: bool = False) -> None:
            now = time.monotonic()
            if force or now - self._last >= 0.1:
                self._last = now
                self._send(("stage", self._id, description, fraction))

        report(0.0, force=True)
        yield _PipeStage(report, total)
        report(1.0, force=True)


def _warm_up() -> None:
    """Load what a score job needs (the most common job) before the first one arrives."""
    try:
        from cinemuse.music.melody_model import MelodyModel
        from cinemuse.music.render import load_soundfont
        from cinemuse.pipelines import score
        from cinemuse.vision.encoder import ImageEncoder

        load_soundfont(sample_rate=score.SAMPLE_RATE)
        ImageEncoder.load()
        MelodyModel.load()
        import cinemuse.analysis.video  # noqa: F401
        import cinemuse.music.compose  # noqa: F401
    except Exception:  # noqa: BLE001 - the job that needs it reports the problem
        pass


def _one_line(exc: BaseException) -> str:
    from cinemuse.errors import CinemuseError

    if isinstance(exc, CinemuseError):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {exc}"


WARM_AFTER_S = 1.0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(conn, warm: bool = True) -> None:
    """The worker's loop (the target of its process)."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal is the studio's to handle
    try:
        _serve(conn, warm)
    except KeyboardInterrupt:  # cancelled or stopped: atomic outputs have cleaned up
        pass


def _serve(conn, warm: bool) -> None:
    from cinemuse.studio.kinds import KINDS

    # Warm up once the page has had its second to load (both compete for the same cores at
    # start); a job that comes sooner is taken at once and loads what it needs itself.
    if warm and not conn.poll(WARM_AFTER_S):
        _warm_up()
    conn.send(("ready",))
    while True:
        try:
            job = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if job is None:
            return
        jid = job["id"]
        conn.send(("started", jid))
        try:
            kind = KINDS[job["kind"]]
            summary = kind.run([Path(p) for p in job["inputs"]], job["options"], Path(job["out_dir"]),
                               job["stem"], PipeProgress(conn.send, jid))
        except KeyboardInterrupt:
            return
        except BaseException as exc:  # noqa: BLE001 - reported to the page, the worker lives on
            if job.get("debug"):
                traceback.print_exc(file=sys.stderr)
            conn.send(("failed", jid, _one_line(exc)))
            continue
        conn.send(("done", jid, json.loads(json.dumps(summary, default=str))))
