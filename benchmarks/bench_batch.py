"""`cinemuse batch` at folder scale: faults, resume, throughput and the fixed cost per file.

Figures (one JSON object per line; every batch is run through the real command line):

* ``corrupt``     5 short videos and a truncated one: every good video scored with its picture
                  copied bit for bit (video packets compared), the corrupt one failed with its
                  message in the manifest, exit code 2
* ``rerun``       the same command again: time against the first run (target <= 15 %) and
                  nothing recomputed (every output's mtime unchanged, every good input skipped)
* ``ctrl_c``      SIGINT to the batch's process group once the first output is done (--workers
                  1): exit 130, no temporary or unreadable file in OUT_DIR, the re-run finishes
                  the rest and skips what was done
* ``sigkill``     SIGKILL of the worker while it holds a file: that file retried and finished,
                  one output per input, no temporaries
* ``throughput``  the 5 videos as one batch with 2 workers vs one ``cinemuse score`` call per file,
                  and with 1 worker: paired (the three run back to back, in rotating order, per
                  round); wall and CPU time (the machine is shared) and their ratios (target
                  batch/CLI <= 0.7), and the 1 -> 2 worker speed-up
* ``overhead``    the fixed cost per file in a warm worker. Defined two ways:
                  ``marginal``: in a real batch (--workers 1), the wall time one more tiny input
                  adds: (T(2N tiny inputs) - T(N)) / N, so process start, warm-up and driver
                  start cancel out; ``warm_tiny``: the time a warm worker (``run_task`` after its
                  warm-up, in this process) spends on a tiny input, the median over files 2..N,
                  beside the same for the first file and in a cold process. Tiny inputs: a 1 s
                  64x48 video (score), a 64x48 photo (colorize), a one-photo album made into a
                  1 s 64x36 film (slideshow). Target <= 0.2 s
* ``driver``      what the driver pays per input, whatever the engine: hashing an input's content
                  on its first run (MB/s), a stat on a re-run, and manifest lines written per
                  second (three per input) - the terms that bound a cluster's driver
* ``files_per_hour`` score (the 5 videos), colorize (8 B&W photos, 1024x768) and slideshow
                  (3 albums of 5 photos, 1920x1080 films of 8 s) with 2 workers

Run from the repo root: ``.venv/bin/python benchmarks/bench_batch.py [--rounds 3] [--only corrupt,rerun]``.
Inputs are generated in code into ``.cache/bench_batch`` (git-ignored); outputs go to a
temporary folder that is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.media import make_cut_video, make_photo  # noqa: E402
from tests.slideshow.photos import album  # noqa: E402

CACHE = ROOT / ".cache" / "bench_batch"
CLI = str(Path(sys.executable).with_name("cinemuse"))
N_VIDEOS = 5
FIGURES = ("corrupt", "rerun", "ctrl_c", "sigkill", "throughput", "overhead", "files_per_hour", "driver")


def emit(obj: dict) -> None:
    print(json.dumps(obj, default=lambda x: round(float(x), 4)), flush=True)


# ----------------------------------------------------------------------------- inputs


def videos() -> Path:
    """5 short videos (8 s, 320x180, 30 fps, 3 cuts, a tone), one of them in a sub-folder."""
    folder = CACHE / "videos"
    if not (folder / "done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "sub").mkdir(parents=True)
        for i in range(N_VIDEOS):
            name = f"sub/clip{i}.mp4" if i == 4 else f"clip{i}.mp4"
            make_cut_video(folder / name, duration=8.0, cuts=(2.0 + 0.2 * i, 4.0, 6.1), size=(320, 180),
                           audio_freq=220 + 40 * i)
        (folder / "done").write_text("")
    return folder


def with_corrupt(good: Path) -> Path:
    """The 5 videos plus a truncated copy of one (its header reads, its data stops at 3 kB)."""
    folder = CACHE / "videos_corrupt"
    if not (folder / "done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(good, folder)
        (folder / "done").unlink()
        data = (good / "clip0.mp4").read_bytes()
        (folder / "truncated.mp4").write_bytes(data[:3000])
        (folder / "done").write_text("")
    return folder


def tiny_videos(n: int) -> Path:
    folder = CACHE / f"tiny_videos_{n}"
    if not (folder / "done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for i in range(n):
            make_cut_video(folder / f"t{i:02d}.mp4", duration=1.0, cuts=(0.5,), size=(64, 48), audio_freq=330 + i)
        (folder / "done").write_text("")
    return folder


def tiny_photos(n: int) -> Path:
    folder = CACHE / f"tiny_photos_{n}"
    if not (folder / "done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for i in range(n):
            make_photo(folder / f"p{i:02d}.png", "grey", size=(64, 48))
        (folder / "done").write_text("")
    return folder


def bw_photos() -> Path:
    """8 black-and-white 1024x768 photos (scenes made in code, converted to grey)."""
    import numpy as np
    from PIL import Image

    from tests.slideshow.photos import scene

    folder = CACHE / "bw_photos"
    if not (folder / "done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for i in range(8):
            grey = scene(100 + i, (1024, 768)).mean(axis=2).astype(np.uint8)
            Image.fromarray(grey).save(folder / f"bw{i}.jpg", quality=90)
        (folder / "done").write_text("")
    return folder


def albums() -> Path:
    """3 albums of 5 photos (1600x1200) each."""
    folder = CACHE / "albums"
    if not (folder / "done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        for a in range(3):
            album(folder / f"album{a}", 5, size=(1600, 1200))
        (folder / "done").write_text("")
    return folder


# ----------------------------------------------------------------------------- running the CLI


def timed(cmd: list[str], **kw) -> tuple[int, float, float, str]:
    """(exit code, wall s, CPU s of the command and every process it waited for, stderr)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc.returncode, wall, cpu, proc.stderr


