"""The learned melody model at run time: a 2-bar melody VAE evaluated in numpy (no torch).

A bidirectional GRU encoder maps a 2-bar melody (32 sixteenth-note tokens, see
:mod:`cinemuse.music.tokens`) to a Gaussian posterior over a latent vector ``z``; a GRU decoder,
its hidden state initialised from ``z`` and ``z`` fed at every step, generates the tokens
autoregressively. Trained by ``cinemuse train melody`` (:mod:`cinemuse.train.melody`); the weights
ship as ``assets/melody/melody_vae.safetensors`` with the config and the attribute vectors inside.

Usage::

    model = MelodyModel.load()
    rng = np.random.default_rng(0)
    z = model.sample_latent(rng)
    z = z + 1.5 * model.attribute_vectors["density"]      # busier melody
    notes = model.decode(z, rng=rng, temperature=0.8)      # list[MelodyNote]

Attribute vectors (mean latent of the top quartile minus the bottom quartile of training
segments by the attribute; adding a positive multiple raises the attribute):
``density`` (onsets per bar), ``register`` (mean pitch), ``mode`` (major-ness: + brighter /
major, - darker / minor), ``rhythm`` (share of off-beat onsets).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cinemuse.music import tokens as tk

ASSET_NAME = "melody/melody_vae.safetensors"


@dataclass(frozen=True)
class MelodyNote:
    """One melody note: C-relative MIDI ``pitch``, ``start`` and ``duration`` in 16th-note steps."""

    pitch: int
    start: int
    duration: int

    def __post_init__(self) -> None:
        if self.duration < 1 or self.start < 0:
            raise ValueError(f"bad MelodyNote {self}")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class _GRU:
    """One GRU layer with PyTorch's gate layout (r, z, n) and maths."""

    def __init__(self, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray):
        self.w_ih_t = np.ascontiguousarray(w_ih.T)  # (I, 3H)
        self.w_hh_t = np.ascontiguousarray(w_hh.T)  # (H, 3H)
        self.b_ih, self.b_hh = b_ih, b_hh
        self.hidden = w_hh.shape[1]

    def input_gates(self, x: np.ndarray) -> np.ndarray:
        """x (..., I) -> (..., 3H): the input half of the gates, computable for all steps at once."""
        return x @ self.w_ih_t + self.b_ih

    def step(self, gi: np.ndarray, h: np.ndarray) -> np.ndarray:
        """One step from precomputed input gates gi (B, 3H) and hidden h (B, H)."""
        H = self.hidden
        gh = h @ self.w_hh_t + self.b_hh
        r = _sigmoid(gi[:, :H] + gh[:, :H])
        u = _sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
        n = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
        return (1.0 - u) * n + u * h


