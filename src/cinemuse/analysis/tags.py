"""Genre, mood and instrument tags for a song, from the musicnn taggers (onnxruntime).

The models are Pons & Serra's *musicnn* (ISMIR 2019 late-breaking demo, "musicnn: pre-trained
convolutional neural networks for music audio tagging"), as shipped in the ``musicnn`` wheel
(ISC licence): two taggers of the same architecture, one trained on the Million Song Dataset's
50 most frequent last.fm tags (``msd``: genres, decades, moods), one on MagnaTagATune's 50
(``mtt``: instruments, voice, genres, tempo and loudness words).  Their TensorFlow checkpoints
were converted once by :mod:`cinemuse.train.tagger` into one ONNX graph,
``assets/tags/musicnn.onnx``; this module runs it with onnxruntime (features in numpy), so
there is no TensorFlow at run time.

Input (the models' own): 16 kHz mono, 512-point STFT every 256 samples, 96 Slaney mel bands,
``log10(1 + 10000 * power)``, cut into non-overlapping 187-frame (3 s) patches.  Upstream casts
the mel power to float16 first, which overflows to ``inf`` on loud low notes; here it stays
float32.  A song's tag probabilities are the mean over patches, as upstream's ``top_tags``
does; songs longer than ``MAX_PATCHES`` patches are tagged from that many patches spread evenly
from the first to the last (the cost of a patch is ~1.4 G multiply-adds per model).

Network (per patch ``x``: (187, 96)), built in :func:`cinemuse.train.tagger.build_onnx`::

    x -> BN -> timbral convs 7x38 and 7x67 (204 each) and temporal convs 128x1, 64x1, 32x1
         (51 each), each ReLU -> BN -> max over frequency            -> (187, 561)
      -> three 7-frame convs (64), ReLU -> BN, the last two residual  -> (187, 753) with input
      -> max and mean over time (interleaved) -> BN -> dense 200 ReLU -> BN -> dense 50
      -> sigmoid

Genre: each family in :data:`GENRE_FAMILIES` scores the highest mean probability among its
tags (both models); the song's genre is the best family.  The families are ours, the tags are
the models'.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

SR = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
PATCH_FRAMES = 187  # 3 s, the length both models were trained on
MAX_PATCHES = 8  # 24 s of a longer song, spread over it
MODELS = ("msd", "mtt")

# tag -> family; tags are (model, tag) so "electronic" of either model counts
GENRE_FAMILIES: dict[str, tuple[tuple[str, str], ...]] = {
    "electronic": (("msd", "electronic"), ("msd", "electronica"), ("msd", "electro"),
                   ("msd", "House"), ("msd", "dance"), ("mtt", "techno"),
                   ("mtt", "electronic"), ("mtt", "dance")),
    "rock": (("msd", "rock"), ("msd", "alternative"), ("msd", "indie"),
             ("msd", "alternative rock"), ("msd", "classic rock"), ("msd", "indie rock"),
             ("msd", "hard rock"), ("msd", "punk"), ("msd", "Progressive rock"),
             ("mtt", "rock")),
    "metal": (("msd", "metal"), ("msd", "heavy metal"), ("mtt", "metal")),
    "pop": (("msd", "pop"), ("msd", "indie pop"), ("mtt", "pop")),
    "hip-hop": (("msd", "Hip-Hop"), ("msd", "rnb")),
    "jazz": (("msd", "jazz"), ("msd", "blues"), ("msd", "soul"), ("msd", "funk")),
    "folk": (("msd", "folk"), ("msd", "country"), ("msd", "acoustic"), ("mtt", "country")),
    "classical": (("mtt", "classical"), ("mtt", "classic"), ("mtt", "opera"),
                  ("mtt", "harpsichord")),
    "ambient": (("msd", "ambient"), ("msd", "chillout"), ("msd", "chill"), ("mtt", "ambient"),
                ("mtt", "new age")),
}


@dataclass
class SongTags:
    """Tag probabilities (0..1, mean over the patches used) per model, and the genre family."""

    probabilities: dict[str, dict[str, float]]  # model -> tag -> probability
    genre: str
    genre_scores: dict[str, float]
    patches: int  # 3-s patches the means are over
    seconds_covered: float

    def top(self, model: str, n: int = 5) -> list[tuple[str, float]]:
        """The ``n`` most probable tags of one model, best first."""
        items = sorted(self.probabilities[model].items(), key=lambda kv: -kv[1])
        return items[:n]

    def to_dict(self) -> dict[str, Any]:
        return {
            "genre": self.genre,
            "genre_scores": {k: round(v, 4) for k, v in
                             sorted(self.genre_scores.items(), key=lambda kv: -kv[1])},
            **{model: {tag: round(p, 4) for tag, p in self.top(model, n=50)}
               for model in self.probabilities},
            "patches": self.patches,
            "seconds_covered": round(self.seconds_covered, 2),
            "basis": "musicnn taggers (Pons & Serra 2019; MSD and MagnaTagATune, 50 tags "
                     "each), mean over 3-s patches; genre = family of the strongest tag",
        }


# ----------------------------------------------------------------------------- model


@lru_cache(maxsize=None)
def load_tagger():
    """The shipped ONNX taggers (one session, outputs ``msd`` and ``mtt``), labels, mel filters."""
    import json

    import onnxruntime as ort
    from safetensors.numpy import load_file

    from cinemuse.assets import asset_path

    options = ort.SessionOptions()
    options.log_severity_level = 3
    # one thread: the tagger runs beside the rest of the analysis, which keeps the other
    # core busy; more threads only spin against it
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(asset_path("tags/musicnn.onnx")), options,
                                   providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    labels = {model: tuple(json.loads(meta[f"labels_{model}"])) for model in MODELS}
    mel_basis = load_file(str(asset_path("tags/mel_basis.safetensors")))["mel_basis"]
    return session, labels, mel_basis


def run_tagger(patches: np.ndarray) -> dict[str, np.ndarray]:
    """Tag probabilities of log-mel patches.

    Parameters
    ----------
    patches : (B, 187, 96) float32 log-mel (see :func:`log_mel`)

    Returns
    -------
    model -> (B, 50) float32 sigmoid probabilities, in that model's label order
    """
    session = load_tagger()[0]
    x = np.ascontiguousarray(patches, dtype=np.float32)
    outs = [session.run(list(MODELS), {"log_mel": x[i:i + 8]}) for i in range(0, len(x), 8)]
    return {model: np.concatenate([o[k] for o in outs]) for k, model in enumerate(MODELS)}


# ----------------------------------------------------------------------------- features


def log_mel(y16k: np.ndarray, mel_basis: np.ndarray, *, center: bool = True) -> np.ndarray:
    """The models' input: ``log10(1 + 10000 * mel power)``, (n_frames, 96) float32.

    Parameters
    ----------
    y16k : (n,) mono float at 16 kHz
    mel_basis : (96, 257) Slaney mel filters (stored with the weights)
    center : pad half a window of zeros at both ends (librosa's default); False for an
        excerpt that already holds that context
    """
    from scipy.fft import rfft

    y = np.asarray(y16k, dtype=np.float32)
    yp = np.pad(y, (N_FFT // 2, N_FFT // 2)) if center else y
    if len(yp) < N_FFT:
        yp = np.pad(yp, (0, N_FFT - len(yp)))
    frames = sliding_window_view(yp, N_FFT)[::HOP]  # (T, 512)
    window = np.hanning(N_FFT + 1)[:-1].astype(np.float32)  # periodic Hann
    out = np.empty((frames.shape[0], N_MELS), dtype=np.float32)
    for start in range(0, frames.shape[0], 2048):  # bounded memory
        spec = rfft(frames[start:start + 2048] * window, axis=1)
        power = spec.real ** 2 + spec.imag ** 2  # (t, 257)
        out[start:start + 2048] = power @ mel_basis.T
    return np.log10(10000.0 * out + 1.0)


PATCH_SAMPLES = (PATCH_FRAMES - 1) * HOP + N_FFT  # 16-kHz samples one patch's frames read
PATCH_STEP = PATCH_FRAMES * HOP  # patch k's frames start at sample k * PATCH_STEP


def patch_count(samples_16k: int) -> int:
    """Whole 3-s patches in a song of ``samples_16k`` samples at 16 kHz (centred frames)."""
    # patch k reads samples k * PATCH_STEP - N_FFT / 2 .. + PATCH_SAMPLES of the signal with
    # half a window of zeros at each end
    room = int(samples_16k) + N_FFT - PATCH_SAMPLES
    return room // PATCH_STEP + 1 if room >= 0 else 0


def plan_patches(count: int, max_patches: int | None = MAX_PATCHES) -> list[int]:
    """The patches a song of ``count`` patches is tagged from: all of them, or ``max_patches``
    spread evenly from the first to the last."""
    if max_patches is None or count <= max_patches:
        return list(range(count))
    return [int(k) for k in np.linspace(0, count - 1, max_patches).round()]


class PatchReservoir:
    """The 3-s patches a song is tagged from, taken from blocks fed one after another.

    With the song's length known in advance (``expected_samples`` at the input rate, as a
    container states it), the patches of :func:`plan_patches` are taken as they are read and
    each is handed to ``on_patch(index, samples)`` at once, so tagging can run while the rest
    of the song is still being decoded.  :meth:`close` checks the plan against the length
    actually read (:attr:`as_planned`).  Without a length, or where the stated one was wrong,
    every ``stride``-th patch is kept (the stride doubling whenever more than
    ``2 * max_patches`` are held, so memory stays that of a few patches however long the
    song) and ``max_patches`` of those, spread evenly, are used.  Each patch is exactly what
    the whole song's centred log-mel would hold at its frames.
    """

    def __init__(self, sample_rate: int, *, max_patches: int | None = MAX_PATCHES,
                 expected_samples: int | None = None, on_patch=None):
        import soxr

        self.resampler = (soxr.ResampleStream(sample_rate, SR, 1, dtype="float32", quality="HQ")
                          if sample_rate != SR else None)
        self.max_patches = max_patches
        self.planned: list[int] | None = None
        if expected_samples is not None:
            expected_16k = round(int(expected_samples) * SR / sample_rate)
            self.planned = plan_patches(patch_count(expected_16k), max_patches)
        self._planned = frozenset(self.planned or ())
        self.on_patch = on_patch
        self.taken: dict[int, np.ndarray] = {}  # planned patch index -> its samples
        self.stride = 1
        self.kept: dict[int, np.ndarray] = {}  # patch index -> its PATCH_SAMPLES samples
        self.next_patch = 0
        # 16-kHz samples from ``buffer_start`` on (centring: half a window of zeros first)
        self.buffer = np.zeros(N_FFT // 2, dtype=np.float32)
        self.buffer_start = -(N_FFT // 2)
        self.total = 0  # 16-kHz samples of the song
        self.chosen: list[int] = []  # the patches used, once closed
        self.as_planned = False
        self.closed = False

    def feed(self, block: np.ndarray, *, last: bool = False) -> None:
        """Add ``(m,)`` or ``(m, channels)`` samples at the input rate."""
        from cinemuse.analysis.audio_dsp import downmix

        mono = downmix(np.asarray(block, dtype=np.float32))
        y = (self.resampler.resample_chunk(mono, last=last) if self.resampler is not None
             else mono)
        self.total += len(y)
        if last:
            y = np.concatenate([y, np.zeros(N_FFT // 2, dtype=np.float32)])  # centring
        self.buffer = np.concatenate([self.buffer, y])
        while True:
            start = self.next_patch * PATCH_STEP - N_FFT // 2
            if start + PATCH_SAMPLES > self.buffer_start + len(self.buffer):
                break
            offset = start - self.buffer_start
            k = self.next_patch
            if k in self._planned:
                self.taken[k] = patch = self.buffer[offset:offset + PATCH_SAMPLES].copy()
                if self.on_patch is not None:
                    self.on_patch(k, patch)
            if k % self.stride == 0:
                self.kept[k] = self.buffer[offset:offset + PATCH_SAMPLES].copy()
                self._thin()
            self.next_patch += 1
            drop = self.next_patch * PATCH_STEP - N_FFT // 2 - self.buffer_start
            self.buffer, self.buffer_start = self.buffer[drop:], self.buffer_start + drop

    def _thin(self) -> None:
        if self.max_patches is None or len(self.kept) <= 2 * self.max_patches:
            return
        self.stride *= 2
        self.kept = {k: v for k, v in self.kept.items() if k % self.stride == 0}

    def close(self) -> None:
        """The song has been read: choose the patches (:attr:`chosen`) and whether they are
        the planned ones, already handed to ``on_patch`` (:attr:`as_planned`)."""
        if self.closed:
            return
        self.feed(np.zeros(0, dtype=np.float32), last=True)
        self.closed = True
        actual = plan_patches(self.next_patch, self.max_patches)
        self.as_planned = bool(actual) and self.planned == actual
        if self.as_planned:
            self.chosen = actual
            self.kept = {}
            return
        order = sorted(self.kept)
        if self.max_patches is not None and len(order) > self.max_patches:
            pick = np.linspace(0, len(order) - 1, self.max_patches).round().astype(int)
            order = [order[i] for i in pick]
        self.chosen = order

    def patches(self, mel_basis: np.ndarray) -> np.ndarray:
        """(P, 187, 96) log-mel of the chosen patches; a song shorter than one patch is
        repeat-padded to one."""
        self.close()
        if not self.chosen:  # shorter than 3 s: the whole clip, repeated (as in training)
            clip = self.buffer[N_FFT // 2:N_FFT // 2 + self.total]
            mel = log_mel(clip, mel_basis)
            return np.resize(mel, (PATCH_FRAMES, N_MELS))[None]
        source = self.taken if self.as_planned else self.kept
        return np.stack([log_mel(source[k], mel_basis, center=False) for k in self.chosen])

    def finish(self, mel_basis: np.ndarray) -> np.ndarray:
        """The song's patches once it has all been fed (:meth:`patches`, which closes it)."""
        return self.patches(mel_basis)


