"""The beat and downbeat network: a small temporal convolutional network over log-mel frames.

Data
    Annotated pieces (:mod:`cinemuse.train.annotated_pieces`, the ``train`` and ``validation``
    splits, never ``test``: the benchmark's): POP909 songs with their human beat and bar
    annotations, Groove MIDI drum performances with human timing, folk tunes in 2/4, 4/4, 3/4
    and 6/8 with and without drums, and cinemuse's own styles.  Each piece is stretched in time
    (training only, 0.8-1.25x, so every set covers a wide tempo range), rendered with one of
    three General MIDI SoundFonts and passed through one of the degradations of real files
    (:mod:`cinemuse.train.annotated_renders`; MP3 and AAC through the real encoder and
    decoder).  What the network sees is exactly what ``analyze`` computes: the 48-band log-mel
    of :func:`cinemuse.analysis.song_features.extract_features` at 43 frames a second.
    Renders are cached per excerpt (``.cache/beats/<split>/*.npz``), so a rerun only trains.
    The chroma and bass chroma ``analyze`` computes are kept too, and brought to the log-mel's
    frames as the network's second input (:func:`cinemuse.analysis.beat_net.harmony`); in
    training they are rotated by a random number of semitones (the key must not matter).
    A SoundFont that is not installed is left out of the draw (the shipped network had all
    three: ``apt-get install musescore-general-soundfont-small`` for MuseScore's).

Network (after the TCNs of Davies & Böck 2019, "Temporal convolutional networks for musical
audio beat tracking", EUSIPCO, and Böck & Davies 2020, "Deconstruct, analyse, reconstruct",
ISMIR, which learn beats and downbeats together)
    The log-mel (scaled to 0..1) and its half-wave rectified frame difference, as two input
    planes; three 2-D convolutions with max-pooling over frequency reduce the 48 bands to one
    feature vector per frame, to which a 1-D convolution of the 24 harmony bands is added (the
    drums say where the strong beats are, the chords which of them starts the bar); nine
    residual blocks of non-causal dilated 1-D convolutions
    (kernel 5, dilations 1..256: a receptive field of 47 s) follow; a 1x1 convolution gives two
    logits per frame, beat and downbeat.  Targets are the annotated frames, their neighbours
    at 0.5 (target widening, as in the papers).  About 72 k parameters (32 channels).

Output: the network in two ONNX graphs, run by :mod:`cinemuse.analysis.beat_net`:
``assets/rhythm/beat_tcn.front.onnx`` (inputs ``mel_db`` (1, 48, T) and ``harmony`` (1, 24, T)
float32, output ``features`` (1, 32, T)) and ``assets/rhythm/beat_tcn.onnx`` (``features`` ->
``activation`` (1, 2, T) probabilities); see :func:`split_network`.

    python -m cinemuse.train.beats render            # the cached renders (both splits)
    python -m cinemuse.train.beats fit --threads 1 --seed 1   # train, checkpointing, export
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from cinemuse.progress import SILENT

ASSET_NAME = "rhythm/beat_tcn.onnx"
FONTS = ("fluidr3", "musescore", "timgm6mb")
# pieces per set and split: (pop909, groove, folk, styles per style)
COUNTS = {"train": (320, 200, 240, 30), "validation": (40, 30, 32, 2)}
QUICK_COUNTS = {"train": (4, 4, 4, 1), "validation": (2, 2, 2, 1)}
SECONDS = {"pop909": 30.0, "groove": 20.0, "folk": 30.0, "styles": 30.0}
STRETCH = (0.8, 1.25)


@dataclass
class Config:
    seed: int = 0
    steps: int = 4000
    batch: int = 8
    frames: int = 1024  # 23.8 s crops
    lr: float = 2e-3
    channels: int = 32
    kernel: int = 5
    dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256)
    dropout: float = 0.1
    downbeat_weight: float = 2.0  # the downbeat curve is the harder one to learn
    eval_every: int = 250


def quick_config(seed: int = 0) -> Config:
    return Config(seed=seed, steps=20, batch=2, frames=256, eval_every=10)


# --------------------------------------------------------------------------- renders


def _pieces(data: Path, split: str, counts: tuple[int, int, int, int], cache: Path):
    """The split's pieces, the four sets interleaved (a partial corpus stays balanced)."""
    from cinemuse.train import annotated_pieces as sets

    n_pop, n_groove, n_folk, per_style = counts
    seed = {"train": 11, "validation": 12}[split]
    sources = [
        sets.pop909_pieces(data, n_pop, SECONDS["pop909"], seed=seed, split=split),
        sets.groove_pieces(data, n_groove, SECONDS["groove"], split=split),
        sets.folk_pieces(n_folk, SECONDS["folk"], cache=cache, seed=seed, split=split,
                         balance_modes=False),
        sets.style_pieces(SECONDS["styles"], per_style=per_style, split=split),
    ]
    for group in itertools.zip_longest(*sources):
        yield from (piece for piece in group if piece is not None)


