"""The shipped beat network and the reading of its activations (tempo level, beats, bars)."""

from __future__ import annotations

import numpy as np
import pytest

from cinemuse.analysis import audio_dsp as dsp
from cinemuse.analysis import beat_net, rhythm
from cinemuse.analysis.song_features import ANALYSIS_SR, HOP

FPS = ANALYSIS_SR / HOP


def track(env, bpm):
    return dsp.track_beats(env, tempo_bpm=bpm, sr=ANALYSIS_SR, hop_length=HOP)


def pulses(n: int, period: float, *, height: float = 1.0, phase: float = 0.0) -> np.ndarray:
    """A train of 3-frame bumps every ``period`` frames."""
    spikes = np.zeros(n)
    spikes[np.round(np.arange(phase, n - 1, period)).astype(int)] = height
    return np.convolve(spikes, [0.5, 1.0, 0.5], mode="same")


def test_windowed_run_equals_one_pass():
    rng = np.random.default_rng(0)
    mel = rng.uniform(-80.0, 0.0, (48, beat_net.WINDOW + 3000)).astype(np.float32)
    beat, down = beat_net.activations(mel)
    session = beat_net.load_shipped_session()
    whole = session.run(None, {"mel_db": mel[None]})[0][0]
    assert beat.shape == down.shape == (mel.shape[1],)
    assert np.abs(beat - whole[0]).max() < 1e-4 and np.abs(down - whole[1]).max() < 1e-4
    assert beat_net.activations(mel[:, :0])[0].shape == (0,)


@pytest.mark.parametrize("bpm", [60.0, 96.0, 128.0, 175.0])
def test_the_grid_that_stands_out_is_the_beat(bpm):
    period = 60.0 * FPS / bpm
    n = int(30 * FPS)
    act = pulses(n, period) + pulses(n, period, height=0.25, phase=period / 2)  # weak off-beats
    tempo, frames = rhythm.beats_from_activation(act, sr=ANALYSIS_SR, hop_length=HOP, track=track)
    assert abs(tempo / bpm - 1) < 0.04
    assert abs(np.median(np.diff(frames)) - period) <= 1


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
