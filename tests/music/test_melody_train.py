"""Training the melody VAE end to end on a tiny synthetic corpus (needs torch; slow)."""

import numpy as np
import pytest

from cinemuse.music import tokens as tk
from cinemuse.music.melody_model import MelodyModel

pytestmark = pytest.mark.slow


def _synthetic_tunes(n=120, seed=0):
    from cinemuse.train.corpus import Tune

    rng = np.random.default_rng(seed)
    tunes = []
    for i in range(n):
        step = int(rng.choice([2, 4]))
        starts = np.arange(0, 8 * 16, step)
        pitches = 60 + np.array([0, 2, 4, 5, 7, 9, 11, 12])[rng.integers(0, 8, len(starts))]
        notes = np.stack([pitches, starts, np.full(len(starts), step)], axis=1).astype(np.int16)
        tunes.append(Tune(f"synthetic/{i}", 0, notes))
    return tunes


def test_train_writes_a_model_the_numpy_runtime_loads(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    from cinemuse.train import corpus as corpus_mod
    from cinemuse.train import melody

    monkeypatch.setattr(corpus_mod, "corpus", lambda data_dir=None, progress=None: _synthetic_tunes())
    cfg = melody.Config(enc_hidden=32, dec_hidden=48, latent_dim=8, embed_dim=16, steps=60, anneal_steps=20, batch_size=32)
    result = melody.train(output=tmp_path, seed=0, config=cfg)
    assert result["train_segments"] > 100
    history = result["history"]
    assert np.isfinite(result["validation"]["elbo_bits_per_token"])
    model = MelodyModel.load(tmp_path / "melody_vae.safetensors")
    assert model.latent_dim == 8
    notes = model.decode(model.sample_latent(np.random.default_rng(0)), rng=np.random.default_rng(0))
    assert all(tk.PITCH_MIN <= n.pitch <= tk.PITCH_MAX for n in notes)
    # training lowered the loss it started from (uniform guessing is log2(V) bits per token)
    assert history[-1]["recon_bits_per_token"] < np.log2(tk.VOCAB_SIZE)