def stretch(piece: dict, factor: float) -> dict:
    """The piece played ``factor`` times slower (times and ground truth scaled)."""
    import copy

    pm = copy.deepcopy(piece["pm"])
    for inst in pm.instruments:
        for note in inst.notes:
            note.start *= factor
            note.end *= factor
        for cc in inst.control_changes:
            cc.time *= factor
    return piece | {"pm": pm, "beats": piece["beats"] * factor, "downbeats": piece["downbeats"] * factor,
                    "tempo": piece["tempo"] / factor, "seconds": piece["seconds"] * factor}


def split_folder(split: str, *, quick: bool = False) -> Path:
    """Where one split's rendered excerpts are cached."""
    from cinemuse.train.paths import cache_dir

    return cache_dir("beats") / (f"{split}-quick" if quick else split)


def _decoded(audio: np.ndarray, ext: str, folder: Path) -> np.ndarray:
    """``audio`` through the lossy encoder and back, as a user's MP3 or AAC file would be."""
    import tempfile

    from cinemuse.io.audio import read_audio
    from cinemuse.train import annotated_renders as ar

    if ext == ".flac":
        return audio
    # a name of its own: render shards share the folder
    with tempfile.TemporaryDirectory(dir=folder, prefix=".codec-") as tmp:
        path = Path(tmp) / f"roundtrip{ext}"
        ar.write(path, audio)
        return read_audio(path, sample_rate=ar.SR)


def render_split(data: Path, split: str, *, quick: bool = False, shard: tuple[int, int] = (0, 1),
                 progress=SILENT, log=print) -> Path:
    """Render (what the cache lacks of) one split; returns its folder of ``.npz`` excerpts.

    ``shard`` (i, n): only every n-th piece from the i-th, so n processes can share the work.
    """
    from cinemuse.train.paths import cache_dir

    counts = (QUICK_COUNTS if quick else COUNTS)[split]
    pieces = _pieces(data, split, counts, cache_dir("beats"))
    return render_pieces(pieces, split_folder(split, quick=quick),
                         total=counts[0] + counts[1] + counts[2] + 7 * counts[3],
                         stretched=split == "train", shard=shard, label=f"the {split} pieces",
                         progress=progress, log=log)


