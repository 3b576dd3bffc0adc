"""The shipped beat network and the reading of its activations (tempo level, beats, bars)."""

from __future__ import annotations

import numpy as np
import pytest

from cinemuse.analysis import beat_net, rhythm
from cinemuse.analysis.song_features import ANALYSIS_SR, CHROMA_HOP, HOP

FPS = ANALYSIS_SR / HOP


def pulses(n: int, period: float, *, height: float = 1.0, phase: float = 0.0) -> np.ndarray:
    """A train of 3-frame bumps every ``period`` frames."""
    spikes = np.zeros(n)
    spikes[np.round(np.arange(phase, n - 1, period)).astype(int)] = height
    return np.convolve(spikes, [0.5, 1.0, 0.5], mode="same")


def _one_pass(mel, chroma, bass):
    """Both halves of the shipped network run once over the whole input."""
    front, blocks = beat_net.load_shipped_network()
    n = mel.shape[1]
    features = front.run(None, {"mel_db": mel[None],
                                "harmony": beat_net.harmony(chroma, bass, 0, n)[None]})[0]
    return features[0], blocks.run(None, {"features": features})[0][0]


def test_windowed_run_equals_one_pass():
    rng = np.random.default_rng(0)
    n = beat_net.WINDOW + 3000
    mel = rng.uniform(-80.0, 0.0, (48, n)).astype(np.float32)
    chroma, bass = rng.uniform(0.0, 1.0, (2, 12, n // 4 + 1))
    beat, down = beat_net.activations(mel, chroma, bass)
    whole = _one_pass(mel, chroma, bass)[1]
    assert beat.shape == down.shape == (n,)
    assert np.abs(beat - whole[0]).max() < 1e-4 and np.abs(down - whole[1]).max() < 1e-4
    assert beat_net.activations(mel[:, :0], chroma[:, :0], bass[:, :0])[0].shape == (0,)


@pytest.mark.parametrize("lo, hi", [(0, 3000), (517, 2600), (0, 40)])
def test_front_end_in_chunks_equals_one_run(lo, hi):
    """The front end, run a chunk at a time, gives what one run over the window gives, at its
    edges too (padded as the window's own, not read from beyond it)."""
    rng = np.random.default_rng(1)
    mel = rng.uniform(-80.0, 0.0, (48, 3000)).astype(np.float16)
    chroma, bass = rng.uniform(0.0, 1.0, (2, 12, 800))
    harm = beat_net.harmony(chroma, bass, lo, hi)
    front = beat_net.load_shipped_network()[0]
    got = beat_net._front_features(front, mel, harm, lo, hi)
    want = front.run(None, {"mel_db": mel[None, :, lo:hi].astype(np.float32),
                            "harmony": harm[None]})[0][0]
    assert got.shape == (32, hi - lo)
    assert np.abs(got - want).max() < 1e-5


def test_harmony_is_chroma_at_the_rhythm_frames():
    """Each chroma frame scaled by its largest bin, interpolated to the rhythm hop; a window
    reads what the whole song's input holds at those frames; silence stays silent."""
    rng = np.random.default_rng(2)
    chroma = rng.uniform(0.1, 1.0, (12, 50)) * rng.uniform(0.5, 4.0, 50)
    bass = np.zeros((12, 50))
    bass[3, :] = 2.0
    step = CHROMA_HOP // HOP
    whole = beat_net.harmony(chroma, bass, 0, 49 * step + 1)
    assert whole.shape == (24, 49 * step + 1)
    assert np.allclose(whole[:12, ::step], chroma[:, :50] / chroma.max(axis=0), atol=1e-6)
    mid = whole[:12, 2 * step + step // 2]  # half way between chroma frames 2 and 3
    assert np.allclose(mid, 0.5 * (whole[:12, 2 * step] + whole[:12, 3 * step]), atol=1e-6)
    assert np.allclose(whole[12 + 3], 1.0) and np.allclose(np.delete(whole[12:], 3, axis=0), 0.0)
    assert np.allclose(beat_net.harmony(chroma, bass, 37, 90), whole[:, 37:90], atol=1e-6)
    quiet = chroma.copy()
    quiet[:, 10] *= 1e-4
    assert beat_net.harmony(quiet, bass, 10 * step, 10 * step + 1)[:12].max() < 0.01
    assert beat_net.harmony(chroma[:, :0], bass[:, :0], 0, 5).shape == (24, 5)


@pytest.mark.parametrize("bpm", [60.0, 96.0, 120.0, 128.0, 175.0])
@pytest.mark.parametrize("weak_beats", [False, True])
def test_the_likeliest_grid_is_the_beat(bpm, weak_beats):
    """Off-beats the curve barely marks are not beats; beats 2 and 4 weaker than 1 and 3
    (a kick on 1 and 3) do not halve the tempo."""
    period = 60.0 * FPS / bpm
    n = int(30 * FPS)
    act = pulses(n, period, height=0.9) + pulses(n, period, height=0.08, phase=period / 2)
    if weak_beats:
        act -= pulses(n, 2 * period, height=0.5, phase=period)
    tempo, frames = rhythm.beats_from_activation(act, sr=ANALYSIS_SR, hop_length=HOP)
    # beats fall on whole frames (23 ms) but the tempo is read finer: 120 is not 123.0 or 117.5
    assert abs(tempo / bpm - 1) < 0.005
    assert abs(np.median(np.diff(frames)) - period) <= 1


def test_a_pulse_faster_than_annotators_tap_is_read_at_half():
    """Every eighth note of a 115-BPM groove marked as a beat (a 230-BPM pulse): the beat is
    the quarter note, 115 BPM, as the Groove MIDI drummers noted their tempi."""
    period = 60.0 * FPS / 230.0
    act = pulses(int(30 * FPS), period, height=0.9)
    tempo, frames = rhythm.beats_from_activation(act, sr=ANALYSIS_SR, hop_length=HOP)
    assert abs(tempo / 115.0 - 1) < 0.04 and tempo <= rhythm.MAX_BPM


@pytest.mark.parametrize("bar, phase, division, meter", [
    (4, 1, 2, "4/4"), (3, 0, 2, "3/4"), (3, 2, 2, "3/4"), (2, 1, 3, "6/8"), (2, 0, 2, "2/4")])
def test_bars_follow_the_downbeat_curve(bar, phase, division, meter):
    period = 20.0
    n = 1600
    frames = np.round(np.arange(5, n - 5, period)).astype(int)
    down = np.full(n, 0.05)
    down[frames[phase::bar]] = 0.8
    beats = frames * HOP / ANALYSIS_SR
    downbeats, beats_per_bar, name = rhythm.bars_from_activation(beats, frames, down, beat_division=division)
    assert (beats_per_bar, name) == (bar, meter)
    assert np.allclose(downbeats, beats[phase::bar])


def test_the_bass_settles_which_strong_beat_starts_the_bar():
    """A downbeat curve as high on beat 3 as on beat 1 reads as 2/4, unless the bass changes
    clearly more on one of them: then that one starts a 4/4 bar."""
    period, n = 20.0, 1600
    frames = np.round(np.arange(5, n - 5, period)).astype(int)
    beats = frames * HOP / ANALYSIS_SR
    down = np.full(n, 0.05)
    down[frames[1::2]] = 0.7  # beats 1 and 3 of bars starting on beat index 1 or 3
    downbeats, bar, meter = rhythm.bars_from_activation(beats, frames, down)
    assert (bar, meter) == (2, "2/4") and np.allclose(downbeats, beats[1::2])

    # a bass note per bar, the bar starting on beat index 3 (and 7, 11, ...)
    chroma_times = np.arange(0, beats[-1] + 1.0, CHROMA_HOP / ANALYSIS_SR)
    bass = np.zeros((12, len(chroma_times)))
    bar_of = np.searchsorted(beats, chroma_times, side="right") - 1  # the beat each frame follows
    roots = np.array([0, 5, 7, 9])
    bass[roots[((bar_of - 3) // 4) % 4], np.arange(len(chroma_times))] = 1.0
    change = rhythm.harmonic_change(bass, chroma_times, beats)
    assert change[7] > 0.9 and change[5] < 0.1
    downbeats, bar, meter = rhythm.bars_from_activation(beats, frames, down, bass_change=change)
    assert (bar, meter) == (4, "4/4") and np.allclose(downbeats, beats[3::4])

    # a bass that changes on every strong beat alike does not decide
    flat = rhythm.harmonic_change(np.ones((12, len(chroma_times))), chroma_times, beats)
    assert rhythm.bars_from_activation(beats, frames, down, bass_change=flat)[1] == 2
