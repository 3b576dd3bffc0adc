"""Nothing lost, ever: --force and stems folders never delete what cinemuse did not write.

Each test runs the real command line in a subprocess, in a folder holding files of the user's,
and checks every byte of them afterwards.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest


def cli(*argv, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cinemuse", *map(str, argv), "--quiet"], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` -> a digest of its bytes ("dir" for folders)."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def user_files(folder: Path) -> None:
    """What a user keeps in a folder: files, a subfolder with a file, a hidden file."""
    (folder / "notes.txt").write_text("my notes")
    (folder / "holiday.mp4").write_bytes(b"not really a video, but mine")
    (folder / "sub").mkdir()
    (folder / "sub" / "deep.txt").write_text("deep")
    (folder / ".hidden").write_text("hidden")


def test_stems_into_the_current_folder_with_force_deletes_nothing(tmp_path):
    """Item 1: `cd work && compose -o ../out.wav --stems . --force` used to rmtree the folder."""
    work = tmp_path / "work"
    work.mkdir()
    user_files(work)
    before = snapshot(work)
    proc = cli("compose", "-o", "../out.wav", "--duration", "5", "--stems", ".", "--force", cwd=work)
    assert proc.returncode == 0, proc.stderr
    after = snapshot(work)
    assert {k: v for k, v in after.items() if k in before} == before  # every user file intact
    assert set(after) - set(before) == {"melody.wav", "chords.wav", "bass.wav", "drums.wav", "piece.mid"}
    assert (tmp_path / "out.wav").stat().st_size > 0


def test_stems_folder_holding_the_main_output_keeps_it(tmp_path):
    """Item 2: `compose -o st/song.wav --stems st --force` said "wrote st/song.wav" and lost it."""
    (tmp_path / "st").mkdir()
    proc = cli("compose", "-o", "st/song.wav", "--duration", "5", "--stems", "st", "--force", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    import soundfile as sf

    assert sf.info(str(tmp_path / "st" / "song.wav")).duration == pytest.approx(5.0, abs=0.01)
    assert {"song.wav", "melody.wav", "piece.mid"} <= set(os.listdir(tmp_path / "st"))


def test_stems_force_replaces_only_the_stems(tmp_path):
    """Item 3: a stems folder that exists is filled file by file; the user's other files stay."""
    st = tmp_path / "stems"
    st.mkdir()
    user_files(st)
    (st / "melody.wav").write_bytes(b"an old stem")
    before = snapshot(st)
    proc = cli("compose", "-o", "a.mid", "--duration", "5", "--stems", "stems", cwd=tmp_path)
    assert proc.returncode == 2 and "not empty" in proc.stderr and "stems" in proc.stderr
    assert snapshot(st) == before and not (tmp_path / "a.mid").exists()  # refused: nothing written
    proc = cli("compose", "-o", "a.mid", "--duration", "5", "--stems", "stems", "--force", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    after = snapshot(st)
    kept = {k: v for k, v in before.items() if k != "melody.wav"}
    assert {k: after[k] for k in kept} == kept
    assert after["melody.wav"] != before["melody.wav"]


def test_stems_are_float_wavs_named_safely_in_both_commands(tmp_path):
    """One write_stems: float WAV per stem plus piece.mid, whichever command wrote them."""
    import soundfile as sf

    from tests.media import make_cut_video

    video = make_cut_video(tmp_path / "clip.mp4", duration=2.0, audio_freq=440).path
    proc = cli("score", video, "-o", "scored.mp4", "--stems", "s1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = cli("compose", "-o", "c.wav", "--duration", "5", "--stems", "s2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for folder, length in (("s1", 2.0), ("s2", 5.0)):
        names = sorted(os.listdir(tmp_path / folder))
        assert "piece.mid" in names
        wavs = [n for n in names if n.endswith(".wav")]
        assert wavs and all(n[:-4].replace("_", "").replace("-", "").isalnum() for n in wavs)
        for n in wavs:
            info = sf.info(str(tmp_path / folder / n))
            assert info.subtype == "FLOAT" and info.duration == pytest.approx(length, abs=0.05)


@pytest.mark.parametrize("argv, problem", [
    (["colorize", "x.png", "-o", "y.png", "--saturation", "nan"], "finite number"),
    (["score", "x.mp4", "--duck", "inf"], "finite number"),
    (["compose", "-o", "a.wav", "--duration=-inf"], "finite number"),
    (["compose", "-o", "a.wav", "--seed", "-1"], "must be between 0"),
    (["compose", "-o", "a" * 300 + ".wav"], "too long"),
    (["compose", "-o", "out\udcff.wav"], "not valid UTF-8"),
    (["compose", "-o", "dangling.wav", "--duration", "5"], "already exists"),
], ids=["nan", "inf", "minus-inf", "seed-1", "long-name", "not-utf8", "dangling-link"])
def test_hostile_options_and_names_are_refused_in_one_line(tmp_path, argv, problem):
    """Items 4, 13, 16: NaN/inf, negative seeds, unusable names, a dangling link at the output."""
    os.symlink("/nonexistent/target", tmp_path / "dangling.wav")
    before = {"dangling.wav": os.readlink(tmp_path / "dangling.wav")}
    args = [os.fsencode(a) if "\udcff" in a else a for a in argv]
    proc = subprocess.run([sys.executable, "-m", "cinemuse", *args, "--quiet"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and problem in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert os.readlink(tmp_path / "dangling.wav") == before["dangling.wav"]
    assert sorted(os.listdir(tmp_path)) == ["dangling.wav"]
