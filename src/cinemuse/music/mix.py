"""Mix and master rendered stems: per-stem effects, then one shared bus gain.

Where the non-linear stages go, so that the stems still sum to the mix:

* per-stem stages (level, reverb: one shared reverb whose output is split back to
  the stems by their share of the send) are part of each stem;
* the bus stages (loudness gain, glue compressor, true-peak limiter) are computed from
  the summed mix as a *gain envelope* g(t) and then applied to every stem alike.
  Because the same g(t) multiplies each stem, ``sum(stems) == mix`` up to float rounding,
  and the limiter's ceiling still holds on the mix.

Loudness is normalised to -14 LUFS integrated (ITU-R BS.1770) and the true peak (4x
oversampled) is kept at or below -1 dBTP.

Everything streams, so that an hour of music needs no more memory than a minute: the
stems arrive in blocks (:func:`cinemuse.music.render.render_stem_blocks`); the first pass
applies the per-stem stages, measures what the bus stages need at a resolution of
256 samples (power, K-weighted power, true peak) and bounces the unmastered mix (and the
stems, if wanted) to scratch files on disk; the gain envelope is then computed from
those small measurements, and :class:`Mastered` applies it while reading back.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, signal

from cinemuse.loudness import gated_loudness, k_weighting_sos

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
    """Integrated loudness in LUFS of an (n, ch) signal (BS.1770-4, :mod:`cinemuse.loudness`).

    Signals shorter than one 400 ms gating block are measured as if repeated.
    """
    from cinemuse.loudness import integrated_loudness as measure

    audio = np.asarray(audio, dtype=np.float64)
    min_len = int(0.5 * sample_rate)
    if len(audio) < min_len:
        audio = np.tile(audio, (int(np.ceil(min_len / max(len(audio), 1))), 1))
    return measure(audio, sample_rate=sample_rate)


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


def _smooth_min_gain(required: np.ndarray, window: int, *, wrap: bool) -> np.ndarray:
    """A smooth gain never above ``required``: min filter over 2w+1, then mean over w+1.

    Every output sample averages min-filtered values whose windows all contain it,
    so the result is <= required everywhere (a look-ahead limiter without overshoot).
    """
    mode = "wrap" if wrap else "nearest"
    held = ndimage.minimum_filter1d(required, size=2 * window + 1, mode=mode)
    return ndimage.uniform_filter1d(held, size=window + 1, mode=mode)


_BLOCK = 256  # samples per measurement block and gain point (5.8 ms at 44.1 kHz)
_CHUNK = _BLOCK * 1024  # the reverb and meters work in pieces of 6 s: their temporaries stay small


def _block_power(audio: np.ndarray) -> np.ndarray:
    """Mean power over channels per block of _BLOCK samples, shape (ceil(n / _BLOCK),)."""
    n = len(audio)
    pad = (-n) % _BLOCK
    power = sum(audio[:, c].astype(np.float32) ** 2 for c in range(audio.shape[1])) / audio.shape[1]
    if pad:
        power = np.concatenate([power, np.zeros(pad, np.float32)])
    return power.reshape(-1, _BLOCK).mean(axis=1)


def _blocks_to_samples(values: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Samples ``[start, stop)`` of a curve with value k at sample k * _BLOCK, linear between.

    Returns
    -------
    np.ndarray, shape (stop - start,), float32
        Flat after the last point.
    """
    values = np.asarray(values, dtype=np.float32)
    first, last = start // _BLOCK, -(-stop // _BLOCK)  # the blocks that cover the range
    v = values[min(first, len(values) - 1) : last + 1]
    v = np.concatenate([v, np.repeat(v[-1:], last + 1 - first - len(v))])  # flat past the end
    ramp = np.arange(_BLOCK, dtype=np.float32) / _BLOCK
    out = (v[:-1, None] + (v[1:] - v[:-1])[:, None] * ramp[None, :]).ravel()
    return out[start - first * _BLOCK : stop - first * _BLOCK]


class _PerBlock:
    """Folds a per-sample stream into per-_BLOCK sums or maxima as the samples arrive."""

    def __init__(self, reduce):
        self.reduce = reduce  # np.sum or np.max, along axis 1
        self.parts: list[np.ndarray] = []
        self.carry = np.zeros(0, np.float64)

    def add(self, values: np.ndarray) -> None:
        v = np.concatenate([self.carry, values]) if len(self.carry) else np.asarray(values, np.float64)
        whole = len(v) // _BLOCK * _BLOCK
        if whole:
            self.parts.append(self.reduce(v[:whole].reshape(-1, _BLOCK), axis=1))
        self.carry = v[whole:]

    def result(self) -> np.ndarray:
        parts = list(self.parts)
        if len(self.carry):
            parts.append(np.array([self.reduce(self.carry)]))
        return np.concatenate(parts) if parts else np.zeros(0)


