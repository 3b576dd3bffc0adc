"""Synthetic songs with known tempo, key and beats, generated in code for the audio tests."""

from __future__ import annotations

import numpy as np

SR = 22050


def chord_click_song(*, tempo: float = 120.0, tonic: int = 9, minor: bool = True,
                     seconds: float = 24.0, sr: int = SR, seed: int = 0, offbeats: bool = True):
    """Clicks on every beat (accented downbeats), a bass and i-iv-V-i chords, one per bar.

    ``offbeats`` adds a soft high tick half-way between the beats (an eighth-note hi-hat), as
    nearly all music has some event between its beats.

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
        m = int((bt + beat / 2) * sr)
        if offbeats and m + length < n:
            y[m:m + length] += 0.12 * np.diff(click, prepend=0.0)  # high-passed: a tick
    return y.astype(np.float32), beats


def _tone(y: np.ndarray, start: float, dur: float, midi: float, amp: float, sr: int) -> None:
    s, e = int(start * sr), min(len(y), int((start + dur) * sr))
    if e <= s:
        return
    tt = np.arange(e - s) / sr
    f = 440.0 * 2 ** ((midi - 69) / 12)
    env = np.exp(-tt * 3.0) * np.minimum(1.0, tt / 0.005)
    for h in (1, 2, 3):
        y[s:e] += amp / h * np.sin(2 * np.pi * f * h * tt) * env


def _hit(y: np.ndarray, start: float, kind: str, amp: float, rng, sr: int) -> None:
    """A drum hit: "kick" (a falling 60-Hz thump), "snare" (noise), "hat" (high-passed noise)."""
    s = int(start * sr)
    n = min(int(0.12 * sr), len(y) - s)
    if n <= 0:
        return
    tt = np.arange(n) / sr
    if kind == "kick":
        y[s:s + n] += amp * np.sin(2 * np.pi * (50 + 60 * np.exp(-tt * 30)) * tt) * np.exp(-tt * 25)
    else:
        noise = rng.standard_normal(n)
        if kind == "hat":
            noise = np.diff(noise, prepend=0.0)
        y[s:s + n] += amp * noise * np.exp(-tt * (60 if kind == "hat" else 30))


def beat_song(beats: np.ndarray, *, beats_per_bar: int = 4, division: int = 2,
              drums: bool = True, chords: bool = True, seconds: float | None = None,
              sr: int = SR, seed: int = 0) -> np.ndarray:
    """A song on the given beat times: bars of ``beats_per_bar`` beats, each beat split in
    ``division`` (hi-hat or chord notes on the subdivisions).

    Drums: kick on the bar's first beat (and the middle one in 4/4), snare on the other
    beats, hats on every subdivision.  Chords: the bass on each bar start, the chord
    (C, Am, F, G, one per bar) on the other beats and one soft chord note on each
    subdivision between beats; so the harmony changes at bar starts only.
    """
    rng = np.random.default_rng(seed)
    beats = np.asarray(beats, float)
    end = float(seconds if seconds is not None else beats[-1] + 1.0)
    y = np.zeros(int(end * sr), np.float32)
    progression = [(48, (60, 64, 67)), (45, (57, 60, 64)), (41, (57, 60, 65)), (43, (55, 59, 62))]
    for i, t in enumerate(beats):
        pos, bar = i % beats_per_bar, i // beats_per_bar
        period = (beats[i + 1] - t) if i + 1 < len(beats) else (t - beats[i - 1])
        bass, chord = progression[bar % 4]
        if drums:
            strong = pos == 0 or (beats_per_bar == 4 and pos == 2)
            _hit(y, t, "kick" if strong else "snare", 0.6 if strong else 0.35, rng, sr)
            for k in range(division):
                _hit(y, t + k * period / division, "hat", 0.08, rng, sr)
        if chords:
            if pos == 0:
                _tone(y, t, period * beats_per_bar, bass, 0.25, sr)
            if pos:
                for p in chord:
                    _tone(y, t, period, p, 0.05, sr)
            for k in range(1, division):  # between the beats: one soft high chord note
                _tone(y, t + k * period / division, period / division, chord[k % 3] + 12,
                      0.03, sr)
    return np.clip(y, -1, 1).astype(np.float32)
