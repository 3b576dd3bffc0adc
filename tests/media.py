"""Synthetic media for tests, generated in code (no binary fixtures). Any team may import it:

    from tests.media import make_cut_video, sine, write_tone, make_photo

Videos are built straight on PyAV (not on ``cinemuse.io``), so a bug in our writer cannot hide
a bug in our reader. Everything is small (64x48, a few seconds) and deterministic.

Videos
    make_cut_video      constant-rate video of colour-bar / solid-colour shots, cuts at given
                        times (29.97 fps by default), optional tone soundtrack and rotation
    make_vfr_cut_video  the same with irregular frame spacing (variable frame rate)
    make_empty_video    an MP4 whose video stream has no frames
Audio
    sine                a tone as (n, ch) float32
    write_tone          a tone file: wav / flac / mp3 / m4a / ogg / opus by extension
Images
    orientation_pattern        an asymmetric RGB picture (tells orientation apart)
    make_photo          JPEG/PNG in one of: rgb, exif-rotated, cmyk, 16-bit, palette, alpha,
                        grey, grey+alpha, icc
    write_png_header    a PNG that declares any size (decompression-bomb tests)
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import av
import numpy as np
from PIL import Image, ImageCms

NTSC_30 = Fraction(30000, 1001)

# Saturated, well-separated colours: each shot differs strongly from the next.
SHOT_COLOURS = [
    (220, 30, 30),
    (30, 200, 40),
    (40, 60, 230),
    (240, 220, 30),
    (230, 40, 220),
    (20, 210, 220),
    (250, 250, 250),
    (15, 15, 15),
]
_BARS = np.array(
    [(192, 192, 192), (192, 192, 0), (0, 192, 192), (0, 192, 0), (192, 0, 192), (192, 0, 0), (0, 0, 192)],
    dtype=np.uint8,
)


# --------------------------------------------------------------------------- pictures


def colour_bars(width: int, height: int, *, shift: int = 0) -> np.ndarray:
    """SMPTE-like vertical colour bars, rolled ``shift`` bars to the right. (h, w, 3) uint8."""
    index = (np.arange(width) * len(_BARS) // width - shift) % len(_BARS)
    return np.ascontiguousarray(np.broadcast_to(_BARS[index][None, :, :], (height, width, 3)))


def shot_picture(shot: int, width: int, height: int) -> np.ndarray:
    """The picture of shot number ``shot``: even shots solid colour, odd shots colour bars."""
    if shot % 2 == 0:
        img = np.empty((height, width, 3), np.uint8)
        img[:] = SHOT_COLOURS[(shot // 2) % len(SHOT_COLOURS)]
        return img
    return colour_bars(width, height, shift=shot // 2)


def orientation_pattern(width: int = 64, height: int = 48) -> np.ndarray:
    """Asymmetric picture: a red block top-left, a blue block bottom-right, grey ramp elsewhere.

    Any rotation or flip moves the red block away from the top-left corner, so orientation
    bugs are caught by looking at :func:`corner_colours`.
    """
    ramp = np.linspace(60, 200, width, dtype=np.float32)[None, :].repeat(height, axis=0)
    img = np.stack([ramp, ramp, ramp], axis=2).astype(np.uint8)
    bh, bw = max(1, height // 4), max(1, width // 4)
    img[:bh, :bw] = (230, 20, 20)
    img[-bh:, -bw:] = (20, 20, 230)
    return img


def corner_colours(rgb: np.ndarray) -> dict[str, np.ndarray]:
    """Mean colour of an 1/8 patch in each corner: keys tl, tr, bl, br."""
    h, w = rgb.shape[:2]
    ph, pw = max(1, h // 8), max(1, w // 8)
    x = rgb.astype(np.float32)
    return {
        "tl": x[:ph, :pw].reshape(-1, 3).mean(0),
        "tr": x[:ph, -pw:].reshape(-1, 3).mean(0),
        "bl": x[-ph:, :pw].reshape(-1, 3).mean(0),
        "br": x[-ph:, -pw:].reshape(-1, 3).mean(0),
    }


# --------------------------------------------------------------------------- audio


def sine(
    freq: float = 440.0,
    duration: float = 1.0,
    *,
    sample_rate: int = 44100,
    channels: int = 2,
    amplitude: float = 0.5,
) -> np.ndarray:
    """A sine tone, shape (round(duration * sample_rate), channels), float32."""
    n = int(round(duration * sample_rate))
    t = np.arange(n, dtype=np.float64) / sample_rate
    x = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(x[:, None], channels, axis=1)


def write_tone(
    path: str | Path,
    freq: float = 440.0,
    duration: float = 1.0,
    *,
    sample_rate: int = 44100,
    channels: int = 2,
    amplitude: float = 0.5,
) -> Path:
    """Write a tone file; the format follows the extension (wav flac mp3 m4a aac ogg opus)."""
    path = Path(path)
    x = sine(freq, duration, sample_rate=sample_rate, channels=channels, amplitude=amplitude)
    ext = path.suffix.lower()
    if ext in (".wav", ".flac"):
        import soundfile as sf

        sf.write(str(path), x, sample_rate, subtype="PCM_16")
        return path
    codec, fmt, sample_format = {
        ".mp3": ("libmp3lame", "mp3", "fltp"),
        ".m4a": ("aac", "ipod", "fltp"),
        ".aac": ("aac", "adts", "fltp"),
        ".ogg": ("libopus", "ogg", "flt"),
        ".opus": ("libopus", "ogg", "flt"),
    }[ext]
    if codec == "libopus" and sample_rate != 48000:
        raise ValueError("Opus needs sample_rate=48000")
    layout = "mono" if channels == 1 else "stereo"
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=sample_rate, layout=layout)
        _encode_audio(container, stream, x, sample_rate, layout, sample_format)
    return path


def _encode_audio(container, stream, x: np.ndarray, rate: int, layout: str, sample_format: str = "fltp"):
    for start in range(0, x.shape[0], 4096):
        chunk = x[start : start + 4096]
        data = chunk.reshape(1, -1) if sample_format == "flt" else chunk.T
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format=sample_format, layout=layout)
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


# --------------------------------------------------------------------------- video


@dataclass
class SyntheticVideo:
    """What a generator wrote, and the truth a test checks against.

    Attributes
    ----------
    path : Path
    frame_times : list of float
        Presentation time of every frame, seconds (exact, from the pts written).
    shot_starts : list of float
        Time of the first frame of each shot after the first: the true cut times.
    shot_of_frame : list of int
        Shot number of each frame.
    size : (width, height) as stored (before rotation).
    duration : float
        End of the last frame.
    """

    path: Path
    frame_times: list[float]
    shot_starts: list[float]
    shot_of_frame: list[int]
    size: tuple[int, int]
    duration: float


def make_cut_video(
    path: str | Path,
    *,
    duration: float = 3.0,
    cuts: Sequence[float] = (1.0, 2.0),
    fps: Fraction | float = NTSC_30,
    size: tuple[int, int] = (64, 48),
    audio_freq: float | None = None,
    sample_rate: int = 44100,
    rotation: int = 0,
    codec: str = "libx264",
) -> SyntheticVideo:
    """Constant-frame-rate video of shots that change at ``cuts`` (seconds).

    Frame ``i`` is shown at ``i / fps``; the shot of a frame is the number of cuts at or
    before its time, so the true cut time is the first frame time >= each cut.
    ``rotation`` (counter-clockwise degrees) goes into the display matrix, as phones do.
    ``audio_freq`` adds an AAC tone of the same length.
    """
    rate = fps if isinstance(fps, Fraction) else Fraction(fps).limit_denominator(1001)
    n_frames = int(math.ceil(duration * rate - 1e-9))
    times = [float(Fraction(i) / rate) for i in range(n_frames)]
    return _write_frames(
        Path(path), times, cuts, rate=rate, time_base=1 / rate, pts=list(range(n_frames)),
        size=size, audio_freq=audio_freq, sample_rate=sample_rate, rotation=rotation, codec=codec,
        end=float(Fraction(n_frames) / rate),
    )


def make_vfr_cut_video(
    path: str | Path,
    *,
    duration: float = 3.0,
    cuts: Sequence[float] = (0.9, 2.1),
    size: tuple[int, int] = (64, 48),
    seed: int = 0,
    audio_freq: float | None = None,
    sample_rate: int = 44100,
) -> SyntheticVideo:
    """Variable-frame-rate video: gaps between frames drawn from 1/60 s to 1/8 s (seeded).

    Timestamps are in milliseconds (time base 1/1000), like many phone recordings. A reader
    that computed times as ``index / average_fps`` would be off by up to a second here.
    The first half is denser than the second, so index-based times drift noticeably.
    """
    rng = np.random.default_rng(seed)
    t, times = 0.0, []
    while t < duration - 1e-9:
        times.append(round(t, 3))
        dense = t < duration / 2
        gap = rng.uniform(1 / 60, 1 / 30) if dense else rng.uniform(1 / 15, 1 / 8)
        t = round(t + gap, 3)
    pts = [int(round(x * 1000)) for x in times]
    return _write_frames(
        Path(path), times, cuts, rate=Fraction(30), time_base=Fraction(1, 1000), pts=pts, size=size,
        audio_freq=audio_freq, sample_rate=sample_rate, rotation=0, codec="libx264",
        end=min(duration, times[-1] + 1 / 8),
    )


def _write_frames(path, times, cuts, *, rate, time_base, pts, size, audio_freq, sample_rate,
                  rotation, codec, end) -> SyntheticVideo:
    with _scheduling_kept():
        return _encode_frames(path, times, cuts, rate=rate, time_base=time_base, pts=pts, size=size,
                              audio_freq=audio_freq, sample_rate=sample_rate, rotation=rotation,
                              codec=codec, end=end)


@contextmanager
def _scheduling_kept():
    """Undo any change an encoder makes to the calling thread's scheduling.

    Run as root, PyAV's SVT-AV1 encoder (``libsvtav1``) switches the thread that feeds it to
    SCHED_FIFO priority 99. In a test process every child started afterwards inherits that,
    and a realtime child that spin-waits on its own helper threads starves the whole machine
    (a CI run as root hung for many minutes on 2 cores).
    """
    policy = os.sched_getscheduler(0)
    param = os.sched_getparam(0)
    try:
        yield
    finally:
        if os.sched_getscheduler(0) != policy or os.sched_getparam(0) != param:
            os.sched_setscheduler(0, policy, param)


def _encode_frames(path, times, cuts, *, rate, time_base, pts, size, audio_freq, sample_rate,
                   rotation, codec, end) -> SyntheticVideo:
    width, height = size
    cuts = sorted(cuts)
    shot_of = [sum(1 for c in cuts if c <= t + 1e-9) for t in times]
    shot_starts = [times[i] for i in range(1, len(times)) if shot_of[i] != shot_of[i - 1]]
    pictures = {}
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv422p10le" if codec.startswith("prores") else "yuv420p"
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        if codec == "libx264":
            stream.codec_context.options = {"preset": "ultrafast", "crf": "18"}
        if rotation:
            stream.set_display_rotation(rotation)
        audio = None
        if audio_freq is not None:  # every stream must exist before the first packet
            audio = container.add_stream("aac", rate=sample_rate, layout="stereo")
        for p, shot in zip(pts, shot_of):
            if shot not in pictures:
                pictures[shot] = shot_picture(shot, width, height)
            frame = av.VideoFrame.from_ndarray(pictures[shot], format="rgb24")
            frame.pts = p
            frame.time_base = time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        if audio is not None:
            _encode_audio(container, audio, sine(audio_freq, end, sample_rate=sample_rate), sample_rate, "stereo")
    return SyntheticVideo(Path(path), times, shot_starts, shot_of, (width, height), end)


def make_empty_video(path: str | Path, *, size: tuple[int, int] = (64, 48)) -> Path:
    """An MP4 with a video stream and no frames at all (a zero-length video)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        container.start_encoding()
    return Path(path)


