"""Argument types shared by every command: numbers that are numbers.

``float("nan")`` and ``float("inf")`` are valid Python floats, so ``type=float`` lets
``--saturation nan`` through to code that then writes a white picture or crashes in FFmpeg.
The parser registers :func:`finite_float` in place of ``float`` for every command (so a new
command's ``type=float`` options are covered without doing anything); seeds use :func:`seed`.
"""

from __future__ import annotations

import argparse
import math

# numpy's generators take seeds of any size; 2**63 keeps a seed printable and storable as int64
MAX_SEED = 2**63 - 1


def finite_float(text: str) -> float:
    """A float that is neither NaN nor infinite."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def seed(text: str) -> int:
    """A random seed: a whole number from 0 to 2**63 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_SEED}, got {value}")
    return value
