import json

import av
import numpy as np
import pytest

from cinemuse.cli import main
from cinemuse.pipelines.slideshow import SlideshowOptions, make_slideshow

from .photos import album


@pytest.fixture
def pip_only_soundfont(monkeypatch):
    import pretty_midi
    from pathlib import Path

    monkeypatch.setenv("CINEMUSE_SOUNDFONT", str(Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"))


def test_slideshow_end_to_end(tmp_path, pip_only_soundfont):
    photos = album(tmp_path / "album", 3)
    out = tmp_path / "film.mp4"
    r = make_slideshow([tmp_path / "album"], out, SlideshowOptions(duration=4.0, size=(160, 90), look="cool",
                                                                  cue_sheet=tmp_path / "cues", midi_out=tmp_path / "m.mid"))
    assert r.frames == 120 and abs(r.duration - 4.0) < 1e-9
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert v.codec_context.pix_fmt == "yuv420p" and c.streams.audio[0].codec_context.name == "aac"
        frames = [f.to_ndarray(format="rgb24").astype(float) for f in c.decode(video=0)]
    assert len(frames) == 120
    rec = json.loads((tmp_path / "cues.json").read_text())
    assert [p["file"] for p in rec["photos"]] == [str(p) for p in photos]
    beat = 60 / rec["tempo"]
    for p in rec["photos"][1:]:
        assert abs(p["start"] / beat - round(p["start"] / beat)) < 1e-6
        assert any(abs(h["time"] - p["start"]) < 1e-9 for h in rec["hits"])
    # no black bars: every frame's border has picture in it
    for f in frames:
        assert f[:2].mean() > 8 and f[-2:].mean() > 8 and f[:, :2].mean() > 8 and f[:, -2:].mean() > 8
    # same seed, same music
    r2 = make_slideshow([tmp_path / "album"], tmp_path / "film2.mp4",
                        SlideshowOptions(duration=4.0, size=(160, 90), look="cool", midi_out=tmp_path / "m2.mid"))
    assert (tmp_path / "m.mid").read_bytes() == (tmp_path / "m2.mid").read_bytes()
    assert r2.to_dict()["slides"] == r.to_dict()["slides"]


@pytest.mark.parametrize("case", ["empty", "non-images", "song-not-audio"])
def test_bad_inputs_one_line_exit_2_nothing_written(tmp_path, capsys, case):
    folder = tmp_path / "in"
    folder.mkdir()
    args = [str(folder), "-o", str(tmp_path / "out.mp4")]
    if case == "non-images":
        (folder / "a.jpg").write_text("text")
        (folder / "b.png").write_bytes(b"junk")
    if case == "song-not-audio":
        album(folder, 2)
        (tmp_path / "song.mp3").write_text("not audio")
        args += ["--song", str(tmp_path / "song.mp3")]
    code = main(["slideshow", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len([line for line in err if "warning" not in line]) == 1
    assert not (tmp_path / "out.mp4").exists()


def test_list_styles(capsys):
    assert main(["slideshow", "--list-styles", "--json"]) == 0
    styles = json.loads(capsys.readouterr().out)["styles"]
    assert len(styles) >= 6 and all(s["artist"] for s in styles)


def test_stylize_keeps_size_and_strength_blends():
    from cinemuse.vision.stylize import Stylizer

    st = Stylizer.load()
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (90, 130, 3), dtype=np.uint8)
    out = st.stylize(img, st.styles[0].name)
    assert out.shape == img.shape and np.abs(out.astype(float) - img).mean() > 5
    assert np.array_equal(st.stylize(img, st.styles[0].name, strength=0.0), img)


def test_thumbnail(tmp_path):
    from tests.media import make_cut_video

    from cinemuse.pipelines.thumbnail import make_thumbnail

    v = make_cut_video(tmp_path / "v.mp4", duration=3.0, cuts=(1.0, 2.0), size=(320, 180))
    r = make_thumbnail(v.path if hasattr(v, "path") else tmp_path / "v.mp4", tmp_path / "t.jpg", title="Hello")
    from PIL import Image

    with Image.open(tmp_path / "t.jpg") as im:
        assert im.size == (1280, 720)
    assert r.bytes < 2_000_000


def test_a_song_without_a_steady_beat_is_said_to_have_none(tmp_path, monkeypatch):
    """Rain or a held pad gives only a grid to cut to: the user is told the photos follow a grid."""
    from pathlib import Path
    from types import SimpleNamespace

    import cinemuse.pipelines.slideshow as slideshow
    from cinemuse.progress import Progress

    class Notes(Progress):
        def __init__(self):
            self.lines = []

        def log(self, message):
            self.lines.append(message)

    def profile(steady):
        beats = np.arange(0.5, 20.0, 0.625)
        return SimpleNamespace(duration=20.0, beats=beats, downbeats=beats[::4], tempo_bpm=96.0, beats_per_bar=4,
                               meter="4/4", steady_beat=steady, beat_strength=0.9 if steady else 0.12)

    album(tmp_path / "album", 3, size=(160, 90))
    for steady in (False, True):
        monkeypatch.setattr(slideshow, "read_song", lambda path, progress, steady=steady: profile(steady))
        notes = Notes()
        slideshow.plan_slideshow([tmp_path / "album"], SlideshowOptions(song=Path("rain.wav")), progress=notes)
        grid = [line for line in notes.lines if "no steady beat" in line]
        assert grid == ([] if steady else ["rain.wav: no steady beat (beat strength 0.12); the photos change on an "
                                           "even 96-bpm grid"])
