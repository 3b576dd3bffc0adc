"""`cinemuse train MODEL`: retrain one shipped model from the open data in ../shared/data.

Each model's trainer lives in ``cinemuse.train.<MODEL>`` and exposes
``train(*, data_dir, output, seed, quick, progress) -> dict``; torch is imported
only there, so this command needs ``pip install cinemuse[train]``.
"""

from __future__ import annotations

import argparse

from cinemuse.cli.argtypes import seed
from pathlib import Path

HELP = "retrain a shipped model from the open data in ../shared/data (needs cinemuse[train])"

# model name -> what it learns (for --help); the trainer module is cinemuse.train.<name>
TRAINERS = {
    "melody": "melody autoencoder (latent space) and its n-gram baseline, on folk corpora + POP909",
    "harmony": "chord model from POP909 chord labels",
    "key": "key classifier (24 keys, transposition-equivariant) on annotated renders of POP909, folk tunes and cinemuse's styles",
    "drums": "drum grooves by style and tempo from the Groove MIDI Dataset",
    "beats": "beat and downbeat network (a small TCN) on renders of annotated POP909, Groove MIDI, folk and cinemuse pieces",
    "bars": "beat-level downbeat network (a small GRU) on the beat network's renders, read by its shipped tracker",
    "colorize": "colourisation decoder over the frozen EfficientNet-Lite0 encoder",
    "style": "feed-forward style network (6 paintings, conditional instance norm) over EfficientNet-Lite0 losses",
    "encoder": "ONNX conversion of the ImageNet EfficientNet-Lite0 shipped on PyPI (no training)",
    "tagger": "ONNX conversion of the musicnn genre/mood/instrument taggers (needs TensorFlow; no training)",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model",
        choices=sorted(TRAINERS),
        help="; ".join(f"{k}: {v}" for k, v in TRAINERS.items()),
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="the shared data folder (default: ../shared/data next to the checkout)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="where to write the weights (default: the package's assets folder)",
    )
    parser.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--quick", action="store_true", help="a few minutes on a subset: a smoke test, not for shipping"
    )


def run(args: argparse.Namespace, progress) -> dict:
    import importlib

    from cinemuse.errors import UsageError

    try:
        trainer = importlib.import_module(f"cinemuse.train.{args.model}")
    except ModuleNotFoundError as exc:
        if exc.name == "torch":
            raise UsageError(
                "training needs PyTorch: install a CPU build of torch, then pip install 'cinemuse[train]'"
            ) from None
        raise
    return trainer.train(
        data_dir=args.data_dir,
        output=args.output,
        seed=args.seed,
        quick=args.quick,
        progress=progress,
    )
