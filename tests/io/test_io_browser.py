"""Our MP4s play in a real browser <video> element (headless Chromium; skipped without it)."""

from __future__ import annotations

import pytest

from cinemuse.io import video
from tests.io.browser_check import browser_check, chromium
from tests.media import make_cut_video, shot_picture, sine

pytestmark = [
    pytest.mark.slow,  # starts a browser: seconds, and a system package most machines lack
    pytest.mark.skipif(chromium() is None, reason="no Chromium installed (apt-get install chromium-headless-shell)"),
]


def test_replaced_audio_plays_in_chromium(tmp_path):
    src = make_cut_video(tmp_path / "src.mp4", duration=2.0, cuts=(1.5,))
    out = video.replace_audio(src.path, sine(440, 2.0), 44100, tmp_path / "scored.mp4")
    result = browser_check(out)
    assert result["ok"], result
    assert result["duration"] == pytest.approx(src.duration, abs=0.05)
    assert (result["width"], result["height"]) == (64, 48)
    assert result["audio"]
    # the first shot is solid (220, 30, 30): the browser decoded real pictures
    assert all(abs(a - b) <= 12 for a, b in zip(result["pixel"], shot_picture(0, 64, 48)[0, 0]))


def test_written_video_plays_in_chromium(tmp_path):
    frames = (shot_picture(2, 63, 47) for _ in range(30))  # odd size, 29.97 fps
    out = video.write_video(tmp_path / "w.mp4", frames, fps=29.97, audio=sine(660, 1.0), sample_rate=48000)
    result = browser_check(out)
    assert result["ok"], result
    assert result["audio"] and (result["width"], result["height"]) == (64, 48)
    assert all(abs(a - b) <= 12 for a, b in zip(result["pixel"], shot_picture(2, 64, 48)[0, 0]))
