"""Train the colourisation decoder over the frozen EfficientNet-Lite0 encoder.

Recipe (``cinemuse train colorize``):

1. Cut many augmented crops (random scale 35–100 % of the short side, aspect jitter,
   mirror) from the training photos in ``images/wikimedia49`` and ``images/dreambooth``.
   ``images/kodak24`` is never read: it is the held-out evaluation set.
2. Turn each crop grey (its Lab lightness only), jitter that grey's tone (gamma, contrast,
   a little blur or grain, as old prints have) and run the frozen ONNX encoder on it once;
   cache the stride-4/8/16/32 feature maps, the lightness and the true ab chroma on disk
   (float16 memmaps under ``.cache/colorize``).
3. Train only the small decoder (:class:`ChromaDecoder`) on the cache: a U-Net-style
   path from stride 32 up to stride 8 with the encoder's maps (stride 4 folded in by
   pixel-unshuffle) as skip connections and a global-context vector, predicting a
   distribution over quantised ab bins at stride 8.
   Loss: cross-entropy against soft-encoded targets (5 nearest bins, Gaussian σ = 5),
   after Zhang, Isola & Efros (2016). Their class rebalancing is available
   (``rebalance_lambda`` < 1) but off: with it (λ = 0.5, 500 steps) Kodak24 chroma
   PSNR fell below "leave it grey"; a distribution over bins still keeps more colour
   than a regression to the mean would.
4. Pick the annealed-mean temperature on a few validation photos (held out of step 3),
   export the decoder to ONNX with float16 weights, and fit on the same photos how far
   to shrink the predicted chroma towards the training mean (least squares); bins,
   temperature and shrinkage travel in the ONNX metadata.

Torch is used only here; the product runs the ONNX files with onnxruntime.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from cinemuse.progress import SILENT

ASSET_NAME = "vision/colorize_decoder.onnx"
TRAIN_FOLDERS = ("wikimedia49", "dreambooth")  # kodak24 is held out for evaluation
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


@dataclass
class Config:
    crop: int = 224  # crop side fed to the encoder (7x7 at stride 32)
    crops_per_large_image: int = 24  # wikimedia49: up to 1280 px
    crops_per_small_image: int = 10  # dreambooth: 512 px
    validation_images: int = 8
    bin_spacing: float = 10.0  # ab quantisation grid (Lab units)
    soft_sigma: float = 5.0
    soft_neighbours: int = 5
    rebalance_lambda: float = 1.0  # 1 = no rebalancing: the mean of the distribution is the least-squares colour
    width_s16: int = 96
    width_s8: int = 64
    batch: int = 16
    steps: int = 2000
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0


def quick_config(seed: int) -> Config:
    return Config(crops_per_large_image=4, crops_per_small_image=2, validation_images=4, steps=150, seed=seed)


# ----------------------------------------------------------------------------- data


def list_training_images(data_dir: Path) -> list[Path]:
    paths = []
    for folder in TRAIN_FOLDERS:
        root = data_dir / "images" / folder
        paths += sorted(p for p in root.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        from cinemuse.errors import UsageError

        raise UsageError(f"no training photos under {data_dir / 'images'} ({', '.join(TRAIN_FOLDERS)})")
    return paths


def _read_rgb(path: Path) -> np.ndarray:
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def random_crop(rgb: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """A random square-ish crop (35-100 % of the short side, aspect jitter, mirror) resized to size x size."""
    import cv2

    h, w = rgb.shape[:2]
    side = rng.uniform(0.35, 1.0) * min(h, w)
    aspect = np.exp(rng.uniform(-0.2, 0.2))
    ch, cw = int(min(h, side * aspect)), int(min(w, side / aspect))
    y0, x0 = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    crop = rgb[y0 : y0 + ch, x0 : x0 + cw]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    interp = cv2.INTER_AREA if ch > size else cv2.INTER_CUBIC
    return cv2.resize(np.ascontiguousarray(crop), (size, size), interpolation=interp)


def degrade_lightness(lightness: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Tone jitter of an (H, W) Lab lightness so the model sees prints, not just clean greys."""
    import cv2

    x = lightness / 100.0
    x = np.clip(x, 0, 1) ** np.exp(rng.uniform(-0.25, 0.25))
    x = (x - 0.5) * rng.uniform(0.8, 1.15) + 0.5 + rng.uniform(-0.05, 0.05)
    if rng.random() < 0.25:
        x = cv2.GaussianBlur(x.astype(np.float32), (0, 0), rng.uniform(0.5, 1.2))
    if rng.random() < 0.25:
        x = x + rng.normal(0, rng.uniform(0.01, 0.04), x.shape)
    return np.clip(x * 100.0, 0, 100).astype(np.float32)


