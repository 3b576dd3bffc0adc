"""The beat-level downbeat network: its features, the shipped network and how its logits are weighed."""

from __future__ import annotations

import numpy as np
import pytest

from cinemuse.analysis import bar_net, rhythm
from cinemuse.analysis.song_features import ANALYSIS_SR, CHROMA_HOP, HOP

STEP = CHROMA_HOP / HOP  # rhythm frames per chroma frame
PERIOD = 24  # rhythm frames per beat (~108 bpm)


def chord_song(n_beats: int, *, first_downbeat: int, seed: int = 0):
    """(mel_db, chroma, bass, beat_frames): one triad per 4-beat bar whose first bar starts at
    beat ``first_downbeat``, the bass on its root, a flat drum-less spectrogram with a little
    noise."""
    rng = np.random.default_rng(seed)
    frames = np.arange(n_beats) * PERIOD + 10
    n = int(frames[-1] + 2 * PERIOD)
    n_chroma = int(np.ceil(n / STEP)) + 1
    beat_of = np.clip(np.searchsorted(frames, np.arange(n_chroma) * STEP, side="right") - 1, 0, None)
    bar_of = (beat_of - first_downbeat) // 4
    roots = np.array([0, 9, 5, 7])[bar_of % 4]  # I vi IV V
    chroma = rng.uniform(0.0, 0.05, (12, n_chroma))
    bass = rng.uniform(0.0, 0.05, (12, n_chroma))
    for j, root in enumerate(roots):
        minor = root == 9
        chroma[[(root + i) % 12 for i in (0, 3 if minor else 4, 7)], j] += 1.0
        bass[root, j] += 1.0
    mel = rng.normal(-40.0, 1.0, (48, n)).astype(np.float32)
    return mel, chroma, bass, frames


def test_features_are_one_row_per_beat_and_ignore_key_and_level():
    mel, chroma, bass, frames = chord_song(40, first_downbeat=1)
    x = bar_net.beat_features(mel, chroma, bass, frames, frames_per_chroma=STEP)
    assert x.shape == (40, bar_net.N_FEATURES) and x.dtype == np.float32
    assert np.isfinite(x).all()
    # another key, a louder mix: the same rows (only changes of the chroma are read)
    moved = bar_net.beat_features(mel + 12.0, np.roll(chroma, 5, axis=0), np.roll(bass, 5, axis=0),
                                  frames, frames_per_chroma=STEP)
    assert np.abs(moved - x).max() < 1e-4
    # a float16 spectrogram, as analyze keeps it, reads the same
    half = bar_net.beat_features(mel.astype(np.float16), chroma, bass, frames, frames_per_chroma=STEP)
    assert np.abs(half - x).max() < 0.05
    # the chord changes stand out on the bar lines
    change = x[:, bar_net.FEATURE_NAMES.index("chroma_change_1")]
    assert change[5::4].min() > change[6::4].max()
    for n in (0, 1):
        assert bar_net.beat_features(mel, chroma, bass, frames[:n], frames_per_chroma=STEP).shape == (
            n, bar_net.N_FEATURES)


@pytest.mark.parametrize("first_downbeat", [0, 1, 2, 3])
def test_the_shipped_network_finds_the_bar_lines_of_a_chord_per_bar(first_downbeat):
    """A curve that cannot tell beat 1 from beat 3 (as high on both) and chords that change
    once a bar: with the beat-level network, the bar starts where the chords change."""
    mel, chroma, bass, frames = chord_song(48, first_downbeat=first_downbeat, seed=first_downbeat)
    logits = bar_net.downbeat_logits(bar_net.beat_features(mel, chroma, bass, frames, frames_per_chroma=STEP))
    assert logits.shape == (48,)
    beats = frames * HOP / ANALYSIS_SR
    down = np.full(int(frames[-1] + 5), 0.05)
    down[frames[first_downbeat % 2::2]] = 0.6
    _, bar, meter = rhythm.bars_from_activation(beats, frames, down)
    assert (bar, meter) == (2, "2/4")  # the frame curve alone hedges
    downbeats, bar, meter = rhythm.bars_from_activation(beats, frames, down, bar_logits=logits)
    assert (bar, meter) == (4, "4/4")
    assert np.allclose(downbeats, beats[first_downbeat::4])


def test_the_logits_weigh_in_by_their_weight():
    frames = np.arange(40) * PERIOD + 10
    beats = frames * HOP / ANALYSIS_SR
    down_at = np.where(np.arange(40) % 4 == 0, 0.7, 0.1)  # the frame curve says phase 0
    logits = np.where(np.arange(40) % 4 == 2, 4.0, -4.0)  # the beat-level network phase 2
    assert rhythm.choose_bars(beats, down_at, bar_logits=logits, bar_weight=0.1)[0][0] == beats[0]
    assert rhythm.choose_bars(beats, down_at, bar_logits=logits, bar_weight=2.0)[0][0] == beats[2]
    assert bar_net.downbeat_logits(np.zeros((1, bar_net.N_FEATURES), np.float32)).shape == (1,)


def test_a_compound_two_beat_bar_read_by_the_frame_curve_stands():
    """Beats that divide in three and a frame curve that reads 6/8: the beat-level network,
    however sure, does not turn it into a four-beat bar; a simple beat it does."""
    frames = np.arange(40) * PERIOD + 10
    beats = frames * HOP / ANALYSIS_SR
    down_at = np.where(np.arange(40) % 2 == 0, 0.7, 0.1)  # a bar every two beats, phase 0
    logits = np.where(np.arange(40) % 4 == 0, 4.0, -4.0)  # the network: every four
    downbeats, bar, meter = rhythm.choose_bars(beats, down_at, beat_division=3, bar_logits=logits)
    assert (bar, meter) == (2, "6/8")
    assert np.allclose(downbeats, beats[0::2])
    assert rhythm.choose_bars(beats, down_at, beat_division=2, bar_logits=logits)[1:] == (4, "4/4")


def test_read_activations_uses_the_network_given_a_spectrogram():
    mel, chroma, bass, frames = chord_song(48, first_downbeat=3)
    beat = np.full(mel.shape[1], 0.01, np.float32)
    beat[frames] = 0.9
    down = np.full(mel.shape[1], 0.05, np.float32)
    down[frames[1::2]] = 0.6
    times = np.arange(chroma.shape[1]) * CHROMA_HOP / ANALYSIS_SR
    read = rhythm.read_activations(beat, down, bass_chroma=bass, chroma_times=times, mel_db=mel,
                                   chroma=chroma, sr=ANALYSIS_SR, hop_length=HOP)
    assert read["beats_per_bar"] == 4
    assert np.allclose(read["downbeats"], read["beats"][3::4])
