"""Colour helpers: CIEDE2000 against published values, Lab round trip, colourfulness."""

import numpy as np

from cinemuse.vision.color import colourfulness, delta_e_2000, lab_to_rgb, rgb_to_lab, to_grey


def test_ciede2000_matches_sharma_test_data():
    # pairs 1, 7 and 17 of Sharma, Wu & Dalal (2005), Table 1
    lab1 = np.array([[50.0, 2.6772, -79.7751], [50.0, 0.0, 0.0], [50.0, 2.5, 0.0]])
    lab2 = np.array([[50.0, 0.0, -82.7485], [50.0, -1.0, 2.0], [73.0, 25.0, -18.0]])
    np.testing.assert_allclose(delta_e_2000(lab1, lab2), [2.0425, 2.3669, 27.1492], atol=1e-4)


def test_lab_round_trip_and_grey():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (16, 16, 3)).astype(np.uint8)
    assert np.abs(lab_to_rgb(rgb_to_lab(rgb)).astype(int) - rgb).max() <= 1
    grey = to_grey(rgb)
    assert np.abs(rgb_to_lab(grey)[..., 1:]).max() < 1.0
    assert colourfulness(grey) < 1.0 < colourfulness(rgb)
