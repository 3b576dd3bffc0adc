"""Convert the musicnn taggers' TensorFlow checkpoints into cinemuse's numpy weights.

A one-time conversion, not training: the weights are Pons & Serra's ``MSD_musicnn`` and
``MTT_musicnn`` from the ``musicnn`` wheel (ISC licence), read with TensorFlow and rebuilt as
one ONNX graph, ``assets/tags/musicnn.onnx`` (input ``log_mel`` (B, 187, 96), outputs ``msd``
and ``mtt`` (B, 50) probabilities, labels in its metadata), for :mod:`cinemuse.analysis.tags`,
which runs it with onnxruntime.  Batch normalisation is folded into a scale and shift per
channel (in float64, stored as float32).  The Slaney mel filters of the models' input
(librosa's) are stored as ``assets/tags/mel_basis.safetensors``, so run time needs neither
TensorFlow nor librosa.

TensorFlow and musicnn 0.1.0 do not install into cinemuse's environment (musicnn pins
numpy < 1.17; its ``tf.compat.v1.layers`` graph needs Keras 2, i.e. ``tf-keras`` with
``TF_USE_LEGACY_KERAS=1``, which this module sets), so the conversion runs from a separate one::

    python3 -m venv /tmp/tf-venv
    /tmp/tf-venv/bin/pip install tensorflow-cpu tf-keras librosa safetensors onnx onnxruntime
    /tmp/tf-venv/bin/pip install --no-deps musicnn
    PYTHONPATH=src /tmp/tf-venv/bin/python -m cinemuse.train.tagger

It checks every converted model against the original TensorFlow graph on seeded random
patches before writing and reports the largest difference (``benchmarks/bench_tagger.py``
does the same on real recordings).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from cinemuse.progress import SILENT

CHECKPOINTS = {"msd": "MSD_musicnn", "mtt": "MTT_musicnn"}
BN_EPSILON = 1e-3  # tf.compat.v1.layers.batch_normalization's default
TEMPORAL_KERNELS = (128, 64, 32)  # frames
INSTALL_HINT = (
    "converting the taggers needs TensorFlow, librosa and the musicnn wheel, which do not "
    "install beside cinemuse; see the docstring of cinemuse/train/tagger.py for the commands")

# checkpoint layer -> our name, in the order musicnn's build_musicnn creates them
_CONVS = {"conv2d": "timbral74", "conv2d_1": "timbral77", "conv2d_2": "temporal128",
          "conv2d_3": "temporal64", "conv2d_4": "temporal32", "conv2d_5": "midend1",
          "conv2d_6": "midend2", "conv2d_7": "midend3"}
_NORMS = {"batch_normalization": "input_bn", "batch_normalization_1": "timbral74.bn",
          "batch_normalization_2": "timbral77.bn", "batch_normalization_3": "temporal128.bn",
          "batch_normalization_4": "temporal64.bn", "batch_normalization_5": "temporal32.bn",
          "batch_normalization_6": "midend1.bn", "batch_normalization_7": "midend2.bn",
          "batch_normalization_8": "midend3.bn", "batch_normalization_9": "pool_bn",
          "batch_normalization_10": "dense1.bn"}
_DENSES = {"dense": "dense1", "dense_1": "dense2"}


def musicnn_dir() -> Path:
    """The installed musicnn package folder (holds the checkpoints)."""
    try:
        import musicnn
    except ModuleNotFoundError:
        from cinemuse.errors import UsageError

        raise UsageError(INSTALL_HINT) from None
    return Path(musicnn.__file__).parent


def _tensorflow():
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # musicnn's graph uses Keras 2 layers
    import tensorflow as tf

    return tf


def read_checkpoint(model: str) -> dict[str, np.ndarray]:
    """The trained variables of one checkpoint (optimiser slots left out)."""
    tf = _tensorflow()

    prefix = str(musicnn_dir() / CHECKPOINTS[model]) + "/"  # files are named ".index" etc.
    reader = tf.compat.v1.train.NewCheckpointReader(prefix)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if "Adam" not in name and "power" not in name}


def convert(raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Checkpoint variables -> flat float32 weights with batch normalisation folded."""
    out: dict[str, np.ndarray] = {}
    for layer, name in _CONVS.items():
        kernel = raw[f"{layer}/kernel"]  # (kt, kf, 1, C): one input channel
        kernel = kernel[:, :, 0, :]
        if name.startswith("temporal"):
            kernel = kernel[:, 0, :]  # (k, C): one frequency bin wide
        out[f"{name}.kernel"] = kernel
        out[f"{name}.bias"] = raw[f"{layer}/bias"]
    for layer, name in _NORMS.items():
        gamma, beta = raw[f"{layer}/gamma"], raw[f"{layer}/beta"]
        mean, var = raw[f"{layer}/moving_mean"], raw[f"{layer}/moving_variance"]
        scale = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + BN_EPSILON)
        out[f"{name}.scale"] = scale
        out[f"{name}.shift"] = beta - mean.astype(np.float64) * scale
    for layer, name in _DENSES.items():
        out[f"{name}.kernel"] = raw[f"{layer}/kernel"]
        out[f"{name}.bias"] = raw[f"{layer}/bias"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


class _Graph:
    """A small helper to write the ONNX graph node by node."""

    def __init__(self):
        self.nodes, self.inits, self.count = [], [], 0

    def const(self, name: str, value) -> str:
        from onnx import numpy_helper

        arr = np.asarray(value)
        arr = arr.astype(np.int64 if arr.dtype.kind == "i" else np.float32)
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def op(self, kind: str, *inputs: str, out: str | None = None, **attrs) -> str:
        from onnx import helper

        self.count += 1
        out = out or f"{kind.lower()}_{self.count}"
        self.nodes.append(helper.make_node(kind, list(inputs), [out], **attrs))
        return out


def _tagger_graph(g: _Graph, x: str, w: dict[str, np.ndarray], p: str, out: str) -> None:
    """Append one musicnn tagger reading ``x`` (B, 1, 187, 96) and writing ``out`` (B, 50)."""

    def norm(t: str, name: str, shape: tuple[int, ...]) -> str:
        scale = g.const(f"{p}{name}.scale", w[f"{name}.scale"].reshape(shape))
        shift = g.const(f"{p}{name}.shift", w[f"{name}.shift"].reshape(shape))
        return g.op("Add", g.op("Mul", t, scale), shift)

    def conv(t: str, name: str, kernel: np.ndarray, pads: list[int]) -> str:
        y = g.op("Conv", t, g.const(f"{p}{name}.kernel", kernel),
                 g.const(f"{p}{name}.bias", w[f"{name}.bias"]), pads=pads)
        return g.op("Relu", y)

    xn = norm(x, "input_bn", (1, 1, 1, 1))
    front = []
    for name in ("timbral74", "timbral77"):  # (7, kf, C) -> (C, 1, 7, kf); 'same' in time
        y = conv(xn, name, w[f"{name}.kernel"].transpose(2, 0, 1)[:, None], [3, 0, 3, 0])
        front.append(g.op("ReduceMax", norm(y, f"{name}.bn", (1, -1, 1, 1)), axes=[3],
                          keepdims=0))  # (B, C, 187): max over frequency
    for k in TEMPORAL_KERNELS:  # (k, C) -> (C, 1, k, 1); TensorFlow's 'same' pads after
        name = f"temporal{k}"
        y = conv(xn, name, w[f"{name}.kernel"].T[:, None, :, None], [(k - 1) // 2, 0, k // 2, 0])
        front.append(g.op("ReduceMax", norm(y, f"{name}.bn", (1, -1, 1, 1)), axes=[3],
                          keepdims=0))
    h = g.op("Concat", *front, axis=1)  # (B, 561, 187)
    layers = [h]
    for i in (1, 2, 3):  # (7, Cin, C) -> (C, Cin, 7)
        name = f"midend{i}"
        y = norm(conv(h, name, w[f"{name}.kernel"].transpose(2, 1, 0), [3, 3]),
                 f"{name}.bn", (1, -1, 1))
        h = y if i == 1 else g.op("Add", y, h)  # layers 2 and 3 are residual
        layers.append(h)
    feats = g.op("Concat", *layers, axis=1)  # (B, 753, 187)
    # TensorFlow flattens (753, 2) [max, mean] row by row: max and mean interleaved
    pooled = g.op("Concat", g.op("ReduceMax", feats, axes=[2], keepdims=1),
                  g.op("ReduceMean", feats, axes=[2], keepdims=1), axis=2)
    flat = norm(g.op("Flatten", pooled, axis=1), "pool_bn", (1, -1))
    hidden = g.op("Relu", g.op("Add", g.op("MatMul", flat, g.const(f"{p}dense1.kernel",
                                                                   w["dense1.kernel"])),
                               g.const(f"{p}dense1.bias", w["dense1.bias"])))
    hidden = norm(hidden, "dense1.bn", (1, -1))
    logits = g.op("Add", g.op("MatMul", hidden, g.const(f"{p}dense2.kernel", w["dense2.kernel"])),
                  g.const(f"{p}dense2.bias", w["dense2.bias"]))
    g.op("Sigmoid", logits, out=out)


def build_onnx(weights: dict[str, dict[str, np.ndarray]], metadata: dict[str, str]) -> bytes:
    """One ONNX model running every tagger in ``weights`` (model -> :func:`convert` output)."""
    import onnx
    from onnx import TensorProto, helper

    from cinemuse.analysis.tags import N_MELS, PATCH_FRAMES

    g = _Graph()
    x = g.op("Unsqueeze", "log_mel", g.const("axis1", [1]))  # (B, 1, 187, 96)
    for model, w in weights.items():
        _tagger_graph(g, x, w, f"{model}.", model)
    graph = helper.make_graph(
        g.nodes, "musicnn",
        [helper.make_tensor_value_info("log_mel", TensorProto.FLOAT, ["B", PATCH_FRAMES, N_MELS])],
        [helper.make_tensor_value_info(m, TensorProto.FLOAT, ["B", 50]) for m in weights],
        initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="cinemuse.train.tagger")
    for key, value in metadata.items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
    onnx.checker.check_model(model)
    return model.SerializeToString()


def labels(model: str) -> list[str]:
    from musicnn import configuration

    return list(configuration.MSD_LABELS if model == "msd" else configuration.MTT_LABELS)


def original_tagger(model: str):
    """The original TensorFlow graph with its checkpoint: a function (B, 187, 96) -> (B, 50)."""
    tf = _tensorflow()
    from musicnn import models

    from cinemuse.analysis.tags import N_MELS, PATCH_FRAMES

    tf.compat.v1.disable_eager_execution()
    graph = tf.Graph()
    with graph.as_default():
        with tf.name_scope("model"):
            x = tf.compat.v1.placeholder(tf.float32, [None, PATCH_FRAMES, N_MELS])
            is_training = tf.compat.v1.placeholder(tf.bool)
            y = models.define_model(x, is_training, CHECKPOINTS[model], 50)[0]
            probs = tf.nn.sigmoid(y)
        sess = tf.compat.v1.Session(graph=graph)
        tf.compat.v1.train.Saver().restore(sess, str(musicnn_dir() / CHECKPOINTS[model]) + "/")

    def run(patches: np.ndarray) -> np.ndarray:
        return sess.run(probs, feed_dict={x: patches, is_training: False})

    return run


def random_patches(n: int = 4, seed: int = 20190801) -> np.ndarray:
    """Seeded log-mel-like patches (0..~4, with structure in time and frequency) for checks."""
    from cinemuse.analysis.tags import N_MELS, PATCH_FRAMES

    rng = np.random.default_rng(seed)
    base = rng.gamma(2.0, 0.6, size=(n, PATCH_FRAMES, N_MELS))
    tilt = np.linspace(1.5, 0.3, N_MELS)[None, None, :]  # more energy low, like music
    pulse = 1.0 + 0.5 * (np.arange(PATCH_FRAMES) % 31 < 3)[None, :, None]
    return (base * tilt * pulse).astype(np.float32)


def main(output: Path | None = None, *, progress=SILENT) -> dict:
    """Convert both taggers into ``output`` (default: the package's assets/tags folder)."""
    import librosa
    import onnxruntime as ort
    from safetensors.numpy import save_file

    from cinemuse.analysis.tags import N_FFT, N_MELS, SR
    from cinemuse.train.paths import REPO_ROOT

    output = Path(output) if output else REPO_ROOT / "src" / "cinemuse" / "assets" / "tags"
    output.mkdir(parents=True, exist_ok=True)
    weights, metadata = {}, {"source": "musicnn 0.1.0 wheel (ISC licence, MTG-UPF 2019)"}
    with progress.stage("Reading the musicnn checkpoints"):
        for model, checkpoint in CHECKPOINTS.items():
            weights[model] = convert(read_checkpoint(model))
            data = (musicnn_dir() / checkpoint / ".data-00000-of-00001").read_bytes()
            metadata[f"labels_{model}"] = json.dumps(labels(model))
            metadata[f"checkpoint_sha256_{model}"] = hashlib.sha256(data).hexdigest()
    onnx_path = output / "musicnn.onnx"
    onnx_path.write_bytes(build_onnx(weights, metadata))
    mel_path = output / "mel_basis.safetensors"
    save_file({"mel_basis": librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS)},
              str(mel_path), metadata={"made_by": "librosa.filters.mel(sr=16000, n_fft=512, "
                                                  "n_mels=96), Slaney scale and norm"})
    result: dict = {"output": str(output), "onnx_bytes": onnx_path.stat().st_size}
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    patches = random_patches()
    got = dict(zip(CHECKPOINTS, session.run(list(CHECKPOINTS), {"log_mel": patches})))
    with progress.stage("Checking against TensorFlow"):
        for model, checkpoint in CHECKPOINTS.items():
            diff = float(np.abs(got[model] - original_tagger(model)(patches)).max())
            result[f"max_abs_diff_random_patches_{model}"] = diff
            if diff > 1e-4:
                raise RuntimeError(f"{checkpoint}: converted model differs by {diff:.2e}")
    return result


def train(*, data_dir=None, output=None, seed: int = 0, quick: bool = False, progress=SILENT) -> dict:
    """``cinemuse train tagger``: the conversion; data, seed and quick do not apply to it."""
    try:
        import librosa  # noqa: F401
        import tensorflow  # noqa: F401
    except ModuleNotFoundError:
        from cinemuse.errors import UsageError

        raise UsageError(INSTALL_HINT) from None
    musicnn_dir()
    return main(output, progress=progress)


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
