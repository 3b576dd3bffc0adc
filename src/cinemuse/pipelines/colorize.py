"""The ``colorize`` job: a black-and-white photo or film file in, a coloured file out."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from cinemuse.progress import SILENT

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".ts"}


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
) -> dict:
    """Colourise a photo or a video file; returns a summary dict.

    Photos keep their size; videos are streamed frame by frame, coloured with temporal
    consistency (:func:`cinemuse.vision.colorize.colorize_frames`) and get their original
    audio back, its packets copied untouched.
    """
    from cinemuse.io.atomic import check_input_file, check_output_path
    from cinemuse.io.image import read_image

    src = check_input_file(input_path)
    check_output_path(output_path, force=force)
    refs = [read_image(check_input_file(r)) for r in (references or [])]
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


def _colorize_photo(src, out, refs, *, force, work_side, temperature, saturation, progress) -> dict:
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
    return {
        "output": str(out),
        "kind": "photo",
        "width": int(rgb.shape[1]),
        "height": int(rgb.shape[0]),
        "references": len(refs),
        "colourfulness": round(colourfulness(out_rgb), 2),
        "seconds": round(time.perf_counter() - start, 2),
    }


def _colorize_video(src, out, refs, *, force, work_side, temperature, saturation, key_interval, progress) -> dict:
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
    return {
        "output": str(out),
        "kind": "video",
        "width": int(info.width),
        "height": int(info.height),
        "frames": count["frames"],
        "audio_kept": bool(info.has_audio),
        "references": len(refs),
        "seconds": round(seconds, 2),
        "fps_processed": round(count["frames"] / max(seconds, 1e-6), 2),
    }
