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


def test_patch_count_is_what_a_stream_finds():
    mel_basis = tags.load_tagger()[2]
    for n in (0, 100, tags.PATCH_SAMPLES - tags.N_FFT - 1, tags.PATCH_SAMPLES - tags.N_FFT,
              tags.SR * 7, tags.SR * 7 + 17, tags.PATCH_STEP * 5 + tags.PATCH_SAMPLES - tags.N_FFT):
        reservoir = tags.PatchReservoir(tags.SR, max_patches=None)
        reservoir.feed(np.zeros(n, np.float32))
        reservoir.finish(mel_basis)
        assert reservoir.next_patch == tags.patch_count(n), n


def test_plan_spreads_patches_from_first_to_last():
    assert tags.plan_patches(5, 8) == [0, 1, 2, 3, 4]
    assert tags.plan_patches(100, 4) == [0, 33, 66, 99]
    assert tags.plan_patches(100, None) == list(range(100))
    assert tags.plan_patches(0, 8) == []


def _song(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(tags.SR * seconds)
    return (rng.standard_normal(n) * np.linspace(0.02, 0.4, n)).astype(np.float32)


def test_planned_patches_are_handed_out_as_read():
    y = _song(100, 5)  # 33 patches: more than the stride-kept set holds
    want = _whole_song_patches(y)
    handed: list[int] = []
    reservoir = tags.PatchReservoir(tags.SR, max_patches=8, expected_samples=len(y),
                                    on_patch=lambda k, samples: handed.append(k))
    for start in range(0, len(y), 30000):
        reservoir.feed(y[start:start + 30000])
        assert handed == [k for k in reservoir.planned if k < reservoir.next_patch]
    got = reservoir.finish(tags.load_tagger()[2])
    assert reservoir.as_planned and reservoir.chosen == handed == tags.plan_patches(33, 8)
    assert np.abs(got - want[reservoir.chosen]).max() < 1e-4


@pytest.mark.parametrize("factor", [0.5, 2.0])
def test_a_wrongly_stated_length_falls_back_to_the_patches_kept(factor):
    y = _song(100, 6)
    want = _whole_song_patches(y)
    reservoir = tags.PatchReservoir(tags.SR, max_patches=8, expected_samples=int(len(y) * factor),
                                    on_patch=lambda k, samples: None)
    for start in range(0, len(y), 65536):
        reservoir.feed(y[start:start + 65536])
    got = reservoir.finish(tags.load_tagger()[2])
    assert not reservoir.as_planned
    assert len(reservoir.chosen) == 8 and reservoir.chosen[-1] >= 24
    assert np.abs(got - want[reservoir.chosen]).max() < 1e-4


def _tag_difference(a: tags.SongTags, b: tags.SongTags) -> float:
    return max(abs(a.probabilities[m][t] - b.probabilities[m][t])
               for m in tags.MODELS for t in a.probabilities[m])


@pytest.mark.parametrize("stated", [1.0, 0.5, 2.0, None])
def test_analyze_tags_what_tag_song_tags(tmp_path, monkeypatch, stated):
    """analyze tags the patches of the song as it streams; a wrong or missing length in the
    container only changes how (the patches kept), not what (a 40-s song: 13 patches)."""
    from cinemuse.io import audio as audio_io
    from cinemuse.pipelines.analyze import analyze_file

    rng = np.random.default_rng(7)
    t = np.arange(44100 * 40) / 44100
    y = (0.3 * np.sin(2 * np.pi * 220 * t * (1 + 0.5 * (t > 20))) + 0.05 * rng.standard_normal(t.size))
    path = tmp_path / "song.wav"
    audio_io.write_audio(path, y.astype(np.float32), 44100)
    if stated != 1.0:
        true = audio_io.stated_samples(path, sample_rate=44100)
        monkeypatch.setattr(audio_io, "stated_samples",
                            lambda p, sample_rate: None if stated is None else int(true * stated))
    got = analyze_file(path).tags
    want = tags.tag_song(audio_io.read_audio(path, sample_rate=44100), 44100)
    assert got.patches == want.patches == 8
    assert got.genre == want.genre
    assert _tag_difference(got, want) < 1e-5


def test_long_analyzed_song_is_tagged_as_tag_song_tags_it(tmp_path):
    from cinemuse.io import audio as audio_io
    from cinemuse.pipelines.analyze import analyze_file

    rng = np.random.default_rng(8)
    y = (rng.standard_normal(44100 * 70) * 0.1).astype(np.float32)  # 23 patches
    path = tmp_path / "long.flac"
    audio_io.write_audio(path, y, 44100)
    got = analyze_file(path).tags
    want = tags.tag_song(audio_io.read_audio(path, sample_rate=44100), 44100)
    assert got.patches == want.patches == 8
    assert _tag_difference(got, want) < 1e-5


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


def test_a_stereo_song_with_one_channel_inverted_is_tagged_as_the_song():
    """L = -R: the tagger hears what the two speakers play, not the silence of their mean."""
    sr = 44100
    t = np.arange(sr * 10) / sr
    y = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 2 * t)) / 2).astype(np.float32)
    upright = tags.tag_song(np.stack([y, y], axis=1), sr)
    inverted = tags.tag_song(np.stack([y, -y], axis=1), sr)
    assert _tag_difference(upright, inverted) < 1e-5
