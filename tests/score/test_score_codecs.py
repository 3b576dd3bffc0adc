"""Pictures that MP4 cannot hold as they are (issue 11 items 11, 12): the copy stream is
built from the codec parameters, not the decoder's name, and the default output takes a
container that can hold the input's codec; an -o that cannot is refused before any work."""

from __future__ import annotations

import os
import subprocess
import sys

import av
import pytest

from tests.media import make_cut_video


def _cli(*argv, cwd):
    return subprocess.run([sys.executable, "-m", "cinemuse", *map(str, argv), "--quiet"],
                          capture_output=True, text=True, timeout=180, cwd=cwd,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _codec(path):
    with av.open(str(path)) as c:
        return c.streams.video[0].codec_context.name


@pytest.mark.skipif("prores_ks" not in av.codecs_available, reason="no ProRes encoder in this PyAV")
def test_prores_gets_a_mov_by_default_and_mp4_is_refused_before_work(tmp_path):
    src = make_cut_video(tmp_path / "clip.mov", duration=2.0, cuts=(1.0,), codec="prores_ks").path
    refused = tmp_path / "clip.mp4"
    proc = _cli("score", src, "-o", refused, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "clip.mov" in proc.stderr and ".mkv" in proc.stderr
    assert not refused.exists()
    proc = _cli("score", src, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "clip_scored.mov"
    assert out.exists() and _codec(out) == "prores"


@pytest.mark.skipif("libsvtav1" not in av.codecs_available, reason="no AV1 encoder in this PyAV")
def test_av1_video_is_scored(tmp_path):
    policy = os.sched_getscheduler(0)
    src = make_cut_video(tmp_path / "clip.mp4", duration=2.0, cuts=(1.0,), codec="libsvtav1",
                         size=(64, 64)).path
    # the encoder makes its caller realtime when run as root; every later child would inherit it
    assert os.sched_getscheduler(0) == policy
    proc = _cli("score", src, "-o", tmp_path / "out.mp4", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert _codec(tmp_path / "out.mp4") in {"av1", "libdav1d", "libaom-av1"}
