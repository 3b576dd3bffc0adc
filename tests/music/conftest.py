"""Shared fixtures of the music tests."""

from __future__ import annotations

from pathlib import Path

import pretty_midi
import pytest


@pytest.fixture
def pip_only_soundfont(monkeypatch):
    """Render with pretty_midi's small TimGM6mb: quick to load, for tests about the
    engine rather than the sound (the shipped FluidR3 is used outside the tests)."""
    monkeypatch.setenv("CINEMUSE_SOUNDFONT", str(Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"))
