"""Orbits: the song as a disc. Each section is a ring (first section innermost); each beat is
a mark on its ring at the angle of its time within the section, sized by the energy there,
with bigger marks on downbeats. The centre disc's size follows the song's loudness.
"""

from __future__ import annotations

import numpy as np

from cinemuse.vision.cover_looks.canvas import Canvas, Palette


def draw(canvas: Canvas, profile, palette: Palette, rng: np.random.Generator,
         song_rng: np.random.Generator) -> None:
    w, h, u = canvas.width, canvas.height, canvas.unit
    canvas.fill_gradient(palette.background, palette.background2, radial=True,
                         centre=(0.5, 0.45))
    fx0, fy0, fx1, fy1 = canvas.frame
    cx, cy = (fx0 + fx1) / 2, (fy0 + fy1) / 2
    fu = min(fx1 - fx0, fy1 - fy0)
    sections = profile.sections or []
    n_rings = max(len(sections), 1)
    r_in, r_out = fu * 0.12, fu * rng.uniform(0.40, 0.44)
    radii = np.linspace(r_in + (r_out - r_in) / n_rings, r_out, n_rings)
    rotation = rng.uniform(0, 360)
    beats = np.asarray(profile.beats)
    downbeats = set(np.round(np.asarray(profile.downbeats), 3))
    energy_at = lambda t: float(np.interp(t, profile.curve_times, profile.energy_curve))  # noqa
    labels = sorted({s.label for s in sections}) or ["A"]
    mark_style = rng.choice(["dots", "ticks"])
    for k, sec in enumerate(sections):
        r = radii[k]
        colour = palette.ink(labels.index(sec.label))
        canvas.circle((cx, cy), r, colour, thickness=max(1.5, u * 0.0009), alpha=0.35)
        sel = beats[(beats >= sec.start) & (beats < sec.end)]
        span = max(sec.end - sec.start, 1e-6)
        for t in sel:
            ang = np.deg2rad(rotation + 360.0 * (t - sec.start) / span - 90)
            e = energy_at(t)
            down = round(float(t), 3) in downbeats
            size = u * (0.0035 + 0.007 * e) * (1.7 if down else 1.0)
            px, py = cx + r * np.cos(ang), cy + r * np.sin(ang)
            if mark_style == "dots":
                canvas.circle((px, py), size, colour if down else colour,
                              alpha=1.0 if down else 0.8)
            else:
                dx, dy = np.cos(ang), np.sin(ang)
                length = size * 3.2
                canvas.polyline(np.array([[px - dx * length, py - dy * length],
                                          [px + dx * length, py + dy * length]]),
                                colour, max(2.0, size * 0.7))
    # centre: loudness sets the disc, key confidence the ring around it
    loud01 = float(np.clip((profile.loudness_lufs + 30) / 24, 0.15, 1.0))
    canvas.circle((cx, cy), r_in * (0.45 + 0.5 * loud01), palette.accent)
    canvas.circle((cx, cy), r_in * (0.45 + 0.5 * loud01) + u * 0.012, palette.accent,
                  thickness=max(2, u * 0.002 * (0.5 + profile.key_confidence)), alpha=0.7)