def truncate_file(path: str | Path, keep: float = 0.5) -> Path:
    """Cut a file to ``keep`` of its length in place (a download that stopped)."""
    path = Path(path)
    data = path.read_bytes()
    path.write_bytes(data[: max(1, int(len(data) * keep))])
    return path


# --------------------------------------------------------------------------- photos

# exif orientation -> the transpose that *undoes* what exif_transpose applies
_UNDO_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}

PHOTO_KINDS = ("rgb", "exif-rotated", "cmyk", "16bit", "palette", "alpha", "grey", "grey-alpha", "icc")


def make_photo(path: str | Path, kind: str = "rgb", *, size: tuple[int, int] = (64, 48),
               orientation: int = 6) -> np.ndarray:
    """Write a photo of one awkward kind and return what a correct reader should give.

    Parameters
    ----------
    path : .jpg or .png (kinds that need PNG: 16bit, palette, alpha, grey-alpha)
    kind : one of :data:`PHOTO_KINDS`
    size : (width, height) of the upright picture
    orientation : EXIF orientation tag for ``exif-rotated`` (2..8)

    Returns
    -------
    np.ndarray, (height, width, 3) uint8
        The expected upright sRGB picture (alpha composited on white).
    """
    path = Path(path)
    width, height = size
    upright = orientation_pattern(width, height)
    if kind == "rgb":
        Image.fromarray(upright).save(path, quality=95)
        return upright
    if kind == "exif-rotated":
        stored = Image.fromarray(upright).transpose(_UNDO_ORIENTATION[orientation])
        exif = Image.Exif()
        exif[0x0112] = orientation
        stored.save(path, quality=95, exif=exif.tobytes())
        return upright
    if kind == "cmyk":
        Image.fromarray(upright).convert("CMYK").save(path, quality=95)
        return upright
    if kind == "16bit":
        grey16 = (np.linspace(0, 65535, width)[None, :].repeat(height, 0)).astype(np.uint16)
        Image.fromarray(grey16).save(path)  # mode I;16
        grey8 = (grey16 >> 8).astype(np.uint8)
        return np.repeat(grey8[:, :, None], 3, axis=2)
    if kind == "palette":
        img = Image.fromarray(upright).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
        img.info["transparency"] = 0  # palette entry 0 is transparent: shows as white
        img.save(path, transparency=0)
        rgba = np.asarray(img.convert("RGBA"))
        return _over_white(rgba)
    if kind == "alpha":
        alpha = np.linspace(0, 255, width, dtype=np.float32)[None, :].repeat(height, 0).astype(np.uint8)
        rgba = np.dstack([upright, alpha])
        Image.fromarray(rgba, "RGBA").save(path)
        return _over_white(rgba)
    if kind == "grey":
        grey = np.asarray(Image.fromarray(upright).convert("L"))
        Image.fromarray(grey).save(path, quality=95)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if kind == "grey-alpha":
        grey = np.asarray(Image.fromarray(upright).convert("L"))
        alpha = np.full_like(grey, 128)
        Image.fromarray(np.dstack([grey, alpha]), "LA").save(path)
        return _over_white(np.dstack([grey, grey, grey, alpha]))
    if kind == "icc":
        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        Image.fromarray(upright).save(path, quality=95, icc_profile=srgb)
        return upright
    raise ValueError(f"unknown photo kind {kind!r}; choose from {PHOTO_KINDS}")


