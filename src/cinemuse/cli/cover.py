"""`cinemuse cover`: draw a store-ready album cover that looks the way a song sounds."""

from __future__ import annotations

import argparse

HELP = "draw a store-ready album cover that looks the way a song sounds"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, progress) -> dict:
    from cinemuse.errors import NotBuiltError

    raise NotBuiltError("'cover' is not available in this version of cinemuse yet")
