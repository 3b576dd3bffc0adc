"""Where a photo's subject is, and a slow camera move towards it (the "Ken Burns" effect).

Subject
-------
Faces first: YuNet (Wu, Peng & Yu 2023), a 230 kB CPU face detector shipped in
``assets/vision/yunet_face.onnx`` (Apache-2.0) and run by OpenCV's ``FaceDetectorYN``, on
the photo scaled to at most 640 px. Without faces, the subject is the bounding box of the
most salient part of the photo by frequency-tuned saliency (Achanta et al., CVPR 2009: each
pixel's Lab distance from the photo's mean colour, with a mild centre prior); the box is the
connected region around the peak of the map's top half of mass.

Motion
------
A move is two crop rectangles of the frame's aspect, ``start`` and ``end``, in photo
pixels; every frame shows the rectangle between them at an eased progress (half linear,
half smoothstep: no jolt at either end, peak speed 1.25x the average). Rectangles
interpolate edge by edge, so any box inside both ends is inside every frame: faces are
kept in frame by making both ends contain them (with head room). Zoom is at most
``MAX_ZOOM`` over a photo and ``ZOOM_PER_SECOND`` a second; pans at most
``PAN_PER_SECOND`` frame widths a second. Moves alternate zoom in / zoom out. Rendering is
one ``cv2.warpAffine`` per frame with a float matrix (sub-pixel positions: no shimmer on
slow zooms) from a copy of the photo prescaled so the move never magnifies more than
needed.

Three framings, by the photo's aspect ``a`` against the frame's ``A``:

* ``fill`` (0.72 <= a/A <= 1.4): the crop always lies inside the photo, so there is never
  a black bar.
* ``pan`` (a/A > 1.4: panoramas, and landscape photos in a vertical film): the crop fills
  the height and travels along the long side, towards the subject, at the capped speed.
* ``fit`` (a/A < 0.72: portrait photos in a landscape film; and a group whose faces are
  wider than the frame would be in ``pan``): the whole photo, always all in view, zooming
  gently up to the frame's height (or width), over a blurred, darkened copy of itself
  filling the frame (no bars, nobody loses their head).
* Faces too tall for their head room (a face filling the photo's height) are kept by
  their bare boxes.
"""

from __future__ import annotations

import contextlib
import math
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

FACE_ASSET = "vision/yunet_face.onnx"
DETECT_SIDE = 640
FACE_SCORE = 0.75
MAX_ZOOM = 1.18
ZOOM_PER_SECOND = 0.035
PAN_PER_SECOND = 0.06  # frame widths a second
HEADROOM = 0.35  # a face's box grows by this share of its height above (hair), 0.15 around
FILL_RANGE = (0.72, 1.4)


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in photo pixels: x0 <= x1, y0 <= y1."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def w(self) -> float:
        return self.x1 - self.x0

    @property
    def h(self) -> float:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return 0.5 * (self.x0 + self.x1)

    @property
    def cy(self) -> float:
        return 0.5 * (self.y0 + self.y1)

    def union(self, other: "Box") -> "Box":
        return Box(min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1))

    def scaled(self, s: float) -> "Box":
        return Box(self.x0 * s, self.y0 * s, self.x1 * s, self.y1 * s)

    def contains(self, other: "Box", tol: float = 1e-6) -> bool:
        return (self.x0 <= other.x0 + tol and self.y0 <= other.y0 + tol
                and self.x1 >= other.x1 - tol and self.y1 >= other.y1 - tol)

    def to_list(self) -> list[float]:
        return [round(self.x0, 2), round(self.y0, 2), round(self.x1, 2), round(self.y1, 2)]


@dataclass(frozen=True)
class Subject:
    """What to move towards: ``box``; ``faces`` must stay in frame; ``kind`` says how it was found."""

    box: Box
    faces: tuple[Box, ...]
    kind: str  # "faces" | "saliency"


# ----------------------------------------------------------------------------- faces