class _TruePeakMeter:
    """Streaming :func:`true_peak_envelope`, folded to its maximum per _BLOCK.

    The interpolation filters reach 7 samples back and 8 ahead, so each block is measured
    with the last samples of the one before; the envelope runs 8 samples late and
    :meth:`result` flushes it with silence, as the whole-signal version pads.
    """

    CONTEXT = 15

    def __init__(self, channels: int):
        self.tail = np.zeros((self.CONTEXT, channels), np.float32)
        self.seen = 0  # samples received
        self.emitted = 0  # the next sample whose envelope is due
        self.maxima = _PerBlock(np.max)

    def add(self, x: np.ndarray) -> None:
        ext = np.concatenate([self.tail, x])
        env = true_peak_envelope(ext)[7 : len(ext) - 8]  # exact: no padding inside the taps
        first_global = self.seen - 8  # sample that env[0] belongs to
        self.seen += len(x)
        skip = max(0, self.emitted - first_global)
        self.maxima.add(env[skip:])
        self.emitted = max(self.emitted, first_global + len(env))
        self.tail = ext[-self.CONTEXT:]

    def result(self) -> np.ndarray:
        ch = self.tail.shape[1]
        pending = self.seen - self.emitted
        if pending > 0:
            ext = np.concatenate([self.tail, np.zeros((8, ch), np.float32)])
            env = true_peak_envelope(ext)[7 : len(ext) - 8]
            self.maxima.add(env[len(env) - pending:])
            self.emitted = self.seen
        return self.maxima.result()


