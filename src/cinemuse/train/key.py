"""Train the key model (:mod:`cinemuse.analysis.key_model`) on annotated renders.

Data
    The cached renders of the beat network (:mod:`cinemuse.train.beats`: POP909 excerpts with
    their annotated key, folk tunes with the key of their signature and final note, cinemuse's
    own styles at given keys; three SoundFonts, seven degradations of real files), and as many
    minor as major folk tunes rendered the same way for this model alone (:func:`render_folk`:
    the beat network's folk tunes come as the corpus has them, about one in eighteen minor, too
    few to learn a minor melody from): the ``train`` split to choose and fit, ``validation`` to
    measure; the ``test`` split is the benchmark's (``benchmarks/bench_analyze.py``) and is
    never read here.  Excerpts without a key (the
    drum-only Groove set) are skipped.  Each render holds exactly the chroma ``analyze``
    computes on that audio.

Fit
    Cross-entropy over the 24 keys plus an L2 penalty, minimised by L-BFGS (scipy); the model is
    linear in its weights, so the fit is convex.  The candidates (feature sets, log compression,
    L2 weight) are ranked by 5-fold cross-validation on the training split, by the MIREX weighted
    score (``mir_eval.key.weighted_score``), ties by exact accuracy; the winner is refitted on the
    whole training split and scored once on validation, which no choice has seen, so the
    validation figures written beside the weights are honest.  The Albrecht & Shanahan profile
    correlation used before (:func:`cinemuse.analysis.audio.estimate_key`) is scored on the same
    files for comparison.

Usage: ``cinemuse train key`` (a few minutes once the renders exist, which it makes first when
they do not; ``--quick`` uses the quick renders).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from cinemuse.progress import SILENT

PITCHES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_ENHARMONIC = {"Db": "C#", "D#": "Eb", "Gb": "F#", "G#": "Ab", "A#": "Bb"}
# the feature sets, compressions and L2 weights tried (by cross-validation on the train split)
CANDIDATE_FEATURES = (
    ("chroma", "bass"),
    ("chroma", "bass", "cooc"),
    ("chroma", "bass", "cooc", "bass_cooc"),
    ("chroma", "bass", "chords"),
    ("chroma", "bass", "chords", "cooc"),
    ("chroma", "bass", "chords", "cooc", "bass_cooc"),
)
GAMMAS = (0.0, 10.0)
L2 = (3e-5, 1e-4, 3e-4)
# the mode-balanced folk tunes rendered for this model (half of them minor), by split
FOLK = {"train": 320, "validation": 48}
QUICK_FOLK = {"train": 8, "validation": 4}
FOLK_SECONDS = 30.0


def key_index(name: str) -> int:
    """``"F# minor" -> 18``: majors C..B are 0..11, minors 12..23."""
    tonic, mode = name.split()
    return PITCHES.index(_ENHARMONIC.get(tonic, tonic)) + (0 if mode == "major" else 12)


def key_label(index: int) -> str:
    return f"{PITCHES[index % 12]} {'major' if index < 12 else 'minor'}"


def folk_folder(split: str, *, quick: bool = False) -> Path:
    """Where the mode-balanced folk renders of one split are cached."""
    from cinemuse.train.paths import cache_dir

    return cache_dir("key") / (f"folk-{split}-quick" if quick else f"folk-{split}")


def render_folk(split: str, *, quick: bool = False, progress=SILENT, log=print) -> Path:
    """Render (what the cache lacks of) the split's mode-balanced folk tunes, as the beat
    network's renders are made (:func:`cinemuse.train.beats.render_pieces`)."""
    from cinemuse.train import annotated_pieces as sets
    from cinemuse.train.beats import render_pieces
    from cinemuse.train.paths import cache_dir

    n = (QUICK_FOLK if quick else FOLK)[split]
    pieces = sets.folk_pieces(n, FOLK_SECONDS, cache=cache_dir("beats"), split=split,
                              seed={"train": 31, "validation": 32}[split])
    return render_pieces(pieces, folk_folder(split, quick=quick), total=n, stretched=split == "train",
                         label=f"mode-balanced {split} folk tunes", progress=progress, log=log)


