"""The batch manifest: ``OUT_DIR/manifest.jsonl``, one JSON line per input per state change.

Only the driver writes it, appending, one whole line per ``write`` (flushed at once), so
workers never race for it and a crash loses at most the line being written; a torn last line
is ignored when the manifest is read back. The newest record of an input is its state. Re-runs
append to the same file, so the manifest is also the history of the batch.

Fields: ``input``, ``outputs`` (relative to OUT_DIR where they lie inside it), ``state``
(queued, running, done, failed, skipped), ``error`` (the job's one-line message), ``seconds``,
``attempt``, ``options`` (hash of the job and its options), ``input_sha256`` with the
``input_size`` and ``input_mtime_ns`` it was taken at (``input_stamp`` for a folder), ``worker``, ``time`` (UTC);
a failed record says whether the job refused the input (``failure``: ``bad``) or failed itself
(``internal``), and ``retried: false`` when a re-run left a refused, unchanged input alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Iterator

STATES = ("queued", "running", "done", "failed", "skipped")
NAME = "manifest.jsonl"


def options_hash(job: str, options: dict[str, Any]) -> str:
    """A stable hash of a job and its options as given (canonical JSON, sorted keys)."""
    text = json.dumps({"job": job, "options": options}, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def file_sha256(path: str | os.PathLike, *, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def read_records(path: Path) -> Iterator[dict]:
    """Every whole record in a manifest (a torn or foreign line is skipped)."""
    if not path.exists():
        return
    with path.open("r", encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "input" in record and record.get("state") in STATES:
                yield record


class Manifest:
    """The manifest of one OUT_DIR: what earlier runs did, and the appender for this one."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.path = out_dir / NAME
        self.finished: dict[str, dict] = {}  # input -> newest done/skipped record
        self.latest: dict[str, dict] = {}  # input -> newest record of any state
        self.ours: set[str] = set()  # every output path any run recorded (cinemuse wrote them)
        for record in read_records(self.path):
            self.latest[record["input"]] = record
            if record["state"] in ("done", "skipped"):
                self.finished[record["input"]] = record
            for out in record.get("outputs") or []:
                self.ours.add(str(self.absolute(out)))
        self._file = None

    def relative(self, path: Path) -> str:
        try:
            return Path(path).resolve().relative_to(self.out_dir.resolve()).as_posix()
        except ValueError:
            return str(Path(path).resolve())

    def absolute(self, name: str) -> Path:
        p = Path(name)
        return p if p.is_absolute() else self.out_dir / p

    def input_identity(self, key: str, source: str | None, brief: dict, files: tuple[str, ...] = ()) -> dict[str, Any]:
        """The input's content hash, reusing the last run's when size and mtime are unchanged.

        Hashing is one read of each input; on a re-run of an untouched archive it costs a
        ``stat`` per file instead. A brief (no file) is hashed as its canonical JSON; a folder
        input (an album) as the names and contents of ``files``, its ``input_stamp`` being
        the names, sizes and mtimes that let a re-run skip the reading.
        """
        if source is None:
            text = json.dumps(brief, sort_keys=True, default=str)
            return {"input_sha256": hashlib.sha256(text.encode()).hexdigest()}
        if files:
            return self._folder_identity(key, files)
        st = os.stat(source)
        size, mtime = st.st_size, st.st_mtime_ns
        for record in (self.finished.get(key), self.latest.get(key)):
            if record and record.get("input_size") == size and record.get("input_mtime_ns") == mtime \
                    and record.get("input_sha256"):
                return {"input_sha256": record["input_sha256"], "input_size": size, "input_mtime_ns": mtime}
        return {"input_sha256": file_sha256(source), "input_size": size, "input_mtime_ns": mtime}

    def _folder_identity(self, key: str, files: tuple[str, ...]) -> dict[str, Any]:
        stats = [(Path(f).name, os.stat(f)) for f in files]
        listing = "\n".join(f"{name}\0{st.st_size}\0{st.st_mtime_ns}" for name, st in stats)
        stamp = hashlib.sha256(listing.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        size = sum(st.st_size for _, st in stats)
        for record in (self.finished.get(key), self.latest.get(key)):
            if record and record.get("input_stamp") == stamp and record.get("input_sha256"):
                return {"input_sha256": record["input_sha256"], "input_size": size, "input_stamp": stamp}
        h = hashlib.sha256()
        for f in files:
            h.update(Path(f).name.encode("utf-8", "surrogateescape") + b"\0" + file_sha256(f).encode() + b"\n")
        return {"input_sha256": h.hexdigest(), "input_size": size, "input_stamp": stamp}

    def is_done(self, key: str, identity: dict, opts_hash: str, outputs: list[Path]) -> bool:
        """Same input content, same options, and every output still there."""
        record = self.finished.get(key)
        return bool(
            record
            and record.get("options") == opts_hash
            and record.get("input_sha256") == identity.get("input_sha256")
            and all(self.absolute(o).exists() for o in record.get("outputs") or [])
            and sorted(record.get("outputs") or []) == sorted(self.relative(o) for o in outputs)
        )

    def failed_as_bad(self, key: str, identity: dict, opts_hash: str) -> str | None:
        """The error of an input whose newest record is a bad-input failure of this very content
        under these options (a worker ran it and the job refused it); None otherwise."""
        record = self.latest.get(key)
        if (record and record.get("state") == "failed" and record.get("failure") == "bad"
                and record.get("options") == opts_hash and record.get("input_sha256") == identity.get("input_sha256")):
            return record.get("error") or "failed"
        return None

    def write(self, **record: Any) -> dict:
        if self._file is None:
            self._file = self.path.open("a", encoding="utf-8")
        record["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self._file.write(json.dumps(record, default=str) + "\n")
        self._file.flush()
        return record

    def close(self) -> None:
        if self._file is not None:
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