class _FaceDetector:
    """One OpenCV YuNet detector per thread (FaceDetectorYN keeps per-call state)."""

    def __init__(self) -> None:
        from cinemuse.assets import asset_path

        self.path = str(asset_path(FACE_ASSET))
        self.local = threading.local()

    def detect(self, bgr: np.ndarray) -> np.ndarray:
        import cv2

        det = getattr(self.local, "det", None)
        if det is None:
            with contextlib.suppress(Exception):  # the DNN engine's target warnings are noise to users
                cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
            det = cv2.FaceDetectorYN.create(self.path, "", (DETECT_SIDE, DETECT_SIDE), FACE_SCORE, 0.3, 50)
            self.local.det = det
        det.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, faces = det.detect(bgr)
        return np.zeros((0, 15), np.float32) if faces is None else faces


@lru_cache(maxsize=1)
def _detector() -> _FaceDetector:
    return _FaceDetector()


def detect_faces(rgb: np.ndarray) -> list[Box]:
    """Face boxes (photo pixels), largest first.

    Parameters
    ----------
    rgb : np.ndarray, shape (H, W, 3), uint8
    """
    import cv2

    h, w = rgb.shape[:2]
    s = min(1.0, DETECT_SIDE / max(h, w))
    small = cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA) if s < 1 else rgb
    faces = _detector().detect(np.ascontiguousarray(small[:, :, ::-1]))
    boxes = []
    for x, y, fw, fh in faces[:, :4]:
        b = Box(max(0.0, x / s), max(0.0, y / s), min(float(w), (x + fw) / s), min(float(h), (y + fh) / s))
        if b.w > 2 and b.h > 2:
            boxes.append(b)
    return sorted(boxes, key=lambda b: -b.w * b.h)


# ----------------------------------------------------------------------------- saliency


def saliency_map(rgb: np.ndarray, side: int = 96) -> np.ndarray:
    """Frequency-tuned saliency (Achanta et al., CVPR 2009) at ``side`` px wide; (h, side) float32, sums to 1.

    Each pixel's distance in CIE Lab from the picture's mean colour, after a small blur: what
    stands out from the overall colour of the scene.
    """
    import cv2

    h, w = rgb.shape[:2]
    sh = max(8, round(side * h / w))
    small = cv2.resize(rgb, (side, sh), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (0, 0), 1.0), cv2.COLOR_RGB2LAB)
    sal = np.sqrt(((lab - lab.reshape(-1, 3).mean(0)) ** 2).sum(axis=2))
    # a mild centre prior: photographers frame subjects away from the very edges
    yy, xx = np.mgrid[0:sh, 0:side]
    prior = np.exp(-(((xx - side / 2) / (0.7 * side)) ** 2 + ((yy - sh / 2) / (0.7 * sh)) ** 2))
    sal = (sal * prior).astype(np.float32) ** 2  # squared: the standing-out parts dominate
    return sal / max(float(sal.sum()), 1e-12)


def salient_box(rgb: np.ndarray, mass: float = 0.5) -> Box:
    """The box (photo pixels) around the saliency peak holding ``mass`` of the map's total."""
    sal = saliency_map(rgb)
    sh, sw = sal.shape
    h, w = rgb.shape[:2]
    thresh = np.sort(sal.ravel())[::-1]
    cut = thresh[min(len(thresh) - 1, int(np.searchsorted(np.cumsum(thresh), mass)))]
    import cv2

    _, labels = cv2.connectedComponents((sal >= cut).astype(np.uint8))
    peak = np.unravel_index(int(np.argmax(sal)), sal.shape)
    ys, xs = np.nonzero(labels == labels[peak])  # the region around the peak only
    sx, sy = w / sw, h / sh
    return Box(float(xs.min() * sx), float(ys.min() * sy), float((xs.max() + 1) * sx), float((ys.max() + 1) * sy))


def find_subject(rgb: np.ndarray) -> Subject:
    """Faces if there are any (the larger ones), else the salient region."""
    faces = detect_faces(rgb)
    if faces:
        big = faces[0].w * faces[0].h
        kept = tuple(f for f in faces if f.w * f.h >= 0.15 * big)  # ignore tiny background faces
        box = kept[0]
        for f in kept[1:]:
            box = box.union(f)
        return Subject(box=box, faces=kept, kind="faces")
    return Subject(box=salient_box(rgb), faces=(), kind="saliency")


# ----------------------------------------------------------------------------- motion


