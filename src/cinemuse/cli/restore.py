"""`cinemuse restore`: clean an old photo: noise, dust and scratches, negatives, missing parts."""

from __future__ import annotations

import argparse

HELP = "clean an old photo: noise, dust and scratches, negatives, missing parts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, progress) -> dict:
    from cinemuse.errors import NotBuiltError

    raise NotBuiltError("'restore' is not available in this version of cinemuse yet")
