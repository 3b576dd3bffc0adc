"""The slideshow's outputs (film, --cue-sheet, --audio, --midi, --stems) are one OutputSet:
checked before any work, committed together or not at all. Each case runs the real command
line in a subprocess, in a folder that also holds files of the user's.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .photos import album

ALL_SIDE = ["--cue-sheet", "cues", "--audio", "track.wav", "--midi", "music.mid", "--stems", "stems"]
SIDE_FILES = {"cues.json", "cues.csv", "track.wav", "music.mid", "stems"}


def cli_argv(*argv) -> list[str]:
    return [sys.executable, "-m", "cinemuse", "slideshow", *map(str, argv), "--quiet"]


def cli(*argv, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cli_argv(*argv), cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))}


@pytest.fixture
def work(tmp_path) -> Path:
    album(tmp_path / "photos", 3, size=(240, 160))
    (tmp_path / "notes.txt").write_text("mine")
    return tmp_path


def test_every_side_output_is_written_with_the_film(work):
    proc = cli("photos", "-o", "film.mp4", "--duration", "2", "--aspect", "1:1", *ALL_SIDE, cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert SIDE_FILES | {"film.mp4"} <= set(os.listdir(work))
    assert {"piece.mid"} <= set(os.listdir(work / "stems")) and any(
        n.endswith(".wav") for n in os.listdir(work / "stems"))
    assert not [n for n in os.listdir(work) if ".part" in n]  # no temporaries left
    import soundfile as sf

    assert sf.info(str(work / "track.wav")).duration == pytest.approx(2.0, abs=1 / 30)


@pytest.mark.parametrize("existing", ["cues.csv", "track.wav", "music.mid", "film.mp4"])
def test_one_existing_output_refuses_the_run_before_any_work(work, existing):
    (work / existing).write_bytes(b"the user's own file")
    before = snapshot(work)
    t0 = time.perf_counter()
    proc = cli("photos", "-o", "film.mp4", "--duration", "2", *ALL_SIDE, cwd=work)
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert existing in lines[0] and "already exists" in lines[0]
    assert snapshot(work) == before  # nothing written, the user's file untouched
    assert time.perf_counter() - t0 < 30  # refused up front, not after rendering


def test_a_non_empty_stems_folder_refuses_the_run(work):
    (work / "stems").mkdir()
    (work / "stems" / "mine.wav").write_bytes(b"x")
    before = snapshot(work)
    proc = cli("photos", "-o", "film.mp4", "--duration", "2", *ALL_SIDE, cwd=work)
    assert proc.returncode == 2 and "not empty" in proc.stderr, proc.stderr
    assert snapshot(work) == before


@pytest.mark.parametrize("argv, problem", [
    (["-o", "photos/p00.jpg"], "format"),
    (["-o", "film.mp4", "--stems", "film.mp4"], "same place"),
    (["-o", "film.mp4", "--audio", "track.txt"], "format"),
    (["-o", "film.mp4", "--midi", "music.wav"], "format"),
    (["-o", "film.mp4", "--cue-sheet", "cues", "--stems", "cues.json"], "same place"),
], ids=["film-over-photo", "stems-is-film", "audio-format", "midi-format", "stems-is-cue-sheet"])
def test_clashing_or_unknown_outputs_are_refused_in_one_line(work, argv, problem):
    before = snapshot(work)
    proc = cli("photos", *argv, cwd=work)
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and problem in lines[0], proc.stderr
    assert snapshot(work) == before


def test_the_song_is_never_an_output(work):
    """An output that names the input song is refused even with --force."""
    import numpy as np
    import soundfile as sf

    sf.write(str(work / "song.wav"), np.zeros((44100 * 3, 2), np.float32), 44100)
    before = snapshot(work)
    proc = cli("photos", "-o", "film.mp4", "--song", "song.wav", "--audio", "song.wav", "--force", cwd=work)
    assert proc.returncode == 2 and "input of this run" in proc.stderr, proc.stderr
    assert snapshot(work) == before


def test_interrupted_mid_render_leaves_nothing(work):
    """Ctrl-C while the film is being rendered: no output appears, no temporary stays."""
    scratch = work / "scratch"
    scratch.mkdir()
    before = snapshot(work)
    proc = subprocess.Popen(cli_argv("photos", "-o", "film.mp4", "--duration", "20", *ALL_SIDE), cwd=work,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": str(scratch)},
                            # a test run started in the background inherits SIGINT as ignored, and
                            # Python then installs no KeyboardInterrupt handler; a terminal's
                            # Ctrl-C always arrives
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not any(n.startswith("cinemuse-slideshow-") for n in os.listdir(scratch)):  # rendering began
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0, err
    assert "Traceback" not in err
    left = {k: v for k, v in snapshot(work).items() if not k.startswith("scratch")}
    assert left == {k: v for k, v in before.items() if not k.startswith("scratch")}


@pytest.mark.parametrize("case", ["empty", "non-images", "song-not-audio"])
def test_bad_inputs_through_the_command_line(tmp_path, case):
    """An empty folder, a folder of non-images, a song that is not audio: one line, exit 2, nothing written."""
    folder = tmp_path / "in"
    folder.mkdir()
    argv = ["in", "-o", "film.mp4", *ALL_SIDE]
    if case == "non-images":
        (folder / "a.jpg").write_text("text")
        (folder / "b.png").write_bytes(os.urandom(1000))
    if case == "song-not-audio":
        album(folder, 2, size=(120, 90))
        (tmp_path / "song.mp3").write_text("not audio")
        argv = ["in", "-o", "film.mp4", "--cue-sheet", "cues", "--audio", "a.wav", "--song", "song.mp3"]
    before = snapshot(tmp_path)
    proc = cli(*argv, cwd=tmp_path)
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert ("in" if case != "song-not-audio" else "song.mp3") in lines[0] and "Traceback" not in proc.stderr
    assert snapshot(tmp_path) == before