@dataclass(frozen=True)
class Motion:
    """A camera move over one photo: crop rectangles (cx, cy, width) at the start and end."""

    mode: str  # "fill" | "pan" | "fit"
    start: tuple[float, float, float]
    end: tuple[float, float, float]
    aspect: float  # frame width / height

    def crop_at(self, u: float) -> Box:
        """The crop rectangle at progress ``u`` in 0..1 (eased)."""
        e = ease(min(max(u, 0.0), 1.0))
        cx, cy, w = (a + (b - a) * e for a, b in zip(self.start, self.end))
        h = w / self.aspect
        return Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def ease(u: float) -> float:
    """Half linear, half smoothstep: starts and ends gently, never stops mid-move."""
    return 0.5 * u + 0.5 * u * u * (3.0 - 2.0 * u)


def face_keep_box(faces: tuple[Box, ...], width: float, height: float, *, room: bool = True) -> Box | None:
    """The faces' union with head room (``room``; else the bare boxes), clipped to the photo;
    None without faces."""
    if not faces:
        return None
    keep = None
    for f in faces:
        r = 1.0 if room else 0.0
        g = Box(f.x0 - r * 0.15 * f.w, f.y0 - r * HEADROOM * f.h, f.x1 + r * 0.15 * f.w, f.y1 + r * 0.15 * f.h)
        keep = g if keep is None else keep.union(g)
    return Box(max(0.0, keep.x0), max(0.0, keep.y0), min(width, keep.x1), min(height, keep.y1))


def framing_mode(width: int, height: int, aspect: float) -> str:
    r = (width / height) / aspect
    if r > FILL_RANGE[1]:
        return "pan"
    if r < FILL_RANGE[0]:
        return "fit"
    return "fill"


def _centre_range(size: float, crop: float, spans: list[tuple[float, float]]) -> tuple[float, float]:
    """Allowed crop centres on one axis: inside the photo, and containing the first of the
    keep ``spans`` (most generous first) that fits in the crop."""
    lo, hi = crop / 2, size - crop / 2
    for a, b in spans:
        if b - a <= crop + 1e-6:
            lo, hi = max(lo, b - crop / 2), min(hi, a + crop / 2)
            break
    return (lo, hi) if lo <= hi else ((lo + hi) / 2, (lo + hi) / 2)


def _place(width, height, crop_w, aspect, want: tuple[float, float], keeps: tuple[Box, ...]):
    """The crop centre nearest ``want`` that keeps the faces in: with their head room if that
    fits, else the bare face boxes (a face filling the photo's height has no room above it)."""
    crop_h = crop_w / aspect
    xr = _centre_range(width, crop_w, [(k.x0, k.x1) for k in keeps])
    yr = _centre_range(height, crop_h, [(k.y0, k.y1) for k in keeps])
    return (float(np.clip(want[0], *xr)), float(np.clip(want[1], *yr)), float(crop_w))


def plan_motion(width: int, height: int, aspect: float, subject: Subject, *, duration: float, index: int) -> Motion:
    """The camera move for one photo shown ``duration`` seconds; ``index`` alternates directions."""
    mode = framing_mode(width, height, aspect)
    full_w = min(float(width), height * aspect)  # the largest crop of the frame's aspect
    keep = face_keep_box(subject.faces, width, height)
    keeps = () if keep is None else (keep, face_keep_box(subject.faces, width, height, room=False))
    if mode == "pan" and keep is not None and keeps[1].w > full_w:
        mode = "fit"  # a group too wide for the frame (a vertical film): show the whole photo
    zoom = min(MAX_ZOOM, 1.0 + ZOOM_PER_SECOND * max(duration, 0.5))
    if mode == "fit":
        # the whole photo in every frame: a gentle zoom from a little smaller to the frame's height
        start, end = (width / 2, height / 2, zoom), (width / 2, height / 2, 1.0)
        if index % 2:
            start, end = end, start
        return Motion("fit", start, end, aspect)
    if mode == "pan":
        zoom = min(zoom, 1.06)
    wide_w = full_w
    tight_w = full_w / zoom
    if keep is not None:  # the faces must fit the tight crop (with their head room)
        tight_w = min(wide_w, max(tight_w, keep.w, keep.h * aspect))
    target = (subject.box.cx, subject.box.cy)
    tight = _place(width, height, tight_w, aspect, target, keeps)
    if mode == "pan":
        # travel along the long side towards the subject, as far as the speed cap allows
        travel = PAN_PER_SECOND * duration * wide_w
        side = -1.0 if index % 2 == 0 else 1.0
        wide = _place(width, height, wide_w, aspect, (tight[0] + side * travel, tight[1]), keeps)
    else:
        wide = _place(width, height, wide_w, aspect, (0.5 * (width / 2 + target[0]), 0.5 * (height / 2 + target[1])), keeps)
        max_shift = PAN_PER_SECOND * duration * wide_w
        dx, dy = tight[0] - wide[0], tight[1] - wide[1]
        dist = math.hypot(dx, dy)
        if dist > max_shift:  # too far to travel gently: start closer to the subject
            k = 1.0 - max_shift / dist
            wide = _place(width, height, wide_w, aspect, (wide[0] + k * dx, wide[1] + k * dy), keeps)
    start, end = (wide, tight) if index % 2 == 0 else (tight, wide)
    return Motion(mode, start, end, aspect)


