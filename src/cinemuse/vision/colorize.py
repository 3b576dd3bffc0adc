"""Colourise black-and-white pictures: automatic (learned) or guided by reference photos.

Automatic
    The frozen EfficientNet-Lite0 encoder (:mod:`cinemuse.vision.encoder`) looks at the
    grey picture at a working resolution (longer side ``work_side``); a small decoder
    trained here (``cinemuse train colorize``) predicts, at 1/8 of that resolution, a
    probability distribution over quantised Lab ab colours. Its annealed mean
    (Zhang et al. 2016) is pulled towards the average colour of the training photos the
    more, the less sure the model is (a gain per confidence, fitted on validation photos
    and stored in the decoder's metadata): unsure regions fall back to a plausible
    average instead of a vivid wrong hue.

Reference-guided
    Each stride-8 cell of the grey target is matched to cells of the reference photos
    (made grey first, so both sides look alike to the encoder) by their encoder features
    and local lightness; the chroma of the best matches is taken (Welsh et al. 2002's
    idea, with learned features instead of raw luminance statistics). Where nothing in
    the references matches well, the automatic prediction fills in.

Either way the chroma is brought to full resolution with a guided filter steered by the
picture's own lightness, and the lightness itself is never changed.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import numpy as np

from cinemuse.vision.color import grey_from_lightness, lab_to_rgb, luminance, rgb_to_lab

DECODER_ASSET = "vision/colorize_decoder.onnx"
DEFAULT_WORK_SIDE = 512
STRIDE = 8  # the decoder's output stride


@dataclass
class ChromaPrediction:
    """Chroma at the decoder's grid plus what is needed to bring it to full size.

    Attributes
    ----------
    ab : (h, w, 2) float32
        Lab a and b at the working resolution (cropped to the picture, before guiding).
    confidence : (h, w) float32 in 0..1
        How peaked the colour distribution was (1 = sure), upsampled like ``ab``.
    lightness : (h, w) float32
        Working-resolution lightness (0..100) used as the guide.
    """

    ab: np.ndarray
    confidence: np.ndarray
    lightness: np.ndarray


class Colorizer:
    """Encoder + chroma decoder; numpy in, numpy out; safe to share between threads."""

    def __init__(self, encoder, decoder_session):
        self.encoder = encoder
        self._decoder = decoder_session
        meta = decoder_session.get_modelmeta().custom_metadata_map
        self.bins = np.asarray(json.loads(meta["ab_bins"]), dtype=np.float32)  # (Q, 2)
        self.temperature = float(meta.get("temperature", 0.38))
        # least-squares shrinkage towards the training mean, fitted on validation photos:
        # a gain per confidence (piecewise linear between knots), or one gain for all
        self.chroma_mean = np.asarray(json.loads(meta.get("chroma_mean", "[0, 0]")), dtype=np.float32)
        self.chroma_gain = float(meta.get("chroma_gain", 1.0))
        shrinkage = json.loads(meta["chroma_shrinkage"]) if "chroma_shrinkage" in meta else None
        self.gain_knots = None if shrinkage is None else np.asarray(shrinkage["confidence_knots"], np.float32)
        self.gain_values = None if shrinkage is None else np.asarray(shrinkage["gains"], np.float32)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, *, threads: int | None = None) -> "Colorizer":
        """Load the shipped encoder and decoder (cached)."""
        from cinemuse.vision.encoder import default_threads

        from cinemuse.assets import load_shipped

        return load_shipped(DECODER_ASSET, cls.from_file, threads or default_threads())

    @classmethod
    def from_file(cls, path, threads: int) -> "Colorizer":
        """A decoder file over the shipped (shared) encoder."""
        from cinemuse.vision.encoder import ImageEncoder, make_session

        return cls(ImageEncoder.load(threads=threads), make_session(path, threads=threads))

    # ------------------------------------------------------------------ core

    def _working_lightness(self, lightness: np.ndarray, work_side: int) -> np.ndarray:
        import cv2

        h, w = lightness.shape
        scale = min(1.0, work_side / max(h, w))
        if scale < 1.0:
            size = (max(8, round(w * scale)), max(8, round(h * scale)))
            return cv2.resize(lightness, size, interpolation=cv2.INTER_AREA)
        return lightness

    def encode(self, lightness: np.ndarray) -> dict:
        """Encoder maps of a grey picture given its lightness (h, w) at working resolution."""
        return self.encoder.features(grey_from_lightness(lightness))

    def logits(self, maps: dict, lightness: np.ndarray) -> np.ndarray:
        """Decoder output (Q, h/8, w/8) for maps from :meth:`encode` of ``lightness`` (h, w)."""
        import cv2

        from cinemuse.vision.encoder import pad_to_multiple

        h4, w4 = maps["s4"].shape[1:]
        padded, _ = pad_to_multiple(lightness[..., None].astype(np.float32), 32)
        light4 = cv2.resize(padded[..., 0], (w4, h4), interpolation=cv2.INTER_AREA)
        feeds = {
            "s4": maps["s4"][None],
            "s8": maps["s8"][None],
            "s16": maps["s16"][None],
            "s32": maps["s32"][None],
            "light": light4[None, None],
        }
        feeds = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in feeds.items()}
        return self._decoder.run(["logits"], feeds)[0][0]

    def chroma_grid(self, logits: np.ndarray, *, temperature: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Annealed-mean ab (h8, w8, 2) and confidence (h8, w8) from decoder logits (Q, h8, w8)."""
        t = self.temperature if temperature is None else temperature
        ab, confidence = distribution_to_chroma(logits, self.bins, temperature=t)
        ab = shrink_chroma(ab, confidence, mean=self.chroma_mean, gain=self.chroma_gain,
                           knots=self.gain_knots, gains=self.gain_values)
        return ab, confidence

    def predict(
        self,
        lightness: np.ndarray,
        *,
        work_side: int = DEFAULT_WORK_SIDE,
        temperature: float | None = None,
    ) -> ChromaPrediction:
        """Automatic chroma for a picture's lightness.

        Parameters
        ----------
        lightness : np.ndarray, shape (H, W), float32 in 0..100
        work_side : int
            Longer side at which the network looks at the picture.
        temperature : float, optional
            Annealed-mean temperature (lower = more vivid); default: the one chosen in training.

        Returns
        -------
        ChromaPrediction at the working resolution.
        """
        light = self._working_lightness(lightness.astype(np.float32), work_side)
        maps = self.encode(light)
        ab8, conf8 = self.chroma_grid(self.logits(maps, light), temperature=temperature)
        return ChromaPrediction(*grid_to_image(ab8, conf8, light.shape), lightness=light)

    # ------------------------------------------------------------------ reference

    def reference_prediction(
        self,
        lightness: np.ndarray,
        references: list[np.ndarray],
        *,
        work_side: int = DEFAULT_WORK_SIDE,
        temperature: float | None = None,
        automatic: ChromaPrediction | None = None,
    ) -> ChromaPrediction:
        """Chroma for ``lightness`` (H, W) taken from colour ``references`` (list of RGB uint8).

        Every stride-8 cell of the target is described by its encoder features (strides 8
        and 16, made unit length) and its local lightness (after matching the references'
        lightness histogram moments to the target's, as Welsh et al. do); the ab of the
        most similar reference cells (soft top-k) becomes the target's chroma. Cells whose
        best match is weak fall back to the automatic prediction.
        """
        light = self._working_lightness(lightness.astype(np.float32), work_side)
        maps = self.encode(light)
        logits = self.logits(maps, light)
        if automatic is None:
            auto_ab8, _ = self.chroma_grid(logits, temperature=temperature)
        else:
            auto_ab8 = None
        target_desc = _cell_descriptors(maps, light)  # (h8*w8, D)
        h8, w8 = maps["s8"].shape[1:]

        ref_desc, ref_ab = [], []
        t_mean, t_std = float(light.mean()), float(light.std()) + 1e-3
        for ref in references:
            ref_lab = rgb_to_lab(_fit_side(ref, work_side))
            ref_light = ref_lab[..., 0]
            # Welsh-style luminance remapping: give the reference the target's tonal range
            remapped = (ref_light - ref_light.mean()) / (ref_light.std() + 1e-3) * t_std + t_mean
            remapped = np.clip(remapped, 0, 100).astype(np.float32)
            rmaps = self.encode(remapped)
            ref_desc.append(_cell_descriptors(rmaps, remapped))
            ref_ab.append(_cell_average(ref_lab[..., 1:], rmaps["s8"].shape[1:]).reshape(-1, 2))
        ref_desc = np.concatenate(ref_desc)  # (M, D)
        ref_ab = np.concatenate(ref_ab)  # (M, 2)

        sims = target_desc @ ref_desc.T  # (N, M) cosine similarity (descriptors are unit length)
        k = min(8, sims.shape[1])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]  # (N, k)
        top_sims = np.take_along_axis(sims, top, axis=1)
        weights = np.exp((top_sims - top_sims.max(axis=1, keepdims=True)) / 0.02)
        weights /= weights.sum(axis=1, keepdims=True)
        matched_ab = np.einsum("nk,nkc->nc", weights, ref_ab[top]).reshape(h8, w8, 2)
        best = top_sims.max(axis=1).reshape(h8, w8)
        # how much to trust the match: full above 0.75 cosine, none below 0.45
        trust = np.clip((best - 0.45) / 0.30, 0.0, 1.0).astype(np.float32)
        if auto_ab8 is None:
            auto_grid = _cell_average(automatic.ab, (h8, w8))
        else:
            auto_grid = auto_ab8
        ab8 = trust[..., None] * matched_ab + (1 - trust[..., None]) * auto_grid
        ab, conf = grid_to_image(ab8.astype(np.float32), trust, light.shape)
        return ChromaPrediction(ab=ab, confidence=conf, lightness=light)


