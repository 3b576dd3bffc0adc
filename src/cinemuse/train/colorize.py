"""Train the colourisation decoder over the frozen EfficientNet-Lite0 encoder.

Recipe (``cinemuse train colorize``):

1. Split the photos of ``images/wikimedia49`` and ``images/dreambooth`` by *subject*:
   dreambooth has several photos of each of 29 toys, pets and objects, so whole subjects
   (and some single wikimedia photos) are held out for validation, together with
   scikit-image's public-domain/CC0 colour samples. ``images/kodak24`` is never read: it
   is the held-out evaluation set.
2. Cut many augmented crops (random scale 35–100 % of the short side, aspect jitter,
   mirror) from every photo, turn each grey (its Lab lightness only), jitter that grey's
   tone (gamma, contrast, a little blur or grain, as old prints have) and run the frozen
   ONNX encoder on it once; cache the stride-4/8/16/32 feature maps, the lightness, the
   true ab chroma and the photo each crop came from (float16 memmaps under
   ``.cache/colorize``). Only the training photos' crops are used below.
3. Train only the small decoder (:class:`ChromaDecoder`) on the cache: a U-Net-style
   path from stride 32 up to stride 8 with the encoder's maps (stride 4 folded in by
   pixel-unshuffle) as skip connections and a global-context vector, predicting a
   distribution over quantised ab bins at stride 8.
   Loss: cross-entropy against soft-encoded targets (5 nearest bins, Gaussian σ = 5),
   after Zhang, Isola & Efros (2016). A squared-error term on the distribution's mean
   (``l2_weight``) is available but off: it lowered the validation figure.
   Zhang's class rebalancing is available (``rebalance_lambda`` < 1) but off: with it
   (λ = 0.5) Kodak24 chroma PSNR fell below "leave it grey". Every ``eval_every`` steps
   the validation ab PSNR is measured and the best weights are kept (early stopping).
4. On the validation photos choose the annealed-mean temperature and fit, by least
   squares, how far to pull the predicted chroma towards the training mean as a
   piecewise-linear function of the model's confidence (unsure pixels fall back to the
   average colour, sure ones keep theirs); export the decoder to ONNX with float16
   weights; bins, temperature, mean and shrinkage table travel in the ONNX metadata.

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
    crops_per_large_image: int = 48  # wikimedia49: up to 1280 px
    crops_per_small_image: int = 16  # dreambooth: 512 px
    # validation is leak-free: whole dreambooth subjects (several photos each) and single
    # wikimedia photos are held out, plus scikit-image's public-domain/CC0 colour samples
    validation_subjects: int = 6
    validation_wikimedia: int = 10
    bin_spacing: float = 10.0  # ab quantisation grid (Lab units)
    soft_sigma: float = 5.0
    soft_neighbours: int = 5
    rebalance_lambda: float = 1.0  # 1 = no rebalancing: the mean of the distribution is the least-squares colour
    # weight of the squared error of the distribution's mean ab (per 100 Lab units^2); off:
    # with 1.0 the validation ab PSNR after shrinkage was 26.68 dB against 26.93 without
    l2_weight: float = 0.0
    dropout: float = 0.1  # on the stride-32 features (the decoder's biggest input)
    width_s16: int = 96
    width_s8: int = 64
    batch: int = 16
    steps: int = 2000
    eval_every: int = 200  # validation checks; the best one is kept (early stopping)
    lr: float = 2e-3
    weight_decay: float = 1e-2
    seed: int = 0


def quick_config(seed: int) -> Config:
    return Config(crops_per_large_image=4, crops_per_small_image=2, validation_subjects=2, validation_wikimedia=3,
                  steps=150, eval_every=50, seed=seed)


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


def subject_of(path: Path) -> str:
    """What a photo shows: dreambooth names are ``<subject>__NN.jpg`` (several photos of one
    toy or dog), every wikimedia photo is its own subject."""
    return f"{path.parent.name}/{path.stem.split('__')[0]}"


def split_by_subject(paths: list[Path], cfg: Config, rng: np.random.Generator) -> tuple[list[Path], list[Path]]:
    """(training, validation) photos with no subject on both sides.

    A random photo split would put other photos of the same dog or sneaker into training,
    and the validation would then reward memorising subjects (it did: the shrinkage fitted
    on such a split barely shrank, and Kodak24 came out worse than the average colour).
    """
    dream = sorted({subject_of(p) for p in paths if p.parent.name == "dreambooth"})
    wiki = sorted({subject_of(p) for p in paths if p.parent.name != "dreambooth"})
    held = set(rng.choice(dream, size=min(cfg.validation_subjects, len(dream)), replace=False).tolist())
    held |= set(rng.choice(wiki, size=min(cfg.validation_wikimedia, len(wiki)), replace=False).tolist())
    train = [p for p in paths if subject_of(p) not in held]
    val = [p for p in paths if subject_of(p) in held]
    return train, val


EXTRA_VALIDATION = ("astronaut", "coffee", "chelsea", "rocket")  # skimage.data: NASA/SpaceX public domain, CC0


def extra_validation_images() -> list[tuple[str, np.ndarray]]:
    """scikit-image's bundled colour photos (public domain or CC0, see their docstrings).

    Different cameras and subjects from the training folders, so they stand in for
    "a photo from elsewhere" when choosing the temperature and the shrinkage.
    """
    try:
        import skimage.data
    except ImportError:
        return []
    return [(f"skimage/{name}", np.ascontiguousarray(getattr(skimage.data, name)())) for name in EXTRA_VALIDATION]


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
    """Encode augmented crops once; returns memmaps {s4, s8, s16, s32, light, ab, image} of N crops.

    ``image`` (N,) is the index into ``paths`` of the photo each crop came from, so one cache
    serves any split of the photos.
    """
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
        return _open_cache(cache, shapes)
    image_index = np.repeat(np.arange(len(paths)), counts).astype(np.int32)
    np.save(cache / "image.npy", image_index)
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
    return _open_cache(cache, shapes)


def _open_cache(cache: Path, shapes: dict) -> dict:
    arrays = {k: np.lib.format.open_memmap(cache / f"{k}.npy", mode="r") for k in shapes}
    arrays["image"] = np.load(cache / "image.npy")
    return arrays


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
            self.drop = nn.Dropout2d(cfg.dropout)  # whole stride-32 channels: no leaning on a few features

        def forward(self, s4, s8, s16, s32, light):
            up = lambda x: nn.functional.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
            s32 = self.drop(s32)
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


def expected_ab(logits, centres):
    """(N, Q, h, w) logits -> (N, 2, h, w): the mean ab of the (untempered) distribution."""
    import torch

    return torch.einsum("nqhw,qc->nchw", torch.softmax(logits, 1), centres)


# ----------------------------------------------------------------------------- validation


@dataclass
class ValidationPhoto:
    """One held-out photo at the working size (longer side <= 512, as the runtime sees it)."""

    name: str
    rgb: np.ndarray  # (H, W, 3) uint8
    lightness: np.ndarray  # (H, W) float32, of the grey picture (what the runtime gets)
    ab: np.ndarray  # (H, W, 2) float32, the true chroma
    inputs: list  # decoder inputs (torch tensors)
    size: tuple[int, int]  # (H, W) before padding to 32


def load_validation(val_paths: list[Path], extra: list[tuple[str, np.ndarray]]) -> list[ValidationPhoto]:
    import cv2

    from cinemuse.vision.color import grey_from_lightness, luminance, rgb_to_lab, to_grey
    from cinemuse.vision.encoder import ImageEncoder

    encoder = ImageEncoder.load(threads=1)
    photos = []
    for name, rgb in [(p.parent.name + "/" + p.name, _read_rgb(p)) for p in val_paths] + list(extra):
        scale = 512 / max(rgb.shape[:2])
        if scale < 1:
            rgb = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)), interpolation=cv2.INTER_AREA)
        light = luminance(to_grey(rgb))
        inputs, size = _decoder_inputs(encoder, grey_from_lightness(light), light)
        photos.append(ValidationPhoto(name, rgb, light, rgb_to_lab(rgb)[..., 1:].astype(np.float32), inputs, size))
    return photos


def validation_logits(model, photos: list[ValidationPhoto]) -> list[np.ndarray]:
    """Decoder logits (Q, h8, w8) of each validation photo."""
    import torch

    model.eval()
    with torch.no_grad():
        return [model(*p.inputs)[0].numpy() for p in photos]


def _chroma_at_pixels(logits: np.ndarray, photo: ValidationPhoto, centres: np.ndarray, temperature: float, step: int = 2):
    """Unshrunk ab, confidence and true ab at every ``step``-th pixel, as flat arrays."""
    from cinemuse.vision.colorize import grid_to_image, distribution_to_chroma

    ab8, conf8 = distribution_to_chroma(logits, centres, temperature=temperature)
    ab, conf = grid_to_image(ab8, conf8, photo.size)
    sl = (slice(None, None, step), slice(None, None, step))
    return ab[sl].reshape(-1, 2), conf[sl].reshape(-1), photo.ab[sl].reshape(-1, 2)


def fit_shrinkage(samples, mean_ab: np.ndarray, knots: np.ndarray | None) -> np.ndarray:
    """Least-squares gains (K,) of ``mean + gain(confidence) * (pred - mean)``.

    ``gain`` is piecewise linear between ``knots`` (hat-function basis), or one number
    when ``knots`` is None. ``samples`` is a list of (pred (P, 2), confidence (P,), truth (P, 2)).
    """
    k = 1 if knots is None else len(knots)
    a, b = np.zeros((k, k)), np.zeros(k)
    for pred, conf, truth in samples:
        d, t = pred - mean_ab, truth - mean_ab
        phi = np.ones((len(conf), 1)) if knots is None else np.stack([np.interp(conf, knots, np.eye(k)[j]) for j in range(k)], 1)
        dd = (d * d).sum(1)
        a += (phi * dd[:, None]).T @ phi
        b += phi.T @ (d * t).sum(1)
    gains = np.linalg.solve(a + 1e-6 * np.trace(a) / k * np.eye(k), b)
    return np.clip(gains, 0.0, 1.5)


def _psnr_ab(pred: np.ndarray, truth: np.ndarray) -> float:
    mse = float(((pred - truth) ** 2).mean())
    return 10 * np.log10(255.0**2 / max(mse, 1e-10))


def score_shrinkage(samples, mean_ab, knots, gains) -> float:
    """Mean over photos of the ab PSNR (the benchmark's chroma figure) after shrinkage."""
    from cinemuse.vision.colorize import shrink_chroma

    scores = []
    for pred, conf, truth in samples:
        if knots is None:
            out = shrink_chroma(pred, conf, mean=mean_ab, gain=float(gains[0]))
        else:
            out = shrink_chroma(pred, conf, mean=mean_ab, knots=knots, gains=gains)
        scores.append(_psnr_ab(out, truth))
    return float(np.mean(scores))


def calibrate(model, photos, centres, mean_ab, *, temperatures=(0.5, 0.7, 0.85, 1.0), num_knots: int = 6) -> dict:
    """Choose the temperature and fit the confidence-dependent shrinkage on validation photos.

    For each temperature the gains are fitted by least squares; the temperature whose
    shrunk prediction has the best mean ab PSNR wins. The figures of the baselines
    (grey: ab = 0; average colour: gain 0) are reported beside it.
    """
    logits = validation_logits(model, photos)
    per_t = {}
    best = None
    for t in temperatures:
        samples = [_chroma_at_pixels(lg, ph, centres, t) for lg, ph in zip(logits, photos)]
        conf_all = np.concatenate([c for _, c, _ in samples])
        knots = np.unique(np.round(np.quantile(conf_all, np.linspace(0.0, 1.0, num_knots)), 4))
        gains = fit_shrinkage(samples, mean_ab, knots)
        single = fit_shrinkage(samples, mean_ab, None)
        row = {
            "psnr_ab_unshrunk": score_shrinkage(samples, mean_ab, None, np.ones(1)),
            "psnr_ab_one_gain": score_shrinkage(samples, mean_ab, None, single),
            "one_gain": round(float(single[0]), 4),
            "psnr_ab": score_shrinkage(samples, mean_ab, knots, gains),
            "confidence_knots": np.round(knots, 4).tolist(),
            "gains": np.round(gains, 4).tolist(),
        }
        per_t[str(t)] = row
        if best is None or row["psnr_ab"] > per_t[str(best)]["psnr_ab"]:
            best = t
    samples = [_chroma_at_pixels(lg, ph, centres, 1.0) for lg, ph in zip(logits, photos)]
    baselines = {
        "grey_psnr_ab": float(np.mean([_psnr_ab(np.zeros_like(tr), tr) for _, _, tr in samples])),
        "average_colour_psnr_ab": score_shrinkage(samples, mean_ab, None, np.zeros(1)),
    }
    chosen = per_t[str(best)]
    return {"temperature": float(best), "confidence_knots": chosen["confidence_knots"], "gains": chosen["gains"],
            "per_temperature": per_t, **baselines}


def quick_score(model, photos, centres, mean_ab) -> float:
    """Validation ab PSNR at temperature 1 with one fitted gain: the early-stopping figure."""
    samples = [_chroma_at_pixels(lg, ph, centres, 1.0, step=4) for lg, ph in zip(validation_logits(model, photos), photos)]
    return score_shrinkage(samples, mean_ab, None, fit_shrinkage(samples, mean_ab, None))


def validate_exported(onnx_path: Path, photos: list[ValidationPhoto], mean_ab: np.ndarray) -> dict:
    """RGB PSNR of the shipped pipeline on the validation photos, beside grey and average colour."""
    from cinemuse.vision.color import colourfulness, psnr, to_grey
    from cinemuse.vision.colorize import Colorizer, colorize_image, compose
    from cinemuse.vision.encoder import ImageEncoder, make_session

    colorizer = Colorizer(ImageEncoder.load(threads=1), make_session(onnx_path, threads=1))
    rows = {"automatic": [], "grey": [], "average_colour": []}
    colour = {"automatic": [], "grey": [], "average_colour": []}
    for ph in photos:
        grey = to_grey(ph.rgb)
        outs = {
            "automatic": colorize_image(grey, colorizer=colorizer),
            "grey": grey,
            "average_colour": compose(ph.lightness, np.broadcast_to(mean_ab, ph.lightness.shape + (2,)).copy()),
        }
        for k, o in outs.items():
            rows[k].append(psnr(o, ph.rgb))
            colour[k].append(colourfulness(o))
    return {k: {"psnr_rgb": round(float(np.mean(v)), 3), "colourfulness": round(float(np.mean(colour[k])), 2)} for k, v in rows.items()}


# ----------------------------------------------------------------------------- training


def _cache_key(paths: list[Path], cfg: Config) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({k: v for k, v in asdict(cfg).items() if k in ("crop", "crops_per_large_image", "crops_per_small_image", "seed")}).encode())
    h.update(b"all-photos-v2")  # the cache holds every photo's crops; the split is made afterwards
    for p in paths:
        h.update(p.name.encode())
    return h.hexdigest()[:12]


