"""Video in and out, streamed through PyAV (which bundles FFmpeg).

Reading: :func:`probe_video` describes a file; :func:`iter_frames` decodes it frame by frame
at the size and rate the analysis needs, with each frame's time taken from its presentation
timestamp (so variable-frame-rate phone videos do not drift) and the rotation the phone
recorded applied. Nothing accumulates: one decoded frame is alive at a time.

Writing: :func:`write_video` encodes RGB frames (+ optional audio) to an MP4 that browsers and
editors play (H.264 yuv420p + AAC-LC, ``moov`` atom at the front). :func:`replace_audio` puts a
new soundtrack on an existing video by copying its video packets untouched (a remux: no
re-encode, no quality loss, fast) and encoding only the new audio.

Every failure caused by the file itself is a :class:`~cinemuse.errors.BadInputError` naming
the file; outputs go through :func:`~cinemuse.io.atomic.atomic_output`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator

import av
import numpy as np

from cinemuse.errors import BadInputError, OutputError
from cinemuse.io.atomic import atomic_output, check_output_path
from cinemuse.io.audio import AAC_RATES, resample_blocks
from cinemuse.io.blocks import BlockFeed, peek_blocks
from cinemuse.io.media import decode_tolerant, ffmpeg_text, open_input
from cinemuse.progress import SILENT, Progress

__all__ = [
    "VideoInfo",
    "probe_video",
    "iter_frames",
    "write_video",
    "replace_audio",
    "copy_audio_track",
    "copy_stream",
    "check_copyable",
    "copy_container_for",
    "video_fps_fraction",
]

# Containers whose muxer understands +faststart (moov before mdat).
_MP4_LIKE = {".mp4", ".m4v", ".mov"}


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe_video` learns about a video file.

    Attributes
    ----------
    path : Path
    duration : float
        Seconds from the first frame's presentation time to the end of the last frame.
    fps : float
        Average frame rate (frames / second); for variable-frame-rate files an average only.
    width, height : int
        Display size in pixels: after rotation and non-square pixels are applied.
        This is the shape ``iter_frames(size=None)`` yields (as height x width).
    coded_width, coded_height : int
        Size of the pictures as stored in the stream.
    rotation : int
        Degrees counter-clockwise the stored pictures are turned for display (0, 90, 180, -90).
    has_audio : bool
    frame_count : int
        Number of frames: from the container's index when it has one, else duration * fps.
    codec : str
        Video codec name (e.g. ``"h264"``).
    pix_fmt : str | None
    audio_codec : str | None
    audio_sample_rate : int | None
    audio_channels : int | None
    """

    path: Path
    duration: float
    fps: float
    width: int
    height: int
    coded_width: int
    coded_height: int
    rotation: int
    has_audio: bool
    frame_count: int
    codec: str
    pix_fmt: str | None = None
    audio_codec: str | None = None
    audio_sample_rate: int | None = None
    audio_channels: int | None = None


def _is_cover_art(stream) -> bool:
    """Album art in mp3/m4a files is a one-picture 'video' stream; it is not a video."""
    try:
        return bool(stream.disposition & av.stream.Disposition.attached_pic)
    except Exception:  # disposition missing on exotic builds: assume a real stream
        return False


def _video_stream(p: Path, container) -> "av.video.stream.VideoStream":
    if container.format.name == "image2" or container.format.name.endswith("_pipe"):
        raise BadInputError(p, "is a still image, not a video")
    streams = [s for s in container.streams.video if not _is_cover_art(s)]
    if not streams:
        if container.streams.audio:
            raise BadInputError(p, "has no video stream (audio only?)")
        if not container.streams:
            raise BadInputError(p, "contains no video or audio at all (a zero-length file?)")
        raise BadInputError(p, "has no video stream")
    stream = streams[0]
    if stream.codec_context is None:
        raise BadInputError(p, "uses a video codec this FFmpeg build cannot decode")
    return stream


def _audio_stream(container):
    return container.streams.audio[0] if container.streams.audio else None


def _seconds(value, time_base) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def _display_size(width: int, height: int, rotation: int, sar) -> tuple[int, int]:
    """Size a player shows: non-square pixels stretched, then a quarter turn swaps the axes."""
    if sar is not None and sar and float(sar) > 0 and abs(float(sar) - 1.0) > 1e-3:
        width = max(2, int(round(width * float(sar) / 2)) * 2)
    if rotation % 180 != 0:
        width, height = height, width
    return width, height


