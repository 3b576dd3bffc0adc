"""Small numpy building blocks for song analysis: STFT, mel, onsets, tempo, beats, chroma.

Why not librosa at run time: importing ``librosa.beat`` / ``librosa.onset`` compiles numba
code (10-15 s on a busy 2-core laptop), more than the whole time budget of
``cinemuse analyze``.  These functions follow librosa's conventions (centred frames,
``y -> features`` with keyword-only options, frame ``t`` at ``t * hop / sr`` seconds) and
import only numpy and scipy (librosa and its JIT start-up are not needed at run time).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


# A stereo block whose difference L - R holds this many times the energy of its sum L + R
# has one channel wired the wrong way round: its mean is near silence though both speakers
# play, so the difference is what is analysed.  Ordinary mixes keep the sum above the
# difference (a hard-panned part gives equal energies; over the benchmark's renders and the
# shared recordings, 1.5-s blocks, the difference reached 3 times the sum only in reverb tails).
ANTIPHASE_RATIO = 10.0


def downmix(x: np.ndarray) -> np.ndarray:
    """(m,) or (m, channels) float32 samples -> (m,) their channel mean; for a stereo block
    in antiphase (see :data:`ANTIPHASE_RATIO`), half the difference of its channels.

    Summed a column at a time: on interleaved samples ``x.mean(axis=1)`` reduces two-element
    rows one by one and is ~10x slower, which shows at 44.1 kHz.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        return x
    if x.shape[1] == 2:
        total, difference = x[:, 0] + x[:, 1], x[:, 0] - x[:, 1]
        if float(np.dot(difference, difference)) > ANTIPHASE_RATIO * float(np.dot(total, total)):
            total = difference
        total *= np.float32(0.5)
        return total
    out = x[:, 0].copy()
    for ch in range(1, x.shape[1]):
        out += x[:, ch]
    if x.shape[1] > 1:
        out /= np.float32(x.shape[1])
    return out