def build_cache(paths: list[Path], cfg: Config, cache: Path, *, progress=SILENT) -> dict:
    """Encode augmented crops once; returns memmaps {s4, s8, s16, s32, light, ab} of N crops."""
    import cv2

    from cinemuse.vision.color import grey_from_lightness, rgb_to_lab
    from cinemuse.vision.encoder import ImageEncoder

    counts = []
    for p in paths:
        counts.append(cfg.crops_per_large_image if "wikimedia" in p.parent.name else cfg.crops_per_small_image)
    n = int(sum(counts))
    s = cfg.crop
    shapes = {
        "s4": (n, 24, s // 4, s // 4),
        "s8": (n, 40, s // 8, s // 8),
        "s16": (n, 112, s // 16, s // 16),
        "s32": (n, 1280, s // 32, s // 32),
        "light": (n, 1, s // 4, s // 4),
        "ab": (n, 2, s // 4, s // 4),
    }
    done = cache / "complete"
    if done.exists():
        return {k: np.lib.format.open_memmap(cache / f"{k}.npy", mode="r") for k in shapes}
    arrays = {k: np.lib.format.open_memmap(cache / f"{k}.npy", mode="w+", dtype=np.float16, shape=v) for k, v in shapes.items()}
    encoder = ImageEncoder.load(threads=1)
    rng = np.random.default_rng(cfg.seed)
    i = 0
    with progress.stage("Encoding training crops", total=n) as stage:
        for path, count in zip(paths, counts):
            rgb = _read_rgb(path)
            for _ in range(count):
                crop = random_crop(rgb, rng, s)
                lab = rgb_to_lab(crop)
                light = degrade_lightness(lab[..., 0], rng)
                grey = grey_from_lightness(light)
                out = encoder.run(grey.astype(np.float32).transpose(2, 0, 1)[None])
                for k in ("s4", "s8", "s16", "s32"):
                    arrays[k][i] = out[k][0]
                arrays["light"][i, 0] = cv2.resize(light, (s // 4, s // 4), interpolation=cv2.INTER_AREA)
                arrays["ab"][i] = cv2.resize(lab[..., 1:], (s // 4, s // 4), interpolation=cv2.INTER_AREA).transpose(2, 0, 1)
                i += 1
                stage.advance()
    for a in arrays.values():
        a.flush()
    done.write_text("ok")
    return {k: np.lib.format.open_memmap(cache / f"{k}.npy", mode="r") for k in shapes}


def ab_bins_and_weights(ab: np.ndarray, cfg: Config) -> tuple[np.ndarray, np.ndarray]:
    """Quantised ab bin centres seen in the data (Q, 2) and their rebalancing weights (Q,)."""
    from scipy.ndimage import gaussian_filter

    grid = np.arange(-110, 110 + 1e-6, cfg.bin_spacing)
    flat = ab.transpose(1, 0, 2, 3).reshape(2, -1).astype(np.float32)
    idx_a = np.clip(np.round((flat[0] + 110) / cfg.bin_spacing), 0, len(grid) - 1).astype(int)
    idx_b = np.clip(np.round((flat[1] + 110) / cfg.bin_spacing), 0, len(grid) - 1).astype(int)
    hist = np.zeros((len(grid), len(grid)))
    np.add.at(hist, (idx_a, idx_b), 1)
    used = hist > 0
    prob = gaussian_filter(hist / hist.sum(), sigma=cfg.soft_sigma / cfg.bin_spacing)[used]
    prob /= prob.sum()
    a_idx, b_idx = np.nonzero(used)
    centres = np.stack([grid[a_idx], grid[b_idx]], axis=1).astype(np.float32)
    q = len(centres)
    weights = 1.0 / ((1 - cfg.rebalance_lambda) * prob + cfg.rebalance_lambda / q)
    weights /= (prob * weights).sum()
    return centres, weights.astype(np.float32)


# ----------------------------------------------------------------------------- model


def make_decoder(cfg: Config, num_bins: int):
    import torch
    from torch import nn

    def conv(cin, cout, k=3):
        return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    class ChromaDecoder(nn.Module):
        """Encoder maps (strides 4..32) + lightness -> ab-bin logits at stride 8.

        Chroma varies slowly, so predicting it at 1/8 of the resolution and letting the
        full-resolution lightness steer the upsampling (guided filter) loses little and
        makes training four times cheaper than a stride-4 head.
        """

        def __init__(self):
            super().__init__()
            w16, w8 = cfg.width_s16, cfg.width_s8
            self.top = conv(1280, 128, 1)  # (N, 128, H/32, W/32)
            self.context = nn.Sequential(nn.Linear(1280, w16), nn.ReLU(inplace=True))
            self.skip16 = conv(112, 64, 1)
            self.fuse16 = nn.Sequential(conv(128 + 64, w16), conv(w16, w16))
            self.skip8 = conv(40 + 24 * 4 + 1, 48, 1)
            self.fuse8 = nn.Sequential(conv(w16 + 48, w8), conv(w8, w8))
            self.head = nn.Conv2d(w8, num_bins, 1)

        def forward(self, s4, s8, s16, s32, light):
            up = lambda x: nn.functional.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
            ctx = self.context(s32.mean(dim=(2, 3)))[:, :, None, None]  # (N, w16, 1, 1)
            x = up(self.top(s32))  # (N, 128, H/16, W/16)
            x = self.fuse16(torch.cat([x, self.skip16(s16)], 1)) + ctx  # (N, w16, H/16, W/16)
            fine = nn.functional.pixel_unshuffle(s4, 2)  # (N, 96, H/8, W/8): stride-4 detail
            light8 = nn.functional.avg_pool2d(light, 2) / 50.0 - 1.0  # (N, 1, H/8, W/8)
            skip = self.skip8(torch.cat([s8, fine, light8], 1))  # (N, 48, H/8, W/8)
            x = self.fuse8(torch.cat([up(x), skip], 1))  # (N, w8, H/8, W/8)
            return self.head(x)  # (N, Q, H/8, W/8)

    return ChromaDecoder()


def soft_targets(ab, centres, cfg: Config):
    """(N, 2, h, w) ab -> (N, Q, h, w) soft one-hot over the nearest bins."""
    import torch

    n, _, h, w = ab.shape
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2)  # (P, 2)
    d2 = torch.cdist(flat, centres) ** 2  # (P, Q)
    near_d2, near_idx = d2.topk(cfg.soft_neighbours, dim=1, largest=False)
    wts = torch.exp(-near_d2 / (2 * cfg.soft_sigma**2))
    wts = wts / wts.sum(1, keepdim=True)
    target = torch.zeros_like(d2).scatter_(1, near_idx, wts)
    return target.reshape(n, h, w, -1).permute(0, 3, 1, 2), near_idx[:, 0].reshape(n, h, w)


def annealed_mean(logits: np.ndarray, centres: np.ndarray, temperature: float) -> np.ndarray:
    """(N, Q, h, w) logits -> (N, 2, h, w) ab: mean of the distribution sharpened by 1/T."""
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return np.einsum("nqhw,qc->nchw", p, centres)


# ----------------------------------------------------------------------------- training


def _cache_key(paths: list[Path], cfg: Config) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({k: v for k, v in asdict(cfg).items() if k in ("crop", "crops_per_large_image", "crops_per_small_image", "seed")}).encode())
    for p in paths:
        h.update(p.name.encode())
    return h.hexdigest()[:12]


def train(*, data_dir=None, output=None, seed: int = 0, quick: bool = False, progress=SILENT) -> dict:
    """Train the decoder and write its ONNX file; returns a summary dict (figures, paths)."""
    import torch

    from cinemuse.train.paths import REPO_ROOT, cache_dir, shared_data_dir

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    cfg = quick_config(seed) if quick else Config(seed=seed)
    data = shared_data_dir(Path(data_dir) if data_dir else None)
    paths = list_training_images(data)
    rng = np.random.default_rng(seed)
    val_idx = set(rng.choice(len(paths), size=cfg.validation_images, replace=False).tolist())
    val_paths = [p for i, p in enumerate(paths) if i in val_idx]
    train_paths = [p for i, p in enumerate(paths) if i not in val_idx]

    cache = cache_dir("colorize") / _cache_key(train_paths, cfg)
    cache.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    arrays = build_cache(train_paths, cfg, cache, progress=progress)
    n = arrays["ab"].shape[0]
    encode_s = time.time() - t0

    centres_np, weights_np = ab_bins_and_weights(np.asarray(arrays["ab"]), cfg)
    centres, weights = torch.from_numpy(centres_np), torch.from_numpy(weights_np)
    model = make_decoder(cfg, len(centres_np))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.steps, pct_start=0.05)
    order_rng = np.random.default_rng(seed + 1)
    losses = []
    t1 = time.time()
    model.train()
    with progress.stage("Training the colour decoder", total=cfg.steps) as stage:
        for step in range(cfg.steps):
            idx = np.sort(order_rng.choice(n, size=cfg.batch, replace=False))
            batch = {k: torch.from_numpy(np.asarray(v[idx], dtype=np.float32)) for k, v in arrays.items()}
            logits = model(batch["s4"], batch["s8"], batch["s16"], batch["s32"], batch["light"])
            ab8 = torch.nn.functional.avg_pool2d(batch["ab"], 2)  # (N, 2, h/8, w/8)
            target, nearest = soft_targets(ab8, centres, cfg)
            ce = -(target * torch.log_softmax(logits, 1)).sum(1)  # (N, h, w)
            loss = (ce * weights[nearest]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            stage.advance()
            if step % 250 == 0 or step == cfg.steps - 1:
                progress.log(f"step {step}: loss {np.mean(losses[-50:]):.3f}")
    train_s = time.time() - t1
    model.eval()

    temperature, val = choose_temperature(model, val_paths, centres_np, cfg)
    out_path = Path(output) if output else REPO_ROOT / "src" / "cinemuse" / "assets" / ASSET_NAME
    if out_path.suffix != ".onnx":
        out_path = out_path / Path(ASSET_NAME).name
    export_decoder(model, centres_np, temperature, cfg, out_path)
    mean_ab = np.asarray(arrays["ab"], dtype=np.float32).mean(axis=(0, 2, 3))
    calibration = calibrate_chroma(out_path, val_paths, mean_ab)
    return {
        "calibration": calibration,
        "output": str(out_path),
        "bytes": out_path.stat().st_size,
        "training_crops": int(n),
        "training_images": len(train_paths),
        "validation_images": [p.name for p in val_paths],
        "bins": int(len(centres_np)),
        "steps": cfg.steps,
        "final_loss": float(np.mean(losses[-100:])),
        "temperature": temperature,
        "validation": val,
        "encode_seconds": round(encode_s, 1),
        "train_seconds": round(train_s, 1),
    }


def _decoder_inputs(encoder, grey: np.ndarray, light: np.ndarray):
    import cv2
    import torch

    maps = encoder.features(grey)
    h4, w4 = maps["s4"].shape[1:]
    from cinemuse.vision.encoder import pad_to_multiple

    padded, _ = pad_to_multiple(light[..., None], 32)
    light4 = cv2.resize(padded[..., 0], (w4, h4), interpolation=cv2.INTER_AREA)
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None]
    return [t(maps["s4"]), t(maps["s8"]), t(maps["s16"]), t(maps["s32"]), t(light4[None])], maps["size"]


def choose_temperature(model, val_paths, centres, cfg: Config) -> tuple[float, dict]:
    """Pick the annealed-mean temperature on validation photos: best ab PSNR among the vivid ones.

    Candidates keep at least 60 % of the true images' colourfulness (a grey-ish mean is
    what annealing is there to avoid); among those the best chroma PSNR wins.
    """
    import cv2
    import torch

    from cinemuse.vision.color import colourfulness, grey_from_lightness, lab_to_rgb, psnr, rgb_to_lab
    from cinemuse.vision.encoder import ImageEncoder

    encoder = ImageEncoder.load(threads=1)
    temps = [0.2, 0.3, 0.38, 0.5, 0.7, 1.0]
    scores = {t: {"psnr_ab": [], "colourfulness": []} for t in temps}
    true_colourfulness = []
    for p in val_paths:
        rgb = _read_rgb(p)
        scale = 512 / max(rgb.shape[:2])
        if scale < 1:
            rgb = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)), interpolation=cv2.INTER_AREA)
        lab = rgb_to_lab(rgb)
        grey = grey_from_lightness(lab[..., 0])
        inputs, (h, w) = _decoder_inputs(encoder, grey, lab[..., 0])
        with torch.no_grad():
            logits = model(*inputs).numpy()
        true_colourfulness.append(colourfulness(rgb))
        for t in temps:
            ab4 = annealed_mean(logits, centres, t)[0].transpose(1, 2, 0)
            hp, wp = ab4.shape[0] * 8, ab4.shape[1] * 8
            ab = cv2.resize(ab4, (wp, hp), interpolation=cv2.INTER_LINEAR)[:h, :w]
            out = lab_to_rgb(np.dstack([lab[..., 0], ab]))
            scores[t]["psnr_ab"].append(psnr(ab, lab[..., 1:]))
            scores[t]["colourfulness"].append(colourfulness(out))
    summary = {
        str(t): {k: float(np.mean(v)) for k, v in s.items()} for t, s in scores.items()
    }
    target = 0.6 * float(np.mean(true_colourfulness))
    vivid = [t for t in temps if summary[str(t)]["colourfulness"] >= target] or [min(temps)]
    best = max(vivid, key=lambda t: summary[str(t)]["psnr_ab"])
    return float(best), {"per_temperature": summary, "true_colourfulness": float(np.mean(true_colourfulness))}


def calibrate_chroma(onnx_path: Path, val_paths, mean_ab: np.ndarray) -> dict:
    """Fit the least-squares shrinkage of the predicted chroma towards the training mean.

    ``ab = mean + gain * (prediction - mean)`` with ``gain = cov(pred, truth) / var(pred)``
    on the validation photos (never trained on): a prediction that is unsure of the hue
    is pulled towards the average colour instead of guessing a vivid wrong one, which is
    what the squared error (PSNR) rewards. The two numbers are written into the ONNX
    metadata; the runtime applies them to automatic colour.
    """
    import cv2
    import onnx

    from cinemuse.vision.color import rgb_to_lab
    from cinemuse.vision.colorize import Colorizer, guided_upsample
    from cinemuse.vision.encoder import ImageEncoder, make_session

    colorizer = Colorizer(ImageEncoder.load(threads=1), make_session(onnx_path, threads=1))
    colorizer.chroma_mean, colorizer.chroma_gain = np.zeros(2, np.float32), 1.0
    num, den = 0.0, 0.0
    for p in val_paths:
        rgb = _read_rgb(p)
        scale = 512 / max(rgb.shape[:2])
        if scale < 1:
            rgb = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)), interpolation=cv2.INTER_AREA)
        lab = rgb_to_lab(rgb)
        pred = guided_upsample(colorizer.predict(lab[..., 0]), lab[..., 0])
        d_pred = (pred - mean_ab).reshape(-1, 2)
        d_true = (lab[..., 1:] - mean_ab).reshape(-1, 2)
        num += float((d_pred * d_true).sum())
        den += float((d_pred * d_pred).sum())
    gain = float(np.clip(num / max(den, 1e-6), 0.0, 1.0))
    model = onnx.load(str(onnx_path))
    for key, value in (("chroma_mean", json.dumps(np.round(mean_ab, 3).tolist())), ("chroma_gain", str(round(gain, 4)))):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(onnx_path))
    return {"chroma_mean": np.round(mean_ab, 3).tolist(), "chroma_gain": round(gain, 4)}