def distribution_to_chroma(logits: np.ndarray, bins: np.ndarray, *, temperature: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Mean colour and confidence of the decoder's distribution over ab bins.

    Parameters
    ----------
    logits : np.ndarray, shape (Q, h, w)
    bins : np.ndarray, shape (Q, 2) — ab of each bin
    temperature : float
        Annealing (Zhang et al. 2016): below 1 sharpens the distribution before its mean
        is taken (more vivid, less PSNR); 1 is the plain mean.

    Returns
    -------
    ab : (h, w, 2) float32
    confidence : (h, w) float32 in 0..1 — one minus the normalised entropy of the
        untempered distribution (1 = all mass on one bin).
    """
    z = logits / temperature
    z = z - z.max(axis=0, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=0, keepdims=True)
    ab = np.einsum("qhw,qc->hwc", p, bins)
    z0 = logits - logits.max(axis=0, keepdims=True)
    p0 = np.exp(z0)
    p0 /= p0.sum(axis=0, keepdims=True)
    entropy = -(p0 * np.log(p0 + 1e-9)).sum(axis=0) / np.log(len(bins))
    return ab.astype(np.float32), (1.0 - entropy).astype(np.float32)


def shrink_chroma(
    ab: np.ndarray,
    confidence: np.ndarray,
    *,
    mean: np.ndarray,
    gain: float = 1.0,
    knots: np.ndarray | None = None,
    gains: np.ndarray | None = None,
) -> np.ndarray:
    """Pull predicted chroma towards the average colour, the less so the surer the model is.

    ``mean + g * (ab - mean)`` with ``g = gain``, or, given ``knots``/``gains``, ``g``
    interpolated piecewise-linearly in the confidence. The gains are least-squares fits on
    validation photos: an unsure pixel falls back to the average colour (what the squared
    error, and PSNR, reward) while a sure one (sky, foliage) keeps its colour.

    Parameters
    ----------
    ab : (h, w, 2) float32; confidence : (h, w) float32; mean : (2,)
    knots, gains : (K,) increasing confidences and the gain at each.

    Returns
    -------
    (h, w, 2) float32
    """
    g = gain if knots is None else np.interp(confidence, knots, gains)[..., None]
    return (mean + g * (ab - mean)).astype(np.float32)


def _fit_side(rgb: np.ndarray, side: int) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    scale = min(1.0, side / max(h, w))
    if scale < 1.0:
        return cv2.resize(rgb, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA)
    return rgb


def _cell_average(image: np.ndarray, grid_hw: tuple[int, int]) -> np.ndarray:
    """Average an (h, w, C) image over the cells of the stride-8 grid (after padding to 32)."""
    import cv2

    from cinemuse.vision.encoder import pad_to_multiple

    padded, _ = pad_to_multiple(image.astype(np.float32), 32)
    out = cv2.resize(padded, (grid_hw[1], grid_hw[0]), interpolation=cv2.INTER_AREA)
    return out.reshape(grid_hw[0], grid_hw[1], -1)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-6)


def _cell_descriptors(maps: dict, lightness: np.ndarray) -> np.ndarray:
    """Per stride-8 cell: [unit s8 features, unit s16 features (upsampled), lightness mean/std]."""
    import cv2

    h8, w8 = maps["s8"].shape[1:]
    s8 = maps["s8"].reshape(maps["s8"].shape[0], -1).T  # (N, 40)
    s16 = cv2.resize(maps["s16"].transpose(1, 2, 0), (w8, h8), interpolation=cv2.INTER_LINEAR)
    s16 = s16.reshape(-1, maps["s16"].shape[0])  # (N, 112)
    mean = _cell_average(lightness[..., None], (h8, w8)).reshape(-1, 1) / 100.0
    sq = _cell_average((lightness**2)[..., None], (h8, w8)).reshape(-1, 1) / 1e4
    std = np.sqrt(np.maximum(sq - mean**2, 0))
    # weights: semantics (s16) matter most, texture (s8) next, tone keeps sky from matching shadow
    desc = np.concatenate([0.5 * _unit(s8), 0.75 * _unit(s16), 2.0 * mean, 2.0 * std], axis=1)
    return _unit(desc).astype(np.float32)


def grid_to_image(ab8: np.ndarray, conf8: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear upsample stride-8 grids to the padded working size and crop to ``shape``."""
    import cv2

    h8, w8 = ab8.shape[:2]
    size = (w8 * STRIDE, h8 * STRIDE)
    ab = cv2.resize(ab8, size, interpolation=cv2.INTER_LINEAR)[: shape[0], : shape[1]]
    conf = cv2.resize(conf8.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)[: shape[0], : shape[1]]
    return np.ascontiguousarray(ab, dtype=np.float32), np.ascontiguousarray(conf, dtype=np.float32)


def guided_upsample(prediction: ChromaPrediction, lightness: np.ndarray, *, radius: int = 6, eps: float = 4e-3) -> np.ndarray:
    """Chroma at full resolution (H, W, 2), its edges snapped to the full-resolution lightness.

    The guided filter's linear coefficients are fitted at the working resolution and
    upsampled bilinearly (He & Sun's "fast guided filter"), so a big photo costs little
    more than a small one.
    """
    import cv2

    from cinemuse.vision.color import guided_filter_coefficients

    guide = prediction.lightness / 100.0
    a, b = guided_filter_coefficients(guide, prediction.ab, radius=radius, eps=eps)
    h, w = lightness.shape
    if (h, w) != guide.shape:
        a = cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR)
        b = cv2.resize(b, (w, h), interpolation=cv2.INTER_LINEAR)
    full = a * (lightness / 100.0)[..., None] + b
    return full.astype(np.float32)


