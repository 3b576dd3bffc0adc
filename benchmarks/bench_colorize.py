"""Colourisation on held-out photos (Kodak24, never used in training), speed and video flicker.

Prints JSON lines:

* ``quality``: mean PSNR (RGB and ab chroma), CIEDE2000 and Hasler–Süsstrunk colourfulness
  of the automatic colouriser, of reference-guided colour (the reference is a different
  crop of the same scene: the bottom-right 70 %, so the target's top-left is unseen), and
  of the baselines "leave it grey" and "global average colour" (mean ab of the training
  photos added to the grey picture);
* ``speed_photo``: seconds to colourise an 8-megapixel photo (median of 3);
* ``video``: frames per second of the temporal colouriser at 640x480 and the flicker
  (mean warping error between consecutive frames, exact because the clip is a synthetic
  camera pan with known integer motion) beside the same colouriser run frame by frame.

    .venv/bin/python benchmarks/bench_colorize.py [--limit N] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def read(p: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(p).convert("RGB"))


def training_mean_ab(data: Path) -> np.ndarray:
    import cv2

    from cinemuse.train.colorize import TRAIN_FOLDERS
    from cinemuse.vision.color import rgb_to_lab

    sums, n = np.zeros(2), 0
    for folder in TRAIN_FOLDERS:
        for p in sorted((data / "images" / folder).iterdir()):
            if p.suffix.lower() not in {".jpg", ".jpeg", ".png"}:
                continue
            im = read(p)
            im = cv2.resize(im, (128, 128), interpolation=cv2.INTER_AREA)
            ab = rgb_to_lab(im)[..., 1:].reshape(-1, 2)
            sums += ab.sum(0)
            n += len(ab)
    return (sums / n).astype(np.float32)


def chroma_metrics(out: np.ndarray, truth: np.ndarray) -> dict:
    from cinemuse.vision.color import colourfulness, delta_e_2000, psnr, rgb_to_lab

    lab_o, lab_t = rgb_to_lab(out), rgb_to_lab(truth)
    return {
        "psnr_rgb": psnr(out, truth),
        "psnr_ab": psnr(lab_o[..., 1:], lab_t[..., 1:]),  # peak 255 over Lab a,b units
        "delta_e2000": float(delta_e_2000(lab_o, lab_t).mean()),
        "colourfulness": colourfulness(out),
    }


def quality(images, mean_ab, colorizer) -> None:
    from cinemuse.vision.color import colourfulness, luminance, to_grey
    from cinemuse.vision.colorize import colorize_image, compose

    methods = {"grey": [], "global_average_colour": [], "automatic": [], "reference_same_scene": []}
    truth_colourfulness = []
    for name, im in images:
        grey = to_grey(im)
        light = luminance(grey)
        h, w = im.shape[:2]
        reference = im[int(0.3 * h):, int(0.3 * w):]
        outs = {
            "grey": grey,
            "global_average_colour": compose(light, np.broadcast_to(mean_ab, light.shape + (2,)).copy()),
            "automatic": colorize_image(grey, colorizer=colorizer),
            "reference_same_scene": colorize_image(grey, colorizer=colorizer, references=[reference]),
        }
        for k, o in outs.items():
            methods[k].append(chroma_metrics(o, im))
        truth_colourfulness.append(colourfulness(im))
    for k, rows in methods.items():
        print(json.dumps({
            "bench": "colorize", "what": "quality", "set": "kodak24", "images": len(images), "method": k,
            **{m: round(float(np.mean([r[m] for r in rows])), 3) for m in rows[0]},
            "colourfulness_of_originals": round(float(np.mean(truth_colourfulness)), 2),
        }), flush=True)


def speed_photo(images, colorizer) -> None:
    import cv2

    from cinemuse.vision.color import to_grey
    from cinemuse.vision.colorize import colorize_image

    im = to_grey(images[0][1])
    big = cv2.resize(im, (3464, 2309), interpolation=cv2.INTER_CUBIC)  # 8.0 megapixels
    colorize_image(big[:512, :512], colorizer=colorizer)  # warm up
    times, cpus = [], []
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        colorize_image(big, colorizer=colorizer)
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)  # all threads: the cost a shared machine cannot hide
    print(json.dumps({"bench": "colorize", "what": "speed_photo", "megapixels": round(big.shape[0] * big.shape[1] / 1e6, 2),
                      "seconds_median": round(float(np.median(times)), 3),
                      "cpu_seconds_median": round(float(np.median(cpus)), 3), "target_seconds": 5.0,
                      "load_average_1min": round(os.getloadavg()[0], 2),
                      "threads": colorizer.encoder._session.get_session_options().intra_op_num_threads}), flush=True)


def pan_clip(images, *, frames_per_shot: int = 40, step=(3, 1), noise: float = 6.0, seed: int = 0):
    """A 640x480 grey clip: a camera panning over enlarged Kodak pictures, with film grain.

    Returns a list of (frame, shot index, (dx, dy) motion from the previous frame).
    """
    import cv2

    from cinemuse.vision.color import to_grey

    rng = np.random.default_rng(seed)
    clip = []
    for shot, (name, im) in enumerate(images):
        big = cv2.resize(im, (int(im.shape[1] * 1.6), int(im.shape[0] * 1.6)), interpolation=cv2.INTER_CUBIC)
        big = to_grey(big)
        h, w = big.shape[:2]
        x, y = 0, 0
        dx, dy = step
        for i in range(frames_per_shot):
            x2, y2 = x + dx * i, y + dy * i
            x2, y2 = min(x2, w - 640), min(y2, h - 480)
            frame = big[y2 : y2 + 480, x2 : x2 + 640].astype(np.float32)
            frame = np.clip(frame + rng.normal(0, noise, frame.shape[:2])[..., None], 0, 255).astype(np.uint8)
            clip.append((frame, shot, (dx, dy) if i else None, (x2, y2)))
    return clip


def warping_error(outputs, clip, *, chroma: bool = False) -> float:
    """Mean absolute difference between each frame and the previous one shifted by the true motion.

    RGB 0..255 units, or with ``chroma`` Lab a,b units (the lightness, grain included, is
    the input's and the same for every method, so the chroma error isolates colour flicker).
    """
    from cinemuse.vision.color import rgb_to_lab

    if chroma:
        outputs = [rgb_to_lab(o)[..., 1:] for o in outputs]
    errs = []
    for (o_prev, o_cur), (_, (_, shot_p, _, pos_p), (_, shot_c, _, pos_c)) in zip(zip(outputs, outputs[1:]), zip(range(len(clip)), clip, clip[1:])):
        if shot_p != shot_c:
            continue
        dx, dy = pos_c[0] - pos_p[0], pos_c[1] - pos_p[1]
        h, w = o_cur.shape[:2]
        cur = o_cur[: h - dy, : w - dx].astype(np.float32)
        prev = o_prev[dy:, dx:].astype(np.float32)
        errs.append(float(np.abs(cur - prev).mean()))
    return float(np.mean(errs))


def video(images, colorizer) -> None:
    from cinemuse.vision.colorize import VideoOptions, colorize_frames

    clip = pan_clip(images)
    frames = [c[0] for c in clip]
    results = {}
    for mode in ("temporal", "per_frame"):
        t, c = time.perf_counter(), time.process_time()
        outs = list(colorize_frames(iter(frames), colorizer=colorizer, options=VideoOptions(), per_frame=(mode == "per_frame")))
        seconds, cpu = time.perf_counter() - t, time.process_time() - c
        results[mode] = {"fps": len(frames) / seconds, "cpu_s": cpu, "flicker": warping_error(outs, clip, chroma=True),
                         "flicker_rgb": warping_error(outs, clip)}
    # the input's own warping error (grain) is the floor both share
    grey_flicker = warping_error(frames, clip)
    print(json.dumps({
        "bench": "colorize", "what": "video", "size": "640x480", "frames": len(frames),
        "shots": len(images), "motion_px_per_frame": [3, 1],
        "fps_temporal": round(results["temporal"]["fps"], 2), "target_fps": 8.0,
        "fps_per_frame": round(results["per_frame"]["fps"], 2),
        "cpu_seconds_temporal": round(results["temporal"]["cpu_s"], 2),
        "cpu_seconds_per_frame_mode": round(results["per_frame"]["cpu_s"], 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "flicker_ab_temporal": round(results["temporal"]["flicker"], 3),
        "flicker_ab_per_frame": round(results["per_frame"]["flicker"], 3),
        "flicker_ratio": round(results["temporal"]["flicker"] / results["per_frame"]["flicker"], 3),
        "flicker_rgb_temporal": round(results["temporal"]["flicker_rgb"], 3),
        "flicker_rgb_per_frame": round(results["per_frame"]["flicker_rgb"], 3),
        "flicker_rgb_of_grey_input": round(grey_flicker, 3),
        "flicker_rgb_ratio_above_input": round((results["temporal"]["flicker_rgb"] - grey_flicker) / max(results["per_frame"]["flicker_rgb"] - grey_flicker, 1e-6), 3),
        "target_ratio": 0.5,
        "threads": colorizer.encoder._session.get_session_options().intra_op_num_threads,
    }), flush=True)
    video_file(frames)


def video_file(frames) -> None:
    """End to end through the file pipeline: decode, colour, encode H.264, audio kept."""
    import tempfile

    from cinemuse.io.video import write_video
    from cinemuse.pipelines.colorize import colorize_file

    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "clip.mp4", Path(tmp) / "clip-colour.mp4"
        sr = 44100
        audio = (0.1 * np.sin(2 * np.pi * 220 * np.arange(int(sr * len(frames) / 24)) / sr)).astype(np.float32)[:, None]
        write_video(src, frames, fps=24, audio=audio, sample_rate=sr)
        t, c = time.perf_counter(), time.process_time()
        result = colorize_file(src, out).to_dict()
        wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(json.dumps({"bench": "colorize", "what": "video_file", "size": "640x480", "frames": result["frames"],
                      "fps_end_to_end": result["fps_processed"], "target_fps": 8.0,
                      "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
                      "audio_kept": result["audio_kept"]}), flush=True)


def main() -> None:
    from cinemuse.train.paths import shared_data_dir
    from cinemuse.vision.colorize import Colorizer

    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None, help="use only the first N Kodak pictures for quality")
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime threads (default 2: the target laptop)")
    ap.add_argument("--skip", nargs="*", default=[], choices=["quality", "speed", "video"])
    args = ap.parse_args()
    data = shared_data_dir()
    paths = sorted((data / "images" / "kodak24").glob("kodim*.png"))[: args.limit]
    images = [(p.name, read(p)) for p in paths]
    colorizer = Colorizer.load(threads=args.threads)
    if "quality" not in args.skip:
        quality(images, training_mean_ab(data), colorizer)
    if "speed" not in args.skip:
        speed_photo(images, colorizer)
    if "video" not in args.skip:
        video([images[i] for i in (0, 6, 12) if i < len(images)], colorizer)


if __name__ == "__main__":
    main()
