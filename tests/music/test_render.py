"""render_midi / render_stems and the mix: real synthesis, loudness, true peak, stems sum."""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest

from cinemuse.music.mix import integrated_loudness, mix_and_master, true_peak_db
from cinemuse.music.render import find_soundfont, render_midi, render_stems

SR = 44100

pytestmark = pytest.mark.usefixtures("pip_only_soundfont")


def _little_song(seconds: float = 4.0) -> pretty_midi.PrettyMIDI:
    pm = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0, name="piano")
    bass = pretty_midi.Instrument(program=33, name="bass")
    drums = pretty_midi.Instrument(program=0, is_drum=True, name="drums")
    t = 0.0
    while t < seconds:
        for p in (60, 64, 67):
            piano.notes.append(pretty_midi.Note(90, p, t, t + 0.45))
        bass.notes.append(pretty_midi.Note(100, 36, t, t + 0.45))
        drums.notes.append(pretty_midi.Note(100, 36 if int(t * 2) % 2 == 0 else 38, t, t + 0.1))
        t += 0.5
    pm.instruments += [piano, bass, drums]
    return pm


def test_soundfont_is_found():
    assert find_soundfont().is_file()


def test_render_midi_is_stereo_mastered_audio():
    pm = _little_song()
    audio = render_midi(pm)
    assert audio.dtype == np.float32 and audio.ndim == 2 and audio.shape[1] == 2
    assert len(audio) >= int(4.0 * SR)
    assert abs(integrated_loudness(audio, sample_rate=SR) - (-14.0)) < 0.5
    assert true_peak_db(audio, exact=True) <= -1.0


def test_note_onset_is_sample_accurate():
    pm = pretty_midi.PrettyMIDI()
    inst = pretty_midi.Instrument(program=0)
    inst.notes.append(pretty_midi.Note(100, 60, 0.5, 1.0))
    pm.instruments.append(inst)
    stem = render_stems(pm, n_samples=SR)["acoustic_grand_piano"]
    first = int(np.flatnonzero(np.abs(stem).max(axis=1) > 1e-4)[0])
    assert abs(first - int(0.5 * SR)) < 0.003 * SR


def test_stems_sum_to_the_mix_within_minus_40_db():
    stems = render_stems(_little_song())
    assert set(stems) == {"piano", "bass", "drums"}
    mix, processed = mix_and_master(stems, sample_rate=SR, style="pop")
    residual = mix - sum(processed.values())
    err_db = 10 * np.log10(np.sum(residual**2) / np.sum(mix**2) + 1e-30)
    assert err_db < -40
    assert true_peak_db(mix, exact=True) <= -1.0


def test_true_peak_sees_intersample_peaks():
    # a quarter-sample-rate sine sampled at 45 degrees: samples reach 0.707, the wave 1.0
    n = np.arange(4410)
    x = np.sin(2 * np.pi * n / 4 + np.pi / 4).astype(np.float32)[:, None].repeat(2, 1)
    assert 20 * np.log10(np.abs(x).max()) < -2.9
    assert true_peak_db(x) > -0.3


@pytest.mark.parametrize("style", ["cinematic", "ambient", "lofi", "folk", "pop", "piano", "electronic"])
def test_each_style_mixes(style):
    stems = render_stems(_little_song(1.5))
    mix, _ = mix_and_master(stems, sample_rate=SR, style=style)
    assert np.isfinite(mix).all() and np.abs(mix).max() > 0.05
