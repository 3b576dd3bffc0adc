"""cinemuse.io.video: timestamps, rotation, analysis size/rate, writing, audio replacement."""

from __future__ import annotations

import av
import numpy as np
import pytest

from cinemuse.errors import BadInputError, OutputError
from cinemuse.io import video
from tests.media import (
    NTSC_30,
    damage_mp4_data,
    corner_colours,
    make_cut_video,
    make_vfr_cut_video,
    shot_picture,
    sine,
    orientation_pattern,
)


def detect_cuts(frames, threshold=30.0):
    """Times of frames that differ strongly from the one before (mean absolute difference)."""
    cuts, prev = [], None
    for t, rgb in frames:
        x = rgb.astype(np.int16)
        if prev is not None and np.abs(x - prev).mean() > threshold:
            cuts.append(t)
        prev = x
    return cuts


@pytest.fixture(scope="module")
def cut_video(tmp_path_factory):
    return make_cut_video(
        tmp_path_factory.mktemp("v") / "cuts.mp4", duration=3.0, cuts=(1.0, 2.0), fps=NTSC_30,
        audio_freq=440.0,
    )


@pytest.fixture(scope="module")
def vfr_video(tmp_path_factory):
    return make_vfr_cut_video(tmp_path_factory.mktemp("v") / "vfr.mp4", duration=3.0, cuts=(0.9, 2.1))


def test_probe_reports_what_was_written(cut_video):
    info = video.probe_video(cut_video.path)
    assert (info.width, info.height) == (64, 48)
    assert info.fps == pytest.approx(30000 / 1001)
    assert info.duration == pytest.approx(cut_video.duration, abs=1e-3)
    assert info.frame_count == len(cut_video.frame_times) == 90
    assert info.has_audio and info.audio_sample_rate == 44100
    assert info.rotation == 0 and info.codec == "h264"


def test_ntsc_frame_times_come_from_timestamps(cut_video):
    times = [t for t, _ in video.iter_frames(cut_video.path, size=(32, 24))]
    np.testing.assert_allclose(times, cut_video.frame_times, atol=1e-6)
    # 29.97 fps: frame 30 is at 1.001 s, not 1.0 s
    assert times[30] == pytest.approx(1.001, abs=1e-6)


def test_known_cuts_recovered_at_29_97(cut_video):
    frames = video.iter_frames(cut_video.path, size=(32, 24))
    cuts = detect_cuts(frames)
    assert cut_video.shot_starts == pytest.approx([1.001, 2.002], abs=1e-6)
    np.testing.assert_allclose(cuts, cut_video.shot_starts, atol=1e-6)


def test_vfr_times_do_not_drift(vfr_video):
    times = [t for t, _ in video.iter_frames(vfr_video.path, size=(32, 24))]
    np.testing.assert_allclose(times, vfr_video.frame_times, atol=1e-6)
    # The file really is VFR: index / average fps would be far off somewhere.
    info = video.probe_video(vfr_video.path)
    naive = np.arange(len(times)) / info.fps
    assert np.abs(naive - np.array(times)).max() > 0.2


def test_vfr_cuts_recovered(vfr_video):
    cuts = detect_cuts(video.iter_frames(vfr_video.path, size=(32, 24)))
    np.testing.assert_allclose(cuts, vfr_video.shot_starts, atol=1e-6)


def test_analysis_fps_subsamples_by_time_and_converts_only_kept_frames(cut_video, monkeypatch):
    converted = []
    original = video._to_rgb

    def counting(*args, **kwargs):
        converted.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(video, "_to_rgb", counting)
    frames = list(video.iter_frames(cut_video.path, size=(16, 12), fps=10))
    times = np.array([t for t, _ in frames])
    assert len(frames) == len(converted) == 30  # 3 s at 10 fps, out of 90 decoded frames
    np.testing.assert_allclose(np.diff(times), 0.1, atol=1 / 29.97)
    assert all(abs(t - round(t * 10) / 10) < 1 / 29.97 for t in times)