def render_pieces(pieces, folder: Path, *, total: int, stretched: bool, shard: tuple[int, int] = (0, 1),
                  label: str = "pieces", progress=SILENT, log=print) -> Path:
    """Render each annotated piece the cache lacks into ``folder`` (one ``.npz`` per piece).

    Each piece's name seeds its draw (stretch when ``stretched``, SoundFont, degradation), so a
    rerun, or another shard, makes the same excerpt.
    """
    from cinemuse.analysis.song_features import extract_features
    from cinemuse.train import annotated_renders as ar

    folder.mkdir(parents=True, exist_ok=True)
    fonts = {name: ar.font_path(name) for name in FONTS}
    fonts = {k: v for k, v in fonts.items() if v is not None}
    drawn: list[str] = []
    with progress.stage(f"Rendering {label}", total=total) as stage:
        for index, piece in enumerate(pieces):
            digest = hashlib.sha1(piece["piece"].encode()).digest()
            name = digest.hex()[:16] + ".npz"
            drawn.append(name)
            stage.advance()
            if index % shard[1] != shard[0] or (folder / name).is_file():
                continue
            t0 = time.perf_counter()
            rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
            if stretched:
                piece = stretch(piece, float(np.exp(rng.uniform(*np.log(STRETCH)))))
            font = list(fonts)[int(rng.integers(len(fonts)))]
            kind = ar.DEGRADATIONS[int(rng.integers(len(ar.DEGRADATIONS)))]
            audio = ar.render(piece["pm"], font=fonts[font], mix=piece["mix"], seconds=piece["seconds"])
            audio, shift, ext = ar.degrade(audio, kind, seed=int(rng.integers(2**31)))
            audio = _decoded(audio, ext, folder)
            feats = extract_features([audio], ar.SR)
            tmp = folder / (name + ".part.npz")
            np.savez_compressed(
                tmp, mel_db=feats.mel_db, chroma=feats.chroma.astype(np.float16),
                bass_chroma=feats.bass_chroma.astype(np.float16),
                beats=piece["beats"] + shift, downbeats=piece["downbeats"] + shift,
                meta=json.dumps({"piece": piece["piece"], "font": font, "degradation": kind,
                                 "meter": piece["meter"], "beats_per_bar": piece["beats_per_bar"],
                                 "tempo": piece["tempo"], "key": piece["key"]}))
            tmp.rename(folder / name)
            log(json.dumps({"rendered": piece["piece"], "font": font, "degradation": kind,
                            "seconds": round(time.perf_counter() - t0, 2)}))
    _write_draw(folder, drawn)
    return folder


DRAW_FILE = "draw.json"  # beside the excerpts: the names of those the code draws for the folder


def _write_draw(folder: Path, names: list[str]) -> None:
    """Record which excerpts make up the folder's set (every shard writes the same list)."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".draw-", suffix=".part")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump({"excerpts": names}, fh)
        Path(tmp).replace(folder / DRAW_FILE)
    except BaseException:  # a full disk or Ctrl-C leaves no half-written record behind
        Path(tmp).unlink(missing_ok=True)
        raise


def drawn_excerpts(folder: Path) -> list[Path]:
    """The excerpt files of the folder's draw, in drawing order: what the render step last
    drew for it, not whatever else the folder holds (renders of an older draw, another
    count or seed), so that training reads the same set on every machine.

    Raises
    ------
    BadInputError
        The folder has no record of its draw, or some of the draw is not rendered yet.
    """
    from cinemuse.errors import BadInputError

    folder = Path(folder)
    record = folder / DRAW_FILE
    if not record.is_file():
        raise BadInputError(folder, f"has no {DRAW_FILE}: run the render step first (it renders only "
                                    "what is missing, and records the draw)")
    paths = [folder / name for name in json.loads(record.read_text())["excerpts"]]
    missing = sum(not p.is_file() for p in paths)
    if missing:
        raise BadInputError(folder, f"{missing} of the {len(paths)} excerpts drawn are not rendered "
                                    "yet: let the render step (every shard) finish")
    return paths


def load_split(folder: Path) -> list[dict]:
    """The cached excerpts of one split (its draw: :func:`drawn_excerpts`): mel (48, T) float16, chroma and bass chroma (12, Tc),
    the network's harmony input (24, T) float16, beat and downbeat times, meta."""
    from cinemuse.analysis.beat_net import harmony

    out = []
    for path in drawn_excerpts(folder):
        with np.load(path) as z:
            row = {k: z[k] for k in ("mel_db", "chroma", "bass_chroma", "beats", "downbeats")}
            row["meta"] = json.loads(str(z["meta"]))
        row["harmony"] = harmony(row["chroma"], row["bass_chroma"], 0,
                                 row["mel_db"].shape[1]).astype(np.float16)
        out.append(row)
    return out


# --------------------------------------------------------------------------- network


def frames_per_second() -> float:
    from cinemuse.analysis.song_features import ANALYSIS_SR, HOP

    return ANALYSIS_SR / HOP


