"""The style loss and trainer (``cinemuse train style``); skipped without torch or the shared data."""

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("efficientnet_lite_pytorch")

from cinemuse.train import style  # noqa: E402

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "images" / "styles" / "styles.csv").exists(), reason="no ../shared/data")


@pytest.fixture(scope="module")
def targets():
    cfg = style.Config(style_size=128, styles=("starry-night", "great-wave"))
    return cfg, style.loss_targets(cfg, DATA)


@needs_data
def test_each_painting_is_nearest_its_own_gram_target(targets):
    cfg, (features, temps, grams) = targets
    paintings = style.painting_files(DATA, cfg.styles)
    for i, p in enumerate(paintings):
        x = torch.from_numpy(style.read_rgb(p["path"], 128).astype(np.float32).transpose(2, 0, 1)[None].copy())
        with torch.no_grad():
            f = features(x)
            own = float(style.style_distances(f, torch.tensor([i]), temps, grams, cfg)[0])
            other = float(style.style_distances(f, torch.tensor([1 - i]), temps, grams, cfg)[0])
        assert own < 1e-6 < other


@needs_data
def test_gatys_reference_moves_a_photo_towards_the_painting(targets):
    cfg, tg = targets
    features, temps, grams = tg
    photo = style.read_rgb(DATA / "images" / "kodak24" / "kodim23.png", 64)[:64, :96]

    def distance(rgb):
        x = torch.from_numpy(rgb.astype(np.float32).transpose(2, 0, 1)[None].copy())
        with torch.no_grad():
            return float(style.style_distances(features(x), torch.tensor([0]), temps, grams, cfg)[0])

    out = style.optimise_image(photo, 0, tg, cfg, steps=8)
    assert out.shape == photo.shape and out.dtype == np.uint8
    assert distance(out) < 0.7 * distance(photo)


@needs_data
@pytest.mark.slow
def test_quick_training_exports_a_network_whose_styles_differ(tmp_path):
    from cinemuse.vision.stylize import Stylizer

    summary = style.train(data_dir=DATA, output=tmp_path / "net.onnx", quick=True)
    st = Stylizer.from_file(summary["output"], threads=1)
    assert [s.name for s in st.styles] == list(style.quick_config(0).styles)
    img = style.read_rgb(DATA / "images" / "kodak24" / "kodim23.png", 64)[:64, :96]
    a, b = (st.stylize(img, s.name).astype(int) for s in st.styles)
    assert a.shape == img.shape and np.abs(a - b).mean() > 0.0