def load_keyed(*folders: Path) -> list[dict]:
    """The cached excerpts that have a key, each piece once (each folder's draw: see
    :func:`cinemuse.train.beats.drawn_excerpts`): chroma, bass chroma, key, set name."""
    from cinemuse.train.beats import drawn_excerpts

    rows, seen = [], set()
    for folder in folders:
        for path in drawn_excerpts(Path(folder)):
            with np.load(path) as z:
                meta = json.loads(str(z["meta"]))
                if meta.get("key") is None or meta["piece"] in seen:
                    continue
                seen.add(meta["piece"])
                rows.append({"chroma": z["chroma"].astype(np.float32),
                             "bass_chroma": z["bass_chroma"].astype(np.float32),
                             "key": meta["key"], "set": meta["piece"].split("/")[0].split("-")[0]})
    return rows


def designs(rows: list[dict], features, gamma: float) -> np.ndarray:
    """(N, 12, D): each excerpt's features seen from each candidate tonic."""
    from cinemuse.analysis.key_model import key_features, rotated_design

    return np.array([rotated_design(*key_features(r["chroma"], r["bass_chroma"], names=features,
                                                  gamma=gamma)) for r in rows])


def fit(design: np.ndarray, labels: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """Weights (2, D) and minor bias minimising mean cross-entropy + ``l2`` * |W|^2 (L-BFGS)."""
    from scipy.optimize import minimize

    n, _, d = design.shape
    target = np.zeros((n, 24))
    target[np.arange(n), labels] = 1.0

    def loss(theta):
        w = theta[:2 * d].reshape(2, d)
        z = np.concatenate([design @ w[0], design @ w[1] + theta[-1]], axis=1)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        value = -np.sum(target * np.log(p + 1e-12)) / n + l2 * np.sum(w ** 2)
        g = (p - target) / n
        gw = np.stack([np.einsum("nt,ntd->d", g[:, :12], design),
                       np.einsum("nt,ntd->d", g[:, 12:], design)]) + 2 * l2 * w
        return value, np.concatenate([gw.ravel(), [g[:, 12:].sum()]])

    theta = minimize(loss, np.zeros(2 * d + 1), jac=True, method="L-BFGS-B",
                     options={"maxiter": 2000}).x
    return theta[:2 * d].reshape(2, d), float(theta[-1])


def weighted_scores(rows: list[dict], estimates: list[str]) -> np.ndarray:
    """The MIREX weighted score (``mir_eval.key.weighted_score``) of each estimate, (N,)."""
    import mir_eval

    return np.array([float(mir_eval.key.weighted_score(r["key"], e)) for r, e in zip(rows, estimates)])


def scores(rows: list[dict], estimates: list[str]) -> dict:
    """Exact and MIREX-weighted key scores by set and overall."""
    by = defaultdict(list)
    for row, s in zip(rows, weighted_scores(rows, estimates)):
        by[row["set"]].append(s)
        by["all"].append(s)
    return {k: {"n": len(v), "exact": round(float(np.mean([x == 1.0 for x in v])), 3),
                "mirex": round(float(np.mean(v)), 3)} for k, v in sorted(by.items())}


def profile_estimates(rows: list[dict]) -> list[str]:
    """Albrecht & Shanahan profile correlation on the song mean (the method before this model)."""
    from cinemuse.analysis.audio import BASS_WEIGHT, estimate_key

    out = []
    for r in rows:
        c, b = r["chroma"], r["bass_chroma"]
        profile = (c / (c.max() + 1e-9)).mean(axis=1) + BASS_WEIGHT * (b / (b.max() + 1e-9)).mean(axis=1)
        tonic, mode, _, _ = estimate_key(profile)
        out.append(f"{PITCHES[tonic]} {mode}")
    return out


def cross_validated(design: np.ndarray, labels: np.ndarray, l2: float, folds: np.ndarray) -> list[str]:
    """Each excerpt's key as estimated by the model fitted on the other folds."""
    out = [""] * len(labels)
    for k in np.unique(folds):
        w, bias = fit(design[folds != k], labels[folds != k], l2)
        held = np.flatnonzero(folds == k)
        z = np.concatenate([design[held] @ w[0], design[held] @ w[1] + bias], axis=1)
        for i, zi in zip(held, z):
            out[i] = key_label(int(np.argmax(zi)))
    return out


def select(train_rows: list[dict], *, seed: int = 0, progress=SILENT, log=print):
    """The smallest candidate within one standard error of the best 5-fold cross-validated
    MIREX score on the training split (the one-standard-error rule: Hastie, Tibshirani &
    Friedman, *The Elements of Statistical Learning*, 2nd ed., sec. 7.10).

    Why not rank on validation: with ~90 validation excerpts the best dozen candidates lie
    within two or three excerpts of each other, so the winner's validation figure would be
    inflated by the choice; ranking on the seven times larger training split keeps validation
    untouched for the figure reported.  Returns ``(features, gamma, l2, cv_scores)``.
    """
    y = np.array([key_index(r["key"]) for r in train_rows])
    folds = np.random.default_rng(seed).permutation(len(y)) % 5
    tried = []  # (mirex, standard error, parameters, features, gamma, l2, scores)
    total = len(CANDIDATE_FEATURES) * len(GAMMAS) * len(L2)
    with progress.stage("Cross-validating key models", total=total) as st:
        for features in CANDIDATE_FEATURES:
            for gamma in GAMMAS:
                design = designs(train_rows, features, gamma)
                for l2 in L2:
                    est = cross_validated(design, y, l2, folds)
                    each = weighted_scores(train_rows, est)
                    got = scores(train_rows, est)
                    log(json.dumps({"features": features, "gamma": gamma, "l2": l2, "cv": got["all"]}))
                    tried.append((float(each.mean()), float(each.std() / np.sqrt(len(each))),
                                  2 * design.shape[2] + 1, features, gamma, l2, got))
                    st.advance()
    best = max(tried, key=lambda t: t[0])
    near = [t for t in tried if t[0] >= best[0] - best[1]]
    chosen = min(near, key=lambda t: (t[2], -t[0]))
    return chosen[3:]


def train(*, data_dir=None, output=None, seed: int = 0, quick: bool = False, progress=SILENT,
          log=None) -> dict:
    """Choose (cross-validation) and fit the key model on the train renders, measure it on the
    validation renders, and write ``key_model.json`` with both figures.

    ``data_dir`` is the shared data folder, needed only when the renders are not cached yet;
    ``seed`` draws the cross-validation folds (the fit itself is deterministic); ``log`` (one
    JSON line per candidate) is silent by default so ``cinemuse train key --json`` stays JSON.
    """
    from cinemuse.analysis.key_model import KeyModel
    from cinemuse.train.beats import DRAW_FILE
    from cinemuse.train.paths import cache_dir

    log = log or (lambda line: None)
    folders = {}
    for split in ("train", "validation"):
        folder = cache_dir("beats") / (f"{split}-quick" if quick else split)
        if not (folder / DRAW_FILE).is_file():  # the beat network's renders, not made yet
            from cinemuse.train.beats import render_split
            from cinemuse.train.paths import shared_data_dir

            folder = render_split(shared_data_dir(data_dir), split, quick=quick, progress=progress, log=log)
        folders[split] = (folder, render_folk(split, quick=quick, progress=progress, log=log))
    train_rows, val_rows = load_keyed(*folders["train"]), load_keyed(*folders["validation"])
    features, gamma, l2, cv = select(train_rows, seed=seed, progress=progress, log=log)
    w, bias = fit(designs(train_rows, features, gamma),
                  np.array([key_index(r["key"]) for r in train_rows]), l2)
    model = KeyModel(weights=w, minor_bias=bias, features=features, gamma=gamma)
    val_scores = scores(val_rows, [key_label(int(np.argmax(model.logits(d))))
                                   for d in designs(val_rows, features, gamma)])
    baseline = scores(val_rows, profile_estimates(val_rows))
    out = Path(output) if output else Path(__file__).resolve().parents[1] / "assets" / "key"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "key_model.json"
    payload = model.to_payload() | {
        "trained_on": f"{len(train_rows)} keyed renders of the train split (cinemuse.train.beats "
                      "and mode-balanced folk tunes)",
        "l2": l2, "cross_validation": cv, "validation": val_scores, "validation_profiles": baseline}
    path.write_text(json.dumps(payload, indent=1) + "\n")
    return {"output": str(path), "n_train": len(train_rows), "n_validation": len(val_rows),
            "features": list(model.features), "gamma": model.gamma, "l2": l2,
            "cross_validation": cv["all"], "validation": val_scores, "validation_profiles": baseline}
