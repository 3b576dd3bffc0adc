"""Cut and transition detection on edits of real photographs with known ground truth.

Builds test videos from the photos in ``../shared/data/images`` (hard cuts, pans, zooms,
camera jolts, fades through black, dissolves, flashes of light that are not cuts) at
23.976, 25, 29.97 and 60 fps plus one variable-frame-rate file, and scores

* cinemuse (``cinemuse.analysis.video.analyze_video``): hard cuts (F1, +-1 frame) and
  gradual transitions (F1, overlap), flashes mistaken for cuts;
* PySceneDetect's ContentDetector (default threshold 27) on the same files: its cuts against
  the hard cuts (+-1 frame), and how many gradual transitions it marks at all (a cut inside
  the transition's span, +-1 frame), plus its running time.

Prints one JSON object per line: one per file, then a summary. Run from the repo root:

    .venv/bin/python benchmarks/bench_cuts.py [--quick]

PySceneDetect is optional (``pip install scenedetect`` or the ``bench`` extra); without it
its columns are left out.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from cinemuse.analysis.video import analyze_video  # noqa: E402
from cinemuse.pipelines.demo import MOVES, Edit, Shot  # noqa: E402
from tests.score.clips import f1, match_intervals, match_points, true_cut_times, write_edit  # noqa: E402
from datadir import add_data_dir_argument, data_dir  # noqa: E402

DATA = Path("images")  # under the shared data folder; main() makes it absolute (--data-dir)
# Photographs of real scenes only. The paintings (styles/) and the 227-px flowers that later
# joined images/ changed which 60 photos the seeded draw picks, i.e. the test set itself.
PHOTO_FOLDERS = ("dreambooth", "kodak24", "wikimedia49")
CACHE = ROOT / ".cache" / "bench_cuts"
RATES = [("23.976", Fraction(24000, 1001), False), ("25", Fraction(25), False),
         ("29.97", Fraction(30000, 1001), False), ("60", Fraction(60), False),
         ("vfr", Fraction(30), True)]


def chosen_photos(limit: int = 60, *, seed: int = 0, folder: Path | None = None) -> list[Path]:
    """The photos a seeded draw takes from PHOTO_FOLDERS under ``folder`` (default DATA)."""
    root = Path(folder) if folder is not None else DATA
    files = sorted(p for sub in PHOTO_FOLDERS for p in (root / sub).rglob("*")
                   if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not files:
        raise SystemExit(f"no photos under {root}/{{{','.join(PHOTO_FOLDERS)}}}")
    rng = np.random.default_rng(seed)
    return [files[i] for i in rng.choice(len(files), size=min(limit, len(files)), replace=False)]


def photo_tag(files: list[Path]) -> str:
    """A short digest of a photo draw: cached videos made from other photos are not reused."""
    import hashlib

    return hashlib.sha1("\n".join(f"{p.parent.name}/{p.name}" for p in files).encode()).hexdigest()[:8]


def load_photos(limit: int = 60, *, seed: int = 0, folder: Path | None = None) -> list[np.ndarray]:
    from PIL import Image

    out = []
    for path in chosen_photos(limit, seed=seed, folder=folder):
        im = Image.open(path).convert("RGB")
        im.thumbnail((960, 960))
        out.append(np.asarray(im))
    return out


def make_edit(photos, *, seed: int, duration: float, size=(640, 360)) -> Edit:
    """A random edit: shots of 0.8-4 s, ~60% cuts, ~20% dissolves, ~15% fades, flashes."""
    rng = np.random.default_rng(seed)
    shots, total, last = [], 0.0, -1
    while total < duration:
        k = int(rng.integers(len(photos)))
        if k == last:
            continue
        last = k
        length = float(rng.uniform(0.8, 4.0))
        r = rng.random()
        if not shots:
            tr, tl = ("fade_in" if r < 0.5 else "cut"), float(rng.uniform(0.6, 1.5))
        elif r < 0.6:
            tr, tl = "cut", 0.8
        elif r < 0.8:
            tr, tl = "dissolve", float(rng.uniform(0.4, 1.6))
        else:
            tr, tl = "fade", float(rng.uniform(0.6, 1.6))
        if tr != "cut":
            length = max(length, tl + 1.0)  # transitions do not overlap
        move = str(rng.choice(MOVES))
        flashes = [float(rng.uniform(0.4, length - 0.4))] if rng.random() < 0.25 and length > 1.2 else []
        if tr in ("dissolve", "fade") and flashes:
            flashes = [f for f in flashes if f > tl / 2 + 0.3]
        impacts = [float(rng.uniform(0.2, length - 0.2))] if move == "shake" else []
        shots.append(Shot(photos[k], length, move=move, speed=float(rng.uniform(0.5, 2.0)),
                          transition=tr, transition_length=tl, flashes=flashes, impacts=impacts))
        total += length
    # the next shot's transition must fit inside the previous shot too
    for prev, cur in zip(shots, shots[1:]):
        if cur.transition in ("dissolve", "fade"):
            prev.duration = max(prev.duration, cur.transition_length / 2 + 0.6)
            limit = prev.duration - cur.transition_length / 2 - 0.3
            prev.flashes = [f for f in prev.flashes if f < limit]
    return Edit(shots, size=size)


def scenedetect_cuts(path: Path) -> list[float] | None:
    try:
        from scenedetect import ContentDetector, SceneManager, open_video
    except ImportError:
        return None
    video = open_video(str(path))
    manager = SceneManager()
    manager.add_detector(ContentDetector())
    manager.detect_scenes(video, show_progress=False)
    scenes = manager.get_scene_list()
    return [s[0].get_seconds() for s in scenes[1:]]


def evaluate(name, path, edit, times) -> dict:
    dt = float(np.median(np.diff(times)))
    truth_cuts = true_cut_times(edit, times)
    truth_trans = [(s, e) for s, e, _ in edit.transitions()]
    t0, c0 = time.perf_counter(), time.process_time()
    result = analyze_video(path, keep_keyframes=False)
    t_ours, c_ours = time.perf_counter() - t0, time.process_time() - c0
    # +-1 frame: the largest local frame interval (VFR) plus timestamp rounding
    tol = 1.0 * float(np.max(np.diff(times))) + 1e-3
    tp, fp, fn = match_points(result.cut_times, truth_cuts, tol)
    ours_tr = [(tr.start, tr.end) for tr in result.transitions]
    gtp, gfp, gfn = match_intervals(ours_tr, truth_trans, slack=dt)
    flash_as_cut = sum(
        1 for f in edit.flash_times() if any(abs(c - f) < 0.2 for c in result.cut_times)
    )
    row = {
        "file": name, "frames": len(times), "duration_s": round(edit.duration, 2),
        "true_cuts": len(truth_cuts), "true_transitions": len(truth_trans),
        "flashes": len(edit.flash_times()),
        "cinemuse_cut_f1": round(f1(tp, fp, fn), 4), "cinemuse_cut_tp_fp_fn": [tp, fp, fn],
        "cinemuse_gradual_f1": round(f1(gtp, gfp, gfn), 4),
        "cinemuse_gradual_tp_fp_fn": [gtp, gfp, gfn],
        "cinemuse_flashes_called_cuts": flash_as_cut,
        "cinemuse_seconds": round(t_ours, 3), "cinemuse_cpu_seconds": round(c_ours, 3),
    }
    t0, c0 = time.perf_counter(), time.process_time()
    sd = scenedetect_cuts(path)
    t_sd, c_sd = time.perf_counter() - t0, time.process_time() - c0
    if sd is not None:
        # a detector without a gradual model: its cuts inside transitions are not hard-cut errors
        in_tr = [c for c in sd if any(s - tol <= c <= e + tol for s, e in truth_trans)]
        sd_cuts = [c for c in sd if c not in in_tr]
        stp, sfp, sfn = match_points(sd_cuts, truth_cuts, tol)
        marked = sum(1 for s, e in truth_trans if any(s - tol <= c <= e + tol for c in sd))
        row.update({
            "scenedetect_cut_f1": round(f1(stp, sfp, sfn), 4), "scenedetect_cut_tp_fp_fn": [stp, sfp, sfn],
            "scenedetect_transitions_marked": marked,
            "scenedetect_flashes_called_cuts": sum(
                1 for f in edit.flash_times() if any(abs(c - f) < 0.2 for c in sd)),
            "scenedetect_seconds": round(t_sd, 3), "scenedetect_cpu_seconds": round(c_sd, 3),
        })
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter videos (20 s instead of 60 s)")
    parser.add_argument("--seed", type=int, default=1)
    add_data_dir_argument(parser)
    args = parser.parse_args()
    global DATA
    DATA = data_dir(args.data_dir) / "images"
    duration = 20.0 if args.quick else 60.0
    photos = load_photos()
    tag = photo_tag(chosen_photos())
    CACHE.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, (name, rate, vfr) in enumerate(RATES):
        edit = make_edit(photos, seed=args.seed * 100 + i, duration=duration)
        path = CACHE / f"edit_{name}_{int(duration)}s_seed{args.seed}_{tag}.mp4"
        if path.exists():  # same seed, same edit: reuse the encoded file
            from cinemuse.pipelines.demo import frame_times

            times = frame_times(edit.duration, fps=rate, vfr=vfr, seed=i)
        else:
            tmp = path.with_suffix(".part.mp4")
            times = write_edit(tmp, edit, fps=rate, vfr=vfr, seed=i)
            tmp.replace(path)
        row = evaluate(name, path, edit, times)
        rows.append(row)
        print(json.dumps(row), flush=True)
    total = lambda key, k: sum(r[key][k] for r in rows)  # noqa: E731
    summary = {
        "summary": "all files",
        "cinemuse_cut_f1": round(f1(*(total("cinemuse_cut_tp_fp_fn", k) for k in range(3))), 4),
        "cinemuse_gradual_f1": round(f1(*(total("cinemuse_gradual_tp_fp_fn", k) for k in range(3))), 4),
        "cinemuse_flashes_called_cuts": sum(r["cinemuse_flashes_called_cuts"] for r in rows),
        "flashes": sum(r["flashes"] for r in rows),
        "cinemuse_seconds": round(sum(r["cinemuse_seconds"] for r in rows), 3),
        "cinemuse_cpu_seconds": round(sum(r["cinemuse_cpu_seconds"] for r in rows), 3),
        "target_cut_f1": 0.95, "target_gradual_f1": 0.8,
    }
    if all("scenedetect_cut_f1" in r for r in rows):
        summary.update({
            "scenedetect_cut_f1": round(f1(*(total("scenedetect_cut_tp_fp_fn", k) for k in range(3))), 4),
            "scenedetect_transitions_marked": sum(r["scenedetect_transitions_marked"] for r in rows),
            "true_transitions": sum(r["true_transitions"] for r in rows),
            "scenedetect_flashes_called_cuts": sum(r["scenedetect_flashes_called_cuts"] for r in rows),
            "scenedetect_seconds": round(sum(r["scenedetect_seconds"] for r in rows), 3),
            "scenedetect_cpu_seconds": round(sum(r["scenedetect_cpu_seconds"] for r in rows), 3),
        })
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