def targets(times: np.ndarray, n_frames: int) -> np.ndarray:
    """Frame targets: 1 at each annotated frame, 0.5 beside it (target widening)."""
    y = np.zeros(n_frames, np.float32)
    idx = np.round(np.asarray(times) * frames_per_second()).astype(int)
    idx = idx[(idx >= 0) & (idx < n_frames)]
    for off in (-1, 1):
        j = np.clip(idx + off, 0, n_frames - 1)
        y[j] = np.maximum(y[j], 0.5)
    y[idx] = 1.0
    return y


def make_network(cfg: Config):
    """The TCN (see the module docstring) as a torch module: (B, 48, T) dB and (B, 24, T)
    harmony -> (B, 2, T) logits."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, c: int, dilation: int):
            super().__init__()
            pad = dilation * (cfg.kernel - 1) // 2
            self.conv = nn.Conv1d(c, c, cfg.kernel, dilation=dilation, padding=pad)
            self.mix = nn.Conv1d(c, c, 1)
            self.drop = nn.Dropout(cfg.dropout)

        def forward(self, x):
            return x + self.mix(self.drop(nn.functional.elu(self.conv(x))))

    class BeatTCN(nn.Module):
        def __init__(self):
            super().__init__()
            c = cfg.channels
            self.front = nn.Sequential(
                nn.Conv2d(2, c, (3, 3), padding=(1, 1)), nn.ELU(), nn.MaxPool2d((3, 1)),  # 48 -> 16
                nn.Conv2d(c, c, (3, 3), padding=(1, 1)), nn.ELU(), nn.MaxPool2d((4, 1)),  # 16 -> 4
                nn.Conv2d(c, c, (4, 1)), nn.ELU(), nn.Dropout(cfg.dropout))              # 4 -> 1
            self.harmony = nn.Sequential(nn.Conv1d(24, c, 3, padding=1), nn.ELU())
            self.blocks = nn.Sequential(*[Block(c, d) for d in cfg.dilations])
            self.head = nn.Conv1d(c, 2, 1)

        def forward(self, mel_db, harmony):
            x = mel_db / 80.0 + 1.0
            rise = torch.relu(x - torch.cat([x[:, :, :1], x[:, :, :-1]], dim=2))
            h = self.front(torch.stack([x, rise * 4.0], dim=1)).squeeze(2)
            return self.head(self.blocks(h + self.harmony(harmony)))

    return BeatTCN()


def _batch(rows: list[dict], rng, cfg: Config, *, augment: bool):
    """A batch of random crops: (mel (B, 48, L), harmony (B, 24, L), targets (B, 2, L),
    mask (B, L))."""
    n = cfg.frames
    mel = np.full((cfg.batch, rows[0]["mel_db"].shape[0], n), -80.0, np.float32)
    harm = np.zeros((cfg.batch, 24, n), np.float32)
    y = np.zeros((cfg.batch, 2, n), np.float32)
    mask = np.zeros((cfg.batch, n), np.float32)
    for b, i in enumerate(rng.integers(0, len(rows), cfg.batch)):
        row = rows[i]
        m = row["mel_db"].astype(np.float32)
        t = m.shape[1]
        start = int(rng.integers(0, max(1, t - n + 1)))
        seg = m[:, start:start + n]
        if augment:  # a level the reference never had: the song louder or softer than its peak
            seg = np.clip(seg + rng.uniform(-6.0, 3.0), -80.0, 0.0)
        k = seg.shape[1]
        mel[b, :, :k] = seg
        h = row["harmony"][:, start:start + n].astype(np.float32).reshape(2, 12, k)
        if augment:  # another key: the same rhythm
            h = np.roll(h, int(rng.integers(12)), axis=1)
        harm[b, :, :k] = h.reshape(24, k)
        y[b, 0, :k] = targets(row["beats"], t)[start:start + k]
        y[b, 1, :k] = targets(row["downbeats"], t)[start:start + k]
        mask[b, :k] = 1.0
    return mel, harm, y, mask


def _loss(model, mel, harm, y, mask, cfg: Config):
    import torch

    logits = model(torch.from_numpy(mel), torch.from_numpy(harm))
    target = torch.from_numpy(y)
    m = torch.from_numpy(mask)[:, None, :]
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
    weight = torch.tensor([1.0, cfg.downbeat_weight])[None, :, None]
    return (bce * m * weight).sum() / (m.sum() * 2)


def fit(cfg: Config, train_rows: list[dict], val_rows: list[dict], *, ckpt: Path,
        progress=SILENT, log=print) -> dict:
    """Adam with a one-cycle (cosine) schedule; the checkpoint of lowest validation loss is kept."""
    import torch

    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model = make_network(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.steps, pct_start=0.1)
    val_rng = np.random.default_rng(cfg.seed + 1)
    val_cfg = replace(cfg, batch=min(len(val_rows), 32))
    val_batches = [_batch(val_rows, val_rng, val_cfg, augment=False) for _ in range(3)]
    best, history, recent = np.inf, [], []
    t0 = time.time()
    with progress.stage("Training the beat network", total=cfg.steps) as stage:
        for step in range(cfg.steps):
            model.train()
            loss = _loss(model, *_batch(train_rows, rng, cfg, augment=True), cfg)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            recent.append(float(loss.detach()))
            stage.advance()
            if (step + 1) % cfg.eval_every == 0 or step + 1 == cfg.steps:
                model.eval()
                with torch.no_grad():
                    val = float(np.mean([float(_loss(model, *b, cfg)) for b in val_batches]))
                history.append({"step": step + 1, "train": round(float(np.mean(recent)), 5),
                                "validation": round(val, 5), "seconds": round(time.time() - t0, 1)})
                recent = []
                log(json.dumps(history[-1]))
                if val < best:
                    best = val
                    torch.save({"model": model.state_dict(), "config": asdict(cfg), "step": step + 1}, ckpt)
    return {"best_validation_loss": round(best, 5), "history": history}


def export_onnx(ckpt: Path, out_path: Path) -> dict:
    """The checkpoint as ONNX (probabilities), checked against torch on a random input."""
    import onnxruntime as ort
    import torch

    state = torch.load(ckpt, weights_only=True)
    cfg = Config(**(state["config"] | {"dilations": tuple(state["config"]["dilations"])}))
    model = make_network(cfg)
    model.load_state_dict(state["model"])
    model.eval()

    class Probabilities(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, mel_db, harmony):
            return torch.sigmoid(self.net(mel_db, harmony))

    wrapped = Probabilities(model)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name("." + out_path.name + ".whole.part")  # cut in two below
    with torch.no_grad():
        torch.onnx.export(wrapped, (torch.full((1, 48, 600), -40.0), torch.full((1, 24, 600), 0.5)),
                          str(tmp), input_names=["mel_db", "harmony"], output_names=["activation"],
                          dynamic_axes={"mel_db": {2: "frames"}, "harmony": {2: "frames"},
                                        "activation": {2: "frames"}},
                          opset_version=17, dynamo=False)
    import onnx

    m = onnx.load(str(tmp))
    for k, v in {"fps": f"{frames_per_second():.6f}", "step": str(state["step"]),
                 "config": json.dumps(state["config"])}.items():
        m.metadata_props.add(key=k, value=v)
    onnx.save(m, str(tmp))
    rng = np.random.default_rng(0)
    x = rng.uniform(-80, 0, (1, 48, 3000)).astype(np.float32)
    harm = rng.uniform(0, 1, (1, 24, 3000)).astype(np.float32)
    wrapped.eval()  # the exporter puts back the wrapper's (training) mode, recursively
    with torch.no_grad():
        ref = wrapped(torch.from_numpy(x), torch.from_numpy(harm)).numpy()
    got = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"]).run(
        None, {"mel_db": x, "harmony": harm})[0]
    diff = float(np.abs(ref - got).max())
    if diff > 1e-4:
        raise RuntimeError(f"ONNX export differs from torch by {diff}")
    split_network(tmp, out_path)
    tmp.unlink()
    n_params = sum(p.numel() for p in model.parameters())
    return {"output": str(out_path), "parameters": int(n_params), "onnx_max_diff": diff, "step": int(state["step"])}


FEATURES_TENSOR = "/net/Add_1_output_0"  # the exported graph's per-frame features: front + harmony


def split_network(full: Path, out_path: Path) -> dict:
    """Cut one exported graph (``mel_db``, ``harmony`` -> ``activation``) in two at the
    per-frame features: ``out_path`` with ``.front.onnx`` (the frequency convolutions and the
    harmony convolution, which look 3 frames around each frame) and ``out_path`` itself (the
    dilated blocks and the head, ``features`` -> ``activation``).

    ``analyze`` runs the front a short chunk at a time, whose 2-D intermediates (32 channels x
    48 bands per frame) would otherwise take ~200 MB for a 4-minute window; only the blocks
    need the long windows.  Both halves are checked against the whole graph.
    """
    import onnx
    import onnxruntime as ort
    from onnx.utils import Extractor

    from cinemuse.analysis.beat_net import front_path

    # the extractor finds the cut by its shape, which only inference records
    model = onnx.shape_inference.infer_shapes(onnx.load(str(full)))
    extractor = Extractor(model)
    halves = {front_path(out_path): extractor.extract_model(["mel_db", "harmony"], [FEATURES_TENSOR]),
              out_path: extractor.extract_model([FEATURES_TENSOR], ["activation"])}
    for path, half in halves.items():
        for value in [*half.graph.input, *half.graph.output, *half.graph.value_info]:
            if value.name == FEATURES_TENSOR:
                value.name = "features"
        for node in half.graph.node:
            node.input[:] = ["features" if n == FEATURES_TENSOR else n for n in node.input]
            node.output[:] = ["features" if n == FEATURES_TENSOR else n for n in node.output]
        del half.metadata_props[:]
        half.metadata_props.extend(model.metadata_props)
        half.producer_name = model.producer_name
        onnx.checker.check_model(half)
        tmp = path.with_name("." + path.name + ".part")
        path.parent.mkdir(parents=True, exist_ok=True)
        onnx.save(half, str(tmp))
        tmp.replace(path)

    def session(path):
        return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    rng = np.random.default_rng(1)
    inputs = {"mel_db": rng.uniform(-80, 0, (1, 48, 2000)).astype(np.float32),
              "harmony": rng.uniform(0, 1, (1, 24, 2000)).astype(np.float32)}
    whole = session(full).run(None, inputs)[0]
    features = session(front_path(out_path)).run(None, inputs)[0]
    parts = session(out_path).run(None, {"features": features})[0]
    diff = float(np.abs(whole - parts).max())
    if diff > 1e-6:
        raise RuntimeError(f"the split network differs from the whole by {diff}")
    return {"front": str(front_path(out_path)), "back": str(out_path), "split_max_diff": diff}


def evaluate(model: Path, rows: list[dict]) -> dict:
    """Tempo Accuracy1, beat and downbeat F-measure of ``analyze``'s rhythm step on ``rows``.

    ``analyze``'s reading of the activations (:func:`cinemuse.analysis.rhythm.read_activations`;
    the renders keep no onset envelope, so every beat is taken to divide in two), per set of
    the pieces, with mir_eval's metrics.
    """
    import mir_eval

    from cinemuse.analysis import beat_net, rhythm
    from cinemuse.analysis.song_features import ANALYSIS_SR, CHROMA_HOP, HOP

    per_set: dict[str, list[tuple[float, float, float]]] = {}
    for row in rows:
        beat_act, down_act = beat_net.activations(row["mel_db"], row["chroma"], row["bass_chroma"],
                                                  model=model)
        bass = row["bass_chroma"].astype(np.float32)
        read = rhythm.read_activations(beat_act, down_act, bass_chroma=bass,
                                       chroma_times=np.arange(bass.shape[1]) * CHROMA_HOP / ANALYSIS_SR,
                                       mel_db=row["mel_db"], chroma=row["chroma"],
                                       sr=ANALYSIS_SR, hop_length=HOP)
        tempo, beats, downbeats = read["tempo"], read["beats"], read["downbeats"]
        ref = mir_eval.beat.trim_beats(np.asarray(row["beats"], float))
        ref_tempo = 60.0 / np.median(np.diff(row["beats"]))
        acc1 = float(abs(tempo - ref_tempo) <= 0.04 * ref_tempo)
        beat_f = mir_eval.beat.f_measure(ref, mir_eval.beat.trim_beats(beats))
        down_f = mir_eval.beat.f_measure(mir_eval.beat.trim_beats(np.asarray(row["downbeats"], float)),
                                         mir_eval.beat.trim_beats(downbeats))
        per_set.setdefault(row["meta"]["piece"].split("/")[0].split("-")[0], []).append((acc1, beat_f, down_f))
    summary = {name: dict(zip(("tempo_acc1", "beat_f", "downbeat_f", "n"),
                              [round(float(v), 3) for v in np.mean(vals, axis=0)] + [len(vals)]))
               for name, vals in sorted(per_set.items())}
    everything = [v for vals in per_set.values() for v in vals]
    summary["overall"] = dict(zip(("tempo_acc1", "beat_f", "downbeat_f", "n"),
                                  [round(float(v), 3) for v in np.mean(everything, axis=0)] + [len(everything)]))
    return summary


def train(*, data_dir=None, output=None, seed: int = 0, quick: bool = False, progress=SILENT,
          config: Config | None = None) -> dict:
    """Render what the cache lacks, train from scratch and export; returns a summary dict."""
    import torch

    from cinemuse.train.paths import REPO_ROOT, cache_dir, shared_data_dir

    torch.set_num_threads(min(2, torch.get_num_threads()))
    cfg = config or (quick_config(seed) if quick else Config(seed=seed))
    data = shared_data_dir(Path(data_dir) if data_dir else None)
    rows = {split: load_split(render_split(data, split, quick=quick, progress=progress, log=progress.log))
            for split in ("train", "validation")}
    ckpt = cache_dir("beats") / ("quick.pt" if quick else f"beat_tcn_seed{seed}.pt")
    summary = fit(cfg, rows["train"], rows["validation"], ckpt=ckpt, progress=progress, log=progress.log)
    out_path = Path(output) if output else REPO_ROOT / "src" / "cinemuse" / "assets" / ASSET_NAME
    if out_path.suffix != ".onnx":
        out_path = out_path / Path(ASSET_NAME).name
    return export_onnx(ckpt, out_path) | summary | {"excerpts": {k: len(v) for k, v in rows.items()},
                                                     "config": asdict(cfg)}


def main(argv=None) -> None:
    import argparse

    import torch

    from cinemuse.train.paths import REPO_ROOT, cache_dir, shared_data_dir

    ap = argparse.ArgumentParser(description="render the beat network's data, train it, export it")
    ap.add_argument("step", choices=("render", "fit", "export", "evaluate"))
    ap.add_argument("--split", choices=("train", "validation", "both"), default="both")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--shard", default="0/1", help="render only every n-th piece from the i-th: i/n")
    ap.add_argument("--steps", type=int, default=Config.steps)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--output", type=Path, default=REPO_ROOT / "src" / "cinemuse" / "assets" / ASSET_NAME)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = shared_data_dir()
    if args.step == "render":
        for split in (("train", "validation") if args.split == "both" else (args.split,)):
            i, n = (int(v) for v in args.shard.split("/"))
            render_split(data, split, quick=args.quick, shard=(i, n))
        return
    ckpt = cache_dir("beats") / ("quick.pt" if args.quick else f"beat_tcn_seed{args.seed}.pt")
    if args.step == "evaluate":
        rows = load_split(split_folder("validation", quick=args.quick))
        print(json.dumps(evaluate(args.output, rows)), flush=True)
        return
    if args.step == "fit":
        cfg = quick_config(args.seed) if args.quick else Config(seed=args.seed, steps=args.steps)
        # the renders made by the render step (fit never renders: shards may still be at work)
        rows = {split: load_split(split_folder(split, quick=args.quick)) for split in ("train", "validation")}
        print(json.dumps({"excerpts": {k: len(v) for k, v in rows.items()}}), flush=True)
        fit(cfg, rows["train"], rows["validation"], ckpt=ckpt)
    print(json.dumps(export_onnx(ckpt, args.output)), flush=True)


if __name__ == "__main__":
    main()
