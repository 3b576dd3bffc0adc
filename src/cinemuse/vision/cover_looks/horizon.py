"""Horizon: a landscape traced by the song. Each hill layer is the loudness curve of the
song (front layers less smoothed, so the near hills carry its detail); the sun's size
follows the key confidence and its height the brightness of the sound.
"""

from __future__ import annotations

import numpy as np

from cinemuse.vision.cover_looks.canvas import Canvas, Palette, smooth_curve


def draw(canvas: Canvas, profile, palette: Palette, rng: np.random.Generator,
         song_rng: np.random.Generator) -> None:
    w, h, u = canvas.width, canvas.height, canvas.unit
    canvas.fill_gradient(palette.background2, palette.background, angle_deg=90)
    loud = np.asarray(profile.loudness_curve, dtype=np.float64)
    loud = (loud - loud.min()) / (np.ptp(loud) + 1e-9)
    energy = np.asarray(profile.energy_curve, dtype=np.float64)
    curve = 0.6 * loud + 0.4 * energy / (energy.max() + 1e-9)
    # sun
    bright01 = float(np.clip((profile.brightness_hz - 800) / 2500, 0, 1))
    sun_r = u * (0.09 + 0.08 * profile.key_confidence)
    sun_x = w * rng.uniform(0.3, 0.7)
    sun_y = h * (0.45 - 0.2 * bright01)
    canvas.circle((sun_x, sun_y), sun_r, palette.accent)
    for ring in (1.3, 1.6):
        canvas.circle((sun_x, sun_y), sun_r * ring, palette.accent, thickness=max(2, u * 0.0018),
                      alpha=0.45 / ring)
    n_layers = int(np.clip(len(profile.sections) + 1, 3, 6))
    n_pts = 400
    xs = np.linspace(-0.02 * w, 1.02 * w, n_pts)
    for k in range(n_layers):
        depth = k / max(n_layers - 1, 1)  # 0 = far, 1 = near
        sigma = (1 - depth) * len(curve) / 10 + len(curve) / 60 + 1.5
        shift = int(rng.integers(0, max(len(curve), 1)))
        c = np.roll(curve, shift) if k % 2 else curve
        y_curve = smooth_curve(c, n_pts, sigma=sigma)
        base = h * (0.55 + 0.33 * depth)
        amp = h * (0.10 + 0.10 * (1 - depth))
        ys = base - amp * y_curve
        poly = np.vstack([np.stack([xs, ys], 1), [[xs[-1], h + 5], [xs[0], h + 5]]])
        # atmospheric perspective: far hills close to the sky, near ones in full ink
        mix = 0.12 + 0.38 * depth  # the land stays in the sky's family: the mood colour rules
        colour = palette.background2 * (1 - mix) + palette.inks[0] * mix
        canvas.polygon(poly, np.clip(colour, 0, 1))
