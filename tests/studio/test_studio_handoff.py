"""The studio's score and slideshow jobs: editor timelines and markers as downloads; the slideshow tab's inputs."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import soundfile as sf

from tests.editor_readback import clips, markers
from tests.media import make_cut_video
from tests.slideshow.photos import album
from tests.studio.conftest import wait
from tests.studio.test_studio_api import post

EDITOR_ENDS = ("_timeline.xml", "_timeline.fcpxml", "_timeline.otio", "_timeline.edl", "_resolve_markers.edl",
               "_markers.csv")


def _download(client, job, end, folder):
    f = next(f for f in job["results"] if f["name"].endswith(end))
    path = folder / f["name"]
    path.write_bytes(client.get(f["url"] + "?download=1").content)
    return path


def test_score_job_offers_every_editor_file(client, tmp_path):
    clip = make_cut_video(tmp_path / "c.mp4", duration=3.0, cuts=(1.0, 2.0), fps=Fraction(30000, 1001))
    r = post(client, "score", {"seed": 2}, [("beach day.mp4", clip.path)])
    job = wait(client, r.json()["id"], timeout=300)
    assert job["state"] == "done", job
    names = [f["name"] for f in job["results"]]
    for end in EDITOR_ENDS:
        assert sum(n.endswith(end) for n in names) == 1, (end, names)
    xml = _download(client, job, "_timeline.xml", tmp_path)
    rate = Fraction(30000, 1001)
    cut_frames = [c["frame"] for c in job["summary"]["cues"]["cuts"]]
    got = markers(xml, rate)
    assert sorted(f for n, f, _ in got if n.startswith("cut ")) == cut_frames
    picture = [c for c in clips(xml, rate) if c[0] == "Video"][0]
    assert picture[4].endswith("/beach_day.mp4")  # the upload under its owner's name, to relink by
    assert (0, len(clip.frame_times)) == picture[2:4]
    rows = _download(client, job, "_markers.csv", tmp_path).read_text().splitlines()
    assert rows[0].startswith("name,type,timecode,frame")


def _song(path, seconds=6.0, bpm=120, sr=22050):
    t = np.arange(int(seconds * sr)) / sr
    clicks = np.zeros_like(t)
    for k in range(int(seconds * bpm / 60)):
        i = int(k * 60 / bpm * sr)
        clicks[i:i + 400] += np.hanning(400) * (1.0 if k % 4 == 0 else 0.5)
    tone = 0.1 * np.sin(2 * np.pi * 220 * t)
    sf.write(str(path), (0.6 * clicks + tone).astype(np.float32), sr)
    return path


def test_slideshow_job_with_a_song(client, tmp_path):
    photos = album(tmp_path / "a", 3, size=(240, 160))
    song = _song(tmp_path / "song.wav")
    r = post(client, "slideshow", {"aspect": "1:1", "duration": 3, "look": "warm"},
             [(p.name, p) for p in photos] + [("my song.wav", song)])
    assert r.status_code == 201, r.text
    job = wait(client, r.json()["id"], timeout=300)
    assert job["state"] == "done", job
    s = job["summary"]
    assert s["music"] == "song" and s["photos"] == 3 and s["size"] == [1080, 1080]
    assert s["cues"]["hits"]
    names = [f["name"] for f in job["results"]]
    assert names[0].endswith("_slideshow.mp4")
    for end in EDITOR_ENDS:
        assert any(n.endswith(end) for n in names), (end, names)
    otio = _download(client, job, "_timeline.otio", tmp_path)
    assert sum(n.startswith("cut ") for n, *_ in markers(otio, Fraction(30))) == len(s["slides"]) - 1


def test_slideshow_inputs_are_checked_before_a_job(client, studio, tmp_path):
    photos = album(tmp_path / "a", 2, size=(120, 80))
    song = _song(tmp_path / "s.wav", seconds=2.0)
    before = set((studio.root / "jobs").iterdir())
    two = post(client, "slideshow", {}, [(p.name, p) for p in photos] + [("a.wav", song), ("b.wav", song)])
    assert two.status_code == 415 and "one song" in two.json()["error"]
    alone = post(client, "slideshow", {}, [("a.wav", song)])
    assert alone.status_code == 415 and "needs photos" in alone.json()["error"]
    (tmp_path / "x.jpg").write_bytes(b"not a picture at all")
    bad = post(client, "slideshow", {}, [(photos[0].name, photos[0]), ("x.jpg", tmp_path / "x.jpg")])
    assert bad.status_code == 415 and "x.jpg" in bad.json()["error"]
    unknown = post(client, "slideshow", {"look": "sepia"}, [(photos[0].name, photos[0])])
    assert unknown.status_code == 400 and "--look" in unknown.json()["error"]
    assert set((studio.root / "jobs").iterdir()) == before


def test_the_style_choices_are_the_networks_styles(client):
    import cinemuse

    kinds = {k["name"]: k for k in client.get("/api/kinds").json()["kinds"]}
    style = next(o for o in kinds["slideshow"]["options"] if o["name"] == "style")
    assert tuple(style["choices"]) == ("none",) + tuple(s.name for s in cinemuse.list_styles())
    assert json.dumps(kinds["slideshow"])  # served as JSON


def test_slideshow_style_preview_job(client, tmp_path):
    import cinemuse

    photos = album(tmp_path / "a", 2, size=(640, 400))
    r = post(client, "slideshow", {"preview-styles": True, "look": "mono"}, [(p.name, p) for p in photos])
    job = wait(client, r.json()["id"], timeout=300)
    assert job["state"] == "done", job
    names = sorted(f["name"] for f in job["results"])
    styles = [s.name for s in cinemuse.list_styles()]
    assert names == sorted(["p00_photo.jpg"] + [f"p00_style-{n}.jpg" for n in styles])
    from io import BytesIO

    from PIL import Image

    img = Image.open(BytesIO(client.get(job["results"][0]["url"]).content))
    assert max(img.size) == 480
