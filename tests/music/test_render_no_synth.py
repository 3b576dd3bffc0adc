"""Without the synthesiser (not a declared dependency), rendering says how to install it."""

from __future__ import annotations

import sys

import pytest

from cinemuse.errors import UsageError
from cinemuse.music import render


def test_missing_synthesiser_is_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "tinysoundfont", None)  # makes `import` fail
    render._engine.cache_clear()
    try:
        with pytest.raises(UsageError, match=r"pip install --no-deps 'tinysoundfont"):
            render._engine(str(render.find_soundfont()), 22050)
    finally:
        render._engine.cache_clear()
