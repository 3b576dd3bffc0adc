"""The `analyze` job: read a song file and measure it (see :mod:`cinemuse.analysis.audio`)."""

from __future__ import annotations

import os

from cinemuse.progress import SILENT, Progress

READ_RATE = 44100  # loudness is measured at this rate; the rest at 22.05 kHz


def analyze_file(path: str | os.PathLike, *, progress: Progress = SILENT):
    """Decode any audio FFmpeg reads and return its :class:`~cinemuse.analysis.audio.SongProfile`.

    The file is streamed: memory stays that of a few blocks plus ~5 kB of features per second
    of audio, whether the song lasts four minutes or three hours.

    Raises
    ------
    BadInputError
        The file is missing, not audio, truncated, holds invalid samples, is silent, or is
        shorter than one second.
    """
    from concurrent.futures import ThreadPoolExecutor

    from cinemuse.analysis.audio import profile_from_features
    from cinemuse.analysis.song_features import extract_features
    from cinemuse.analysis.tags import PatchReservoir, load_tagger, tags_from_patches
    from cinemuse.errors import BadInputError
    from cinemuse.io.atomic import check_input_file
    from cinemuse.io.audio import iter_audio
    from cinemuse.threads import prefetch

    p = check_input_file(path)
    reservoir = PatchReservoir(READ_RATE)  # the tagger's excerpts, taken on the same pass
    # decoding and the tagger's share of each block run a block ahead on a helper thread,
    # beside the feature extraction (FFmpeg and soxr release the GIL)
    blocks = prefetch(_tee(iter_audio(p, sample_rate=READ_RATE), reservoir.feed), depth=2,
                      name="cinemuse-decode")
    with progress.stage("Reading audio") as st:
        features = extract_features(blocks, READ_RATE,
                                    on_block=lambda s: st.advance(0))
    if features.n_samples < READ_RATE:
        seconds = features.n_samples / READ_RATE
        raise BadInputError(p, f"audio is too short to analyse ({seconds:.2f} s; 1 s needed)")
    if not features.peak > 1e-5:
        raise BadInputError(p, "audio is silent")
    # the tagger (onnxruntime, which releases the GIL) runs beside the analysis: on two
    # cores the job then takes about as long as the longer of the two
    with ThreadPoolExecutor(1, thread_name_prefix="tagger") as pool:
        tags = pool.submit(lambda: tags_from_patches(reservoir.finish(load_tagger()[2])))
        profile = profile_from_features(features, progress=progress)
        with progress.stage("Tagging"):
            profile.tags = tags.result()
    return profile


def _tee(blocks, consumer):
    for block in blocks:
        consumer(block)
        yield block


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