def compose(lightness: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """Lab lightness (H, W) + ab (H, W, 2) -> RGB uint8 (H, W, 3)."""
    lab = np.empty(lightness.shape + (3,), np.float32)
    lab[..., 0] = lightness
    lab[..., 1:] = ab
    return lab_to_rgb(lab)


def colorize_image(
    image: np.ndarray,
    *,
    references: list[np.ndarray] | None = None,
    colorizer: Colorizer | None = None,
    work_side: int = DEFAULT_WORK_SIDE,
    temperature: float | None = None,
    saturation: float = 1.0,
) -> np.ndarray:
    """Colourise a black-and-white picture.

    Parameters
    ----------
    image : np.ndarray, shape (H, W) or (H, W, 3), uint8
        The picture; any colour it has is discarded (only its lightness is used).
    references : list of np.ndarray (H', W', 3) uint8, optional
        Colour photos of similar content whose colours should be used.
    colorizer : Colorizer, optional
        A loaded model (default: the shipped one).
    work_side : int
        Longer side at which the networks look at the picture (the output keeps full size).
    temperature : float, optional
        Annealed-mean temperature for automatic colour (lower = more vivid).
    saturation : float
        Multiplies the predicted chroma (1 = as predicted).

    Returns
    -------
    np.ndarray, shape (H, W, 3), uint8 — same lightness as the input, new chroma.
    """
    colorizer = colorizer or Colorizer.load()
    lightness = luminance(image)
    if references:
        pred = colorizer.reference_prediction(lightness, references, work_side=work_side, temperature=temperature)
    else:
        pred = colorizer.predict(lightness, work_side=work_side, temperature=temperature)
    ab = guided_upsample(pred, lightness) * saturation
    return compose(lightness, ab)


# ----------------------------------------------------------------------------- video


@dataclass
class VideoOptions:
    """Knobs of :func:`colorize_frames`.

    Attributes
    ----------
    work_side : int
        Longer side at which the network and the optical flow run (chroma is smooth).
    key_interval : int
        Run the network on every n-th frame of a shot; frames between only carry colour
        forward along the optical flow.
    key_blend : float
        Weight of a fresh prediction at a key frame against the colour carried forward
        (low = steadier colour; 1 = every key frame starts over).
    cut_threshold : float
        Mean absolute lightness change (0..100 units, at the flow size) that starts a new shot.
    """

    work_side: int = 320
    key_interval: int = 8
    key_blend: float = 0.25
    cut_threshold: float = 12.0
    temperature: float | None = None
    saturation: float = 1.0


class _FlowWarper:
    """Backward warping of chroma along dense optical flow (OpenCV DIS, fast preset)."""

    def __init__(self):
        import cv2

        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)

    def flow(self, current: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """Flow (h, w, 2) mapping each pixel of ``current`` to its place in ``previous`` (uint8 greys)."""
        return self._dis.calc(current, previous, None)

    @staticmethod
    def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
        import cv2

        h, w = flow.shape[:2]
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        return cv2.remap(image, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def colorize_frames(
    frames,
    *,
    colorizer: Colorizer | None = None,
    references: list[np.ndarray] | None = None,
    options: VideoOptions | None = None,
    per_frame: bool = False,
):
    """Colourise a stream of frames with colour that stays put over time.

    At each shot's first frame and every ``key_interval`` frames after it, the network
    predicts chroma; in between, the previous frame's chroma is carried along the
    optical flow (computed on lightness at ``work_side``), and at key frames the fresh
    prediction is blended into the carried colour rather than replacing it, so colour
    neither flickers nor drifts. A cut (a jump in lightness) starts afresh.

    Parameters
    ----------
    frames : iterable of (H, W, 3) uint8 RGB (or (time, rgb) pairs)
    colorizer : Colorizer, optional
    references : list of RGB uint8, optional
        Reference photos, as for :func:`colorize_image`.
    options : VideoOptions, optional
    per_frame : bool
        Ignore time: run the network on every frame independently (the flickering
        baseline the benchmark compares with).

    Yields
    ------
    (H, W, 3) uint8 RGB frames, same lightness as the input.
    """
    colorizer = colorizer or Colorizer.load()
    opts = options or VideoOptions()
    warper = _FlowWarper()
    carried = None  # chroma (h, w, 2) at the working size
    previous_grey = None
    since_key = 0
    for item in frames:
        rgb = item[1] if isinstance(item, tuple) else item
        lightness = luminance(rgb)
        work_light = colorizer._working_lightness(lightness, opts.work_side)
        grey8 = np.clip(work_light * 2.55, 0, 255).astype(np.uint8)
        cut = previous_grey is None or float(np.abs(grey8.astype(np.float32) - previous_grey).mean()) / 2.55 > opts.cut_threshold
        if per_frame or cut or carried is None:
            carried = _predict_ab(colorizer, work_light, references, opts)
            since_key = 0
        else:
            flow = warper.flow(grey8, previous_grey)
            carried = warper.warp(carried, flow)
            since_key += 1
            if since_key >= opts.key_interval:
                fresh = _predict_ab(colorizer, work_light, references, opts)
                carried = (1 - opts.key_blend) * carried + opts.key_blend * fresh
                since_key = 0
        previous_grey = grey8
        pred = ChromaPrediction(ab=carried.astype(np.float32), confidence=np.ones(work_light.shape, np.float32), lightness=work_light)
        ab = guided_upsample(pred, lightness, radius=4) * opts.saturation
        yield compose(lightness, ab)


def _predict_ab(colorizer: Colorizer, light: np.ndarray, references, opts: VideoOptions) -> np.ndarray:
    side = max(light.shape)
    if references:
        return colorizer.reference_prediction(light, references, work_side=side, temperature=opts.temperature).ab
    return colorizer.predict(light, work_side=side, temperature=opts.temperature).ab