def stft_magnitude(y: np.ndarray, *, n_fft: int = 2048, hop_length: int = 512) -> np.ndarray:
    """Magnitude spectrogram of a centred, Hann-windowed STFT.

    Parameters
    ----------
    y : (n,) float mono signal

    Returns
    -------
    (1 + n_fft // 2, n_frames) float32; frame ``t`` is centred at sample ``t * hop_length``
    """
    from scipy.fft import rfft  # float32 transforms (numpy's always work in float64)

    y = np.asarray(y, dtype=np.float32)
    pad = n_fft // 2
    yp = np.pad(y, (pad, pad), mode="constant")
    if len(yp) < n_fft:
        yp = np.pad(yp, (0, n_fft - len(yp)))
    frames = sliding_window_view(yp, n_fft)[::hop_length]  # (T, n_fft) view
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)  # periodic Hann
    out = np.empty((n_fft // 2 + 1, frames.shape[0]), dtype=np.float32)
    block = 1024  # bounded memory: 1024 frames at a time
    for start in range(0, frames.shape[0], block):
        chunk = frames[start : start + block] * window
        out[:, start : start + block] = np.abs(rfft(chunk, axis=1)).T
    return out


def hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    """HTK mel scale."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(
    *, sr: int, n_fft: int, n_mels: int = 96, fmin: float = 0.0, fmax: float | None = None
) -> np.ndarray:
    """Triangular, area-normalised mel filters, (n_mels, 1 + n_fft // 2) float32."""
    fmax = sr / 2 if fmax is None else fmax
    fft_freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    mel_points = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    lower, centre, upper = mel_points[:-2, None], mel_points[1:-1, None], mel_points[2:, None]
    up = (fft_freqs - lower) / np.maximum(centre - lower, 1e-9)
    down = (upper - fft_freqs) / np.maximum(upper - centre, 1e-9)
    weights = np.maximum(0.0, np.minimum(up, down))
    weights *= (2.0 / np.maximum(upper - lower, 1e-9))  # equal area (Slaney norm)
    return weights.astype(np.float32)


def power_to_db(power: np.ndarray, *, top_db: float = 80.0) -> np.ndarray:
    """10 log10(power / max), floored at ``-top_db``."""
    ref = float(power.max()) if power.size else 1.0
    db = 10.0 * np.log10(np.maximum(power, 1e-10) / max(ref, 1e-10))
    return np.maximum(db, -top_db).astype(np.float32)


def onset_strength(log_mel: np.ndarray, *, lag: int = 1) -> np.ndarray:
    """Spectral flux: mean over bands of the positive log-mel increase, (n_frames,) >= 0.

    The first ``lag`` frames are zero so the envelope stays aligned with the frames.
    """
    flux = np.maximum(0.0, log_mel[:, lag:] - log_mel[:, :-lag]).mean(axis=0)
    return np.concatenate([np.zeros(lag, dtype=np.float32), flux.astype(np.float32)])


# Two tests an onset passes besides librosa's (a local maximum above the local mean): it
# stands ONSET_SPREAD median absolute deviations above the median of the 2 s around it (the
# flicker of a pad's chorus is no onset), and the spectrum rises by ONSET_MIN_RISE_DB on
# average over the mel bands (a sine's rounding noise is none).  Chosen against the note
# onsets in the MIDI (+-50 ms) of cinemuse's styles (seeds 1-3) and of validation-split POP909
# and folk pieces in MuseScore's font: 3.5 brought an ambient pad from 5 onsets a second to ~1
# (its notes: 0.4); 5 % of the onsets found on notes rise less than 1.2-2.9 dB, held chords,
# glissandi and sines 0.01-0.6 dB.  Held-out figures: benchmarks/bench_onsets.py.
ONSET_SPREAD = 3.5
ONSET_MIN_RISE_DB = 0.5


def _local_max(x: np.ndarray, radius: int) -> np.ndarray:
    padded = np.pad(x, radius, mode="edge")
    return sliding_window_view(padded, 2 * radius + 1).max(axis=1)


def _local_mean(x: np.ndarray, radius: int) -> np.ndarray:
    c = np.concatenate([[0.0], np.cumsum(x, dtype=np.float64)])
    idx = np.arange(len(x))
    lo, hi = np.clip(idx - radius, 0, len(x)), np.clip(idx + radius + 1, 0, len(x))
    return (c[hi] - c[lo]) / np.maximum(hi - lo, 1)


def onset_frames(envelope: np.ndarray, *, sr: int, hop_length: int, delta: float = 0.07,
                 min_gap_s: float = 0.03, spread: float = ONSET_SPREAD,
                 min_rise: float = ONSET_MIN_RISE_DB) -> np.ndarray:
    """Peak-picked onsets (frame indices): local maxima above the local mean plus ``delta``
    that also stand ``spread`` median absolute deviations above the median of the 2 s around
    and reach ``min_rise`` (``envelope``: the mean rise in dB over the mel bands, as
    :mod:`cinemuse.analysis.song_features` computes it).

    ``envelope`` is normalised to 0..1 first, as librosa's ``onset_detect`` does, but by its
    99th percentile rather than its maximum: one outlier (the first note after silence)
    would otherwise flatten every other onset under the threshold.  That normalising also
    blows up the flicker of a sustained sound (a pad's chorus, a held chord, a sine) to the
    size of onsets; the spread and the minimum rise keep only what rises out of it.
    """
    from scipy.ndimage import median_filter

    loud_enough = envelope >= min_rise
    env = envelope - envelope.min()
    env = np.minimum(env / (np.percentile(env, 99) + 1e-9), 1.5).astype(np.float32)
    r_max = max(1, int(0.03 * sr / hop_length))
    r_mean = max(1, int(0.1 * sr / hop_length))
    window = int(2.0 * sr / hop_length) | 1
    median = median_filter(env, size=window, mode="nearest")
    deviation = median_filter(np.abs(env - median), size=window, mode="nearest")
    is_peak = ((env == _local_max(env, r_max)) & (env >= _local_mean(env, r_mean) + delta)
               & (env >= median + spread * deviation) & loud_enough)
    peaks = np.flatnonzero(is_peak)
    if len(peaks) == 0:
        return peaks
    min_gap = max(1, int(min_gap_s * sr / hop_length))
    keep = [peaks[0]]
    for p in peaks[1:]:
        if p - keep[-1] >= min_gap:
            keep.append(p)
    return np.asarray(keep)


def tempo_salience(envelope: np.ndarray, *, sr: int, hop_length: int,
                   win_length: int = 384) -> tuple[np.ndarray, np.ndarray]:
    """Mean local autocorrelation of the onset envelope (an averaged tempogram).

    Returns
    -------
    bpms : (win_length - 1,) tempo of each lag, BPM
    salience : (win_length - 1,) mean normalised autocorrelation at each lag
    """
    env = envelope - _local_mean(envelope, int(sr / hop_length))  # remove slow loudness trend
    env = np.maximum(env, 0).astype(np.float64)
    if len(env) < win_length:
        env = np.pad(env, (0, win_length - len(env)))
    windows = sliding_window_view(env, win_length)[:: win_length // 4]  # (W, win) view
    hann = np.hanning(win_length)
    total = np.zeros(win_length)
    for start in range(0, windows.shape[0], 256):  # bounded memory for hours of audio
        spec = np.fft.rfft(windows[start : start + 256] * hann, n=2 * win_length, axis=1)
        ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :win_length]
        total += (ac / (ac[:, :1] + 1e-9)).sum(axis=0)
    salience = (total / windows.shape[0])[1:]
    lags = np.arange(1, win_length)
    bpms = 60.0 * sr / (hop_length * lags)
    return bpms, salience


def track_beats(envelope: np.ndarray, *, tempo_bpm: float, sr: int, hop_length: int,
                tightness: float = 100.0) -> np.ndarray:
    """Dynamic-programming beat tracker (Ellis 2007), beat frame indices.

    Each beat maximises the onset strength it lands on plus a penalty
    ``-tightness * log(interval / period)^2`` for straying from the tempo.
    """
    period = 60.0 * sr / (hop_length * tempo_bpm)  # frames per beat
    env = envelope / (envelope.std() + 1e-9)
    # local score: onset strength smoothed by a Gaussian about a 32nd of the period wide
    width = max(1, int(round(period / 4)))
    kernel = np.exp(-0.5 * (np.arange(-width, width + 1) * 32.0 / period) ** 2)
    local = np.convolve(env, kernel, mode="same")
    n = len(local)
    cum = local.astype(np.float64).copy()
    back = -np.ones(n, dtype=np.int64)
    lo_off, hi_off = int(round(2 * period)), max(1, int(round(period / 2)))
    offsets = np.arange(-lo_off, -hi_off + 1)  # candidate previous-beat offsets
    penalty = -tightness * np.log(-offsets / period) ** 2
    # the chain starts after the first frame with any onset strength; before it (and on it)
    # each frame's score is its own strength
    above = np.flatnonzero(local > local.max() * 0.01)
    start = int(above[0]) + 1 if len(above) else n
    # a frame's predecessors lie at least hi_off frames back, so a block of hi_off frames
    # depends only on frames before it: the recursion runs a block at a time
    for a in range(start, n, hi_off):
        t = np.arange(a, min(a + hi_off, n))
        prev = t[:, None] + offsets[None, :]
        cand = np.where(prev >= 0, cum[np.maximum(prev, 0)] + penalty, -np.inf)
        j = np.argmax(cand, axis=1)
        best = cand[np.arange(len(t)), j]
        cum[t] = local[t] + np.maximum(best, 0.0)
        back[t] = np.where(best > 0, prev[np.arange(len(t)), j], -1)
    # last beat: the latest local maximum of the cumulative score above half its median peak
    peaks = np.flatnonzero((cum[1:-1] >= cum[:-2]) & (cum[1:-1] >= cum[2:])) + 1
    if len(peaks) == 0:
        return np.zeros(0, dtype=np.int64)
    threshold = 0.5 * np.median(cum[peaks])
    last = peaks[cum[peaks] >= threshold][-1]
    beats = [int(last)]
    while back[beats[-1]] >= 0:
        beats.append(int(back[beats[-1]]))
    beats = np.asarray(beats[::-1])
    # trim leading / trailing beats on silence (onset strength far below the typical beat)
    strength = local[beats]
    keep = strength > 0.3 * np.sqrt(np.mean(strength**2))
    if keep.any():
        first, last_i = np.flatnonzero(keep)[[0, -1]]
        beats = beats[first : last_i + 1]
    return beats


def beat_sync(feat: np.ndarray, frame_times: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """Mean of ``feat`` columns between beats: (d, n_beats + 1), before beat 0 then per beat."""
    if feat.shape[1] == 0:
        return np.zeros((feat.shape[0], len(beats) + 1), np.float32)
    idx = np.searchsorted(frame_times, beats)
    bounds = np.concatenate([[0], idx, [feat.shape[1]]])
    c = np.zeros((feat.shape[0], feat.shape[1] + 1))  # c[:, k]: the sum of the first k columns
    np.cumsum(feat, axis=1, dtype=np.float64, out=c[:, 1:])
    lo, hi = bounds[:-1], bounds[1:]
    sums = c[:, hi] - c[:, lo]
    means = sums / np.maximum(hi - lo, 1)
    empty = hi <= lo  # no frame between two beats: the frame at the beat
    if empty.any():
        means[:, empty] = feat[:, np.minimum(lo[empty], feat.shape[1] - 1)]
    return means


def column_change(unit_columns: np.ndarray, lag: int = 1) -> np.ndarray:
    """(n,) 1 - cosine between each unit-length column and the one ``lag`` before it (0 where
    none is): how much a beat-synchronous chroma changes from beat to beat."""
    out = np.zeros(unit_columns.shape[1])
    if unit_columns.shape[1] > lag:
        out[lag:] = 1.0 - np.sum(unit_columns[:, lag:] * unit_columns[:, :-lag], axis=0)
    return out


def chroma_filterbank(*, sr: int, n_fft: int, fmin: float = 27.5, fmax: float = 5000.0,
                      tuning: float = 0.0) -> np.ndarray:
    """Map STFT bins to 12 pitch classes (C first), (12, 1 + n_fft // 2) float32.

    A bin adds to the pitch class of its nearest semitone with a Gaussian weight on the
    distance to that semitone (sigma 0.25 semitone), so energy between semitones counts
    little.  ``tuning`` (in semitones, -0.5..0.5) shifts the reference from A440.
    """
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    fb = np.zeros((12, len(freqs)), dtype=np.float32)
    ok = (freqs >= fmin) & (freqs <= fmax)
    midi = 69.0 + 12.0 * np.log2(freqs[ok] / 440.0) - tuning
    nearest = np.round(midi)
    weight = np.exp(-0.5 * ((midi - nearest) / 0.25) ** 2)
    fb[(nearest.astype(int) % 12), np.flatnonzero(ok)] = weight
    return fb


def estimate_tuning(magnitude: np.ndarray, *, sr: int, n_fft: int) -> float:
    """Deviation from A440 in semitones (-0.5..0.5) from the strongest spectral peaks."""
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    mean_spec = magnitude.mean(axis=1)
    ok = (freqs > 80) & (freqs < 2000)
    spec = np.where(ok, mean_spec, 0)
    peaks = np.flatnonzero((spec[1:-1] > spec[:-2]) & (spec[1:-1] > spec[2:])) + 1
    if len(peaks) < 3:
        return 0.0
    peaks = peaks[np.argsort(spec[peaks])[-40:]]
    # parabolic peak frequency
    a, b, c = spec[peaks - 1], spec[peaks], spec[peaks + 1]
    shift = 0.5 * (a - c) / np.where(a - 2 * b + c == 0, 1e-9, a - 2 * b + c)
    f = (peaks + np.clip(shift, -0.5, 0.5)) * sr / n_fft
    dev = 69.0 + 12.0 * np.log2(f / 440.0)
    dev = dev - np.round(dev)
    # circular mean (deviations wrap at +-0.5 semitone)
    angle = np.angle(np.sum(spec[peaks] * np.exp(2j * np.pi * dev)))
    return float(angle / (2 * np.pi))


def novelty_boundaries(features: np.ndarray, *, n_boundaries: int, kernel_half: int = 16,
                       min_gap: int = 16) -> np.ndarray:
    """Section boundaries (column indices) from a Foote checkerboard novelty curve.

    Parameters
    ----------
    features : (d, n) beat-synchronous features, standardised per row
    n_boundaries : how many interior boundaries to return at most
    kernel_half : half size of the checkerboard kernel, in columns (beats)
    min_gap : fewest columns between two boundaries

    Returns
    -------
    (k,) sorted interior boundary indices, 0 < b < n
    """
    d, n = features.shape
    if n < 2 * min_gap or n_boundaries <= 0:
        return np.zeros(0, dtype=np.int64)
    f = features / (np.linalg.norm(features, axis=0, keepdims=True) + 1e-9)
    k = min(kernel_half, n // 4)
    g = np.exp(-0.5 * (np.linspace(-1.5, 1.5, 2 * k)) ** 2)
    sign = np.where(np.arange(2 * k) < k, -1.0, 1.0)
    kernel = np.outer(g * sign, g * sign)  # +1 on the diagonal blocks, -1 off them
    # only the band of the cosine self-similarity the kernel covers is ever formed, so hours
    # of beats cost memory linear in their number (columns past the ends repeat the edge)
    idx = np.clip(np.arange(-k, n + k), 0, n - 1)
    padded = f[:, idx]
    novelty = np.zeros(n)
    for i in range(n):
        w = padded[:, i : i + 2 * k]
        novelty[i] = np.sum((w.T @ w) * kernel)
    novelty = np.maximum(novelty, 0)
    order = np.argsort(novelty)[::-1]
    chosen: list[int] = []
    for i in order:
        if novelty[i] <= 0 or len(chosen) >= n_boundaries:
            break
        if i < min_gap // 2 or i > n - min_gap // 2:
            continue
        if all(abs(i - c) >= min_gap for c in chosen):
            chosen.append(int(i))
    return np.asarray(sorted(chosen), dtype=np.int64)


def segment_energy(samples: np.ndarray, *, sr: int, segment: int | None = None) -> np.ndarray:
    """K-weighted mean square of each 100-ms segment, per channel: (channels, n_segments).

    Computed in the frequency domain (Parseval: the mean square of a filtered segment is the
    weighted mean of its power spectrum; only the power matters for loudness, so the filter's
    phase does not).  This avoids an IIR filter pass (and importing scipy.signal, slow to
    import), and lets a stream be measured a block at a time: segments never straddle blocks
    when blocks are whole segments long.
    """
    from scipy.fft import rfft

    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    seg = int(round(0.1 * sr)) if segment is None else int(segment)
    n_seg = x.shape[0] // seg
    weights = _segment_weights(int(sr), seg)
    out = np.zeros((x.shape[1], n_seg))
    for ch in range(x.shape[1]):
        spec = rfft(x[: n_seg * seg, ch].reshape(n_seg, seg), axis=1)
        out[ch] = ((spec.real ** 2 + spec.imag ** 2) @ weights) / (seg * seg)
    return out


@lru_cache(maxsize=8)
def _segment_weights(sr: int, seg: int) -> np.ndarray:
    """K-weighting power at the rfft bins of one segment, both halves of the spectrum counted
    (made once per rate: a stream asks for it every block)."""
    from cinemuse.loudness import k_weighting_power  # the package's one K-weighting

    weights = k_weighting_power(np.fft.rfftfreq(seg, 1.0 / sr), sample_rate=sr)
    weights[1:-1] *= 2.0  # one-sided spectrum: count the negative frequencies too
    weights.setflags(write=False)
    return weights


def gated_loudness(seg_energy: np.ndarray) -> tuple[float, np.ndarray]:
    """BS.1770-4 integrated loudness and 400-ms block loudness from :func:`segment_energy`.

    Gating blocks (400 ms, 75 % overlap) are sums of four segments; channel gains are
    BS.1770's (1, 1, 1, 1.41, 1.41 for L, R, C, Ls, Rs).

    Returns
    -------
    integrated_lufs : float (-70.0 for silence)
    block_lufs : (n_blocks,) loudness of each 400-ms block, 100-ms hop
    """
    e = np.asarray(seg_energy, dtype=np.float64)
    if e.ndim != 2 or e.shape[1] < 4:
        return -70.0, np.zeros(0)
    from cinemuse import loudness  # the package's one BS.1770: channel gains, gates, dB scale

    block_ms = (e[:, :-3] + e[:, 1:-2] + e[:, 2:-1] + e[:, 3:]) / 4.0  # (channels, n_blocks)
    gains = np.array(loudness.CHANNEL_GAINS)[: e.shape[0]]
    total = (gains[:, None] * block_ms).sum(axis=0)
    return max(loudness.gated_loudness(total), -70.0), loudness.block_loudness(total)


def loudness_blocks(samples: np.ndarray, *, sr: int) -> tuple[float, np.ndarray]:
    """BS.1770-4 integrated loudness (LUFS) and the momentary (400 ms) block loudness.

    :func:`segment_energy` then :func:`gated_loudness`; matches pyloudnorm within about
    0.1 LU on music (see the tests).

    Parameters
    ----------
    samples : (n, channels) float, channels in BS.1770 order (L, R, C, Ls, Rs)
    """
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    return gated_loudness(segment_energy(x[:, :5], sr=sr))
