"""The converted musicnn taggers against outputs of the original TensorFlow graph.

``data/tagger_reference.json`` holds the original's outputs, written by
``benchmarks/bench_tagger.py --write-reference`` (which needs TensorFlow); these tests need
only onnxruntime, so CI checks the conversion without TensorFlow.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cinemuse.analysis import tags
from cinemuse.train.tagger import random_patches

REFERENCE = json.loads((Path(__file__).parent / "data" / "tagger_reference.json").read_text())
RECORDINGS = Path(__file__).resolve().parents[3] / "shared" / "data" / "music" / "recordings"


def test_labels_are_the_originals():
    labels = tags.load_tagger()[1]
    for model in tags.MODELS:
        assert list(labels[model]) == REFERENCE["labels"][model]
        assert len(labels[model]) == 50


def test_matches_the_original_on_fixed_patches():
    got = tags.run_tagger(random_patches())
    for model in tags.MODELS:
        want = np.array(REFERENCE["random"][model])
        assert got[model].shape == want.shape == (4, 50)
        assert np.abs(got[model] - want).max() < 1e-4
        assert want.std() > 0.01  # the patches do move the tags (not a constant output)


@pytest.mark.skipif(not RECORDINGS.is_dir(), reason="shared recordings not available")
@pytest.mark.parametrize("name", sorted(REFERENCE["recordings"]))
def test_matches_the_original_on_recordings(name):
    from cinemuse.io.audio import read_audio

    mel_basis = tags.load_tagger()[2]
    samples = read_audio(RECORDINGS / name, sample_rate=44100)
    patches = tags.song_patches(samples, 44100, mel_basis, max_patches=None)
    ref = REFERENCE["recordings"][name]
    n = len(ref["msd"]["first_patches"])
    got = tags.run_tagger(patches[:n])
    for model in tags.MODELS:
        assert np.abs(got[model] - np.array(ref[model]["first_patches"])).max() < 1e-3


def _whole_song_patches(y16k: np.ndarray) -> np.ndarray:
    mel = tags.log_mel(y16k, tags.load_tagger()[2])
    n = mel.shape[0] // tags.PATCH_FRAMES
    return mel[: n * tags.PATCH_FRAMES].reshape(n, tags.PATCH_FRAMES, tags.N_MELS)


def test_streamed_patches_equal_the_whole_song_computation():
    rng = np.random.default_rng(3)
    y = (rng.standard_normal(tags.SR * 40) * np.linspace(0.01, 0.5, tags.SR * 40)).astype(np.float32)
    want = _whole_song_patches(y)
    reservoir = tags.PatchReservoir(tags.SR, max_patches=None)
    for start in range(0, len(y), 10000):  # blocks that do not line up with patches
        reservoir.feed(y[start:start + 10000])
    got = reservoir.finish(tags.load_tagger()[2])
    assert got.shape == want.shape == (13, 187, 96)
    assert np.abs(got - want).max() < 1e-4


def test_long_song_keeps_few_patches_spread_over_it():
    rng = np.random.default_rng(4)
    y = (rng.standard_normal(tags.SR * 300) * 0.1).astype(np.float32)  # 100 patches
    want = _whole_song_patches(y)
    reservoir = tags.PatchReservoir(tags.SR, max_patches=4)
    most = 0
    for start in range(0, len(y), 65536):
        reservoir.feed(y[start:start + 65536])
        most = max(most, len(reservoir.kept))
    got = reservoir.finish(tags.load_tagger()[2])
    assert most <= 8  # bounded memory: at most 2 * max_patches patches held
    assert got.shape == (4, 187, 96)
    chosen = reservoir.chosen
    assert chosen[0] == 0 and chosen[-1] >= 80 and all(np.diff(chosen) >= 20)
    assert np.abs(got - want[chosen]).max() < 1e-4


def test_short_clip_is_repeat_padded():
    sr = 44100
    t = np.arange(int(sr * 1.2)) / sr
    y = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    result = tags.tag_song(y, sr)
    assert result.patches == 1
    for model in tags.MODELS:
        probs = np.array(list(result.probabilities[model].values()))
        assert probs.shape == (50,) and np.all((probs >= 0) & (probs <= 1))
    assert result.genre in tags.GENRE_FAMILIES
    assert result.genre_scores[result.genre] == max(result.genre_scores.values())
    d = result.to_dict()
    assert d["genre"] == result.genre and len(d["msd"]) == 50 and d["patches"] == 1


def test_runtime_needs_no_tensorflow_or_torch():
    code = (
        "import sys, numpy as np\n"
        "from cinemuse.analysis.tags import tag_song\n"
        "y = np.random.default_rng(0).standard_normal(44100 * 4).astype(np.float32) * 0.1\n"
        "tag_song(y, 44100)\n"
        "print([m for m in ('tensorflow', 'torch', 'librosa', 'keras') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