def _over_white(rgba: np.ndarray) -> np.ndarray:
    a = rgba[:, :, 3:4].astype(np.float32) / 255.0
    rgb = rgba[:, :, :3].astype(np.float32) * a + 255.0 * (1.0 - a)
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8)


def write_png_header(path: str | Path, width: int = 30000, height: int = 30000) -> Path:
    """A tiny PNG that *declares* ``width`` x ``height`` (the pixel data is a stub).

    Opening it costs nothing; decoding it would need width*height*3 bytes. A reader must
    refuse it from the header alone.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    body = zlib.compress(b"\x00" * 64)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    Path(path).write_bytes(data)
    return Path(path)


# D50-adapted sRGB colorants (what an sRGB ICC profile stores), and the D50 white point.
SRGB_COLORANTS = {
    "r": (0.4361, 0.2225, 0.0139),
    "g": (0.3851, 0.7169, 0.0971),
    "b": (0.1431, 0.0606, 0.7141),
}
_D50 = (0.9642, 1.0, 0.8249)


def rgb_icc_profile(colorants: dict[str, tuple[float, float, float]] | None = None, *,
                    gamma: float = 2.2, description: str = "cinemuse test RGB") -> bytes:
    """A minimal ICC v2 matrix/TRC RGB display profile, built byte by byte.

    With ``colorants=None`` it is close to sRGB (gamma 2.2). Swapping colorants, e.g.
    ``{"r": SRGB_COLORANTS["g"], "g": SRGB_COLORANTS["r"], "b": SRGB_COLORANTS["b"]}``,
    gives a profile in which the file's red channel means green: a reader that converts to
    sRGB shows green where one that ignores the profile shows red. That makes a profile
    conversion testable without shipping a profile file.
    """
    colorants = colorants or SRGB_COLORANTS

    def s15(v: float) -> bytes:
        return struct.pack(">i", int(round(v * 65536)))

    def xyz(v) -> bytes:
        return b"XYZ " + b"\0" * 4 + b"".join(s15(c) for c in v)

    text = description.encode("ascii")
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(text) + 1) + text + b"\0"
    desc += struct.pack(">II", 0, 0) + struct.pack(">HB", 0, 0) + b"\0" * 67
    curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, int(round(gamma * 256))) + b"\0\0"
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz(_D50)),
        (b"rXYZ", xyz(colorants["r"])),
        (b"gXYZ", xyz(colorants["g"])),
        (b"bXYZ", xyz(colorants["b"])),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text" + b"\0" * 4 + b"public domain\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)  # tag data is 4-byte aligned
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (
        struct.pack(">I", size) + b"lcms" + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
        + b"\0" * 12 + b"acsp" + b"\0" * 4 + b"\0" * 4 + b"\0" * 8 + b"\0" * 8 + struct.pack(">I", 0)
        + b"".join(s15(c) for c in _D50) + b"\0" * 4 + b"\0" * 16
    )
    header += b"\0" * (128 - len(header))
    return header + table + data


def damage_mp4_data(path: str | Path, *, every: int = 5000, seed: int = 0) -> Path:
    """Overwrite one byte in every ``every`` of an MP4's media data (``mdat``), in place.

    The index stays intact, so the file opens and its packets are found; some of them no
    longer decode (bit rot, a bad sector, a flaky card reader).
    """
    path = Path(path)
    data = bytearray(path.read_bytes())
    at = data.find(b"mdat")
    size = struct.unpack(">I", data[at - 4 : at])[0]
    rng = np.random.default_rng(seed)
    for i in range(at + 200, at - 4 + size, every):
        data[i] = int(rng.integers(0, 256))
    path.write_bytes(bytes(data))
    return path
