"""The Ray engine: the same items as Ray tasks, on this machine or on a cluster.

Install with ``pip install "cinemuse[ray]"``. Without ``--address`` a local Ray instance is
started (``ray.init``) and shut down at the end; with it the batch joins an existing cluster
(``auto``, ``HOST:PORT`` or ``ray://HOST:10001``). If the calling process already has Ray
initialised, that connection is used and left open.

Each item is one task running :func:`cinemuse.pipelines.batch.worker.run_task`. Ray reuses
its worker processes between tasks of the same function, so a worker loads the models once
(``warm_once``) and keeps them, like a local worker. Tasks are submitted with
``max_retries=0``: the driver does the retrying itself, as for the local engine, so both write
the same manifest (the same attempts and states). At most ``capacity`` tasks are in flight, so
"running" in the manifest means running, not waiting in Ray's queue.

File systems: inputs and outputs are plain paths, which every node must see at the same place
(one machine, or a shared POSIX mount such as NFS, CephFS, Lustre or a FUSE-mounted bucket);
the driver sends them absolute, so a worker's current folder does not matter. Tested here on
one machine only (a local 2-CPU Ray). Object-store URIs (``s3://``, ``gs://``) are not
supported: the jobs stream media through FFmpeg and write atomically by rename, which an
object store does not offer, and none was tested.
"""

from __future__ import annotations

import os
from typing import Any

from cinemuse.errors import UsageError

INSTALL_HINT = 'the Ray engine needs the ray extra: pip install "cinemuse[ray]"'


class RayEngine:
    name = "ray"

    def __init__(self, job_name: str, options: Any, *, workers: int | None, address: str | None):
        try:
            import ray
        except ImportError:
            raise UsageError(INSTALL_HINT) from None
        self._ray = ray
        self._owned = not ray.is_initialized()
        if self._owned:
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if address:
                kwargs["address"] = address
            else:
                kwargs["num_cpus"] = workers or os.cpu_count() or 1
            try:
                ray.init(**kwargs)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise UsageError(f"--engine ray: cannot start or reach Ray at {address or 'this machine'}: {exc}") from None
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.capacity = max(1, workers or cpus)
        from cinemuse.pipelines.batch.worker import run_task

        self._remote = ray.remote(num_cpus=1, max_retries=0)(run_task)
        self._job_name = job_name
        self._options = ray.put(options)  # sent to the object store once, not with every task
        self._refs: dict[Any, str] = {}

    def __enter__(self) -> "RayEngine":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop(graceful=exc_type is None)

    def submit(self, key: str, task: tuple) -> str | None:
        ref = self._remote.remote(self._job_name, self._options, *task)
        self._refs[ref] = key
        return None  # which worker takes it is Ray's choice, unknown until it runs

    def wait(self) -> list[tuple[str, dict]]:
        if not self._refs:
            return []
        ready, _ = self._ray.wait(list(self._refs), num_returns=1)
        finished = []
        for ref in ready:
            key = self._refs.pop(ref)
            try:
                report = self._ray.get(ref)
            except self._ray.exceptions.RayError as exc:  # the worker or its node died
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                report = {"ok": False, "kind": "crash", "error": f"worker died ({type(exc).__name__}: {first})",
                          "worker": None}
            finished.append((key, report))
        return finished

    def stop(self, *, graceful: bool = True) -> None:
        if not graceful:
            for ref in list(self._refs):
                try:
                    self._ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001 - already finished or gone
                    pass
            self._refs.clear()
        if self._owned and self._ray.is_initialized():
            self._ray.shutdown()
