"""Count-based baseline: an interpolated Kneser-Ney n-gram over melody tokens.

The same tokens as the learned model (:mod:`cinemuse.music.tokens`); every segment is scored on
its own, its first tokens conditioned on ``BOS`` padding, exactly as the autoencoder's decoder
starts from nothing but its latent. Counting is vectorised with numpy: an n-gram of tokens
(< 64 symbols) is packed into one int64 code, 6 bits per token, so n <= 10.

Interpolated Kneser-Ney (Chen & Goodman 1998) with one absolute discount per order,
``D = n1 / (n1 + 2 n2)``; the highest order uses raw counts, lower orders continuation counts
(the number of distinct left extensions), and the lowest order is interpolated with a uniform
distribution, so every token has non-zero probability and each conditional distribution sums to 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cinemuse.music.tokens import VOCAB_SIZE

_BITS = 6
BOS = VOCAB_SIZE  # a padding symbol outside the vocabulary


def _codes(windows: np.ndarray) -> np.ndarray:
    """Pack rows of tokens (m, k) into int64 codes (m,)."""
    code = np.zeros(len(windows), dtype=np.int64)
    for j in range(windows.shape[1]):
        code = (code << _BITS) | windows[:, j].astype(np.int64)
    return code


@dataclass
class _Order:
    """Tables for one order k: n-gram codes with their (continuation) counts, and the contexts."""

    gram_codes: np.ndarray
    gram_counts: np.ndarray
    ctx_codes: np.ndarray
    ctx_totals: np.ndarray
    ctx_types: np.ndarray
    discount: float


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(keys, query)
    idx = np.minimum(idx, len(keys) - 1)
    hit = keys[idx] == query if len(keys) else np.zeros(len(query), bool)
    return np.where(hit, values[idx] if len(keys) else 0, 0)


@dataclass
class NGramModel:
    """Interpolated Kneser-Ney n-gram of order ``n`` over token sequences.

    Build with :meth:`fit`; :meth:`log_prob` scores sequences, :meth:`next_distribution` gives
    the full conditional distribution (for sampling), :meth:`sample` draws sequences.
    """

    n: int
    orders: list[_Order] = field(default_factory=list)

    @classmethod
    def fit(cls, sequences: np.ndarray, *, n: int) -> "NGramModel":
        """Count all 1..n-grams of ``sequences`` (S, T) int tokens."""
        if not 1 <= n <= 10:
            raise ValueError("n must be in 1..10")
        sequences = np.asarray(sequences, dtype=np.int64)
        padded = np.concatenate([np.full((len(sequences), n - 1), BOS, np.int64), sequences], axis=1)
        T = sequences.shape[1]
        model = cls(n=n)
        # all n-grams ending at each real token: (S*T, n)
        cols = np.stack([padded[:, j : j + T] for j in range(n)], axis=-1).reshape(-1, n)
        higher_unique = None
        for k in range(n, 0, -1):  # highest order first: lower orders need its unique grams
            grams = cols[:, n - k :]
            if k == n:
                codes, counts = np.unique(_codes(grams), return_counts=True)
            else:
                # continuation count: distinct left extensions of each k-gram
                drop_first = higher_unique & ((1 << (_BITS * k)) - 1)
                codes, counts = np.unique(drop_first, return_counts=True)
            higher_unique = codes
            ctx = codes >> _BITS
            ctx_codes, inverse = np.unique(ctx, return_inverse=True)
            totals = np.bincount(inverse, weights=counts).astype(np.int64)
            types = np.bincount(inverse).astype(np.int64)
            n1, n2 = np.sum(counts == 1), np.sum(counts == 2)
            discount = float(n1 / (n1 + 2 * n2)) if n1 + n2 > 0 else 0.5
            model.orders.insert(0, _Order(codes, counts, ctx_codes, totals, types, discount))
        return model

    def _prob_rows(self, contexts: np.ndarray, words: np.ndarray) -> np.ndarray:
        """P(word | context) for rows of contexts (m, n-1) (BOS-padded) and words (m,)."""
        m = len(words)
        prob = np.full(m, 1.0 / VOCAB_SIZE)
        for k in range(1, self.n + 1):
            order = self.orders[k - 1]
            ctx = contexts[:, self.n - k :] if k > 1 else np.zeros((m, 0), np.int64)
            ctx_code = _codes(ctx)
            gram_code = (ctx_code << _BITS) | words
            count = _lookup(order.gram_codes, order.gram_counts, gram_code)
            total = _lookup(order.ctx_codes, order.ctx_totals, ctx_code)
            types = _lookup(order.ctx_codes, order.ctx_types, ctx_code)
            safe = np.maximum(total, 1)
            mixed = (np.maximum(count - order.discount, 0) + order.discount * types * prob) / safe
            prob = np.where(total > 0, mixed, prob)
        return prob

    def log_prob(self, sequences: np.ndarray) -> np.ndarray:
        """Natural-log probability of every token, (S, T), each sequence starting after BOS padding."""
        sequences = np.asarray(sequences, dtype=np.int64)
        S, T = sequences.shape
        padded = np.concatenate([np.full((S, self.n - 1), BOS, np.int64), sequences], axis=1)
        ctx = np.stack([padded[:, j : j + T] for j in range(self.n - 1)] or [np.zeros((S, T), np.int64)], axis=-1)
        ctx = ctx.reshape(S * T, -1)[:, : self.n - 1]
        return np.log(self._prob_rows(ctx, sequences.reshape(-1))).reshape(S, T)

    def next_distribution(self, context: np.ndarray) -> np.ndarray:
        """(VOCAB_SIZE,) probabilities of the next token after ``context`` (1-D, any length)."""
        context = np.asarray(context, dtype=np.int64)[-(self.n - 1) :] if self.n > 1 else np.zeros(0, np.int64)
        ctx = np.concatenate([np.full(self.n - 1 - len(context), BOS, np.int64), context])
        rows = np.repeat(ctx[None, :], VOCAB_SIZE, axis=0)
        return self._prob_rows(rows, np.arange(VOCAB_SIZE, dtype=np.int64))

    def sample(self, length: int, *, rng: np.random.Generator, temperature: float = 1.0) -> np.ndarray:
        """One token sequence (length,) drawn from the model, starting after BOS padding."""
        out: list[int] = []
        for _ in range(length):
            p = self.next_distribution(np.array(out, dtype=np.int64))
            if temperature != 1.0:
                p = np.exp(np.log(p) / temperature)
                p /= p.sum()
            out.append(int(rng.choice(VOCAB_SIZE, p=p)))
        return np.array(out, dtype=np.int64)

    def bits_per_token(self, sequences: np.ndarray) -> float:
        """Mean negative log2-likelihood per token of ``sequences`` (S, T)."""
        return float(-self.log_prob(sequences).mean() / np.log(2))
