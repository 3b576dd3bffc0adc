"""`cinemuse colorize`: colour a black-and-white photo or film."""

from __future__ import annotations

import argparse

HELP = "colour a black-and-white photo or film"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, progress) -> dict:
    from cinemuse.errors import NotBuiltError

    raise NotBuiltError("'colorize' is not available in this version of cinemuse yet")
