"""Restoration steps on synthetic damage: each must measurably help."""

import numpy as np
import pytest

from cinemuse.vision import restore as R
from cinemuse.vision.color import delta_e_2000, psnr, rgb_to_lab


def _photo(h=128, w=160, seed=0):
    """Smooth shapes and gradients: a stand-in photo without fine texture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([60 + 120 * x / w, 80 + 100 * y / h, 150 - 60 * x / w], -1)
    for _ in range(4):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(10, 30)
        img[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = rng.uniform(30, 220, 3)
    import cv2

    return np.clip(cv2.GaussianBlur(img, (0, 0), 1.0), 0, 255).astype(np.uint8)


def test_denoise_improves_psnr_on_a_noisy_picture():
    clean = _photo()
    rng = np.random.default_rng(1)
    noisy = np.clip(clean + rng.normal(0, 20, clean.shape), 0, 255).astype(np.uint8)
    assert 15 < R.estimate_noise_sigma(noisy) < 25
    assert R.estimate_noise_sigma(clean) < 3
    assert psnr(R.denoise(noisy), clean) > psnr(noisy, clean) + 3


def test_negative_development_inverts_and_removes_the_orange_mask():
    clean = _photo(seed=2)
    neg = R.simulate_colour_negative(clean, rng=np.random.default_rng(0), rebate=True)
    assert R.negative_likelihood(neg) >= 0.8 > R.negative_likelihood(clean)
    pos = R.develop_negative(neg)
    inner = (slice(8, -8), slice(8, -8))
    de = delta_e_2000(rgb_to_lab(pos[inner]), rgb_to_lab(clean[inner])).mean()
    de_neg = delta_e_2000(rgb_to_lab(neg[inner]), rgb_to_lab(clean[inner])).mean()
    assert de < 20 and de < de_neg / 2
    # bright things in the scene are dense on the film: the development must invert
    g_clean = clean[inner].mean(2).ravel()
    g_pos = pos[inner].mean(2).ravel()
    assert np.corrcoef(g_clean, g_pos)[0, 1] > 0.9


def test_bw_negative_gives_a_grey_positive():
    clean = _photo(seed=3)
    neg = 255 - clean.mean(2, keepdims=True).repeat(3, 2).astype(np.uint8)
    pos = R.develop_negative(neg, kind="bw")
    assert np.all(pos[..., 0] == pos[..., 1])
    assert np.corrcoef(pos[..., 0].ravel(), clean.mean(2).ravel())[0, 1] > 0.9


def test_scratches_and_dust_are_found_and_painted_out():
    import cv2

    clean = _photo(seed=4)
    bad = clean.copy()
    cv2.line(bad, (50, 5), (53, 120), (240, 240, 240), 1)
    for c in [(20, 20), (100, 60), (140, 100)]:
        cv2.circle(bad, c, 2, (10, 10, 10), -1)
    mask = R.detect_defects(bad)
    assert mask[60, 51] or mask[60, 52]
    assert mask[20, 20] and mask[60, 100]
    fixed, _ = R.remove_defects(bad)
    assert psnr(fixed, clean) > psnr(bad, clean) + 3


def test_missing_block_is_detected_and_filled():
    clean = _photo(seed=5)
    bad = clean.copy()
    bad[40:70, 60:100] = 0
    mask = R.detect_missing_regions(bad)
    assert mask[50:60, 70:90].all() and mask.mean() < 0.1
    filled, _ = R.fill_missing(bad)
    assert psnr(filled, clean) > psnr(bad, clean) + 5


def test_auto_levels_stretches_a_flat_picture():
    clean = _photo(seed=6)
    flat = (60 + clean.astype(np.float32) * 0.5).astype(np.uint8)
    out = R.auto_levels(flat)
    assert out.max() >= 250 and out.min() <= 5


def test_auto_plan_reacts_to_what_is_wrong():
    clean = _photo(seed=7)
    rng = np.random.default_rng(0)
    noisy = np.clip(clean + rng.normal(0, 15, clean.shape), 0, 255).astype(np.uint8)
    assert "denoise" in R.plan_steps(R.analyse(noisy))
    assert "denoise" not in R.plan_steps(R.analyse(clean))
    neg = R.simulate_colour_negative(clean, rng=rng)
    assert R.plan_steps(R.analyse(neg))[0] == "negative"


def test_develop_negative_rejects_unknown_kind():
    with pytest.raises(ValueError):
        R.develop_negative(_photo(), kind="slide")
