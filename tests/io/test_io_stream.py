"""Streaming audio I/O: iter_audio, write_audio from blocks, AudioScratch, replace_audio from blocks.

The memory tests trace the Python process's allocations (numpy's included) with tracemalloc
while minutes of sound go through, and require the peak to stay a small fraction of the
signal's size: a path that held the whole signal would fail them.
"""

from __future__ import annotations

import gc
import os
import tracemalloc

import av
import numpy as np
import pytest

from cinemuse.errors import BadInputError
from cinemuse.io import video
from cinemuse.io.audio import iter_audio, read_audio, write_audio
from cinemuse.io.scratch import AudioScratch
from tests.media import make_cut_video, sine


def sine_blocks(freq=440.0, seconds=1.0, *, sample_rate=44100, channels=2, block=4096, amplitude=0.5):
    """The same samples as tests.media.sine, made block by block (never the whole signal)."""
    n = int(round(seconds * sample_rate))
    for start in range(0, n, block):
        t = np.arange(start, min(n, start + block), dtype=np.float64) / sample_rate
        x = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
        yield np.repeat(x[:, None], channels, axis=1)


def traced_peak(fn):
    """(fn(), peak bytes traced while it ran)."""
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def video_packets(path):
    with av.open(str(path)) as c:
        return [(bytes(p), p.pts) for p in c.demux(c.streams.video[0]) if p.size]


@pytest.fixture(scope="module")
def talking_video(tmp_path_factory):
    """3 s 29.97 fps video with a 440 Hz AAC track."""
    return make_cut_video(tmp_path_factory.mktemp("s") / "talk.mp4", duration=3.0, cuts=(1.0, 2.0), audio_freq=440.0)


# --------------------------------------------------------------------------- iter_audio


@pytest.mark.parametrize(
    "name, channels, mono",
    [("stereo.wav", 2, False), ("stereo.m4a", 2, False), ("mono.flac", 1, False), ("stereo.wav", 2, True)],
)
def test_iter_audio_blocks_join_to_read_audio(tmp_path, name, channels, mono):
    path = write_audio(tmp_path / name, sine(330, 1.3, channels=channels), 44100)
    blocks = list(iter_audio(path, mono=mono, block=4096))
    whole = read_audio(path, mono=mono)
    assert all(b.dtype == np.float32 and b.ndim == 2 for b in blocks)
    assert all(b.shape[0] == 4096 for b in blocks[:-1]) and 0 < blocks[-1].shape[0] <= 4096
    assert {b.shape[1] for b in blocks} == {1 if mono else channels}
    np.testing.assert_array_equal(np.concatenate(blocks), whole)


def test_iter_audio_of_a_videos_aac_track(talking_video):
    blocks = list(iter_audio(talking_video.path, sample_rate=22050, block=1000))
    np.testing.assert_array_equal(np.concatenate(blocks), read_audio(talking_video.path, sample_rate=22050))
    assert sum(b.shape[0] for b in blocks) == pytest.approx(3.0 * 22050, abs=1024)


def test_iter_audio_raises_bad_input_at_the_call(tmp_path):
    silent = make_cut_video(tmp_path / "silent.mp4", duration=0.5, cuts=())
    (tmp_path / "empty.wav").write_bytes(b"")
    for path, words in [
        (tmp_path / "missing.wav", "no such file"),
        (silent.path, "no audio stream"),
        (tmp_path / "empty.wav", "empty"),
    ]:
        with pytest.raises(BadInputError, match=words) as err:
            iter_audio(path)  # no next(): the call itself checks the file
        assert str(path.name) in str(err.value)
    with pytest.raises(ValueError):
        iter_audio(silent.path, block=0)


