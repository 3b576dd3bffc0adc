"""Audio in and out: anything FFmpeg reads, to float32 samples; WAV/FLAC/MP3/AAC back out.

Samples are ``(n_samples, channels)`` float32 in [-1, 1] everywhere in cinemuse; the sample
rate travels beside them as an int.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np

from cinemuse.errors import BadInputError
from cinemuse.io.atomic import atomic_output, check_input_file, check_output_path

AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)
"""Sample rates the AAC encoder accepts; other rates are resampled to 48 kHz first."""

__all__ = ["read_audio", "write_audio", "resample", "AUDIO_EXTENSIONS"]

# Output formats by extension: (writer, codec or soundfile format, container or subtype).
_FORMATS = {
    ".wav": ("soundfile", "WAV", "PCM_16"),
    ".flac": ("soundfile", "FLAC", "PCM_24"),
    ".mp3": ("pyav", "libmp3lame", "mp3"),
    ".m4a": ("pyav", "aac", "ipod"),
    ".aac": ("pyav", "aac", "adts"),
    ".ogg": ("pyav", "libopus", "ogg"),
    ".opus": ("pyav", "libopus", "ogg"),
}
AUDIO_EXTENSIONS = tuple(_FORMATS)


def read_audio(
    path: str | os.PathLike, *, sample_rate: int = 44100, mono: bool = False
) -> np.ndarray:
    """Decode the first audio stream of any file FFmpeg reads (mp3, m4a, flac, ogg, wav, mp4...).

    Parameters
    ----------
    path : str or Path
    sample_rate : int
        Rate of the returned samples; FFmpeg's resampler converts on the fly.
    mono : bool
        Mix down to one channel.

    Returns
    -------
    np.ndarray, shape (n_samples, channels), float32
        ``channels`` is 1 for mono input (or ``mono=True``), else 2: surround is downmixed to
        stereo.

    Raises
    ------
    BadInputError
        Missing, empty, not media, no audio stream, no samples, or corrupt.
    """
    import av

    from cinemuse.io.video import _ffmpeg_text, _open_input, decode_tolerant

    if int(sample_rate) <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate!r}")
    p, container = _open_input(path)
    try:
        if container.format.name == "image2" or container.format.name.endswith("_pipe"):
            raise BadInputError(p, "is an image, not audio")
        if not container.streams:
            raise BadInputError(p, "contains no audio or video at all (a zero-length file?)")
        if not container.streams.audio:
            what = "a video without sound" if container.streams.video else "not an audio file"
            raise BadInputError(p, f"has no audio stream ({what})")
        stream = container.streams.audio[0]
        if stream.codec_context is None:
            raise BadInputError(p, "uses an audio codec this FFmpeg build cannot decode")
        stream.codec_context.thread_type = "AUTO"
        channels = 1 if mono or (stream.codec_context.channels or 2) == 1 else 2
        resampler = av.AudioResampler(
            format="flt", layout="mono" if channels == 1 else "stereo", rate=int(sample_rate)
        )
        # Encoders pad the last block (AAC to 1024 samples); the container's duration says
        # where the real signal ends, so trim to it when it is known.
        expected = None
        if stream.duration and stream.time_base:
            expected = int(round(float(stream.duration * stream.time_base) * int(sample_rate)))
        chunks: list[np.ndarray] = []
        try:
            def silence_for(packet) -> None:  # keep what follows in sync
                if packet.duration and stream.time_base:
                    n = int(round(float(packet.duration * stream.time_base) * int(sample_rate)))
                    chunks.append(np.zeros((n, channels), np.float32))

            for frame in decode_tolerant(p, container, stream, kind="audio", on_damaged=silence_for):
                frame.pts = None  # the resampler just counts samples (gaps were filled above)
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1, channels))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1, channels))
        except av.error.FFmpegError as exc:
            raise BadInputError(p, f"audio data is corrupt ({_ffmpeg_text(exc)})") from None
    finally:
        container.close()
    if not chunks or sum(c.shape[0] for c in chunks) == 0:
        raise BadInputError(p, "contains no audio samples (empty or truncated)")
    samples = np.concatenate(chunks, axis=0)
    if expected and expected < samples.shape[0]:
        samples = samples[:expected]
    return np.ascontiguousarray(samples, dtype=np.float32)


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Change the sample rate of ``(n, ch)`` float32 samples (soxr, high quality).

    Returns
    -------
    np.ndarray, shape (round(n * rate_out / rate_in), ch), float32
    """
    x = np.asarray(samples, dtype=np.float32)
    if int(rate_in) == int(rate_out):
        return x
    import soxr

    y = soxr.resample(x, int(rate_in), int(rate_out), quality="HQ")
    return np.ascontiguousarray(y, dtype=np.float32).reshape(-1, x.shape[1] if x.ndim == 2 else 1)


def write_audio(
    path: str | os.PathLike,
    samples: np.ndarray,
    sample_rate: int,
    *,
    force: bool = False,
    bitrate: int | None = None,
) -> Path:
    """Write ``(n, ch)`` float32 samples; the format follows the extension.

    ``.wav`` (16-bit PCM), ``.flac`` (24-bit), ``.mp3``, ``.m4a`` (AAC-LC in MP4), ``.aac``
    (ADTS), ``.ogg``/``.opus`` (Opus, resampled to 48 kHz). Written atomically; an existing
    file is replaced only with ``force=True``.

    Parameters
    ----------
    path : str or Path
    samples : np.ndarray, shape (n_samples, channels) or (n_samples,), float
        Values outside [-1, 1] are clipped.
    sample_rate : int
    force : bool
    bitrate : int, optional
        For the compressed formats, bits per second (default 192k stereo / 128k mono).

    Returns
    -------
    Path
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in _FORMATS:
        raise BadInputError(
            out, f"unknown audio format {suffix or '(no extension)'}; use one of {', '.join(_FORMATS)}"
        )
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] < 1 or x.shape[1] > 8:
        raise ValueError(f"samples must be (n_samples, channels), got shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError("no samples to write")
    if int(sample_rate) <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate!r}")
    x = np.clip(x, -1.0, 1.0)
    check_output_path(out, force=force)
    writer, codec, fmt = _FORMATS[suffix]
    with atomic_output(out, force=force) as tmp:
        if writer == "soundfile":
            import soundfile as sf

            sf.write(str(tmp), x, int(sample_rate), format=codec, subtype=fmt)
        else:
            _write_pyav(tmp, x, int(sample_rate), codec=codec, fmt=fmt, bitrate=bitrate)
    return out


def _write_pyav(tmp: Path, x: np.ndarray, rate: int, *, codec: str, fmt: str, bitrate: int | None) -> None:
    import av

    if x.shape[1] > 2:
        x = x[:, :2]
    if codec == "libopus" and rate != 48000:
        x, rate = resample(x, rate, 48000), 48000
    if codec == "libmp3lame" and rate not in (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000):
        x, rate = resample(x, rate, 44100), 44100
    if codec == "aac":
        if rate not in AAC_RATES:
            x, rate = resample(x, rate, 48000), 48000
    layout = "mono" if x.shape[1] == 1 else "stereo"
    container = av.open(str(tmp), mode="w", format=fmt)
    try:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        stream.bit_rate = bitrate or (192000 if layout == "stereo" else 128000)
        packed = codec == "libopus"  # Opus takes interleaved floats, the others planar
        block = 8192
        for start in range(0, x.shape[0], block):
            chunk = x[start : start + block]
            data = chunk.reshape(1, -1) if packed else chunk.T
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(data), format="flt" if packed else "fltp", layout=layout
            )
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    finally:
        container.close()
