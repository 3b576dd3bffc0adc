"""The batch driver: plan the items, skip what is done, hand the rest to an engine, record all.

The driver alone writes the manifest, decides what is done and retries lost items, so the
local and Ray engines differ only in how an item reaches a worker (see ``local.py`` and
``ray_engine.py``). Outputs are written by the pipelines atomically (a hidden temporary file
renamed into place); a worker killed mid-file leaves its temporary behind, and the driver
removes it (:func:`remove_stale_parts`) before the item is retried or the batch stops.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cinemuse.errors import BadInputError, UsageError
from cinemuse.pipelines.batch.jobs import Item, get_job
from cinemuse.pipelines.batch.manifest import Manifest, options_hash
from cinemuse.progress import SILENT, Progress



@dataclass
class BatchRequest:
    """What ``cinemuse batch`` was asked to do.

    ``options`` go to the job in every worker (picklable); ``options_key`` is the job's
    options as the user gave them (JSON values), which the manifest hashes.
    """

    job: str
    inputs: list[Path]
    out_dir: Path
    options: Any = None
    options_key: dict = field(default_factory=dict)
    engine: str = "local"
    workers: int | None = None
    retries: int = 2
    address: str | None = None
    force: bool = False
    retry_failed: bool = False


@dataclass(frozen=True)
class BatchResult:
    """How the run went: counts, the failed inputs with their messages, where the manifest is."""

    job: str
    out_dir: str
    manifest: str
    total: int
    done: int
    skipped: int
    failed: tuple[dict, ...]
    internal_errors: int
    seconds: float

    def to_dict(self) -> dict:
        return {"job": self.job, "output": self.out_dir, "manifest": self.manifest, "total": self.total,
                "done": self.done, "skipped": self.skipped, "failed": list(self.failed),
                "internal_errors": self.internal_errors, "seconds": round(self.seconds, 3)}


@dataclass
class _Task:
    item: Item
    outputs: list[Path]
    identity: dict
    force: bool
    attempt: int = 0


def remove_stale_parts(outputs: list[Path]) -> int:
    """Delete the temporary files a lost worker left for these outputs; returns how many.

    Only io.atomic's own temporaries for exactly these outputs are touched (so a user's file
    can never match), whichever process or host made them: the driver knows their writer is
    gone. Inside a folder output (stems), the general stale-part cleaner does the rest.
    """
    from cinemuse.io.atomic import clean_stale_parts, parts_of

    removed = 0
    for out in outputs:
        for part in parts_of(out):
            part.unlink(missing_ok=True)
            removed += 1
        if out.is_dir():
            removed += len(clean_stale_parts(out))
    return removed


def _portable(task: _Task) -> tuple:
    """What a worker gets: absolute paths, which mean the same file on every node of a cluster
    sharing the mount, whatever each worker's current folder is."""
    from dataclasses import replace

    item = task.item
    if item.source is not None:
        item = replace(item, source=str(Path(item.source).resolve()))
    return item, [str(o.resolve()) for o in task.outputs], task.force


def make_engine(req: BatchRequest):
    import os

    if req.engine == "local":
        from cinemuse.pipelines.batch.local import LocalEngine

        return LocalEngine(req.job, req.options, workers=req.workers or os.cpu_count() or 1)
    if req.engine == "ray":
        from cinemuse.pipelines.batch.ray_engine import RayEngine

        return RayEngine(req.job, req.options, workers=req.workers, address=req.address)
    raise UsageError(f"--engine must be local or ray, not {req.engine!r}")


