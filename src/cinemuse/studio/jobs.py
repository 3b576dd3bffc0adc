"""The studio's job queue: jobs run in worker processes, one at a time per worker, in order.

The web server never runs a job itself (CPU-bound work would stall every page). A worker is a
separate process that keeps its loaded models between jobs (see :mod:`cinemuse.studio.worker`);
a thread per worker hands it the next queued job and turns its messages into job state.

Cancelling a queued job takes it off the queue. Cancelling a running job stops its worker
(SIGTERM: the job's atomic outputs drop their temporary files; SIGKILL after a grace period),
deletes the job's folder, and starts a fresh worker for the next job. Every job writes only
into its own folder under the studio's private root, so nothing half-written is ever left
where a user would find it.
"""

from __future__ import annotations

import mimetypes
import multiprocessing
import secrets
import shutil
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TERMINAL = ("done", "failed", "cancelled")
KILL_AFTER_S = 5.0
# which results a page shows first: the main output of each kind
_PRIMARY = (".mp4", ".mov", ".png", ".jpg", ".wav", ".json")


@dataclass
class Job:
    id: str
    kind: str
    inputs: list[Path]
    options: dict[str, Any]
    stem: str
    folder: Path
    state: str = "queued"
    progress: float = 0.0
    stage: str = ""
    error: str | None = None
    summary: dict[str, Any] | None = None
    results: list[dict[str, Any]] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    version: int = 0  # bumped on every change; the event stream watches it
    cancel_requested: bool = False
    stages_done: int = 0

    @property
    def out_dir(self) -> Path:
        return self.folder / "out"

    def result_path(self, file_id: str) -> tuple[Path, dict] | None:
        for r in self.results:
            if secrets.compare_digest(r["id"], file_id):
                return self.out_dir / r["path"], r
        return None


class _WorkerSlot:
    """One worker process and the thread that feeds it."""

    def __init__(self, manager: "JobManager", index: int):
        self.manager, self.index = manager, index
        self.proc = None
        self.conn = None
        self.job: Job | None = None
        self.thread = threading.Thread(target=self._loop, name=f"studio-worker-{index}", daemon=True)

    def start_process(self) -> None:
        from cinemuse.studio import worker

        ctx = multiprocessing.get_context("spawn")  # the server has threads: never fork it
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=worker.main, args=(child, self.manager.warm), daemon=True,
                           name=f"cinemuse-studio-worker-{self.index}")
        proc.start()
        child.close()  # so that recv() sees EOF when the worker dies
        self.proc, self.conn = proc, parent

    def stop_process(self, *, grace: float = KILL_AFTER_S) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.is_alive():
            proc.terminate()
            proc.join(grace)
            if proc.is_alive():
                proc.kill()
                proc.join()
        self.conn.close()
        self.proc = self.conn = None

    def _loop(self) -> None:
        while True:
            job = self.manager._next(self)
            if job is None:
                return
            if self.proc is None or not self.proc.is_alive():
                self.stop_process()
                self.start_process()
            self._run(job)

    def _run(self, job: Job) -> None:
        m = self.manager
        self.conn.send({"id": job.id, "kind": job.kind, "inputs": [str(p) for p in job.inputs],
                        "options": job.options, "out_dir": str(job.out_dir), "stem": job.stem})
        while True:
            try:
                msg = self.conn.recv()
            except (EOFError, OSError):  # the worker is gone: cancelled, or it crashed
                self.stop_process()
                m._finish(job, "cancelled" if job.cancel_requested else "failed",
                          error=None if job.cancel_requested else "internal error: the worker stopped")
                return
            if msg[0] == "started":
                m._update(job, state="running", started=time.time())
            elif msg[0] == "stage":
                m._stage(job, msg[2], msg[3])
            elif msg[0] == "done":
                m._finish(job, "done", summary=msg[2])
                return
            elif msg[0] == "failed":
                m._finish(job, "failed", error=msg[2])
                return


