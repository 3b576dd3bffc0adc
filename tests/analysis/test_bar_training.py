"""The beat-level downbeat network's labels, fit and export (cinemuse.train.bars)."""

from __future__ import annotations

import numpy as np
import pytest

from cinemuse.analysis import bar_net
from cinemuse.analysis.beat_net import open_session
from cinemuse.train import bars


def test_a_tracked_beat_is_a_downbeat_when_a_bar_start_lies_near_it():
    beats = np.arange(0.0, 10.0, 0.5)
    downbeats = np.array([0.05, 2.1, 4.0, 6.3, 20.0])  # 6.3 is 0.6 of a beat from 6.0 and 6.5
    y = bars.downbeat_labels(beats, downbeats)
    assert list(np.flatnonzero(y)) == [0, 4, 8]
    assert bars.downbeat_labels(beats[:1], downbeats).tolist() == [0.0]


def test_fit_and_export_match_and_learn_a_planted_pattern(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    rng = np.random.default_rng(0)

    def row(n):  # feature 0 marks every fourth beat, which is the downbeat
        x = rng.normal(size=(n, bar_net.N_FEATURES)).astype(np.float32)
        phase = int(rng.integers(4))
        y = (np.arange(n) % 4 == phase).astype(np.float32)
        x[:, 0] += 3.0 * y
        return {"x": x, "y": y}

    train = [row(int(rng.integers(20, 60))) for _ in range(48)]
    model, history = bars.fit(train, train[:8], epochs=30, log=lambda _: None)
    assert history[-1]["train"] < history[0]["train"]
    summary = bars.export_onnx(model, tmp_path / "bars.onnx")
    assert summary["onnx_max_diff"] < 1e-4 and not list(tmp_path.glob(".*part"))
    test = row(40)
    logits = bar_net.downbeat_logits(test["x"], session=open_session(tmp_path / "bars.onnx"))
    assert logits[test["y"] == 1].mean() > logits[test["y"] == 0].mean() + 1.0