def test_no_samples_is_reported_by_both(tmp_path):
    import soundfile as sf

    path = tmp_path / "nothing.wav"
    sf.write(str(path), np.zeros((0, 2), np.float32), 44100)
    blocks = iter_audio(path)  # a valid, empty file opens fine...
    with pytest.raises(BadInputError, match="no audio samples"):
        list(blocks)  # ...and is refused when it turns out to hold nothing
    with pytest.raises(BadInputError, match="no audio samples"):
        read_audio(path)


# --------------------------------------------------------------------------- write_audio


def test_write_audio_from_blocks_equals_from_array(tmp_path):
    x = sine(523.25, 1.1, sample_rate=32000)
    for ext in (".wav", ".flac", ".m4a", ".opus"):
        from_array = write_audio(tmp_path / f"a{ext}", x, 32000)
        from_blocks = write_audio(tmp_path / f"b{ext}", sine_blocks(523.25, 1.1, sample_rate=32000, block=777), 32000)
        a, b = read_audio(from_array, sample_rate=32000), read_audio(from_blocks, sample_rate=32000)
        if ext == ".wav":
            assert from_array.read_bytes() == from_blocks.read_bytes()
        if ext in (".wav", ".flac"):
            np.testing.assert_array_equal(a, b)
        else:  # lossy: same length, same signal to within the codec
            assert a.shape == b.shape
            assert np.sqrt(np.mean((a - b) ** 2)) < 0.02
        assert a.shape[0] == pytest.approx(x.shape[0], abs=0 if ext in (".wav", ".flac") else 2)


def test_write_audio_from_no_blocks_leaves_nothing(tmp_path):
    for ext in (".wav", ".m4a"):
        with pytest.raises(ValueError, match="no samples"):
            write_audio(tmp_path / f"none{ext}", iter([np.zeros((0, 2), np.float32)]), 44100)

    def bad():  # fails half way: the partial file must go
        yield np.zeros((100, 2), np.float32)
        yield np.zeros((100, 1), np.float32)

    with pytest.raises(ValueError, match="channels"):
        write_audio(tmp_path / "bad.m4a", bad(), 44100)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- AudioScratch


def test_audio_scratch_round_trip_and_rewrite(tmp_path):
    x = np.random.default_rng(0).uniform(-1, 1, (10000, 2)).astype(np.float32)
    with AudioScratch(2, dir=tmp_path) as scratch:
        for start in range(0, 10000, 3000):
            assert scratch.append(x[start : start + 3000]) is None
        assert (scratch.n_samples, scratch.channels) == (10000, 2)
        np.testing.assert_array_equal(scratch.read(), x)
        np.testing.assert_array_equal(scratch.read(2500, 2600), x[2500:2600])
        for _ in range(2):  # re-iterable: each call reads the file again
            blocks = list(scratch.blocks(size=4096))
            assert [b.shape[0] for b in blocks] == [4096, 4096, 1808]
            np.testing.assert_array_equal(np.concatenate(blocks), x)
        np.testing.assert_array_equal(np.concatenate(list(scratch.blocks(1000, start=500, stop=2750))), x[500:2750])
        scratch.write_at(100, -x[:50])  # e.g. a loop's tail folded back onto its start
        expected = x.copy()
        expected[100:150] = -x[:50]
        np.testing.assert_array_equal(scratch.read(), expected)
        with pytest.raises(ValueError):
            scratch.append(np.zeros((5, 1), np.float32))
        with pytest.raises(ValueError):
            scratch.read(0, 10001)
    assert scratch.closed
    assert list(tmp_path.iterdir()) == []


def test_audio_scratch_file_goes_on_error_and_garbage_collection(tmp_path):
    with pytest.raises(RuntimeError):
        with AudioScratch(1, dir=tmp_path) as scratch:
            scratch.append(np.ones(100, np.float32))
            fd = scratch._file.fileno()
            raise RuntimeError("boom")
    assert scratch.closed
    with pytest.raises(OSError):
        os.fstat(fd)
    lost = AudioScratch(1, dir=tmp_path)
    handle = lost._file
    lost.append(np.ones(10, np.float32))
    del lost
    gc.collect()
    assert handle.closed
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- replace_audio


