"""Mix and master rendered stems: per-stem effects, then one shared bus gain.

Where the non-linear stages go, so that the stems still sum to the mix:

* per-stem stages (level, reverb: one shared reverb whose output is split back to
    the stems by their share of the send) are part of each stem;
* the bus stages (loudness gain, glue compressor, true-peak limiter) are computed from
  the summed mix as a *gain envelope* g(t) and then applied to every stem alike.
  Because the same g(t) multiplies each stem, ``sum(stems) == mix`` up to float rounding,
  and the limiter's ceiling still holds on the mix.

Loudness is normalised to -14 LUFS integrated (ITU-R BS.1770 via pyloudnorm) and the
true peak (4x oversampled) is kept at or below -1 dBTP.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, signal

TARGET_LUFS = -14.0
TRUE_PEAK_CEILING_DB = -1.0
_LIMITER_CEILING_DB = -1.3  # margin under the ceiling for interpolation between gain samples


def db_to_gain(db):
    """Decibels to a linear amplitude factor."""
    return 10.0 ** (np.asarray(db, dtype=float) / 20.0)


def gain_to_db(gain):
    """Linear amplitude factor to decibels (floored at -200 dB)."""
    return 20.0 * np.log10(np.maximum(np.asarray(gain, dtype=float), 1e-10))


def integrated_loudness(audio: np.ndarray, *, sample_rate: int) -> float:
    """Integrated loudness in LUFS of an (n, ch) signal (pyloudnorm, BS.1770-4).

    Signals shorter than one 400 ms gating block are measured as if repeated.
    """
    import pyloudnorm

    audio = np.asarray(audio, dtype=np.float64)
    min_len = int(0.5 * sample_rate)
    if len(audio) < min_len:
        audio = np.tile(audio, (int(np.ceil(min_len / max(len(audio), 1))), 1))
    return float(pyloudnorm.Meter(sample_rate).integrated_loudness(audio))


def _channel_abs_max(audio: np.ndarray) -> np.ndarray:
    """max(|x|) over channels of an (n, ch) array, shape (n,) (faster than .max(axis=1))."""
    out = np.abs(audio[:, 0])
    for c in range(1, audio.shape[1]):
        np.maximum(out, np.abs(audio[:, c]), out=out)
    return out


def _interpolation_filters(oversample: int, taps_per_phase: int = 16) -> np.ndarray:
    """Polyphase windowed-sinc filters, (oversample - 1, taps_per_phase), for phases 1..k-1."""
    half = taps_per_phase // 2
    k = np.arange(-half + 1, half + 1)  # taps x[n + k]
    phases = []
    for p in range(1, oversample):
        t = k - p / oversample  # distance (samples) from the interpolated point
        h = np.sinc(t) * np.kaiser(taps_per_phase, 8.0)
        phases.append(h / h.sum())
    return np.array(phases, dtype=np.float32), k


def true_peak_envelope(audio: np.ndarray, *, oversample: int = 4) -> np.ndarray:
    """Per-sample true-peak magnitude, max over channels, from ``oversample``x interpolation.

    The interpolation uses 16-tap Kaiser-windowed sinc filters per phase (fast; within
    about 0.1 dB of a long polyphase resampler on music).

    Returns
    -------
    envelope : np.ndarray, shape (n,)
        The largest absolute value of the band-limited signal within each sample period
        (from the sample to just before the next one).
    """
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[:, None]
    n = len(audio)
    envelope = _channel_abs_max(audio)
    filters, offsets = _interpolation_filters(oversample)
    for h in filters:
        # correlate1d centres the filter; shift its origin so tap j multiplies x[n + offsets[j]]
        origin = -(len(h) // 2) - int(offsets[0])
        between = ndimage.correlate1d(audio, h, axis=0, mode="constant", origin=origin)
        np.maximum(envelope, _channel_abs_max(between), out=envelope)
    return envelope


def true_peak_db(audio: np.ndarray, *, oversample: int = 4, exact: bool = False) -> float:
    """True peak in dBTP (4x oversampled, as BS.1770 recommends).

    ``exact=True`` uses scipy's polyphase resampler over the whole signal (slower; the
    benchmarks use it as an independent check).
    """
    audio = np.asarray(audio, dtype=np.float32)
    if len(audio) == 0:
        return -200.0
    if exact:
        up = signal.resample_poly(audio.astype(np.float64), oversample, 1, axis=0)
        return float(gain_to_db(max(np.abs(up).max(), np.abs(audio).max())))
    return float(gain_to_db(true_peak_envelope(audio, oversample=oversample).max()))


def _k_weighted_power(audio: np.ndarray, *, sample_rate: int) -> np.ndarray:
    """Per-sample K-weighted power summed over channels (BS.1770 stage 1), shape (n,).

    Uses pyloudnorm's two K-weighting biquads (high shelf + high pass) as one SOS cascade.
    """
    import pyloudnorm

    stages = pyloudnorm.Meter(sample_rate)._filters.values()
    sos = np.vstack([signal.tf2sos(st.b, st.a) for st in stages])
    gain = float(np.prod([st.passband_gain for st in stages]))
    y = signal.sosfilt(sos, np.asarray(audio, dtype=np.float32), axis=0) * gain
    return sum(y[:, c] ** 2 for c in range(y.shape[1]))


def _gated_loudness(power: np.ndarray, *, sample_rate: int) -> float:
    """BS.1770 integrated loudness from per-sample K-weighted power (400 ms, 75 % overlap)."""
    block, step = int(0.4 * sample_rate), int(0.1 * sample_rate)
    if len(power) < block:
        power = np.tile(power, int(np.ceil(block / max(len(power), 1))) + 1)
    csum = np.concatenate([[0.0], np.cumsum(power, dtype=np.float64)])
    starts = np.arange(0, len(power) - block + 1, step)
    z = (csum[starts + block] - csum[starts]) / block
    loud = -0.691 + 10 * np.log10(np.maximum(z, 1e-20))
    z = z[loud > -70.0]
    if len(z) == 0:
        return -200.0
    relative = -0.691 + 10 * np.log10(z.mean()) - 10.0
    z = z[-0.691 + 10 * np.log10(z) > relative]
    return float(-0.691 + 10 * np.log10(z.mean()))


def _smooth_min_gain(required: np.ndarray, window: int, *, wrap: bool) -> np.ndarray:
    """A smooth gain never above ``required``: min filter over 2w+1, then mean over w+1.

    Every output sample averages min-filtered values whose windows all contain it,
    so the result is <= required everywhere (a look-ahead limiter without overshoot).
    """
    mode = "wrap" if wrap else "nearest"
    held = ndimage.minimum_filter1d(required, size=2 * window + 1, mode=mode)
    return ndimage.uniform_filter1d(held, size=window + 1, mode=mode)


_BLOCK = 256  # samples per envelope block (5.8 ms at 44.1 kHz)


def _block_power(audio: np.ndarray) -> np.ndarray:
    """Mean power over channels per block of _BLOCK samples, shape (ceil(n / _BLOCK),)."""
    n = len(audio)
    pad = (-n) % _BLOCK
    power = sum(audio[:, c].astype(np.float32) ** 2 for c in range(audio.shape[1])) / audio.shape[1]
    if pad:
        power = np.concatenate([power, np.zeros(pad, np.float32)])
    return power.reshape(-1, _BLOCK).mean(axis=1)


def _blocks_to_samples(values: np.ndarray, n: int) -> np.ndarray:
    """Linear interpolation of a per-block curve to n samples, shape (n,) float32.

    Block k's value sits at sample k * _BLOCK; a vectorised ramp per block (faster than
    np.interp on millions of points).
    """
    values = np.asarray(values, dtype=np.float32)
    nxt = np.append(values[1:], values[-1])
    ramp = np.arange(_BLOCK, dtype=np.float32) / _BLOCK
    out = (values[:, None] + (nxt - values)[:, None] * ramp[None, :]).ravel()
    return out[:n]


def _compressor_gain(
    mix: np.ndarray, *, sample_rate: int, threshold_db: float, ratio: float, wrap: bool
) -> np.ndarray:
    """Gain envelope of a gentle RMS bus compressor (slow, 'glue'), shape (n,)."""
    if ratio <= 1.0:
        return np.ones(len(mix), dtype=np.float32)
    mode = "wrap" if wrap else "nearest"
    blocks_per_s = sample_rate / _BLOCK
    power = _block_power(mix)
    rms_db = 10.0 * np.log10(ndimage.uniform_filter1d(power, size=max(1, int(0.08 * blocks_per_s)), mode=mode) + 1e-12)
    gain_db = -np.maximum(rms_db - threshold_db, 0.0) * (1.0 - 1.0 / ratio)
    # release-like smoothing so the gain does not pump on every drum hit
    gain_db = ndimage.uniform_filter1d(gain_db, size=max(1, int(0.25 * blocks_per_s)), mode=mode)
    return _blocks_to_samples(db_to_gain(gain_db), len(mix))


def _add_shared_reverb(stems: dict[str, np.ndarray], sends: dict[str, float], *, sample_rate: int,
                       room_size: float, wrap: bool) -> None:
    """One reverb for all stems, its output shared back to the stems (in place).

    A reverb per stem is the costliest step of the mix, so the stems' sends are summed
    into one reverb (freeverb via pedalboard), and each stem gets the part of the wet
    signal that matches its share of the send energy over the last ~1.5 s (the time a
    tail takes to decay). The shares sum to one, so the stems still sum to the mix.
    """
    import pedalboard

    names = [k for k in sends if sends[k] > 0]
    if not names:
        return
    bus = np.zeros_like(stems[names[0]])
    for k in names:
        bus += stems[k] * np.float32(sends[k])
    verb = pedalboard.Reverb(room_size=room_size, damping=0.5, wet_level=1.0, dry_level=0.0, width=1.0)
    wet = verb(np.ascontiguousarray(bus.T), sample_rate).T
    del bus
    # High-pass the return, as mixing engineers do: freeverb's combs build up a slow,
    # near-DC swell at large room sizes that costs headroom and adds nothing audible.
    sos = signal.butter(2, 120.0, "highpass", fs=sample_rate, output="sos")
    wet = np.ascontiguousarray(signal.sosfilt(sos, wet, axis=0), dtype=np.float32)
    if len(names) == 1:
        stems[names[0]] += wet
        return
    window = max(1, int(1.5 * sample_rate / _BLOCK))
    mode = "wrap" if wrap else "nearest"
    # trailing window: a tail belongs to what was played before it
    energy = np.stack([
        ndimage.uniform_filter1d(_block_power(stems[k]) * sends[k] ** 2, size=window, mode=mode,
                                 origin=(window - 1) // 2)
        for k in names
    ])
    total = energy.sum(0)
    share = np.where(total > 1e-12, energy / np.maximum(total, 1e-12), 1.0 / len(names))
    for k, w in zip(names, share):
        stems[k] += wet * _blocks_to_samples(w, len(wet))[:, None]


def mix_and_master(
    stems: dict[str, np.ndarray],
    *,
    sample_rate: int = 44100,
    style: str | None = None,
    roles: dict[str, str] | None = None,
    loop: bool = False,
    length: int | None = None,
    fade: tuple[int, np.ndarray] | None = None,
    target_lufs: float = TARGET_LUFS,
    ceiling_db: float = TRUE_PEAK_CEILING_DB,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Mix dry stems with the style's effects and master the sum.

    Parameters
    ----------
    stems : dict of str -> np.ndarray, each (n, 2) float32
        Dry stems, all the same length. Modified in place (and returned processed).
    style : str, optional
        Style name for the mix settings (reverb size and send per role, compression).
    roles : dict of str -> str, optional
        Stem name -> role ("melody", "chords", "pad", "bass", "drums", "hits"); stems
        whose name is not a role and that have no entry get the "chords" settings.
    loop : bool
        Treat the signal as circular (envelopes wrap around), for seamless loops.
    length : int, optional
        Output length in samples. Longer stems are cut to it after their effects; with
        ``loop`` the part beyond it (note and reverb tails) is added onto the start.
    fade : (start sample, gain curve), optional
        A fade-out applied to every stem after its effects (an ending).

    Returns
    -------
    mix : np.ndarray, shape (n, 2), float32
        -14 LUFS integrated, true peak <= -1 dBTP (unless silent).
    stems : dict of str -> np.ndarray
        The processed stems; they sum to ``mix``.
    """
    from cinemuse.music.styles import get_style

    mix_settings = get_style(style).mix
    roles = roles or {}
    # The stems are processed in place (a 20-minute piece has gigabytes of stems).
    processed, sends = stems, {}
    for name, stem in stems.items():
        role = roles.get(name, name if name in mix_settings.levels_db else "chords")
        if stem.dtype != np.float32 or not stem.flags.writeable:
            stems[name] = stem = np.array(stem, dtype=np.float32)
        stem *= np.float32(db_to_gain(mix_settings.levels_db.get(role, 0.0)))
        sends[name] = mix_settings.reverb_sends.get(role, 0.0)
    _add_shared_reverb(processed, sends, sample_rate=sample_rate, room_size=mix_settings.room_size, wrap=loop)
    if length is not None:
        for name, stem in processed.items():
            if len(stem) > length:
                out = stem[:length].copy()
                if loop:
                    extra = stem[length:]
                    while len(extra):  # a tail longer than the loop wraps more than once
                        k = min(len(extra), length)
                        out[:k] += extra[:k]
                        extra = extra[k:]
                processed[name] = out
    if fade is not None:  # after the reverb, so its tail fades with the music
        start, curve = fade
        for stem in processed.values():
            stem[start : start + len(curve)] *= curve[:, None]
    n = len(next(iter(processed.values())))
    mix = np.zeros((n, 2), dtype=np.float32)
    for stem in processed.values():
        mix += stem
    if not np.any(mix):
        return mix, processed

    # 1. glue compression, 2. loudness to target, 3. true-peak limiter. The limiter
    # lowers loudness a little, so iterate the pre-gain: peaks scale linearly with it,
    # and the K-weighted power (computed once) scales with the slowly varying gain^2.
    comp = _compressor_gain(mix, sample_rate=sample_rate, threshold_db=mix_settings.comp_threshold_db,
                            ratio=mix_settings.comp_ratio, wrap=loop)
    compressed = mix * comp[:, None]
    power = _k_weighted_power(compressed, sample_rate=sample_rate)
    pre_gain = float(db_to_gain(target_lufs - _gated_loudness(power, sample_rate=sample_rate)))
    ceiling = float(db_to_gain(_LIMITER_CEILING_DB))
    peak_env = true_peak_envelope(compressed)
    window = max(1, int(0.005 * sample_rate))
    for _ in range(12):
        required = np.minimum(1.0, ceiling / np.maximum(pre_gain * peak_env, 1e-9))
        limit = _smooth_min_gain(required.astype(np.float32), window, wrap=loop)
        error_db = target_lufs - _gated_loudness(power * (pre_gain * limit) ** 2, sample_rate=sample_rate)
        if abs(error_db) < 0.05:
            break
        # the limiter absorbs part of each increase: overshoot a little so it converges
        pre_gain *= float(db_to_gain(min(error_db * 1.3, 6.0)))
    # the limit must belong to the final pre_gain (the loop may have run out after raising it)
    required = np.minimum(1.0, ceiling / np.maximum(pre_gain * peak_env, 1e-9))
    limit = _smooth_min_gain(required.astype(np.float32), window, wrap=loop)
    gain = (pre_gain * comp * limit).astype(np.float32)
    # The limiter ceiling sits 0.3 dB under the target: room for the interpolation filter's
    # error and the gain's own modulation (the benchmarks check the result independently).
    if ceiling_db < _LIMITER_CEILING_DB + 0.3:  # a caller asked for a lower ceiling
        gain *= np.float32(db_to_gain(ceiling_db - 0.3 - _LIMITER_CEILING_DB))
    out = np.zeros_like(mix)
    for name in processed:
        processed[name] *= gain[:, None]
        out += processed[name]
    return out, processed
