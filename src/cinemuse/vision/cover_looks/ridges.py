"""Ridges: the song's own spectrogram as stacked ridge lines (one line per time slice).

Each line is the log-mel spectrum of one slice of the song, low notes on the left; lines
further down the cover are later in the song, and each hides the ones behind it. Louder
sections rise higher; the line colour follows the section.
"""

from __future__ import annotations

import numpy as np

from cinemuse.vision.cover_looks.canvas import Canvas, Palette, smooth_curve


def draw(canvas: Canvas, profile, palette: Palette, rng: np.random.Generator,
         song_rng: np.random.Generator) -> None:
    w, h, u = canvas.width, canvas.height, canvas.unit
    canvas.fill_gradient(palette.background, palette.background2, angle_deg=90)
    spectrum = np.asarray(profile.spectrum, dtype=np.float64)  # (slices, bands)
    # per-song contrast stretch: quiet songs draw ridges as tall as loud ones
    lo, hi = np.percentile(spectrum, [25, 99.5])
    spectrum = np.clip((spectrum - lo) / max(hi - lo, 1e-6), 0, 1)
    n_lines = int(np.clip(len(spectrum), 24, 64))
    rows = np.linspace(0, len(spectrum) - 1, n_lines).round().astype(int)
    # frame: a centred block; taller canvases get more vertical room, not wider lines
    fx0, fy0, fx1, fy1 = canvas.frame
    fw, fh = fx1 - fx0, fy1 - fy0
    width_frac = rng.uniform(0.62, 0.74)
    x0, x1 = fx0 + fw * (0.5 - width_frac / 2), fx0 + fw * (0.5 + width_frac / 2)
    top, bottom = fy0 + fh * 0.2, fy0 + fh * 0.88
    n_pts = 220
    xs = np.linspace(x0, x1, n_pts)
    # a bell-shaped window keeps the edges flat, so ridges rise from a calm baseline
    window = np.exp(-0.5 * ((np.linspace(-1, 1, n_pts)) / rng.uniform(0.32, 0.42)) ** 4)
    spacing = (bottom - top) / n_lines
    amp = spacing * rng.uniform(4.0, 6.5) * (0.8 + 0.4 * (profile.arousal + 1) / 2)
    section_of = np.searchsorted([s.start for s in profile.sections],
                                 np.linspace(0, profile.duration, n_lines), side="right") - 1
    labels = sorted({s.label for s in profile.sections})
    thickness = max(2.0, u * 0.0016)
    jitter = rng.normal(0, 0.04, size=n_pts)
    for i, r in enumerate(rows):
        base_y = top + i * spacing
        bands = smooth_curve(spectrum[r], n_pts, sigma=1.2)
        bands = bands ** 1.5
        y = base_y - amp * window * (bands + np.abs(jitter) * window * bands)
        line = np.stack([xs, y], 1)
        # occlude the lines behind with the background colour at this height
        t = base_y / h
        bg = palette.background * (1 - t) + palette.background2 * t
        body = np.vstack([line, [[x1, base_y + spacing * 2], [x0, base_y + spacing * 2]]])
        canvas.polygon(body, bg)
        label = profile.sections[max(section_of[i], 0)].label if profile.sections else "A"
        colour = palette.ink(labels.index(label) if label in labels else 0)
        canvas.polyline(line, colour, thickness)
    # one accent: a short rule under the block at the loudest moment of the song
    loud_t = float(profile.curve_times[int(np.argmax(profile.energy_curve))]) / max(
        profile.duration, 1e-9)
    ax = x0 + (x1 - x0) * loud_t
    ay = bottom + spacing * 3.5
    canvas.polyline(np.array([[ax - u * 0.03, ay], [ax + u * 0.03, ay]]), palette.accent,
                    max(3.0, u * 0.004))