def export_decoder(model, centres: np.ndarray, temperature: float, cfg: Config, path: Path) -> Path:
    import onnx
    import torch

    from cinemuse.train.encoder import _weights_to_float16

    path.parent.mkdir(parents=True, exist_ok=True)
    s = 256
    dummy = (
        torch.zeros(1, 24, s // 4, s // 4),
        torch.zeros(1, 40, s // 8, s // 8),
        torch.zeros(1, 112, s // 16, s // 16),
        torch.zeros(1, 1280, s // 32, s // 32),
        torch.zeros(1, 1, s // 4, s // 4),
    )
    names = ["s4", "s8", "s16", "s32", "light"]
    dyn = {nm: {0: "n", 2: f"h{st}", 3: f"w{st}"} for nm, st in zip(names, (4, 8, 16, 32, 4))}
    dyn["logits"] = {0: "n", 2: "h8", 3: "w8"}
    tmp = path.with_suffix(".fp32.onnx")
    with torch.no_grad():
        torch.onnx.export(model, dummy, str(tmp), input_names=names, output_names=["logits"],
                          dynamic_axes=dyn, opset_version=17, dynamo=False)
    m = _weights_to_float16(onnx.load(str(tmp)))
    meta = {
        "ab_bins": json.dumps(np.round(centres, 3).tolist()),
        "temperature": str(temperature),
        "config": json.dumps(asdict(cfg)),
    }
    for k, v in meta.items():
        entry = m.metadata_props.add()
        entry.key, entry.value = k, v
    m.doc_string = "cinemuse colourisation decoder: EfficientNet-Lite0 maps + lightness at stride 4 -> ab-bin logits at stride 8"
    onnx.checker.check_model(m)
    onnx.save(m, str(path))
    tmp.unlink()
    return path
