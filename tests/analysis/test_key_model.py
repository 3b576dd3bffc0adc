"""The shipped key model: it loads, it is transposition-equivariant, and clear cases come out right."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cinemuse.analysis.key_model import KeyModel, key_features, rotated_design
from cinemuse.analysis.song_features import extract_features
from tests.analysis.song_signals import SR, chord_click_song

MAJOR_CHORDS = ([0, 4, 7], [5, 9, 0], [7, 11, 2], [0, 4, 7])  # I IV V I
MINOR_CHORDS = ([0, 3, 7], [5, 8, 0], [7, 11, 2], [0, 3, 7])  # i iv V i (harmonic minor)


def cadence_chroma(tonic: int, minor: bool, frames_per_chord: int = 20):
    """(12, T) chroma and bass chroma of a cadence, one chord per block of frames."""
    chords = MINOR_CHORDS if minor else MAJOR_CHORDS
    chroma = np.full((12, frames_per_chord * len(chords)), 0.02)
    bass = np.full_like(chroma, 0.01)
    for i, chord in enumerate(chords):
        cols = slice(i * frames_per_chord, (i + 1) * frames_per_chord)
        for k, pc in enumerate(chord):
            chroma[(tonic + pc) % 12, cols] = 1.0 if k == 0 else 0.7
        bass[(tonic + chord[0]) % 12, cols] = 1.0
    return chroma, bass


@pytest.fixture(scope="module")
def model():
    return KeyModel.load()


def test_the_shipped_model_loads_once_and_fits_its_features(model):
    assert KeyModel.load() is model  # read from disk once per process
    assert model.weights.shape[0] == 2 and np.all(np.isfinite(model.weights))
    chroma, bass = cadence_chroma(0, False)
    design = model.design(chroma, bass)
    assert design.shape == (12, model.weights.shape[1])


def test_rotating_the_chroma_rotates_the_key(model):
    rng = np.random.default_rng(3)
    chroma = rng.gamma(1.0, size=(12, 200))
    bass = rng.gamma(1.0, size=(12, 200))
    tonic, mode, conf, p = model.estimate(chroma, bass)
    for k in range(1, 12):
        t2, m2, c2, p2 = model.estimate(np.roll(chroma, k, axis=0), np.roll(bass, k, axis=0))
        assert (t2, m2) == ((tonic + k) % 12, mode)
        assert c2 == pytest.approx(conf, abs=1e-9)
        # the 24 probabilities rotate with the input, majors and minors alike
        assert np.allclose(p2[:12], np.roll(p[:12], k)) and np.allclose(p2[12:], np.roll(p[12:], k))


def test_rotated_design_is_the_features_seen_from_each_tonic():
    rng = np.random.default_rng(0)
    chroma, bass = rng.random((12, 50)), rng.random((12, 50))
    names = ("chroma", "bass", "cooc")
    d = rotated_design(*key_features(chroma, bass, names=names))
    d_up = rotated_design(*key_features(np.roll(chroma, 5, axis=0), np.roll(bass, 5, axis=0), names=names))
    assert np.allclose(d_up[5], d[0]) and np.allclose(d_up[(5 + 7) % 12], d[7])


@pytest.mark.parametrize("tonic", [0, 2, 6, 9, 10])
@pytest.mark.parametrize("minor", [False, True])
def test_a_clear_cadence_in_chroma(model, tonic, minor):
    tonic_est, mode, conf, _ = model.estimate(*cadence_chroma(tonic, minor))
    assert (tonic_est, mode) == (tonic, "minor" if minor else "major")
    assert 0.0 < conf <= 1.0


@pytest.mark.parametrize("tonic, minor", [(9, True), (2, False), (7, False), (4, True)])
def test_a_rendered_cadence(model, tonic, minor):
    y, _ = chord_click_song(tempo=120.0, tonic=tonic, minor=minor, seconds=16.0)
    f = extract_features([y], SR)
    tonic_est, mode, conf, _ = model.estimate(f.chroma, f.bass_chroma)
    assert (tonic_est, mode) == (tonic, "minor" if minor else "major")
    assert 0.0 < conf <= 1.0


def test_silence_gives_an_answer_without_errors(model):
    tonic, mode, conf, p = model.estimate(np.zeros((12, 30)), np.zeros((12, 30)))
    assert 0 <= tonic < 12 and mode in ("major", "minor") and 0.0 <= conf <= 1.0
    assert p.sum() == pytest.approx(1.0)


def test_the_trainer_fits_cadences_and_writes_a_model_that_loads(tmp_path):
    """``cinemuse.train.key``: the fit learns both modes from a few noisy cadences."""
    pytest.importorskip("scipy")
    from cinemuse.train import key as trainer

    rng = np.random.default_rng(1)
    rows = []
    for i in range(48):
        tonic, minor = int(rng.integers(12)), bool(i % 2)
        chroma, bass = cadence_chroma(tonic, minor)
        rows.append({"chroma": chroma + rng.random(chroma.shape) * 0.3,
                     "bass_chroma": bass + rng.random(bass.shape) * 0.3,
                     "key": f"{trainer.PITCHES[tonic]} {'minor' if minor else 'major'}", "set": "synthetic"})
    features = ("chroma", "bass", "chords")
    w, bias = trainer.fit(trainer.designs(rows, features, 0.0),
                          np.array([trainer.key_index(r["key"]) for r in rows]), 1e-4)
    model = KeyModel(weights=w, minor_bias=bias, features=features)
    path = tmp_path / "key_model.json"
    path.write_text(json.dumps(model.to_payload()))
    loaded = KeyModel.from_json(path)
    for tonic, minor in [(3, False), (3, True), (11, True)]:
        t, mode, _, _ = loaded.estimate(*cadence_chroma(tonic, minor))
        assert (t, mode) == (tonic, "minor" if minor else "major")
    assert trainer.scores(rows[:2], [rows[0]["key"], rows[0]["key"]])["all"]["n"] == 2
    assert trainer.key_label(trainer.key_index("F# minor")) == "F# minor"


@pytest.mark.parametrize("gamma", [0.0, 5.0])
def test_features_reduced_a_chunk_at_a_time_equal_one_pass(gamma):
    """A long song's features are added up in chunks of frames; the chunk size (here one
    that does not divide the song, and frames of silence between) changes nothing."""
    rng = np.random.default_rng(5)
    n = 1000
    chroma = rng.gamma(1.0, size=(12, n)) * (rng.random(n) > 0.2)
    bass = rng.gamma(1.0, size=(12, n)) * (rng.random(n) > 0.5)
    whole = key_features(chroma, bass, gamma=gamma, chunk=n)
    chunked = key_features(chroma, bass, gamma=gamma, chunk=77)
    assert np.allclose(chunked[0], whole[0], atol=1e-12, rtol=0)
    for (a, sym_a), (b, sym_b) in zip(chunked[1], whole[1]):
        assert sym_a == sym_b and np.allclose(a, b, atol=1e-12, rtol=0)
    silent_bass = key_features(chroma, np.zeros((12, 0)), gamma=gamma, chunk=77)
    assert np.all(np.isfinite(silent_bass[0]))
