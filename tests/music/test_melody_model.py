"""The shipped melody VAE, run in numpy: loads, decodes in key, deterministic, steerable."""

import numpy as np
import pytest

from cinemuse.music import tokens as tk
from cinemuse.music.melody_model import MelodyModel, MelodyNote


@pytest.fixture(scope="module")
def model():
    return MelodyModel.load()


def test_shipped_model_has_the_interface(model):
    assert model.bars_per_segment == 2
    assert 16 <= model.latent_dim <= 128
    assert set(model.attribute_vectors) >= {"density", "register", "mode", "rhythm"}
    for v in model.attribute_vectors.values():
        assert v.shape == (model.latent_dim,) and np.isfinite(v).all() and np.linalg.norm(v) > 0


def test_decodes_valid_notes_in_key(model):
    rng = np.random.default_rng(0)
    notes = []
    for _ in range(20):
        seg = model.decode(model.sample_latent(rng), rng=rng, temperature=0.8)
        for n in seg:
            assert isinstance(n, MelodyNote)
            assert 0 <= n.start < 32 and n.start + n.duration <= 32
            assert tk.PITCH_MIN <= n.pitch <= tk.PITCH_MAX
        notes += seg
    assert len(notes) >= 20 * 2
    in_key = np.mean([n.pitch % 12 in tk.C_MAJOR_PCS for n in notes])
    assert in_key >= 0.9


def test_decode_is_deterministic_given_the_rng(model):
    z = model.sample_latent(np.random.default_rng(5))
    a = model.decode(z, rng=np.random.default_rng(1), temperature=1.0)
    b = model.decode(z, rng=np.random.default_rng(1), temperature=1.0)
    assert a == b
    assert model.decode(z, rng=None, temperature=0) == model.decode(z, rng=None, temperature=0)


def test_encode_then_decode_reconstructs_a_simple_tune(model):
    tune = [MelodyNote(p, 4 * i, 4) for i, p in enumerate([60, 62, 64, 65, 67, 65, 64, 62])]
    z = model.encode(tune)
    assert z.shape == (model.latent_dim,)
    out = model.decode(z, rng=None, temperature=0)
    starts = {n.start for n in out}
    # most onsets come back where they were
    assert len(starts & {n.start for n in tune}) >= 5


def test_attribute_vectors_move_density_and_register(model):
    rng = np.random.default_rng(2)
    z = np.stack([model.sample_latent(rng) for _ in range(16)])
    for name, attr in (("density", "density"), ("register", "register")):
        v = model.attribute_vectors[name]
        low = [tk.segment_attributes(t)[attr] for t in model.decode_tokens(z - 2 * v, temperature=0)]
        high = [tk.segment_attributes(t)[attr] for t in model.decode_tokens(z + 2 * v, temperature=0)]
        assert np.nanmean(high) > np.nanmean(low), name


def test_numpy_runtime_matches_torch(tmp_path):
    torch = pytest.importorskip("torch")
    from cinemuse.train.melody import Config, MelodyVAE, export

    torch.manual_seed(0)
    cfg = Config(enc_hidden=16, dec_hidden=24, latent_dim=8, embed_dim=8)
    net = MelodyVAE(cfg).eval()
    attrs = {name: np.ones(8, np.float32) for name in tk.ATTRIBUTES}
    path = tmp_path / "m.safetensors"
    export(net, cfg, attrs, path, {})
    m = MelodyModel.load(path)
    x = np.random.default_rng(0).integers(0, tk.VOCAB_SIZE, (3, 32))
    with torch.no_grad():
        mu_t, lv_t = net.encode(torch.from_numpy(x))
        logits = net.decode_logits(torch.from_numpy(x), mu_t)
        lp_t = torch.log_softmax(logits, -1).gather(2, torch.from_numpy(x)[..., None])[..., 0]
    mu, lv = m.encode_tokens(x)
    assert np.allclose(mu, mu_t.numpy(), atol=1e-4) and np.allclose(lv, lv_t.numpy(), atol=1e-4)
    assert np.allclose(m.token_log_probs(x, mu), lp_t.numpy(), atol=1e-4)
