"""Damaged songs through the real command line: truncated files and invalid (NaN / inf) samples.

Each case runs ``python -m cinemuse analyze|cover`` in a subprocess and expects what the README
promises for bad input: exit code 2, one line on stderr naming the file and the problem, no
traceback, and nothing written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.media import truncate_file, write_tone


def truncated_mp3(folder: Path) -> Path:
    """An MP3 cut in half: its header still says 10 s."""
    return truncate_file(write_tone(folder / "half.mp3", duration=10.0), 0.5)


def truncated_flac(folder: Path) -> Path:
    return truncate_file(write_tone(folder / "half.flac", duration=10.0), 0.5)


def wav_header_longer_than_data(folder: Path) -> Path:
    """A WAV whose header says 10 s but which holds 1 s of samples."""
    p = write_tone(folder / "short.wav", duration=10.0)
    data = p.read_bytes()
    p.write_bytes(data[: 44 + 44100 * 2 * 2])
    return p


def nan_samples_wav(folder: Path) -> Path:
    """A float WAV with 0.15 s of NaN and a few infinities in the middle of a song."""
    import soundfile as sf

    sr = 44100
    t = np.arange(6 * sr) / sr
    x = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    x[3 * sr : 3 * sr + int(0.15 * sr)] = np.nan
    x[4 * sr : 4 * sr + 10] = np.inf
    p = folder / "nan.wav"
    sf.write(str(p), np.stack([x, x], axis=1), sr, subtype="FLOAT")
    return p


CASES = [
    ("analyze", truncated_mp3, r"is truncated: its header says 10.0 s but the audio stops at"),
    ("cover", truncated_mp3, r"is truncated"),
    ("analyze", truncated_flac, r"is truncated"),
    ("analyze", wav_header_longer_than_data, r"is truncated"),
    ("cover", wav_header_longer_than_data, r"is truncated"),
    ("analyze", nan_samples_wav, r"contains invalid samples \(NaN or infinite values\) from 3.00 s"),
    ("cover", nan_samples_wav, r"contains invalid samples"),
]


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("command,make,problem", CASES,
                         ids=[f"{c}-{m.__name__}" for c, m, _ in CASES])
def test_damaged_audio_refused(tmp_path, command, make, problem):
    import re

    (tmp_path / "in").mkdir()
    out = tmp_path / "out"
    out.mkdir()
    path = make(tmp_path / "in")
    argv = [command, str(path), "--quiet"]
    if command == "cover":
        argv += ["-o", str(out / "cover.png")]
    before = _tree(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "cinemuse", *argv], capture_output=True,
                          text=True, timeout=180, cwd=out,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert path.name in lines[0] and re.search(problem, lines[0]), lines[0]
    assert "Traceback" not in proc.stderr
    assert _tree(tmp_path) == before


def test_intact_files_still_read(tmp_path):
    """The truncation checks leave whole files alone (every format we write)."""
    from cinemuse.io.audio import read_audio

    for ext in (".wav", ".flac", ".mp3", ".m4a"):
        p = write_tone(tmp_path / f"whole{ext}", duration=3.0)
        assert abs(read_audio(p).shape[0] / 44100 - 3.0) < 0.05
