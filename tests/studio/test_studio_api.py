"""The studio's HTTP API through a test client: jobs, queue, progress events, results, cancel."""

from __future__ import annotations

import json

import av
import pytest

from tests.media import make_cut_video
from tests.studio.conftest import wait


def post(client, kind, options=None, files=()):
    data = {"kind": kind, "options": json.dumps(options or {})}
    return client.post("/api/jobs", data=data,
                       files=[("files", (name, open(path, "rb"))) for name, path in files] or None)


def test_kinds_describe_every_job(client):
    kinds = {k["name"]: k for k in client.get("/api/kinds").json()["kinds"]}
    assert set(kinds) >= {"score", "compose", "cover", "analyze", "colorize", "restore"}
    options = {o["name"] for o in kinds["score"]["options"]}
    assert {"mood", "style", "tempo", "duck", "seed", "replace-audio"} <= options
    assert kinds["score"]["inputs"] == "video" and kinds["compose"]["inputs"] is None


def test_compose_job_runs_and_its_files_download(client, studio):
    r = post(client, "compose", {"duration": 5, "mood": "calm", "seed": 3})
    assert r.status_code == 201, r.text
    job = wait(client, r.json()["id"])
    assert job["state"] == "done", job
    assert job["progress"] == 1.0
    names = [f["name"] for f in job["results"]]
    assert names[0].endswith(".wav") and any(n.endswith(".mid") for n in names)
    wav = client.get(job["results"][0]["url"])
    assert wav.status_code == 200 and wav.content[:4] == b"RIFF"
    assert len(wav.content) == job["results"][0]["size"]
    part = client.get(job["results"][0]["url"], headers={"Range": "bytes=0-99"})  # <video>/<audio> seek
    assert part.status_code == 206 and len(part.content) == 100
    dl = client.get(job["results"][0]["url"] + "?download=1")
    assert dl.headers["content-disposition"].startswith("attachment")
    assert str(studio.root) not in json.dumps(job)  # the studio's own paths stay private


def test_score_job_streams_progress_and_returns_cues(client, studio, tmp_path):
    clip = make_cut_video(tmp_path / "clip.mp4", duration=3.0, cuts=(1.0, 2.0), size=(160, 120), audio_freq=330)
    r = post(client, "score", {"mood": "happy", "seed": 1}, [("my holiday.mp4", clip.path)])
    assert r.status_code == 201, r.text
    jid = r.json()["id"]
    seen = []
    with client.stream("GET", f"/api/jobs/{jid}/events") as events:
        assert events.headers["content-type"].startswith("text/event-stream")
        for line in events.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
    states = [e["state"] for e in seen]
    assert states[-1] == "done", seen[-1]
    assert "running" in states
    progress = [e["progress"] for e in seen]
    assert progress == sorted(progress) and progress[-1] == 1.0
    job = seen[-1]
    cues = job["summary"]["cues"]
    assert [round(c["time"], 2) for c in cues["cuts"]] == [1.0, 2.0]
    assert cues["hits"] and cues["sections"]
    video = job["results"][0]
    assert video["name"] == "my_holiday_scored.mp4" and video["type"] == "video/mp4"
    out = tmp_path / "out.mp4"
    out.write_bytes(client.get(video["url"]).content)
    with av.open(str(out)) as c:
        assert c.streams.video and c.streams.audio
    names = {f["name"] for f in job["results"]}
    assert {"my_holiday_soundtrack.wav", "my_holiday_music.mid", "my_holiday_cues.json"} <= names


def test_bad_requests_get_one_line_errors(client, studio):
    before = set((studio.root / "jobs").iterdir())
    cases = [
        ({"kind": "nonsense"}, "unknown job kind"),
        ({"kind": "compose", "options": "[1, 2]"}, "options must be a JSON object"),
        ({"kind": "compose", "options": "{oops"}, "options must be a JSON object"),
        ({"kind": "compose", "options": json.dumps({"output": "/etc/passwd"})}, "unknown option --output"),
        ({"kind": "compose", "options": json.dumps({"duration": 99999})}, "--duration must be between 5 and 1200"),
        ({"kind": "compose", "options": json.dumps({"style": "polka"})}, "--style: unknown value 'polka'"),
        ({"kind": "score"}, "score: needs a video"),
    ]
    for data, message in cases:
        r = client.post("/api/jobs", data=data)
        assert r.status_code == 400, (data, r.text)
        error = r.json()["error"]
        assert message in error and "\n" not in error
    assert set((studio.root / "jobs").iterdir()) == before  # refused requests leave nothing


def test_a_job_that_fails_says_why_in_one_line(client):
    job = wait(client, post(client, "compose", {"duration": 5, "key": "H#"}).json()["id"])
    assert job["state"] == "failed"
    assert job["error"].startswith("--key 'H#'") and "\n" not in job["error"]
    assert job["results"] == []


def test_queue_positions_and_cancel(client, studio):
    long = post(client, "compose", {"duration": 600, "seed": 9}).json()
    queued = post(client, "compose", {"duration": 5, "seed": 10}).json()
    after = post(client, "compose", {"duration": 5, "seed": 11}).json()
    assert client.get(f"/api/jobs/{after['id']}").json()["position"] == 2
    # cancel a queued job: it leaves the queue, the one behind moves up
    assert client.delete(f"/api/jobs/{queued['id']}").json()["state"] == "cancelled"
    assert client.get(f"/api/jobs/{after['id']}").json()["position"] == 1
    # cancel the running one: its worker stops, its folder goes, the next job still runs
    for _ in range(600):
        if client.get(f"/api/jobs/{long['id']}").json()["state"] == "running":
            break
        import time

        time.sleep(0.05)
    folder = studio.root / "jobs" / long["id"]
    assert folder.is_dir()
    client.delete(f"/api/jobs/{long['id']}")
    assert wait(client, long["id"], 30)["state"] == "cancelled"
    assert not folder.exists()
    done = wait(client, after["id"])
    assert done["state"] == "done", done
    assert client.delete(f"/api/jobs/{long['id']}").json()["state"] == "cancelled"  # idempotent
    assert client.delete("/api/jobs/nope").status_code == 404


def test_job_list_and_unknown_job(client):
    assert client.get("/api/jobs").status_code == 200
    assert client.get("/api/jobs/0000").status_code == 404
    assert client.get("/api/jobs/0000/events").status_code == 404
