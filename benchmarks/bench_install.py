"""A user's install: the built wheel into a fresh virtual environment, then `cinemuse compose`.

Steps (each reported as one JSON line):

1. ``pip wheel`` the checkout; the wheel's size.
2. A fresh venv, ``pip install WHEEL`` (dependencies from the package index, as a user
   gets them; no ``--no-deps``).
3. ``cinemuse compose -o x.wav --duration 10`` without the synthesiser: must stop with
   exit 1 and the one documented install line.
4. ``pip install --no-deps 'tinysoundfont>=0.3'`` (that line), then compose again with an
   empty cache folder (the first run decodes the shipped SoundFont) and once more (warm):
   wall time, peak memory (the process's own maximum RSS), the font that rendered.
5. The font's load time in that venv (TinySoundFont ``sfload`` of the decoded SF2 and, for
   comparison, of the shipped SF3 itself), median of 3 fresh processes.

Usage: ``.venv/bin/python benchmarks/bench_install.py [--keep DIR]``. Needs the network
(or a warm pip cache) for step 2.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTALL_LINE = "pip install --no-deps 'tinysoundfont>=0.3'"


def run(cmd: list[str], *, env: dict | None = None, cwd: Path | None = None) -> dict:
    """Run ``cmd``; its exit code, output, wall and CPU time, and own peak RSS (MB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
        return {"rc": os.waitstatus_to_exitcode(status), "stdout": out.read().decode(errors="replace"),
                "stderr": err.read().decode(errors="replace"), "wall_s": round(wall, 2),
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
                "peak_mb": round(usage.ru_maxrss * scale / 2**20, 1)}


def build_wheel(dest: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                    "--quiet", "--disable-pip-version-check", "-w", str(dest)], check=True, capture_output=True)
    (wheel,) = dest.glob("cinemuse-*.whl")
    return wheel


def user_env() -> dict:
    """This process's environment without what would put the checkout in the fresh venv's way
    (a PYTHONPATH holding ``src/`` makes pip take cinemuse as installed already)."""
    drop = ("CINEMUSE_SOUNDFONT", "VIRTUAL_ENV", "PYTHONPATH")
    return {k: v for k, v in os.environ.items() if k not in drop}


def fresh_venv(folder: Path, wheel: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, capture_output=True)
    py = folder / "bin" / "python"
    proc = subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
                          capture_output=True, text=True, env=user_env())
    if proc.returncode:
        raise SystemExit(f"pip install {wheel.name} failed:\n{proc.stderr[-2000:]}")
    return py


LOAD = ("import sys, time, tinysoundfont; t, c = time.perf_counter(), time.process_time(); "
        "s = tinysoundfont.Synth(samplerate=44100); s.sfload(sys.argv[1], max_voices=512); "
        "print(time.perf_counter() - t, time.process_time() - c)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="cinemuse-install-"))
    work.mkdir(parents=True, exist_ok=True)

    wheel = build_wheel(work / "dist")
    print(json.dumps({"bench": "install", "step": "wheel", "file": wheel.name,
                      "size_mb": round(wheel.stat().st_size / 1e6, 1)}), flush=True)
    start = time.perf_counter()
    py = fresh_venv(work / "venv", wheel)
    bindir = py.parent
    print(json.dumps({"bench": "install", "step": "pip install wheel", "wall_s": round(time.perf_counter() - start, 1)}),
          flush=True)

    env = user_env()
    env["CINEMUSE_CACHE"] = str(work / "cache")
    compose = [str(bindir / "cinemuse"), "compose", "-o", "x.wav", "--duration", "10", "--force"]
    r = run(compose, env=env, cwd=work)
    print(json.dumps({"bench": "install", "step": "compose without synthesiser", "rc": r["rc"],
                      "message": r["stderr"].strip(), "documented_line": INSTALL_LINE in r["stderr"],
                      "met": r["rc"] == 1 and INSTALL_LINE in r["stderr"]}), flush=True)

    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "tinysoundfont>=0.3"], check=True, capture_output=True)
    for label in ("compose, first run (decodes the font)", "compose, warm cache"):
        r = run(compose, env=env, cwd=work)
        fonts = sorted(p.name for p in (work / "cache" / "soundfonts").glob("*.sf2"))
        print(json.dumps({"bench": "install", "step": label, "rc": r["rc"], "wall_s": r["wall_s"],
                          "cpu_s": r["cpu_s"], "peak_mb": r["peak_mb"], "wav": (work / "x.wav").is_file(), "decoded_font": fonts,
                          "load_average_1min": round(os.getloadavg()[0], 2), "stderr_tail": r["stderr"].strip()[-300:]}), flush=True)

    shipped = subprocess.run([str(py), "-c", "from cinemuse.music.soundfont import shipped_soundfont as s; print(s())"],
                             capture_output=True, text=True, check=True).stdout.strip()
    decoded = subprocess.run([str(py), "-c", "from cinemuse.music.soundfont import find_soundfont as f; print(f())"],
                             capture_output=True, text=True, check=True, env=env).stdout.strip()
    for name, path in (("decoded SF2 (cache)", decoded), ("shipped SF3", shipped)):
        times, cpus, peaks = [], [], []
        for _ in range(3):
            r = run([str(py), "-c", LOAD, path], env=env)
            wall, cpu = map(float, r["stdout"].split())
            times.append(wall)
            cpus.append(cpu)
            peaks.append(r["peak_mb"])
        print(json.dumps({"bench": "install", "step": "font load", "font": name, "path": path,
                          "median_s": round(statistics.median(times), 3),
                          "median_cpu_s": round(statistics.median(cpus), 3), "peak_mb": max(peaks),
                          "load_average_1min": round(os.getloadavg()[0], 2)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
