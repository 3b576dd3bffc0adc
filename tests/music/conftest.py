"""Shared fixtures of the music tests."""

from __future__ import annotations

from pathlib import Path

import pretty_midi
import pytest


@pytest.fixture
def pip_only_soundfont(monkeypatch):
    """Render with pretty_midi's bundled TimGM6mb: the soundfont every install has (and
    quick to load); a Debian soundfont, when present, is used outside the tests."""
    monkeypatch.setenv("CINEMUSE_SOUNDFONT", str(Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"))
