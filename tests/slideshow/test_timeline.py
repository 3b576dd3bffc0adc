from pathlib import Path

import numpy as np

from cinemuse.pipelines.timeline import composed_timeline, frames_for, song_timeline


def test_composed_changes_on_downbeats_and_length_is_whole_frames():
    tl = composed_timeline(6, arousal=0.0, duration=None, fps=30, look="film", groups=set(), faces=[False] * 6)
    beat = 60 / tl.tempo
    assert len(tl.starts) == 6 and len(tl.changes) == 5
    for c in tl.changes:
        k = c.time / beat
        assert abs(k - round(k)) < 1e-9 and round(k) % 4 == 0
        assert c.downbeat
    assert abs(tl.duration * 30 - round(tl.duration * 30)) < 1e-9
    assert tl.starts[-1] < tl.duration


def test_fixed_duration_is_exact_and_changes_on_beats():
    for n, d in [(15, 30.0), (4, 10.0), (40, 30.0)]:
        tl = composed_timeline(n, arousal=0.3, duration=d, fps=30, look="none", groups={3}, faces=[False] * n)
        assert tl.duration == d and frames_for(tl.duration, 30) == round(d * 30)
        beat = 60 / tl.tempo
        assert len(tl.changes) == n - 1
        times = [c.time for c in tl.changes]
        assert all(b > a for a, b in zip(times, times[1:]))
        for t in times:
            assert abs(t / beat - round(t / beat)) < 1e-9


def test_transitions_leave_room_and_push_avoids_faces():
    tl = composed_timeline(8, arousal=0.0, duration=None, fps=30, look="cool", groups=set(), faces=[True] * 8)
    assert all(c.kind != "push" for c in tl.changes)
    for k in range(len(tl.starts)):
        a, b = tl.visible_span(k)
        assert a <= tl.starts[k] < b


def test_song_changes_land_on_the_songs_beats():
    beats = np.arange(0.37, 40, 0.5)
    downbeats = beats[::4]
    tl = song_timeline(10, beats=beats, downbeats=downbeats, duration=40.0, look="none", groups=set(),
                       faces=[False] * 10, tempo=120.0)
    assert len(tl.changes) == 9
    for c in tl.changes:
        assert np.min(np.abs(beats - c.time)) < 1e-9


def test_no_zoom_out_of_a_photo_with_faces():
    """The zoom transition magnifies the outgoing photo about the centre: it would crop faces."""
    faces = [True, False] * 6
    for look in ("none", "warm", "cool"):
        tl = composed_timeline(12, arousal=0.0, duration=None, fps=30, look=look, groups={4, 8}, faces=faces)
        kinds = [c.kind for c in tl.changes]
        assert all(kinds[k - 1] != "zoom" for k in range(1, 12) if faces[k - 1]), (look, kinds)
        assert "zoom" in kinds  # still used out of the photos without faces


def test_a_songs_meter_reaches_the_cue_sheet():
    """A waltz is written down as 3/4 in the cue sheet, not as the composed music's 4/4."""
    from types import SimpleNamespace

    from cinemuse.cuesheet import Mood
    from cinemuse.pipelines.slideshow import (Slide, SlideshowOptions, build_cue, cue_sheet_csv, cue_sheet_record,
                                              plan_timeline)

    beats = np.arange(0.4, 30.0, 0.5)
    song = SimpleNamespace(duration=30.0, beats=beats, downbeats=beats[::3], tempo_bpm=120.0, beats_per_bar=3,
                           meter="3/4")
    slides = [Slide(None, i == 0) for i in range(6)]
    opts = SlideshowOptions()
    moods = [Mood()]
    tl = plan_timeline(slides, opts, moods, song)
    cue = build_cue(tl, slides, moods, opts)
    record = cue_sheet_record((), cue, tl, 900, Path("waltz.wav"))
    assert cue.meter == 3 and record["meter"] == 3 and record["time_signature"] == "3/4"
    assert cue_sheet_csv(record).splitlines()[1].split(",")[5] == "3/4"
    assert all(min(abs(beats[::3] - c.time)) < 1e-9 for c in tl.changes)  # slides of two bars change on bar lines
