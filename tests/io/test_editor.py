"""Editor timelines and marker lists (io/editor.py), read back with OpenTimelineIO."""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from pathlib import Path

import pytest

from cinemuse.io.editor import (AudioClip, EditorTimeline, Marker, editor_rate, marker_csv, resolve_marker_edl,
                                write_markers, write_timeline)
from tests.editor_readback import clips, markers

RATES = [Fraction(24000, 1001), Fraction(25), Fraction(30000, 1001)]
FORMATS = [".otio", ".xml", ".fcpxml", ".edl"]
CUT_FRAMES = [1, 24, 25, 101, 719, 1797]  # the last frame of 60 s at 29.97 is 1797


def _timeline(rate: Fraction, tmp_path: Path) -> EditorTimeline:
    seconds = [float(Fraction(f) / rate) for f in CUT_FRAMES]
    ms = [Marker(f"cut {i}", t, kind="cut") for i, t in enumerate(seconds, 1)]
    ms += [Marker("hit: downbeat", t + 0.4 / float(rate), color="BLUE", kind="hit") for t in seconds]  # off-grid
    ms += [Marker("section 1: calm", 0.0, seconds[3], color="YELLOW", kind="section")]
    return EditorTimeline(name="test", rate=rate, duration=60.0, video=tmp_path / "my clip.mp4",
                          audio=(AudioClip("soundtrack", tmp_path / "music.wav"),
                                 AudioClip("melody", tmp_path / "stems" / "melody.wav")),
                          markers=tuple(ms))


@pytest.mark.parametrize("rate", RATES, ids=["23.976", "25", "29.97"])
@pytest.mark.parametrize("suffix", FORMATS)
def test_every_marker_reads_back_on_its_frame(rate, suffix, tmp_path):
    tl = _timeline(rate, tmp_path)
    path = write_timeline(tl, tmp_path / f"t{suffix}")
    got = markers(path, rate)
    want = [(m.name, tl.frame_of(m.start)) for m in tl.markers if m.kind != "section"]
    # the EDL adapter writes names in capitals; no format may lose, move or add a point marker
    assert sorted((n.lower(), f) for n, f, _ in got if not n.lower().startswith("section")) == sorted(want)
    sections = [(f, d) for n, f, d in got if n.lower().startswith("section")]
    if suffix == ".edl":  # CMX 3600 locators are points
        assert sections == [(0, 0)]
    else:
        assert sections == [(0, CUT_FRAMES[3])]


@pytest.mark.parametrize("rate", RATES, ids=["23.976", "25", "29.97"])
@pytest.mark.parametrize("suffix", [".otio", ".xml", ".fcpxml"])
def test_soundtrack_and_stems_start_at_zero_and_last_the_video(rate, suffix, tmp_path):
    tl = _timeline(rate, tmp_path)
    got = clips(write_timeline(tl, tmp_path / f"t{suffix}"), rate)
    n = int(round(60 * rate))
    kinds = sorted(k for k, *_ in got)
    assert kinds == ["Audio", "Audio", "Video"]
    for kind, _, start, length, url in got:
        assert (start, length) == (0, n), (kind, url)
    urls = {u for *_, u in got}
    assert (tmp_path / "my clip.mp4").as_uri() in urls  # referenced by absolute path, space escaped
    assert (tmp_path / "music.wav").as_uri() in urls


@pytest.mark.parametrize("rate", RATES, ids=["23.976", "25", "29.97"])
def test_edl_holds_the_picture_at_full_length(rate, tmp_path):
    tl = _timeline(rate, tmp_path)
    got = clips(write_timeline(tl, tmp_path / "t.edl"), rate)
    assert [(k, s, n) for k, _, s, n, _ in got] == [("Video", 0, int(round(60 * rate)))]


def test_ntsc_rates_are_exact_rationals():
    assert editor_rate(23.976) == Fraction(24000, 1001)
    assert editor_rate(24000 / 1001) == Fraction(24000, 1001)
    assert editor_rate(29.97) == Fraction(30000, 1001)
    assert editor_rate(29.969) == Fraction(30000, 1001)  # a phone's measured average
    assert editor_rate(25.0) == Fraction(25)
    assert editor_rate(12.5) == Fraction(25, 2)


def test_resolve_marker_edl_form(tmp_path):
    tl = _timeline(Fraction(25), tmp_path)
    text = resolve_marker_edl(tl)
    lines = text.splitlines()
    assert lines[:2] == ["TITLE: test", "FCM: NON-DROP FRAME"]
    events = [line for line in lines if line[:3].isdigit()]
    notes = [line for line in lines if line.startswith(" |C:")]
    assert len(events) == len(notes) == len(tl.markers)
    # cut 2 is frame 24 at 25 fps: 00:00:00:24, a one-frame event
    i = notes.index(" |C:ResolveColorRed |M:cut 2 |D:1")
    assert events[i].split()[4:8] == ["00:00:00:24", "00:00:01:00", "00:00:00:24", "00:00:01:00"]
    assert " |C:ResolveColorYellow |M:section 1: calm |D:101" in notes
    write_markers(tl, tmp_path / "m.edl")
    assert (tmp_path / "m.edl").read_text() == text


def test_marker_csv_rows(tmp_path):
    tl = _timeline(Fraction(30000, 1001), tmp_path)
    rows = list(csv.DictReader(io.StringIO(marker_csv(tl))))
    assert len(rows) == len(tl.markers)
    cut = next(r for r in rows if r["name"] == "cut 6")
    assert (cut["frame"], cut["timecode"], cut["type"]) == ("1797", "00:00:59:27", "cut")
    section = next(r for r in rows if r["type"] == "section")
    assert section["duration_frames"] == "101"


def test_a_name_cannot_break_the_resolve_notation(tmp_path):
    tl = EditorTimeline(name="a|b", rate=Fraction(25), duration=2.0, video=None,
                        markers=(Marker("x |C:ResolveColorRed\n002", 0.5),))
    text = resolve_marker_edl(tl)
    assert text.count("|C:") == 1 and text.count("|M:") == 1
    assert "|M:x /C:ResolveColorRed 002 |D:1" in text


def test_unknown_formats_are_refused(tmp_path):
    tl = _timeline(Fraction(25), tmp_path)
    with pytest.raises(ValueError):
        write_timeline(tl, tmp_path / "t.aaf")
    with pytest.raises(ValueError):
        write_markers(tl, tmp_path / "m.txt")
