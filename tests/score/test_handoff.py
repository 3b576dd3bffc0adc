"""`score --timeline / --markers`: the editor hand-off end to end, read back with OpenTimelineIO."""

from __future__ import annotations

import csv
import json
from fractions import Fraction
from pathlib import Path

import pytest

from cinemuse.cli import main
from tests.editor_readback import clips, markers
from tests.media import make_cut_video

CASES = [  # (rate, timeline format, marker format, stems)
    (Fraction(24000, 1001), ".otio", ".edl", True),
    (Fraction(24000, 1001), ".fcpxml", ".csv", False),
    (Fraction(25), ".edl", ".edl", False),
    (Fraction(30000, 1001), ".xml", ".csv", True),
]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{float(c[0]):.3f}{c[1]}")
def scored(request, tmp_path_factory):
    rate, fmt, mfmt, stems = request.param
    d = tmp_path_factory.mktemp("handoff")
    video = make_cut_video(d / "in put.mp4", duration=4.0, cuts=(0.9, 2.05, 3.1), fps=rate, audio_freq=330)
    args = ["score", str(video.path), "-o", str(d / "out.mp4"), "--timeline", str(d / f"t{fmt}"),
            "--markers", str(d / f"m{mfmt}"), "--cue-sheet", str(d / "cues"), "--audio-out", str(d / "music.wav"),
            "--quiet"]
    if stems:
        args += ["--stems", str(d / "stems")]
    assert main(args) == 0
    record = json.loads((d / "cues.json").read_text())
    return d, rate, fmt, mfmt, stems, video, record


def _expected(record, rate):
    cuts = sorted((f"cut {i}", c["frame"]) for i, c in enumerate(record["cuts"], 1))
    hits = sorted((f"hit: {h['kind']}", h["frame"] if h["frame"] is not None else round(h["time"] * rate))
                  for h in record["hits"])
    return cuts, hits


def test_every_cut_and_hit_has_its_marker_on_its_frame(scored):
    d, rate, fmt, _, _, video, record = scored
    got = markers(d / f"t{fmt}", rate)
    cuts, hits = _expected(record, rate)
    assert len(cuts) == 3 and len(hits) >= 3
    # the cut frames are the video's own: the first frame of each new shot
    assert [f for _, f in cuts] == [video.frame_times.index(t) for t in video.shot_starts]
    names = {n.lower() for n, *_ in got}
    assert sorted((n.lower(), f) for n, f, _ in got if n.lower().startswith("cut")) == cuts
    assert sorted((n.lower(), f) for n, f, _ in got if n.lower().startswith("hit")) == hits
    assert any(n.startswith("section 1") for n in names)


def test_soundtrack_starts_at_zero_and_lasts_the_video(scored):
    d, rate, fmt, _, stems, video, _ = scored
    got = clips(d / f"t{fmt}", rate)
    n = len(video.frame_times)
    picture = [c for c in got if c[0] == "Video"]
    assert [(s, length) for _, _, s, length, _ in picture] == [(0, n)]
    assert picture[0][4] == video.path.absolute().as_uri()  # the original, referenced
    if fmt == ".edl":  # CMX 3600 through OpenTimelineIO: the picture only
        assert len(got) == 1
        return
    audio = [c for c in got if c[0] == "Audio"]
    assert audio[0][2:4] == (0, n) and audio[0][4] == (d / "music.wav").as_uri()
    want_stems = sorted(p.as_uri() for p in (d / "stems").glob("*.wav")) if stems else []
    assert sorted(c[4] for c in audio[1:]) == want_stems
    assert all(c[2:4] == (0, n) for c in audio)
    if stems:
        assert len(want_stems) >= 2


def test_marker_file(scored):
    d, rate, _, mfmt, _, _, record = scored
    cuts, hits = _expected(record, rate)
    text = (d / f"m{mfmt}").read_text()
    if mfmt == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        got = sorted((r["name"], int(r["frame"])) for r in rows if r["type"] in ("cut", "hit"))
        assert got == sorted(cuts + hits)
        assert {r["type"] for r in rows} == {"cut", "hit", "section"}
    else:
        assert text.startswith("TITLE: out\nFCM: NON-DROP FRAME\n")
        notes = [line for line in text.splitlines() if line.startswith(" |C:ResolveColor")]
        assert len(notes) == len(cuts) + len(hits) + len(record["sections"])
        assert sum("|M:cut " in n and n.endswith("|D:1") for n in notes) == len(cuts)


def test_bad_timeline_names_are_refused_before_any_work(tmp_path, capsys):
    video = make_cut_video(tmp_path / "v.mp4", duration=1.5, cuts=(0.7,))
    for flag, name in (("--timeline", "t.aaf"), ("--markers", "m.xml"), ("--timeline", "v.mp4")):
        code = main(["score", str(video.path), "-o", str(tmp_path / "o.mp4"), flag, str(tmp_path / name)])
        err = capsys.readouterr().err
        assert code == 2 and flag in err and len(err.strip().splitlines()) == 1, err
    (tmp_path / "t.otio").write_text("mine")
    assert main(["score", str(video.path), "-o", str(tmp_path / "o.mp4"), "--timeline", str(tmp_path / "t.otio")]) == 2
    assert (tmp_path / "t.otio").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.otio", "v.mp4"]
