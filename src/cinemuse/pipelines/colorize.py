"""The ``colorize`` job: a black-and-white photo or film file in, a coloured file out."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cinemuse.pipelines.results import Result
from cinemuse.progress import SILENT

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".ts"}


@dataclass(frozen=True)
class ColorizeResult(Result):
    """What :func:`colorize_file` made. ``kind`` is ``photo`` or ``video``; a photo reports
    its output's ``colourfulness`` (Hasler-Suesstrunk), a video its ``frames``, whether its
    audio was kept and the frames coloured per second."""

    output: str
    kind: str
    width: int
    height: int
    references: int
    seconds: float
    colourfulness: float | None = None
    frames: int | None = None
    audio_kept: bool | None = None
    fps_processed: float | None = None

    @property
    def files(self) -> dict[str, str]:
        return {"output": self.output}


def colorize_image(
    image: np.ndarray | str | os.PathLike,
    *,
    references: list | None = None,
    work_side: int = 512,
    temperature: float | None = None,
    saturation: float = 1.0,
) -> np.ndarray:
    """Colour a black-and-white picture; returns RGB uint8 (H, W, 3) of the input's size.

    ``image`` and each of ``references`` (colour photos of similar content whose colours to
    use) are an RGB/grey uint8 array or a picture file. The lightness is kept as it was.
    See :func:`cinemuse.vision.colorize.colorize_image` for the method.
    """
    from cinemuse.vision.colorize import Colorizer
    from cinemuse.vision.colorize import colorize_image as colorize_array

    refs = [_as_picture(r) for r in (references or [])]
    return colorize_array(_as_picture(image), references=refs or None, colorizer=Colorizer.load(),
                          work_side=work_side, temperature=temperature, saturation=saturation)


def _as_picture(image) -> np.ndarray:
    """An array as it is; a path read (with the one-line errors of a bad file)."""
    if isinstance(image, np.ndarray):
        return image
    from cinemuse.io.atomic import check_input_file
    from cinemuse.io.image import read_image

    return read_image(check_input_file(image))


def is_video_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def colorize_file(
    input_path: str | Path,
    output_path: str | Path,
    *,
    references: list[str | Path] | None = None,
    force: bool = False,
    work_side: int | None = None,
    temperature: float | None = None,
    saturation: float = 1.0,
    key_interval: int = 8,
    progress=SILENT,
) -> ColorizeResult:
    """Colourise a photo or a video file.

    Photos keep their size; videos are streamed frame by frame, coloured with temporal
    consistency (:func:`cinemuse.vision.colorize.colorize_frames`) and get their original
    audio back, its packets copied untouched.
    """
    from cinemuse.io.atomic import OutputSet, check_input_file
    from cinemuse.io.image import read_image

    src = check_input_file(input_path)
    ref_paths = [check_input_file(r) for r in (references or [])]
    OutputSet(force=force, inputs=[src, *ref_paths]).add(output_path, what="-o")  # checked before any work
    refs = [read_image(r) for r in ref_paths]
    if is_video_path(src) != is_video_path(output_path):
        from cinemuse.errors import UsageError

        raise UsageError(f"{output_path}: a {'video' if is_video_path(src) else 'photo'} input needs a "
                         f"{'video (.mp4)' if is_video_path(src) else 'picture (.png/.jpg)'} output")
    if is_video_path(src):
        return _colorize_video(src, Path(output_path), refs, force=force, work_side=work_side or 320,
                               temperature=temperature, saturation=saturation, key_interval=key_interval,
                               progress=progress)
    return _colorize_photo(src, Path(output_path), refs, force=force, work_side=work_side or 512,
                           temperature=temperature, saturation=saturation, progress=progress)


def _colorize_photo(src, out, refs, *, force, work_side, temperature, saturation, progress) -> ColorizeResult:
    from cinemuse.io.image import read_image, write_image
    from cinemuse.vision.color import colourfulness
    from cinemuse.vision.colorize import Colorizer, colorize_image

    start = time.perf_counter()
    rgb = read_image(src)
    with progress.stage("Colourising", total=1) as stage:
        out_rgb = colorize_image(rgb, references=refs or None, colorizer=Colorizer.load(),
                                 work_side=work_side, temperature=temperature, saturation=saturation)
        stage.advance()
    write_image(out, out_rgb, force=force)
    return ColorizeResult(
        output=str(out), kind="photo", width=int(rgb.shape[1]), height=int(rgb.shape[0]),
        references=len(refs), colourfulness=round(colourfulness(out_rgb), 2),
        seconds=round(time.perf_counter() - start, 2),
    )


def _colorize_video(src, out, refs, *, force, work_side, temperature, saturation, key_interval, progress) -> ColorizeResult:
    from cinemuse.io.atomic import atomic_output
    from cinemuse.io.video import copy_audio_track, iter_frames, probe_video, write_video
    from cinemuse.vision.colorize import Colorizer, VideoOptions, colorize_frames

    start = time.perf_counter()
    info = probe_video(src)
    options = VideoOptions(work_side=work_side, key_interval=key_interval, temperature=temperature, saturation=saturation)
    count = {"frames": 0}

    def frames():
        with progress.stage("Colourising frames", total=max(1, int(getattr(info, "frame_count", 0) or 0)) or None) as stage:
            for rgb in colorize_frames(iter_frames(src), colorizer=Colorizer.load(), references=refs or None, options=options):
                count["frames"] += 1
                stage.advance()
                yield rgb

    with atomic_output(out, force=force) as final_tmp:
        if info.has_audio:
            silent_tmp = final_tmp.with_name(final_tmp.stem + ".video" + final_tmp.suffix)
            try:
                write_video(silent_tmp, frames(), fps=info.fps, force=True)
                copy_audio_track(silent_tmp, src, final_tmp)
            finally:
                silent_tmp.unlink(missing_ok=True)
        else:
            write_video(final_tmp, frames(), fps=info.fps, force=True)
    seconds = time.perf_counter() - start
    return ColorizeResult(
        output=str(out), kind="video", width=int(info.width), height=int(info.height),
        frames=count["frames"], audio_kept=bool(info.has_audio), references=len(refs),
        seconds=round(seconds, 2), fps_processed=round(count["frames"] / max(seconds, 1e-6), 2),
    )
