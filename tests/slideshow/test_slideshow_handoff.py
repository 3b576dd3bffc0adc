"""`slideshow --timeline / --markers`: the film, its soundtrack and stems, a marker per photo change."""

from __future__ import annotations

import csv
import json
from fractions import Fraction

import pytest

from cinemuse.pipelines.slideshow import SlideshowOptions, make_slideshow
from tests.editor_readback import clips, markers

from .photos import album


@pytest.mark.parametrize("fmt", [".xml", ".otio"])
def test_slideshow_timeline_marks_every_photo_change(tmp_path, fmt):
    album(tmp_path / "album", 4)
    out = tmp_path / "film.mp4"
    r = make_slideshow([tmp_path / "album"], out, SlideshowOptions(
        duration=6.0, size=(160, 90), cue_sheet=tmp_path / "cues", stems_dir=tmp_path / "stems",
        timeline=tmp_path / f"film{fmt}", markers=tmp_path / "film.csv"))
    record = json.loads((tmp_path / "cues.json").read_text())
    rate = Fraction(r.fps)
    changes = [p["frame"] for p in record["photos"][1:]]
    assert len(changes) >= 2
    got = markers(tmp_path / f"film{fmt}", rate)
    assert sorted((n, f) for n, f, _ in got if n.startswith("cut")) == sorted(
        (f"cut {i}", f) for i, f in enumerate(changes, 1))
    hits = sorted(f for n, f, _ in got if n.startswith("hit: "))
    assert hits == sorted(h["frame"] for h in record["hits"])
    assert {n for n, *_ in got if n.startswith("hit")} <= {"hit: downbeat", "hit: beat"}
    film = [c for c in clips(tmp_path / f"film{fmt}", rate)]
    assert all(c[2:4] == (0, r.frames) for c in film)
    assert film[0][0] == "Video" and film[0][4] == out.absolute().as_uri()
    stems = sorted(p.as_uri() for p in (tmp_path / "stems").glob("*.wav"))
    assert sorted(c[4] for c in film[2:]) == stems and len(stems) >= 2
    assert film[1][4] == out.absolute().as_uri()  # no --audio: the film's own sound
    rows = list(csv.DictReader((tmp_path / "film.csv").read_text().splitlines()))
    assert sorted(int(r["frame"]) for r in rows if r["type"] == "cut") == changes
    assert r.to_dict()["written"]["timeline"] == str(tmp_path / f"film{fmt}")


def test_an_unknown_timeline_format_is_refused_before_any_work(tmp_path):
    from cinemuse.errors import UsageError

    album(tmp_path / "album", 2)
    with pytest.raises(UsageError, match="--timeline"):
        make_slideshow([tmp_path / "album"], tmp_path / "f.mp4",
                       SlideshowOptions(duration=3.0, size=(160, 90), timeline=tmp_path / "f.aaf"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["album"]
