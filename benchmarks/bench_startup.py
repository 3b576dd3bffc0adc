"""Wall-clock start-up of `cinemuse --help` (target < 0.5 s). Prints one JSON line.

Run on an otherwise idle machine: on a loaded one the wall time measures waiting for a core.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time


def main(runs: int = 7) -> None:
    cmd = [sys.executable, "-m", "cinemuse", "--help"]
    subprocess.run(cmd, capture_output=True, check=True)  # warm the filesystem cache
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        walls.append(time.perf_counter() - start)
    print(
        json.dumps(
            {
                "bench": "startup",
                "command": "cinemuse --help",
                "runs": runs,
                "median_s": round(statistics.median(walls), 3),
                "min_s": round(min(walls), 3),
                "target_s": 0.5,
                "met": statistics.median(walls) < 0.5,
                "load_average_1min": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
