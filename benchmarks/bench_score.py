"""The score job, end to end, on edits of real photographs with known ground truth.

Figures (one JSON object per line):

* ``response``   share of detected cuts with an onset in the rendered soundtrack (librosa
                 onset detection) within +-1 video frame, and the median offset (target >= 95 %)
* ``motion``     per-bar Spearman rho between motion energy and note-onset density (MIDI) on a
                 video whose motion varies (target >= 0.5)
* ``length``     soundtrack vs video duration in the written MP4 at 29.97 fps and VFR (within
                 one frame), and the onset nearest the last cut
* ``latents``    mean distance between the music latents of near-identical shots and of
                 visually different shots
* ``speed``      for a 60 s 1280x720 video: plain PyAV decode, picture analysis, whole job;
                 ratios (targets analysis <= 1.5x, whole job <= 3x)
* ``memory``     peak RSS of the analysis and of the whole job, 1 min vs 10 min video
* ``robustness`` rotated phone video, no audio track, under 2 s, 4K (and 1 h with --long)

Run from the repo root: ``.venv/bin/python benchmarks/bench_score.py [--quick] [--long]``.
Generated videos are cached in ``.cache/bench_score`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from benchmarks.bench_cuts import chosen_photos, load_photos, photo_tag  # noqa: E402
from benchmarks.datadir import add_data_dir_argument, data_dir  # noqa: E402
from cinemuse.pipelines.demo import Edit, Shot  # noqa: E402
from tests.score.clips import write_edit  # noqa: E402

CACHE = ROOT / ".cache" / "bench_score"
SR = 44100


def emit(obj: dict) -> None:
    print(json.dumps(obj, default=lambda x: round(float(x), 4)), flush=True)


def cached(name: str, edit: Edit, **kw) -> Path:
    path = CACHE / name
    if not path.exists():
        tmp = path.with_name(".tmp-" + path.name)
        write_edit(tmp, edit, **kw)
        tmp.replace(path)
    return path


def varied_edit(photos, *, seed: int, duration: float, size=(640, 360), calm_every: int = 2) -> Edit:
    """Alternating calm (static, slow zoom) and busy (fast pans, jolts) stretches, cuts in both."""
    rng = np.random.default_rng(seed)
    shots, total, i = [], 0.0, 0
    while total < duration:
        busy = (i // calm_every) % 2 == 1
        length = float(rng.uniform(1.0, 2.2) if busy else rng.uniform(2.5, 5.0))
        move = str(rng.choice(["pan_left", "pan_right", "shake", "pan_up"])) if busy else str(
            rng.choice(["static", "zoom_in"]))
        speed = float(rng.uniform(2.5, 4.0)) if busy else 0.15
        impacts = [float(rng.uniform(0.2, length - 0.2))] if move == "shake" else []
        shots.append(Shot(photos[int(rng.integers(len(photos)))], length, move=move, speed=speed,
                          impacts=impacts))
        total += length
        i += 1
    return Edit(shots, size=size)


def score(path: Path, out: Path, **kw) -> dict:
    from cinemuse.pipelines.score import ScoreOptions, score_video

    opts = ScoreOptions(force=True, replace_audio=True, **kw)
    return score_video(path, out, opts).to_dict()


def onsets(audio_path: Path) -> np.ndarray:
    import librosa

    y, sr = librosa.load(str(audio_path), sr=SR, mono=True)
    hop = 128
    env = librosa.onset.onset_strength(y=y, sr=sr, hop_length=hop)
    return librosa.onset.onset_detect(onset_envelope=env, sr=sr, hop_length=hop, units="time",
                                      backtrack=False)


def stream_durations(path: Path) -> tuple[float, float]:
    import av

    with av.open(str(path)) as c:
        out = []
        for s in (c.streams.video[0], c.streams.audio[0]):
            end = 0.0
            start = None
            for p in c.demux(s):
                if p.pts is None:
                    continue
                t0 = float(p.pts * s.time_base)
                start = t0 if start is None else min(start, t0)
                end = max(end, t0 + float((p.duration or 0) * s.time_base))
            out.append(end - (start or 0.0))
            c.seek(0)
    return out[0], out[1]


# ----------------------------------------------------------------------------- figures


def bench_response(photos, quick: bool) -> None:
    from cinemuse.analysis.video import analyze_video

    for name, rate, vfr in [("29.97", Fraction(30000, 1001), False), ("vfr", Fraction(30), True),
                            ("25", Fraction(25), False)]:
        dur = 20.0 if quick else 40.0
        edit = varied_edit(photos, seed=7, duration=dur)
        src = cached(f"response_{name}_{int(dur)}.mp4", edit, fps=rate, vfr=vfr, seed=5)
        out = CACHE / f"response_{name}_scored.mp4"
        wav = CACHE / f"response_{name}.wav"
        res = score(src, out, audio_out=wav)
        a = analyze_video(src, keep_keyframes=False)
        frame = float(np.max(np.diff(a.times)))  # +-1 frame (the longest frame for VFR)
        on = onsets(wav)
        cuts = a.cut_times
        offs = np.array([on[np.argmin(np.abs(on - c))] - c for c in cuts]) if len(on) else np.full(len(cuts), np.inf)
        hit = np.abs(offs) <= frame
        vdur, adur = stream_durations(out)
        last = cuts[-1] if len(cuts) else None
        emit({
            "figure": "response", "file": name, "cuts": len(cuts),
            "cuts_with_onset_within_1_frame": float(hit.mean()) if len(cuts) else None,
            "median_offset_ms": float(np.median(offs) * 1000) if len(cuts) else None,
            "median_abs_offset_ms": float(np.median(np.abs(offs)) * 1000) if len(cuts) else None,
            "frame_ms": frame * 1000, "target": 0.95, "tempo": res["tempo"],
        })
        emit({
            "figure": "length", "file": name, "video_s": vdur, "audio_s": adur,
            "difference_ms": (adur - vdur) * 1000, "frame_ms": frame * 1000,
            "within_one_frame": abs(adur - vdur) <= frame,
            "last_cut_s": last,
            "last_cut_onset_offset_ms": None if last is None or not len(on) else
            float((on[np.argmin(np.abs(on - last))] - last) * 1000),
        })


def bench_motion(photos, quick: bool) -> None:
    import pretty_midi
    from scipy.stats import spearmanr

    from cinemuse.analysis.video import analyze_video

    dur = 30.0 if quick else 60.0
    edit = varied_edit(photos, seed=11, duration=dur, calm_every=3)
    src = cached(f"motion_{int(dur)}.mp4", edit, fps=25)
    mid = CACHE / "motion.mid"
    res = score(src, CACHE / "motion_scored.mp4", midi_out=mid)
    a = analyze_video(src, keep_keyframes=False)
    pm = pretty_midi.PrettyMIDI(str(mid))
    starts = np.sort([n.start for inst in pm.instruments for n in inst.notes])
    bar = 4 * 60.0 / res["tempo"]
    # bars of the piece (from its own tempo), the first partial bar included
    edges = np.arange(0.0, a.duration + bar, bar)
    motion, density = [], []
    for b0, b1 in zip(edges, edges[1:]):
        sel = (a.times >= b0) & (a.times < b1)
        if sel.sum() < 3:
            continue
        motion.append(float(np.mean(a.motion[sel])))
        density.append(int(np.sum((starts >= b0) & (starts < b1))))
    rho = spearmanr(motion, density).statistic
    emit({"figure": "motion", "bars": len(motion), "spearman_rho": float(rho), "target": 0.5,
          "tempo": res["tempo"]})


def bench_latents(photos) -> None:
    from cinemuse.analysis.shots import shot_latents
    from cinemuse.analysis.video import analyze_video

    try:
        from cinemuse.music.melody_model import MelodyModel

        latent_dim, source = int(MelodyModel.load().latent_dim), "MelodyModel"
    except Exception as exc:  # noqa: BLE001
        latent_dim, source = 64, f"fallback 64 ({type(exc).__name__})"
    # pairs of near-identical shots (same photo, other framing) among different photos
    rng = np.random.default_rng(3)
    ids = rng.choice(len(photos), 8, replace=False)
    shots, which = [], []
    for i in ids:
        for move in ("zoom_in", "pan_right"):
            shots.append(Shot(photos[int(i)], 2.5, move=move, speed=0.3))
            which.append(int(i))
    edit = Edit(shots, size=(640, 360))
    src = cached("latents.mp4", edit, fps=25)
    a = analyze_video(src)
    # one span per true shot: a cut between two framings of one photo is (rightly) too subtle
    # for the cut detector, but here we want each shot's own latent
    ends = list(edit.starts[1:]) + [a.duration]
    spans = [(float(s), float(e)) for s, e in zip(edit.starts, ends)]
    lat, _ = shot_latents(a, spans, latent_dim=latent_dim)
    span_photo = which
    same, diff = [], []
    for i in range(len(spans)):
        for j in range(i):
            d = float(np.linalg.norm(lat[i] - lat[j]))
            (same if span_photo[i] == span_photo[j] else diff).append(d)
    emit({"figure": "latents", "latent_dim": latent_dim, "latent_source": source,
          "sections": len(spans), "mean_distance_near_identical": float(np.mean(same)) if same else None,
          "mean_distance_different": float(np.mean(diff)) if diff else None,
          "different_farther": bool(same and diff and np.mean(diff) > np.mean(same))})


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all threads) of ``fn()``."""
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def plain_decode(path: Path) -> None:
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for _ in c.decode(s):
            pass


