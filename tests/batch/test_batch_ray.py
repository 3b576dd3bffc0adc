"""`cinemuse batch --engine ray` on a local 2-CPU Ray cluster: the same manifest and outputs as local.

One cluster serves every test here (starting Ray takes seconds). Its session files go to a
temporary folder that is removed afterwards, and ``~/.ray`` is removed if Ray made it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from cinemuse.cli import main
from tests.media import make_cut_video

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

COMPARED = ("input", "outputs", "state", "error", "attempt", "options", "input_sha256", "job")


@pytest.fixture(scope="module")
def ray_cluster():
    home_ray = Path.home() / ".ray"
    had_home_ray = home_ray.exists()
    # a short path: Ray's socket names must fit in 107 bytes
    temp = tempfile.mkdtemp(prefix="cmray", dir="/tmp")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=temp)
    try:
        yield
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
        if not had_home_ray:
            shutil.rmtree(home_ray, ignore_errors=True)


def history(out_dir: Path) -> dict[str, list[dict]]:
    """Each input's records in order, reduced to the fields that must not depend on the engine."""
    per: dict[str, list[dict]] = {}
    for line in (out_dir / "manifest.jsonl").read_text().splitlines():
        r = json.loads(line)
        per.setdefault(r["input"], []).append({k: r.get(k) for k in COMPARED})
    return per


def test_ray_engine_gives_the_same_manifest_and_outputs_as_local(ray_cluster, tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    make_cut_video(src / "a.mp4", duration=2.0, cuts=(0.8,), size=(96, 64), audio_freq=330)
    make_cut_video(src / "sub" / "b.mp4", duration=2.5, cuts=(1.2,), size=(96, 64))
    (src / "bad.mp4").write_bytes(b"\x00" * 300)
    outs = {}
    for engine in ("local", "ray"):
        outs[engine] = tmp_path / engine
        code = main(["batch", "score", str(src), "-o", str(outs[engine]), "--engine", engine,
                     "--workers", "2", "--", "--seed", "5"])
        assert code == 2
    assert history(outs["local"]) == history(outs["ray"])
    files = {e: sorted(p.relative_to(d).as_posix() for p in d.rglob("*.mp4")) for e, d in outs.items()}
    assert files["local"] == files["ray"] == ["a.mp4", "sub/b.mp4"]
    for name in files["local"]:
        assert (outs["local"] / name).read_bytes() == (outs["ray"] / name).read_bytes()
    # resuming under Ray skips what Ray did
    assert main(["batch", "score", str(src / "a.mp4"), "-o", str(outs["ray"]), "--engine", "ray",
                 "--", "--seed", "5"]) == 0
    assert history(outs["ray"])[str((src / "a.mp4").resolve())][-1]["state"] == "skipped"
