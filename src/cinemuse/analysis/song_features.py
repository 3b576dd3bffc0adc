"""One streaming pass over a song's samples, keeping only compact frame features.

:func:`extract_features` reads ``(m, channels)`` blocks once and never holds the signal or
its spectrogram: each block is resampled to mono 22.05 kHz (soxr's streaming resampler),
framed into the STFTs, and reduced at once to what the later steps need (onset envelopes,
chroma, a cepstrum, level and timbre per frame, loudness energy per 100 ms).  What is kept
grows by about 9 kB per second of audio, so a 3-hour file costs ~90 MB more than a song.

Levels in dB are relative to the loudest mel frame seen so far (floored 80 dB below it):
the same as a whole-song reference once the song has been loud, and causal, so a block can
be reduced the moment it arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from cinemuse.analysis import audio_dsp as dsp

ANALYSIS_SR = 22050
HOP = 512  # STFT / onset hop at ANALYSIS_SR (23.2 ms)
N_FFT = 2048
CHROMA_SR = ANALYSIS_SR // 2  # chroma needs nothing above 4 kHz
CHROMA_FFT = 4096  # 2.7 Hz bins at 11.025 kHz resolve bass semitones
CHROMA_HOP = 2048  # at ANALYSIS_SR (92.9 ms): key and harmony change slowly
SLICE_FRAMES = 11  # drawing spectrum resolution: 11 frames = 0.255 s
TUNING_FRAMES = 320  # chroma frames (30 s) that set the tuning before chroma is computed
TOP_DB = 80.0
N_BANDS = 6  # onset envelopes in 6 mel bands (16 mel bands each), for the beat tracker
N_NET_MELS = 48  # log-mel bands kept per frame for the beat network (pairs of the 96)


@dataclass
class SongFeatures:
    """What one pass over a song keeps; frames at ``HOP`` (rhythm) or ``CHROMA_HOP`` (harmony)."""

    sample_rate: int  # of the input
    n_samples: int  # input samples per channel
    peak: float  # largest absolute sample
    seg_energy: np.ndarray  # (channels, n_100ms) K-weighted mean square per 100-ms segment
    onset: np.ndarray  # (T,) spectral flux, all bands
    onset_low: np.ndarray  # (T,) spectral flux below ~250 Hz (bass, kick)
    onset_bands: np.ndarray  # (N_BANDS, T) spectral flux per mel band group, low to high
    mel_db: np.ndarray  # (N_NET_MELS, T) float16 log-mel, dB below the loudest frame (0..-80)
    rms: np.ndarray  # (T,) frame RMS
    centroid: np.ndarray  # (T,) spectral centroid, Hz
    flatness: np.ndarray  # (ceil(T / 4),) spectral flatness of every 4th frame
    spectrum_power: np.ndarray  # (64, ceil(T / SLICE_FRAMES)) mean 64-band mel power per slice
    cepstrum: np.ndarray  # (12, Tc) mel cepstrum c1..c12, mean per chroma hop
    chroma: np.ndarray  # (12, Tc) pitch-class energy, 50 Hz - 4 kHz
    bass_chroma: np.ndarray  # (12, Tc) pitch-class energy, 40 - 200 Hz
    tuning: float  # semitones from A440

    @property
    def duration(self) -> float:
        return self.n_samples / float(self.sample_rate)

    @property
    def n_frames(self) -> int:
        return len(self.onset)


class _Framer:
    """Centred STFT frames (as :func:`audio_dsp.stft_magnitude`) from a stream of samples."""

    def __init__(self, n_fft: int, hop: int, *, batch: int = 2048):
        self.n_fft, self.hop, self.batch = n_fft, hop, batch
        self.buffer = np.zeros(n_fft // 2, np.float32)  # the centring pad
        self.window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
        self.n_in = 0
        self.n_out = 0

    def push(self, y: np.ndarray, *, final: bool = False) -> np.ndarray | None:
        """Magnitudes (1 + n_fft // 2, t) of the frames now complete, or None."""
        from numpy.lib.stride_tricks import sliding_window_view
        from scipy.fft import rfft

        self.n_in += len(y)
        self.buffer = np.concatenate([self.buffer, y.astype(np.float32)])
        if final:
            total = 1 + self.n_in // self.hop  # frames of the whole centred signal
            need = (total - self.n_out - 1) * self.hop + self.n_fft
            self.buffer = np.pad(self.buffer, (0, max(0, need - len(self.buffer))))
            count = total - self.n_out
        else:
            count = (len(self.buffer) - self.n_fft) // self.hop + 1
            if count < self.batch:
                return None
        if count <= 0:
            return None
        frames = sliding_window_view(self.buffer, self.n_fft)[:: self.hop][:count]
        mag = np.abs(rfft(frames * self.window, axis=1)).T.astype(np.float32)
        self.buffer = self.buffer[count * self.hop:]
        self.n_out += count
        return mag


class _Extractor:
    """The per-block reductions; state carries across blocks (see :func:`extract_features`)."""

    def __init__(self, sample_rate: int, channels: int):
        import soxr

        self.sr, self.channels = int(sample_rate), channels
        self.to_analysis = soxr.ResampleStream(self.sr, ANALYSIS_SR, 1, dtype="float32",
                                               quality="HQ")
        self.to_chroma = soxr.ResampleStream(ANALYSIS_SR, CHROMA_SR, 1, dtype="float32",
                                             quality="HQ")
        self.frames = _Framer(N_FFT, HOP)
        self.chroma_frames = _Framer(CHROMA_FFT, CHROMA_HOP // 2, batch=512)
        self.mel96 = dsp.mel_filterbank(sr=ANALYSIS_SR, n_fft=N_FFT, n_mels=96)
        self.mel64 = dsp.mel_filterbank(sr=ANALYSIS_SR, n_fft=N_FFT, n_mels=64, fmin=30.0)
        self.freqs = np.linspace(0, ANALYSIS_SR / 2, N_FFT // 2 + 1).astype(np.float32)
        self.seg = int(round(0.1 * self.sr))
        self.loud_carry = np.zeros((0, channels), np.float32)
        self.ref_db = -np.inf
        self.prev_db: np.ndarray | None = None
        self.n_samples, self.peak = 0, 0.0
        self.out: dict[str, list[np.ndarray]] = {k: [] for k in (
            "seg_energy", "onset", "onset_low", "onset_bands", "mel_db", "rms", "centroid", "flatness",
            "spectrum_power", "cepstrum", "chroma", "bass_chroma")}
        self.slice_acc = np.zeros((64, 0), np.float32)  # frames not yet in a full slice
        self.cep_acc = np.zeros((12, 0), np.float32)
        self.tuning: float | None = None
        self.chroma_pending: list[np.ndarray] = []

    # ------------------------------------------------------------------ input side
    def push(self, block: np.ndarray, *, final: bool = False) -> None:
        x = np.asarray(block, dtype=np.float32).reshape(-1, self.channels)
        if x.shape[0]:
            self.n_samples += x.shape[0]
            self.peak = max(self.peak, float(np.max(np.abs(x))))
        self._loudness(x)
        y = self.to_analysis.resample_chunk(dsp.downmix(x), last=final)
        self._spectral(self.frames.push(y, final=final))
        half = self.to_chroma.resample_chunk(y, last=final)
        self._harmonic(self.chroma_frames.push(half, final=final), final=final)

    def _loudness(self, x: np.ndarray) -> None:
        buf = np.concatenate([self.loud_carry, x]) if len(self.loud_carry) else x
        n_seg = buf.shape[0] // self.seg
        if n_seg:
            self.out["seg_energy"].append(
                dsp.segment_energy(buf[: n_seg * self.seg], sr=self.sr, segment=self.seg))
        self.loud_carry = buf[n_seg * self.seg:].copy()

    # ------------------------------------------------------------------ spectral side
    def _spectral(self, mag: np.ndarray | None) -> None:
        if mag is None:
            return
        from scipy.fft import dct

        power = mag * mag
        mel = self.mel96 @ power
        db = 10.0 * np.log10(np.maximum(mel, 1e-10))
        self.ref_db = max(self.ref_db, float(db.max()))
        db = np.maximum(db - self.ref_db, -TOP_DB)
        prev = db[:, :1] if self.prev_db is None else self.prev_db
        rise = np.maximum(0.0, np.diff(np.concatenate([prev, db], axis=1), axis=1))
        if self.prev_db is None:
            rise[:, 0] = 0.0
        self.prev_db = db[:, -1:]
        o = self.out
        o["onset"].append(rise.mean(axis=0))
        o["onset_low"].append(rise[:12].mean(axis=0))
        o["onset_bands"].append(rise.reshape(N_BANDS, -1, rise.shape[1]).mean(axis=1))
        # float16: 0.03 dB steps, and 96 bytes a frame (~45 MB for three hours)
        o["mel_db"].append(db.reshape(N_NET_MELS, 2, -1).mean(axis=1).astype(np.float16))
        o["rms"].append(np.sqrt(power.sum(axis=0)) / 1024.0 + 1e-12)
        o["centroid"].append((self.freqs @ mag) / (mag.sum(axis=0) + 1e-9))
        first = (-self.frames.n_out + mag.shape[1]) % 4  # every 4th frame of the whole song
        sub = power[:, first::4]
        o["flatness"].append(np.exp(np.mean(np.log(sub + 1e-10), axis=0)) / (sub.mean(axis=0) + 1e-10))
        self.slice_acc = np.concatenate([self.slice_acc, self.mel64 @ power], axis=1)
        self.cep_acc = np.concatenate([self.cep_acc, dct(db, type=2, axis=0, norm="ortho")[1:13]],
                                      axis=1)
        self._flush_groups(final=False)

    def _flush_groups(self, *, final: bool) -> None:
        for acc_name, size, key in (("slice_acc", SLICE_FRAMES, "spectrum_power"),
                                    ("cep_acc", CHROMA_HOP // HOP, "cepstrum")):
            acc = getattr(self, acc_name)
            n = acc.shape[1] // size
            if n:
                self.out[key].append(acc[:, : n * size].reshape(acc.shape[0], n, size).mean(axis=2))
            rest = acc[:, n * size:]
            if final and rest.shape[1]:
                self.out[key].append(rest.mean(axis=1, keepdims=True))
                rest = rest[:, :0]
            setattr(self, acc_name, rest)

    # ------------------------------------------------------------------ harmonic side
    def _harmonic(self, mag: np.ndarray | None, *, final: bool) -> None:
        if mag is not None:
            self.chroma_pending.append(mag)
        if self.tuning is None:
            have = sum(m.shape[1] for m in self.chroma_pending)
            if have < TUNING_FRAMES and not final:
                return
            if not self.chroma_pending:
                self.tuning = 0.0
            else:
                first = np.concatenate(self.chroma_pending, axis=1)
                self.tuning = dsp.estimate_tuning(first, sr=CHROMA_SR, n_fft=CHROMA_FFT)
                self.chroma_pending = [first]
            self.fb = dsp.chroma_filterbank(sr=CHROMA_SR, n_fft=CHROMA_FFT, fmin=50.0,
                                            fmax=4000.0, tuning=self.tuning)
            self.fb_bass = dsp.chroma_filterbank(sr=CHROMA_SR, n_fft=CHROMA_FFT, fmin=40.0,
                                                 fmax=200.0, tuning=self.tuning)
        for m in self.chroma_pending:
            # plain magnitude: log compression let weak partials and noise flatten the profile
            self.out["chroma"].append(self.fb @ m)
            self.out["bass_chroma"].append(self.fb_bass @ m)
        self.chroma_pending = []

    def finish(self) -> SongFeatures:
        self.push(np.zeros((0, self.channels), np.float32), final=True)
        self._flush_groups(final=True)

        def cat(key: str, rows: int | None = None, dtype=np.float32) -> np.ndarray:
            parts = self.out.pop(key)  # freed as joined: one feature's copy at a time
            if not parts:
                return np.zeros((rows, 0) if rows else 0, dtype)
            return np.concatenate(parts, axis=-1).astype(dtype, copy=False)

        seg = (np.concatenate(self.out.pop("seg_energy"), axis=1) if self.out["seg_energy"]
               else np.zeros((self.channels, 0)))
        return SongFeatures(
            sample_rate=self.sr, n_samples=self.n_samples, peak=self.peak,
            seg_energy=np.asarray(seg, np.float64), onset=cat("onset"),
            onset_low=cat("onset_low"), onset_bands=cat("onset_bands", N_BANDS),
            mel_db=cat("mel_db", N_NET_MELS, np.float16),
            rms=cat("rms"), centroid=cat("centroid"), flatness=cat("flatness"),
            spectrum_power=cat("spectrum_power", 64), cepstrum=cat("cepstrum", 12),
            chroma=cat("chroma", 12), bass_chroma=cat("bass_chroma", 12),
            tuning=float(self.tuning or 0.0),
        )


def extract_features(blocks: Iterable[np.ndarray], sample_rate: int, *,
                     channels: int | None = None, on_block=None) -> SongFeatures:
    """Reduce a stream of ``(m, channels)`` float blocks to :class:`SongFeatures` in one pass.

    Parameters
    ----------
    blocks : iterable of (m, channels) float32 arrays (1-D arrays are mono)
    sample_rate : Hz of the blocks
    channels : channel count; by default taken from the first block (up to 5 are used for
        loudness, BS.1770's L, R, C, Ls, Rs)
    on_block : called with the seconds read so far after each block (progress)
    """
    from threadpoolctl import threadpool_limits

    # The matrix products here are small (a few hundred frames at a time): BLAS threads
    # cost more in hand-offs than they gain, and spin on a busy machine (2-3x the CPU time).
    with threadpool_limits(1, user_api="blas"):
        return _extract(blocks, sample_rate, channels, on_block)


def _extract(blocks, sample_rate: int, channels: int | None, on_block) -> SongFeatures:
    extractor = None
    read = 0
    for block in blocks:
        x = np.asarray(block, dtype=np.float32)
        x = x[:, None] if x.ndim == 1 else x[:, :5]
        if extractor is None:
            extractor = _Extractor(sample_rate, channels or x.shape[1])
        extractor.push(x)
        read += x.shape[0]
        if on_block is not None:
            on_block(read / float(sample_rate))
    if extractor is None:
        extractor = _Extractor(sample_rate, channels or 1)
    return extractor.finish()
