"""The ``thumbnail`` job: the best frame of a video, framed 1280x720, with an optional title.

Pass 1 reads the video at 256 px wide, four frames a second, and scores each sample:

* **sharpness** — variance of the Laplacian (blurred and motion-smeared frames lose);
* **exposure** — mean luma near 0.45 and few clipped pixels (``io``'s 0..1 scale);
* **colourfulness** — Hasler & Süsstrunk (2003);
* **steadiness** — mean absolute difference to the samples before and after: a frame in a
  fade, dissolve or whip pan differs from its neighbours, a held shot does not;
* **faces** — YuNet (the slideshow's detector) on the twelve best-scoring samples; a frame
  with a face of fair size wins ties, as a person makes a thumbnail people click.

Each measure is turned into a rank percentile over the video (robust to its own range),
and the weighted sum picks the frame. The first and last 3 % of the video are left out
(titles, black). Pass 2 decodes that frame at full size; it is framed to 1280x720 by
:mod:`cinemuse.vision.framing` (the faces, else the salient region, kept in; a portrait
video fitted over a blurred fill) and the title set with :mod:`cinemuse.vision.titles`.
The JPEG is under 2 MB.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cinemuse.progress import SILENT, Progress

SIZE = (1280, 720)
SAMPLE_FPS = 4.0
WEIGHTS = {"sharpness": 0.3, "exposure": 0.25, "colourfulness": 0.15, "steadiness": 0.3}
FACE_BONUS = 0.35


@dataclass(frozen=True)
class ThumbnailResult:
    output: str
    time: float  # seconds into the video of the chosen frame
    score: float
    faces: int
    size: tuple[int, int]
    bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {"output": self.output, "time": round(self.time, 3), "score": round(self.score, 4),
                "faces": self.faces, "size": list(self.size), "bytes": self.bytes}


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(np.argsort(x))
    return order / max(len(x) - 1, 1)


def frame_measures(rgb: np.ndarray) -> dict[str, float]:
    import cv2

    from cinemuse.vision.color import colourfulness

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    luma = grey.astype(np.float32) / 255.0
    clipped = float(np.mean((luma < 0.02) | (luma > 0.98)))
    return {
        "sharpness": float(cv2.Laplacian(grey, cv2.CV_32F).var()),
        "exposure": float(1.0 - 2.0 * abs(luma.mean() - 0.45) - 2.0 * clipped),
        "colourfulness": colourfulness(rgb),
    }


def score_samples(video: Path, progress: Progress = SILENT) -> tuple[np.ndarray, np.ndarray, dict]:
    """(times, combined scores, per-measure arrays) over the pass-1 samples."""
    from cinemuse.io.video import iter_frames, probe_video

    info = probe_video(video)
    w = 256
    h = max(2, round(w * info.height / max(info.width, 1) / 2) * 2)
    times, feats, smalls = [], {k: [] for k in ("sharpness", "exposure", "colourfulness")}, []
    prev = None
    diffs = []
    for t, rgb in iter_frames(video, size=(w, h), fps=SAMPLE_FPS, progress=progress):
        m = frame_measures(rgb)
        for k in feats:
            feats[k].append(m[k])
        grey = rgb.mean(axis=2)
        diffs.append(0.0 if prev is None else float(np.mean(np.abs(grey - prev))))
        prev = grey
        times.append(t)
    times = np.array(times)
    d = np.array(diffs + [diffs[-1] if diffs else 0.0])
    unsteady = np.maximum(d[:-1], d[1:]) if len(d) > 1 else np.zeros(len(times))
    arrays = {k: np.array(v) for k, v in feats.items()}
    arrays["steadiness"] = -unsteady[: len(times)]
    score = sum(WEIGHTS[k] * _ranks(arrays[k]) for k in WEIGHTS)
    edge = (times < 0.03 * times[-1]) | (times > 0.97 * times[-1]) if len(times) > 10 else np.zeros(len(times), bool)
    score = np.where(edge, -1.0, score)
    return times, score, arrays


def frames_at(video: Path, wanted: list[float], max_side: int = 1920) -> dict[float, np.ndarray]:
    """One decoding pass: the first frame at or after each wanted time, at most ``max_side`` px."""
    import cv2

    from cinemuse.io.video import iter_frames

    todo = sorted(wanted)
    got: dict[float, np.ndarray] = {}
    for ft, rgb in iter_frames(video):
        while todo and ft >= todo[0] - 1e-6:
            s = min(1.0, max_side / max(rgb.shape[:2]))
            got[todo.pop(0)] = rgb if s >= 1 else cv2.resize(rgb, (round(rgb.shape[1] * s), round(rgb.shape[0] * s)),
                                                             interpolation=cv2.INTER_AREA)
        if not todo:
            break
    return got


def pick_frame(video: Path, progress: Progress = SILENT) -> tuple[float, float, np.ndarray, Any]:
    """(time, score, RGB at up to 1920 px, Subject) of the best frame."""
    from cinemuse.vision.framing import find_subject

    times, score, _ = score_samples(video, progress)
    best = float(score.max())
    cands = [int(i) for i in np.argsort(-score)[:12] if score[i] >= best - FACE_BONUS]
    frames = frames_at(video, [float(times[i]) for i in cands])
    choice = None
    for i in cands:
        frame = frames.get(float(times[i]))
        if frame is None:
            continue
        subject = find_subject(frame)
        s = score[i] + (FACE_BONUS if subject.kind == "faces" and subject.box.h > 0.08 * frame.shape[0] else 0.0)
        if choice is None or s > choice[1]:
            choice = (float(times[i]), float(s), frame, subject)
    return choice


def frame_picture(rgb: np.ndarray, subject, size: tuple[int, int] = SIZE) -> np.ndarray:
    """The frame cropped (or fitted over a blurred fill) to ``size``, keeping the subject in."""
    from cinemuse.vision.framing import blurred_fill, fit_crop, plan_motion, render_crop

    h, w = rgb.shape[:2]
    motion = plan_motion(w, h, size[0] / size[1], subject, duration=1.0, index=0)
    if motion.mode == "fit":
        return render_crop(rgb, fit_crop(motion, 1.0, w, h, size), size, dst=blurred_fill(rgb, size))
    return render_crop(rgb, motion.crop_at(0.0), size)


def make_thumbnail(video: str | os.PathLike, out: str | os.PathLike, *, title: str | None = None, force: bool = False,
                   progress: Progress = SILENT) -> ThumbnailResult:
    """Write the video's best frame as a 1280x720 JPEG (or PNG) with an optional title."""
    import cv2

    from cinemuse.errors import UsageError
    from cinemuse.io.atomic import atomic_output, check_input_file, check_output_path
    from cinemuse.vision.cover import save_image
    from cinemuse.vision.fonts import require_covered
    from cinemuse.vision.titles import draw_title

    video, out = Path(video), Path(out)
    if out.suffix.lower() not in (".jpg", ".jpeg", ".png"):
        raise UsageError(f"{out}: output must be .jpg or .png")
    require_covered(title, "--title")
    check_input_file(video)
    check_output_path(out, force=force)
    t, score, frame, subject = pick_frame(video, progress)
    if frame.shape[1] < SIZE[0] // 2:  # tiny videos: upscale smoothly before framing
        frame = cv2.resize(frame, (frame.shape[1] * 2, frame.shape[0] * 2), interpolation=cv2.INTER_CUBIC)
        subject = type(subject)(subject.box.scaled(2), tuple(f.scaled(2) for f in subject.faces), subject.kind)
    picture = frame_picture(frame, subject)
    if title:
        picture = draw_title(picture, title, position="bottom", scale=0.09)
    with atomic_output(out, force=force) as tmp:
        quality = 90
        save_image(tmp, picture, quality=quality)
        while tmp.stat().st_size >= 2_000_000 and quality > 50:
            quality -= 10
            save_image(tmp, picture, quality=quality)
    return ThumbnailResult(str(out), t, score, len(subject.faces), SIZE, out.stat().st_size)
