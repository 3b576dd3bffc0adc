"""Restoration on synthetic degradations of held-out photos (Kodak24): PSNR/SSIM gain per kind.

Each Kodak picture is degraded in code (seeded), restored with the step ``cinemuse
restore`` uses for that kind, and compared with the original. Prints one JSON line per
(degradation, level) with the mean PSNR and SSIM of the degraded input and of the
restoration, and for negatives the mean CIEDE2000 of the developed positive.

    .venv/bin/python benchmarks/bench_restore.py [--limit N] [--folder kodak24]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def load_images(folder: Path, limit: int | None) -> list[tuple[str, np.ndarray]]:
    from PIL import Image

    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg"})[:limit]
    out = []
    for p in paths:
        im = np.asarray(Image.open(p).convert("RGB"))
        if max(im.shape[:2]) > 768:  # keep the benchmark quick on large training photos
            import cv2

            s = 768 / max(im.shape[:2])
            im = cv2.resize(im, (round(im.shape[1] * s), round(im.shape[0] * s)), interpolation=cv2.INTER_AREA)
        out.append((p.name, im))
    return out


# --------------------------------------------------------------------------- degradations


def add_noise(im, rng, sigma):
    return np.clip(im + rng.normal(0, sigma, im.shape), 0, 255).astype(np.uint8)


def jpeg(im, rng, quality):
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(im).save(buf, "JPEG", quality=int(quality))
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def scratches_and_dust(im, rng, amount):
    """Long thin near-vertical scratches (bright or dark) and dust specks, like old film prints."""
    import cv2

    out = im.copy()
    h, w = im.shape[:2]
    for _ in range(int(3 * amount)):
        x0 = rng.uniform(0, w)
        x1 = x0 + rng.uniform(-0.08, 0.08) * w
        y0, y1 = rng.uniform(0, 0.3) * h, rng.uniform(0.6, 1.0) * h
        value = 235 if rng.random() < 0.6 else 25
        cv2.line(out, (int(x0), int(y0)), (int(x1), int(y1)), (value,) * 3, int(rng.integers(1, 3)), cv2.LINE_AA)
    for _ in range(int(60 * amount)):
        c = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        value = 240 if rng.random() < 0.5 else 15
        r = int(rng.integers(1, 4))
        cv2.ellipse(out, c, (r, int(r * rng.uniform(0.5, 1.5))), rng.uniform(0, 180), 0, 360, (value,) * 3, -1, cv2.LINE_AA)
    return out


def missing_blocks(im, rng, count):
    out = im.copy()
    h, w = im.shape[:2]
    mask = np.zeros((h, w), bool)
    for _ in range(int(count)):
        bh, bw = int(rng.integers(16, 48)), int(rng.integers(16, 48))
        y, x = int(rng.integers(0, h - bh)), int(rng.integers(0, w - bw))
        out[y : y + bh, x : x + bw] = 0 if rng.random() < 0.5 else 255
        mask[y : y + bh, x : x + bw] = True
    return out, mask


# --------------------------------------------------------------------------- metrics


def ssim(a, b):
    from skimage.metrics import structural_similarity

    return float(structural_similarity(a, b, channel_axis=2, data_range=255))


def main() -> None:
    from cinemuse.train.paths import shared_data_dir
    from cinemuse.vision import restore as R
    from cinemuse.vision.color import delta_e_2000, psnr, rgb_to_lab

    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--folder", default="kodak24")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", nargs="*", default=None,
                    choices=["noise", "jpeg", "scratches_dust", "missing_blocks", "colour_negative", "auto"],
                    help="run only these parts (default: all)")
    args = ap.parse_args()
    wanted = set(args.only or ["noise", "jpeg", "scratches_dust", "missing_blocks", "colour_negative", "auto"])
    images = load_images(shared_data_dir() / "images" / args.folder, args.limit)

    cases = [
        ("noise", 10, lambda im, rng: add_noise(im, rng, 10), lambda x: R.denoise(x)),
        ("noise", 20, lambda im, rng: add_noise(im, rng, 20), lambda x: R.denoise(x)),
        ("noise", 30, lambda im, rng: add_noise(im, rng, 30), lambda x: R.denoise(x)),
        ("jpeg", 30, lambda im, rng: jpeg(im, rng, 30), lambda x: R.denoise(x)),
        ("jpeg", 50, lambda im, rng: jpeg(im, rng, 50), lambda x: R.denoise(x)),
        ("jpeg", 70, lambda im, rng: jpeg(im, rng, 70), lambda x: R.denoise(x)),
        ("scratches_dust", 1, lambda im, rng: scratches_and_dust(im, rng, 1), lambda x: R.remove_defects(x)[0]),
        ("scratches_dust", 2, lambda im, rng: scratches_and_dust(im, rng, 2), lambda x: R.remove_defects(x)[0]),
        ("missing_blocks", 6, lambda im, rng: missing_blocks(im, rng, 6)[0], lambda x: R.fill_missing(x)[0]),
    ]
    for kind, level, degrade, fix in cases:
        if kind not in wanted:
            continue
        rng = np.random.default_rng(args.seed)
        rows = {"psnr_in": [], "psnr_out": [], "ssim_in": [], "ssim_out": []}
        start = time.perf_counter()
        for name, im in images:
            bad = degrade(im, rng)
            good = fix(bad)
            rows["psnr_in"].append(psnr(bad, im))
            rows["psnr_out"].append(psnr(good, im))
            rows["ssim_in"].append(ssim(bad, im))
            rows["ssim_out"].append(ssim(good, im))
        m = {k: float(np.mean(v)) for k, v in rows.items()}
        print(json.dumps({
            "bench": "restore", "set": args.folder, "images": len(images), "degradation": kind, "level": level,
            "psnr_degraded": round(m["psnr_in"], 2), "psnr_restored": round(m["psnr_out"], 2),
            "psnr_gain": round(m["psnr_out"] - m["psnr_in"], 2),
            "ssim_degraded": round(m["ssim_in"], 4), "ssim_restored": round(m["ssim_out"], 4),
            "ssim_gain": round(m["ssim_out"] - m["ssim_in"], 4),
            "seconds_per_image": round((time.perf_counter() - start) / len(images), 3),
        }), flush=True)

    # colour negatives: develop and compare with the original (rebate excluded)
    if "colour_negative" in wanted:
        negatives(images, args)
    if "auto" in wanted:
        auto_on_clean(images, args)


def negatives(images, args) -> None:
    from cinemuse.vision import restore as R
    from cinemuse.vision.color import delta_e_2000, rgb_to_lab

    rng = np.random.default_rng(args.seed)
    des, des_bw, likelihood_neg, likelihood_pos = [], [], [], []
    for i, (name, im) in enumerate(images):
        neg = R.simulate_colour_negative(im, rng=rng, rebate=i % 2 == 0)
        pos = R.develop_negative(neg)
        b = max(4, min(im.shape[:2]) // 30)
        inner = (slice(b, -b), slice(b, -b))
        des.append(float(delta_e_2000(rgb_to_lab(pos[inner]), rgb_to_lab(im[inner])).mean()))
        likelihood_neg.append(R.negative_likelihood(neg))
        likelihood_pos.append(R.negative_likelihood(im))
    print(json.dumps({
        "bench": "restore", "set": args.folder, "images": len(images), "degradation": "colour_negative",
        "delta_e2000_mean": round(float(np.mean(des)), 2), "delta_e2000_max": round(float(np.max(des)), 2),
        "target_delta_e2000": 10.0,
        "auto_detects_negative": round(float(np.mean(np.array(likelihood_neg) >= 0.8)), 3),
        "auto_false_negative_on_positives": round(float(np.mean(np.array(likelihood_pos) >= 0.8)), 3),
    }), flush=True)



def auto_on_clean(images, args) -> None:
    """--auto on undamaged photos should choose (almost) nothing and change little."""
    from cinemuse.vision import restore as R
    from cinemuse.vision.color import psnr

    rows = []
    for name, im in images:
        out, rep = R.restore_image(im)
        rows.append((psnr(out, im), len(rep["steps"])))
    print(json.dumps({
        "bench": "restore", "set": args.folder, "images": len(images), "degradation": "none (auto on clean photos)",
        "psnr_after_auto": round(float(np.mean([r[0] for r in rows if np.isfinite(r[0])] or [float("inf")])), 2),
        "mean_steps_chosen": round(float(np.mean([r[1] for r in rows])), 2),
    }), flush=True)


if __name__ == "__main__":
    main()