def test_analysis_fps_on_vfr_never_emits_a_frame_twice(vfr_video):
    times = [t for t, _ in video.iter_frames(vfr_video.path, size=(16, 12), fps=20)]
    assert times == sorted(set(times))
    assert set(times) <= set(np.round(vfr_video.frame_times, 6)) | set(vfr_video.frame_times)


def test_size_is_width_height(cut_video):
    t, rgb = next(video.iter_frames(cut_video.path, size=(40, 30)))
    assert rgb.shape == (30, 40, 3) and rgb.dtype == np.uint8
    t, rgb = next(video.iter_frames(cut_video.path))
    assert rgb.shape == (48, 64, 3)
    # the first shot is a solid colour, and survives yuv420p within a few levels
    np.testing.assert_allclose(rgb.reshape(-1, 3).mean(0), shot_picture(0, 64, 48)[0, 0], atol=6)


def _video_of_pattern(path, rotation):
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        if rotation:
            s.set_display_rotation(rotation)
        for i in range(3):
            f = av.VideoFrame.from_ndarray(orientation_pattern(64, 48), format="rgb24")
            f.pts = i
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    return path


@pytest.mark.parametrize(
    "rotation, expected_shape, red_corner",
    [(0, (48, 64), "tl"), (90, (64, 48), "bl"), (-90, (64, 48), "tr"), (180, (48, 64), "br")],
)
def test_rotation_metadata_is_applied(tmp_path, rotation, expected_shape, red_corner):
    # Display matrix angles are counter-clockwise: +90 turns the top-left corner to bottom-left.
    path = _video_of_pattern(tmp_path / "rot.mp4", rotation)
    info = video.probe_video(path)
    assert info.rotation % 360 == rotation % 360
    assert (info.height, info.width) == expected_shape
    _, rgb = next(video.iter_frames(path))
    assert rgb.shape[:2] == expected_shape
    corners = corner_colours(rgb)
    red = max(corners, key=lambda k: corners[k][0] - corners[k][2])
    assert red == red_corner
    # an analysis size is given in display orientation too
    _, small = next(video.iter_frames(path, size=(info.width // 2, info.height // 2)))
    assert small.shape[:2] == (expected_shape[0] // 2, expected_shape[1] // 2)


def test_raw_stream_without_timestamps(tmp_path):
    """A bare .h264 elementary stream has no container timestamps: nominal rate, no crash."""
    path = tmp_path / "raw.h264"
    with av.open(str(path), "w", format="h264") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for i in range(20):
            f = av.VideoFrame.from_ndarray(shot_picture(i // 10, 64, 48), format="rgb24")
            f.pts = i
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    info = video.probe_video(path)
    assert info.frame_count == 20 and info.duration == pytest.approx(0.8)
    times = [t for t, _ in video.iter_frames(path, size=(16, 12))]
    np.testing.assert_allclose(times, np.arange(20) / 25, atol=1e-9)


def test_a_few_damaged_packets_are_skipped_many_are_an_error(tmp_path):
    from cinemuse.io.audio import read_audio

    light = make_cut_video(tmp_path / "light.mp4", duration=3.0, audio_freq=440.0)
    damage_mp4_data(light.path, every=5000)
    assert len(list(video.iter_frames(light.path, size=(16, 12)))) == 90
    # skipped audio packets become silence: the sound stays in sync, as long as the picture
    assert read_audio(light.path).shape[0] / 44100 == pytest.approx(light.duration, abs=0.03)

    heavy = make_cut_video(tmp_path / "heavy.mp4", duration=3.0, audio_freq=440.0)
    damage_mp4_data(heavy.path, every=23)
    with pytest.raises(BadInputError, match=r"heavy\.mp4: video data is corrupt.*packets damaged"):
        list(video.iter_frames(heavy.path, size=(16, 12)))
    with pytest.raises(BadInputError, match=r"heavy\.mp4: audio data is corrupt"):
        read_audio(heavy.path)


def test_iter_frames_is_lazy_and_validates_eagerly(tmp_path, cut_video):
    frames = video.iter_frames(cut_video.path)
    assert not isinstance(frames, (list, tuple))
    with pytest.raises(BadInputError, match="no such file"):
        video.iter_frames(tmp_path / "missing.mp4")  # raised by the call, before iterating


# --------------------------------------------------------------------------- write_video


def _packets(path, kind="video"):
    with av.open(str(path)) as c:
        s = c.streams.video[0] if kind == "video" else c.streams.audio[0]
        return [(bytes(p), float(p.pts * s.time_base)) for p in c.demux(s) if p.size]


def _moov_before_mdat(path):
    data = open(path, "rb").read()
    return 0 <= data.find(b"moov") < data.find(b"mdat")


def test_write_video_is_browser_playable_mp4(tmp_path):
    frames = (shot_picture(i // 15, 63, 47) for i in range(45))  # odd size on purpose
    out = video.write_video(tmp_path / "o.mp4", frames, fps=29.97, audio=sine(440, 5.0), sample_rate=44100)
    with av.open(str(out)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert v.codec_context.name == "h264" and v.codec_context.profile in ("High", "Main", "Baseline", "Constrained Baseline")
        assert v.codec_context.pix_fmt == "yuv420p"
        assert (v.codec_context.width, v.codec_context.height) == (64, 48)
        assert v.average_rate == NTSC_30
        assert a.codec_context.name == "aac" and a.codec_context.profile == "LC"
        assert c.format.name.startswith("mov,mp4")
    assert _moov_before_mdat(out)
    info = video.probe_video(out)
    assert info.frame_count == 45
    # audio was trimmed from 5 s to the picture's 1.5 s
    from cinemuse.io.audio import read_audio

    assert read_audio(out).shape[0] / 44100 == pytest.approx(45 / 29.97, abs=0.03)


def test_write_video_round_trip_colours(tmp_path):
    frames = [shot_picture(k, 64, 48) for k in (0, 0, 2, 2)]
    out = video.write_video(tmp_path / "o.mp4", iter(frames), fps=25)
    got = [rgb for _, rgb in video.iter_frames(out)]
    assert len(got) == 4
    for want, have in zip(frames, got):
        assert np.abs(want.astype(int) - have.astype(int)).mean() < 4


def test_write_video_never_overwrites_and_leaves_nothing_on_error(tmp_path):
    out = tmp_path / "o.mp4"
    out.write_bytes(b"precious")
    with pytest.raises(OutputError, match="already exists"):
        video.write_video(out, [shot_picture(0, 16, 16)], fps=25)
    assert out.read_bytes() == b"precious"

    def broken():
        yield shot_picture(0, 16, 16)
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        video.write_video(tmp_path / "new.mp4", broken(), fps=25)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.mp4"]
    video.write_video(out, [shot_picture(0, 16, 16)], fps=25, force=True)
    assert out.read_bytes() != b"precious"


# --------------------------------------------------------------------------- replace_audio


def _tone_level(x, sr, freq):
    """Amplitude of the ``freq`` component (band +-10 Hz), from the spectrum's energy."""
    spectrum = np.abs(np.fft.rfft(x.mean(axis=1))) ** 2
    freqs = np.fft.rfftfreq(x.shape[0], 1 / sr)
    return float(np.sqrt(spectrum[np.abs(freqs - freq) <= 10].sum()))


@pytest.mark.parametrize("new_seconds", [1.5, 5.0])
def test_replace_audio_copies_video_packets_bit_for_bit(tmp_path, cut_video, new_seconds):
    from cinemuse.io.audio import read_audio

    out = video.replace_audio(
        cut_video.path, sine(660, new_seconds, sample_rate=48000), 48000, tmp_path / "o.mp4"
    )
    before, after = _packets(cut_video.path), _packets(out)
    assert len(before) == len(after) == 90
    assert [b for b, _ in before] == [b for b, _ in after]
    np.testing.assert_allclose([t for _, t in before], [t for _, t in after], atol=1e-6)
    assert _moov_before_mdat(out)
    # duration is the video's whatever the music's length
    samples = read_audio(out, sample_rate=48000)
    assert samples.shape[0] / 48000 == pytest.approx(cut_video.duration, abs=0.03)
    assert _tone_level(samples, 48000, 440) < 0.01 * _tone_level(samples, 48000, 660)  # gone


def test_replace_audio_on_silent_video_and_no_overwrite(tmp_path):
    silent = make_cut_video(tmp_path / "silent.mp4", duration=1.0, cuts=())
    out = tmp_path / "o.mp4"
    video.replace_audio(silent.path, sine(440, 2.0), 44100, out)
    assert video.probe_video(out).has_audio
    with pytest.raises(OutputError, match="already exists"):
        video.replace_audio(silent.path, sine(440, 2.0), 44100, out)
    video.replace_audio(silent.path, sine(440, 2.0), 44100, out, force=True)


def test_replace_audio_refuses_audio_only_input(tmp_path):
    from tests.media import write_tone

    tone = write_tone(tmp_path / "song.m4a", duration=0.5)
    with pytest.raises(BadInputError, match=r"has no video stream \(audio only\?\)"):
        video.replace_audio(tone, sine(440, 1.0), 44100, tmp_path / "o.mp4")
    assert not (tmp_path / "o.mp4").exists()


def test_fps_fractions():
    from fractions import Fraction

    assert video.video_fps_fraction(29.97) == Fraction(30000, 1001)
    assert video.video_fps_fraction(23.976) == Fraction(24000, 1001)
    assert video.video_fps_fraction(59.94) == Fraction(60000, 1001)
    assert video.video_fps_fraction(25) == 25
    assert video.video_fps_fraction(12.5) == Fraction(25, 2)
    with pytest.raises(ValueError):
        video.video_fps_fraction(0)


def test_decode_then_write_keeps_count_and_ntsc_times(tmp_path, cut_video):
    """iter_frames output goes straight into write_video; times come back the same."""
    out = video.write_video(tmp_path / "copy.mp4", video.iter_frames(cut_video.path), fps=29.97)
    times = [t for t, _ in video.iter_frames(out, size=(16, 12))]
    np.testing.assert_allclose(times, cut_video.frame_times, atol=1e-6)
    cuts = detect_cuts(video.iter_frames(out, size=(32, 24)))
    np.testing.assert_allclose(cuts, cut_video.shot_starts, atol=1e-6)


def test_non_square_pixels_are_shown_at_display_size(tmp_path):
    """DV / old camcorder footage stores wide pictures in narrow frames (sample aspect ratio)."""
    from fractions import Fraction

    path = tmp_path / "anamorphic.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 48, 48, "yuv420p"
        s.codec_context.sample_aspect_ratio = Fraction(4, 3)
        for i in range(3):
            f = av.VideoFrame.from_ndarray(shot_picture(1, 48, 48), format="rgb24")
            f.pts = i
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    info = video.probe_video(path)
    assert (info.width, info.height, info.coded_width) == (64, 48, 48)
    _, rgb = next(video.iter_frames(path))
    assert rgb.shape == (48, 64, 3)


def test_copy_audio_track_copies_both_streams_packet_for_packet(tmp_path, cut_video):
    silent = make_cut_video(tmp_path / "picture.mp4", duration=2.0, cuts=(1.0,))
    out = video.copy_audio_track(silent.path, cut_video.path, tmp_path / "both.mp4")
    assert [b for b, _ in _packets(out)] == [b for b, _ in _packets(silent.path)]
    copied = _packets(out, "audio")
    original = _packets(cut_video.path, "audio")
    assert [b for b, _ in copied] == [b for b, _ in original[: len(copied)]]
    assert 1.9 < copied[-1][1] < 2.0 + 0.05  # cut at the picture's end


def test_copy_audio_track_reports_a_bad_source_like_any_reader(tmp_path, cut_video):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video at all\n")
    with pytest.raises(BadInputError, match="notes.mp4: is a text file"):
        video.copy_audio_track(cut_video.path, bad, tmp_path / "o.mp4")
    assert not (tmp_path / "o.mp4").exists()