class JobManager:
    """Jobs by id, a FIFO queue, and ``workers`` worker processes."""

    def __init__(self, root: Path, *, workers: int = 1, warm: bool = True):
        self.root = Path(root)
        self.warm = warm
        self._cond = threading.Condition()
        self._jobs: dict[str, Job] = {}
        self._queue: deque[Job] = deque()
        self._closing = False
        self._stage_counts: dict[str, int] = {}  # stages a kind went through last time
        self._slots = [_WorkerSlot(self, i) for i in range(workers)]
        for slot in self._slots:
            slot.start_process()  # warm up while the user picks a file
            slot.thread.start()

    # --------------------------------------------------------------- public
    def new_folder(self) -> tuple[str, Path]:
        """A fresh job id and its folder (``in/`` for uploads, ``out/`` for results)."""
        jid = secrets.token_hex(8)
        folder = self.root / "jobs" / jid
        (folder / "in").mkdir(parents=True)
        (folder / "out").mkdir()
        return jid, folder

    def submit(self, jid: str, folder: Path, kind: str, inputs: list[Path], options: dict, stem: str) -> Job:
        job = Job(jid, kind, inputs, options, stem, folder)
        with self._cond:
            if self._closing:
                raise RuntimeError("the studio is shutting down")
            self._jobs[jid] = job
            self._queue.append(job)
            self._cond.notify_all()
        return job

    def all(self) -> list[Job]:
        """Every job of this session, newest first."""
        with self._cond:
            return sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)

    def get(self, jid: str) -> Job | None:
        with self._cond:
            return self._jobs.get(jid)

    def cancel(self, jid: str) -> Job | None:
        with self._cond:
            job = self._jobs.get(jid)
            if job is None or job.state in TERMINAL:
                return job
            job.cancel_requested = True
            if job in self._queue:
                self._queue.remove(job)
                self._finish_locked(job, "cancelled")
                return job
            slot = next((s for s in self._slots if s.job is job), None)
        if slot is not None and slot.proc is not None:
            slot.proc.terminate()  # the slot's thread sees the pipe close and finishes the job
            threading.Timer(KILL_AFTER_S, _kill_if_alive, (slot.proc,)).start()
        return job

    def view(self, job: Job) -> dict[str, Any]:
        with self._cond:
            position = next((i + 1 for i, j in enumerate(self._queue) if j is job), 0)
            return {
                "id": job.id, "kind": job.kind, "state": job.state,
                "progress": round(job.progress, 4), "stage": job.stage, "position": position,
                "error": job.error,
                "results": [{k: r[k] for k in ("id", "name", "url", "type", "size")} for r in job.results],
                "summary": job.summary, "options": job.options,
                "created": job.created, "started": job.started, "finished": job.finished,
            }

    def close(self) -> None:
        with self._cond:
            self._closing = True
            for job in list(self._queue):
                self._finish_locked(job, "cancelled")
            self._queue.clear()
            self._cond.notify_all()
        for slot in self._slots:
            if slot.job is not None:
                slot.job.cancel_requested = True
            slot.stop_process(grace=2.0)
        for slot in self._slots:
            slot.thread.join(5.0)

    # --------------------------------------------------------------- for the slots
    def _next(self, slot: _WorkerSlot) -> Job | None:
        with self._cond:
            slot.job = None
            while not self._queue and not self._closing:
                self._cond.wait()
            if self._closing:
                return None
            job = self._queue.popleft()
            slot.job = job
            for j in self._queue:  # everyone behind moves up a place
                j.version += 1
            return job

    def _update(self, job: Job, **changes) -> None:
        with self._cond:
            for k, v in changes.items():
                setattr(job, k, v)
            job.version += 1

    def _stage(self, job: Job, description: str, fraction: float) -> None:
        with self._cond:
            if description != job.stage:
                if job.stage:
                    job.stages_done += 1
                job.stage = description
            expected = max(self._stage_counts.get(job.kind, 4), job.stages_done + 1)
            job.progress = max(job.progress, min(0.99, (job.stages_done + fraction) / expected))
            job.version += 1

    def _finish(self, job: Job, state: str, **changes) -> None:
        with self._cond:
            self._finish_locked(job, state, **changes)

    def _finish_locked(self, job: Job, state: str, *, error: str | None = None, summary=None) -> None:
        if job.cancel_requested and state != "cancelled":
            state, error, summary = "cancelled", None, None  # finished as the cancel came in
        job.state, job.error, job.summary = state, error, _scrub(summary, job.out_dir)
        job.finished = time.time()
        if state == "done":
            job.progress = 1.0
            self._stage_counts[job.kind] = job.stages_done + 1
            job.results = _results(job)
        else:
            # nothing half-made survives a failure or a cancel: the job's folder goes
            shutil.rmtree(job.folder, ignore_errors=True)
        job.version += 1
        self._cond.notify_all()


def _scrub(value: Any, out_dir: Path) -> Any:
    """The summary without the studio's own paths: a path to a result becomes its name."""
    prefix = str(out_dir) + "/"
    if isinstance(value, dict):
        return {k: _scrub(v, out_dir) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, out_dir) for v in value]
    if isinstance(value, str) and str(out_dir.parent) in value:
        return value.replace(prefix, "").replace(str(out_dir.parent) + "/", "")
    return value


def _kill_if_alive(proc) -> None:
    if proc.is_alive():
        proc.kill()


def _results(job: Job) -> list[dict[str, Any]]:
    files = sorted((p for p in job.out_dir.rglob("*") if p.is_file()),
                   key=lambda p: (p.parent != job.out_dir, _rank(p), p.name))
    out = []
    for p in files:
        fid = secrets.token_urlsafe(9)
        rel = p.relative_to(job.out_dir).as_posix()
        out.append({"id": fid, "name": rel, "path": rel, "size": p.stat().st_size,
                    "type": mimetypes.guess_type(p.name)[0] or "application/octet-stream",
                    "url": f"/api/jobs/{job.id}/files/{fid}"})
    return out


def _rank(p: Path) -> int:
    s = p.suffix.lower()
    return _PRIMARY.index(s) if s in _PRIMARY else len(_PRIMARY)
