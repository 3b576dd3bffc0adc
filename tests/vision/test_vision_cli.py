"""`cinemuse colorize` and `cinemuse restore` as a user runs them."""

import numpy as np
import pytest

from cinemuse.cli import main


def _write(path, rgb):
    from PIL import Image

    Image.fromarray(rgb).save(path)


def _picture():
    y, x = np.mgrid[0:96, 0:128]
    g = (100 + 80 * np.sin(x / 9.0) * np.cos(y / 13.0)).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


def test_colorize_writes_a_picture_and_refuses_to_overwrite(tmp_path, capsys):
    src, out = tmp_path / "bw.png", tmp_path / "colour.png"
    _write(src, _picture())
    assert main(["colorize", str(src), "-o", str(out), "--quiet"]) == 0
    from PIL import Image

    assert Image.open(out).size == (128, 96)
    before = out.read_bytes()
    assert main(["colorize", str(src), "-o", str(out), "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert main(["colorize", str(src), "-o", str(out), "--quiet", "--force", "--saturation", "0"]) == 0
    assert not list(tmp_path.glob(".*part*"))  # no temporary files left behind


def test_restore_writes_and_reports_steps(tmp_path, capsys):
    src, out = tmp_path / "old.png", tmp_path / "new.png"
    _write(src, _picture())
    assert main(["restore", str(src), "-o", str(out), "--denoise", "--levels", "--json"]) == 0
    assert '"denoise"' in capsys.readouterr().out
    assert out.exists()


def test_bad_inputs_are_one_line_errors_and_write_nothing(tmp_path, capsys):
    missing = tmp_path / "missing.png"
    out = tmp_path / "out.png"
    assert main(["colorize", str(missing), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.png" in err[0]
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a picture at all")
    assert main(["restore", str(junk), "-o", str(out)]) == 2
    assert not out.exists()
    src = tmp_path / "bw.png"
    _write(src, _picture())
    assert main(["restore", str(src), "-o", str(out), "--fill", str(tmp_path / "nomask.png")]) == 2
    assert not out.exists()


def test_colorize_video_keeps_frames_and_audio(tmp_path):
    from cinemuse.io.video import probe_video, write_video

    y, x = np.mgrid[0:120, 0:200]
    base = (110 + 70 * np.sin(x / 11.0) * np.cos(y / 7.0)).astype(np.uint8)
    frames = [np.repeat(base[:96, i * 3 : i * 3 + 128, None], 3, axis=2) for i in range(12)]
    sr = 16000
    audio = (0.1 * np.sin(2 * np.pi * 330 * np.arange(sr) / sr)).astype(np.float32)[:, None]
    src, out = tmp_path / "film.mp4", tmp_path / "film-colour.mp4"
    write_video(src, frames, fps=12, audio=audio, sample_rate=sr)
    assert main(["colorize", str(src), "-o", str(out), "--quiet"]) == 0
    info = probe_video(out)
    assert info.has_audio and (info.width, info.height) == (128, 96)
    assert abs(info.frame_count - 12) <= 1