class _BusMeter:
    """What the bus stages need from the unmastered mix, measured block by block."""

    def __init__(self, sample_rate: int, channels: int = 2):
        self.sos = k_weighting_sos(sample_rate)
        self.zi = np.zeros((self.sos.shape[0], 2, channels))
        self.power = _PerBlock(np.sum)  # plain power, for the compressor
        self.k_power = _PerBlock(np.sum)  # K-weighted power, for the loudness
        self.peaks = _TruePeakMeter(channels)
        self.channels = channels
        self.nonzero = False

    def add(self, mix: np.ndarray) -> None:
        for start in range(0, len(mix), _CHUNK):
            self._add(mix[start : start + _CHUNK])

    def _add(self, mix: np.ndarray) -> None:
        self.nonzero = self.nonzero or bool(np.any(mix))
        self.power.add(np.einsum("ij,ij->i", mix, mix) / self.channels)
        k, self.zi = signal.sosfilt(self.sos, mix, axis=0, zi=self.zi)
        self.k_power.add(np.einsum("ij,ij->i", k, k))
        self.peaks.add(mix)

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mean power, K-weighted power sum, true peak) per _BLOCK."""
        return self.power.result() / _BLOCK, self.k_power.result(), self.peaks.result()


def _gated_loudness(k_power: np.ndarray, *, sample_rate: int) -> float:
    """BS.1770 integrated loudness from K-weighted power summed per _BLOCK.

    Gating blocks of 400 ms with 75 % overlap, rounded to whole _BLOCKs (within 1 % of
    the standard's lengths).
    """
    block = max(1, round(0.4 * sample_rate / _BLOCK))
    step = max(1, round(0.1 * sample_rate / _BLOCK))
    if len(k_power) < block:
        k_power = np.tile(k_power, int(np.ceil(block / max(len(k_power), 1))) + 1)
    csum = np.concatenate([[0.0], np.cumsum(k_power, dtype=np.float64)])
    starts = np.arange(0, len(k_power) - block + 1, step)
    loudness = gated_loudness((csum[starts + block] - csum[starts]) / (block * _BLOCK))
    return max(loudness, -200.0)  # silence: a finite floor the gain arithmetic can use


def _compressor_gain(power: np.ndarray, *, sample_rate: int, threshold_db: float, ratio: float,
                     wrap: bool) -> np.ndarray:
    """Gain per _BLOCK of a gentle RMS bus compressor (slow, 'glue') from the mix's block power."""
    if ratio <= 1.0:
        return np.ones(len(power))
    mode = "wrap" if wrap else "nearest"
    blocks_per_s = sample_rate / _BLOCK
    rms_db = 10.0 * np.log10(ndimage.uniform_filter1d(power, size=max(1, int(0.08 * blocks_per_s)), mode=mode) + 1e-12)
    gain_db = -np.maximum(rms_db - threshold_db, 0.0) * (1.0 - 1.0 / ratio)
    # release-like smoothing so the gain does not pump on every drum hit
    gain_db = ndimage.uniform_filter1d(gain_db, size=max(1, int(0.25 * blocks_per_s)), mode=mode)
    return db_to_gain(gain_db)


def master_gain(
    power: np.ndarray,
    k_power: np.ndarray,
    peaks: np.ndarray,
    *,
    sample_rate: int,
    comp_threshold_db: float,
    comp_ratio: float,
    loop: bool = False,
    target_lufs: float = TARGET_LUFS,
    ceiling_db: float = TRUE_PEAK_CEILING_DB,
) -> np.ndarray:
    """The bus gain envelope, one point per _BLOCK (linear in between), from the measurements.

    1. glue compression, 2. loudness to target, 3. true-peak limiter. The limiter lowers
    loudness a little, so the pre-gain is iterated: peaks scale linearly with it, and the
    K-weighted power scales with the slowly varying gain squared.

    Within block k the gain moves linearly from point k to point k + 1, so it never
    exceeds the larger of the two: each point is therefore limited by the peaks of both
    blocks it bounds, and the ceiling holds at every sample.
    """
    comp = _compressor_gain(power, sample_rate=sample_rate, threshold_db=comp_threshold_db,
                            ratio=comp_ratio, wrap=loop)
    nxt = np.roll(comp, -1) if loop else np.append(comp[1:], comp[-1])
    peaks_c = peaks * np.maximum(comp, nxt)  # true peak of the compressed mix per block
    before = np.roll(peaks_c, 1) if loop else np.concatenate([peaks_c[:1], peaks_c[:-1]])
    point_peak = np.maximum(before, peaks_c)  # the blocks on either side of each point
    k_comp = k_power * comp**2
    pre_gain = float(db_to_gain(target_lufs - _gated_loudness(k_comp, sample_rate=sample_rate)))
    ceiling = float(db_to_gain(_LIMITER_CEILING_DB))
    window = max(1, round(0.005 * sample_rate / _BLOCK))

    def limiter(g: float) -> np.ndarray:
        required = np.minimum(1.0, ceiling / np.maximum(g * point_peak, 1e-9))
        return _smooth_min_gain(required, window, wrap=loop)

    for _ in range(12):
        limit = limiter(pre_gain)
        error_db = target_lufs - _gated_loudness(k_comp * (pre_gain * limit) ** 2, sample_rate=sample_rate)
        if abs(error_db) < 0.05:
            break
        # the limiter absorbs part of each increase: overshoot a little so it converges
        pre_gain *= float(db_to_gain(min(error_db * 1.3, 6.0)))
    # the limit must belong to the final pre_gain (the loop may have run out after raising it)
    gain = pre_gain * comp * limiter(pre_gain)
    # The limiter ceiling sits 0.3 dB under the target: room for the interpolation filter's
    # error and the gain's own modulation (the benchmarks check the result independently).
    if ceiling_db < _LIMITER_CEILING_DB + 0.3:  # a caller asked for a lower ceiling
        gain *= float(db_to_gain(ceiling_db - 0.3 - _LIMITER_CEILING_DB))
    return gain.astype(np.float32)


_REVERB_RETURN = "\0reverb"  # the reverb's output as a pseudo-stem (never a kept stem's name)


class _SharedReverb:
    """One reverb for all stems, its output shared back to the stems, block by block.

    A reverb per stem is the costliest step of the mix, so the stems' sends are summed
    into one reverb (freeverb via pedalboard, which keeps its state between blocks), and
    each stem gets the part of the wet signal that matches its share of the send energy
    over the last ~1.5 s (the time a tail takes to decay). The shares sum to one, so the
    stems still sum to the mix.
    """

    def __init__(self, sends: dict[str, float], *, sample_rate: int, room_size: float, wrap: bool):
        import pedalboard

        self.sends = {k: v for k, v in sends.items() if v > 0}
        self.sample_rate = sample_rate
        self.wrap = wrap
        self.verb = pedalboard.Reverb(room_size=room_size, damping=0.5, wet_level=1.0, dry_level=0.0, width=1.0)
        # High-pass the return, as mixing engineers do: freeverb's combs build up a slow,
        # near-DC swell at large room sizes that costs headroom and adds nothing audible.
        self.sos = signal.butter(2, 120.0, "highpass", fs=sample_rate, output="sos")
        self.zi = np.zeros((self.sos.shape[0], 2, 2))
        self.window = max(1, int(1.5 * sample_rate / _BLOCK))
        self.history: dict[str, np.ndarray] = {}  # last window-1 block energies per stem

    def wet(self, stems: dict[str, np.ndarray]) -> np.ndarray | None:
        """The reverb's output for this block of the stems (None if nothing is sent to it)."""
        names = [k for k in self.sends if k in stems]
        if not names:
            return None
        n = len(stems[names[0]])
        wet = np.empty((n, 2), np.float32)
        for a in range(0, n, _CHUNK):  # in pieces: small temporaries
            b = min(a + _CHUNK, n)
            bus = np.zeros((b - a, 2), np.float32)
            for k in names:
                bus += stems[k][a:b] * np.float32(self.sends[k])
            out = self.verb(np.ascontiguousarray(bus.T), self.sample_rate, reset=False).T
            wet[a:b], self.zi = signal.sosfilt(self.sos, out, axis=0, zi=self.zi)
        return wet

    def share(self, stems: dict[str, np.ndarray], wet: np.ndarray) -> None:
        """Add each stem's share of ``wet`` to it, in place (blocks are multiples of _BLOCK
        samples except the last, so the energy windows line up across blocks)."""
        names = [k for k in self.sends if k in stems]
        if len(names) == 1:
            stems[names[0]] += wet
            return
        energy = []
        for k in names:
            e = _block_power(stems[k]) * self.sends[k] ** 2
            if self.wrap:  # one block holds the whole loop: the window wraps around
                ext = np.concatenate([e[-(self.window - 1):], e]) if self.window > 1 else e
            else:  # trailing window; before the start, the first value repeats
                past = self.history.get(k, np.full(self.window - 1, e[0] if len(e) else 0.0))
                ext = np.concatenate([past, e])
                self.history[k] = ext[len(ext) - (self.window - 1):] if self.window > 1 else ext[:0]
            csum = np.concatenate([[0.0], np.cumsum(ext, dtype=np.float64)])
            energy.append((csum[self.window:] - csum[:-self.window]) / self.window)
        energy = np.stack(energy)
        total = energy.sum(0)
        share = np.where(total > 1e-12, energy / np.maximum(total, 1e-12), 1.0 / len(names))
        for k, w in zip(names, share):
            stems[k] += wet * _blocks_to_samples(w, 0, len(wet))[:, None]


class Mastered:
    """A mixed and mastered piece: the unmastered mix (and stems) on disk plus the bus gain.

    Read it block by block (:meth:`blocks`, :meth:`stem_blocks`) to stream it anywhere, or
    whole (:meth:`read`, :meth:`read_stems`) when it is short. Close it (or use it as a
    context manager) to delete the scratch files.

    Attributes
    ----------
    sample_rate : int
    n_samples : int
    stem_names : list of str
        The stems kept (empty unless the mix was made with ``keep_stems``).
    gain : np.ndarray
        The bus gain, one point per 256 samples.
    """

    def __init__(self, mix, stems: dict, gain: np.ndarray, sample_rate: int):
        self._mix, self._stems = mix, stems
        self.gain = gain
        self.sample_rate = sample_rate
        self.n_samples = mix.n_samples
        self.stem_names = list(stems)

    def _gained(self, scratch, size: int):
        start = 0
        for block in scratch.blocks(size):
            stop = start + len(block)
            yield block * _blocks_to_samples(self.gain, start, stop)[:, None]
            start = stop

    def blocks(self, size: int = 1 << 16):
        """The mastered mix, (m, 2) float32 blocks in order."""
        return self._gained(self._mix, size)

    def stem_blocks(self, name: str, size: int = 1 << 16):
        """One mastered stem, (m, 2) float32 blocks in order."""
        return self._gained(self._stems[name], size)

    def read(self) -> np.ndarray:
        """The whole mastered mix, (n, 2) float32."""
        return _concat(self.blocks(), self.n_samples)

    def read_stems(self) -> dict[str, np.ndarray]:
        return {name: _concat(self.stem_blocks(name), self.n_samples) for name in self._stems}

    def close(self) -> None:
        self._mix.close()
        for s in self._stems.values():
            s.close()

    def __enter__(self) -> "Mastered":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _concat(blocks, n: int) -> np.ndarray:
    out = np.empty((n, 2), np.float32)
    pos = 0
    for b in blocks:
        out[pos : pos + len(b)] = b
        pos += len(b)
    return out[:pos]


def mix_and_master_blocks(
    stem_blocks,
    *,
    sample_rate: int = 44100,
    style: str | None = None,
    roles: dict[str, str] | None = None,
    loop: bool = False,
    length: int | None = None,
    fade: tuple[int, np.ndarray] | None = None,
    keep_stems: bool = False,
    target_lufs: float = TARGET_LUFS,
    ceiling_db: float = TRUE_PEAK_CEILING_DB,
    on_block=None,
) -> Mastered:
    """Mix dry stems arriving in blocks with the style's effects and master the sum.

    Parameters
    ----------
    stem_blocks : iterable of dict of str -> np.ndarray
        Consecutive blocks of the dry stems, each (m, 2) float32, every stem the same m,
        modified in place; multiples of 256 samples (except the last) for the reverb
        shares to line up exactly.
    style : str, optional
        Style name for the mix settings (reverb size and send per role, compression).
    roles : dict of str -> str, optional
        Stem name -> role ("melody", "chords", "pad", "bass", "drums", "hits"); stems
        whose name is not a role and that have no entry get the "chords" settings.
    loop : bool
        Treat the signal as circular (envelopes wrap), for seamless loops (joined into one
        block: loops are short).
    length : int, optional
        Output length in samples. Longer input is cut to it after the effects; with
        ``loop`` the part beyond it (note and reverb tails) is added onto the start.
    fade : (start sample, gain curve), optional
        A fade-out applied to every stem after its effects (an ending).
    keep_stems : bool
        Also keep the processed stems (scratch files), for :meth:`Mastered.stem_blocks`.
    on_block : callable, optional
        Called with the samples done after each block (progress).

    Returns
    -------
    Mastered
        -14 LUFS integrated, true peak <= -1 dBTP (unless silent); its stems sum to its mix.
    """
    from cinemuse.music.styles import get_style

    settings = get_style(style).mix
    roles = roles or {}
    if loop:
        stem_blocks = [_joined(list(stem_blocks))]
    reverb = None
    bounce = _Bounce(sample_rate, keep_stems=keep_stems)
    position = 0
    try:
        for stems in stem_blocks:
            if not stems:
                continue
            levels, sends = _role_settings(stems, settings, roles)
            if reverb is None:
                reverb = _SharedReverb(sends, sample_rate=sample_rate, room_size=settings.room_size, wrap=loop)
            m = _process_block(stems, levels, reverb, keep_stems=keep_stems, length=length, position=position,
                               loop=loop, fade=fade)
            if m == 0:
                break
            bounce.add(stems)
            position += m
            if on_block is not None:
                on_block(position)
        meter = bounce.finish()
        if meter.nonzero:
            gain = master_gain(*meter.result(), sample_rate=sample_rate, comp_threshold_db=settings.comp_threshold_db,
                               comp_ratio=settings.comp_ratio, loop=loop, target_lufs=target_lufs,
                               ceiling_db=ceiling_db)
        else:  # silence stays silence
            gain = np.ones(max(1, -(-position // _BLOCK)), np.float32)
    except BaseException:
        bounce.abort()
        raise
    return Mastered(bounce.mix, bounce.kept, gain, sample_rate)


def _process_block(stems: dict, levels: dict, reverb: "_SharedReverb", *, keep_stems: bool, length: int | None,
                   position: int, loop: bool, fade: tuple[int, np.ndarray] | None) -> int:
    """One block's per-stem stages, in place: level and reverb, cut (or wrap) to the
    length, then the fade (after the reverb, so its tail fades too). Returns its length."""
    _apply_effects(stems, levels, reverb, keep_stems=keep_stems)
    if length is not None:
        _fit_to_length(stems, length=length, position=position, loop=loop)
    m = len(next(iter(stems.values())))
    if m and fade is not None:
        _apply_fade(stems, fade, position)
    return m


def _role_settings(stems: dict, settings, roles: dict[str, str]) -> tuple[dict, dict]:
    """Level (linear gain) and reverb send of each stem, from its role's mix settings."""
    levels, sends = {}, {}
    for name in stems:
        role = roles.get(name, name if name in settings.levels_db else "chords")
        levels[name] = np.float32(db_to_gain(settings.levels_db.get(role, 0.0)))
        sends[name] = settings.reverb_sends.get(role, 0.0)
    return levels, sends


def _apply_effects(stems: dict, levels: dict, reverb: "_SharedReverb", *, keep_stems: bool) -> None:
    """The per-stem stages, in place: level, then the shared reverb (shared back to the
    stems when they are kept, else added as one more pseudo-stem)."""
    for name, stem in stems.items():
        if stem.dtype != np.float32 or not stem.flags.writeable:
            stems[name] = stem = np.array(stem, dtype=np.float32)
        stem *= levels[name]
    wet = reverb.wet(stems)
    if wet is not None and keep_stems:
        reverb.share(stems, wet)
    elif wet is not None:  # nobody asked for stems: the reverb return is just one more
        stems[_REVERB_RETURN] = wet


def _fit_to_length(stems: dict, *, length: int, position: int, loop: bool) -> None:
    """Cut the stems to ``length`` samples in all; a loop's tail wraps onto its start."""
    for name, stem in stems.items():
        m = len(stem)
        if loop and m > length:
            out = stem[:length].copy()
            extra = stem[length:]
            while len(extra):  # a tail longer than the loop wraps more than once
                k = min(len(extra), length)
                out[:k] += extra[:k]
                extra = extra[k:]
            stems[name] = out
        elif position + m > length:
            stems[name] = stem[: max(0, length - position)]


def _apply_fade(stems: dict, fade: tuple[int, np.ndarray], position: int) -> None:
    """Multiply the part of the fade curve that falls in this block into every stem."""
    start, curve = fade
    m = len(next(iter(stems.values())))
    a, b = max(start, position), min(start + len(curve), position + m)
    if a < b:
        for stem in stems.values():
            stem[a - position : b - position] *= curve[a - start : b - start, None]


class _Bounce:
    """The first pass's output: the mix measured and bounced to a scratch file, the
    stems kept too if asked.

    Measuring a block (filters that release the GIL) and storing it run on a second
    thread while the next block is synthesised and mixed; one block waits at most.
    """

    def __init__(self, sample_rate: int, *, keep_stems: bool):
        from concurrent.futures import ThreadPoolExecutor

        from cinemuse.io.scratch import AudioScratch

        self._scratch = AudioScratch
        self.meter = _BusMeter(sample_rate)
        self.mix = AudioScratch(2)
        self.kept: dict = {}
        self.keep_stems = keep_stems
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cinemuse-meter")
        self.pending = None

    def _measure_and_store(self, mix: np.ndarray) -> None:
        self.meter.add(mix)
        self.mix.append(mix)

    def add(self, stems: dict) -> None:
        mix = np.zeros((len(next(iter(stems.values()))), 2), dtype=np.float32)
        for stem in stems.values():
            mix += stem
        if self.pending is not None:
            self.pending.result()
        self.pending = self.worker.submit(self._measure_and_store, mix)
        if self.keep_stems:
            for name, stem in stems.items():
                if name not in self.kept:
                    self.kept[name] = self._scratch(2)
                self.kept[name].append(stem)

    def finish(self) -> _BusMeter:
        """Wait for the last block; the meter that measured them all."""
        if self.pending is not None:
            self.pending.result()
        self.worker.shutdown()
        return self.meter

    def abort(self) -> None:
        self.worker.shutdown(wait=True, cancel_futures=True)
        self.mix.close()
        for s in self.kept.values():
            s.close()


def _joined(blocks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if len(blocks) == 1:
        return blocks[0]
    return {name: np.concatenate([b[name] for b in blocks]) for name in blocks[0]}


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
    """:func:`mix_and_master_blocks` for stems already in memory (one block).

    Parameters
    ----------
    stems : dict of str -> np.ndarray, each (n, 2) float32
        Dry stems, all the same length. Modified in place.

    Returns
    -------
    mix : np.ndarray, shape (n, 2), float32
        -14 LUFS integrated, true peak <= -1 dBTP (unless silent).
    stems : dict of str -> np.ndarray
        The processed stems; they sum to ``mix``.
    """
    with mix_and_master_blocks([stems], sample_rate=sample_rate, style=style, roles=roles, loop=loop,
                               length=length, fade=fade, keep_stems=True, target_lufs=target_lufs,
                               ceiling_db=ceiling_db) as mastered:
        return mastered.read(), mastered.read_stems()