# ----------------------------------------------------------------------------- songs


def song_patches(samples: np.ndarray, sample_rate: int, mel_basis: np.ndarray, *,
                 max_patches: int | None = MAX_PATCHES) -> np.ndarray:
    """(n, channels) or (n,) samples -> (P, 187, 96) log-mel patches (see :class:`PatchReservoir`)."""
    samples = np.asarray(samples)
    reservoir = PatchReservoir(sample_rate, max_patches=max_patches,
                               expected_samples=samples.shape[0])
    reservoir.feed(samples)
    return reservoir.finish(mel_basis)


def tag_patch(samples_16k: np.ndarray, mel_basis: np.ndarray) -> dict[str, np.ndarray]:
    """model -> (50,) probabilities of one patch's samples (as :class:`PatchReservoir` takes)."""
    probs = run_tagger(log_mel(samples_16k, mel_basis, center=False)[None])
    return {model: p[0] for model, p in probs.items()}


def tags_from_probabilities(probs: dict[str, np.ndarray]) -> SongTags:
    """Song tags from each patch's probabilities (model -> (P, 50)): the mean of each tag over
    the patches, and the genre."""
    labels = load_tagger()[1]
    probabilities = {model: {tag: float(p) for tag, p in zip(labels[model], probs[model].mean(0))}
                     for model in MODELS}
    scores = {family: max(probabilities[m][t] for m, t in members)
              for family, members in GENRE_FAMILIES.items()}
    genre = max(scores, key=scores.get)
    n = len(probs[MODELS[0]])
    return SongTags(probabilities=probabilities, genre=genre, genre_scores=scores,
                    patches=n, seconds_covered=n * PATCH_FRAMES * HOP / SR)


def tags_from_patches(patches: np.ndarray) -> SongTags:
    """Song tags from its log-mel patches: the mean of each tag over them, and the genre."""
    return tags_from_probabilities(run_tagger(patches))


def tag_song(samples: np.ndarray, sample_rate: int, *,
             max_patches: int | None = MAX_PATCHES) -> SongTags:
    """Tag a song (samples in memory) with both shipped taggers; see the module docstring."""
    return tags_from_patches(song_patches(samples, sample_rate, load_tagger()[2],
                                          max_patches=max_patches))
