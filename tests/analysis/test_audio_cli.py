"""`cinemuse analyze` from the command line."""

from __future__ import annotations

import json

import soundfile as sf

from cinemuse.cli import main
from tests.analysis.song_signals import SR, chord_click_song


def test_analyze_json(tmp_path, capsys):
    y, _ = chord_click_song(tempo=100.0, tonic=7, minor=False, seconds=12.0)
    path = tmp_path / "song.wav"
    sf.write(path, y, SR)
    assert main(["analyze", str(path), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["key"] == "G major"
    assert abs(d["tempo_bpm"] - 100.0) < 4.0
    for key in ("key_confidence", "loudness_lufs", "beats", "duration", "mood"):
        assert key in d
    assert d["steady_beat"] is True and d["beat_strength"] >= 0.25
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert "G major" in out and "no steady beat" not in out
    assert f"{len(d['downbeats'])} bars of {d['meter']}" in out  # the time signature, not a bare count


def test_analyze_says_when_a_sound_has_no_steady_beat(tmp_path, capsys):
    import numpy as np

    t = np.arange(10 * SR) / SR
    pad = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))  # one held chord
    path = tmp_path / "pad.wav"
    sf.write(path, pad.astype(np.float32), SR)
    assert main(["analyze", str(path)]) == 0
    assert "no steady beat" in capsys.readouterr().out


def test_analyze_bad_file_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "not_audio.wav"
    bad.write_bytes(b"this is not audio at all" * 10)
    assert main(["analyze", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert "not_audio.wav" in err and "\n" not in err
