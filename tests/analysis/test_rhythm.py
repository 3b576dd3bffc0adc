"""Tempo level, beats through drift and breaks, metre and downbeats on songs with known truth."""

from __future__ import annotations

import numpy as np
import pytest

from cinemuse.analysis.audio import analyze_song
from tests.analysis.song_signals import SR, beat_song

mir_eval = pytest.importorskip("mir_eval")


def f_measure(reference: np.ndarray, estimated: np.ndarray) -> float:
    return mir_eval.beat.f_measure(mir_eval.beat.trim_beats(np.asarray(reference, float)),
                                   mir_eval.beat.trim_beats(np.asarray(estimated, float)))


def within(estimated: float, truth: float, tolerance: float = 0.04) -> bool:
    return abs(estimated - truth) <= tolerance * truth


@pytest.mark.parametrize("bpm, kwargs", [
    (110.0, {}),                          # the pop style read 2/3 of this (73.8) before
    # known weakness: this drum groove (its half-note pulse stronger, hi-hats on the eighths)
    # reads at its eighths, 215 bpm, with the shipped network (at 100, 115 and 125 it is right)
    pytest.param(105.0, {"chords": False}, marks=pytest.mark.xfail(strict=True)),
    (64.0, {"drums": False}),             # a ballad: eighths between slow beats
    (140.0, {"beats_per_bar": 3}),
    (70.0, {"beats_per_bar": 2, "division": 3}),  # 6/8: dotted quarters, not 105 quarters
])
def test_tempo_is_the_annotated_level(bpm, kwargs):
    beats = np.arange(0.0, 24.0, 60.0 / bpm)
    profile = analyze_song(beat_song(beats, **kwargs), SR)
    assert within(profile.tempo_bpm, bpm), profile.tempo_bpm
    assert f_measure(beats, profile.beats) > 0.9


def test_beats_follow_a_drift_and_hold_phase_across_a_break():
    intervals = 60.0 / np.linspace(96.0, 112.0, 80)  # a performer speeding up by 17 %
    beats = np.cumsum(np.r_[0.0, intervals])[:72]
    y = beat_song(beats)
    y[int(16 * SR): int(19 * SR)] = 0.0  # 3 s of silence, beats go on after it
    profile = analyze_song(y, SR)
    after = beats[beats > 19.5]
    assert f_measure(beats, profile.beats) > 0.9
    assert f_measure(after, profile.beats[profile.beats > 19.5]) > 0.9


@pytest.mark.parametrize("bpm, beats_per_bar, division, meter, drums", [
    # the kit kicks on beats 1 and 3 alike: only the bass (one chord per bar) says the bar is 4
    (110.0, 4, 2, "4/4", True),
    (110.0, 4, 2, "4/4", False),
    (120.0, 3, 2, "3/4", False),   # a waltz without drums: harmony and bass only
    (140.0, 3, 2, "3/4", True),
    (60.0, 2, 3, "6/8", True),     # a hi-hat on every eighth: still dotted-quarter beats
    (60.0, 2, 3, "6/8", False),    # dotted-quarter beats, not 3/4 of eighths
])
def test_meter_and_downbeats(bpm, beats_per_bar, division, meter, drums):
    beats = np.arange(0.0, 30.0, 60.0 / bpm)
    song = beat_song(beats, beats_per_bar=beats_per_bar, division=division, drums=drums)
    profile = analyze_song(song, SR)
    assert (profile.meter, profile.beats_per_bar) == (meter, beats_per_bar)
    assert f_measure(beats[::beats_per_bar], profile.downbeats) > 0.8
    assert profile.to_dict()["meter"] == meter


@pytest.mark.parametrize("sound", ["white noise", "brown noise", "held chord", "swelling chord", "glissando"])
def test_a_sound_without_a_pulse_has_no_steady_beat(sound):
    rng = np.random.default_rng(0)
    t = np.arange(20 * SR) / SR
    chord = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (261.6, 329.6, 392.0))
    y = {"white noise": lambda: 0.2 * rng.normal(size=len(t)),
         "brown noise": lambda: 0.001 * np.cumsum(rng.normal(size=len(t))),
         "held chord": lambda: chord,
         "swelling chord": lambda: (0.5 + 0.5 * np.sin(2 * np.pi * 0.1 * t)) * chord,
         "glissando": lambda: 0.3 * np.sin(2 * np.pi * np.cumsum(200 + 15 * t) / SR)}[sound]()
    profile = analyze_song(y.astype(np.float32), SR)
    assert not profile.steady_beat, profile.beat_strength
    assert profile.to_dict()["steady_beat"] is False and len(profile.beats)  # the grid stays


@pytest.mark.parametrize("drums", [True, False])
def test_a_song_with_a_pulse_has_a_steady_beat(drums):
    song = beat_song(np.arange(0.0, 20.0, 0.5), drums=drums)
    profile = analyze_song(song, SR)
    assert profile.steady_beat and profile.beat_strength >= 0.25
