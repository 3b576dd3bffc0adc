"""The `analyze` job: read a song file and measure it (see :mod:`cinemuse.analysis.audio`)."""

from __future__ import annotations

import os

from cinemuse.progress import SILENT, Progress

READ_RATE = 44100  # loudness is measured at this rate; the rest at 22.05 kHz


def analyze_file(path: str | os.PathLike, *, progress: Progress = SILENT):
    """Decode any audio FFmpeg reads and return its :class:`~cinemuse.analysis.audio.SongProfile`.

    Raises
    ------
    BadInputError
        The file is missing, not audio, or shorter than one second.
    """
    from cinemuse.analysis.audio import analyze_song
    from cinemuse.errors import BadInputError
    from cinemuse.io.atomic import check_input_file
    from cinemuse.io.audio import read_audio

    p = check_input_file(path)
    with progress.stage("Reading audio"):
        samples = read_audio(p, sample_rate=READ_RATE)
    if samples.shape[0] < READ_RATE:
        seconds = samples.shape[0] / READ_RATE
        raise BadInputError(p, f"audio is too short to analyse ({seconds:.2f} s; 1 s needed)")
    if not (abs(samples).max() > 1e-5):
        raise BadInputError(p, "audio is silent")
    return analyze_song(samples, READ_RATE, progress=progress)
