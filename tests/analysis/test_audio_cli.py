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
    assert main(["analyze", str(path)]) == 0
    assert "G major" in capsys.readouterr().out


def test_analyze_bad_file_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "not_audio.wav"
    bad.write_bytes(b"this is not audio at all" * 10)
    assert main(["analyze", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert "not_audio.wav" in err and "\n" not in err
