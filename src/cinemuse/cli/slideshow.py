"""`cinemuse slideshow`: turn a folder of photos into a stylised slideshow cut to generated music."""

from __future__ import annotations

import argparse

HELP = "turn a folder of photos into a stylised slideshow cut to generated music"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, progress) -> dict:
    from cinemuse.errors import NotBuiltError

    raise NotBuiltError("'slideshow' is not available in this version of cinemuse yet")