class MelodyModel:
    """Numpy inference for the shipped melody VAE (see module docstring)."""

    def __init__(self, weights: dict[str, np.ndarray], config: dict):
        self.config = config
        self.latent_dim = int(config["latent_dim"])
        self.bars_per_segment = int(config["bars"])
        self.steps = self.bars_per_segment * tk.STEPS_PER_BAR
        w = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
        self._embed = w["embed.weight"]  # (V + 1, E); row V is the decoder's start symbol
        self._enc_f = _GRU(w["enc.weight_ih_l0"], w["enc.weight_hh_l0"], w["enc.bias_ih_l0"], w["enc.bias_hh_l0"])
        self._enc_b = _GRU(
            w["enc.weight_ih_l0_reverse"], w["enc.weight_hh_l0_reverse"],
            w["enc.bias_ih_l0_reverse"], w["enc.bias_hh_l0_reverse"],
        )
        self._mu_w, self._mu_b = w["to_mu.weight"], w["to_mu.bias"]
        self._lv_w, self._lv_b = w["to_logvar.weight"], w["to_logvar.bias"]
        self._init_w, self._init_b = w["z_to_h.weight"], w["z_to_h.bias"]
        self._dec = _GRU(w["dec.weight_ih_l0"], w["dec.weight_hh_l0"], w["dec.bias_ih_l0"], w["dec.bias_hh_l0"])
        self._out_w_t, self._out_b = np.ascontiguousarray(w["out.weight"].T), w["out.bias"]
        E = self._embed.shape[1]
        # the decoder input is [embedding(prev token), z]: split its input weights in two parts so
        # the embedding part is a table lookup and the z part is computed once per segment
        self._dec_tok_gates = self._embed @ self._dec.w_ih_t[:E] + self._dec.b_ih  # (V + 1, 3H)
        self._dec_z_w = self._dec.w_ih_t[E:]  # (Z, 3H)
        self.attribute_vectors: dict[str, np.ndarray] = {
            name: w[f"attr.{name}"] for name in tk.ATTRIBUTES if f"attr.{name}" in w
        }
        self.latent_scale = w.get("latent.std", np.ones(self.latent_dim, np.float32))

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, path: str | Path | None = None) -> "MelodyModel":
        """The shipped weights (loaded once per process), or a ``.safetensors`` file
        written by the trainer (read each time)."""
        if path is None:
            from cinemuse.assets import load_shipped

            return load_shipped(ASSET_NAME, cls.from_file)
        return cls.from_file(path)

    @classmethod
    def from_file(cls, path: str | Path) -> "MelodyModel":
        """Read a ``.safetensors`` file written by the trainer (weights and config)."""
        from safetensors import safe_open
        from safetensors.numpy import load_file

        with safe_open(str(path), framework="numpy") as f:
            config = json.loads(f.metadata()["config"])
        return cls(load_file(str(path)), config)

    # ------------------------------------------------------------------ encoder

    def encode_tokens(self, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and log-variance (B, Z) of token segments (B, steps)."""
        tokens = np.atleast_2d(np.asarray(tokens, dtype=np.int64))
        x = self._embed[tokens]  # (B, T, E)
        gf = self._enc_f.input_gates(x)
        gb = self._enc_b.input_gates(x)
        B, T = tokens.shape
        hf = np.zeros((B, self._enc_f.hidden), np.float32)
        hb = np.zeros((B, self._enc_b.hidden), np.float32)
        for t in range(T):
            hf = self._enc_f.step(gf[:, t], hf)
            hb = self._enc_b.step(gb[:, T - 1 - t], hb)
        h = np.concatenate([hf, hb], axis=1)
        return h @ self._mu_w.T + self._mu_b, h @ self._lv_w.T + self._lv_b

    def encode(self, notes) -> np.ndarray:
        """Latent vector (latent_dim,) (the posterior mean) of a melody segment.

        ``notes``: a list of :class:`MelodyNote` or an int array (n, 3) of (pitch, start, duration),
        starts relative to the segment's first step; notes starting after the segment are ignored.
        """
        rows = _as_rows(notes)
        mu, _ = self.encode_tokens(tk.notes_to_tokens(rows, n_steps=self.steps)[None])
        return mu[0]

    # ------------------------------------------------------------------ decoder

    def _init_state(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = np.tanh(z @ self._init_w.T + self._init_b).astype(np.float32)
        return h, (z @ self._dec_z_w).astype(np.float32)

    def _logits(self, h: np.ndarray) -> np.ndarray:
        return h @ self._out_w_t + self._out_b

    def decode_tokens(
        self,
        z: np.ndarray,
        *,
        rng: np.random.Generator | None = None,
        temperature: float = 1.0,
    ) -> np.ndarray:
        """Token segments (B, steps) from latents (B, Z); greedy when ``temperature`` is 0."""
        z = np.atleast_2d(np.asarray(z, dtype=np.float32))
        B = len(z)
        h, zg = self._init_state(z)
        prev = np.full(B, tk.VOCAB_SIZE, dtype=np.int64)
        out = np.zeros((B, self.steps), dtype=np.int64)
        for t in range(self.steps):
            h = self._dec.step(self._dec_tok_gates[prev] + zg, h)
            logits = self._logits(h)
            if temperature <= 0 or rng is None:
                tok = logits.argmax(axis=1)
            else:
                scaled = logits / temperature
                p = np.exp(scaled - scaled.max(axis=1, keepdims=True))
                cdf = np.cumsum(p, axis=1)
                u = rng.random(B)[:, None] * cdf[:, -1:]
                tok = np.minimum((cdf < u).sum(axis=1), tk.VOCAB_SIZE - 1)
            out[:, t] = tok
            prev = tok
        return out

    def decode(self, z: np.ndarray, *, rng: np.random.Generator | None = None, temperature: float = 1.0) -> list[MelodyNote]:
        """Notes of one segment decoded from ``z`` (latent_dim,); sampled with ``rng`` at
        ``temperature`` (0 or no rng: the most likely token at each step). Deterministic given rng."""
        tokens = self.decode_tokens(np.asarray(z)[None], rng=rng, temperature=temperature)[0]
        return [MelodyNote(int(p), int(s), int(d)) for p, s, d in tk.tokens_to_notes(tokens)]

    def sample_latent(self, rng: np.random.Generator) -> np.ndarray:
        """A latent vector (latent_dim,) from the prior N(0, I)."""
        return rng.standard_normal(self.latent_dim).astype(np.float32)

    def token_log_probs(self, tokens: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Teacher-forced natural-log probability (B, steps) of token segments (B, steps) given z (B, Z)."""
        tokens = np.atleast_2d(np.asarray(tokens, dtype=np.int64))
        z = np.atleast_2d(np.asarray(z, dtype=np.float32))
        h, zg = self._init_state(z)
        prev = np.full(len(tokens), tk.VOCAB_SIZE, dtype=np.int64)
        out = np.zeros(tokens.shape, dtype=np.float64)
        rows = np.arange(len(tokens))
        for t in range(tokens.shape[1]):
            h = self._dec.step(self._dec_tok_gates[prev] + zg, h)
            logits = self._logits(h).astype(np.float64)
            m = logits.max(axis=1, keepdims=True)
            logz = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
            out[:, t] = logits[rows, tokens[:, t]] - logz
            prev = tokens[:, t]
        return out


def _as_rows(notes) -> np.ndarray:
    if isinstance(notes, np.ndarray):
        return notes.astype(np.int64).reshape(-1, 3)
    return np.array([(n.pitch, n.start, n.duration) for n in notes], dtype=np.int64).reshape(-1, 3)