@pytest.mark.parametrize("rate", [44100, 37800])
def test_replace_audio_from_blocks_equals_from_array(tmp_path, talking_video, rate):
    x = sine(660, 2.5, sample_rate=rate)  # shorter than the 3 s video: padded with silence
    a = video.replace_audio(talking_video.path, x, rate, tmp_path / "a.mp4")
    b = video.replace_audio(
        talking_video.path, sine_blocks(660, 2.5, sample_rate=rate, block=1500), rate, tmp_path / "b.mp4",
    )
    assert video_packets(a) == video_packets(b) == video_packets(talking_video.path)
    sa, sb = read_audio(a), read_audio(b)
    assert sa.shape == sb.shape
    assert sa.shape[0] / 44100 == pytest.approx(talking_video.duration, abs=0.03)
    np.testing.assert_allclose(sa, sb, atol=1e-4)
    tail = sb[int(2.7 * 44100) :]
    assert np.abs(tail).max() < 0.01  # the music is over: silence


def test_replace_audio_draws_blocks_only_as_far_as_the_video(tmp_path, talking_video):
    drawn = 0

    def endless():
        nonlocal drawn
        while True:
            drawn += 1
            yield np.full((4410, 2), 0.1, np.float32)

    video.replace_audio(talking_video.path, endless(), 44100, tmp_path / "o.mp4")
    assert drawn * 4410 <= talking_video.duration * 44100 + 2 * 4410


# --------------------------------------------------------------------------- memory


RATE = 8000  # AAC's lowest rate keeps the encoding fast; the memory argument is the same at 44.1 kHz


def signal_bytes(seconds, channels=1):
    return int(seconds * RATE) * channels * 4


def test_replace_audio_from_blocks_in_flat_memory(tmp_path):
    # AAC encoding (~1.3 M samples/s here) is the slow part: 1 min and 4 min of video and sound
    peaks = {}
    for minutes in (1, 4):
        long_video = make_cut_video(tmp_path / f"{minutes}.mp4", duration=minutes * 60, cuts=(), fps=1, size=(16, 16))
        out, peaks[minutes] = traced_peak(
            lambda: video.replace_audio(
                long_video.path, sine_blocks(440, minutes * 60, sample_rate=RATE, channels=1), RATE,
                tmp_path / f"{minutes}-out.mp4",
            )
        )
        assert video.probe_video(out).has_audio
    report = f"peaks {peaks[1] / 1e6:.2f} MB (1 min), {peaks[4] / 1e6:.2f} MB (4 min)"
    assert peaks[4] < signal_bytes(4 * 60) / 20, report
    assert peaks[4] < 1.5 * peaks[1] + 100_000, report  # flat with length, not proportional


def test_long_audio_written_and_read_in_flat_memory(tmp_path):
    seconds = 5 * 60
    wav, peak = traced_peak(
        lambda: write_audio(tmp_path / "long.wav", sine_blocks(440, seconds, sample_rate=RATE, channels=1), RATE)
    )
    assert peak < signal_bytes(seconds) / 20, f"write .wav peak {peak / 1e6:.2f} MB"

    def count():
        return sum(b.shape[0] for b in iter_audio(wav, sample_rate=RATE))

    n, peak = traced_peak(count)
    assert n == seconds * RATE
    assert peak < signal_bytes(seconds) / 10, f"iter_audio peak {peak / 1e6:.2f} MB"

    # AAC encoding is the slow part: 2 minutes show the same flat profile
    _, peak = traced_peak(
        lambda: write_audio(tmp_path / "long.m4a", sine_blocks(440, 2 * 60, sample_rate=RATE, channels=1), RATE)
    )
    assert peak < signal_bytes(2 * 60) / 10, f"write .m4a peak {peak / 1e6:.2f} MB"
