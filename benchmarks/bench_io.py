"""Media I/O figures: decode speed and memory, audio replacement bit-exactness, MP4 facts.

Run from the repository root:

    .venv/bin/python benchmarks/bench_io.py            # everything (~3-6 min on 2 busy cores)
    .venv/bin/python benchmarks/bench_io.py --quick    # 10 s / 60 s inputs instead of 60 s / 10 min

Prints one JSON object per line:

- ``decode_speed``: wall and CPU seconds for a plain PyAV loop (``for f in
  container.decode(video=0): pass``, default settings) and for ``iter_frames(size=(160, 90))``
  over the same 60 s 1280x720 H.264 file, and their ratios (target <= 1.3). Each is the median
  of 3 interleaved runs. Wall time is what a user waits; CPU time (all threads) is the cost
  that stays meaningful when other jobs share the machine. The load average is printed
  because wall times on a busy machine say little.
- ``decode_memory``: peak RSS of ``iter_frames`` over the 1 min and the 10 min file, each
  measured in a fresh subprocess (target: flat, i.e. not growing with length).
- ``replace_audio``: video packets byte-identical and pts equal after ``replace_audio``;
  ``moov`` before ``mdat`` (faststart); codec, profile, pixel format of the result.
- ``browser_playback``: the same file played in headless Chromium's ``<video>`` element
  (when Chromium is installed: ``apt-get install chromium-headless-shell``).

The test videos are made in a temporary folder: the 60 s one is encoded (x264), the 10 min one
is the 60 s one's packets repeated ten times with shifted timestamps (a remux, so it takes
seconds, and decodes like a real 10 min video).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from cinemuse.io.video import iter_frames, probe_video, replace_audio  # noqa: E402


def emit(**figures) -> None:
    print(json.dumps(figures), flush=True)


def make_test_video(path: Path, *, seconds: float, width: int = 1280, height: int = 720, fps: int = 30) -> Path:
    """Moving colour bars with a bouncing box and a little noise: real motion for the codec."""
    rng = np.random.default_rng(0)
    bars = np.array(
        [(192, 192, 192), (192, 192, 0), (0, 192, 192), (0, 192, 0), (192, 0, 192), (192, 0, 0), (0, 0, 192)],
        dtype=np.uint8,
    )
    base = bars[np.arange(width) * len(bars) // width][None, :, :].repeat(height, 0)
    noise = rng.integers(0, 24, size=(height, width, 1), dtype=np.uint8)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        s.codec_context.options = {"preset": "superfast", "crf": "23"}
        for i in range(int(seconds * fps)):
            img = np.roll(base, 4 * i, axis=1)
            img = img + np.roll(noise, i, axis=0)
            x = int((width - 200) * (0.5 + 0.5 * np.sin(i / 40)))
            y = int((height - 200) * (0.5 + 0.5 * np.cos(i / 53)))
            img[y : y + 200, x : x + 200] = (250, 250, 250)
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts = i
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    return path


def repeat_video(src: Path, dst: Path, times: int) -> Path:
    """Concatenate a video with itself ``times`` times by remuxing packets (no re-encode)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        vout = out.add_stream_from_template(vin)
        packets = [p for p in inp.demux(vin) if p.size]
        first = min(p.pts for p in packets)
        span = max(p.pts + (p.duration or 0) for p in packets) - first
        for k in range(times):
            for p in packets:
                q = av.Packet(bytes(p))
                q.pts, q.dts = p.pts + k * span, p.dts + k * span
                q.duration, q.is_keyframe = p.duration, p.is_keyframe
                q.time_base = vin.time_base
                q.stream = vout
                out.mux(q)
    return dst


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads (decoder threads included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def plain_decode(path: Path, *, threading: str | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the plain PyAV loop."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    with av.open(str(path)) as container:
        if threading:
            container.streams.video[0].thread_type = threading
        for _frame in container.decode(video=0):
            pass
    return time.perf_counter() - wall, cpu_seconds() - cpu


def our_decode(path: Path, **kwargs) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, frames) of iter_frames."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    n = 0
    for _t, _rgb in iter_frames(path, **kwargs):
        n += 1
    return time.perf_counter() - wall, cpu_seconds() - cpu, n


_RSS_CHILD = """
import json, os, sys
sys.path.insert(0, {src!r})
from cinemuse.io.video import iter_frames

def peak_rss_mb():  # VmHWM: peak resident memory of this program (ru_maxrss would include the parent's, inherited at fork)
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024


def rss_mb():  # resident set size now
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

before = rss_mb()
n, during = 0, []
for t, rgb in iter_frames({path!r}, size=(160, 90)):
    n += 1
    if n % 50 == 0:
        during.append(rss_mb())
print(json.dumps({{
    "frames": n, "last_time": t, "rss_after_imports_mb": before,
    "max_rss_during_decode_mb": max(during), "rss_at_end_mb": rss_mb(),
    "peak_rss_mb": peak_rss_mb(),
}}))
"""


def peak_rss(path: Path) -> dict:
    code = _RSS_CHILD.format(src=str(ROOT / "src"), path=str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def video_packets(path: Path) -> list[tuple[bytes, int, Fraction]]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return [(bytes(p), p.pts, p.pts * s.time_base) for p in c.demux(s) if p.size]


def mp4_facts(path: Path) -> dict:
    data = path.read_bytes()
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        return {
            "video_codec": v.codec_context.name,
            "video_profile": v.codec_context.profile,
            "pix_fmt": v.codec_context.pix_fmt,
            "audio_codec": a.codec_context.name,
            "audio_profile": a.codec_context.profile,
            "moov_offset": data.find(b"moov"),
            "mdat_offset": data.find(b"mdat"),
            "faststart": 0 <= data.find(b"moov") < data.find(b"mdat"),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 s and 60 s inputs (a smoke run)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each decoder")
    args = parser.parse_args()
    short_s = 10 if args.quick else 60
    repeat = 6 if args.quick else 10

    with tempfile.TemporaryDirectory(prefix="bench_io_") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        short = make_test_video(tmp / "short.mp4", seconds=short_s)
        long = repeat_video(short, tmp / "long.mp4", repeat)
        info_short, info_long = probe_video(short), probe_video(long)
        emit(
            figure="test_videos",
            short_seconds=round(info_short.duration, 3),
            long_seconds=round(info_long.duration, 3),
            size=[info_short.width, info_short.height],
            fps=info_short.fps,
            build_seconds=round(time.perf_counter() - t0, 1),
        )

        plain_default, plain_same, ours, ours_10fps = [], [], [], []
        plain_decode(short)  # warm the page cache and FFmpeg's lazy inits
        for _ in range(args.runs):  # interleaved, so load from other users hits all alike
            plain_default.append(plain_decode(short))
            plain_same.append(plain_decode(short, threading="AUTO"))
            wall, cpu, n_frames = our_decode(short, size=(160, 90))
            ours.append((wall, cpu))
            ours_10fps.append(our_decode(short, size=(160, 90), fps=10)[:2])

        def med(runs, k):  # k = 0: wall time, 1: CPU time
            return statistics.median(r[k] for r in runs)

        wall_ratio = med(ours, 0) / med(plain_default, 0)
        cpu_ratio = med(ours, 1) / med(plain_default, 1)
        emit(
            figure="decode_speed",
            input=f"{short_s} s 1280x720 H.264 30 fps",
            frames=n_frames,
            cpus=os.cpu_count(),
            load_average_1min=round(os.getloadavg()[0], 2),
            plain_pyav_default_wall_s=round(med(plain_default, 0), 3),
            plain_pyav_default_cpu_s=round(med(plain_default, 1), 3),
            plain_pyav_frame_threads_wall_s=round(med(plain_same, 0), 3),
            iter_frames_160x90_wall_s=round(med(ours, 0), 3),
            iter_frames_160x90_cpu_s=round(med(ours, 1), 3),
            iter_frames_160x90_10fps_wall_s=round(med(ours_10fps, 0), 3),
            iter_frames_160x90_10fps_cpu_s=round(med(ours_10fps, 1), 3),
            ratio_wall=round(wall_ratio, 3),
            ratio_cpu=round(cpu_ratio, 3),
            target_ratio=1.3,
            met_wall=wall_ratio <= 1.3,
            met_cpu=cpu_ratio <= 1.3,
            runs=args.runs,
        )

        rss_short, rss_long = peak_rss(short), peak_rss(long)
        growth = rss_long["peak_rss_mb"] - rss_short["peak_rss_mb"]
        emit(
            figure="decode_memory",
            short_seconds=round(info_short.duration, 1),
            long_seconds=round(info_long.duration, 1),
            short_peak_rss_mb=round(rss_short["peak_rss_mb"], 1),
            long_peak_rss_mb=round(rss_long["peak_rss_mb"], 1),
            short_max_rss_during_decode_mb=round(rss_short["max_rss_during_decode_mb"], 1),
            long_max_rss_during_decode_mb=round(rss_long["max_rss_during_decode_mb"], 1),
            rss_after_imports_mb=round(rss_short["rss_after_imports_mb"], 1),
            growth_mb=round(growth, 1),
            frames=[rss_short["frames"], rss_long["frames"]],
            target="flat: the long input's peak within 20 MB of the short one's",
            met=growth < 20,
        )

        sr = 48000
        t = np.arange(int(sr * (info_short.duration + 3))) / sr  # longer than the video
        music = np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 550 * t)], 1).astype(np.float32)
        start = time.perf_counter()
        out = replace_audio(short, music, sr, tmp / "scored.mp4")
        seconds = time.perf_counter() - start
        before, after = video_packets(short), video_packets(out)
        same_bytes = len(before) == len(after) and all(a[0] == b[0] for a, b in zip(before, after))
        same_pts = len(before) == len(after) and all(a[2] == b[2] for a, b in zip(before, after))
        info_out = probe_video(out)
        emit(
            figure="replace_audio",
            seconds=round(seconds, 3),
            video_packets=[len(before), len(after)],
            packets_byte_identical=same_bytes,
            pts_identical=same_pts,
            duration_in_out=[round(info_short.duration, 3), round(info_out.duration, 3)],
            **mp4_facts(out),
            met=bool(same_bytes and same_pts and mp4_facts(out)["faststart"]),
        )

        from tests.io.browser_check import browser_check, chromium

        played = browser_check(out, timeout=60)
        emit(
            figure="browser_playback",
            browser=chromium(),
            file="replace_audio output (60 s 1280x720 H.264 + AAC, faststart)",
            **(played or {"ok": None, "note": "no Chromium installed; skipped"}),
        )


if __name__ == "__main__":
    main()
