"""Kneser-Ney n-gram baseline over melody tokens."""

import numpy as np
import pytest

from cinemuse.music import tokens as tk
from cinemuse.music.ngram import NGramModel


def _toy_sequences(n=300, seed=0):
    rng = np.random.default_rng(seed)
    seqs = np.full((n, 32), tk.HOLD)
    for s in seqs:  # a note every 4 steps, a random walk on the C-major scale
        degree = rng.integers(0, 7)
        for t in range(0, 32, 4):
            degree = int(np.clip(degree + rng.integers(-1, 2), 0, 13))
            pitch = 60 + [0, 2, 4, 5, 7, 9, 11][degree % 7] + 12 * (degree // 7)
            s[t] = tk.PITCH_OFFSET + pitch - tk.PITCH_MIN
    return seqs


@pytest.mark.parametrize("n", [1, 2, 4, 7])
def test_conditional_distributions_sum_to_one(n):
    model = NGramModel.fit(_toy_sequences(), n=n)
    for context in ([], [tk.HOLD], [20, tk.HOLD, tk.HOLD, tk.HOLD], [5, 6, 7, 8, 9, 10, 11, 12]):
        p = model.next_distribution(np.array(context, dtype=np.int64))
        assert p.shape == (tk.VOCAB_SIZE,)
        assert (p > 0).all()
        assert abs(p.sum() - 1.0) < 1e-9


def test_log_prob_matches_next_distribution():
    seqs = _toy_sequences()
    model = NGramModel.fit(seqs, n=3)
    lp = model.log_prob(seqs[:1])[0]
    for t in (0, 1, 5, 17):
        p = model.next_distribution(seqs[0, :t])
        assert np.isclose(np.exp(lp[t]), p[seqs[0, t]])


def test_higher_order_learns_the_structure_better():
    train, held = _toy_sequences(seed=0), _toy_sequences(n=50, seed=1)
    bits = [NGramModel.fit(train, n=n).bits_per_token(held) for n in (1, 5)]
    assert bits[1] < 0.6 * bits[0]


def test_sampling_is_deterministic_for_a_seed():
    model = NGramModel.fit(_toy_sequences(), n=4)
    a = model.sample(32, rng=np.random.default_rng(3))
    b = model.sample(32, rng=np.random.default_rng(3))
    assert np.array_equal(a, b)
    assert ((a == tk.HOLD) | (a >= tk.PITCH_OFFSET) | (a == tk.REST)).all()