def train_step(model, opt, arrays, idx, centres, weights, cfg: Config) -> float:
    """One optimiser step on the crops ``idx``; returns the loss."""
    import torch

    model.train()
    batch = {k: torch.from_numpy(np.asarray(arrays[k][idx], dtype=np.float32)) for k in ("s4", "s8", "s16", "s32", "light", "ab")}
    logits = model(batch["s4"], batch["s8"], batch["s16"], batch["s32"], batch["light"])
    ab8 = torch.nn.functional.avg_pool2d(batch["ab"], 2)  # (N, 2, h/8, w/8)
    target, nearest = soft_targets(ab8, centres, cfg)
    ce = -(target * torch.log_softmax(logits, 1)).sum(1)  # (N, h, w)
    # the mean of the distribution is what gets shipped (temperature ~1): make it a
    # good least-squares colour too, not only the bins' likelihood
    sq = ((expected_ab(logits, centres) - ab8) ** 2).sum(1) / 100.0  # (N, h, w)
    loss = (ce * weights[nearest]).mean() + cfg.l2_weight * sq.mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss.detach())


def train(*, data_dir=None, output=None, seed: int = 0, quick: bool = False, progress=SILENT, config: Config | None = None) -> dict:
    """Train the decoder and write its ONNX file; returns a summary dict (figures, paths)."""
    import copy

    import torch

    from cinemuse.train.paths import REPO_ROOT, cache_dir, shared_data_dir

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    cfg = config or (quick_config(seed) if quick else Config(seed=seed))
    data = shared_data_dir(Path(data_dir) if data_dir else None)
    paths = list_training_images(data)
    train_paths, val_paths = split_by_subject(paths, cfg, np.random.default_rng(seed))

    cache = cache_dir("colorize") / _cache_key(paths, cfg)
    cache.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    arrays = build_cache(paths, cfg, cache, progress=progress)
    train_set = {paths.index(p) for p in train_paths}
    train_idx = np.flatnonzero(np.isin(arrays["image"], sorted(train_set)))
    n = len(train_idx)
    encode_s = time.time() - t0
    photos = load_validation(val_paths, [] if quick else extra_validation_images())

    train_ab = np.asarray(arrays["ab"][train_idx], dtype=np.float32)
    centres_np, weights_np = ab_bins_and_weights(train_ab, cfg)
    mean_ab = train_ab.mean(axis=(0, 2, 3))
    del train_ab
    centres, weights = torch.from_numpy(centres_np), torch.from_numpy(weights_np)
    model = make_decoder(cfg, len(centres_np))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.steps, pct_start=0.05)
    order_rng = np.random.default_rng(seed + 1)
    losses, history = [], []
    best_score, best_state, best_step = -np.inf, None, -1
    t1 = time.time()
    with progress.stage("Training the colour decoder", total=cfg.steps) as stage:
        for step in range(cfg.steps):
            idx = np.sort(order_rng.choice(train_idx, size=cfg.batch, replace=False))
            losses.append(train_step(model, opt, arrays, idx, centres, weights, cfg))
            sched.step()
            stage.advance()
            if (step + 1) % cfg.eval_every == 0 or step == cfg.steps - 1:
                score = quick_score(model, photos, centres_np, mean_ab)
                history.append({"step": step + 1, "loss": round(float(np.mean(losses[-50:])), 4), "val_psnr_ab": round(score, 3)})
                progress.log(f"step {step + 1}: loss {np.mean(losses[-50:]):.3f}, validation ab PSNR {score:.3f}")
                if score > best_score:
                    best_score, best_state, best_step = score, copy.deepcopy(model.state_dict()), step + 1
    train_s = time.time() - t1
    model.load_state_dict(best_state)
    model.eval()

    calibration = calibrate(model, photos, centres_np, mean_ab)
    out_path = Path(output) if output else REPO_ROOT / "src" / "cinemuse" / "assets" / ASSET_NAME
    if out_path.suffix != ".onnx":
        out_path = out_path / Path(ASSET_NAME).name
    export_decoder(model, centres_np, calibration["temperature"], cfg, out_path, mean_ab=mean_ab,
                   knots=calibration["confidence_knots"], gains=calibration["gains"])
    return {
        "output": str(out_path),
        "bytes": out_path.stat().st_size,
        "training_crops": int(n),
        "training_images": len(train_paths),
        "validation_images": [p.name for p in photos],
        "bins": int(len(centres_np)),
        "steps": cfg.steps,
        "best_step": best_step,
        "history": history,
        "final_loss": float(np.mean(losses[-100:])),
        "chroma_mean": np.round(mean_ab, 3).tolist(),
        "calibration": calibration,
        "validation_rgb": validate_exported(out_path, photos, mean_ab),
        "encode_seconds": round(encode_s, 1),
        "train_seconds": round(train_s, 1),
        "config": asdict(cfg),
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


def export_decoder(model, centres: np.ndarray, temperature: float, cfg: Config, path: Path, *,
                   mean_ab: np.ndarray, knots, gains) -> Path:
    """ONNX with float16 weights; bins, temperature and the shrinkage ride in its metadata."""
    import onnx
    import torch

    from cinemuse.train.encoder import weights_to_float16

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
    m = weights_to_float16(onnx.load(str(tmp)))
    meta = {
        "ab_bins": json.dumps(np.round(centres, 3).tolist()),
        "temperature": str(temperature),
        "chroma_mean": json.dumps(np.round(mean_ab, 3).tolist()),
        "chroma_shrinkage": json.dumps({"confidence_knots": list(knots), "gains": list(gains)}),
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
