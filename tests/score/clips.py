"""Test clips for the score tests and benchmarks: synthetic edits written with exact timestamps,
and the matching rules used to score detections against ground truth.

Videos are encoded straight with PyAV (not with ``cinemuse.io``) so that a writer bug cannot
hide a reader bug; timestamps are set explicitly, so variable frame rate is exact.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Sequence

import av
import numpy as np

from cinemuse.pipelines.demo import Edit, frame_times


def write_edit(
    path: str | Path,
    edit: Edit,
    *,
    fps: float | Fraction = 25,
    vfr: bool = False,
    seed: int = 0,
    crf: int = 20,
    audio: np.ndarray | None = None,
    sample_rate: int = 44100,
    rotation: int = 0,
) -> np.ndarray:
    """Encode ``edit`` as H.264 MP4 at ``fps`` (or VFR); return the frame times written.

    The time base is 1/90000 s, so every timestamp (29.97, VFR) is exact to 11 us.
    """
    rate = Fraction(fps).limit_denominator(100000)
    times = frame_times(edit.duration, fps=rate, vfr=vfr, seed=seed)
    tb = Fraction(1, 90000)
    w, h = edit.size
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.time_base = tb
        stream.codec_context.time_base = tb
        stream.codec_context.options = {"preset": "ultrafast", "crf": str(crf)}
        if rotation:
            stream.set_display_rotation(rotation)
        astream = None
        if audio is not None:
            astream = container.add_stream("aac", rate=sample_rate, layout="stereo")
        for t, rgb in edit.frames(times):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = int(round(t * 90000))
            frame.time_base = tb
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        if astream is not None:
            x = np.ascontiguousarray(np.asarray(audio, np.float32).T)
            step = 1024
            for i in range(0, x.shape[1], step):
                chunk = np.ascontiguousarray(x[:, i : i + step])
                af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
                af.sample_rate = sample_rate
                af.pts = i
                for packet in astream.encode(af):
                    container.mux(packet)
            for packet in astream.encode(None):
                container.mux(packet)
    return times


def true_cut_times(edit: Edit, times: np.ndarray) -> np.ndarray:
    """Time of the first frame of each new shot (the frame at or after each boundary)."""
    out = []
    for c in edit.cut_times():
        i = int(np.searchsorted(times, c - 1e-9))
        if i < len(times):
            out.append(times[i])
    return np.array(out)


def match_points(detected: Sequence[float], truth: Sequence[float], tol: float) -> tuple[int, int, int]:
    """Greedy one-to-one matching within ``tol`` seconds: (true positives, false pos., misses)."""
    det = sorted(detected)
    used = set()
    tp = 0
    for g in sorted(truth):
        best, best_d = None, tol + 1e-9
        for j, d in enumerate(det):
            if j not in used and abs(d - g) <= best_d:
                best, best_d = j, abs(d - g)
        if best is not None:
            used.add(best)
            tp += 1
    return tp, len(det) - tp, len(truth) - tp


def match_intervals(
    detected: Sequence[tuple[float, float]], truth: Sequence[tuple[float, float]], *, slack: float = 0.0
) -> tuple[int, int, int]:
    """One-to-one matching of intervals that overlap (after widening each by ``slack`` s)."""
    used = set()
    tp = 0
    for gs, ge in truth:
        for j, (ds, de) in enumerate(detected):
            if j in used:
                continue
            if min(ge, de) + slack >= max(gs, ds) - slack:
                used.add(j)
                tp += 1
                break
    return tp, len(detected) - tp, len(truth) - tp


def f1(tp: int, fp: int, fn: int) -> float:
    if tp == 0:
        return 0.0 if (fp or fn) else 1.0
    p, r = tp / (tp + fp), tp / (tp + fn)
    return 2 * p * r / (p + r)
