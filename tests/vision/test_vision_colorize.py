"""Colourisation: automatic colour on a small picture, reference transfer, video consistency."""

import numpy as np
import pytest

from cinemuse.vision.color import (
    colourfulness,
    delta_e_2000,
    luminance,
    rgb_to_lab,
    to_grey,
)


def _landscape(h=96, w=128, seed=0):
    """Blue sky over green grass with a little texture: a picture with obvious colours."""
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.float32)
    y = np.arange(h)[:, None]
    sky = y < h // 2
    img[..., 0] = np.where(sky, 110, 70)
    img[..., 1] = np.where(sky, 160, 140)
    img[..., 2] = np.where(sky, 235, 50)
    img += rng.normal(0, 6, (h, w, 1))
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def colorizer():
    from cinemuse.vision.colorize import Colorizer

    return Colorizer.load()


def test_automatic_colour_keeps_size_and_lightness_and_is_not_grey(colorizer):
    from cinemuse.vision.colorize import colorize_image

    grey = to_grey(_landscape(90, 130))  # not a multiple of 32: padding must be undone
    out = colorize_image(grey, colorizer=colorizer)
    assert out.shape == grey.shape and out.dtype == np.uint8
    # lightness preserved (up to 8-bit rounding and gamut clipping)
    assert np.abs(luminance(out) - luminance(grey)).mean() < 2.0
    assert colourfulness(out) > 5.0 > colourfulness(grey)


def test_automatic_colour_is_deterministic(colorizer):
    from cinemuse.vision.colorize import colorize_image

    grey = to_grey(_landscape())
    np.testing.assert_array_equal(colorize_image(grey, colorizer=colorizer), colorize_image(grey, colorizer=colorizer))


def test_reference_moves_colours_toward_the_reference(colorizer):
    from cinemuse.vision.colorize import colorize_image

    truth = _landscape(seed=1)
    # the reference: the same kind of scene (light sky over darker ground, same tones),
    # but with a pink sky and a brown-orange ground
    ref = _landscape(seed=2).astype(np.float32)
    sky = np.arange(ref.shape[0]) < ref.shape[0] // 2
    ref[sky] = ref[sky] - ref[sky].mean((0,), keepdims=True) + (235, 150, 220)
    ref[~sky] = ref[~sky] - ref[~sky].mean((0,), keepdims=True) + (170, 95, 30)
    ref = np.clip(ref, 0, 255).astype(np.uint8)
    grey = to_grey(truth)
    auto = colorize_image(grey, colorizer=colorizer)
    guided = colorize_image(grey, colorizer=colorizer, references=[ref])
    target = rgb_to_lab(ref)
    # compare per region: the guided colours are nearer the reference's than the automatic ones
    for region in (slice(0, 40), slice(56, 96)):
        t = target[region].reshape(-1, 3).mean(0)
        d_auto = delta_e_2000(rgb_to_lab(auto)[region].reshape(-1, 3).mean(0), t)
        d_guided = delta_e_2000(rgb_to_lab(guided)[region].reshape(-1, 3).mean(0), t)
        assert d_guided < d_auto


def test_video_colour_is_steadier_than_per_frame(colorizer):
    from cinemuse.vision.colorize import VideoOptions, colorize_frames

    rng = np.random.default_rng(3)
    base = to_grey(_landscape(160, 220, seed=4))
    frames = []
    for i in range(6):  # a slow pan with fresh grain on every frame
        f = base[:, i * 2 : i * 2 + 160].astype(np.float32) + rng.normal(0, 8, (160, 160, 1))
        frames.append(np.clip(f, 0, 255).astype(np.uint8))
    opts = VideoOptions(work_side=160, key_interval=4)
    temporal = list(colorize_frames(frames, colorizer=colorizer, options=opts))
    per_frame = list(colorize_frames(frames, colorizer=colorizer, options=opts, per_frame=True))

    def flicker(outs):
        ab = [rgb_to_lab(o)[..., 1:] for o in outs]
        return np.mean([np.abs(ab[i + 1][:, :-2] - ab[i][:, 2:]).mean() for i in range(len(ab) - 1)])

    assert len(temporal) == len(frames) and temporal[0].shape == frames[0].shape
    assert flicker(temporal) < flicker(per_frame)


def test_shrinkage_falls_back_to_the_mean_where_unsure():
    from cinemuse.vision.colorize import shrink_chroma

    mean = np.array([2.0, 8.0], np.float32)
    ab = np.full((2, 3, 2), 40.0, np.float32)
    confidence = np.array([[0.0, 0.25, 0.5], [0.5, 0.75, 1.0]], np.float32)
    out = shrink_chroma(ab, confidence, mean=mean, knots=np.array([0.0, 0.5, 1.0]), gains=np.array([0.0, 0.5, 1.0]))
    np.testing.assert_allclose(out[0, 0], mean)  # unsure: the average colour
    np.testing.assert_allclose(out[1, 2], ab[1, 2])  # sure: the prediction as it is
    np.testing.assert_allclose(out[0, 1], mean + 0.25 * (40.0 - mean), rtol=1e-6)  # linear between knots
    # one gain for every pixel when no table is given
    np.testing.assert_allclose(shrink_chroma(ab, confidence, mean=mean, gain=0.5), np.broadcast_to(mean + 0.5 * (40.0 - mean), ab.shape))


def test_fitted_shrinkage_recovers_a_known_confidence_dependent_gain():
    from cinemuse.train.colorize import fit_shrinkage

    rng = np.random.default_rng(0)
    mean = np.array([1.0, 5.0])
    knots = np.array([0.0, 0.5, 1.0])
    true_gains = np.array([0.1, 0.6, 0.9])
    samples = []
    for _ in range(3):
        conf = rng.uniform(0, 1, 4000)
        pred = mean + rng.normal(0, 20, (4000, 2))
        truth = mean + np.interp(conf, knots, true_gains)[:, None] * (pred - mean) + rng.normal(0, 3, (4000, 2))
        samples.append((pred, conf, truth))
    np.testing.assert_allclose(fit_shrinkage(samples, mean, knots), true_gains, atol=0.03)
    single = fit_shrinkage(samples, mean, None)
    assert single.shape == (1,) and 0.4 < single[0] < 0.8


def test_validation_split_keeps_every_subject_on_one_side():
    from pathlib import Path

    from cinemuse.train.colorize import Config, split_by_subject, subject_of

    paths = [Path(f"images/dreambooth/{s}__{i:02d}.jpg") for s in ("dog", "cat", "vase", "can", "clock") for i in range(4)]
    paths += [Path(f"images/wikimedia49/{i:03d}.jpg") for i in range(1, 9)]
    train, val = split_by_subject(paths, Config(validation_subjects=2, validation_wikimedia=3), np.random.default_rng(0))
    assert sorted(train + val) == sorted(paths)
    assert not {subject_of(p) for p in train} & {subject_of(p) for p in val}
    assert sum(p.parent.name == "dreambooth" for p in val) == 8  # two whole subjects of four photos
    assert sum(p.parent.name == "wikimedia49" for p in val) == 3
