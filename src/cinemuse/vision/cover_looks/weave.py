"""Weave: the song's harmony as a dot matrix. Rows are the 12 pitch classes in circle-of-
fifths order with the tonic in the middle; columns are bars; each dot's size is how much
that pitch class sounds in that bar.
"""

from __future__ import annotations

import numpy as np

from cinemuse.vision.cover_looks.canvas import Canvas, Palette


def _bar_chroma(profile, max_cols: int) -> np.ndarray:
    chroma = np.asarray(profile.chroma, dtype=np.float64)  # (12, n_beats)
    if chroma.ndim != 2 or chroma.shape[1] == 0:
        return np.tile(np.asarray(profile.chroma_mean, np.float64)[:, None], (1, 8))
    per_bar = max(1, int(profile.beats_per_bar))
    n_bars = max(1, chroma.shape[1] // per_bar)
    bars = chroma[:, : n_bars * per_bar].reshape(12, n_bars, per_bar).mean(axis=2)
    if n_bars > max_cols:  # merge neighbouring bars to fit
        edges = np.linspace(0, n_bars, max_cols + 1).astype(int)
        bars = np.stack([bars[:, a:b].mean(axis=1) for a, b in zip(edges[:-1], edges[1:])], 1)
    bars = bars / (bars.max(axis=0, keepdims=True) + 1e-9)
    return bars


def draw(canvas: Canvas, profile, palette: Palette, rng: np.random.Generator,
         song_rng: np.random.Generator) -> None:
    w, h, u = canvas.width, canvas.height, canvas.unit
    canvas.fill_gradient(palette.background, palette.background2, angle_deg=rng.uniform(60, 120))
    max_cols = int(rng.choice([16, 20, 24])) if w <= h * 1.2 else 32
    bars = _bar_chroma(profile, max_cols)
    n_cols = bars.shape[1]
    # circle of fifths, tonic in the middle row
    fifths = [(profile.tonic + 7 * k) % 12 for k in range(-6, 6)]
    grid = bars[fifths]  # (12, n_cols)
    fx0, fy0, fx1, fy1 = canvas.frame
    fw, fh = fx1 - fx0, fy1 - fy0
    margin_x, margin_y = fw * 0.1, fh * 0.12
    cell_w = (fw - 2 * margin_x) / n_cols
    cell_h = (fh - 2 * margin_y) / 12
    cell = min(cell_w, cell_h)
    ox = fx0 + (fw - cell * n_cols) / 2
    oy = fy0 + (fh - cell * 12) / 2
    shape = rng.choice(["dot", "pill", "diamond"])
    for row in range(12):
        colour = palette.ink(abs(row - 6) // 2)
        for col in range(n_cols):
            v = float(grid[row, col]) ** 1.5
            if v < 0.08:
                continue
            cx = ox + (col + 0.5) * cell
            cy = oy + (row + 0.5) * cell
            r = cell * 0.46 * v
            if shape == "dot":
                canvas.circle((cx, cy), r, colour)
            elif shape == "diamond":
                canvas.polygon(np.array([[cx, cy - r], [cx + r, cy], [cx, cy + r], [cx - r, cy]]),
                               colour)
            else:
                canvas.polyline(np.array([[cx - cell * 0.3 * v, cy], [cx + cell * 0.3 * v, cy]]),
                                colour, max(2.0, cell * 0.28))
    # the tonic row is underlined by a thin accent rule
    y = oy + 6.5 * cell
    canvas.polyline(np.array([[ox - cell * 0.6, y], [ox - cell * 0.2, y]]), palette.accent,
                    max(2.0, u * 0.003))
