"""Synthetic edits: shots of still pictures with camera moves, cuts, fades, dissolves and flashes.

Used by ``cinemuse demo`` (with pictures painted in code, so it needs no files and no
network), and by the tests and benchmarks, which cut real photographs together and need
the exact ground truth of every cut and transition.

Example
-------
>>> shots = [Shot(img1, 3.0, move="pan_right"), Shot(img2, 2.0, transition="dissolve")]
>>> edit = Edit(shots, size=(320, 180))
>>> for t, rgb in edit.frames(frame_times(edit.duration, fps=25)): ...
>>> edit.cut_times(), edit.transitions()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterator

import numpy as np

MOVES = ("static", "pan_left", "pan_right", "pan_up", "zoom_in", "zoom_out", "shake")


@dataclass
class Shot:
    """One shot: a still ``image`` (bigger than the output is best) filmed with a camera move.

    ``transition`` says how this shot begins: "cut", "dissolve" (from the previous shot),
    "fade" (previous shot fades to black, this one fades in) or "fade_in" (from black, for
    the first shot). ``transition_length`` is the whole transition in seconds, centred on
    the shot boundary. ``flashes`` are times (seconds from the shot start) of brief flashes
    of light. ``speed`` scales the camera move; ``impacts`` are times of sudden camera jolts.
    """

    image: np.ndarray
    duration: float
    move: str = "static"
    speed: float = 1.0
    transition: str = "cut"
    transition_length: float = 0.8
    flashes: list[float] = field(default_factory=list)
    impacts: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.move not in MOVES:
            raise ValueError(f"unknown move {self.move!r}")
        if self.transition not in ("cut", "dissolve", "fade", "fade_in"):
            raise ValueError(f"unknown transition {self.transition!r}")


def frame_times(duration: float, *, fps: float | Fraction, vfr: bool = False, seed: int = 0) -> np.ndarray:
    """Presentation times of the frames of a clip of ``duration`` seconds.

    Constant rate: exact multiples of 1/fps (use ``Fraction(30000, 1001)`` for 29.97).
    ``vfr=True``: intervals vary at random between 0.5/fps and 1.5/fps (seeded), as a phone
    recording does, on a 1/90000 s clock.
    """
    fps = Fraction(fps).limit_denominator(100000)
    if not vfr:
        n = int(np.floor(duration * fps))
        return np.array([float(Fraction(i) / fps) for i in range(n)])
    rng = np.random.default_rng(seed)
    out, t = [], 0.0
    base = 1.0 / float(fps)
    while t < duration - 1e-9:
        out.append(round(t * 90000) / 90000)
        t += base * rng.uniform(0.5, 1.5)
    return np.array(out)


class Edit:
    """A sequence of shots rendered at ``size`` = (w, h), with exact ground truth."""

    def __init__(self, shots: list[Shot], *, size: tuple[int, int] = (320, 180)):
        if not shots:
            raise ValueError("an edit needs at least one shot")
        self.shots = shots
        self.size = size
        self.starts = np.concatenate([[0.0], np.cumsum([s.duration for s in shots])[:-1]])
        self.duration = float(sum(s.duration for s in shots))

    # ---- ground truth
    def cut_times(self) -> list[float]:
        """Boundaries that are hard cuts (time of the first frame of the new shot is >= this)."""
        return [float(self.starts[i]) for i, s in enumerate(self.shots) if i > 0 and s.transition == "cut"]

    def transitions(self) -> list[tuple[float, float, str]]:
        """Gradual transitions as (start, end, kind); a fade through black is two of them."""
        out = []
        for i, s in enumerate(self.shots):
            b, half = float(self.starts[i]), s.transition_length / 2
            if s.transition == "dissolve" and i > 0:
                out.append((b - half, b + half, "dissolve"))
            elif s.transition == "fade" and i > 0:
                out += [(b - half, b, "fade_out"), (b, b + half, "fade_in")]
            elif s.transition == "fade_in":
                out.append((b, b + half, "fade_in"))
        return out

    def flash_times(self) -> list[float]:
        return [float(self.starts[i] + f) for i, s in enumerate(self.shots) for f in s.flashes]

    # ---- rendering
    def _camera(self, shot: Shot, u: float, tau: float) -> np.ndarray:
        """2x3 affine map from output pixels to image pixels at shot progress u (0..1), time tau."""
        H, W = shot.image.shape[:2]
        w, h = self.size
        cover = max(w / W, h / H)  # scale that makes the image cover the frame
        zoom = 1.15
        travel = 0.12 * shot.speed
        cx, cy = 0.5, 0.5
        if shot.move == "zoom_in":
            zoom = 1.05 + 0.5 * shot.speed * u
        elif shot.move == "zoom_out":
            zoom = 1.05 + 0.5 * shot.speed * (1 - u)
        elif shot.move == "pan_left":
            cx = 0.5 + travel * (0.5 - u)
        elif shot.move == "pan_right":
            cx = 0.5 + travel * (u - 0.5)
        elif shot.move == "pan_up":
            cy = 0.5 + travel * (0.5 - u)
        zoom = max(zoom, 1.0 + 2 * travel)  # keep the window inside the image while panning
        jolt = np.zeros(2)
        if shot.move == "shake" or shot.impacts:
            for imp in shot.impacts:  # a jolt that decays within ~0.3 s
                d = tau - imp
                if 0 <= d < 0.3:
                    jolt += np.array([np.sin(40 * d), np.cos(33 * d)]) * 0.04 * (1 - d / 0.3)
            if shot.move == "shake":
                jolt += 0.01 * np.array([np.sin(7.1 * tau), np.sin(5.3 * tau + 1)])
        s = 1.0 / (cover * zoom)  # image pixels per output pixel
        x0 = (cx + jolt[0]) * W - s * w / 2
        y0 = (cy + jolt[1]) * H - s * h / 2
        return np.array([[s, 0, x0], [0, s, y0]], dtype=np.float64)

    def _shot_frame(self, i: int, t: float) -> np.ndarray:
        import cv2

        shot = self.shots[i]
        tau = t - self.starts[i]
        u = float(np.clip(tau / shot.duration, 0, 1))
        M = self._camera(shot, u, tau)
        frame = cv2.warpAffine(
            shot.image, M, self.size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT,
        ).astype(np.float32)
        for f in shot.flashes:  # a flash: the frame jumps toward white, then decays (~0.12 s)
            d = tau - f
            if 0 <= d < 0.12:
                k = 0.85 * (1 - d / 0.12)
                frame = frame + (255 - frame) * k
        return frame

    def frame_at(self, t: float) -> np.ndarray:
        """The RGB uint8 frame shown at time ``t``."""
        # a frame at (float-rounded) exactly a boundary belongs to the new shot
        i = int(np.clip(np.searchsorted(self.starts, t + 1e-9, side="right") - 1, 0, len(self.shots) - 1))
        frame = self._shot_frame(i, t)
        shot = self.shots[i]
        # transitions around the boundary at the start of shot i, and of shot i+1
        for j in (i, i + 1):
            if j >= len(self.shots) or (j == 0 and self.shots[0].transition != "fade_in"):
                continue
            nxt = self.shots[j]
            b, half = self.starts[j], nxt.transition_length / 2
            if not (b - half <= t < b + half):
                continue
            if nxt.transition == "dissolve" and j > 0:
                a = (t - (b - half)) / (2 * half)
                other = self._shot_frame(j - 1 if j == i else j, t)
                prev_f, next_f = (other, frame) if j == i else (frame, other)
                frame = (1 - a) * prev_f + a * next_f
            elif nxt.transition == "fade" and j > 0:
                level = (b - t) / half if t < b else (t - b) / half
                frame = frame * float(np.clip(level, 0, 1))
            elif nxt.transition == "fade_in" and j == i and t >= b:
                frame = frame * float(np.clip((t - b) / half, 0, 1))
        del shot
        return np.clip(frame, 0, 255).astype(np.uint8)

    def frames(self, times: np.ndarray) -> Iterator[tuple[float, np.ndarray]]:
        for t in times:
            yield float(t), self.frame_at(float(t))


# ----------------------------------------------------------------------------- painted scenes


def painted_scene(kind: str, *, size: tuple[int, int] = (960, 540), seed: int = 0) -> np.ndarray:
    """A picture painted in code (no files): "sunset", "ocean", "forest", "city", "meadow", "neon".

    Returns an RGB uint8 array of shape (h, w, 3).
    """
    import cv2

    w, h = size
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h)[:, None, None]
    x = np.linspace(0, 1, w)[None, :, None]

    def grad(top, bottom):
        top, bottom = np.array(top, np.float32), np.array(bottom, np.float32)
        return np.broadcast_to(top + (bottom - top) * y, (h, w, 3)).astype(np.float32).copy()

    if kind == "sunset":
        img = grad((60, 30, 110), (250, 140, 60))
        cv2.circle(img, (int(0.62 * w), int(0.62 * h)), int(0.09 * h), (255, 230, 150), -1)
        for k, col in enumerate([(70, 30, 60), (35, 15, 35)]):
            ridge = 0.68 + 0.08 * k + 0.05 * np.sin(np.linspace(0, 6 + 3 * k, w) + k)
            mask = y[:, :, 0] > ridge[None, :]
            img[mask] = col
    elif kind == "ocean":
        img = grad((120, 190, 240), (10, 60, 120))
        waves = 0.5 + 0.5 * np.sin(60 * y[:, :, 0] ** 1.5 + 8 * x[:, :, 0] * np.sin(3 * y[:, :, 0]))
        sea = np.broadcast_to(y[:, :, 0] > 0.45, (h, w))
        img[sea] += waves[sea][:, None] * np.array([30, 40, 50], np.float32)
        cv2.circle(img, (int(0.2 * w), int(0.2 * h)), int(0.06 * h), (255, 255, 230), -1)
    elif kind == "forest":
        img = grad((170, 210, 190), (30, 70, 30))
        for _ in range(70):
            cx, base = int(rng.uniform(0, w)), int(rng.uniform(0.45, 1.0) * h)
            tw, th = int(rng.uniform(0.03, 0.07) * w), int(rng.uniform(0.25, 0.5) * h)
            g = rng.uniform(40, 110)
            pts = np.array([[cx - tw, base], [cx + tw, base], [cx, base - th]], np.int32)
            cv2.fillPoly(img, [pts], (g * 0.3, g, g * 0.35))
    elif kind == "city":
        img = grad((10, 10, 40), (40, 20, 60))
        for _ in range(26):
            bx, bw = int(rng.uniform(0, w)), int(rng.uniform(0.04, 0.1) * w)
            top = int(rng.uniform(0.2, 0.6) * h)
            cv2.rectangle(img, (bx, top), (bx + bw, h), (20, 20, 28), -1)
            for wy in range(top + 8, h - 6, 14):
                for wx in range(bx + 5, bx + bw - 5, 11):
                    if rng.random() < 0.45:
                        c = (255, 210, 120) if rng.random() < 0.8 else (140, 200, 255)
                        cv2.rectangle(img, (wx, wy), (wx + 5, wy + 7), c, -1)
    elif kind == "meadow":
        img = grad((90, 160, 250), (120, 200, 80))
        field_ = np.broadcast_to(y[:, :, 0] > 0.55, (h, w))
        img[field_] = np.array([90, 170, 60]) * (0.8 + 0.4 * rng.random((int(field_.sum()), 1)))
        for _ in range(300):
            px, py = int(rng.uniform(0, w)), int(rng.uniform(0.58, 1.0) * h)
            col = [(250, 230, 60), (250, 90, 120), (255, 255, 255)][rng.integers(3)]
            cv2.circle(img, (px, py), int(rng.integers(2, 6)), col, -1)
        for _ in range(4):
            cx, cy = int(rng.uniform(0, w)), int(rng.uniform(0.05, 0.3) * h)
            cv2.ellipse(img, (cx, cy), (int(0.08 * w), int(0.04 * h)), 0, 0, 360, (245, 245, 250), -1)
    elif kind == "neon":
        img = np.zeros((h, w, 3), np.float32) + 15
        for _ in range(40):
            col = tuple(float(c) for c in rng.choice([[255, 40, 200], [40, 220, 255], [255, 220, 40], [120, 255, 80]]))
            cv2.circle(img, (int(rng.uniform(0, w)), int(rng.uniform(0, h))), int(rng.uniform(0.02, 0.12) * h), col, int(rng.integers(2, 7)))
    else:
        raise ValueError(f"unknown scene {kind!r}")
    img = cv2.GaussianBlur(img, (0, 0), 1.2)
    img += rng.normal(0, 3, img.shape).astype(np.float32)  # film grain, so nothing is flat
    return np.clip(img, 0, 255).astype(np.uint8)


def demo_edit(*, size: tuple[int, int] = (640, 360), seed: int = 0, length: float = 15.0) -> Edit:
    """The edit ``cinemuse demo`` scores: calm open, a build, an action burst, a calm end.

    15 s by default; ``length`` scales every shot and transition (and flash/jolt times).
    """
    scenes = {k: painted_scene(k, seed=seed + i) for i, k in enumerate(
        ("sunset", "ocean", "forest", "city", "neon", "meadow"))}
    shots = [
        Shot(scenes["sunset"], 3.0, move="zoom_in", speed=0.4, transition="fade_in", transition_length=1.6),
        Shot(scenes["ocean"], 2.5, move="pan_right", speed=1.0, transition="dissolve", transition_length=0.8),
        Shot(scenes["forest"], 2.0, move="pan_left", speed=1.5),
        Shot(scenes["city"], 1.2, move="shake", impacts=[0.4]),
        Shot(scenes["neon"], 1.0, move="zoom_out", speed=1.2, flashes=[0.5]),
        Shot(scenes["city"], 0.8, move="pan_up", speed=2.0),
        Shot(scenes["neon"], 1.5, move="shake", impacts=[0.3, 0.9]),
        Shot(scenes["meadow"], 3.0, move="zoom_out", speed=0.4, transition="fade", transition_length=1.0),
    ]
    k = length / sum(sh.duration for sh in shots)
    for sh in shots:
        sh.duration *= k
        sh.transition_length *= k
        sh.flashes = [f * k for f in sh.flashes]
        sh.impacts = [f * k for f in sh.impacts]
    return Edit(shots, size=size)
