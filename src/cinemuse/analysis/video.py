"""Picture analysis for scoring: cuts, gradual transitions, motion, light, colour, visual beats.

Everything comes from ONE streaming pass over small frames (about 160x90): each frame is
reduced at once to a few numbers (and a tiny thumbnail kept in a short ring buffer), so
memory stays flat however long the video is. The decisions that need context (adaptive
thresholds, "did the picture come back after this flash?") are taken afterwards on the
per-frame numbers alone.

Per frame we keep
    brightness       mean luma (Rec. 601), 0..1
    saturation       mean HSV saturation, 0..1
    colourfulness    Hasler & Süsstrunk (2003) metric M on 0..255 RGB (0 = grey, ~59 = "highly
                     colourful", > 100 = extreme)
    hue              dominant hue in degrees (saturation-weighted hue histogram), and
    hue_strength     how much of the picture carries that hue (0..1)
    motion           mean absolute grey-level change from the previous frame, 0..1, with
                     cuts and flashes removed (a cut is not motion)

Hard cuts
    A frame starts a new shot when its distance to the previous frame (a mix of an
    HSV-histogram distance and a thumbnail pixel distance) is a local peak far above the
    local level (adaptive threshold: robust to busy, fast-moving shots) and the picture does
    not *come back*: a flash of light is a brief spike after which the frames resemble the
    ones before it, so every pair (frame t+a, frame t-b), a, b <= ~0.3 s, is compared and a
    candidate whose "after" frames match its "before" frames is rejected as a flash.

Gradual transitions (fades to/from black, dissolves)
    Over a window [t-L, t] a fade or dissolve makes every frame a linear blend of the
    window's end frames: frame(t-L+x) ~ (1-x/L) A + (x/L) B. For several window lengths we
    test this at x = L/4, L/2, 3L/4 on thumbnails (blend weights near 1/4, 1/2, 3/4 and a
    small residual) and require the end frames to differ a lot (different shots, or black).
    A pan or zoom changes the picture gradually too, but it is not a blend of its end frames,
    and a hard cut inside the window gives weights of 0 or 1; both fail the test. Windows
    that pass are merged into transitions; a fade out to black followed by a fade in is two.

Visual beats
    Sudden motion impacts (in the spirit of Davis & Agrawala's "visual beats", and of CMT's
    optical-flow rhythm): peaks of the positive change of motion energy, picked with an
    adaptive threshold and a minimum spacing, away from cuts.

All times are frame presentation timestamps from the decoder, never index / fps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from cinemuse.progress import SILENT, Progress
from cinemuse.threads import prefetch
from cinemuse.vision.color import colourfulness_batch

ANALYSIS_PIXELS = 160 * 90  # decode size: about this many pixels, keeping the aspect ratio
# swscale's fast bilinear shrink costs ~1/3 of an area-averaging one (the largest cost of the
# pass after decoding itself); its aliasing is smoothed out by the area steps that follow
DECODE_SCALER = "FAST_BILINEAR"
FLASH_MAX_SECONDS = 0.3  # a flash lasts at most this long (the picture then comes back)
FLASH_LAGS = 12  # frames compared before/after a candidate cut (capped by FLASH_MAX_SECONDS)
BLEND_WINDOWS = (4, 6, 9, 13, 19, 28, 40, 56)  # window lengths (frames) for the blend test
MIN_TRANSITION_SECONDS = 0.2  # a shorter blend is a soft cut or a flash decay, not a transition
KEYFRAME_STEP = 0.5  # seconds between stored keyframes (doubles when the store is full)
KEYFRAME_LIMIT = 240  # at most this many small keyframes are held (~10 MB at 160x90)

_HIST_BINS = (8, 4, 4)  # joint H x S x V histogram for shot-change distances
_SAT_WEIGHTS = np.array([0.125, 0.375, 0.625, 0.875], np.float32)  # centres of the S bins
_DIST_THUMB = (16, 9)  # colour thumbnail for frame-to-frame pixel distances


class NoFramesError(ValueError):
    """:func:`analyze_frames` was given no frames at all."""


@dataclass(frozen=True)
class Cut:
    """A hard cut: the frame at ``time`` (index ``frame``) is the first of a new shot."""

    time: float
    frame: int
    strength: float  # 0..1, how different the two shots are


@dataclass(frozen=True)
class Transition:
    """A gradual transition from ``start`` to ``end`` seconds (frames ``start_frame..end_frame``)."""

    start: float
    end: float
    start_frame: int
    end_frame: int
    kind: str  # "fade_out" (to black), "fade_in" (from black) or "dissolve"

    @property
    def middle(self) -> float:
        return 0.5 * (self.start + self.end)


@dataclass
class VideoAnalysis:
    """The result of :func:`analyze_frames`: per-frame curves and detected events.

    Attributes
    ----------
    times : ndarray, shape (n,)
        Presentation time of each frame, seconds.
    duration : float
        Time of the last frame plus its display duration (= video length).
    brightness, saturation, colourfulness, hue, hue_strength, motion : ndarray, shape (n,)
        Per-frame measures (see the module docstring).
    cuts : list of Cut
    transitions : list of Transition
    flashes : list of float
        Times of rejected flash candidates (bright spikes that were not cuts).
    beats : ndarray, shape (k,)
        Times of visual beats (motion impacts).
    keyframes : list of (time, rgb uint8 (h, w, 3))
        Small frames sampled through the video (for per-shot descriptors).
    """

    times: np.ndarray
    duration: float
    brightness: np.ndarray
    saturation: np.ndarray
    colourfulness: np.ndarray
    hue: np.ndarray
    hue_strength: np.ndarray
    motion: np.ndarray
    cuts: list[Cut] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    flashes: list[float] = field(default_factory=list)
    beats: np.ndarray = field(default_factory=lambda: np.zeros(0))
    keyframes: list[tuple[float, np.ndarray]] = field(default_factory=list)
    frame_size: tuple[int, int] = (0, 0)

    @property
    def n_frames(self) -> int:
        return len(self.times)

    @property
    def cut_times(self) -> np.ndarray:
        return np.array([c.time for c in self.cuts], dtype=float)

    @property
    def frame_duration(self) -> float:
        """Median spacing of frame timestamps (seconds)."""
        return float(np.median(np.diff(self.times))) if len(self.times) > 1 else 1 / 25

    def boundaries(self) -> list[tuple[float, int, str]]:
        """Shot boundaries as (time, frame, kind), in time order.

        Hard cuts at their first new frame; a dissolve at its middle; a fade out followed by a
        fade in at the darkest frame between them (one boundary, not two); a fade in from
        black at the very start or a fade out at the very end is no boundary.
        """
        out = [(c.time, c.frame, "cut") for c in self.cuts]
        trs = sorted(self.transitions, key=lambda tr: tr.start)
        n = self.n_frames
        i = 0
        while i < len(trs):
            tr = trs[i]
            nxt = trs[i + 1] if i + 1 < len(trs) else None
            if tr.kind == "fade_out" and nxt is not None and nxt.kind == "fade_in" and (
                nxt.start_frame - tr.end_frame <= 2
            ):
                f = tr.end_frame
                out.append((float(self.times[f]), f, "fade"))
                i += 2
                continue
            i += 1
            if (tr.kind == "fade_in" and tr.start_frame <= 1) or (
                tr.kind == "fade_out" and tr.end_frame >= n - 2
            ):
                continue
            mid = (tr.start_frame + tr.end_frame) // 2
            out.append((float(self.times[mid]), mid, tr.kind))
        return sorted(out)

    def curve_at(self, name: str, times: np.ndarray) -> np.ndarray:
        """Interpolate the per-frame curve ``name`` at ``times`` (seconds)."""
        return np.interp(np.asarray(times, float), self.times, getattr(self, name))

    def to_dict(self) -> dict:
        """A JSON-friendly summary (events only, no per-frame curves)."""
        return {
            "duration": self.duration,
            "frames": self.n_frames,
            "cuts": [{"time": c.time, "frame": c.frame, "strength": c.strength} for c in self.cuts],
            "transitions": [
                {"start": t.start, "end": t.end, "kind": t.kind} for t in self.transitions
            ],
            "flashes": list(self.flashes),
            "beats": [float(b) for b in self.beats],
        }


# ----------------------------------------------------------------------------- helpers


def analysis_size(width: int, height: int, *, pixels: int = ANALYSIS_PIXELS) -> tuple[int, int]:
    """An even (w, h) with about ``pixels`` pixels and the aspect ratio of ``width x height``."""
    aspect = max(width, 1) / max(height, 1)
    if width * height <= pixels:  # never upscale a small video
        return max(16, width // 2 * 2), max(16, height // 2 * 2)
    w = max(16, int(round(math.sqrt(pixels * aspect) / 2)) * 2)
    h = max(16, int(round(math.sqrt(pixels / aspect) / 2)) * 2)
    return w, h


class _Grow:
    """An append-only float32 table (rows of fixed width) that grows by doubling."""

    def __init__(self, width: int):
        self.data = np.zeros((1024, width), np.float32)
        self.n = 0

    def extend(self, rows: np.ndarray) -> None:
        while self.n + len(rows) > len(self.data):
            self.data = np.concatenate([self.data, np.zeros_like(self.data)])
        self.data[self.n : self.n + len(rows)] = rows
        self.n += len(rows)

    def array(self) -> np.ndarray:
        return self.data[: self.n]


class _KeyframeStore:
    """Small frames sampled every ``step`` seconds; when full, every other one is dropped and
    the step doubles, so at most ``limit`` frames are ever held."""

    def __init__(self, step: float, limit: int):
        self.step, self.limit = step, limit
        self.frames: list[tuple[float, np.ndarray]] = []
        self.next_time = -np.inf

    def offer(self, t: float, rgb: np.ndarray) -> None:
        if t < self.next_time:
            return
        self.frames.append((t, rgb.copy()))
        self.next_time = t + self.step
        if len(self.frames) >= self.limit:
            self.frames = self.frames[::2]
            self.step *= 2
            self.next_time = self.frames[-1][0] + self.step


# ----------------------------------------------------------------------------- the pass

def _combine(hist_distance: np.ndarray, pixel_distance: np.ndarray) -> np.ndarray:
    """Shot-change distance (0..1) from an HSV-histogram distance and a thumbnail distance.

    The histogram ignores motion (a pan keeps the colours) but misses two shots with similar
    colours; the pixel distance catches those, so it counts, but less.
    """
    return 0.5 * hist_distance + 0.5 * np.minimum(1.0, 4.0 * pixel_distance)


_BATCH = 64  # frames reduced per vectorised step (numpy work is done per batch, not per frame)

FRAME_COLUMNS = (
    "time",            # presentation time, seconds
    "brightness",      # mean luma, 0..1
    "saturation",      # mean HSV saturation, 0..1
    "colourfulness",   # Hasler-Suesstrunk M on the 16x9 thumbnail
    "hue",             # dominant hue, degrees
    "hue_strength",    # share of the picture carrying that hue, 0..1
    "motion",          # mean absolute grey change from the previous frame, 0..1
    "dt",              # time since the previous frame, seconds
    "hist_distance",   # HSV-histogram distance to the previous frame, 0..1
    "pixel_distance",  # thumbnail pixel distance to the previous frame, 0..1
)
"""The per-frame numbers the pass keeps, in the column order of :attr:`FrameMeasures.table`."""


@dataclass(frozen=True)
class FrameMeasures:
    """Everything the streaming pass keeps, one row per frame; the decisions read only this.

    Attributes
    ----------
    table : ndarray, shape (n, len(FRAME_COLUMNS)), float32
        Read it by name with :meth:`column`.
    lag_distance : ndarray, shape (n, 2 * FLASH_LAGS + 1)
        Shot-change distance from frame t to frame t-1-j in column j.
    blend_passed, blend_difference, blend_fade : ndarray, shape (n, len(BLEND_WINDOWS))
        For the window of each length ending at frame t: whether it passed the blend test,
        how different its end frames are, and its fade kind (0 dissolve, 1 to black,
        2 from black).
    """

    table: np.ndarray
    lag_distance: np.ndarray
    blend_passed: np.ndarray
    blend_difference: np.ndarray
    blend_fade: np.ndarray

    def column(self, name: str) -> np.ndarray:
        """One column of :attr:`table` as float64, shape (n,)."""
        return self.table[:, FRAME_COLUMNS.index(name)].astype(float)

    def __len__(self) -> int:
        return len(self.table)


class _Batcher:
    """Per-frame reductions are cheap cv2 calls; everything that compares frames with earlier
    frames runs vectorised over batches of ``_BATCH`` frames, with the last ``history`` frames'
    thumbnails carried over. Memory: O(history + batch), whatever the video length."""

    def __init__(self) -> None:
        self.n_lags = FLASH_LAGS * 2 + 1
        self.windows = np.array(BLEND_WINDOWS)
        self.history = int(max(self.windows.max(), self.n_lags))
        # the blend test looks at 1/4, 1/2 and 3/4 of each window
        self.mid_offsets = np.rint(self.windows[:, None] * np.array([0.25, 0.5, 0.75])).astype(int)
        self.mid_fracs = self.mid_offsets / self.windows[:, None]
        self.hist_prev = self.thumb_prev = self.blend_prev = self.luma_prev = None
        self.table = _Grow(len(FRAME_COLUMNS))
        self.lag_dist = _Grow(self.n_lags)
        self.blend = _Grow(len(BLEND_WINDOWS) * 3)  # per window: pass, end-frame difference, fade kind
        self.count = 0
        self.reset_batch()

    def reset_batch(self) -> None:
        self.b_time, self.b_hist, self.b_thumb, self.b_blend = [], [], [], []
        self.b_scal = []

    def add(self, t: float, hist, thumb, grey, motion) -> None:
        """One frame: joint HSV histogram (counts), 16x9 colour thumbnail, quarter-size grey
        frame, and the summed absolute grey difference from the previous frame."""
        self.b_time.append(t)
        self.b_hist.append(hist)
        self.b_thumb.append(thumb)
        self.b_blend.append(grey)
        self.b_scal.append(motion)
        if len(self.b_time) >= _BATCH:
            self.flush()

    def measures(self) -> FrameMeasures:
        """What has been measured so far (call :meth:`flush` first)."""
        blend = self.blend.array()
        return FrameMeasures(self.table.array(), self.lag_dist.array(), blend[:, 0::3] > 0,
                             blend[:, 1::3], blend[:, 2::3])

    def flush(self) -> None:
        """Reduce the frames added since the last flush and append their rows."""
        if not self.b_time:
            return
        times = np.array(self.b_time)
        B = len(times)
        counts = np.stack(self.b_hist).astype(np.float32)  # (B, 8*4*4) joint H x S x V counts
        hist = counts * (1.0 / max(1.0, float(counts[0].sum())))
        thumb_u8 = np.stack(self.b_thumb)  # (B, 9, 16, 3) uint8
        thumb = thumb_u8.reshape(B, -1).astype(np.float32) * (1 / 255)
        blend = np.stack(self.b_blend).reshape(B, -1).astype(np.float32) * (1 / 255)
        hsv_hist = hist.reshape(B, *_HIST_BINS)
        brightness = blend.mean(1).astype(np.float64)  # mean luma
        saturation = hsv_hist.sum(axis=(1, 3)) @ _SAT_WEIGHTS  # from the histogram's S bins
        motion = np.array(self.b_scal, np.float64) / (255.0 * blend.shape[1])  # mean |diff|
        if self.hist_prev is None:  # the first frame stands in for the frames before it
            self.hist_prev = np.repeat(hist[:1], self.history, 0)
            self.thumb_prev = np.repeat(thumb[:1], self.history, 0)
            self.blend_prev = np.repeat(blend[:1], self.history, 0)
            self.luma_prev = np.repeat(brightness[:1], self.history)
        # (history + B, ...): row history + i is frame i of this batch
        H = np.concatenate([self.hist_prev, hist])
        T = np.concatenate([self.thumb_prev, thumb])
        G = np.concatenate([self.blend_prev, blend])
        Y = np.concatenate([self.luma_prev, brightness])
        lag, hist_d, pixel_d = self._lag_distances(H, T, B)
        hue_deg, hue_strength = _dominant_hue(hsv_hist)
        prev_t = self.table.data[self.table.n - 1, 0] if self.table.n else times[0]
        dt = np.diff(np.concatenate([[prev_t], times]))
        self.table.extend(np.column_stack(
            [times, brightness, saturation, colourfulness_batch(thumb_u8), hue_deg, hue_strength,
             motion, dt, hist_d, pixel_d]))
        self.lag_dist.extend(lag)
        self.blend.extend(self._blend_tests(G, H, Y, B))
        h0 = self.history
        self.hist_prev, self.thumb_prev = H[-h0:], T[-h0:]
        self.blend_prev, self.luma_prev = G[-h0:], Y[-h0:]
        self.count += B
        self.reset_batch()

    def _lag_distances(self, H, T, B):
        """Distances from each frame of the batch to each of the ``n_lags`` frames before it
        (50% histogram, 50% thumbnail pixels); also the two parts at lag 1."""
        h0 = self.history
        lag = np.empty((B, self.n_lags), np.float32)
        for j in range(self.n_lags):
            hd = 0.5 * np.abs(H[h0:] - H[h0 - 1 - j : h0 - 1 - j + B]).sum(1)
            pd = np.abs(T[h0:] - T[h0 - 1 - j : h0 - 1 - j + B]).mean(1)
            lag[:, j] = _combine(hd, pd)
            if j == 0:
                hd1, pd1 = hd, pd
        if self.count == 0:
            lag[0] = 0.0
        return lag, hd1, pd1

    def _blend_tests(self, G, H, Y, B) -> np.ndarray:
        """The blend test over windows [t-L+1, t] for every frame t of the batch and every L:
        (B, 3 * len(BLEND_WINDOWS)) rows of (passed, end-frame difference, fade kind)."""
        h0 = self.history
        frame_no = self.count + np.arange(B)
        out = np.zeros((B, len(BLEND_WINDOWS) * 3), np.float32)
        ends = np.arange(h0, h0 + B)
        for k, L in enumerate(self.windows):
            starts = ends - (L - 1)
            found = self._blend_window(k, G, H, Y, starts, ends, usable=frame_no >= L - 1)
            if found is not None:
                ci, diff, fade_kind = found
                out[ci, 3 * k] = 1.0
                out[ci, 3 * k + 1] = diff
                out[ci, 3 * k + 2] = fade_kind
        return out

    def _blend_window(self, k, G, H, Y, starts, ends, *, usable):
        """Frames whose window of length ``windows[k]`` is a blend of its end frames:
        (indices, end-frame difference, fade kind), or None."""
        A = G[starts]
        delta = G[ends] - A  # (B, D)
        dd = np.einsum("bd,bd->b", delta, delta)
        diff = np.sqrt(dd / delta.shape[1])
        ci = np.flatnonzero(usable & (diff >= 0.06))
        if not len(ci):
            return None
        # stage 1: the middle frame must be a half-half blend (cheap, rejects most)
        mid = G[starts[ci] + self.mid_offsets[k, 1]] - A[ci]
        a_mid = np.einsum("bd,bd->b", mid, delta[ci]) / dd[ci]
        ci = ci[np.abs(a_mid - self.mid_fracs[k, 1]) <= 0.15]
        if not len(ci):
            return None
        # stage 2: all three inner frames are blends with the right weights, small residual
        M = G[starts[ci, None] + self.mid_offsets[k]] - A[ci, None]  # (c, 3, D)
        dl = delta[ci]
        alpha = np.einsum("cfd,cd->cf", M, dl) / dd[ci, None]  # (c, 3)
        res = M - alpha[..., None] * dl[:, None]
        res_ratio = np.sqrt(np.einsum("cfd,cfd->cf", res, res) / dd[ci, None])
        good = (np.abs(alpha - self.mid_fracs[k]) <= 0.15).all(1) & (res_ratio <= 0.3).all(1)
        ci = ci[good]
        if not len(ci):
            return None
        # the end frames must differ like two shots do, or one of them must be black
        hist_change = 0.5 * np.abs(H[starts[ci]] - H[ends[ci]]).sum(1)
        lum_a, lum_b = Y[starts[ci]], Y[ends[ci]]
        fade = (np.minimum(lum_a, lum_b) < 0.04) & (np.abs(lum_a - lum_b) > 0.08)
        ok = (hist_change >= 0.3) | fade
        ci, fade, lum_a, lum_b = ci[ok], fade[ok], lum_a[ok], lum_b[ok]
        return ci, diff[ci], np.where(fade, np.where(lum_b < lum_a, 1.0, 2.0), 0.0)


def _dominant_hue(hsv_hist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dominant hue (degrees) and its strength per frame, from (B, H, S, V) histograms:
    the hue histogram (summed over V), each bin weighted by its saturation."""
    hue_hist = hsv_hist.sum(axis=3) @ _SAT_WEIGHTS  # (B, hue bins)
    dom = hue_hist.argmax(1)
    return (dom + 0.5) * (360.0 / _HIST_BINS[0]), hue_hist[np.arange(len(dom)), dom]


