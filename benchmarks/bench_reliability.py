"""Reliability figures: the hostile-user corpus of issue 11 through the real command line.

Run from the repository root:

    .venv/bin/python benchmarks/bench_reliability.py              # corpus + 40 property trials
    .venv/bin/python benchmarks/bench_reliability.py --trials 0   # the corpus alone (~2 min)

Prints one JSON object per line:

- ``case``: one per case of ``tests/bad_input_corpus.py`` and of ``tests/test_bad_input.py``'s
  CLI table: id, command, issue class, pass/fail/skip, exit code, the problems found, seconds.
- ``property``: per seeded trial of ``tests/test_failed_runs_leave_no_trace.py`` (random
  outputs and options holding a fault): pass when the run exits 2 or 3 with one line and the
  folder is byte-identical afterwards.
- ``summary``: cases passed / run / skipped, trials passed / run, per command and per class.

Each case is a fresh ``python -m cinemuse`` process (about a second of CPU at least), four at
a time. Cases that need root (a small tmpfs for the full disk) are skipped without it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _corpus_case(case, root: Path) -> dict:
    from tests.bad_input_corpus import run_case

    t0 = time.perf_counter()
    r = run_case(case, root)
    row = {"kind": "case", "id": case.id, "command": case.argv[0], "item": case.item,
           "seconds": round(time.perf_counter() - t0, 2)}
    if "skip" in r:
        return {**row, "result": "skip", "reason": r["skip"]}
    return {**row, "result": "pass" if not r["problems"] else "fail", "exit": r["exit"],
            "problems": r["problems"]}


def _io_case(case, root: Path) -> dict:
    """A case of tests/test_bad_input.py's CLI table, judged as its test judges it."""
    import re

    from tests.test_bad_input import _run_cli_case

    t0 = time.perf_counter()
    r = _run_cli_case(case, root)
    row = {"kind": "case", "id": case.id, "command": case.command, "item": 0,
           "seconds": round(time.perf_counter() - t0, 2)}
    if "skip" in r:
        return {**row, "result": "skip", "reason": r["skip"]}
    proc, problems = r["proc"], []
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    named = r["out"] if case.output == "READONLY" or case.pre_existing_output or \
        "no_such" in (case.output or "") else r["path"]
    if proc.returncode != 2:
        problems.append(f"exit {proc.returncode}")
    if "Traceback" in proc.stderr or len(lines) != 1:
        problems.append("not one line")
    elif str(named) not in lines[0] or not re.search(case.problem, re.sub(r"\S*/\S*", "", lines[0])):
        problems.append("does not name the file and the problem")
    if r["after"] != r["before"]:
        problems.append("files written")
    return {**row, "result": "pass" if not problems else "fail", "exit": proc.returncode,
            "problems": problems}


def _trial(seed: int, root: Path, full_disk: bool) -> dict:
    from tests.test_failed_runs_leave_no_trace import make_plan, run_plan

    plan = make_plan(seed, full_disk=full_disk)
    t0 = time.perf_counter()
    work = root / f"trial{seed}"
    proc, before, after = run_plan(plan, work)
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    ok = proc.returncode in (2, 3) and len(lines) == 1 and before == after
    return {"kind": "property", "seed": seed, "command": plan.command, "faults": plan.faults,
            "result": "pass" if ok else "fail", "exit": proc.returncode,
            "identical": before == after, "seconds": round(time.perf_counter() - t0, 2)}


def _full_disk_available(root: Path) -> bool:
    from tests.bad_input_corpus import _tmpfs, _umount

    work = root / "probe"
    (work / "out").mkdir(parents=True)
    ok = _tmpfs(work) is None
    _umount(work)
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=40, help="property trials (seeds 0..N-1)")
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()

    from tests.bad_input_corpus import CASES
    from tests.test_bad_input import CLI_CASES

    rows = []
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.workers) as pool:
        root = Path(tmp)
        full_disk = _full_disk_available(root)
        jobs = [pool.submit(_corpus_case, c, root / "corpus") for c in CASES]
        jobs += [pool.submit(_io_case, c, root / "io") for c in CLI_CASES]
        jobs += [pool.submit(_trial, s, root / "trials", full_disk) for s in range(args.trials)]
        labels = [{"kind": "case", "id": c.id, "command": c.argv[0], "item": c.item} for c in CASES]
        labels += [{"kind": "case", "id": c.id, "command": c.command, "item": 0} for c in CLI_CASES]
        labels += [{"kind": "property", "seed": s, "command": "?", "faults": []}
                   for s in range(args.trials)]
        for job, what in zip(jobs, labels):
            try:
                row = job.result()
            except Exception as exc:  # a case that hangs or breaks is a failed case, not the end
                row = {**what, "result": "fail", "problems": [f"{type(exc).__name__}: {exc}"]}
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    cases = [r for r in rows if r["kind"] == "case"]
    trials = [r for r in rows if r["kind"] == "property"]
    ran = [r for r in cases if r["result"] != "skip"]
    per_command = Counter(r["command"] for r in ran)
    passed_command = Counter(r["command"] for r in ran if r["result"] == "pass")
    print(json.dumps({
        "kind": "summary",
        "cases_passed": sum(r["result"] == "pass" for r in cases), "cases_run": len(ran),
        "cases_skipped": len(cases) - len(ran), "cases_total": len(cases),
        "failed": [r["id"] for r in ran if r["result"] == "fail"],
        "per_command": {c: f"{passed_command[c]}/{n}" for c, n in sorted(per_command.items())},
        "issue_classes": sorted({r["item"] for r in ran if r["item"]}),
        "trials_passed": sum(r["result"] == "pass" for r in trials), "trials_run": len(trials),
        "trials_failing_at_the_end": sum(any("disk full" in f for f in r["faults"]) for r in trials),
        "full_disk_tmpfs": full_disk,
    }), flush=True)


if __name__ == "__main__":
    main()
