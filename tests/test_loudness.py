"""The package's one BS.1770 meter against pyloudnorm, an independent implementation."""

from __future__ import annotations

import numpy as np
import pytest

from cinemuse import loudness

pyloudnorm = pytest.importorskip("pyloudnorm")


@pytest.mark.parametrize("sr", [22050, 44100, 48000])
@pytest.mark.parametrize("seconds", [3.0, 7.33])
def test_integrated_loudness_matches_pyloudnorm(sr, seconds):
    rng = np.random.default_rng(sr)
    n = int(seconds * sr)
    x = rng.standard_normal((n, 2)) * np.linspace(0.01, 0.3, n)[:, None]  # a crescendo: the gates matter
    x[: n // 4] *= 1e-4  # a quiet start, dropped by the relative gate
    ours = loudness.integrated_loudness(x, sample_rate=sr)
    assert abs(ours - pyloudnorm.Meter(sr).integrated_loudness(x)) < 1e-6


def test_frequency_response_is_the_filters_response():
    """The spectral weighting (analysis) and the time-domain filter (mastering) agree."""
    from scipy import signal

    sr = 44100
    freqs = np.array([20.0, 38.0, 100.0, 1000.0, 1500.0, 4000.0, 16000.0])
    _, h = signal.sosfreqz(loudness.k_weighting_sos(sr), worN=freqs, fs=sr)
    np.testing.assert_allclose(loudness.k_weighting_power(freqs, sample_rate=sr), np.abs(h) ** 2, rtol=1e-9)
    db = 10 * np.log10(loudness.k_weighting_power(np.array([30.0, 1000.0, 10000.0]), sample_rate=48000))
    assert db[0] < -1.0 and abs(db[1]) < 1.0 and 3.5 < db[2] < 4.5  # high pass, flat, +4 dB shelf


def test_silence_passes_no_gate():
    assert loudness.gated_loudness(np.zeros(10)) == float("-inf")
    assert loudness.integrated_loudness(np.zeros((44100, 2)), sample_rate=44100) == float("-inf")
