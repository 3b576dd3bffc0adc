"""Synthetic songs with known tempo, key and beats, generated in code for the audio tests."""

from __future__ import annotations

import numpy as np

SR = 22050


def chord_click_song(*, tempo: float = 120.0, tonic: int = 9, minor: bool = True,
                     seconds: float = 24.0, sr: int = SR, seed: int = 0):
    """Clicks on every beat (accented downbeats), a bass and i-iv-V-i chords, one per bar.

    Returns
    -------
    samples : (n,) float32
    beats : (n_beats,) true beat times, seconds
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    y = np.zeros(n, np.float32)
    t = np.arange(n) / sr
    beat = 60.0 / tempo
    third = 3 if minor else 4
    chords = [[0, third, 7], [5, 5 + (3 if minor else 4), 12], [7, 11, 14], [0, third, 7]]
    bar = 4 * beat
    for bi, start in enumerate(np.arange(0, seconds, bar)):
        s, e = int(start * sr), min(n, int((start + bar) * sr))
        tt = t[s:e] - start
        env = np.exp(-tt * 1.2)
        chord = chords[bi % 4]
        for p in chord:
            f = 261.63 * 2 ** ((tonic + p) / 12)
            for h in (1, 2, 3):
                y[s:e] += 0.06 / h * np.sin(2 * np.pi * f * h * tt) * env
        fb = 65.41 * 2 ** ((tonic + chord[0]) / 12)
        y[s:e] += 0.12 * np.sin(2 * np.pi * fb * tt) * env
    beats = np.arange(0, seconds - 0.05, beat)
    length = int(0.03 * sr)
    for i, bt in enumerate(beats):
        s = int(bt * sr)
        click = rng.standard_normal(length) * np.exp(-np.arange(length) / (0.004 * sr))
        y[s:s + length] += (0.5 if i % 4 == 0 else 0.3) * click[: max(0, n - s)]
    return y.astype(np.float32), beats
