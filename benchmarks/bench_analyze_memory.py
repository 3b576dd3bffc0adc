"""Peak memory of `cinemuse analyze` and `cinemuse cover` against song length (issue 11 item 9).

Writes long test songs block by block (a click track with chords, 16-bit mono WAV at
8 kHz, so a 3-hour file is 173 MB on disk; cinemuse decodes it to 44.1 kHz stereo-equivalent
work like any other song), runs each command in a fresh process and reads its peak resident
memory (ru_maxrss of the child).  Prints one JSON line per run and a summary with the ratio
of the longest to the shortest.

    .venv/bin/python benchmarks/bench_analyze_memory.py [--minutes 4 180] [--commands analyze cover]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RATE = 8000


def write_long_song(path: Path, minutes: float, *, seed: int = 0) -> Path:
    """A 120-bpm click and a I-vi-IV-V chord loop, written a block at a time."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    n_total = int(minutes * 60 * RATE)
    block = RATE * 8  # 8 s = 4 bars
    chords = [(60, 64, 67), (57, 60, 64), (53, 57, 60), (55, 59, 62)]
    with sf.SoundFile(str(path), "w", RATE, 1, subtype="PCM_16") as fh:
        for start in range(0, n_total, block):
            n = min(block, n_total - start)
            t = (start + np.arange(n)) / RATE
            bar = (t // 2).astype(int) % 4
            y = np.zeros(n)
            for i, chord in enumerate(chords):
                sel = bar == i
                for p in chord:
                    y[sel] += 0.08 * np.sin(2 * np.pi * 440 * 2 ** ((p - 69) / 12) * t[sel])
            beat_phase = t % 0.5
            y += 0.5 * np.exp(-beat_phase * 40) * rng.standard_normal(n) * (beat_phase < 0.1)
            fh.write(np.clip(y, -1, 1).astype(np.float32))
    return path


def peak_rss_mb(argv: list[str]) -> tuple[float, float, int]:
    """(peak RSS in MB, wall seconds, exit code) of one fresh process."""
    t0 = time.perf_counter()
    code = (
        "import resource, runpy, sys\n"
        f"sys.argv = {['cinemuse', *argv]!r}\n"
        "try:\n    runpy.run_module('cinemuse', run_name='__main__')\n"
        "except SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
        "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(code or 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    rss = [ln for ln in proc.stderr.splitlines() if ln.startswith("MAXRSS")]
    kb = float(rss[-1].split()[1]) if rss else float("nan")
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
    return kb / 1024.0, wall, proc.returncode


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[4.0, 180.0])
    parser.add_argument("--commands", nargs="+", default=["analyze", "cover"])
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in args.minutes:
            song = write_long_song(Path(tmp) / f"song_{minutes:g}min.wav", minutes)
            for command in args.commands:
                argv_ = [command, str(song), "--quiet", "--json"]
                if command == "cover":
                    argv_ += ["-o", str(Path(tmp) / f"cover_{minutes:g}.png"), "--force"]
                mb, wall, rc = peak_rss_mb(argv_)
                row = {"command": command, "minutes": minutes, "peak_rss_mb": round(mb, 1),
                       "wall_s": round(wall, 1), "exit": rc}
                rows.append(row)
                print(json.dumps(row), flush=True)
            os.unlink(song)
    for command in args.commands:
        sel = sorted((r for r in rows if r["command"] == command), key=lambda r: r["minutes"])
        if len(sel) >= 2:
            ratio = sel[-1]["peak_rss_mb"] / sel[0]["peak_rss_mb"]
            print(json.dumps({"summary": f"{command} peak memory", "minutes": [sel[0]["minutes"], sel[-1]["minutes"]],
                              "ratio_longest_to_shortest": round(ratio, 3), "target": 1.3,
                              "met": ratio <= 1.3}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