def batch(job: str, inputs: list[Path], out: Path, *extra: str, workers: int = 2) -> list[str]:
    return [CLI, "batch", job, *map(str, inputs), "-o", str(out), "--workers", str(workers), *extra]


def records(out: Path) -> list[dict]:
    rows = []
    path = out / "manifest.jsonl"
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                pass  # the line being written
    return rows


def latest(out: Path) -> dict[str, dict]:
    return {r["input"]: r for r in records(out)}


def video_packets(path: Path) -> list[bytes]:
    import av

    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(c.streams.video[0]) if p.size]


def leftovers(out: Path) -> list[str]:
    """Temporaries (io.atomic's ``.NAME.<pid>...part`` files) and outputs that do not open."""
    bad = []
    for p in out.rglob("*"):
        if p.is_file() and (".part" in p.name or p.name.startswith(".")):
            bad.append(f"temporary {p.relative_to(out)}")
        elif p.suffix == ".mp4":
            try:
                if not video_packets(p):
                    bad.append(f"no picture {p.relative_to(out)}")
            except Exception as exc:  # noqa: BLE001 - unreadable is what we look for
                bad.append(f"unreadable {p.relative_to(out)}: {exc}")
    return bad


def outputs_of(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.mp4"))


# ----------------------------------------------------------------------------- figures


def fig_corrupt_and_rerun(work: Path, want: set[str]) -> None:
    src = with_corrupt(videos())
    out = work / "corrupt"
    cmd = batch("score", [src], out, "--", "--seed", "1")
    code, wall, cpu, err = timed(cmd)
    states = latest(out)
    good = sorted(p.relative_to(src).as_posix() for p in src.rglob("*.mp4") if p.name != "truncated.mp4")
    identical = [g for g in good if (out / g).exists() and video_packets(out / g) == video_packets(src / g)]
    bad = states.get(str((src / "truncated.mp4").resolve()), {})
    if "corrupt" in want:
        emit({"figure": "corrupt", "videos": len(good), "scored": len(outputs_of(out)),
              "picture_bit_identical": len(identical), "corrupt_state": bad.get("state"),
              "corrupt_error": bad.get("error"), "exit_code": code, "wall_s": wall, "cpu_s": cpu,
              "stderr_last_line": err.strip().splitlines()[-1] if err.strip() else "",
              "met": code == 2 and len(identical) == len(good) and bad.get("state") == "failed"
              and "truncated.mp4" in (bad.get("error") or ""),
              "command": " ".join(cmd)})
    if "rerun" not in want:
        return
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.mp4")}
    n = len(records(out))
    code2, wall2, cpu2, _ = timed(cmd)
    new = [r for r in records(out)[n:] if r["state"] not in ("queued", "running")]
    skipped = sum(r["state"] == "skipped" for r in new)
    unchanged = all(p.stat().st_mtime_ns == t for p, t in mtimes.items())
    emit({"figure": "rerun", "first_wall_s": wall, "rerun_wall_s": wall2, "ratio_wall": wall2 / wall,
          "first_cpu_s": cpu, "rerun_cpu_s": cpu2, "ratio_cpu": cpu2 / cpu, "skipped": skipped,
          "bad_recorded_again_without_running": sum(r["state"] == "failed" and r.get("retried") is False for r in new), "outputs_unchanged": unchanged,
          "exit_code": code2, "met": wall2 / wall <= 0.15 and unchanged and skipped == len(good),
          "command": " ".join(cmd) + "  (twice)"})


def start(cmd: list[str]) -> subprocess.Popen:
    """The CLI in its own process group, as a terminal runs it."""
    return subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(out: Path, proc: subprocess.Popen, predicate, timeout: float = 300.0) -> dict | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        for r in records(out):
            if predicate(r):
                return r
        time.sleep(0.02)
    return None


def fig_ctrl_c(work: Path) -> None:
    src = videos()
    out = work / "ctrl_c"
    cmd = batch("score", [src], out, "--", "--seed", "1", workers=1)
    proc = start(cmd)
    first = wait_for(out, proc, lambda r: r["state"] == "done")
    t_int = time.perf_counter()
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    stop_s = time.perf_counter() - t_int
    done_before = outputs_of(out)
    problems = leftovers(out)
    code, wall, cpu, _ = timed(cmd)
    states = latest(out)
    emit({"figure": "ctrl_c", "first_done": bool(first), "exit_code_interrupted": proc.returncode,
          "stopped_in_s": stop_s, "outputs_after_interrupt": len(done_before), "leftovers": problems,
          "message": err.strip().splitlines()[-1] if err.strip() else "", "rerun_exit_code": code,
          "rerun_skipped": sum(r["state"] == "skipped" for r in states.values()),
          "rerun_done": sum(r["state"] == "done" for r in states.values()),
          "outputs_after_rerun": len(outputs_of(out)), "leftovers_after_rerun": leftovers(out),
          "met": proc.returncode == 130 and not problems and code == 0 and len(outputs_of(out)) == N_VIDEOS,
          "command": " ".join(cmd) + "  (Ctrl-C after the first done, then again)"})


def fig_sigkill(work: Path) -> None:
    src = videos()
    out = work / "sigkill"
    cmd = batch("score", [src], out, "--retries", "1", "--", "--seed", "1", workers=1)
    proc = start(cmd)
    # the second file: its worker is warm and has been on it for a moment
    def second_file_running(r: dict) -> bool:
        states = latest(out)
        return (r["state"] == "running" and bool(r.get("worker")) and states[r["input"]]["state"] == "running"
                and sum(q["state"] == "done" for q in states.values()) >= 1)

    held = wait_for(out, proc, second_file_running)
    mid_file = False
    if held:
        time.sleep(0.3)
        mid_file = latest(out)[held["input"]]["state"] == "running"
        os.kill(int(held["worker"].split()[1]), signal.SIGKILL)
    _, err = proc.communicate(timeout=600)
    history = [r["state"] for r in records(out) if held and r["input"] == held["input"]]
    final = latest(out).get(held["input"], {}) if held else {}
    emit({"figure": "sigkill", "killed_mid_file": mid_file, "history": history,
          "final_attempt": final.get("attempt"), "exit_code": proc.returncode,
          "outputs": len(outputs_of(out)), "inputs": N_VIDEOS, "leftovers": leftovers(out),
          "met": mid_file and proc.returncode == 0 and history[-1:] == ["done"] and final.get("attempt") == 2
          and len(outputs_of(out)) == N_VIDEOS and not leftovers(out),
          "command": " ".join(cmd) + "  (SIGKILL to the worker 0.3 s into its second file)"})


def _clis(src: Path, out: Path) -> list[list[str]]:
    cmds = []
    for p in sorted(src.rglob("*.mp4")):
        dest = out / p.relative_to(src)
        dest.parent.mkdir(parents=True, exist_ok=True)
        cmds.append([CLI, "score", str(p), "-o", str(dest), "--seed", "1"])
    return cmds


def fig_throughput(work: Path, rounds: int) -> None:
    src = videos()
    runs: dict[str, list[tuple[float, float]]] = {"batch2": [], "batch1": [], "cli": []}
    for r in range(rounds):
        order = ["batch2", "batch1", "cli"]
        order = order[r % 3:] + order[: r % 3]
        for kind in order:
            out = work / f"tp-{kind}-{r}"
            if kind == "cli":
                wall = cpu = 0.0
                for cmd in _clis(src, out):
                    code, w, c, err = timed(cmd)
                    assert code == 0, err
                    wall, cpu = wall + w, cpu + c
            else:
                code, wall, cpu, err = timed(batch("score", [src], out, "--", "--seed", "1",
                                                   workers=2 if kind == "batch2" else 1))
                assert code == 0, err
            runs[kind].append((wall, cpu))
            shutil.rmtree(out)
    ratio = [b[0] / c[0] for b, c in zip(runs["batch2"], runs["cli"])]
    ratio_cpu = [b[1] / c[1] for b, c in zip(runs["batch2"], runs["cli"])]
    speedup = [one[0] / two[0] for one, two in zip(runs["batch1"], runs["batch2"])]
    med = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    emit({"figure": "throughput", "videos": N_VIDEOS, "rounds": rounds,
          "wall_s": {k: [w for w, _ in v] for k, v in runs.items()},
          "cpu_s": {k: [c for _, c in v] for k, v in runs.items()},
          "batch2_over_cli_wall": ratio, "median_batch2_over_cli_wall": statistics.median(ratio),
          "median_batch2_over_cli_cpu": statistics.median(ratio_cpu),
          "speedup_1_to_2_workers": speedup, "median_speedup_1_to_2_workers": statistics.median(speedup),
          "score_files_per_hour_2_workers": N_VIDEOS / med["batch2"] * 3600,
          "score_files_per_hour_1_worker": N_VIDEOS / med["batch1"] * 3600,
          "score_files_per_hour_cli": N_VIDEOS / med["cli"] * 3600,
          "met": statistics.median(ratio) <= 0.7,
          "command": f"{' '.join(batch('score', [src], Path('OUT'), '--', '--seed', '1'))}  vs  "
                     f"{CLI} score FILE -o OUT/FILE --seed 1 per file  vs  --workers 1"})


def warm_tiny(job: str, n: int) -> dict:
    """In this process, as a worker does: warm up, then run_task over n tiny inputs."""
    from cinemuse.pipelines.batch.jobs import Item, ScoreBatchOptions, SlideshowBatchOptions
    from cinemuse.pipelines.batch.worker import run_task, warm_once
    from cinemuse.pipelines.score import ScoreOptions
    from cinemuse.pipelines.slideshow import SlideshowOptions

    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-warm-"))
    try:
        if job == "score":
            src, opts, ext = sorted(tiny_videos(n).glob("*.mp4")), ScoreBatchOptions(ScoreOptions(seed=1)), ".mp4"
            items = [Item(str(p), p.stem, str(p)) for p in src]
        elif job == "colorize":
            src, opts, ext = sorted(tiny_photos(n).glob("*.png")), {}, ".png"
            items = [Item(str(p), p.stem, str(p)) for p in src]
        else:
            folder = tiny_photos(n)
            items = []
            for p in sorted(folder.glob("*.png")):
                (tmp / p.stem).mkdir()
                shutil.copy(p, tmp / p.stem / p.name)
                items.append(Item(str(tmp / p.stem), p.stem, str(tmp / p.stem), files=(str(tmp / p.stem / p.name),)))
            opts, ext = SlideshowBatchOptions(SlideshowOptions(duration=1.0, size=(64, 36))), ".mp4"
        t0, c0 = time.perf_counter(), time.process_time()
        warm_once(job, opts)
        warm, warm_cpu = time.perf_counter() - t0, time.process_time() - c0
        times, cpus = [], []
        for it in items:
            t0, c0 = time.perf_counter(), time.process_time()
            report = run_task(job, opts, it, [str(tmp / f"out-{it.rel}{ext}")], False)
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            assert report["ok"], report
        return {"warm_up_s": warm, "warm_up_cpu_s": warm_cpu, "first_file_s": times[0], "first_file_cpu_s": cpus[0],
                "median_files_2_on_s": statistics.median(times[1:]),
                "median_files_2_on_cpu_s": statistics.median(cpus[1:])}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _cold_tiny(job: str) -> float:
    """One file in a fresh process (what one CLI call per file pays): wall s, median of 3."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-cold-"))
    try:
        walls = []
        for i in range(3):
            if job == "score":
                cmd = [CLI, "score", str(tiny_videos(8) / "t00.mp4"), "-o", str(tmp / f"{i}.mp4"), "--seed", "1"]
            else:
                cmd = [CLI, "colorize", str(tiny_photos(8) / "p00.png"), "-o", str(tmp / f"{i}.png")]
            code, wall, _, err = timed(cmd)
            assert code == 0, err
            walls.append(wall)
        return statistics.median(walls)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _marginal(job: str, work: Path, n: int, rounds: int) -> tuple[list[float], list[float]]:
    """(T(batch of 2n tiny) - T(batch of n tiny)) / n per round, wall and CPU."""
    make = tiny_videos if job == "score" else tiny_photos
    small, large = make(n), make(2 * n)
    walls, cpus = [], []
    for r in range(rounds):
        took = {}
        for folder in ((small, large) if r % 2 == 0 else (large, small)):
            out = work / f"marg-{job}-{folder.name}-{r}"
            code, wall, cpu, err = timed(batch(job, [folder], out, workers=1))
            assert code == 0, err
            took[folder] = (wall, cpu)
            shutil.rmtree(out)
        walls.append((took[large][0] - took[small][0]) / n)
        cpus.append((took[large][1] - took[small][1]) / n)
    return walls, cpus


def fig_overhead(work: Path, rounds: int) -> None:
    for job in ("score", "colorize", "slideshow"):
        # a fresh process per job, so that no job finds another's modules already imported
        proc = subprocess.run([sys.executable, __file__, "--warm-tiny", job], cwd=ROOT, capture_output=True,
                              text=True, check=True)
        row = {"figure": "overhead", "job": job, **json.loads(proc.stdout.strip().splitlines()[-1])}
        if job != "slideshow":
            marg, marg_cpu = _marginal(job, work, 6, rounds)
            row.update(marginal_per_file_s=marg, median_marginal_per_file_s=statistics.median(marg),
                       marginal_per_file_cpu_s=marg_cpu, median_marginal_per_file_cpu_s=statistics.median(marg_cpu),
                       cold_process_one_tiny_file_s=_cold_tiny(job))
        figure = row.get("median_marginal_per_file_s", row["median_files_2_on_s"])
        row.update(met=figure <= 0.2, command=(
            f"{CLI} batch {job} TINY_{{6,12}} -o OUT --workers 1 (marginal); run_task in a warm process (warm_tiny)"
            if job != "slideshow" else "run_task in a warm process on 1-photo albums, 1 s 64x36 films (warm_tiny)"))
        emit(row)


def fig_files_per_hour(work: Path) -> None:
    for job, src, extra, n in (("colorize", bw_photos(), [], 8), ("slideshow", albums(), ["--", "--duration", "8"], 3)):
        out = work / f"fph-{job}"
        cmd = batch(job, [src], out, *extra)
        code, wall, cpu, err = timed(cmd)
        assert code == 0, err
        emit({"figure": "files_per_hour", "job": job, "inputs": n, "wall_s": wall, "cpu_s": cpu,
              "files_per_hour": n / wall * 3600, "cpu_s_per_file": cpu / n, "command": " ".join(cmd)})
        shutil.rmtree(out)


def fig_driver(work: Path) -> None:
    from cinemuse.pipelines.batch.manifest import Manifest, file_sha256

    blob = work / "blob.bin"
    with blob.open("wb") as f:
        for _ in range(256):
            f.write(os.urandom(1 << 20))
    file_sha256(blob)  # once into the page cache: this measures hashing, not the disk
    t0 = time.perf_counter()
    file_sha256(blob)
    hash_mb_s = 256 / (time.perf_counter() - t0)
    blob.unlink()
    out = work / "driver"
    out.mkdir()
    m = Manifest(out)
    n = 20000
    t0 = time.perf_counter()
    for i in range(n):
        m.write(input=f"/archive/{i:06d}.mp4", outputs=[f"{i:06d}.mp4"], state="queued", error=None, seconds=None,
                attempt=1, options="sha256:0123456789abcdef", job="score", input_sha256="0" * 64,
                input_size=123456789, input_mtime_ns=1, worker="pid 1")
    m.close()
    lines_s = n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    reread = Manifest(out)
    read_s = time.perf_counter() - t0
    probe = ROOT / "README.md"
    t0 = time.perf_counter()
    for _ in range(n):
        os.stat(probe)
    stat_s = (time.perf_counter() - t0) / n
    emit({"figure": "driver", "sha256_MB_per_s_cached": hash_mb_s, "manifest_lines_per_s": lines_s,
          "manifest_read_s_per_20000_lines": read_s, "inputs_known": len(reread.latest), "stat_us": stat_s * 1e6,
          "command": ".venv/bin/python benchmarks/bench_batch.py --only driver"})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="paired rounds for throughput and overhead")
    ap.add_argument("--only", default=",".join(FIGURES), help=f"comma-separated: {', '.join(FIGURES)}")
    ap.add_argument("--warm-tiny", metavar="JOB", help=argparse.SUPPRESS)  # one overhead measurement, in its own process
    args = ap.parse_args()
    if args.warm_tiny:
        emit(warm_tiny(args.warm_tiny, 8))
        return
    want = set(args.only.split(","))
    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    emit({"figure": "machine", "cpus": os.cpu_count(), "load_average": os.getloadavg(),
          "note": "shared machine: several jobs ran meanwhile; compare paired ratios"})
    try:
        if want & {"corrupt", "rerun"}:
            fig_corrupt_and_rerun(work, want)
        if "ctrl_c" in want:
            fig_ctrl_c(work)
        if "sigkill" in want:
            fig_sigkill(work)
        if "throughput" in want:
            fig_throughput(work, args.rounds)
        if "overhead" in want:
            fig_overhead(work, args.rounds)
        if "files_per_hour" in want:
            fig_files_per_hour(work)
        if "driver" in want:
            fig_driver(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        emit({"figure": "machine_after", "load_average": os.getloadavg()})


if __name__ == "__main__":
    main()
