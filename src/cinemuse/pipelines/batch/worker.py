"""What a worker does with one item, the same under every engine.

:func:`run_task` never raises for the item's own failure: a bad input comes back as
``{"ok": False, "kind": "bad", "error": ...}`` and the batch goes on. Only a dead process (a
crash, SIGKILL, the OOM killer) is left for the engine to notice and the driver to retry.
Models are loaded once per worker process (:func:`warm_once`) and reused for every item.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

_warmed: set[str] = set()


def warm_once(job_name: str, options: Any) -> float:
    """Load the job's models in this process if not done yet; returns the seconds it took."""
    if job_name in _warmed:
        return 0.0
    from cinemuse.pipelines.batch.jobs import get_job

    t0 = time.perf_counter()
    try:
        get_job(job_name).warm(options)
    except Exception:  # noqa: BLE001 - the item's own run reports a missing model properly
        pass
    _warmed.add(job_name)
    return time.perf_counter() - t0


def _plain(value: Any) -> Any:
    """The job's summary reduced to JSON values (it travels between processes and hosts)."""
    return json.loads(json.dumps(value, default=str))


def run_task(job_name: str, options: Any, item: Any, outputs: list[str], force: bool) -> dict:
    """Run ``item`` and report how it went (see the module docstring)."""
    from cinemuse.errors import EXIT_USAGE, CinemuseError
    from cinemuse.pipelines.batch.jobs import get_job

    warm = warm_once(job_name, options)
    t0 = time.perf_counter()
    report: dict[str, Any] = {"worker": f"pid {os.getpid()}", "warm_seconds": round(warm, 3)}
    try:
        result = get_job(job_name).run(item, [Path(o) for o in outputs], options, force=force)
        report.update(ok=True, result=_plain(result.to_dict() if hasattr(result, "to_dict") else result))
    except CinemuseError as exc:
        report.update(ok=False, kind="bad" if exc.exit_code == EXIT_USAGE else "internal", error=str(exc))
    except Exception as exc:  # noqa: BLE001 - one item's bug must not stop the batch
        report.update(ok=False, kind="internal", error=f"internal error: {type(exc).__name__}: {exc}")
    report["seconds"] = round(time.perf_counter() - t0, 3)
    return report
