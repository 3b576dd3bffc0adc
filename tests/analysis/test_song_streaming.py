"""The analysis streams: block size never changes the result, and memory does not grow with length."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from cinemuse.analysis.audio import analyze_blocks, analyze_song
from tests.analysis.song_signals import SR, chord_click_song

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


def test_block_size_does_not_change_the_profile():
    y, _ = chord_click_song(tempo=120.0, tonic=2, minor=False, seconds=20.0)
    whole = analyze_song(y, SR).to_dict(arrays=True)
    for step in (997, 44100):
        blocks = (y[i : i + step] for i in range(0, len(y), step))
        part = analyze_blocks(blocks, SR).to_dict(arrays=True)
        assert part["key"] == whole["key"] and part["beats"] == whole["beats"]
        assert part["loudness_lufs"] == pytest.approx(whole["loudness_lufs"], abs=0.01)
        assert np.allclose(part["spectrum"], whole["spectrum"], atol=0.02)


def _peak_rss_mb(argv):
    from bench_analyze_memory import peak_rss_mb

    mb, _, rc = peak_rss_mb(argv)
    assert rc == 0
    return mb


def _memory_ratio(tmp_path, minutes_long: float, command: str) -> float:
    from bench_analyze_memory import write_long_song

    out = []
    for minutes in (4.0, minutes_long):
        song = write_long_song(tmp_path / f"s{minutes:g}.wav", minutes)
        argv = [command, str(song), "--quiet", "--json"]
        if command == "cover":
            argv += ["-o", str(tmp_path / f"c{minutes:g}.png")]
        out.append(_peak_rss_mb(argv))
        song.unlink()
    return out[1] / out[0]


def test_analyze_memory_flat_from_4_to_40_minutes(tmp_path):
    """The CLI in a subprocess: a 40-minute song peaks within 1.3x of a 4-minute one."""
    assert _memory_ratio(tmp_path, 40.0, "analyze") <= 1.3


@pytest.mark.slow
@pytest.mark.parametrize("command", ["analyze", "cover"])
def test_memory_flat_from_4_minutes_to_3_hours(tmp_path, command):
    assert _memory_ratio(tmp_path, 180.0, command) <= 1.3
