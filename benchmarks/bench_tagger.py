"""Does the converted musicnn tagger match the original? And what do cinemuse's styles get tagged?

Part 1, conversion (needs TensorFlow + musicnn in some Python, see ``cinemuse/train/tagger.py``):
every 3-s patch of every recording in ``../shared/data/music/recordings`` is turned into the
models' log-mel input by cinemuse (:func:`cinemuse.analysis.tags.song_patches`, float32) and
tagged twice, by the shipped ONNX graph and by the original TensorFlow graph with the wheel's
checkpoint; the figure is the largest absolute difference over every tag of every patch
(target <= 1e-3).  For reference it also runs upstream's own ``musicnn.extractor`` on the file
(librosa decoding, float16 mel power, ``10000 * mel`` in float16, which overflows to ``inf``
above 65504) and reports how far its song-mean tags are from cinemuse's, the share of log-mel
bins that overflow there, and the effect of float16 rounding alone (the same graph on
cinemuse's input rounded to float16 before the log, without the overflow).  ``--write-reference`` stores the TensorFlow outputs the default test suite checks
against (``tests/analysis/data/tagger_reference.json``), so CI without TensorFlow still checks
the conversion.

Part 2, styles (``--styles``): composes each cinemuse style (30 s, seeds 1-2) and reports the
top tags and genre family :func:`cinemuse.analysis.tags.tag_song` gives it.

Run from the repo root (JSON lines; the TensorFlow interpreter from --tf-python or
$CINEMUSE_TF_PYTHON)::

    .venv/bin/python benchmarks/bench_tagger.py --tf-python /work/tf-venv/bin/python
    .venv/bin/python benchmarks/bench_tagger.py --styles
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RECORDINGS = ROOT.parent / "shared" / "data" / "music" / "recordings"
REFERENCE = ROOT / "tests" / "analysis" / "data" / "tagger_reference.json"
REFERENCE_PATCHES = 3  # per recording, stored for the test


def _emit(**kw) -> None:
    print(json.dumps(kw), flush=True)


def recording_patches() -> dict[str, np.ndarray]:
    from cinemuse.analysis.tags import load_tagger, song_patches
    from cinemuse.io.audio import read_audio

    mel_basis = load_tagger()[2]
    out = {}
    for path in sorted(RECORDINGS.glob("*.ogg")):
        samples = read_audio(path, sample_rate=44100)
        out[path.name] = song_patches(samples, 44100, mel_basis, max_patches=None)
    return out


def tf_worker(inp: Path, outp: Path) -> None:
    """Run inside the TensorFlow interpreter: the original graph on the given patches."""
    import contextlib
    import io

    sys.path.insert(0, str(ROOT / "src"))
    from cinemuse.train.tagger import CHECKPOINTS, original_tagger, random_patches

    data = dict(np.load(inp))
    data["__random__"] = random_patches()
    result = {}
    for model, checkpoint in CHECKPOINTS.items():
        run = original_tagger(model)
        for name, patches in data.items():
            result[f"{model}|{name}"] = run(patches)
        from musicnn.extractor import extractor

        for name in data:
            if name.startswith(("__", "f16|")):
                continue
            with contextlib.redirect_stdout(io.StringIO()):  # it prints progress
                taggram, _ = extractor(str(RECORDINGS / name), model=checkpoint,
                                       extract_features=False)
            result[f"upstream|{model}|{name}"] = taggram
    np.savez(outp, **result)


def run_original(tf_python: str, patches: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        inp, outp = Path(tmp) / "in.npz", Path(tmp) / "out.npz"
        np.savez(inp, **patches)
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
        subprocess.run([tf_python, __file__, "--tf-worker", str(inp), str(outp)], check=True,
                       env=env, stderr=subprocess.DEVNULL)
        return dict(np.load(outp))


def conversion(tf_python: str, write_reference: bool) -> None:
    from cinemuse.analysis.tags import MODELS, load_tagger, run_tagger
    from cinemuse.train.tagger import random_patches

    patches = recording_patches()
    # upstream stores the mel power as float16: what that rounding alone does (no overflow)
    rounded = {f"f16|{name}": np.log10(1.0 + 10000.0 * (
        (10.0 ** p.astype(np.float64) - 1.0) / 10000.0).astype(np.float16)
        .astype(np.float32)).astype(np.float32) for name, p in patches.items()}
    original = run_original(tf_python, {**patches, **rounded})
    labels = load_tagger()[1]
    worst = 0.0
    reference = {"labels": {m: list(labels[m]) for m in MODELS}, "recordings": {}}
    ours_random = run_tagger(random_patches())
    reference["random"] = {m: original[f"{m}|__random__"].round(6).tolist() for m in MODELS}
    for m in MODELS:
        worst = max(worst, float(np.abs(ours_random[m] - original[f"{m}|__random__"]).max()))
    for name, p in patches.items():
        ours = run_tagger(p)
        # 10000 * mel in float16 overflows above 65504, i.e. where log-mel > log10(65505)
        row = {"recording": name, "patches": len(p),
               "upstream_overflow_fraction": round(float((p > np.log10(65505.0)).mean()), 5)}
        ref = {}
        for m in MODELS:
            tf_out = original[f"{m}|{name}"]
            diff = float(np.abs(ours[m] - tf_out).max())
            worst = max(worst, diff)
            upstream = original[f"upstream|{m}|{name}"].mean(axis=0)
            f16 = original[f"{m}|f16|{name}"].mean(axis=0)
            top = np.argsort(-ours[m].mean(axis=0))[:5]
            row[m] = {"max_abs_diff_per_patch": diff,
                      "max_abs_diff_song_mean": float(np.abs(ours[m].mean(0) - tf_out.mean(0)).max()),
                      "upstream_extractor_max_abs_diff_song_mean":
                          float(np.abs(ours[m].mean(0) - upstream).max()),
                      "float16_rounded_input_max_abs_diff_song_mean":
                          float(np.abs(ours[m].mean(0) - f16).max()),
                      "top5": [[labels[m][i], round(float(ours[m].mean(0)[i]), 3)] for i in top]}
            ref[m] = {"mean": tf_out.mean(axis=0).round(6).tolist(),
                      "first_patches": tf_out[:REFERENCE_PATCHES].round(6).tolist()}
        reference["recordings"][name] = ref
        _emit(**row)
    _emit(summary="conversion", max_abs_diff_every_tag_every_patch=worst, target=1e-3,
          met=worst <= 1e-3)
    if write_reference:
        REFERENCE.parent.mkdir(parents=True, exist_ok=True)
        REFERENCE.write_text(json.dumps(reference, separators=(",", ":")) + "\n")
        _emit(wrote=str(REFERENCE.relative_to(ROOT)))


def styles(seconds: float, seeds: list[int]) -> None:
    from cinemuse.analysis.tags import tag_song
    from cinemuse.io.audio import read_audio
    from cinemuse.music.styles import STYLES

    cli = Path(sys.executable).parent / "cinemuse"
    # the styles whose name is a genre family: does the tagger hear them as that family?
    named = {"electronic": "electronic", "folk": "folk", "ambient": "ambient", "pop": "pop"}
    hits: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for style in STYLES:
            for seed in seeds:
                out = Path(tmp) / f"{style}-{seed}.wav"
                subprocess.run([str(cli), "compose", "-o", str(out), "--style", style,
                                "--seed", str(seed), "--duration", str(seconds), "--quiet"],
                               check=True)
                tags = tag_song(read_audio(out, sample_rate=44100), 44100, max_patches=None)
                hits.setdefault(style, []).append(tags.genre)
                _emit(style=style, seed=seed, genre=tags.genre,
                      genre_scores={k: round(v, 3) for k, v in sorted(
                          tags.genre_scores.items(), key=lambda kv: -kv[1])[:3]},
                      msd_top5=[[t, round(p, 3)] for t, p in tags.top("msd")],
                      mtt_top5=[[t, round(p, 3)] for t, p in tags.top("mtt")])
    _emit(summary="styles heard as their own genre family",
          genres={style: genres for style, genres in hits.items()},
          named_styles_matching={style: f"{sum(g == family for g in hits.get(style, []))}/"
                                 f"{len(hits.get(style, []))}" for style, family in named.items()})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tf-python", default=os.environ.get("CINEMUSE_TF_PYTHON"),
                    help="a Python with TensorFlow, tf-keras and musicnn (default: this one if "
                    "it has them)")
    ap.add_argument("--write-reference", action="store_true")
    ap.add_argument("--styles", action="store_true", help="tag cinemuse's own styles instead")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--tf-worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.tf_worker:
        tf_worker(*args.tf_worker)
        return
    if args.styles:
        styles(args.seconds, args.seeds)
        return
    tf_python = args.tf_python
    if tf_python is None:
        try:
            import musicnn  # noqa: F401
            import tensorflow  # noqa: F401
            tf_python = sys.executable
        except ModuleNotFoundError:
            _emit(skipped="no TensorFlow + musicnn here: pass --tf-python (see "
                  "cinemuse/train/tagger.py for how to make one)")
            return
    conversion(tf_python, args.write_reference)


if __name__ == "__main__":
    main()
