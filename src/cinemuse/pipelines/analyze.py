"""The `analyze` job: read a song file and measure it (see :mod:`cinemuse.analysis.audio`)."""

from __future__ import annotations

import os

from cinemuse.progress import SILENT, Progress

READ_RATE = 44100  # loudness is measured at this rate; the rest at 22.05 kHz


def analyze_file(path: str | os.PathLike, *, progress: Progress = SILENT):
    """Decode any audio FFmpeg reads and return its :class:`~cinemuse.analysis.audio.SongProfile`.

    The file is streamed: memory stays that of a few blocks plus ~9 kB of features per second
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
    from cinemuse.analysis.tags import PatchReservoir, load_tagger
    from cinemuse.errors import BadInputError
    from cinemuse.io.atomic import check_input_file
    from cinemuse.io.audio import iter_audio, stated_samples
    from cinemuse.threads import prefetch

    p = check_input_file(path)
    blocks = iter_audio(p, sample_rate=READ_RATE)  # opens and checks the file
    # The tagger (onnxruntime, which releases the GIL) works on its own thread: each patch it
    # is planned to read is tagged as soon as the decoder has passed it, beside the feature
    # extraction, so on two cores the job takes about as long as the analysis alone.
    pool = ThreadPoolExecutor(1, thread_name_prefix="cinemuse-tagger")
    try:
        tagger = pool.submit(load_tagger)
        early: dict[int, object] = {}

        def tag_early(index: int, samples) -> None:
            early[index] = pool.submit(_tag_patch, tagger, samples)

        reservoir = PatchReservoir(READ_RATE, expected_samples=stated_samples(p, sample_rate=READ_RATE),
                                   on_patch=tag_early)
        # decoding and the tagger's share of each block run a block ahead on a helper thread,
        # beside the feature extraction (FFmpeg and soxr release the GIL)
        blocks = prefetch(_tee(blocks, reservoir.feed), depth=2, name="cinemuse-decode")
        with progress.stage("Reading audio") as st:
            features = extract_features(blocks, READ_RATE, on_block=lambda s: st.advance(0))
        if features.n_samples < READ_RATE:
            seconds = features.n_samples / READ_RATE
            raise BadInputError(p, f"audio is too short to analyse ({seconds:.2f} s; 1 s needed)")
        if not features.peak > 1e-5:
            raise BadInputError(p, "audio is silent")
        reservoir.close()  # here, not on the tagger's thread, which may still be busy
        tags = pool.submit(_song_tags, tagger, reservoir, early)
        profile = profile_from_features(features, progress=progress)
        with progress.stage("Tagging"):
            profile.tags = tags.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return profile


def _tag_patch(tagger, samples):
    from cinemuse.analysis.tags import tag_patch

    return tag_patch(samples, tagger.result()[2])


def _song_tags(tagger, reservoir, early: dict):
    """The song's tags: from the patches tagged while it was read where they were the right
    ones (the container stated the length truly), else from the patches kept."""
    import numpy as np

    from cinemuse.analysis.tags import (
        MODELS,
        tags_from_patches,
        tags_from_probabilities,
    )

    mel_basis = tagger.result()[2]
    if reservoir.as_planned:
        per_patch = [early[k].result() for k in reservoir.chosen]
        return tags_from_probabilities({m: np.stack([p[m] for p in per_patch]) for m in MODELS})
    return tags_from_patches(reservoir.patches(mel_basis))


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
