"""ITU-R BS.1770-4 loudness, defined once for the package: the K-weighting and the gating.

Both the song analysis (:mod:`cinemuse.analysis.audio_dsp`, which weights spectra in the
frequency domain) and the mastering (:mod:`cinemuse.music.mix`, which filters a stream
block by block) measure loudness; they share the filter, the channel weights and the
two gates defined here, and differ only in how they get the mean squares of the 400 ms
blocks.

The K-weighting is the standard's two biquads (a +4 dB high shelf near 1.5 kHz, a 38 Hz
high pass), designed for any sample rate from the analogue parameters pyloudnorm uses
(Steinmetz & Reiss, "pyloudnorm", AES 2021), so results agree with it (the tests check).

Examples
--------
>>> import numpy as np
>>> sr = 48000
>>> tone = 0.1 * np.sin(2 * np.pi * 997 * np.arange(5 * sr) / sr)
>>> round(integrated_loudness(np.stack([tone, tone], 1), sample_rate=sr), 1)
-20.0
"""

from __future__ import annotations

import numpy as np

# (kind, centre/corner frequency Hz, Q, gain dB) of the two K-weighting stages
K_WEIGHTING = (("high_shelf", 1500.0, 1 / np.sqrt(2), 4.0), ("high_pass", 38.0, 0.5, 0.0))
CHANNEL_GAINS = (1.0, 1.0, 1.0, 1.41, 1.41)  # L, R, C, Ls, Rs
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
BLOCK_SECONDS = 0.4  # gating block
STEP_SECONDS = 0.1  # 75 % overlap


def biquad(kind: str, *, fc: float, q: float, gain_db: float, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """RBJ-cookbook biquad coefficients ``(b, a)``, normalised so ``a[0] == 1``.

    ``kind`` is ``"high_shelf"`` or ``"high_pass"`` (the two the K-weighting needs).
    """
    a_gain = 10 ** (gain_db / 40.0)
    w0 = 2 * np.pi * fc / sample_rate
    alpha = np.sin(w0) / (2 * q)
    cw = np.cos(w0)
    if kind == "high_shelf":
        sq = 2 * np.sqrt(a_gain) * alpha
        b = [a_gain * ((a_gain + 1) + (a_gain - 1) * cw + sq),
             -2 * a_gain * ((a_gain - 1) + (a_gain + 1) * cw),
             a_gain * ((a_gain + 1) + (a_gain - 1) * cw - sq)]
        a = [(a_gain + 1) - (a_gain - 1) * cw + sq, 2 * ((a_gain - 1) - (a_gain + 1) * cw),
             (a_gain + 1) - (a_gain - 1) * cw - sq]
    elif kind == "high_pass":
        b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    else:
        raise ValueError(f"unknown biquad kind {kind!r}")
    return np.asarray(b) / a[0], np.asarray(a) / a[0]


def k_weighting_stages(sample_rate: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The K-weighting's two biquads ``(b, a)`` at ``sample_rate``."""
    return [biquad(kind, fc=fc, q=q, gain_db=g, sample_rate=sample_rate) for kind, fc, q, g in K_WEIGHTING]


def k_weighting_sos(sample_rate: int) -> np.ndarray:
    """The K-weighting as second-order sections, shape (2, 6), for ``scipy.signal.sosfilt``."""
    return np.vstack([np.concatenate([b, a]) for b, a in k_weighting_stages(sample_rate)])


def k_weighting_power(freqs: np.ndarray, *, sample_rate: int) -> np.ndarray:
    """|H(f)|^2 of the K-weighting at ``freqs`` (Hz), for weighting power spectra."""
    z = np.exp(-1j * 2 * np.pi * np.asarray(freqs, dtype=np.float64) / sample_rate)
    power = np.ones(z.shape, dtype=np.float64)
    for b, a in k_weighting_stages(sample_rate):
        h = (b[0] + b[1] * z + b[2] * z**2) / (a[0] + a[1] * z + a[2] * z**2)
        power *= np.abs(h) ** 2
    return power


def block_loudness(mean_square: np.ndarray) -> np.ndarray:
    """LUFS of blocks from their channel-weighted K-weighted mean square (BS.1770 eq. 4)."""
    return -0.691 + 10 * np.log10(np.maximum(np.asarray(mean_square, dtype=np.float64), 1e-12))


def block_mean_square(lufs: np.ndarray) -> np.ndarray:
    """The inverse of :func:`block_loudness`: blocks' weighted mean squares from their LUFS."""
    return 10.0 ** ((np.asarray(lufs, dtype=np.float64) + 0.691) / 10.0)


def gated_loudness(mean_square: np.ndarray) -> float:
    """Integrated loudness (LUFS) from the blocks' weighted mean squares, with both gates.

    Blocks under -70 LUFS are dropped, then those more than 10 LU under the loudness of
    the rest. Returns ``-inf`` when no block passes (silence): callers choose how to
    report that.
    """
    z = np.asarray(mean_square, dtype=np.float64)
    z = z[block_loudness(z) >= ABSOLUTE_GATE_LUFS]
    if len(z) == 0:
        return float("-inf")
    relative = float(block_loudness(z.mean())) + RELATIVE_GATE_LU
    z = z[block_loudness(z) > relative]
    return float(block_loudness(z.mean())) if len(z) else float("-inf")


def integrated_loudness(audio: np.ndarray, *, sample_rate: int) -> float:
    """Integrated loudness (LUFS) of an (n, channels) signal, filtered in the time domain.

    Blocks are laid as pyloudnorm lays them (their count rounded, the last one may be
    cut short and still divided by the full block length). ``-inf`` for silence.
    """
    from scipy import signal

    x = np.asarray(audio, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    k = signal.sosfilt(k_weighting_sos(sample_rate), x, axis=0)
    block = BLOCK_SECONDS * sample_rate
    n_blocks = int(np.round((len(x) / sample_rate - BLOCK_SECONDS) / STEP_SECONDS)) + 1
    weighted = (k**2) @ np.asarray(CHANNEL_GAINS[: x.shape[1]])
    csum = np.concatenate([[0.0], np.cumsum(weighted)])
    j = np.arange(max(n_blocks, 0))
    lo = np.minimum((STEP_SECONDS * j * sample_rate).astype(np.int64), len(x))
    hi = np.minimum((STEP_SECONDS * j * sample_rate + block).astype(np.int64), len(x))
    return gated_loudness((csum[hi] - csum[lo]) / block)
