"""Train the beat-level downbeat network (:mod:`cinemuse.analysis.bar_net`).

Data
    The beat network's cached renders (:mod:`cinemuse.train.beats`: POP909, Groove MIDI, folk
    tunes in 2/4, 4/4, 3/4 and 6/8, cinemuse's styles; three SoundFonts, seven degradations),
    read the way ``analyze`` reads a song: the shipped beat network's curves, the shipped
    tracker's beats, then one feature row per beat (:func:`~cinemuse.analysis.bar_net.beat_features`).
    A tracked beat is a downbeat when an annotated bar start lies within a third of a beat
    of it.  The network trains on the ``train`` split, keeps the epoch of lowest loss on
    ``validation``, and the benchmark's ``test`` split is never read.

    The frame network's own downbeat curve is not among the inputs: it was trained on these
    very renders and is surer of itself there than on a new song, which would teach the second
    stage to lean on it.  The two are weighed together in
    :func:`cinemuse.analysis.rhythm.bars_from_activation`, with weights chosen on validation.

Network
    A one-layer bidirectional GRU (16 units each way) over the song's beats and a linear
    read-out per beat: about 3 k parameters.  Crops of 16 beats or more, Adam, binary
    cross-entropy.

    cinemuse train bars      # features, fit, export, and the validation figures (~4 min)
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from cinemuse.progress import SILENT

ASSET_NAME = "rhythm/bar_gru.onnx"
HIDDEN = 16
EPOCHS = 150
BATCH = 16
LR = 3e-3
MIN_CROP = 16  # beats
MATCH = 1 / 3  # an annotated bar start this close to a tracked beat (in beats) makes it a downbeat


def read_rows(rows: list[dict], *, progress=SILENT) -> list[dict]:
    """Per excerpt: the tracked beats, their feature rows, the frame network's curves at them,
    the downbeat labels and the annotations (for scoring)."""
    from cinemuse.analysis import bar_net, beat_net, rhythm
    from cinemuse.analysis.song_features import ANALYSIS_SR, CHROMA_HOP, HOP

    out = []
    with progress.stage("Reading the renders' beats", total=len(rows)) as stage:
        for row in rows:
            beat_act, down_act = beat_net.activations(row["mel_db"], row["chroma"], row["bass_chroma"])
            _, frames = rhythm.beats_from_activation(beat_act, sr=ANALYSIS_SR, hop_length=HOP)
            beats = frames * HOP / ANALYSIS_SR
            x = bar_net.beat_features(row["mel_db"], row["chroma"], row["bass_chroma"], frames,
                                      frames_per_chroma=CHROMA_HOP / HOP)
            out.append({"x": x, "y": downbeat_labels(beats, row["downbeats"]), "beats": beats,
                        "frames": frames, "down_at": rhythm._peak_near(down_act, frames),
                        "bass_change": rhythm.harmonic_change(
                            row["bass_chroma"].astype(np.float32),
                            np.arange(row["bass_chroma"].shape[1]) * CHROMA_HOP / ANALYSIS_SR, beats),
                        "ref_downbeats": np.asarray(row["downbeats"], float),
                        "set": row["meta"]["piece"].split("/")[0].split("-")[0]})
            stage.advance()
    return out


def downbeat_labels(beats: np.ndarray, downbeats: np.ndarray) -> np.ndarray:
    """(n,) 1.0 at each tracked beat an annotated bar start lies near (within :data:`MATCH` of
    the beat interval), else 0."""
    y = np.zeros(len(beats), np.float32)
    if len(beats) < 2:
        return y
    tolerance = MATCH * float(np.median(np.diff(beats)))
    for t in np.asarray(downbeats, float):
        i = int(np.argmin(np.abs(beats - t)))
        if abs(beats[i] - t) <= tolerance:
            y[i] = 1.0
    return y


def make_network(hidden: int | None = None):
    """The GRU as a torch module: (B, n, features) -> (B, n) logits."""
    import torch
    from torch import nn

    from cinemuse.analysis.bar_net import N_FEATURES

    class BarGRU(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(N_FEATURES, hidden or HIDDEN, batch_first=True, bidirectional=True)
            self.head = nn.Linear(2 * (hidden or HIDDEN), 1)

        def forward(self, beats):
            h, _ = self.gru(beats)
            return self.head(h).squeeze(-1)

    torch.manual_seed(0)
    return BarGRU()


def _batches(rows: list[dict], rng, *, crop: bool):
    """Padded minibatches (x (B, L, F), y (B, L), mask (B, L)), shuffled; random crops when
    ``crop``."""
    order = rng.permutation(len(rows)) if crop else np.arange(len(rows))
    for lo in range(0, len(order), BATCH):
        picked = []
        for i in order[lo:lo + BATCH]:
            x, y = rows[i]["x"], rows[i]["y"]
            if crop and len(x) > MIN_CROP:
                k = int(rng.integers(MIN_CROP, len(x) + 1))
                s = int(rng.integers(0, len(x) - k + 1))
                x, y = x[s:s + k], y[s:s + k]
            picked.append((x, y))
        length = max(len(x) for x, _ in picked)
        X = np.zeros((len(picked), length, picked[0][0].shape[1]), np.float32)
        Y = np.zeros((len(picked), length), np.float32)
        M = np.zeros((len(picked), length), np.float32)
        for b, (x, y) in enumerate(picked):
            X[b, :len(x)], Y[b, :len(y)], M[b, :len(y)] = x, y, 1.0
        yield X, Y, M


def fit(train_rows: list[dict], val_rows: list[dict], *, seed: int = 0, epochs: int = EPOCHS,
        progress=SILENT, log=print):
    """(model of lowest validation loss, history)."""
    import copy

    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = make_network()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    train_rows = [r for r in train_rows if len(r["x"]) >= 4]
    val_rows = [r for r in val_rows if len(r["x"]) >= 4]

    def loss_of(X, Y, M):
        logits = model(torch.from_numpy(X))
        bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.from_numpy(Y),
                                                                   reduction="none")
        m = torch.from_numpy(M)
        return (bce * m).sum() / m.sum()

    best, best_state, history = np.inf, None, []
    t0 = time.time()
    with progress.stage("Training the bar network", total=epochs) as stage:
        for epoch in range(epochs):
            model.train()
            losses = []
            for X, Y, M in _batches(train_rows, rng, crop=True):
                loss = loss_of(X, Y, M)
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(float(loss.detach()))
            model.eval()
            with torch.no_grad():
                val = float(np.mean([float(loss_of(*b)) for b in _batches(val_rows, rng, crop=False)]))
            history.append({"epoch": epoch + 1, "train": round(float(np.mean(losses)), 5),
                            "validation": round(val, 5), "seconds": round(time.time() - t0, 1)})
            log(json.dumps(history[-1]))
            if val < best:
                best, best_state = val, copy.deepcopy(model.state_dict())
            stage.advance()
    model.load_state_dict(best_state)
    model.eval()
    return model, history


def export_onnx(model, out_path: Path) -> dict:
    """The model as ONNX (``beats`` -> ``logits``), checked against torch on a random song."""
    import onnxruntime as ort
    import torch

    from cinemuse.analysis.bar_net import N_FEATURES

    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name("." + out_path.name + ".part")
    try:
        with torch.no_grad():
            torch.onnx.export(model, (torch.zeros(1, 40, N_FEATURES),), str(tmp), input_names=["beats"],
                              output_names=["logits"], dynamic_axes={"beats": {1: "n"}, "logits": {1: "n"}},
                              opset_version=17, dynamo=False)
        x = np.random.default_rng(0).normal(size=(1, 500, N_FEATURES)).astype(np.float32)
        with torch.no_grad():
            ref = model(torch.from_numpy(x)).numpy()
        got = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"]).run(None, {"beats": x})[0]
        diff = float(np.abs(ref - got).max())
        if diff > 1e-4:
            raise RuntimeError(f"ONNX export differs from torch by {diff}")
        tmp.replace(out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return {"output": str(out_path), "parameters": int(sum(p.numel() for p in model.parameters())),
            "onnx_max_diff": diff}


def evaluate(rows: list[dict], logits: list[np.ndarray] | None, **weights) -> dict:
    """Downbeat F-measure (mir_eval, first 5 s trimmed) of the bars ``analyze`` would pick,
    per set and overall; ``logits`` None scores the frame network's curve alone."""
    import mir_eval

    from cinemuse.analysis import bar_net, rhythm

    per_set: dict[str, list[float]] = {}
    for k, row in enumerate(rows):
        use = logits is not None and bar_net.states_pitches(row["x"])
        downbeats, _, _ = rhythm.choose_bars(row["beats"], row["down_at"], bass_change=row["bass_change"],
                                             bar_logits=logits[k] if use else None, **weights)
        f = mir_eval.beat.f_measure(mir_eval.beat.trim_beats(row["ref_downbeats"]),
                                    mir_eval.beat.trim_beats(downbeats))
        per_set.setdefault(row["set"], []).append(f)
    summary = {name: round(float(np.mean(v)), 3) for name, v in sorted(per_set.items())}
    summary["overall"] = round(float(np.mean([f for v in per_set.values() for f in v])), 3)
    return summary


