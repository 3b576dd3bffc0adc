"""The shared ONNX image encoder: loads, is deterministic, and its embeddings mean something."""

import numpy as np
import pytest

from cinemuse.vision.encoder import ImageEncoder, cosine_similarity


def _scene(seed: int, *, hue_shift: float = 0.0) -> np.ndarray:
    """A synthetic photo-like picture: sky gradient, a sun disc and a textured ground."""
    rng = np.random.default_rng(seed)
    h, w = 160, 224
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    horizon = h * (0.45 + 0.1 * rng.random())
    sky = y < horizon
    img[sky] = np.stack([90 + 0.3 * y, 140 + 0.3 * y, 230 - 0.2 * y], -1)[sky]
    ground = np.stack([60 + 40 * rng.random((h, w)), 120 + 60 * rng.random((h, w)), 40 + 20 * rng.random((h, w))], -1)
    img[~sky] = ground[~sky]
    cx, cy = w * rng.uniform(0.2, 0.8), horizon * 0.4
    img[(x - cx) ** 2 + (y - cy) ** 2 < 300] = (255, 230, 120)
    img = np.roll(img, int(hue_shift), axis=2) if hue_shift else img
    return np.clip(img, 0, 255).astype(np.uint8)


def _checkerboard() -> np.ndarray:
    y, x = np.mgrid[0:160, 0:224]
    board = (((x // 16) + (y // 16)) % 2 * 255).astype(np.uint8)
    return np.repeat(board[..., None], 3, axis=2)


@pytest.fixture(scope="module")
def encoder():
    return ImageEncoder.load()


def test_embed_shape_dtype_and_determinism(encoder):
    img = _scene(0)
    a, b = encoder.embed(img), encoder.embed(img.copy())
    assert a.shape == (1280,) and a.dtype == np.float32
    assert np.isfinite(a).all() and a.std() > 0
    np.testing.assert_array_equal(a, b)


def test_similar_pictures_are_closer_than_different_ones(encoder):
    base = encoder.embed(_scene(1))
    similar = encoder.embed(_scene(1)[:, ::-1])  # mirrored: same content
    different = encoder.embed(_checkerboard())
    assert cosine_similarity(base, similar) > cosine_similarity(base, different) + 0.1


def test_features_are_multiscale_and_match_the_picture_size(encoder):
    maps = encoder.features(_scene(2)[:150, :210])  # not multiples of 32: padded to 160x224
    assert maps["size"] == (150, 210)
    assert maps["s4"].shape == (24, 40, 56)
    assert maps["s8"].shape == (40, 20, 28)
    assert maps["s16"].shape == (112, 10, 14)
    assert maps["s32"].shape == (1280, 5, 7)
    np.testing.assert_allclose(maps["embedding"], maps["s32"].mean(axis=(1, 2)), rtol=1e-4, atol=1e-5)


def test_rejects_non_rgb(encoder):
    with pytest.raises(ValueError):
        encoder.embed(np.zeros((32, 32), np.uint8))


def test_recognises_the_macaws_in_kodim23(encoder):
    from cinemuse.train.paths import shared_data_dir
    from cinemuse.errors import UsageError

    try:
        path = shared_data_dir() / "images" / "kodak24" / "kodim23.png"
    except UsageError:
        pytest.skip("shared data folder not available")
    if not path.is_file():
        pytest.skip("kodim23 not available")
    from PIL import Image

    top = encoder.classify(np.asarray(Image.open(path).convert("RGB")), top=1)[0]
    assert top[0] == 88 and top[1] > 0.8  # ImageNet class 88 = macaw