def _quarter_turns(rotation: int | float | None) -> int:
    """Counter-clockwise quarter turns for ``np.rot90`` from a display-matrix angle."""
    if not rotation:
        return 0
    return int(round(float(rotation) / 90.0)) % 4


# --------------------------------------------------------------------------- probe


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Describe a video file without decoding more than its first frame.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    VideoInfo

    Raises
    ------
    BadInputError
        Not a media file, truncated, no video stream, no decodable frame, unknown codec.
    """
    p, container = open_input(path)
    try:
        stream = _video_stream(p, container)
        ctx = stream.codec_context
        tb = stream.time_base
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0

        # Rotation lives in the display matrix; FFmpeg attaches it to decoded frames, so the
        # first frame tells us (and proves the stream decodes at all).
        first = _first_frame(p, container, stream)
        rotation = int(round(first.rotation or 0))

        start = _seconds(stream.start_time, tb) or 0.0
        duration = _seconds(stream.duration, tb)
        if not duration or duration <= 0:
            if container.duration:
                duration = container.duration / 1e6 - max(
                    0.0, start - (container.start_time or 0) / 1e6
                )
            else:
                duration = _duration_from_packets(p, stream)
        frame_count = stream.frames  # from the container's index; 0 when it has none
        if not frame_count and fps:
            frame_count = int(round(duration * fps))
        width, height = _display_size(
            first.width, first.height, rotation, getattr(ctx, "sample_aspect_ratio", None)
        )
        audio = _audio_stream(container)
        return VideoInfo(
            path=p,
            duration=float(duration),
            fps=fps,
            width=width,
            height=height,
            coded_width=first.width,
            coded_height=first.height,
            rotation=rotation,
            has_audio=audio is not None,
            frame_count=int(frame_count or 0),
            codec=ctx.name,
            pix_fmt=first.format.name if first.format is not None else None,
            audio_codec=audio.codec_context.name if audio is not None and audio.codec_context else None,
            audio_sample_rate=audio.codec_context.sample_rate if audio is not None and audio.codec_context else None,
            audio_channels=audio.codec_context.channels if audio is not None and audio.codec_context else None,
        )
    finally:
        container.close()


def _first_frame(p: Path, container, stream):
    try:
        for frame in decode_tolerant(p, container, stream):
            return frame
    except av.error.FFmpegError as exc:
        raise BadInputError(p, f"video stream cannot be decoded ({ffmpeg_text(exc)})") from None
    raise BadInputError(p, "has a video stream with no frames (zero-length or truncated video)")


def _duration_from_packets(p: Path, stream) -> float:
    """Length of ``stream`` (of a container already in use) from a fresh pass over its packets."""
    _, container = open_input(p)
    try:
        return _packet_span(container.streams[stream.index])
    finally:
        container.close()


def _packet_span(s) -> float:
    """End of the last packet minus the start of the first: exact, and cheap (no decoding)."""
    first, end, count = None, None, 0
    for packet in s.container.demux(s):
        count += 1 if packet.size else 0
        if packet.pts is None:
            continue
        t0 = float(packet.pts * s.time_base)
        t1 = t0 + float((packet.duration or 0) * s.time_base)
        first = t0 if first is None else min(first, t0)
        end = t1 if end is None else max(end, t1)
    if first is None:  # a raw stream without timestamps: count frames at the nominal rate
        rate = s.average_rate or s.guessed_rate or s.base_rate
        return count / float(rate) if rate else 0.0
    return end - first


# --------------------------------------------------------------------------- decode


def iter_frames(
    path: str | os.PathLike,
    *,
    size: tuple[int, int] | None = None,
    fps: float | None = None,
    interpolation: str = "AREA",
    progress: Progress = SILENT,
) -> Iterator[tuple[float, np.ndarray]]:
    """Stream the frames of a video as RGB arrays with their presentation times.

    Parameters
    ----------
    path : str or Path
    size : (width, height) or None
        Analysis size of the yielded frames, in display orientation (after rotation).
        ``None`` keeps the display size (:attr:`VideoInfo.width` x :attr:`VideoInfo.height`).
    fps : float or None
        Analysis rate. ``None`` yields every frame. Otherwise a frame is yielded for each
        tick of a ``1/fps`` grid (the first frame at or after the tick); frames in between
        are decoded (the codec needs them) but never converted, which is where the time goes.
    interpolation : str
        swscale algorithm for resizing: ``"AREA"`` (box average, right for shrinking a lot),
        ``"BILINEAR"``, ``"BICUBIC"``, ``"FAST_BILINEAR"``...
        When ``size`` is half the stored size or less, H.264's deblocking filter is skipped
        while decoding: its effect is below one analysis pixel and it costs a good part of
        the decode time.
    progress : Progress
        Advanced by seconds of video decoded.

    Yields
    ------
    time : float
        Seconds since the first frame, from the frame's timestamp (pts * time_base).
    rgb : np.ndarray, shape (height, width, 3), uint8

    Raises
    ------
    BadInputError
        Raised by this call (not on first iteration) when the file cannot be opened, has no
        video stream or no decodable frame; while iterating when the data is corrupt.
    """
    if size is not None:
        w, h = int(size[0]), int(size[1])
        if w < 1 or h < 1:
            raise ValueError(f"size must be positive (width, height), got {size!r}")
        size = (w, h)
    if fps is not None and not fps > 0:
        raise ValueError(f"fps must be positive, got {fps!r}")
    info = probe_video(path)  # validates eagerly: errors surface before any work starts
    return _frames(info, size=size, fps=fps, interpolation=interpolation, progress=progress)


def _frames(info: VideoInfo, *, size, fps, interpolation, progress) -> Iterator[tuple[float, np.ndarray]]:
    from av.video.reformatter import VideoReformatter

    p, container = open_input(info.path)
    try:
        stream = _video_stream(p, container)
        ctx = stream.codec_context
        # Frame threading + slice threading (PyAV's default is slice-only).
        ctx.thread_type = "AUTO"
        ctx.thread_count = 0
        # "Shrinking": the analysis picture has a quarter of the stored pixels or fewer.
        shrinking = size is not None and size[0] * size[1] * 4 <= info.coded_width * info.coded_height
        if shrinking:
            # At a half or less of the stored size the deblocking filter's work is invisible
            # (it smooths 4-8 px block edges); skipping it saves a good part of H.264 decoding.
            ctx.options = {**ctx.options, "skip_loop_filter": "all"}
        # One scaler for the whole stream: VideoFrame.to_ndarray would build a new swscale
        # context (and its filter tables) for every frame.
        scaler = VideoReformatter()
        tb = stream.time_base
        start = stream.start_time
        step = None if fps is None else 1.0 / float(fps)
        # A frame this close before a tick counts as on it: pts are rounded to the time base.
        tolerance = 0.0 if step is None else min(step, 1.0 / max(info.fps, 1.0)) * 0.25
        next_tick = 0.0
        last_time = -math.inf
        nominal = 1.0 / info.fps if info.fps else 0.0
        emitted = 0
        turns = None
        with progress.stage("Reading video", total=round(info.duration, 2) or None) as stage:
            reported = 0.0
            try:
                for frame in decode_tolerant(p, container, stream):
                    if frame.pts is not None and tb is not None:
                        t = float((frame.pts - (start or 0)) * tb)
                    else:  # raw streams without timestamps: best we can do
                        t = round(last_time + nominal, 9) if last_time > -math.inf else 0.0
                    last_time = t
                    if t - reported >= 1.0:
                        stage.advance(t - reported)
                        reported = t
                    if step is not None:
                        if t < next_tick - tolerance:
                            continue  # skipped: never converted
                        # Next tick strictly after this frame (a long VFR gap skips ticks).
                        next_tick = (math.floor((t + tolerance) / step) + 1) * step
                    if turns is None:
                        turns = _quarter_turns(frame.rotation)
                    yield t, _to_rgb(frame, size or (info.width, info.height), turns, interpolation, scaler, shrinking)
                    emitted += 1
            except av.error.FFmpegError as exc:
                raise BadInputError(
                    p, f"video data is corrupt near {max(last_time, 0):.2f}s ({ffmpeg_text(exc)})"
                ) from None
    finally:
        container.close()
    if emitted == 0:
        raise BadInputError(p, "has a video stream with no frames (zero-length or truncated video)")


def _to_rgb(frame, size, turns: int, interpolation: str, scaler, small: bool) -> np.ndarray:
    """Convert (and shrink) one decoded frame; rotate after shrinking, where it is cheap.

    ``size`` is (width, height) in display orientation.
    """
    w, h = size
    if turns % 2 == 1:  # the stored frame is on its side: scale it to the rotated shape
        w, h = h, w
    # Small outputs: one scaler thread costs less CPU than splitting a tiny job in slices.
    rgb = scaler.reformat(
        frame, width=w, height=h, format="rgb24", interpolation=interpolation, threads=1 if small else 0
    ).to_ndarray()
    if turns:
        rgb = np.ascontiguousarray(np.rot90(rgb, k=turns))
    return rgb


# --------------------------------------------------------------------------- encode


def video_fps_fraction(fps: float | Fraction) -> Fraction:
    """Frame rate as an exact fraction; 29.97 and friends become the NTSC 30000/1001 rates."""
    if isinstance(fps, Fraction):
        return fps
    fps = float(fps)
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps!r}")
    for base in (24, 30, 48, 60, 120):
        ntsc = Fraction(base * 1000, 1001)
        if abs(fps - float(ntsc)) < 0.005:
            return ntsc
    return Fraction(fps).limit_denominator(1001)


def _check_audio(audio: np.ndarray | None, sample_rate: int | None) -> np.ndarray | None:
    if audio is None:
        return None
    if sample_rate is None or int(sample_rate) <= 0:
        raise ValueError("sample_rate is required with audio")
    a = np.asarray(audio, dtype=np.float32)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[1] not in (1, 2):
        raise ValueError(f"audio must be (n_samples, 1 or 2 channels), got shape {a.shape}")
    return a


_AUDIO_LEAD = 1.0  # seconds the new audio may run ahead of the copied video packets


class _AudioTrack:
    """Encodes a float32 (n, ch) signal to AAC piece by piece as the video advances.

    Interleaving audio with the video as we go keeps FFmpeg's muxer from buffering a whole
    stream in memory and gives a file that streams well. The signal is an array, or an
    iterable of (m, ch) blocks (then ``channels`` is required) drawn only as far as the video
    reaches; past its end the track is silence.
    """

    def __init__(self, container, samples, sample_rate: int, *, start: float = 0.0, channels: int | None = None):
        rate = int(sample_rate)
        if isinstance(samples, np.ndarray):
            whole = samples
            channels = whole.shape[1]
            samples = (whole[i : i + 65536] for i in range(0, whole.shape[0], 65536))
        if rate not in AAC_RATES:
            samples = resample_blocks(samples, rate, 48000, channels=channels)
            rate = 48000
        self.feed = BlockFeed(samples, channels)
        self.rate = rate
        self.layout = "mono" if channels == 1 else "stereo"
        self.stream = container.add_stream("aac", rate=rate, layout=self.layout)
        self.stream.bit_rate = 192000 if channels == 2 else 128000
        # The constant-quantiser coder is ~3x faster than FFmpeg's default two-loop search,
        # which otherwise costs more than the whole remux; at 192 kb/s the two measured alike
        # (same SNR on music-like test signals).
        self.stream.codec_context.options = {"aac_coder": "fast"}
        self.container = container
        self.written = 0  # samples handed to the encoder so far
        # Sample 0 plays with the first frame, wherever the video's timeline starts.
        self.offset = max(0, int(round(start * rate)))

    def write_until(self, seconds: float) -> None:
        end = int(round(seconds * self.rate))
        chunk = 16384
        while self.written < end:
            n = min(chunk, end - self.written)
            block = self.feed.take(n)  # silence once the music is over
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(np.clip(block, -1.0, 1.0).T), format="fltp", layout=self.layout
            )
            frame.sample_rate = self.rate
            frame.pts = self.offset + self.written
            frame.time_base = Fraction(1, self.rate)
            for packet in self.stream.encode(frame):
                self.container.mux(packet)
            self.written += n

    def flush(self) -> None:
        for packet in self.stream.encode(None):
            self.container.mux(packet)


def _container_options(path: Path) -> dict[str, str]:
    return {"movflags": "+faststart"} if path.suffix.lower() in _MP4_LIKE else {}


def write_video(
    path: str | os.PathLike,
    frames: Iterable[np.ndarray],
    *,
    fps: float | Fraction,
    audio: np.ndarray | None = None,
    sample_rate: int | None = None,
    force: bool = False,
    crf: int = 20,
    preset: str = "fast",
    progress: Progress = SILENT,
) -> Path:
    """Encode RGB frames (and optional audio) to an MP4 that browsers and editors play.

    H.264 High profile, yuv420p, BT.709; audio AAC-LC; ``moov`` at the front (faststart).
    Frames are consumed one by one (pass a generator for long videos).

    Parameters
    ----------
    path : str or Path
        Output file (``.mp4`` / ``.mov`` / ``.m4v`` / ``.mkv``).
    frames : iterable of np.ndarray, each (height, width, 3) uint8
        All the same size. Odd sizes get one edge row/column repeated (H.264 4:2:0 needs
        even sizes). ``(time, rgb)`` pairs, as :func:`iter_frames` yields, are accepted too;
        their times are ignored: frames are placed at ``i / fps``.
    fps : float or Fraction
        Constant frame rate; 29.97 means 30000/1001.
    audio : np.ndarray, shape (n_samples, channels), float32, optional
        1 or 2 channels in [-1, 1]. Trimmed, or padded with silence, to the video's length.
    sample_rate : int, optional
        Required with ``audio``.
    force : bool
        Replace an existing file.
    crf, preset : x264 quality (lower crf = better, 18-23 is typical) and speed.

    Returns
    -------
    Path
        ``path``.
    """
    rate = video_fps_fraction(fps)
    audio = _check_audio(audio, sample_rate)
    out = check_output_path(path, force=force)
    with progress.stage("Writing video") as stage, atomic_output(out, force=force) as tmp:
        container = av.open(str(tmp), mode="w", options=_container_options(out))
        try:
            _encode_frames(container, iter(frames), rate, crf=crf, preset=preset, audio=audio,
                           sample_rate=sample_rate, stage=stage)
        finally:
            container.close()
    return out


def _encode_frames(container, frames: Iterator, rate: Fraction, *, crf: int, preset: str,
                   audio: np.ndarray | None, sample_rate: int | None, stage) -> int:
    """Encode ``frames`` into ``container`` (and ``audio`` interleaved); returns the count."""
    from av.video.reformatter import VideoReformatter

    to_yuv = VideoReformatter()  # one swscale context for all frames
    stream = track = shape = None
    n = 0
    for item in frames:
        rgb = _as_rgb_frame(item[1] if isinstance(item, tuple) else item)
        if stream is None:
            shape = rgb.shape
            stream = _add_h264_stream(container, rate, rgb.shape[1], rgb.shape[0], crf, preset)
            if audio is not None:
                track = _AudioTrack(container, audio, int(sample_rate))
        elif rgb.shape != shape:
            raise ValueError(f"frame {n} has shape {rgb.shape}, the first had {shape}")
        frame = av.VideoFrame.from_ndarray(_even(rgb), format="rgb24")
        frame = to_yuv.reformat(frame, format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG")
        frame.pts = n
        frame.time_base = 1 / rate
        for packet in stream.encode(frame):
            container.mux(packet)
        n += 1
        if track is not None:
            track.write_until(n / rate)
        stage.advance()
    if stream is None:
        raise ValueError("write_video got no frames")
    for packet in stream.encode(None):
        container.mux(packet)
    if track is not None:
        track.write_until(n / rate)
        track.flush()
    return n


def _as_rgb_frame(rgb) -> np.ndarray:
    a = np.asarray(rgb)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"frames must be (height, width, 3) RGB, got shape {a.shape}")
    if a.dtype != np.uint8:
        if np.issubdtype(a.dtype, np.floating):
            a = np.clip(np.round(a * 255.0), 0, 255).astype(np.uint8)
        else:
            raise ValueError(f"frames must be uint8 (or float in [0, 1]), got {a.dtype}")
    return np.ascontiguousarray(a)


def _even(rgb: np.ndarray) -> np.ndarray:
    """Repeat the last row/column when a side is odd: yuv420p stores chroma per 2x2 block."""
    h, w = rgb.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return rgb
    return np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def _add_h264_stream(container, rate: Fraction, width: int, height: int, crf: int, preset: str):
    stream = container.add_stream("libx264", rate=rate)
    stream.width = width + width % 2
    stream.height = height + height % 2
    stream.pix_fmt = "yuv420p"
    stream.time_base = 1 / rate
    ctx = stream.codec_context
    # Tag what write_video converts to (BT.709, limited range), so players convert back right.
    ctx.colorspace = 1  # AVCOL_SPC_BT709
    ctx.color_range = 1  # AVCOL_RANGE_MPEG (limited)
    ctx.color_primaries = 1  # AVCOL_PRI_BT709
    ctx.color_trc = 1  # AVCOL_TRC_BT709
    ctx.options = {"crf": str(int(crf)), "preset": preset, "profile": "high"}
    return stream


# --------------------------------------------------------------------------- remux


def replace_audio(
    video_path: str | os.PathLike,
    audio: np.ndarray | Iterable[np.ndarray],
    sample_rate: int,
    out_path: str | os.PathLike,
    *,
    force: bool = False,
    progress: Progress = SILENT,
) -> Path:
    """Give a video a new soundtrack without re-encoding its picture.

    The video stream's packets are copied bit for bit (a remux); only the audio is encoded
    (AAC-LC). The result lasts exactly as long as the video: the new audio is trimmed or
    padded with silence to the video's duration. Audio given as blocks is consumed as the
    video packets are copied and never past the video's end, so an hour-long soundtrack
    costs the memory of a few blocks.

    Parameters
    ----------
    video_path : str or Path
    audio : np.ndarray, shape (n_samples, channels), float32; or an iterable of them
        1 or 2 channels in [-1, 1], starting at the video's first frame: the whole signal, or
        (anything that is not an ``np.ndarray``) its consecutive (m, channels) blocks.
    sample_rate : int
    out_path : str or Path
        ``.mp4`` (faststart) / ``.mov`` / ``.mkv``.
    force : bool
        Replace an existing ``out_path``.

    Returns
    -------
    Path
        ``out_path``.
    """
    if audio is None:
        raise ValueError("audio is required")
    if isinstance(audio, np.ndarray):
        audio = _check_audio(audio, sample_rate)
    elif sample_rate is None or int(sample_rate) <= 0:
        raise ValueError("sample_rate is required with audio")
    out = check_output_path(out_path, force=force)
    src = probe_video(video_path).path
    if out.exists() and out.resolve() == src.resolve():
        raise OutputError(out, "is the input video; choose another output name")
    duration = _video_span(src)

    # Learn the channel count (a generator's first block is read here, after the checks).
    peeked = peek_blocks(audio, what="audio")
    if peeked is None:  # no samples at all: a silent track
        peeked = (audio.shape[1] if isinstance(audio, np.ndarray) else 2), iter(())
    channels, blocks = peeked
    if channels not in (1, 2):
        raise ValueError(f"audio must be (n_samples, 1 or 2 channels), got {channels} channels")

    with progress.stage("Writing video", total=round(duration, 2) or None) as stage, atomic_output(
        out, force=force
    ) as tmp:
        _, source = open_input(src)
        try:
            target = av.open(str(tmp), mode="w", options=_container_options(out))
            try:
                _remux(src, source, target, out, blocks, int(sample_rate), channels, duration, stage)
            finally:
                target.close()
        finally:
            source.close()
    return out


def _remux(src: Path, source, target, out: Path, blocks, sample_rate: int, channels: int,
           duration: float, stage) -> None:
    """Copy the video packets of ``source`` into ``target`` and encode ``blocks`` beside them,
    a little ahead of the picture, up to ``duration``."""
    vin = _video_stream(src, source)
    vout = _copy_stream_or_refuse(src, target, vin)
    start = vin.start_time or 0
    track = _AudioTrack(target, blocks, sample_rate, start=float(start * vin.time_base), channels=channels)
    reported = 0.0
    for packet in source.demux(vin):
        if packet.dts is None and packet.pts is None:
            continue  # the demuxer's end-of-stream marker, no data
        t = float(((packet.dts if packet.dts is not None else packet.pts) - start) * vin.time_base)
        if track.written < (t + _AUDIO_LEAD / 2) * track.rate:
            # in bursts, ahead of the picture: one encoder call per video frame
            # would cost more Python than the copy itself
            track.write_until(min(max(t, 0.0) + _AUDIO_LEAD, duration))
        packet.stream = vout
        try:
            target.mux(packet)
        except av.error.FFmpegError as exc:
            raise BadInputError(
                src,
                f"its {vin.codec_context.name} video cannot be copied into "
                f"{out.suffix or 'this container'} ({ffmpeg_text(exc)})",
            ) from None
        if t - reported >= 1.0:
            stage.advance(t - reported)
            reported = t
    track.write_until(duration)
    track.flush()


_MUXERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}


def copy_stream(target, stream):
    """A stream in output container ``target`` that takes ``stream``'s packets unchanged.

    PyAV builds the template from the *decoder's* name, which fails where the decoder is
    not also an encoder (AV1 is decoded by ``libdav1d``); the codec parameters alone
    (``opaque``) are all a packet copy needs.
    """
    try:
        return target.add_stream_from_template(stream)
    except (av.error.FFmpegError, ValueError):
        return target.add_stream_from_template(stream, opaque=True)


def _copy_stream_or_refuse(src: Path, target, stream):
    try:
        return copy_stream(target, stream)
    except (av.error.FFmpegError, ValueError) as exc:
        raise BadInputError(src, f"its video stream cannot be copied ({ffmpeg_text(exc)}); "
                                 "try -o NAME.mkv or NAME.mov") from None


def check_copyable(video_path: str | os.PathLike, out_path: str | os.PathLike) -> None:
    """Fail now, not after the work, if ``video_path``'s picture cannot be copied into ``out_path``.

    Writes the container header (and one packet) of ``out_path``'s type into memory, which
    is where FFmpeg refuses a codec the container cannot hold (ProRes in MP4, FFV1 in MOV).
    Raises :class:`BadInputError` naming the video, the codec and the container.
    """
    import io

    out = Path(out_path)
    src, source = open_input(video_path)
    try:
        vin = _video_stream(src, source)
        target = av.open(io.BytesIO(), mode="w", format=_MUXERS.get(out.suffix.lower(), "mp4"))
        try:
            vout = _copy_stream_or_refuse(src, target, vin)
            target.start_encoding()
            for packet in source.demux(vin):
                if packet.dts is None and packet.pts is None:
                    continue
                packet.stream = vout
                target.mux(packet)
                break
        except av.error.FFmpegError as exc:
            raise BadInputError(src, f"its {vin.codec_context.name} video cannot be copied into a "
                                     f"{out.suffix or 'video'} file ({ffmpeg_text(exc)}); "
                                     "try -o NAME.mkv or NAME.mov") from None
        finally:
            try:
                target.close()
            except av.error.FFmpegError:
                pass
    finally:
        source.close()


def copy_container_for(video_path: str | os.PathLike, suffixes=(".mp4", ".mov", ".mkv")) -> str:
    """The first of ``suffixes`` whose container can hold ``video_path``'s picture as it is."""
    for suffix in suffixes[:-1]:
        try:
            check_copyable(video_path, Path("probe").with_suffix(suffix))
            return suffix
        except BadInputError:
            continue
    return suffixes[-1]


