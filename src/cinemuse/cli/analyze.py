"""`cinemuse analyze`: describe a song: tempo, beats, key, loudness, sections, mood."""

from __future__ import annotations

import argparse

HELP = "describe a song: tempo, beats, key, loudness, sections, mood"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, progress) -> dict:
    from cinemuse.errors import NotBuiltError

    raise NotBuiltError("'analyze' is not available in this version of cinemuse yet")
