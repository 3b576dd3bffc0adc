"""`cinemuse demo`: make a short demo video and score it (no files of yours needed)."""

from __future__ import annotations

import argparse

HELP = "make a short demo video and score it (no files of yours needed)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, progress) -> dict:
    from cinemuse.errors import NotBuiltError

    raise NotBuiltError("'demo' is not available in this version of cinemuse yet")