class _Run:
    """One run of the driver over one OUT_DIR."""

    def __init__(self, req: BatchRequest, progress: Progress):
        self.req, self.progress = req, progress
        self.job = get_job(req.job)
        self.manifest = Manifest(req.out_dir)
        self.opts_hash = options_hash(req.job, req.options_key)
        self.done = self.skipped = self.internal = 0
        self.failed: list[dict] = []

    def record(self, task: _Task, state: str, **extra: Any) -> None:
        self.manifest.write(
            input=task.item.key, outputs=[self.manifest.relative(o) for o in task.outputs], state=state,
            error=extra.pop("error", None), seconds=extra.pop("seconds", None), attempt=task.attempt,
            options=self.opts_hash, job=self.req.job, **task.identity, **extra,
        )

    def plan(self, items: list[Item]) -> list[_Task]:
        """Tasks for the items not done yet; done ones are recorded as skipped."""
        out_dir, seen, tasks = self.req.out_dir, {}, []
        for item in items:
            outputs = self.job.outputs(item, out_dir, self.req.options)
            for o in outputs:
                if o in seen:
                    raise UsageError(f"{item.key} and {seen[o]} would both write {o}; "
                                     "give them different names or separate batches")
                seen[o] = item.key
            try:
                identity = self.manifest.input_identity(item.key, item.source, item.brief, item.files)
            except OSError as exc:
                self.fail(_Task(item, outputs, {}, False),
                          str(BadInputError(item.source, f"cannot be read ({exc.strerror})")))
                continue
            task = _Task(item, outputs, identity, force=False)
            if self.manifest.is_done(item.key, identity, self.opts_hash, outputs):
                self.record(task, "skipped")
                self.skipped += 1
                continue
            known_bad = self.manifest.failed_as_bad(item.key, identity, self.opts_hash)
            if known_bad and not self.req.retry_failed:  # the same bytes fail the same way
                self.fail(task, known_bad, failure="bad", retried=False)
                continue
            # outputs cinemuse wrote for this batch may be replaced; anyone else's need --force
            foreign = [o for o in outputs if o.exists() and str(o) not in self.manifest.ours]
            task.force = self.req.force or not foreign
            if foreign and not self.req.force:
                self.fail(task, f"{foreign[0]}: already exists (use --force to overwrite)")
                continue
            for o in outputs:  # the mirrored folders; the driver makes them, workers only write files
                o.parent.mkdir(parents=True, exist_ok=True)
            self.record(task, "queued")
            tasks.append(task)
        return tasks

    def fail(self, task: _Task, error: str, *, internal: bool = False, **extra: Any) -> None:
        self.record(task, "failed", error=error, **extra)
        self.failed.append({"input": task.item.key, "error": error})
        self.internal += internal

    def finish(self, task: _Task, report: dict) -> bool:
        """Record a worker's report; True when the task must be tried again."""
        extra = {"seconds": report.get("seconds"), "worker": report.get("worker")}
        if report.get("ok"):
            self.record(task, "done", **extra)
            self.done += 1
            return False
        remove_stale_parts(task.outputs)
        if report.get("kind") == "crash" and task.attempt <= self.req.retries:
            self.record(task, "queued", error=f"{report['error']}; retrying", worker=report.get("worker"))
            return True
        bad = report.get("kind") == "bad"
        self.fail(task, report.get("error") or "failed", internal=not bad, failure="bad" if bad else "internal",
                  **extra)
        return False

    def execute(self, tasks: list[_Task], stage) -> None:
        pending, running = deque(tasks), {}
        with make_engine(self.req) as engine:
            try:
                while pending or running:
                    while pending and len(running) < engine.capacity:
                        task = pending.popleft()
                        task.attempt += 1
                        running[task.item.key] = task
                        worker = engine.submit(task.item.key, _portable(task))
                        self.record(task, "running", worker=worker)
                        stage.note(Path(task.item.source or task.item.rel).name)
                    for key, report in engine.wait():
                        task = running.pop(key)
                        if self.finish(task, report):
                            pending.appendleft(task)
                        else:
                            stage.advance()
            except BaseException:
                engine.stop(graceful=False)
                for task in running.values():  # stopped mid-file: back in the queue, nothing half-written
                    remove_stale_parts(task.outputs)
                    self.record(task, "queued", error="interrupted")
                raise


def run_batch(req: BatchRequest, *, progress: Progress = SILENT) -> BatchResult:
    """Run (or resume) a batch; see :mod:`cinemuse.pipelines.batch`."""
    t0 = time.perf_counter()
    job = get_job(req.job)
    if req.retries < 0:
        raise UsageError("--retries must be 0 or more")
    if req.workers is not None and req.workers < 1:
        raise UsageError("--workers must be at least 1")
    out_dir = req.out_dir
    if out_dir.exists() and not out_dir.is_dir():
        raise BadInputError(out_dir, "exists and is not a folder (batch needs an output folder)")
    items = job.find(req.inputs, out_dir)
    if not items:
        raise BadInputError(req.inputs[0] if len(req.inputs) == 1 else None,
                            f"no inputs for {req.job} found in {', '.join(map(str, req.inputs))}")
    out_dir.mkdir(parents=True, exist_ok=True)
    run = _Run(req, progress)
    try:
        with progress.stage(f"batch {req.job}", total=len(items)) as stage:
            tasks = run.plan(items)
            stage.advance(len(items) - len(tasks))
            for task in tasks:  # a batch killed outright last time may have left temporaries
                remove_stale_parts(task.outputs)
            if tasks:
                run.execute(tasks, stage)
    finally:
        run.manifest.close()
    return BatchResult(
        job=req.job, out_dir=str(out_dir), manifest=str(run.manifest.path), total=len(items),
        done=run.done, skipped=run.skipped, failed=tuple(run.failed), internal_errors=run.internal,
        seconds=time.perf_counter() - t0,
    )
