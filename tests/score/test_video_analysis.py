"""Picture analysis: cuts, flashes, fades, dissolves, motion, on generated edits (in memory)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from cinemuse.analysis.video import analysis_size, analyze_frames
from cinemuse.vision.color import colourfulness
from cinemuse.pipelines.demo import Edit, Shot, frame_times, painted_scene

SIZE = (160, 90)


@pytest.fixture(scope="module")
def scenes():
    return {k: painted_scene(k, size=(480, 270), seed=i) for i, k in enumerate(
        ("sunset", "ocean", "forest", "city", "meadow", "neon"))}


def run(edit, fps=25, vfr=False):
    times = frame_times(edit.duration, fps=fps, vfr=vfr, seed=3)
    return analyze_frames(edit.frames(times)), times


def first_frame_at(times, t):
    return times[np.searchsorted(times, t - 1e-9)]


@pytest.mark.parametrize("fps", [25, Fraction(30000, 1001)])
def test_cut_times_recovered_to_the_frame(scenes, fps):
    edit = Edit([
        Shot(scenes["sunset"], 1.3, move="pan_right"),
        Shot(scenes["ocean"], 1.1, move="zoom_in"),
        Shot(scenes["forest"], 0.9, move="static"),
        Shot(scenes["city"], 1.2, move="pan_left", speed=2.0),
    ], size=SIZE)
    a, times = run(edit, fps=fps)
    expected = [first_frame_at(times, c) for c in edit.cut_times()]
    assert a.cut_times == pytest.approx(expected, abs=1e-6)
    assert [c.frame for c in a.cuts] == [int(np.searchsorted(times, c - 1e-9)) for c in edit.cut_times()]
    assert a.transitions == []


def test_vfr_cut_times_come_from_timestamps(scenes):
    edit = Edit([Shot(scenes["meadow"], 1.4), Shot(scenes["city"], 1.2), Shot(scenes["neon"], 1.0)], size=SIZE)
    a, times = run(edit, fps=30, vfr=True)
    assert np.ptp(np.diff(times)) > 0.01  # really irregular
    expected = [first_frame_at(times, c) for c in edit.cut_times()]
    assert a.cut_times == pytest.approx(expected, abs=1e-6)
    assert a.times == pytest.approx(times)


def test_flash_is_not_a_cut(scenes):
    edit = Edit([
        Shot(scenes["forest"], 2.0, move="pan_right", flashes=[0.6, 1.3]),
        Shot(scenes["ocean"], 1.2, flashes=[0.5]),
    ], size=SIZE)
    a, times = run(edit)
    assert a.cut_times == pytest.approx([first_frame_at(times, 2.0)])
    assert len(a.flashes) >= 2


def test_camera_jolt_is_not_a_cut(scenes):
    edit = Edit([Shot(scenes["city"], 2.5, move="shake", impacts=[0.5, 1.4])], size=SIZE)
    a, _ = run(edit)
    assert a.cuts == []
    # the jolts are visual beats
    assert any(abs(b - 0.5) < 0.2 for b in a.beats)


def test_fade_through_black_is_a_gradual_transition(scenes):
    edit = Edit([
        Shot(scenes["meadow"], 2.0, move="zoom_in", speed=0.3),
        Shot(scenes["sunset"], 2.0, transition="fade", transition_length=1.0),
    ], size=SIZE)
    a, _ = run(edit)
    kinds = [t.kind for t in a.transitions]
    assert kinds == ["fade_out", "fade_in"]
    assert a.transitions[0].start == pytest.approx(1.5, abs=0.15)
    assert a.transitions[1].end == pytest.approx(2.5, abs=0.15)
    assert a.cuts == []
    # one boundary at the black point, not two
    bounds = a.boundaries()
    assert len(bounds) == 1 and bounds[0][0] == pytest.approx(2.0, abs=0.1)


def test_dissolve_is_a_gradual_transition(scenes):
    edit = Edit([
        Shot(scenes["ocean"], 2.0, move="pan_right"),
        Shot(scenes["city"], 2.0, transition="dissolve", transition_length=1.0),
    ], size=SIZE)
    a, _ = run(edit)
    assert [t.kind for t in a.transitions] == ["dissolve"]
    tr = a.transitions[0]
    assert tr.start < 2.0 < tr.end and tr.end - tr.start > 0.6
    assert a.cuts == []


def test_pans_and_zooms_are_not_transitions(scenes):
    edit = Edit([
        Shot(scenes["forest"], 2.0, move="pan_left", speed=2.0),
        Shot(scenes["meadow"], 2.0, move="zoom_in", speed=1.5),
    ], size=SIZE)
    a, _ = run(edit)
    assert a.transitions == []
    assert len(a.cuts) == 1


def test_motion_follows_the_camera(scenes):
    still = Edit([Shot(scenes["meadow"], 2.0, move="static")], size=SIZE)
    moving = Edit([Shot(scenes["meadow"], 2.0, move="pan_right", speed=2.0)], size=SIZE)
    assert run(moving)[0].motion.mean() > 4 * run(still)[0].motion.mean()


def test_colour_measures(scenes):
    grey = np.full((90, 160, 3), 128, np.uint8)
    assert colourfulness(grey) == pytest.approx(0.0, abs=1e-6)
    assert colourfulness(scenes["neon"]) > colourfulness(grey)
    dark = Edit([Shot(scenes["city"], 0.5)], size=SIZE)
    light = Edit([Shot(scenes["meadow"], 0.5)], size=SIZE)
    assert run(light)[0].brightness.mean() > run(dark)[0].brightness.mean() + 0.2


def test_keyframes_are_bounded_and_sizes_keep_aspect():
    frames = ((float(i), np.full((9, 16, 3), i % 255, np.uint8)) for i in range(600))  # 10 min at 1 fps
    a = analyze_frames(frames)
    assert 0 < len(a.keyframes) <= 240
    assert a.duration == pytest.approx(600.0)
    assert analysis_size(1920, 1080) == (160, 90)
    w, h = analysis_size(1080, 1920)
    assert h > w


def test_empty_stream_is_an_error():
    with pytest.raises(ValueError):
        analyze_frames(iter([]))


def test_file_analysis_rotated_and_ntsc(scenes, tmp_path):
    from cinemuse.analysis.video import analyze_video
    from tests.score.clips import true_cut_times, write_edit

    edit = Edit([Shot(scenes["sunset"], 1.0), Shot(scenes["forest"], 1.0, move="pan_up")], size=(96, 64))
    path = tmp_path / "rot.mp4"
    times = write_edit(path, edit, fps=Fraction(30000, 1001), rotation=90)
    a = analyze_video(path)
    assert a.frame_size[1] > a.frame_size[0]  # portrait after rotation
    assert a.cut_times == pytest.approx(true_cut_times(edit, times), abs=1e-4)
    assert a.duration == pytest.approx(times[-1] + 1001 / 30000, abs=1e-3)
