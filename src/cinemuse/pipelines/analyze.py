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


def analyze_song(song, *, sample_rate: int | None = None, progress: Progress = SILENT):
    """Measure a song: a file FFmpeg reads, or samples ``(n,)``/``(n, channels)`` in -1..1.

    A file goes through :func:`analyze_file` (with its one-line errors for a missing, short
    or silent song); samples need their ``sample_rate`` and go straight to
    :func:`cinemuse.analysis.audio.analyze_song`. Returns a
    :class:`~cinemuse.analysis.audio.SongProfile`.
    """
    if isinstance(song, (str, os.PathLike)):
        return analyze_file(song, progress=progress)
    if sample_rate is None:
        from cinemuse.errors import UsageError

        raise UsageError("analyze_song: samples need their sample_rate")
    from cinemuse.analysis.audio import analyze_song as analyze_samples

    return analyze_samples(song, sample_rate, progress=progress)
