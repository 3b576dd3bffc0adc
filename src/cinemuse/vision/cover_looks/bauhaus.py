"""Bauhaus: a geometric grid read like a score. Cells run through the song in reading order;
each cell's shape and size come from the energy at its time, its colour from its section,
and the grid size from the number of beats in a bar.
"""

from __future__ import annotations

import numpy as np

from cinemuse.vision.cover_looks.canvas import Canvas, Palette


def draw(canvas: Canvas, profile, palette: Palette, rng: np.random.Generator,
         song_rng: np.random.Generator) -> None:
    w, h, u = canvas.width, canvas.height, canvas.unit
    canvas.fill_gradient(palette.background, palette.background2, angle_deg=90)
    n = 3 if profile.beats_per_bar == 3 else 4
    cols = n
    rows = max(n, int(round(n * h / w)))
    fx0, fy0, fx1, fy1 = canvas.frame
    margin = u * 0.08
    cell = min((fx1 - fx0 - 2 * margin) / cols, (fy1 - fy0 - 2 * margin) / rows)
    ox, oy = (fx0 + fx1 - cell * cols) / 2, (fy0 + fy1 - cell * rows) / 2
    duration = max(profile.duration, 1e-6)
    labels = sorted({s.label for s in profile.sections}) or ["A"]
    starts = np.array([s.start for s in profile.sections] or [0.0])
    gap = cell * 0.06
    for r in range(rows):
        for c in range(cols):
            i = r * cols + c
            t = (i + 0.5) / (rows * cols) * duration
            e = float(np.interp(t, profile.curve_times, profile.energy_curve))
            sec = int(np.clip(np.searchsorted(starts, t, "right") - 1, 0, len(labels) * 99))
            label = profile.sections[sec].label if profile.sections else "A"
            colour = palette.ink(labels.index(label))
            x0, y0 = ox + c * cell + gap, oy + r * cell + gap
            x1, y1 = x0 + cell - 2 * gap, y0 + cell - 2 * gap
            cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2
            # a tinted tile behind every other cell gives the grid structure
            if (r + c + song_rng.integers(0, 2)) % 2 == 0:
                canvas.polygon(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]), colour,
                               alpha=0.18)
            pick = song_rng if rng.random() < 0.75 else rng  # mostly the song's own grid
            kind = pick.choice(["circle", "quarter", "half", "bars"],
                              p=[0.2 + 0.3 * e, 0.3 - 0.1 * e, 0.3 - 0.1 * e, 0.2 - 0.1 * e])
            if kind == "circle":
                canvas.circle((cx, cy), half * (0.35 + 0.6 * e), colour)
                if e > 0.7:
                    canvas.circle((cx, cy), half * 0.22, palette.accent)
            elif kind == "quarter":
                corner = pick.integers(0, 4)
                px, py = (x0, x1, x1, x0)[corner], (y0, y0, y1, y1)[corner]
                a0 = (0, 90, 180, 270)[corner]
                ang = np.deg2rad(np.linspace(a0, a0 + 90, 90))
                rad = 2 * half * (0.6 + 0.4 * e)
                pts = np.vstack([[px, py], np.stack([px + rad * np.cos(ang),
                                                     py + rad * np.sin(ang)], 1)])
                pts[:, 0] = np.clip(pts[:, 0], x0, x1)
                pts[:, 1] = np.clip(pts[:, 1], y0, y1)
                canvas.polygon(pts, colour)
            elif kind == "half":
                a0 = float(pick.choice([0, 90, 180, 270]))
                ang = np.deg2rad(np.linspace(a0, a0 + 180, 120))
                rad = half * (0.7 + 0.3 * e)
                pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1)
                canvas.polygon(pts, colour)
            else:
                n_bars = 3 + int(4 * e)
                for b in range(n_bars):
                    yy = y0 + (b + 0.5) * (y1 - y0) / n_bars
                    canvas.polyline(np.array([[x0, yy], [x1, yy]]), colour,
                                    max(2.0, (y1 - y0) / n_bars * 0.42))
