"""The visual families of covers. Each look is a module with
``draw(canvas, profile, palette, rng, song_rng)`` that paints the whole canvas from the
song's data. ``song_rng`` is seeded from the song itself (its structure belongs to the song);
``rng`` from the user's seed (variation between variants).

========  ==========================================================================
ridges    stacked ridge lines, one per time slice of the song's own spectrogram
orbits    concentric rings = sections, marks on them = beats (bigger on downbeats)
weave     a dot matrix of the chroma: 12 pitch classes (circle of fifths) x bars
flow      streamlines through a field whose turbulence follows the song's energy
bauhaus   a geometric grid; cells = sections/bars, shapes from energy and harmony
horizon   layered hills traced by the loudness curve of each section, a key-sized sun
========  ==========================================================================
"""

from __future__ import annotations

from cinemuse.vision.cover_looks import bauhaus, flow, horizon, orbits, ridges, weave

LOOKS = {
    "ridges": ridges.draw,
    "orbits": orbits.draw,
    "weave": weave.draw,
    "flow": flow.draw,
    "bauhaus": bauhaus.draw,
    "horizon": horizon.draw,
}


def song_fingerprint(profile) -> int:
    """A stable integer from the song's analysis (tempo, key, duration, harmony)."""
    import zlib

    import numpy as np

    parts = [round(float(profile.tempo_bpm)), int(profile.tonic), profile.mode,
             round(float(profile.duration)),
             *np.round(np.asarray(profile.chroma_mean, dtype=np.float64) * 8).astype(int).tolist()]
    return zlib.crc32(repr(parts).encode())


def choose_look(profile) -> str:
    """A look that suits the song when the user names none (deterministic).

    Busy, loud songs get the energetic families (flow, ridges); calm ones the quieter ones
    (horizon, weave); strongly rhythmic mid-energy songs orbits or bauhaus.
    """
    a, v = profile.arousal, profile.valence
    if a > 0.35:
        return "flow" if profile.intensity > 0.55 else "ridges"
    if a < -0.3:
        return "horizon" if v < 0.2 else "weave"
    return "orbits" if v < 0 else "bauhaus"
