"""The studio names a scored video as the command line does (cinemuse.scored_video_name)."""

from __future__ import annotations

import json

import av
import pytest

from tests.media import make_cut_video
from tests.studio.conftest import wait


def test_scored_video_name_takes_a_container_that_holds_the_picture(tmp_path):
    import cinemuse

    h264 = make_cut_video(tmp_path / "a.mp4", duration=1.0).path
    assert cinemuse.scored_video_name(h264) == tmp_path / "a_scored.mp4"
    assert cinemuse.scored_video_name(h264, tmp_path / "o", stem="b", suffix="") == \
        tmp_path / "o" / "b.mp4"
    if "prores_ks" in av.codecs_available:
        prores = make_cut_video(tmp_path / "p.mov", duration=1.0, codec="prores_ks").path
        assert cinemuse.scored_video_name(prores, stem="x") == tmp_path / "x_scored.mov"


@pytest.mark.skipif("prores_ks" not in av.codecs_available, reason="no ProRes encoder in this PyAV")
def test_studio_scores_prores_into_a_mov(client, tmp_path):
    """It wrote NAME_scored.mp4 whatever the input, so a ProRes upload always failed."""
    clip = make_cut_video(tmp_path / "clip.mov", duration=2.0, cuts=(1.0,), size=(64, 48),
                          audio_freq=330, codec="prores_ks").path
    data = {"kind": "score", "options": json.dumps({"seed": 1})}
    r = client.post("/api/jobs", data=data, files=[("files", ("take one.mov", open(clip, "rb")))])
    assert r.status_code == 201, r.text
    job = wait(client, r.json()["id"])
    assert job["state"] == "done", job
    names = {f["name"] for f in job["results"]}
    assert "take_one_scored.mov" in names and "take_one_scored.mp4" not in names
