"""analyze_song on synthetic songs with a known tempo, key, beats and loudness."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cinemuse.analysis.audio import analyze_song, estimate_key, key_name, AS_MAJOR
from tests.analysis.song_signals import SR, chord_click_song

mir_eval = pytest.importorskip("mir_eval")


@pytest.fixture(scope="module")
def a_minor_128():
    y, beats = chord_click_song(tempo=128.0, tonic=9, minor=True, seconds=24.0)
    return analyze_song(y, SR), beats


def test_tempo_beats_and_bars_of_a_click_track(a_minor_128):
    profile, true_beats = a_minor_128
    assert abs(profile.tempo_bpm - 128.0) / 128.0 < 0.04
    f = mir_eval.beat.f_measure(mir_eval.beat.trim_beats(true_beats),
                                mir_eval.beat.trim_beats(profile.beats))
    assert f > 0.9
    assert profile.beats_per_bar == 4
    # downbeats are the accented clicks at multiples of 4 beats
    bar = 4 * 60.0 / 128.0
    phase = np.abs(((profile.downbeats + bar / 2) % bar) - bar / 2)
    assert np.median(phase) < 0.07


def test_key_and_mood_of_a_minor_song(a_minor_128):
    profile, _ = a_minor_128
    assert profile.key == "A minor"
    assert 0 < profile.key_confidence <= 1
    major, _ = chord_click_song(tempo=128.0, tonic=2, minor=False, seconds=16.0)
    major_profile = analyze_song(major, SR)
    assert major_profile.key == "D major"
    assert major_profile.valence > profile.valence  # major -> happier


def test_estimate_key_recovers_each_rotated_profile():
    for tonic in range(12):
        t, mode, conf, _ = estimate_key(np.roll(AS_MAJOR, tonic))
        assert (t, mode) == (tonic, "major") and conf > 0.5
    assert key_name(6, "minor") == "F# minor"


def test_loudness_of_a_known_tone():
    # BS.1770: a full-scale 1 kHz sine in one channel reads -3.01 LUFS (the K-weighting gain
    # at 1 kHz cancels the -0.691 offset), so amplitude 0.1 (-20 dB) reads -23.0 LUFS
    t = np.arange(int(6 * SR)) / SR
    y = (0.1 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    profile = analyze_song(y, SR)
    assert abs(profile.loudness_lufs - (-23.0)) < 0.3
    assert np.all(np.abs(profile.loudness_curve[4:-4] - profile.loudness_lufs) < 1.0)


def test_json_dict_has_the_promised_keys(a_minor_128):
    d = a_minor_128[0].to_dict()
    for key in ("tempo_bpm", "key", "key_confidence", "loudness_lufs", "beats", "duration",
                "downbeats", "sections", "mood", "curves", "brightness_hz"):
        assert key in d
    assert isinstance(d["tempo_bpm"], float) and isinstance(d["beats"], list)
    assert {"valence", "arousal", "basis"} <= set(d["mood"])
    json.dumps(d)  # JSON-able
    assert d["sections"][0]["start"] == 0.0 and d["sections"][-1]["end"] == d["duration"]


def test_too_short_input_is_refused():
    with pytest.raises(ValueError):
        analyze_song(np.zeros(100, np.float32), SR)


def test_loudness_matches_pyloudnorm_on_a_song():
    pyloudnorm = pytest.importorskip("pyloudnorm")
    from cinemuse.analysis.audio_dsp import loudness_blocks

    y, _ = chord_click_song(tempo=100.0, tonic=0, minor=False, seconds=12.0)
    stereo = np.stack([y, 0.5 * y], axis=1).astype(np.float64)
    ours, blocks = loudness_blocks(stereo, sr=SR)
    reference = pyloudnorm.Meter(SR).integrated_loudness(stereo)
    assert abs(ours - reference) < 0.05
    assert len(blocks) > 100


def test_onsets_are_notes_not_the_flicker_of_a_held_sound():
    """A held, slowly beating chord and a sine have (almost) no onsets; plucked notes four a
    second are counted as four a second (the mood's onset density reads them)."""
    sr, seconds = 22050, 20.0
    t = np.arange(int(sr * seconds)) / sr
    # an A major triad, each tone with a quieter voice detuned by ~1 Hz (a pad's chorus)
    chord = sum(a * np.sin(2 * np.pi * f * t) for f, a in ((220.0, 0.08), (221.3, 0.025), (277.2, 0.08),
                                                             (278.0, 0.025), (329.6, 0.08), (330.9, 0.025)))
    sine = 0.3 * np.sin(2 * np.pi * 440.0 * t)
    rng = np.random.default_rng(1)
    notes = np.zeros_like(t)
    for start in np.arange(0.1, seconds - 0.3, 0.25):
        i = int(start * sr)
        tt = t[: int(0.25 * sr)]
        f = 220.0 * 2 ** (rng.integers(0, 12) / 12)
        notes[i:i + len(tt)] += 0.3 * np.exp(-tt * 12) * sum(np.sin(2 * np.pi * f * h * tt) / h for h in (1, 2, 3))
    for held in (chord, sine):
        assert analyze_song(held.astype(np.float32), sr).onset_density < 0.5
    assert 3.5 <= analyze_song(notes.astype(np.float32), sr).onset_density <= 4.5


def test_a_stereo_song_with_one_channel_inverted_is_heard_as_the_song():
    """L = -R: the channel mean is silence, but a listener's two speakers still play the song."""
    y, _ = chord_click_song(tempo=128.0, tonic=9, minor=True, seconds=24.0)
    upright = analyze_song(np.stack([y, y], axis=1), SR)
    inverted = analyze_song(np.stack([y, -y], axis=1), SR)
    assert inverted.key == upright.key == "A minor"
    assert abs(inverted.tempo_bpm - upright.tempo_bpm) < 0.5 and inverted.steady_beat
    np.testing.assert_allclose(inverted.beats, upright.beats)