def bench_speed(photos) -> None:
    """Ratios to a plain PyAV decode loop over the same file, in wall time and in CPU time.

    On a shared, busy machine wall time is noisy; CPU time (all threads of this process)
    measures the work itself. Each figure is the best of ``repeats`` runs, interleaved.
    """
    from cinemuse.analysis.video import analyze_video

    edit = varied_edit(photos, seed=21, duration=60.0, size=(1280, 720))
    src = cached("speed_720p_60s.mp4", edit, fps=30, crf=23)
    plain_decode(src)  # warm the file cache and the imports
    analyze_video(src, keep_keyframes=False)
    plain, analysis, job, stages = [], [], [], None
    for _ in range(2):
        plain.append(timed(lambda: plain_decode(src)))
        analysis.append(timed(lambda: analyze_video(src)))
        res = {}
        job.append(timed(lambda: res.update(score(src, CACHE / "speed_scored.mp4"))))
        stages = res.get("timings")
    best = lambda rows, k: min(r[k] for r in rows)  # noqa: E731
    emit({"figure": "speed", "video": "60 s 1280x720 30 fps H.264",
          "plain_decode_wall_s": best(plain, 0), "analysis_wall_s": best(analysis, 0), "job_wall_s": best(job, 0),
          "plain_decode_cpu_s": best(plain, 1), "analysis_cpu_s": best(analysis, 1), "job_cpu_s": best(job, 1),
          "analysis_ratio_wall": best(analysis, 0) / best(plain, 0), "job_ratio_wall": best(job, 0) / best(plain, 0),
          "analysis_ratio_cpu": best(analysis, 1) / best(plain, 1), "job_ratio_cpu": best(job, 1) / best(plain, 1),
          "target_analysis_ratio": 1.5, "target_job_ratio": 3.0, "job_stages_wall_s": stages})


