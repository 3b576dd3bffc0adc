"""The learned harmony model: shipped counts load, chords fit melodies, constraints hold."""

from __future__ import annotations

import numpy as np

from cinemuse.music.harmony import HarmonyModel, best_diatonic_per_bar, chord_tone_share
from cinemuse.music.theory import Chord, parse_chord_label, parse_key


def _melody_slots(pcs_per_slot):
    m = np.zeros((len(pcs_per_slot), 12))
    for i, pcs in enumerate(pcs_per_slot):
        for pc in pcs:
            m[i, pc] += 1.0
    return m


def test_theory_parsing():
    assert parse_key("F# minor") == (6, "minor")
    assert parse_key("Gb:maj") == (6, "major")
    assert parse_key("Bbm") == (10, "minor")
    assert parse_chord_label("Gb:min7/b3") == (6, "min")
    assert parse_chord_label("N") is None
    assert Chord(7, "maj").roman() == "V" and Chord(9, "min").symbol(0) == "Am"


def test_chords_follow_an_arpeggiated_melody():
    model = HarmonyModel.load()
    # bar by bar: C-E-G, F-A-C, G-B-D, C-E-G  (I IV V I in C)
    slots = [(0, 4, 7), (0, 4, 7), (5, 9, 0), (5, 9, 0), (7, 11, 2), (7, 11, 2), (0, 4, 7), (0, 4, 7)]
    melody = _melody_slots(slots)
    chords = model.harmonize(melody, bar_start=np.arange(8) % 2 == 0, mode="major")
    roots = [c.root for c in chords[::2]]
    assert roots == [0, 5, 7, 0]
    notes = [(i, pc) for i, pcs in enumerate(slots) for pc in pcs]
    assert chord_tone_share(chords, notes) > 0.9


def test_constraints_and_sampling_are_respected_and_seeded():
    model = HarmonyModel.load()
    melody = np.zeros((8, 12))
    allowed = {0: [Chord(0, "min")], 6: [Chord(7, "maj")], 7: [Chord(0, "min")]}
    a = model.harmonize(melody, bar_start=np.arange(8) % 2 == 0, mode="minor", allowed=allowed,
                        rng=np.random.default_rng(1), temperature=0.8)
    b = model.harmonize(melody, bar_start=np.arange(8) % 2 == 0, mode="minor", allowed=allowed,
                        rng=np.random.default_rng(1), temperature=0.8)
    assert a == b
    assert a[0] == Chord(0, "min") and a[6] == Chord(7, "maj") and a[7] == Chord(0, "min")


def test_baseline_picks_diatonic_triads():
    melody = _melody_slots([(2, 5, 9), (2, 5, 9)])
    chords = best_diatonic_per_bar(melody, bar_start=np.array([True, False]), mode="major")
    assert chords[0] == Chord(2, "min")
