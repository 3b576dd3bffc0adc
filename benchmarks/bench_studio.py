"""The studio's speed, measured the way a creator meets it (one JSON object per line).

* ``page_ready``   seconds from starting ``cinemuse studio`` (a new process) to the page being
                   interactive in a headless Chromium that was already open: the address
                   printed, the page loaded, its tabs and forms built from ``/api/kinds``
                   (``body[data-ready]``). Target <= 1 s. Median and worst of ``--starts``.
* ``warm_start``   a second score job of the same video: seconds from the upload being
                   accepted (``POST /api/jobs`` answered) to the job reporting its first stage
                   (the worker at work, its models already loaded). Target <= 0.3 s. The first
                   job's figure is printed too (the worker may still be warming up then).
* ``studio_vs_cli`` a 60 s 1280x720 30 fps score through the studio (upload, job, results
                   ready) against ``cinemuse score`` on the command line writing the same files
                   (soundtrack WAV, MIDI, cue sheet, four timelines, two marker files): wall
                   time and CPU time (the studio's server and worker processes; the CLI's
                   process), in pairs whose order alternates. Target: studio <= CLI.

Run from the repository root: ``.venv/bin/python benchmarks/bench_studio.py [--pairs N]``
(needs the test extra's playwright and a Chromium headless shell for ``page_ready``). The
generated video is cached in ``.cache/bench_studio`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

CACHE = ROOT / ".cache" / "bench_studio"
HEADLESS_SHELL = "/usr/lib/chromium/chromium-headless-shell"
EDITOR_ENDS = (".xml", ".fcpxml", ".otio", ".edl")


def emit(obj: dict) -> None:
    print(json.dumps(obj, default=lambda x: round(float(x), 4)), flush=True)


# ----------------------------------------------------------------------------- the studio


class RunningStudio:
    """``cinemuse studio`` in a child process, and an HTTP client holding its token."""

    def __init__(self):
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "cinemuse", "studio", "--no-browser", "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        line = self.proc.stdout.readline()
        self.t_url = time.perf_counter()
        m = re.search(r"http://\S+", line)
        if not m:
            raise SystemExit(f"the studio did not start: {line!r}")
        self.url = m.group(0)
        self.base, self.token = self.url.split("/?token=")

    def client(self):
        import httpx

        return httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=600)

    def cpu_seconds(self, *, workers: bool = True) -> float:
        """User + system CPU of the server (and, with ``workers``, every worker process) so far."""
        import psutil

        root = psutil.Process(self.proc.pid)
        total = 0.0
        for p in [root, *(root.children(recursive=True) if workers else [])]:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def bench_page_ready(starts: int) -> None:
    from playwright.sync_api import sync_playwright

    exe = HEADLESS_SHELL if Path(HEADLESS_SHELL).exists() else shutil.which("chromium-headless-shell")
    if not exe:
        emit({"figure": "page_ready", "skipped": "no chromium-headless-shell"})
        return
    urls, ready, server_cpu, all_cpu = [], [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe)
        for _ in range(starts):
            page = browser.new_page(viewport={"width": 1366, "height": 860})
            studio = RunningStudio()
            try:
                page.goto(studio.url)
                page.wait_for_selector("body[data-ready='1']", timeout=30_000)
                ready.append(time.perf_counter() - studio.t0)
                urls.append(studio.t_url - studio.t0)
                server_cpu.append(studio.cpu_seconds(workers=False))
                all_cpu.append(studio.cpu_seconds())
            finally:
                page.close()
                studio.close()
        browser.close()
    emit({"figure": "page_ready", "target_s": 1.0, "starts": starts,
          "address_printed_s": {"median": statistics.median(urls), "max": max(urls)},
          "page_ready_s": {"median": statistics.median(ready), "max": max(ready), "all": ready},
          # CPU the studio had used by then: the server alone, and with its warming worker
          "server_cpu_s_at_ready": statistics.median(server_cpu),
          "server_and_worker_cpu_s_at_ready": statistics.median(all_cpu),
          "met": max(ready) <= 1.0})


# ----------------------------------------------------------------------------- jobs


def submit(client, video: Path, options: dict) -> tuple[str, float]:
    """POST a score job; returns its id and the time the answer came."""
    with open(video, "rb") as f:
        r = client.post("/api/jobs", data={"kind": "score", "options": json.dumps(options)},
                        files=[("files", (video.name, f, "video/mp4"))])
    r.raise_for_status()
    return r.json()["id"], time.perf_counter()


def first_stage(client, jid: str) -> float:
    """Poll (every 5 ms) until the job reports a stage; returns that moment."""
    while True:
        job = client.get(f"/api/jobs/{jid}").json()
        if job["stage"] or job["state"] in ("done", "failed", "cancelled"):
            return time.perf_counter()
        time.sleep(0.005)


def until_done(client, jid: str) -> dict:
    while True:
        job = client.get(f"/api/jobs/{jid}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            if job["state"] != "done":
                raise SystemExit(f"studio job {jid} {job['state']}: {job['error']}")
            return job
        time.sleep(0.05)


def bench_warm_start(video: Path, repeats: int) -> None:
    studio = RunningStudio()
    try:
        with studio.client() as c:
            starts = []
            for i in range(repeats + 1):
                jid, accepted = submit(c, video, {"seed": 1})
                starts.append(first_stage(c, jid) - accepted)
                until_done(c, jid)
    finally:
        studio.close()
    warm = starts[1:]
    emit({"figure": "warm_start", "video": video.name, "target_s": 0.3, "first_job_s": starts[0],
          "second_and_later_s": {"median": statistics.median(warm), "max": max(warm), "all": warm},
          "met": max(warm) <= 0.3})


def cli_score(video: Path, out_dir: Path) -> tuple[float, float]:
    """``cinemuse score`` with the studio's outputs; (wall s, CPU s of the child)."""
    stem = video.stem
    args = [sys.executable, "-m", "cinemuse", "score", str(video), "-o", str(out_dir / f"{stem}_scored.mp4"),
            "--audio-out", str(out_dir / f"{stem}_soundtrack.wav"), "--midi-out", str(out_dir / f"{stem}_music.mid"),
            "--cue-sheet", str(out_dir / f"{stem}_cues"), "--seed", "1", "--quiet", "--force"]
    for ext in EDITOR_ENDS:
        args += ["--timeline", str(out_dir / f"{stem}_timeline{ext}")]
    args += ["--markers", str(out_dir / f"{stem}_resolve_markers.edl"), "--markers", str(out_dir / f"{stem}_markers.csv")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def studio_score(studio: RunningStudio, client, video: Path) -> tuple[float, float]:
    cpu0, t0 = studio.cpu_seconds(), time.perf_counter()
    jid, _ = submit(client, video, {"seed": 1})
    until_done(client, jid)
    return time.perf_counter() - t0, studio.cpu_seconds() - cpu0


def bench_studio_vs_cli(video: Path, pairs: int) -> None:
    studio = RunningStudio()
    rows = []
    try:
        with studio.client() as c, tempfile.TemporaryDirectory(prefix="bench-studio-") as tmp:
            until_done(c, submit(c, video, {"seed": 1})[0])  # the studio as a creator meets it: started once
            for i in range(pairs):
                order = ("cli", "studio") if i % 2 == 0 else ("studio", "cli")
                got = {}
                for which in order:
                    got[which] = cli_score(video, Path(tmp)) if which == "cli" else studio_score(studio, c, video)
                rows.append(got)
                emit({"figure": "studio_vs_cli_pair", "pair": i, "order": order,
                      "cli_wall_s": got["cli"][0], "cli_cpu_s": got["cli"][1],
                      "studio_wall_s": got["studio"][0], "studio_cpu_s": got["studio"][1],
                      "wall_ratio": got["studio"][0] / got["cli"][0]})
    finally:
        studio.close()
    med = lambda xs: statistics.median(xs)  # noqa: E731
    ratios = [r["studio"][0] / r["cli"][0] for r in rows]
    emit({"figure": "studio_vs_cli", "video": "60 s 1280x720 30 fps H.264 + AAC", "pairs": pairs,
          "cli_wall_s": med([r["cli"][0] for r in rows]), "studio_wall_s": med([r["studio"][0] for r in rows]),
          "cli_cpu_s": med([r["cli"][1] for r in rows]), "studio_cpu_s": med([r["studio"][1] for r in rows]),
          "wall_ratio": {"median": med(ratios), "max": max(ratios)},
          "cpu_ratio": med([r["studio"][1] / r["cli"][1] for r in rows]),
          "target": "studio <= CLI", "met": med(ratios) <= 1.0})


# ----------------------------------------------------------------------------- the video


def video_720p_60s() -> Path:
    """A 60 s 1280x720 30 fps edit of painted scenes (pans, shakes, zooms, 24 cuts) with a tone."""
    from cinemuse.pipelines.demo import Edit, Shot, painted_scene
    from tests.score.clips import write_edit

    path = CACHE / "score_720p_60s.mp4"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    kinds = ("sunset", "city", "meadow")
    moves = ("pan_right", "shake", "zoom_in", "pan_left")
    scenes = [painted_scene(kinds[i % 3], size=(1600, 900), seed=i) for i in range(6)]
    shots = [Shot(scenes[i % 6], 2.5, move=moves[i % 4]) for i in range(24)]
    sr = 44100
    t = np.arange(60 * sr) / sr
    tone = (0.15 * np.sin(2 * np.pi * 220 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.25 * t))).astype(np.float32)
    tmp = path.with_name(".tmp-" + path.name)
    write_edit(tmp, Edit(shots, size=(1280, 720)), fps=30, crf=23, audio=np.column_stack([tone, tone]))
    tmp.replace(path)
    return path


def short_video() -> Path:
    from tests.media import make_cut_video

    path = CACHE / "score_10s.mp4"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        make_cut_video(path, duration=10.0, cuts=(2.5, 5.0, 7.5), size=(640, 360), audio_freq=330)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("page_ready", "warm_start", "studio_vs_cli"), action="append")
    ap.add_argument("--starts", type=int, default=5, help="studio starts for page_ready (default 5)")
    ap.add_argument("--repeats", type=int, default=3, help="warm jobs for warm_start (default 3)")
    ap.add_argument("--pairs", type=int, default=3, help="studio/CLI pairs (default 3)")
    args = ap.parse_args()
    only = set(args.only or ("page_ready", "warm_start", "studio_vs_cli"))
    emit({"machine": {"cpus": os.cpu_count(), "load_1min": os.getloadavg()[0],
                      "note": "shared machine: wall times are noisy, CPU times and paired ratios less so"}})
    if "page_ready" in only:
        bench_page_ready(args.starts)
    if "warm_start" in only:
        bench_warm_start(short_video(), args.repeats)
    if "studio_vs_cli" in only:
        bench_studio_vs_cli(video_720p_60s(), args.pairs)


if __name__ == "__main__":
    main()
