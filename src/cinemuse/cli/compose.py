"""`cinemuse compose`: compose background music of an exact length, mood and style."""

from __future__ import annotations

import argparse

HELP = "compose background music of an exact length, mood and style"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, progress) -> dict:
    from cinemuse.errors import NotBuiltError

    raise NotBuiltError("'compose' is not available in this version of cinemuse yet")