def logits_of(session, rows: list[dict]) -> list[np.ndarray]:
    from cinemuse.analysis.bar_net import downbeat_logits

    return [downbeat_logits(r["x"], session=session) for r in rows]


def train(*, data_dir=None, output=None, seed: int = 0, quick: bool = False, progress=SILENT) -> dict:
    """Read the beat network's renders (rendering what the cache lacks), fit, export; returns
    the validation figures with and without the bar network."""
    import torch

    from cinemuse.analysis.beat_net import open_session
    from cinemuse.train import beats as beat_training
    from cinemuse.train.paths import REPO_ROOT, shared_data_dir

    torch.set_num_threads(1)
    data = shared_data_dir(Path(data_dir) if data_dir else None)
    rows = {split: read_rows(beat_training.load_split(
                beat_training.render_split(data, split, quick=quick, progress=progress, log=progress.log)),
                progress=progress)
            for split in ("train", "validation")}
    model, history = fit(rows["train"], rows["validation"], seed=seed, epochs=3 if quick else EPOCHS,
                         progress=progress, log=progress.log)
    out_path = Path(output) if output else REPO_ROOT / "src" / "cinemuse" / "assets" / ASSET_NAME
    if out_path.suffix != ".onnx":
        out_path = out_path / Path(ASSET_NAME).name
    summary = export_onnx(model, out_path)
    logits = logits_of(open_session(out_path), rows["validation"])
    return summary | {"validation_downbeat_f": evaluate(rows["validation"], logits),
                      "validation_downbeat_f_frame_network_alone": evaluate(rows["validation"], None),
                      "excerpts": {k: len(v) for k, v in rows.items()},
                      "best_epoch": int(np.argmin([h["validation"] for h in history]) + 1),
                      "best_validation_loss": min(h["validation"] for h in history),
                      "history": history}


if __name__ == "__main__":
    import argparse

    from cinemuse.progress import for_terminal

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print(json.dumps(train(seed=args.seed, quick=args.quick, progress=for_terminal(quiet=False)), indent=1))
