"""The learned groove library: by style and tempo, fills, energy shaping, determinism."""

from __future__ import annotations

import numpy as np

from cinemuse.music.drums import CRASH, KICK, SNARE, DrumLibrary, drum_notes, shape_pattern


def test_library_has_many_learned_patterns_per_style():
    lib = DrumLibrary.load()
    assert lib.patterns.shape[1:] == (16, 9) and len(lib.patterns) > 500
    for family in ("rock", "hiphop", "funk", "jazz"):
        assert len(lib.candidates([family], 100, fill=False)) >= 5
        assert len(lib.candidates([family], 100, fill=True)) >= 5
    grooves = lib.patterns[lib.candidates(["rock"], 110, fill=False)]
    # rock grooves put kicks and snares where rock does: a backbeat on 2 and 4
    assert (grooves[:, [4, 12], SNARE] > 0).mean() > 0.5
    assert ((grooves[:, 0, KICK] > 0) | (grooves[:, 0, CRASH] > 0)).all()  # grooves start their bar


def test_energy_thins_the_pattern():
    lib = DrumLibrary.load()
    p = lib.patterns[lib.candidates(["funk"], 100, fill=False)[0]]
    assert (shape_pattern(p, 0.1) > 0).sum() <= (shape_pattern(p, 0.9) > 0).sum()


def test_drum_part_is_seeded_and_has_fills():
    plan = [(i * 2.0, 2.0, "fill" if i == 3 else "groove", 0.7) for i in range(4)]
    a = drum_notes(plan, families=["rock"], bpm=120, rng=np.random.default_rng(5))
    b = drum_notes(plan, families=["rock"], bpm=120, rng=np.random.default_rng(5))
    assert a == b and len(a) > 20
    assert all(0 <= start < 8.0 for _, _, start, _ in a)


def test_a_bar_of_three_beats_keeps_the_tempo_of_its_sixteenths():
    """A 3/4 bar takes the groove's first three beats at the piece's tempo, and a fill its last
    three; 16 steps squeezed into 3 beats would play the drums a third faster than the beat."""
    bpm, beat = 120.0, 0.5
    plan = [(i * 3 * beat, 3 * beat, "fill" if i == 3 else "groove", 0.8) for i in range(4)]
    notes = drum_notes(plan, families=["rock"], bpm=bpm, rng=np.random.default_rng(5))
    sixteenths = np.array([start for _, _, start, _ in notes]) / (beat / 4)
    assert len(notes) > 20
    assert np.allclose(sixteenths, np.round(sixteenths))  # every hit on the piece's 16th grid
    assert all(0 <= start < 4 * 3 * beat for _, _, start, _ in notes)
    four_four = drum_notes([(0.0, 4 * beat, "groove", 0.8)], families=["rock"], bpm=bpm,
                           rng=np.random.default_rng(5))
    first_bar = sorted(n for n in notes if n[2] < 3 * beat)
    assert first_bar == sorted(n for n in four_four if n[2] < 3 * beat)  # the groove's first three beats
