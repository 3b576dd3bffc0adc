"""Start-up of `cinemuse --help` (target < 0.5 s): wall and CPU time. Prints one JSON line.

Wall time wants an otherwise idle machine: on a loaded one it measures waiting for a core.
The CPU time (user + system of the child process) stays meaningful on a shared machine.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time


def main(runs: int = 7) -> None:
    cmd = [sys.executable, "-m", "cinemuse", "--help"]
    subprocess.run(cmd, capture_output=True, check=True)  # warm the filesystem cache
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    print(
        json.dumps(
            {
                "bench": "startup",
                "command": "cinemuse --help",
                "runs": runs,
                "median_s": round(statistics.median(walls), 3),
                "min_s": round(min(walls), 3),
                "cpu_median_s": round(statistics.median(cpus), 3),
                "target_s": 0.5,
                "met": statistics.median(walls) < 0.5,
                "load_average_1min": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
