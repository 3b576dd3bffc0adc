"""Awkward inputs each produce a result: no audio, under 2 s, rotated, 4K and 1 h (slow)."""

from __future__ import annotations

import av
import numpy as np
import pytest

from cinemuse.pipelines.demo import Edit, Shot, painted_scene
from tests.score.clips import write_edit
from tests.score.test_score_cli import durations


def _score(src, out, **kw):
    from cinemuse.pipelines.score import ScoreOptions, score_video

    return score_video(src, out, ScoreOptions(**kw))


@pytest.fixture(scope="module")
def pictures():
    return [painted_scene(k, size=(320, 180), seed=i) for i, k in enumerate(("ocean", "neon"))]


def test_short_rotated_video_without_audio(pictures, tmp_path):
    src = tmp_path / "phone.mp4"
    write_edit(src, Edit([Shot(pictures[0], 0.8), Shot(pictures[1], 0.7)], size=(96, 64)), fps=30, rotation=90)
    out = tmp_path / "phone_scored.mp4"
    res = _score(src, out)
    assert res.cuts == 1
    d = durations(out)
    assert abs(d["audio"] - d["video"]) < 1 / 30 + 0.025
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.width == 96  # stored size kept (rotation is metadata)


@pytest.mark.slow
def test_4k(pictures, tmp_path):
    src = tmp_path / "uhd.mp4"
    big = [np.kron(p, np.ones((12, 12, 1), np.uint8)) for p in pictures]  # 3840x2160 sources
    write_edit(src, Edit([Shot(big[0], 1.5, move="pan_right"), Shot(big[1], 1.5)], size=(3840, 2160)), fps=25, crf=35)
    res = _score(src, tmp_path / "uhd_scored.mp4")
    assert res.cuts == 1


@pytest.mark.slow
def test_one_hour(pictures, tmp_path):
    shots = [Shot(pictures[i % 2], 30.0, move="pan_right" if i % 3 else "static") for i in range(120)]
    src = tmp_path / "hour.mp4"
    write_edit(src, Edit(shots, size=(64, 36)), fps=25, crf=35)
    res = _score(src, tmp_path / "hour_scored.mp4", replace_audio=True)
    assert res.cuts == 119
    d = durations(tmp_path / "hour_scored.mp4")
    assert abs(d["audio"] - 3600) < 0.1