def _video_span(p: Path) -> float:
    """Exact length of the video stream: first presentation time to end of the last frame."""
    _, container = open_input(p)
    try:
        return _packet_span(_video_stream(p, container))
    finally:
        container.close()


def copy_audio_track(video_path: str | os.PathLike, audio_source: str | os.PathLike,
                     out_path: str | os.PathLike) -> Path:
    """Write ``out_path`` with the video stream of ``video_path`` and the audio of ``audio_source``.

    Both are copied packet for packet (no re-encode), so the original soundtrack is kept
    exactly; audio packets past the end of the video are dropped. Both inputs are opened
    like every other (:func:`~cinemuse.io.media.open_input`); ``out_path`` is written as is,
    so give it a temporary name inside an atomic output.
    """
    out = Path(out_path)
    vp, vin = open_input(video_path)
    try:
        ap, ain = open_input(audio_source)
        try:
            vstream = _video_stream(vp, vin)
            astream = _audio_stream(ain)
            with av.open(str(out), "w", options=_container_options(out)) as target:
                vout = _copy_stream_or_refuse(vp, target, vstream)
                aout = copy_stream(target, astream) if astream is not None else None
                end = _copy_packets(vin, vstream, target, vout)
                if aout is not None:
                    _copy_packets(ain, astream, target, aout, until=end)
        finally:
            ain.close()
    finally:
        vin.close()
    return out


def _copy_packets(source, stream, target, out_stream, *, until: float | None = None) -> float | None:
    """Mux ``stream``'s packets unchanged into ``out_stream`` (those starting before ``until``);
    returns the end time of the last packet copied."""
    end = None
    for packet in source.demux(stream):
        if packet.dts is None:
            continue  # the demuxer's end-of-stream marker, no data
        if until is not None and packet.pts is not None and float(packet.pts * stream.time_base) >= until:
            break
        if packet.pts is not None and packet.duration:
            t = float((packet.pts + packet.duration) * stream.time_base)
            end = t if end is None else max(end, t)
        packet.stream = out_stream
        target.mux(packet)
    return end
