"""The local engine: a few long-lived worker processes on this machine.

Each worker is a spawned process that loads the job's models once and then takes one item at
a time over its own pipe, so the driver always knows which item a worker holds. A worker that
dies (crash, SIGKILL, out of memory) shows up as its process sentinel firing: the driver is
told which item was lost and a fresh worker takes the worker's place. This is why the engine
does not use ``multiprocessing.Pool`` (a lost task hangs it) or ``ProcessPoolExecutor`` (one
dead worker breaks the whole pool).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from contextlib import contextmanager
from multiprocessing.connection import wait as wait_any
from typing import Any, Iterator

STOP_GRACE_SECONDS = 10.0  # how long an interrupted worker gets to clean up its temporary files


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def worker_main(conn, job_name: str, options: Any) -> None:
    """A worker's life: warm up, then run items until the pipe closes or the driver stops it.

    Workers start with SIGINT ignored: a terminal's Ctrl-C reaches the whole process group,
    and it is the driver that decides how to stop (SIGTERM, which cleans up like Ctrl-C).
    """
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        from cinemuse.pipelines.batch.worker import run_task, warm_once

        warm_once(job_name, options)
        while True:
            task = conn.recv()
            if task is None:
                return
            conn.send(run_task(job_name, options, *task))
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        return


@contextmanager
def _thread_env(threads: int) -> Iterator[None]:
    """Cap each worker's math threads so N workers share the cores instead of fighting.

    Spawned children read the environment at start, before numpy or onnxruntime is loaded.
    """
    keys = ("CINEMUSE_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {k: os.environ.get(k) for k in keys}
    for k in keys:
        os.environ.setdefault(k, str(threads))
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """A child started meanwhile inherits SIGINT ignored (Python keeps an ignored SIGINT)."""
    import threading

    if threading.current_thread() is not threading.main_thread():  # only the main thread may
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Worker:
    def __init__(self, ctx, job_name: str, options: Any):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=worker_main, args=(child, job_name, options),
                                   name="cinemuse-batch-worker", daemon=True)
        self.process.start()
        child.close()
        self.key: str | None = None  # the item it holds


class LocalEngine:
    """``submit`` an item to an idle worker; ``wait`` for finished (or lost) items."""

    name = "local"

    def __init__(self, job_name: str, options: Any, *, workers: int):
        self.job_name, self.options = job_name, options
        self.capacity = max(1, workers)
        self._threads = max(1, (os.cpu_count() or 1) // self.capacity)
        self._ctx = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []

    def __enter__(self) -> "LocalEngine":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop(graceful=exc_type is None)

    def _idle_worker(self) -> _Worker:
        for w in self._workers:
            if w.key is None:
                return w
        with _thread_env(self._threads), _sigint_ignored():
            w = _Worker(self._ctx, self.job_name, self.options)
        self._workers.append(w)
        return w

    def submit(self, key: str, task: tuple) -> str:
        """Give ``task`` (item, outputs, force) to a worker; returns the worker's name."""
        w = self._idle_worker()
        w.key = key
        w.conn.send(task)
        return f"pid {w.process.pid}"

    def wait(self) -> list[tuple[str, dict]]:
        """Block until at least one item finished or was lost; ``(key, report)`` for each.

        A lost item's report is ``{"ok": False, "kind": "crash", "error": ...}``.
        """
        busy = [w for w in self._workers if w.key is not None]
        if not busy:
            return []
        handles = {}
        for w in busy:
            handles[w.conn] = w
            handles[w.process.sentinel] = w
        finished = []
        for ready in wait_any(list(handles)):
            w = handles[ready]
            if w.key is None:
                continue  # both its pipe and its sentinel fired
            report = None
            if ready is w.conn:
                try:
                    report = w.conn.recv()
                except (EOFError, OSError):
                    report = None
            if report is None:  # the process is gone, or going, without an answer
                w.process.join(timeout=5)
                code = w.process.exitcode
                how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                report = {"ok": False, "kind": "crash", "error": f"worker died ({how})",
                          "worker": f"pid {w.process.pid}"}
                self._workers.remove(w)
                w.conn.close()
            finished.append((w.key, report))
            w.key = None
        return finished

    def stop(self, *, graceful: bool = True) -> None:
        """Graceful: let idle workers exit. Otherwise SIGTERM (they delete their temporary
        files as on Ctrl-C), then SIGKILL whatever is still there after the grace period."""
        for w in self._workers:
            try:
                if graceful:
                    w.conn.send(None)
                elif w.process.is_alive():
                    w.process.terminate()
            except (OSError, BrokenPipeError):
                pass
        for w in self._workers:
            w.process.join(timeout=STOP_GRACE_SECONDS)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
            w.conn.close()
        self._workers = []
