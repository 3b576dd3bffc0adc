"""Restore old photos: noise, dust and scratches, film negatives, missing regions, levels.

Every step is a function ``rgb uint8 (H, W, 3) -> rgb uint8`` (plus keyword options), so
they chain in any order; :func:`analyse` measures a picture and :func:`plan_steps` turns
the measurements into the list of steps ``restore --auto`` runs.

Methods (all classical, CPU-only):

* noise: JPEG blocking removed by shift-averaged re-compression at the detected quality
  (Nosratinia 2001); σ estimated from the finest wavelet band of the flattest blocks
  (Donoho's MAD rule), then OpenCV's non-local means with a strength proportional to σ;
* dust & scratches: specks brighter/darker than every pixel on a ring around them,
  near-vertical thin straight runs brighter/darker than both sides, then inpainted (Telea);
* colour negatives: darktable negadoctor's model — film base (orange mask) from the
  rebate or the clearest film, per-channel density log10(base / scan), per-channel
  normalisation of the density range (which also white-balances), print gamma;
* missing regions: a user mask or detected flat blocks, filled by diffusion inpainting;
* levels: a common black/white point stretch of all three channels (no colour shift).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

# ----------------------------------------------------------------------------- measurements


def estimate_noise_sigma(rgb: np.ndarray) -> float:
    """Noise standard deviation (0..255 units) from the finest diagonal wavelet band.

    σ ≈ median(|HH|) / 0.6745 (Donoho & Johnstone 1994), computed per 16x16 block of the
    grey image; texture only ever adds to a block's value, so the 20th percentile of the
    blocks is taken (the flat parts of the picture speak for the noise).
    """
    x = np.asarray(rgb, dtype=np.float32)
    if x.ndim == 3:  # per-channel noise (what non-local means' strength refers to), averaged
        return float(np.mean([_noise_sigma_channel(x[..., c]) for c in range(x.shape[2])]))
    return _noise_sigma_channel(x)


def _noise_sigma_channel(grey: np.ndarray) -> float:
    h, w = (grey.shape[0] // 32) * 32, (grey.shape[1] // 32) * 32
    if h == 0 or w == 0:
        h, w = (grey.shape[0] // 2) * 2, (grey.shape[1] // 2) * 2
        g = grey[:h, :w]
        hh = (g[0::2, 0::2] - g[0::2, 1::2] - g[1::2, 0::2] + g[1::2, 1::2]) / 2.0
        return float(np.median(np.abs(hh)) / 0.6745)
    g = grey[:h, :w]
    hh = np.abs(g[0::2, 0::2] - g[0::2, 1::2] - g[1::2, 0::2] + g[1::2, 1::2]) / 2.0  # (h/2, w/2)
    blocks = hh.reshape(h // 32, 16, w // 32, 16).transpose(0, 2, 1, 3).reshape(-1, 256)
    per_block = np.median(blocks, axis=1) / 0.6745
    # blocks clipped at black or white hide their noise: leave them out
    means = g.reshape(h // 16, 16, w // 16, 16).mean(axis=(1, 3))
    means = means.reshape(h // 32, 2, w // 32, 2).mean(axis=(1, 3)).ravel()
    usable = (means > 16) & (means < 239)
    if usable.sum() >= 8:
        per_block = per_block[usable]
    return float(np.percentile(per_block, 20))


def blockiness(rgb: np.ndarray) -> float:
    """JPEG 8x8 blocking: mean jump across block borders relative to jumps inside blocks (1 = none)."""
    grey = _grey_float(rgb)
    dx = np.abs(np.diff(grey, axis=1))
    cols = np.arange(dx.shape[1])
    border = dx[:, cols % 8 == 7].mean()
    inside = dx[:, cols % 8 != 7].mean() + 1e-6
    dy = np.abs(np.diff(grey, axis=0))
    rows = np.arange(dy.shape[0])
    border_y = dy[rows % 8 == 7].mean()
    inside_y = dy[rows % 8 != 7].mean() + 1e-6
    return float(0.5 * (border / inside + border_y / inside_y))


def negative_likelihood(rgb: np.ndarray) -> float:
    """0..1: how much the picture looks like a scanned colour negative.

    The clearest parts of a colour negative (film base, rebate, the scene's shadows) are
    orange: red > green > blue by a wide margin, while a positive's brightest parts are
    near white. The whole frame is also pushed towards yellow-orange (Lab b > 0).
    """
    from cinemuse.vision.color import rgb_to_lab

    x = rgb.reshape(-1, 3).astype(np.float32)
    total = x.sum(1)
    bright = x[total >= np.percentile(total, 99)].mean(0) + 1.0
    margin = min(bright[0] / bright[1], bright[1] / bright[2]) - 1.0
    # clear film transmits most in every channel: nothing in a negative is bluer (or
    # greener) than its film base, while a sunset's orange highlights sit beside blue sky
    ceiling = np.percentile(x, 99.5, axis=0) + 1.0
    under_base = bool(np.all(ceiling <= 1.1 * bright))
    step = max(1, int(np.sqrt(x.shape[0] / 65536)))
    mean_b = float(rgb_to_lab(rgb[::step, ::step])[..., 2].mean())
    return float(np.clip(margin / 0.12, 0, 1) * float(mean_b > 4.0) * float(under_base))


def detect_missing_regions(rgb: np.ndarray, *, min_area: int = 64) -> np.ndarray:
    """Mask (H, W) bool of flat blocks of pure black or pure white (lost or torn parts)."""
    import cv2

    flat = np.all(rgb <= 2, axis=2) | np.all(rgb >= 253, axis=2)
    # a lost block is flat: no texture at all, unlike a real dark shadow with grain
    grey = rgb.mean(axis=2).astype(np.float32)
    local_var = cv2.blur(grey * grey, (5, 5)) - cv2.blur(grey, (5, 5)) ** 2
    flat &= local_var < 0.5
    n, labels, stats, _ = cv2.connectedComponentsWithStats(flat.astype(np.uint8), connectivity=4)
    keep = np.zeros(n, bool)
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        # solid, roughly rectangular patches; thin runs are clipped highlights or borders
        keep[i] = area >= min_area and min(w, h) >= 6 and area >= 0.85 * w * h
    return keep[labels]


def _ring_kernel(outer: int, inner: int, *, horizontal: bool = False) -> np.ndarray:
    """Structuring element: a (2·outer+1) square (or row) with its central (2·inner+1) part empty."""
    if horizontal:
        k = np.ones((1, 2 * outer + 1), np.uint8)
        k[0, outer - inner : outer + inner + 1] = 0
        return k
    k = np.ones((2 * outer + 1, 2 * outer + 1), np.uint8)
    k[outer - inner : outer + inner + 1, outer - inner : outer + inner + 1] = 0
    return k


def detect_defects(rgb: np.ndarray, *, sensitivity: float = 1.0) -> np.ndarray:
    """Mask (H, W) bool of dust specks and vertical scratches.

    * A speck is brighter (or darker) than *every* pixel on a ring 5–6 px around it by a
      clear margin, and small. Real small things touch their surroundings somewhere
      (tile corners, leaves, highlights on edges) and fail the ring test.
    * A scratch (film runs vertically through the gate, so scratches are near-vertical)
      is brighter or darker than everything 4–7 px to its left *and* right, over a
      long (≥ 30 px), thin and straight run.

    The margin is ``max(40, 5 σ_noise) / sensitivity``.
    """
    import cv2

    grey = _grey_float(rgb)
    margin = max(40.0, 5.0 * estimate_noise_sigma(rgb)) / sensitivity
    ring = _ring_kernel(6, 4)
    speck = (grey > cv2.dilate(grey, ring) + margin) | (grey < cv2.erode(grey, ring) - margin)
    row = _ring_kernel(7, 3, horizontal=True)
    line = (grey > cv2.dilate(grey, row) + margin) | (grey < cv2.erode(grey, row) - margin)

    mask = np.zeros(grey.shape, bool)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(speck.astype(np.uint8), connectivity=8)
    if n > 1:
        small = (stats[:, 4] <= 40) & (np.maximum(stats[:, 2], stats[:, 3]) <= 9)
        small[0] = False
        mask |= small[labels]
    n, labels, stats, _ = cv2.connectedComponentsWithStats(line.astype(np.uint8), connectivity=8)
    long_ones = [
        i for i in range(1, n)
        if stats[i, 3] >= 30 and stats[i, 4] <= 3.5 * stats[i, 3] and stats[i, 2] <= 0.4 * stats[i, 3] + 4
    ]
    if long_ones:
        ys, xs = np.nonzero(np.isin(labels, long_ones))
        lab = labels[ys, xs]
        keep = np.zeros(n, bool)
        for i in long_ones:
            sel = lab == i
            pts = np.stack([xs[sel], ys[sel]], 1).astype(np.float32)
            pts -= pts.mean(0)
            eig = np.linalg.eigvalsh(pts.T @ pts / len(pts))  # small one: spread across the line
            keep[i] = np.sqrt(max(eig[0], 0)) <= 1.5
        mask |= keep[labels]
    # grow: the soft (anti-aliased, blurred) rim of a defect is also wrong
    return cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)


@dataclass
class Analysis:
    """What :func:`analyse` measured; drives ``--auto``."""

    noise_sigma: float
    blockiness: float
    jpeg_quality: int | None
    negative_likelihood: float
    defect_fraction: float
    missing_fraction: float
    low_percentile: float
    high_percentile: float
    is_greyscale: bool

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def analyse(rgb: np.ndarray) -> Analysis:
    """Measure noise, JPEG blocking, negative look, defects, missing blocks and tonal range."""
    from cinemuse.vision.color import is_greyscale

    grey = _grey_float(rgb)
    lo, hi = np.percentile(grey, [0.5, 99.5])
    return Analysis(
        noise_sigma=estimate_noise_sigma(rgb),
        blockiness=blockiness(rgb),
        jpeg_quality=estimate_jpeg_quality(rgb),
        negative_likelihood=negative_likelihood(rgb),
        defect_fraction=float(detect_defects(rgb).mean()),
        missing_fraction=float(detect_missing_regions(rgb).mean()),
        low_percentile=float(lo),
        high_percentile=float(hi),
        is_greyscale=is_greyscale(rgb),
    )


def plan_steps(a: Analysis) -> list[str]:
    """Steps ``--auto`` would run, in order, for the measurements ``a``."""
    steps = []
    if a.negative_likelihood >= 0.8:
        steps.append("negative")
    if a.missing_fraction > 0.0005:
        steps.append("fill")
    if 0.01 < a.defect_fraction < 0.08:  # clean photos show up to ~0.5 % false alarms
        steps.append("scratches")
    if a.noise_sigma > 3.0 or a.jpeg_quality is not None:
        steps.append("denoise")
    if a.high_percentile - a.low_percentile < 160:  # faded: uses under 2/3 of the range
        steps.append("levels")
    return steps


# ----------------------------------------------------------------------------- steps


def _jpeg_roundtrip(rgb: np.ndarray, quality: int) -> np.ndarray:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=int(quality))
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def estimate_jpeg_quality(rgb: np.ndarray) -> int | None:
    """The JPEG quality (libjpeg scale) a picture was last saved at, or None if it shows none.

    Re-saving a JPEG at its own quality changes almost nothing (its DCT coefficients are
    already on that quantisation grid), while the next finer quality moves them all; so
    the ratio error(q) / error(q + 2) dips sharply at the original quality.
    """
    crop = np.ascontiguousarray(rgb[: min(rgb.shape[0], 384), : min(rgb.shape[1], 384)])  # keep the 8x8 grid
    if min(crop.shape[:2]) < 32:
        return None
    qualities = list(range(10, 98, 2))
    err = np.array([np.abs(_jpeg_roundtrip(crop, q).astype(np.float32) - crop).mean() for q in qualities])
    ratio = err[:-1] / np.maximum(err[1:], 1e-6)
    best = int(np.argmin(ratio))
    return qualities[best] if ratio[best] < 0.7 else None


def deblock_jpeg(rgb: np.ndarray, *, quality: int | None = None) -> np.ndarray:
    """Reduce JPEG blocking and ringing by re-compressing shifted copies (Nosratinia 2001).

    Each of 16 shifts of the picture is compressed at the original quality and shifted
    back; averaging them keeps what all agree on (the picture) and cancels what depends on
    where the 8x8 grid falls (block edges, ringing).
    """
    if quality is None:
        quality = estimate_jpeg_quality(rgb)
        if quality is None:
            return rgb.copy()
    h, w = rgb.shape[:2]
    acc = np.zeros(rgb.shape, np.float32)
    shifts = [(dy, dx) for dy in (0, 2, 4, 6) for dx in (0, 2, 4, 6)]
    for dy, dx in shifts:
        padded = np.pad(rgb, ((dy, 8), (dx, 8), (0, 0)), mode="reflect")
        acc += _jpeg_roundtrip(padded, quality)[dy : dy + h, dx : dx + w]
    return np.clip(acc / len(shifts) + 0.5, 0, 255).astype(np.uint8)


def denoise(rgb: np.ndarray, *, sigma: float | None = None) -> np.ndarray:
    """Remove JPEG blocking (when the picture shows it) and noise.

    JPEG: :func:`deblock_jpeg` at the detected quality. Noise: non-local means with a
    strength set from the (estimated) per-channel noise σ; skipped below σ = 2.5, where
    it would only wash out fine texture.
    """
    import cv2

    out = rgb
    if sigma is None:
        quality = estimate_jpeg_quality(rgb)
        if quality is not None:
            out = deblock_jpeg(rgb, quality=quality)
        sigma = estimate_noise_sigma(out)
    if sigma < 2.5:
        return out.copy()
    # h ≈ 0.8 σ works well for Gaussian noise with 7x7 patches (Buades et al.)
    h = float(np.clip(0.8 * sigma, 2.0, 30.0))
    bgr = cv2.cvtColor(out, cv2.COLOR_RGB2BGR)
    res = cv2.fastNlMeansDenoisingColored(bgr, None, h, h, 5, 15)
    return cv2.cvtColor(res, cv2.COLOR_BGR2RGB)


def inpaint(rgb: np.ndarray, mask: np.ndarray, *, radius: int = 3) -> np.ndarray:
    """Fill ``mask`` (H, W) bool/uint8 from the surroundings (Telea's fast marching)."""
    import cv2

    m = (np.asarray(mask) > 0).astype(np.uint8) * 255
    if not m.any():
        return rgb.copy()
    return cv2.inpaint(np.ascontiguousarray(rgb), m, radius, cv2.INPAINT_TELEA)


def remove_defects(rgb: np.ndarray, *, sensitivity: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Detect dust and scratches and inpaint them; returns (restored, mask)."""
    mask = detect_defects(rgb, sensitivity=sensitivity)
    return inpaint(rgb, mask, radius=3), mask


def fill_missing(rgb: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fill a given (or detected) missing region; returns (filled, mask).

    Large holes are filled coarse-to-fine: inpaint a half-size copy, upsample it into the
    hole, then inpaint only the hole's rim at full size, which carries structure further
    into the hole than one pass of fast marching.
    """
    import cv2

    if mask is None:
        mask = detect_missing_regions(rgb)
    mask = np.asarray(mask) > 0
    if not mask.any():
        return rgb.copy(), mask
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    h, w = mask.shape
    if min(h, w) >= 64 and grown.sum() > 400:
        small = cv2.resize(rgb, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        small_mask = cv2.resize(grown.astype(np.uint8), (w // 2, h // 2), interpolation=cv2.INTER_NEAREST)
        small_filled, _ = fill_missing(small, small_mask)
        coarse = cv2.resize(small_filled, (w, h), interpolation=cv2.INTER_CUBIC)
        out = rgb.copy()
        out[grown] = coarse[grown]
        inner = cv2.erode(grown.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
        rim = grown & ~inner
        return inpaint(out, rim, radius=4), mask
    return inpaint(rgb, grown, radius=5), mask


def auto_levels(rgb: np.ndarray, *, clip_percent: float = 0.5) -> np.ndarray:
    """Stretch the black and white points of the lightness; the same map for R, G and B."""
    grey = _grey_float(rgb)
    lo, hi = np.percentile(grey, [clip_percent, 100 - clip_percent])
    if hi - lo < 8:
        return rgb.copy()
    lut = np.clip((np.arange(256, dtype=np.float32) - lo) * 255.0 / (hi - lo), 0, 255)
    return lut[rgb].round().astype(np.uint8)


def estimate_film_base(rgb: np.ndarray) -> np.ndarray:
    """Film base colour (3,) in linear 0..1 of a scanned negative.

    Prefer the rebate (unexposed film at the picture's border, the brightest and most
    uniform strip in a negative); otherwise the clearest 0.5 % of the film.
    """
    lin = srgb_to_linear(rgb)
    h, w = lin.shape[:2]
    band = max(2, min(h, w) // 40)
    strips = [lin[:band], lin[-band:], lin[:, :band], lin[:, -band:]]
    best = None
    for s in strips:
        flat = s.reshape(-1, 3)
        mean = flat.mean(0)
        uniform = flat.std(0).mean() < 0.03
        if uniform and (best is None or mean.sum() > best.sum()):
            best = mean
    overall = np.percentile(lin.reshape(-1, 3), 99.5, axis=0)
    if best is not None and best.sum() >= 0.9 * overall.sum():
        return np.maximum(best, 1e-4)
    return np.maximum(overall, 1e-4)


FILM_GAMMA = 0.62  # typical contrast of colour negative film (density per decade of exposure)


def develop_negative(
    rgb: np.ndarray,
    *,
    kind: str = "colour",
    film_base: np.ndarray | None = None,
    film_gamma: float = FILM_GAMMA,
    dynamic_range: float | None = None,
) -> np.ndarray:
    """Turn a scanned film negative into a positive (negadoctor's model).

    Parameters
    ----------
    rgb : np.ndarray, shape (H, W, 3), uint8 — the scan (sRGB-encoded).
    kind : {"colour", "bw"}
        ``bw`` develops the mean of the channels and returns a neutral grey picture.
    film_base : np.ndarray, shape (3,), optional
        Linear RGB of the unexposed film (orange mask); estimated if omitted.
    film_gamma : float
        The film's contrast; with the measured density range it gives the scene's range.
    dynamic_range : float, optional
        Print range in decades (density 0 → black, the film's highest density → white);
        default: the measured density range divided by ``film_gamma`` (clipped to 1.5–3).

    Returns
    -------
    np.ndarray, shape (H, W, 3), uint8 — the positive.
    """
    if kind not in ("colour", "bw"):
        raise ValueError(f"kind must be 'colour' or 'bw', not {kind!r}")
    lin = srgb_to_linear(rgb)
    base = estimate_film_base(rgb) if film_base is None else np.asarray(film_base, np.float32)
    if kind == "bw":
        lin = lin.mean(axis=2, keepdims=True)
        base = np.array([base.mean()], np.float32)
    # density above the film base: 0 where the film is clear (the scene's deepest shadows)
    density = np.maximum(np.log10(base / np.clip(lin, 1e-5, None)), 0)  # (H, W, C)
    # each dye layer has its own contrast and the scan its own exposure: scale each
    # channel so that its highest density (the scene's white) lands on the print's
    # white; matching all three channels' whites is also the white balance
    flat = density.reshape(-1, density.shape[2])
    top = np.maximum(np.percentile(flat, 99.9, axis=0), 1e-3)
    if dynamic_range is None:
        dynamic_range = float(np.clip(top.mean() / film_gamma, 1.5, 3.0))
    norm = np.clip(density / top, 0, 1.05)
    positive = 10.0 ** ((norm - 1.0) * dynamic_range)  # linear light, white = 1
    if kind == "bw":
        positive = np.repeat(positive, 3, axis=2)
    return linear_to_srgb(positive)


# ----------------------------------------------------------------------------- whole job

STEP_ORDER = ("negative", "fill", "scratches", "denoise", "levels")


def restore_image(
    rgb: np.ndarray,
    *,
    steps: list[str] | None = None,
    negative: str | None = None,
    fill_mask: np.ndarray | None = None,
    progress=None,
) -> tuple[np.ndarray, dict]:
    """Run restoration steps in a sensible order; ``steps=None`` chooses them from :func:`analyse`.

    Parameters
    ----------
    rgb : np.ndarray (H, W, 3) uint8
    steps : list of str, optional
        Any of ``negative``, ``fill``, ``scratches``, ``denoise``, ``levels``.
    negative : {"colour", "bw"}, optional
        Film kind for the ``negative`` step (default colour).
    fill_mask : np.ndarray (H, W), optional
        Region to fill for the ``fill`` step (default: detected flat blocks).

    Returns
    -------
    (restored rgb uint8, report dict with the analysis, the steps run and what each found)
    """
    from cinemuse.progress import SILENT

    progress = progress or SILENT
    report: dict = {}
    if steps is None:
        measured = analyse(rgb)
        steps = plan_steps(measured)
        report["analysis"] = measured.to_dict()
    steps = [s for s in STEP_ORDER if s in set(steps)]
    report["steps"] = steps
    out = rgb
    with progress.stage("Restoring", total=len(steps)) as stage:
        for step in steps:
            if step == "negative":
                out = develop_negative(out, kind=negative or "colour")
            elif step == "fill":
                out, mask = fill_missing(out, fill_mask)
                report["filled_pixels"] = int(mask.sum())
            elif step == "scratches":
                out, mask = remove_defects(out)
                report["defect_pixels"] = int(mask.sum())
            elif step == "denoise":
                report["noise_sigma"] = round(estimate_noise_sigma(out), 2)
                out = denoise(out)
            elif step == "levels":
                out = auto_levels(out)
            stage.advance()
    return out, report


# ----------------------------------------------------------------------------- helpers


def _grey_float(rgb: np.ndarray) -> np.ndarray:
    x = np.asarray(rgb, dtype=np.float32)
    if x.ndim == 2:
        return x
    return 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    """sRGB uint8 -> linear light float32 0..1 (:func:`cinemuse.vision.color.srgb_to_linear`)."""
    from cinemuse.vision import color

    return color.srgb_to_linear(np.asarray(rgb, dtype=np.float32) / 255.0).astype(np.float32)


def linear_to_srgb(lin: np.ndarray) -> np.ndarray:
    """Linear light 0..1 -> sRGB uint8."""
    from cinemuse.vision import color

    y = color.linear_to_srgb(np.clip(np.asarray(lin, dtype=np.float32), 0, 1))
    return np.clip(y * 255 + 0.5, 0, 255).astype(np.uint8)


def simulate_colour_negative(
    rgb: np.ndarray,
    *,
    rng: np.random.Generator,
    rebate: bool = True,
) -> np.ndarray:
    """A scanned colour negative of a positive picture (for tests and benchmarks).

    Scene light E (linear, plus a little flare) exposes three dye layers with their own
    contrasts γ (0.55–0.75); transmittance = orange base · (E / E0)^(-γ); the scanner
    sees that at a random exposure; optionally a strip of unexposed film (the rebate)
    borders the frame.
    """
    lin = srgb_to_linear(rgb) + 0.004
    gammas = rng.uniform(0.55, 0.75, size=3).astype(np.float32)
    base = np.array([0.88, 0.58, 0.34], np.float32) * rng.uniform(0.85, 1.0, size=3).astype(np.float32)
    trans = base * (lin / 0.004) ** (-gammas)
    scan = trans * rng.uniform(0.9, 1.05)
    out = linear_to_srgb(scan)
    if rebate:
        b = max(4, min(rgb.shape[:2]) // 30)
        edge = linear_to_srgb(base * 1.0)[None, None]
        out = out.copy()
        out[:b], out[-b:], out[:, :b], out[:, -b:] = edge, edge, edge, edge
    return out
