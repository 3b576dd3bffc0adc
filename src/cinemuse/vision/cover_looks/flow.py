"""Flow: streamlines through a smooth field. Left to right is the song's time: where the song
is energetic the field turns faster and the lines run longer and thicker; the line colour
follows the section.
"""

from __future__ import annotations

import numpy as np

from cinemuse.vision.cover_looks.canvas import Canvas, Palette


def draw(canvas: Canvas, profile, palette: Palette, rng: np.random.Generator,
         song_rng: np.random.Generator) -> None:
    w, h, u = canvas.width, canvas.height, canvas.unit
    canvas.fill_gradient(palette.background, palette.background2, angle_deg=rng.uniform(0, 180))
    energy = np.asarray(profile.energy_curve, dtype=np.float64)
    energy = energy / (energy.max() + 1e-9)
    times = np.asarray(profile.curve_times, dtype=np.float64)
    duration = max(profile.duration, 1e-6)
    # field: a few seeded waves; their frequency grows with arousal (busier music, busier field)
    n_waves = 4
    freq = (0.5 + 0.9 * (profile.arousal + 1) / 2) / u
    # the field's shape belongs to the song; the variant seed only nudges it
    k = (song_rng.normal(0, 1, size=(n_waves, 2)) + rng.normal(0, 0.25, size=(n_waves, 2))) \
        * freq * 2 * np.pi
    phase = song_rng.uniform(0, 2 * np.pi, size=n_waves) + rng.uniform(-0.8, 0.8, n_waves)
    amp = song_rng.uniform(0.6, 1.2, size=n_waves)
    base_angle = song_rng.uniform(-0.6, 0.6)

    def energy_at_x(x):
        return np.interp(np.clip(x / w, 0, 1) * duration, times, energy)

    def angle(p):
        a = np.zeros(len(p)) + base_angle
        for i in range(n_waves):
            a += amp[i] * np.sin(p @ k[i] + phase[i])
        return a * (0.6 + 0.9 * energy_at_x(p[:, 0]))

    n_particles = int(np.clip(w * h / 12000, 250, 750))
    starts = np.stack([rng.uniform(-0.05 * w, 1.05 * w, n_particles),
                       rng.uniform(-0.05 * h, 1.05 * h, n_particles)], 1)
    n_steps = 160
    step = u * 0.0028
    pts = np.empty((n_steps, n_particles, 2))
    p = starts.copy()
    for s in range(n_steps):
        pts[s] = p
        a = angle(p)
        p = p + step * np.stack([np.cos(a), np.sin(a)], 1)
    e0 = energy_at_x(starts[:, 0])
    lengths = (30 + (n_steps - 30) * e0 ** 0.8).astype(int)
    section_starts = np.array([s.start for s in profile.sections] or [0.0])
    labels = sorted({s.label for s in profile.sections}) or ["A"]
    sec_idx = np.clip(np.searchsorted(section_starts,
                                      np.clip(starts[:, 0] / w, 0, 1) * duration, "right") - 1,
                      0, max(len(profile.sections) - 1, 0))
    # thickness in three classes by energy, one draw call per (colour, thickness)
    thick = np.digitize(e0, [0.45, 0.75])
    for li, label in enumerate(labels):
        colour = palette.ink(li)
        for tclass in range(3):
            sel = np.flatnonzero(
                (np.array([profile.sections[i].label if profile.sections else "A"
                           for i in sec_idx]) == label) & (thick == tclass))
            lines = [pts[: lengths[i], i] for i in sel]
            canvas.polylines(lines, colour, u * (0.0013 + 0.0012 * tclass))