_RSS_CHILD = """
import sys, time
sys.path.insert(0, {src!r})
def peak_rss_mb():  # VmHWM: peak resident memory of this program (ru_maxrss would include the parent's, inherited at fork)
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024
mode, path, out = sys.argv[1:4]
if mode == "analysis":
    from cinemuse.analysis.video import analyze_video
    analyze_video(path)
else:
    from cinemuse.pipelines.score import ScoreOptions, score_video
    score_video(path, out, ScoreOptions(force=True, replace_audio=True))
print(peak_rss_mb())
"""


def peak_rss_mb(mode: str, path: Path) -> float:
    code = _RSS_CHILD.format(src=str(ROOT / "src"))
    out = CACHE / f"rss_{path.stem}_scored.mp4"
    r = subprocess.run([sys.executable, "-c", code, mode, str(path), str(out)], capture_output=True,
                       text=True, check=True)
    return float(r.stdout.strip().splitlines()[-1])


def bench_memory(photos, quick: bool) -> None:
    rows = {}
    lengths = [60, 600] if not quick else [30, 120]
    for seconds in lengths:
        edit = varied_edit(photos[:12], seed=31, duration=seconds, size=(320, 180))
        src = cached(f"memory_{seconds}s.mp4", edit, fps=25, crf=28)
        rows[seconds] = (peak_rss_mb("analysis", src), peak_rss_mb("job", src))
    a, b = lengths
    emit({"figure": "memory", "lengths_s": lengths,
          "analysis_peak_rss_mb": [rows[a][0], rows[b][0]],
          "job_peak_rss_mb": [rows[a][1], rows[b][1]],
          "analysis_growth_mb": rows[b][0] - rows[a][0], "job_growth_mb": rows[b][1] - rows[a][1]})