def analyze_frames(
    frames: Iterable[tuple[float, np.ndarray]],
    *,
    total: int | None = None,
    keep_keyframes: bool = True,
    progress: Progress = SILENT,
    stage_name: str = "Reading picture",
) -> VideoAnalysis:
    """Analyse a stream of ``(time_seconds, rgb uint8 (h, w, 3))`` frames in one pass.

    Parameters
    ----------
    frames : iterable of (float, ndarray (h, w, 3) uint8)
        Frames in presentation order, ideally about 160x90 (any size works; cost grows with it).
    total : int, optional
        Expected frame count, for the progress bar only.
    keep_keyframes : bool
        Keep small frames every ~0.5 s (at most KEYFRAME_LIMIT of them) for per-shot descriptors.

    Returns
    -------
    VideoAnalysis
    """
    import cv2

    batch = _Batcher()
    keyframes = _KeyframeStore(KEYFRAME_STEP, KEYFRAME_LIMIT)
    prev_grey = None
    frame_size = (0, 0)
    hist_sizes, hist_ranges = list(_HIST_BINS), [0, 180, 0, 256, 0, 256]
    area, linear = cv2.INTER_AREA, cv2.INTER_LINEAR
    with progress.stage(stage_name, total=total) as stage:
        for t, rgb in frames:
            if rgb.ndim != 3 or rgb.shape[2] != 3:
                raise ValueError(f"expected RGB frames (h, w, 3), got {rgb.shape}")
            h, w = rgb.shape[:2]
            frame_size = (w, h)
            # half size (an exact 2:1 area reduction is cv2's fast path at 160x90), then a
            # bilinear 2:1 step to quarter size (clean after the area step, and 3x cheaper
            # than cv2's non-integer area path): everything is measured at quarter size
            small = cv2.resize(rgb, (max(8, w // 2), max(8, h // 2)), interpolation=area)
            quarter = cv2.resize(small, (max(4, w // 4), max(4, h // 4)), interpolation=linear)
            hsv = cv2.cvtColor(quarter, cv2.COLOR_RGB2HSV)  # H in 0..179
            grey = cv2.cvtColor(quarter, cv2.COLOR_RGB2GRAY)
            hist = cv2.calcHist([hsv], [0, 1, 2], None, hist_sizes, hist_ranges).reshape(-1)
            motion = 0.0 if prev_grey is None else cv2.norm(grey, prev_grey, cv2.NORM_L1)
            prev_grey = grey
            batch.add(float(t), hist, cv2.resize(quarter, _DIST_THUMB, interpolation=area), grey, motion)
            if keep_keyframes:
                keyframes.offer(float(t), rgb)
            stage.advance()
    batch.flush()
    if batch.count == 0:
        raise NoFramesError("the video has no frames")
    return _decide(batch.measures(), keyframes.frames if keep_keyframes else [], frame_size)


# ----------------------------------------------------------------------------- decisions


def _local_median(x: np.ndarray, half: int) -> np.ndarray:
    """Running median of x over [i-half, i+half] (edges repeat the end values)."""
    from scipy.ndimage import median_filter

    if len(x) < 3:
        return np.zeros_like(x)
    return median_filter(x, size=2 * half + 1, mode="nearest")


def _decide(m: FrameMeasures, keyframes, frame_size) -> VideoAnalysis:
    """From the per-frame numbers to events: cuts (not flashes), transitions, clean motion."""
    times = m.column("time")
    n = len(times)
    frame_dt = float(np.median(np.diff(times))) if n > 1 else 1 / 25
    if not frame_dt > 0:
        frame_dt = 1 / 25
    fps = 1.0 / frame_dt
    # frames a flash may last (before/after lags compared)
    flash_frames = int(max(1, min(FLASH_LAGS, round(FLASH_MAX_SECONDS * fps))))
    lum = m.column("brightness")
    d1 = m.lag_distance[:, 0].astype(float)  # distance to the previous frame
    candidates, flashes = _cut_candidates(d1, m.lag_distance, lum, times, fps, flash_frames)
    transitions, covered = _transitions(m.blend_passed, lum, times, frame_dt, flashes, flash_frames)
    # hard cuts: candidates that are not inside a gradual transition
    cuts = [
        Cut(float(times[t]), int(t), float(min(1.0, d1[t])))
        for t in candidates
        if not (covered[max(0, t - 1)] and covered[min(n - 1, t + 1)])
    ]
    motion = _motion_without_events(m.column("motion"), times, cuts, flashes, transitions,
                                    flash_frames)
    return VideoAnalysis(
        times=times,
        duration=float(times[-1] + frame_dt),
        brightness=lum,
        saturation=m.column("saturation"),
        colourfulness=m.column("colourfulness"),
        hue=m.column("hue"),
        hue_strength=m.column("hue_strength"),
        motion=motion,
        cuts=cuts,
        transitions=transitions,
        flashes=flashes,
        beats=visual_beats(times, motion, exclude=[c.time for c in cuts] + flashes),
        keyframes=list(keyframes),
        frame_size=frame_size,
    )


def _cut_candidates(d1, lag, lum, times, fps: float, flash_frames: int) -> tuple[list[int], list[float]]:
    """Frames where the picture changes at once and for good (cut candidates), and the times
    of flashes: changes after which the picture comes back."""
    n = len(d1)
    level = _local_median(d1, max(3, int(round(0.5 * fps))))
    flashes: list[float] = []
    candidates: list[int] = []
    for t in np.flatnonzero((d1 > 0.25) & (d1 > 3.0 * level + 0.05)):
        back = _distance_back(lag, int(t), flash_frames)
        jump = lum[t] - lum[max(0, t - 1)]
        # the picture comes back (content as before); a bright spike may come back less exactly,
        # since the camera may have moved meanwhile
        returns = (back < 0.4 * d1[t] and back < 0.15) or (jump > 0.1 and back < 0.5 * d1[t] and back < 0.3)
        if returns:
            if jump > 0.05 and not (flashes and times[t] - flashes[-1] < 0.2):
                flashes.append(float(times[t]))
            continue
        lo, hi = max(0, t - 2), min(n, t + 3)
        neighbours = np.concatenate([d1[lo:t], d1[t + 1 : hi]])
        nb = float(neighbours.max()) if neighbours.size else 0.0
        # a cut changes the picture in ONE frame; motion (a jolt, a whip pan) and the decay of
        # a flash change it over several, so the peak must stand well above its neighbours
        if d1[t] < nb + 0.15 or d1[t] < 1.8 * nb:
            continue
        candidates.append(int(t))
    return candidates, flashes


def _distance_back(lag: np.ndarray, t: int, flash_frames: int) -> float:
    """How close the frames just after ``t`` come to those just before it (min distance of
    every pair within ``flash_frames``): small when the change at ``t`` was a flash."""
    n, n_lags = lag.shape
    back = np.inf
    for a_off in range(0, flash_frames + 1):
        u = t + a_off
        if u >= n:
            break
        for b_off in range(1, flash_frames + 2):
            j = a_off + b_off - 1  # lag index: distance from u to u-1-j = t-b_off
            if j >= n_lags or t - b_off < 0:
                break
            back = min(back, float(lag[u, j]))
    return back


def _transitions(passed, lum, times, frame_dt: float, flashes: list[float],
                 flash_frames: int) -> tuple[list[Transition], np.ndarray]:
    """Gradual transitions: runs of frames covered by passing blend windows (a fade out and
    in through black split at its darkest frame). Also returns the covered-frame mask."""
    n = len(times)
    covered = np.zeros(n, bool)
    for k, L in enumerate(BLEND_WINDOWS):
        for e in np.flatnonzero(passed[:, k]):
            covered[max(0, e - L + 1) : e + 1] = True
    for f in np.searchsorted(times, flashes):  # the decay of a flash is a brief blend toward white
        covered[max(0, f - 2) : f + flash_frames + 2] = False
    transitions: list[Transition] = []
    run_starts = np.flatnonzero(np.diff(np.concatenate([[0], covered.astype(np.int8)])) == 1)
    run_ends = np.flatnonzero(np.diff(np.concatenate([covered.astype(np.int8), [0]])) == -1)
    for a, b in zip(run_starts, run_ends):
        # too short to be a transition (the decay of a flash is a brief blend toward white)
        if times[b] - times[a] < max(2.5 * frame_dt, MIN_TRANSITION_SECONDS):
            continue
        pieces = [(a, b)]
        seg = lum[a : b + 1]
        m = a + int(np.argmin(seg))
        if seg.min() < 0.04 and lum[a] - seg.min() > 0.08 and lum[b] - seg.min() > 0.08:
            pieces = [(a, m), (m, b)]
        for pa, pb in pieces:
            if pb <= pa:
                continue
            if lum[pb] < 0.04 and lum[pa] - lum[pb] > 0.08:
                kind = "fade_out"
            elif lum[pa] < 0.04 and lum[pb] - lum[pa] > 0.08:
                kind = "fade_in"
            else:
                kind = "dissolve"
            transitions.append(Transition(float(times[pa]), float(times[pb]), int(pa), int(pb), kind))
    return transitions, covered


def _motion_without_events(motion, times, cuts, flashes, transitions, flash_frames: int) -> np.ndarray:
    """The motion curve with cuts, flashes and transitions interpolated over: they change the
    pixels without anything moving."""
    n = len(times)
    motion = motion.copy()
    bad = np.zeros(n, bool)
    bad[0] = True
    for c in cuts:
        bad[c.frame : c.frame + 1] = True
    for f in flashes:
        i = int(np.searchsorted(times, f))
        bad[max(0, i - 1) : min(n, i + flash_frames + 2)] = True
    for tr in transitions:
        bad[tr.start_frame : tr.end_frame + 1] = True
    if bad.all():
        motion[:] = 0.0
    elif bad.any():
        motion[bad] = np.interp(np.flatnonzero(bad), np.flatnonzero(~bad), motion[~bad])
    return motion


def visual_beats(
    times: np.ndarray,
    motion: np.ndarray,
    *,
    exclude: Iterable[float] = (),
    min_gap: float = 0.25,
    guard: float = 0.15,
) -> np.ndarray:
    """Times of sudden motion impacts: peaks of the positive change in motion energy.

    Parameters
    ----------
    times, motion : ndarray, shape (n,)
        Frame times (s) and motion energy.
    exclude : iterable of float
        Times (cuts, flashes) near which no beat is reported (within ``guard`` s).
    min_gap : float
        Minimum spacing between beats, seconds.

    Returns
    -------
    ndarray, shape (k,)
    """
    n = len(times)
    if n < 5:
        return np.zeros(0)
    dt = float(np.median(np.diff(times)))
    w = max(1, int(round(0.15 / dt)))
    # change of motion over ~0.15 s: acceleration onsets and sudden stops both count
    past = np.convolve(np.concatenate([np.full(w, motion[0]), motion]), np.ones(w) / w, "valid")[:n]
    change = np.abs(motion - past)
    scale = float(np.median(motion)) + 1e-4
    novelty = change / scale
    thresh = max(1.5, float(np.median(novelty) + 3 * np.std(novelty)))
    gap = max(1, int(round(min_gap / dt)))
    order = np.argsort(-novelty)
    chosen = np.zeros(n, bool)
    excl = np.asarray(list(exclude), float)
    for i in order:
        if novelty[i] < thresh or change[i] < 0.004:
            break
        if chosen[max(0, i - gap) : i + gap + 1].any():
            continue
        if excl.size and np.min(np.abs(excl - times[i])) < guard:
            continue
        chosen[i] = True
    return np.sort(times[chosen])


def analyze_video(
    path,
    *,
    progress: Progress = SILENT,
    keep_keyframes: bool = True,
    pixels: int = ANALYSIS_PIXELS,
    interpolation: str = DECODE_SCALER,
) -> VideoAnalysis:
    """Analyse the picture of the video file at ``path`` (one streaming decode at low res).

    Raises :class:`cinemuse.errors.BadInputError` for unreadable or frameless files.
    """
    from cinemuse.errors import BadInputError
    from cinemuse.io.video import iter_frames, probe_video

    info = probe_video(path)
    # width and height are the display size (rotation applied), as iter_frames yields them
    size = analysis_size(info.width, info.height, pixels=pixels)
    total = info.frame_count
    try:
        result = analyze_frames(
            prefetch(iter_frames(path, size=size, interpolation=interpolation), depth=24, name="cinemuse-decode"),
            total=total or None,
            keep_keyframes=keep_keyframes,
            progress=progress,
        )
    except NoFramesError:
        raise BadInputError(path, "the video has no frames") from None
    return result

