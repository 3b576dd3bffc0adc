"""cinemuse.io.audio: decode anything FFmpeg reads, resample, write WAV/FLAC/MP3/AAC/Opus."""

from __future__ import annotations

import numpy as np
import pytest

from cinemuse.errors import BadInputError, OutputError
from cinemuse.io.audio import read_audio, resample, write_audio
from tests.media import make_cut_video, sine, write_tone


def peak_frequency(x: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(x.mean(axis=1) * np.hanning(x.shape[0])))
    return float(np.fft.rfftfreq(x.shape[0], 1 / sr)[spectrum.argmax()])


# lossy codecs add a little encoder delay / padding; lengths within 30 ms
FORMATS = [(".wav", 0.0), (".flac", 0.0), (".mp3", 0.06), (".m4a", 0.03), (".aac", 0.06), (".ogg", 0.03)]


@pytest.mark.parametrize("ext, slack", FORMATS, ids=[f[0] for f in FORMATS])
def test_read_files_made_by_others(tmp_path, ext, slack):
    rate = 48000 if ext == ".ogg" else 44100
    path = write_tone(tmp_path / f"tone{ext}", 1000.0, 1.0, sample_rate=rate)
    x = read_audio(path, sample_rate=22050)
    assert x.dtype == np.float32 and x.ndim == 2 and x.shape[1] == 2
    assert x.shape[0] / 22050 == pytest.approx(1.0, abs=slack + 1e-3)
    assert peak_frequency(x, 22050) == pytest.approx(1000.0, abs=3)
    assert np.abs(x).max() == pytest.approx(0.5, abs=0.06)


@pytest.mark.parametrize("ext, slack", FORMATS, ids=[f[0] for f in FORMATS])
def test_write_then_read_round_trip(tmp_path, ext, slack):
    y = sine(660.0, 1.0, sample_rate=44100, channels=2, amplitude=0.4)
    y[:, 1] *= 0.5  # channels differ: their order must survive
    out = write_audio(tmp_path / f"o{ext}", y, 44100)
    x = read_audio(out, sample_rate=44100)
    assert x.shape[1] == 2
    assert x.shape[0] / 44100 == pytest.approx(1.0, abs=slack + 1e-3)
    assert peak_frequency(x, 44100) == pytest.approx(660.0, abs=3)
    left, right = np.abs(x[:, 0]).max(), np.abs(x[:, 1]).max()
    assert right / left == pytest.approx(0.5, abs=0.05)
    if ext in (".wav", ".flac"):  # lossless: sample for sample (16/24-bit quantisation)
        np.testing.assert_allclose(x, y, atol=2 / 32768)


def test_mono_and_resampling(tmp_path):
    path = write_tone(tmp_path / "t.wav", 440.0, 2.0, sample_rate=44100, channels=2)
    x = read_audio(path, sample_rate=16000, mono=True)
    assert x.shape == (32000, 1)
    assert peak_frequency(x, 16000) == pytest.approx(440.0, abs=2)
    mono_file = write_tone(tmp_path / "m.flac", 440.0, 1.0, channels=1)
    assert read_audio(mono_file).shape == (44100, 1)


def test_resample_keeps_pitch_and_length():
    y = sine(440.0, 1.0, sample_rate=44100)
    z = resample(y, 44100, 48000)
    assert z.shape == (48000, 2) and z.dtype == np.float32
    assert peak_frequency(z, 48000) == pytest.approx(440.0, abs=2)


def test_audio_of_a_video(tmp_path):
    v = make_cut_video(tmp_path / "v.mp4", duration=1.5, audio_freq=440.0)
    x = read_audio(v.path, sample_rate=44100)
    assert x.shape[0] / 44100 == pytest.approx(v.duration, abs=0.03)
    assert peak_frequency(x, 44100) == pytest.approx(440.0, abs=3)


def test_write_audio_is_atomic_and_never_overwrites(tmp_path):
    out = tmp_path / "o.wav"
    write_audio(out, sine(440.0, 0.1), 44100)
    first = out.read_bytes()
    with pytest.raises(OutputError, match="already exists"):
        write_audio(out, sine(880.0, 0.1), 44100)
    assert out.read_bytes() == first
    write_audio(out, sine(880.0, 0.1), 44100, force=True)
    assert out.read_bytes() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.wav"]  # no temporary left


def test_write_audio_clips_instead_of_wrapping(tmp_path):
    loud = sine(440.0, 0.1, amplitude=1.5)
    x = read_audio(write_audio(tmp_path / "o.wav", loud, 44100))
    assert np.abs(x).max() <= 1.0
    assert (x.max() > 0.99) and (x.min() < -0.99)


def test_write_audio_refuses_unknown_format(tmp_path):
    with pytest.raises(BadInputError, match="unknown audio format"):
        write_audio(tmp_path / "o.xyz", sine(), 44100)
    assert list(tmp_path.iterdir()) == []


def test_read_audio_errors_name_the_file(tmp_path):
    silent = make_cut_video(tmp_path / "silent.mp4", duration=0.5).path
    with pytest.raises(BadInputError, match=r"silent\.mp4: has no audio stream"):
        read_audio(silent)
    corrupt = tmp_path / "corrupt.flac"
    corrupt.write_bytes(b"fLaC" + bytes(range(256)) * 4)
    with pytest.raises(BadInputError, match=r"corrupt\.flac"):
        read_audio(corrupt)