def bench_robustness(photos, long: bool) -> None:
    cases = []
    base = [Shot(photos[0], 1.5, move="pan_right"), Shot(photos[1], 1.5, move="zoom_in")]
    cases.append(("rotated_phone", cached("rot.mp4", Edit(base, size=(320, 180)), fps=30, rotation=90)))
    cases.append(("no_audio", cached("noaudio.mp4", Edit(base, size=(320, 180)), fps=25)))
    tone = (0.1 * np.sin(2 * np.pi * 440 * np.arange(int(3 * SR)) / SR)).astype(np.float32)
    cases.append(("with_audio_ducked", cached(
        "audio.mp4", Edit(base, size=(320, 180)), fps=25, audio=np.column_stack([tone, tone]))))
    cases.append(("under_2s", cached("short.mp4", Edit([Shot(photos[2], 1.2)], size=(320, 180)), fps=25)))
    cases.append(("4k", cached("4k.mp4", Edit(base, size=(3840, 2160)), fps=25, crf=30)))
    if long:
        cases.append(("1h", cached("long_1h.mp4", varied_edit(photos[:8], seed=5, duration=3600, size=(320, 180)),
                                   fps=25, crf=30)))
    for name, src in cases:
        # each case in its own process: a clean peak-memory figure, and a crash is a result too
        out = CACHE / f"robust_{name}_scored.mp4"
        r = subprocess.run([sys.executable, "-c", _ROBUST_CHILD.format(src=str(ROOT / "src")), str(src), str(out)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            emit({"figure": "robustness", "case": name, "ok": False,
                  "error": (r.stderr.strip().splitlines() or ["?"])[-1]})
            continue
        res = json.loads(r.stdout.strip().splitlines()[-1])
        vdur, adur = stream_durations(out)
        emit({"figure": "robustness", "case": name, "ok": True, "seconds": res["seconds"],
              "peak_rss_mb": res["peak_rss_mb"], "video_s": vdur, "audio_s": adur, "cuts": res["cuts"],
              "stages_s": res["timings"]})


_ROBUST_CHILD = """
import json, sys, time
sys.path.insert(0, {src!r})
def peak_rss_mb():  # VmHWM: peak resident memory of this program (ru_maxrss would include the parent's, inherited at fork)
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024
from cinemuse.pipelines.score import ScoreOptions, score_video
t0 = time.perf_counter()
res = score_video(sys.argv[1], sys.argv[2], ScoreOptions(force=True)).to_dict()
print(json.dumps({{"seconds": time.perf_counter() - t0, "cuts": res["cuts"], "timings": res["timings"],
                  "peak_rss_mb": peak_rss_mb()}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter videos")
    parser.add_argument("--long", action="store_true", help="also the 1 h robustness case")
    parser.add_argument("--only", nargs="*", help="figures to run (response motion latents speed memory robustness)")
    add_data_dir_argument(parser)
    args = parser.parse_args()
    images = data_dir(args.data_dir) / "images"
    global CACHE
    CACHE = CACHE / photo_tag(chosen_photos(40, seed=2, folder=images))  # other photos, other videos
    CACHE.mkdir(parents=True, exist_ok=True)
    photos = load_photos(40, seed=2, folder=images)
    todo = args.only or ["response", "motion", "latents", "speed", "memory", "robustness"]
    for name in todo:
        if name == "response":
            bench_response(photos, args.quick)
        elif name == "motion":
            bench_motion(photos, args.quick)
        elif name == "latents":
            bench_latents(photos)
        elif name == "speed":
            bench_speed(photos)
        elif name == "memory":
            bench_memory(photos, args.quick)
        elif name == "robustness":
            bench_robustness(photos, args.long)


if __name__ == "__main__":
    main()
