"""Without the synthesiser (not a declared dependency), rendering says how to install it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cinemuse.errors import EXIT_INTERNAL, InstallError
from cinemuse.music import render


def test_missing_synthesiser_is_one_clear_install_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "tinysoundfont", None)  # makes `import` fail
    render._engine.cache_clear()
    try:
        with pytest.raises(InstallError, match=r"pip install --no-deps 'tinysoundfont"):
            render._engine(str(render.find_soundfont()), 22050)
    finally:
        render._engine.cache_clear()


def test_compose_without_synthesiser_exits_1_with_the_command(tmp_path):
    """An install problem, not a usage error: exit 1, one line, the command, nothing written."""
    out = tmp_path / "x.wav"
    code = ("import sys; sys.modules['tinysoundfont'] = None; from cinemuse.cli import main; "
            f"sys.exit(main(['compose', '-o', {str(out)!r}, '--duration', '5']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == EXIT_INTERNAL, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "pip install --no-deps 'tinysoundfont>=0.3'" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []
