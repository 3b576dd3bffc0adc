"""`cinemuse score` and `cinemuse demo` end to end on tiny generated videos."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from cinemuse.cli import main
from cinemuse.pipelines.demo import Edit, Shot, painted_scene
from tests.score.clips import write_edit


SR = 44100


def video_packets(path):
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(c.streams.video[0]) if p.size]


def durations(path):
    with av.open(str(path)) as c:
        out = {}
        for kind in ("video", "audio"):
            streams = getattr(c.streams, kind)
            if not streams:
                continue
            s = streams[0]
            ends, starts = [], []
            c.seek(0)
            for p in c.demux(s):
                if p.pts is not None:
                    starts.append(float(p.pts * s.time_base))
                    ends.append(float((p.pts + (p.duration or 0)) * s.time_base))
            out[kind] = max(ends) - min(starts)
        return out


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    d = tmp_path_factory.mktemp("score")
    scenes = [painted_scene(k, size=(320, 180), seed=i) for i, k in enumerate(("sunset", "city", "meadow"))]
    edit = Edit([Shot(scenes[0], 1.2, move="pan_right"), Shot(scenes[1], 1.0, move="shake", impacts=[0.4]),
                 Shot(scenes[2], 1.3, move="zoom_in")], size=(160, 96))
    tone = (0.2 * np.sin(2 * np.pi * 330 * np.arange(int(3.6 * SR)) / SR)).astype(np.float32)
    path = d / "clip.mp4"
    times = write_edit(path, edit, fps=25, audio=np.column_stack([tone, tone]))
    return path, edit, times


def test_score_writes_playable_mp4_with_the_same_video(clip, tmp_path, capsys):
    src, edit, times = clip
    out = tmp_path / "out.mp4"
    sheet = tmp_path / "cues"
    code = main(["score", str(src), "-o", str(out), "--json", "--seed", "3", "--cue-sheet", str(sheet),
                 "--midi-out", str(tmp_path / "m.mid"), "--audio-out", str(tmp_path / "a.wav"),
                 "--stems", str(tmp_path / "stems")])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["cuts"] == 2
    assert video_packets(out) == video_packets(src)  # bit-for-bit video
    d_in, d_out = durations(src), durations(out)
    frame = 1 / 25
    assert abs(d_out["video"] - d_in["video"]) < 1e-6
    assert abs(d_out["audio"] - d_in["video"]) <= frame + 0.025  # AAC frames are ~23 ms
    record = json.loads((tmp_path / "cues.json").read_text())
    assert [c["frame"] for c in record["cuts"]] == [30, 55]
    assert record["cuts"][0]["time"] == pytest.approx(1.2)
    csv_text = (tmp_path / "cues.csv").read_text()
    assert csv_text.count("\ncut,") == 2 and "tempo" in csv_text
    assert (tmp_path / "m.mid").stat().st_size > 0
    import soundfile as sf

    wav = sf.info(str(tmp_path / "a.wav"))
    assert abs(wav.frames / wav.samplerate - d_in["video"]) <= frame
    stems = sorted((tmp_path / "stems").glob("*.wav"))
    assert len(stems) >= 2 and all(sf.info(str(p)).frames == wav.frames for p in stems)


def test_score_refuses_to_overwrite_and_reports_bad_input(clip, tmp_path, capsys):
    src, _, _ = clip
    out = tmp_path / "exists.mp4"
    out.write_bytes(b"keep")
    assert main(["score", str(src), "-o", str(out)]) == 2
    assert out.read_bytes() == b"keep"
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 10)
    assert main(["score", str(bad), "-o", str(tmp_path / "x.mp4")]) == 2
    err = capsys.readouterr().err
    assert "bad.mp4" in err and "Traceback" not in err
    assert not (tmp_path / "x.mp4").exists()


def test_score_folder_goes_on_past_bad_files(clip, tmp_path, capsys):
    src, _, _ = clip
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.mp4").write_bytes(src.read_bytes())
    (folder / "broken.mp4").write_bytes(b"\x00" * 100)
    code = main(["score", str(folder), "-o", str(tmp_path / "out"), "--replace-audio"])
    assert code == 2
    assert (tmp_path / "out" / "a.mp4").exists()
    assert not (tmp_path / "out" / "broken.mp4").exists()
    assert "broken.mp4" in capsys.readouterr().err


def test_demo_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--length", "5"]) == 0  # the same edit, shorter (the default is 15 s)
    out = tmp_path / "cinemuse-demo.mp4"
    assert out.exists() and str(out) in capsys.readouterr().out
    d = durations(out)
    assert abs(d["video"] - 5.0) < 0.05
    assert abs(d["audio"] - d["video"]) < 0.07
    assert main(["demo", "--length", "5"]) == 2  # no overwrite without --force
