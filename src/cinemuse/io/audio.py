"""Audio in and out: anything FFmpeg reads, to float32 samples; WAV/FLAC/MP3/AAC back out.

Samples are ``(n_samples, channels)`` float32 in [-1, 1] everywhere in cinemuse; the sample
rate travels beside them as an int.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from cinemuse.errors import BadInputError
from cinemuse.io.atomic import atomic_output, check_output_path
from cinemuse.io.blocks import Rebuffer, peek_blocks
from cinemuse.io.media import decode_tolerant, ffmpeg_text, open_input

AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)
"""Sample rates the AAC encoder accepts; other rates are resampled to 48 kHz first."""

__all__ = [
    "read_audio",
    "iter_audio",
    "stated_samples",
    "write_audio",
    "resample",
    "resample_blocks",
    "AUDIO_EXTENSIONS",
]

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


def iter_audio(
    path: str | os.PathLike, *, sample_rate: int = 44100, mono: bool = False, block: int = 65536
) -> Iterator[np.ndarray]:
    """Decode the first audio stream block by block, so that hours of sound need no RAM.

    The file is opened and checked when this function is called (a missing file, a video
    without sound... raise here); the returned generator then decodes as it is consumed.

    Parameters
    ----------
    path : str or Path
    sample_rate : int
        Rate of the yielded samples; FFmpeg's resampler converts on the fly.
    mono : bool
        Mix down to one channel.
    block : int
        Samples per yielded block; every block but the last has exactly this many.

    Yields
    ------
    np.ndarray, shape (m, channels), float32, m <= block
        ``channels`` is 1 for mono input (or ``mono=True``), else 2: surround is downmixed to
        stereo. Damaged packets become silence of their length, and the encoder's padding
        after the container's stated duration is trimmed.

    Raises
    ------
    BadInputError
        At the call: missing, empty, not media, no audio stream, undecodable codec.
        While iterating: corrupt data, or no samples at all.
    """
    import av

    if int(sample_rate) <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate!r}")
    if int(block) <= 0:
        raise ValueError(f"block must be positive, got {block!r}")
    p, container = open_input(path)
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
        _check_wav_not_truncated(p)
    except BaseException:
        container.close()
        raise
    # one decoding thread: audio decodes far faster than it is analysed, and FFmpeg's frame
    # threads only add hand-offs (and spin beside the analysis on a small machine)
    stream.codec_context.thread_count = 1
    channels = 1 if mono or (stream.codec_context.channels or 2) == 1 else 2
    resampler = av.AudioResampler(
        format="flt", layout="mono" if channels == 1 else "stereo", rate=int(sample_rate)
    )
    return _decoded_blocks(p, container, stream, resampler, int(sample_rate), channels, int(block))


def stated_samples(path: str | os.PathLike, *, sample_rate: int = 44100) -> int | None:
    """Samples per channel at ``sample_rate`` that the file's first audio stream says it holds
    (its container's duration), or None where it states none or cannot be read.

    A plan, not a promise: :func:`iter_audio` yields what is really there.
    """
    try:
        _, container = open_input(path)
    except BadInputError:
        return None
    try:
        if not container.streams.audio:
            return None
        return _stated_samples(container.streams.audio[0], int(sample_rate))
    finally:
        container.close()


def _stated_samples(stream, rate: int) -> int | None:
    if stream.duration and stream.time_base:
        return int(round(float(stream.duration * stream.time_base) * rate))
    return None


def _decoded_blocks(p, container, stream, resampler, rate: int, channels: int, block: int):
    """The generator behind :func:`iter_audio`: decode, fill gaps, re-block, trim."""
    import av

    # Encoders pad the last block (AAC to 1024 samples); the container's duration says
    # where the real signal ends, so trim to it when it is known.
    expected = _stated_samples(stream, rate)
    pending = Rebuffer(channels)
    yielded = 0

    def silence_for(packet) -> None:  # keep what follows in sync
        if packet.duration and stream.time_base:
            pending.push(np.zeros((int(round(float(packet.duration * stream.time_base) * rate)), channels), np.float32))

    def ready(final: bool) -> Iterator[np.ndarray]:
        nonlocal yielded
        while pending.count >= block or (final and pending.count):
            out = pending.take(min(block, pending.count))
            if expected:  # drop the encoder's padding past the stated duration
                out = out[: max(0, expected - yielded)]
            if out.shape[0]:
                if not np.isfinite(out).all():  # float files can hold NaN / inf
                    at = (yielded + int(np.flatnonzero(~np.isfinite(out).all(axis=1))[0])) / rate
                    raise BadInputError(
                        p, f"contains invalid samples (NaN or infinite values) from {at:.2f} s")
                yielded += out.shape[0]
                yield out

    try:
        try:
            for frame in decode_tolerant(p, container, stream, kind="audio", on_damaged=silence_for):
                frame.pts = None  # the resampler just counts samples (gaps were filled above)
                for out in resampler.resample(frame):
                    pending.push(out.to_ndarray().reshape(-1, channels))
                yield from ready(final=False)
            for out in resampler.resample(None):
                pending.push(out.to_ndarray().reshape(-1, channels))
        except av.error.FFmpegError as exc:
            raise BadInputError(p, f"audio data is corrupt ({ffmpeg_text(exc)})") from None
        yield from ready(final=True)
    finally:
        container.close()
    if yielded == 0:
        raise BadInputError(p, "contains no audio samples (empty or truncated)")
    # FFmpeg just stops at the end of the data, so a half-copied MP3 or FLAC (whose header
    # states the length) would otherwise pass for a shorter song.
    if expected and expected - yielded > max(0.25 * rate, 0.01 * expected):
        raise BadInputError(
            p, f"is truncated: its header says {expected / rate:.1f} s but the audio stops at "
            f"{yielded / rate:.1f} s (an incomplete download or copy?)")


def _check_wav_not_truncated(p: Path) -> None:
    """A WAV whose data chunk claims more bytes than the file holds is cut short.

    FFmpeg clamps the length to the file size, so this reads the RIFF chunk headers itself.
    Writers that stream (size 0 or 0xFFFFFFFF as "unknown") are not evidence of truncation.
    """
    import struct

    size = p.stat().st_size
    with open(p, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return
        pos = 12
        for _ in range(64):  # a WAV has a handful of chunks before its data
            fh.seek(pos)
            chunk = fh.read(8)
            if len(chunk) < 8:
                return
            cid, length = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"data":
                if length in (0, 0xFFFFFFFF):
                    return
                end = pos + 8 + length
                if end - size > 4096:
                    raise BadInputError(
                        p, f"is truncated: its header says {end} bytes of audio data but the "
                        f"file stops at {size} bytes (an incomplete download or copy?)")
                return
            pos += 8 + length + (length & 1)


def read_audio(
    path: str | os.PathLike, *, sample_rate: int = 44100, mono: bool = False
) -> np.ndarray:
    """Decode the first audio stream of any file FFmpeg reads (mp3, m4a, flac, ogg, wav, mp4...).

    The whole signal at once: the blocks of :func:`iter_audio` joined. For long files prefer
    :func:`iter_audio`, which needs memory for one block only.

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
    blocks = list(iter_audio(path, sample_rate=sample_rate, mono=mono))
    return np.ascontiguousarray(np.concatenate(blocks, axis=0), dtype=np.float32)


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


def resample_blocks(
    blocks: Iterable[np.ndarray], rate_in: int, rate_out: int, *, channels: int
) -> Iterator[np.ndarray]:
    """:func:`resample` for a stream of ``(m, channels)`` float32 blocks (soxr's streaming
    resampler: the joined output equals :func:`resample` of the joined input).

    Yields
    ------
    np.ndarray, shape (k, channels), float32, k > 0
    """
    if int(rate_in) == int(rate_out):
        yield from blocks
        return
    import soxr

    stream = soxr.ResampleStream(int(rate_in), int(rate_out), int(channels), dtype="float32", quality="HQ")
    for x in blocks:
        y = stream.resample_chunk(np.ascontiguousarray(x, dtype=np.float32).reshape(-1, channels))
        if y.shape[0]:
            yield y.reshape(-1, channels)
    y = stream.resample_chunk(np.zeros((0, channels), np.float32), last=True)
    if y.shape[0]:
        yield y.reshape(-1, channels)


def write_audio(
    path: str | os.PathLike,
    samples: np.ndarray | Iterable[np.ndarray],
    sample_rate: int,
    *,
    force: bool = False,
    bitrate: int | None = None,
) -> Path:
    """Write ``(n, ch)`` float32 samples; the format follows the extension.

    ``.wav`` (16-bit PCM), ``.flac`` (24-bit), ``.mp3``, ``.m4a`` (AAC-LC in MP4), ``.aac``
    (ADTS), ``.ogg``/``.opus`` (Opus, resampled to 48 kHz). Written atomically; an existing
    file is replaced only with ``force=True``. Written block by block in every format, so a
    generator of blocks writes hours of sound in the memory of one block.

    Parameters
    ----------
    path : str or Path
    samples : np.ndarray, shape (n_samples, channels) or (n_samples,), float; or an iterable of them
        The whole signal, or (anything that is not an ``np.ndarray``) its consecutive blocks,
        all with the same channel count. Values outside [-1, 1] are clipped.
    sample_rate : int
    force : bool
    bitrate : int, optional
        For the compressed formats, bits per second (default 192k stereo / 128k mono).

    Returns
    -------
    Path

    Raises
    ------
    ValueError
        No samples at all, or blocks of the wrong shape (nothing is left behind).
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in _FORMATS:
        raise BadInputError(
            out, f"unknown audio format {suffix or '(no extension)'}; use one of {', '.join(_FORMATS)}"
        )
    if int(sample_rate) <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate!r}")
    if isinstance(samples, np.ndarray):  # an array is checked before anything touches the disk
        peeked = peek_blocks(samples)
        if peeked is None:
            raise ValueError("no samples to write")
    check_output_path(out, force=force)
    if not isinstance(samples, np.ndarray):  # a generator may do real work: only after the check
        peeked = peek_blocks(samples)
        if peeked is None:
            raise ValueError("no samples to write")
    channels, blocks = peeked
    clipped = (np.clip(x, -1.0, 1.0) for x in blocks)
    writer, codec, fmt = _FORMATS[suffix]
    with atomic_output(out, force=force) as tmp:
        if writer == "soundfile":
            import soundfile as sf

            with sf.SoundFile(
                str(tmp), "w", samplerate=int(sample_rate), channels=channels, format=codec, subtype=fmt
            ) as fh:
                for x in clipped:
                    fh.write(x)
        else:
            _write_pyav(tmp, clipped, channels, int(sample_rate), codec=codec, fmt=fmt, bitrate=bitrate)
    return out


def _write_pyav(
    tmp: Path, blocks: Iterator[np.ndarray], channels: int, rate: int, *, codec: str, fmt: str, bitrate: int | None
) -> None:
    import av

    if channels > 2:
        blocks = (x[:, :2] for x in blocks)
        channels = 2
    target = rate
    if codec == "libopus" and rate != 48000:
        target = 48000
    if codec == "libmp3lame" and rate not in (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000):
        target = 44100
    if codec == "aac" and rate not in AAC_RATES:
        target = 48000
    blocks = resample_blocks(blocks, rate, target, channels=channels)
    rate = target
    layout = "mono" if channels == 1 else "stereo"
    container = av.open(str(tmp), mode="w", format=fmt)
    try:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        stream.bit_rate = bitrate or (192000 if layout == "stereo" else 128000)
        packed = codec == "libopus"  # Opus takes interleaved floats, the others planar
        start = 0
        for x in blocks:
            data = x.reshape(1, -1) if packed else x.T
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(data), format="flt" if packed else "fltp", layout=layout
            )
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                container.mux(packet)
            start += x.shape[0]
        for packet in stream.encode(None):
            container.mux(packet)
    finally:
        container.close()