# ----------------------------------------------------------------------------- rendering


def prescale_factor(motion: Motion, frame: tuple[int, int], photo_h: int, photo_w: int | None = None) -> float:
    """How much to shrink the photo before rendering: its tightest view maps to >= the frame's pixels."""
    if motion.mode == "fit":
        return min(1.0, 1.02 / _fit_base(photo_w or 0, photo_h, frame))
    tight = min(motion.start[2], motion.end[2])
    return min(1.0, 1.02 * frame[0] / tight)


def render_crop(src: np.ndarray, crop: Box, size: tuple[int, int], *, extra_zoom: float = 1.0,
                dst: np.ndarray | None = None) -> np.ndarray:
    """The crop of ``src`` resampled to ``size`` (w, h), sub-pixel exact (bilinear).

    ``extra_zoom`` > 1 magnifies about the frame centre (the zoom transition); ``dst`` given:
    drawn over it where the photo covers the frame (the blurred fill behind a fitted photo).
    """
    import cv2

    w, h = size
    s = w / crop.w * extra_zoom
    cx, cy = crop.cx, crop.cy
    # frame pixel centres map to photo pixel centres (the half-pixel terms keep zooms steady)
    m = np.array([[s, 0.0, w / 2 - s * cx - 0.5 + 0.5 * s], [0.0, s, h / 2 - s * cy - 0.5 + 0.5 * s]])
    if dst is None:
        return cv2.warpAffine(src, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    out = dst.copy()
    cv2.warpAffine(src, m, (w, h), dst=out, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)
    return out


def fit_crop(motion: Motion, u: float, photo_w: int, photo_h: int, frame: tuple[int, int]) -> Box:
    """For ``fit`` framing: the window (photo pixels) the frame shows at progress ``u``.

    At zoom 1 the photo fills the frame's height (or its width, for a photo wider than the
    frame); the window never gets smaller than the photo (``Motion.start/end[2]`` >= 1 is the
    inverse zoom), so all of it is always in view.
    """
    e = ease(min(max(u, 0.0), 1.0))
    inv = motion.start[2] + (motion.end[2] - motion.start[2]) * e
    fw, fh = frame
    base = _fit_base(photo_w, photo_h, frame)
    win_w, win_h = fw * base * inv, fh * base * inv
    cx, cy = photo_w / 2, photo_h / 2
    return Box(cx - win_w / 2, cy - win_h / 2, cx + win_w / 2, cy + win_h / 2)


def _fit_base(photo_w: int, photo_h: int, frame: tuple[int, int]) -> float:
    """Photo pixels per frame pixel when the whole photo just fits the frame."""
    return max(photo_h / frame[1], photo_w / frame[0])


def blurred_fill(rgb: np.ndarray, frame: tuple[int, int]) -> np.ndarray:
    """The photo cropped to fill the frame, blurred and darkened: the backdrop for ``fit``."""
    import cv2

    fw, fh = frame
    h, w = rgb.shape[:2]
    s = max(fw / w, fh / h)
    small_s = s / 8.0  # blur at an eighth of the size: cheap and smooth
    small = cv2.resize(rgb, (max(1, round(w * small_s)), max(1, round(h * small_s))), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), 3.0)
    big = cv2.resize(small, (max(fw, round(w * s)), max(fh, round(h * s))), interpolation=cv2.INTER_LINEAR)
    y0, x0 = (big.shape[0] - fh) // 2, (big.shape[1] - fw) // 2
    return (big[y0 : y0 + fh, x0 : x0 + fw].astype(np.float32) * 0.55).astype(np.uint8)
