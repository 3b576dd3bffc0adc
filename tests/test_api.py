"""The public Python API: lazy, complete, and working exactly as the README shows it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cinemuse

README = Path(__file__).resolve().parents[1] / "README.md"
HEAVY = ("numpy", "av", "cv2", "onnxruntime", "soundfile", "pretty_midi", "PIL", "scipy", "rich")


def readme_examples() -> list[str]:
    text = README.read_text()
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_import_loads_nothing_heavy():
    code = ("import sys, cinemuse; cinemuse.__all__; "
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_public_name_resolves_to_its_home():
    for name in cinemuse.__all__:
        value = getattr(cinemuse, name)
        assert value is not None
        assert name in dir(cinemuse)
    assert cinemuse.score_video.__module__ == "cinemuse.pipelines.score"
    with pytest.raises(AttributeError):
        cinemuse.no_such_thing  # noqa: B018


def test_results_are_frozen_and_plain():
    import dataclasses
    import json

    r = cinemuse.RestoreResult(output="x.png", steps=("levels",), report={"noise_sigma": 1.0},
                               seconds=0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.output = "y.png"  # type: ignore[misc]
    assert json.loads(json.dumps(r.to_dict())) == {
        "output": "x.png", "noise_sigma": 1.0, "steps": ["levels"], "seconds": 0.5}
    assert r.files == {"output": "x.png"}


def test_compose_refuses_a_cue_and_its_options_together(tmp_path):
    cue = cinemuse.CueSheet(duration=6.0)
    with pytest.raises(cinemuse.UsageError, match="either a cue sheet or its options"):
        cinemuse.compose(tmp_path / "x.mid", cue, duration=6.0)
    assert not (tmp_path / "x.mid").exists()


def test_analyze_song_takes_samples_as_well_as_files(tmp_path):
    import soundfile as sf

    from tests.analysis.song_signals import SR, chord_click_song

    y, _ = chord_click_song(tempo=120.0, tonic=0, minor=False, seconds=8.0)
    with pytest.raises(cinemuse.UsageError):
        cinemuse.analyze_song(y)
    sf.write(tmp_path / "song.wav", y, SR, subtype="FLOAT")
    from_file = cinemuse.analyze_song(tmp_path / "song.wav")
    from_samples = cinemuse.analyze_song(y, sample_rate=SR)
    assert (from_samples.key, from_samples.tempo_bpm) == pytest.approx((from_file.key, from_file.tempo_bpm))


@pytest.fixture(scope="module")
def example_inputs(tmp_path_factory):
    """The files the README's examples name, made in code."""
    import cv2
    import soundfile as sf

    from cinemuse.pipelines.demo import Edit, Shot, painted_scene
    from tests.analysis.song_signals import SR, chord_click_song
    from tests.score.clips import write_edit

    folder = tmp_path_factory.mktemp("api-examples")
    pictures = [painted_scene(k, size=(320, 180), seed=i) for i, k in enumerate(("ocean", "neon"))]
    write_edit(folder / "holiday.mp4", Edit([Shot(pictures[0], 1.5), Shot(pictures[1], 1.5)],
                                            size=(160, 96)), fps=25)
    y, _ = chord_click_song(tempo=110.0, tonic=4, minor=False, seconds=10.0)
    sf.write(folder / "song.wav", y, SR)
    grey = cv2.cvtColor(painted_scene("meadow", size=(256, 160), seed=3), cv2.COLOR_RGB2GRAY)
    cv2.imwrite(str(folder / "grandma.jpg"), grey)
    old = painted_scene("city", size=(256, 160), seed=4).copy()
    old[40:42, :] = 255  # a scratch
    cv2.imwrite(str(folder / "scan.jpg"), cv2.cvtColor(old, cv2.COLOR_RGB2BGR))
    return folder


def test_readme_has_an_example_for_each_job():
    code = "\n".join(readme_examples())
    for name in ("score_video", "compose", "CueSheet", "analyze_song", "make_covers",
                 "check_cover", "colorize_image", "colorize_file", "restore_image", "restore_file"):
        assert f"{name}(" in code, name


@pytest.mark.parametrize("index", range(len(readme_examples())))
def test_readme_example_runs(index, example_inputs, monkeypatch, capsys):
    example = readme_examples()[index]
    monkeypatch.chdir(example_inputs)
    exec(compile(example, f"README.md example {index + 1}", "exec"), {})
    # each example prints or writes what it made; every file it names must now exist
    for name in re.findall(r'"([\w-]+\.(?:mp4|wav|mid|png|jpg))"', example):
        assert (example_inputs / name).is_file(), name
    printed = capsys.readouterr().out
    assert "print(" not in example or printed.strip()
    assert "False" not in printed  # check_cover's verdict on a fresh cover


def test_results_of_the_examples_are_plain_json(example_inputs):
    import json

    result = cinemuse.score_video(example_inputs / "holiday.mp4", example_inputs / "again.mp4",
                                  replace_audio=True)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["files"] == {"video": str(example_inputs / "again.mp4")}
    assert data["cuts"] == result.cuts == 1
    assert set(data["timings"]) == {"analysis", "shots", "plan", "compose", "mux"}
    assert np.isfinite(data["tempo"])
