"""Batch runs over whole folders and archives, on this machine or on a Ray cluster.

    INPUTS --jobs.find--> items --manifest: done already?--> skipped
                                 |
                                 +--> queued --engine--> running --worker: run_task--> done | failed
                                                           ^                |
                                                           +---- retried ---+  (worker died)

* :mod:`.jobs` is the adapter to the pipelines: what a job's inputs are, what it writes
  (named after the inputs, mirroring their folders) and how one item is run.
* :mod:`.manifest` is ``OUT_DIR/manifest.jsonl``: one line per input per state change; the
  newest line of an input is its state. Same input content and options => skipped.
* :mod:`.runner` is the driver: it alone writes the manifest and retries lost items.
* :mod:`.local` (worker processes) and :mod:`.ray_engine` (Ray tasks) are the engines; both
  run :func:`.worker.run_task`, which loads the models once per process.
"""

from cinemuse.pipelines.batch.runner import BatchRequest, BatchResult, run_batch

__all__ = ["BatchRequest", "BatchResult", "run_batch"]
