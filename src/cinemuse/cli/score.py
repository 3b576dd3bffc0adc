"""`cinemuse score`: give a video an original soundtrack that follows its cuts, motion and light."""

from __future__ import annotations

import argparse

HELP = "give a video an original soundtrack that follows its cuts, motion and light"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, progress) -> dict:
    from cinemuse.errors import NotBuiltError

    raise NotBuiltError("'score' is not available in this version of cinemuse yet")
