"""The shipped beat network and the reading of its activations (tempo level, beats, bars)."""

from __future__ import annotations

import numpy as np
import pytest

from cinemuse.analysis import beat_net, rhythm
from cinemuse.analysis.song_features import ANALYSIS_SR, HOP

FPS = ANALYSIS_SR / HOP


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
