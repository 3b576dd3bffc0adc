"""The built wheel carries every shipped asset (an editable install would hide a gap)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ASSETS = REPO / "src" / "cinemuse" / "assets"


def test_wheel_contains_every_asset(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation",
         "--quiet", "--disable-pip-version-check", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("cinemuse-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [
        p.relative_to(REPO / "src").as_posix()
        for p in ASSETS.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert any(name.endswith(".onnx") for name in shipped)  # the check is not vacuous
    missing = [name for name in shipped if name not in names]
    assert not missing, f"not in the wheel: {missing}"
    assert "cinemuse/vision/cover_looks/ridges.py" in names  # sub-packages are found too
