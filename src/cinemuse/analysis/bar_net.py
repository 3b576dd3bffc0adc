"""Which beats start a bar, read from features summed over each beat (a second, beat-level stage).

The beat network's downbeat curve looks at 23-ms frames; in pop and drum grooves it often
cannot tell beat 1 of a 4/4 bar from beat 3, because the kick and snare pattern repeats every
two beats.  What does tell them apart lies a bar or more apart: chords change on the bar line
more often than inside it, the bass moves with them, phrases and cymbal crashes start bars.
So, as in Krebs, Böck, Dorfer & Widmer 2016 ("Downbeat tracking using beat-synchronous
features and recurrent neural networks", ISMIR), a small bidirectional GRU reads one vector
per *beat* of the tracked grid (:func:`beat_features`) over the whole song and gives each beat
a downbeat logit (:func:`downbeat_logits`); :func:`cinemuse.analysis.rhythm.bars_from_activation`
weighs it with the frame network's curve when it picks the bar length and phase.

Features per beat (standardised over the song, so loudness and mix do not matter; none
depends on the key: only changes of the chroma, never the chroma itself)
    ``chroma`` and ``bass`` change from the beat before and from two beats before (1 - cosine
    of the beat-mean chroma), and the change from the two beats before to this beat and the
    next (a chord held for half a bar); loudness (mean log-mel) and low-band level over the
    beat; the rise of the log-mel at the beat in three registers (below ~300 Hz, to ~3 kHz,
    above), the kick, the snare and chords, the cymbals.  Two keep their own scale: how
    clearly the beat's chroma and bass chroma state pitches at all (the largest bin of the
    unit-length beat chroma), since a drum track's chroma is noise and its changes mean nothing.

A song whose beats state no pitches (:func:`states_pitches`: a drum track) is left to the
frame network.  Trained by :mod:`cinemuse.train.bars` on the beat network's training renders, on the beats the
shipped tracker finds there; shipped as ``assets/rhythm/bar_gru.onnx`` (input ``beats``
(1, n, :data:`N_FEATURES`) float32, output ``logits`` (1, n)).
"""

from __future__ import annotations

import numpy as np

from cinemuse.analysis import audio_dsp as dsp

ASSET = "rhythm/bar_gru.onnx"
FEATURE_NAMES = ("chroma_change_1", "chroma_change_2", "bass_change_1", "bass_change_2",
                 "chroma_half_bar", "bass_half_bar", "loudness", "low_level",
                 "rise_low", "rise_mid", "rise_high", "chroma_clarity", "bass_clarity")

N_FEATURES = len(FEATURE_NAMES)
LOW_BANDS, MID_BANDS = 8, 32  # of the 48 log-mel bands: below ~300 Hz, below ~3 kHz
RISE_FRAMES = (-1, 3)  # the beat's onset: this many frames before it to this many after
# a song whose beats' median chroma clarity is below this states no pitches to speak of (a
# drum track: Groove MIDI's lie at 0.29-0.72, the other renders' mostly above 1); there the
# chord and bass changes are noise and the frame network's curve is left to decide
# (chosen on the validation renders among 0.3, 0.5 and 0.7: downbeat F 0.729, 0.741, 0.746)
MIN_CLARITY = 0.7


def _unit(x: np.ndarray) -> np.ndarray:
    return x / (np.linalg.norm(x, axis=0, keepdims=True) + 1e-9)


def _half_bar(seg: np.ndarray) -> np.ndarray:
    """(n,) 1 - cosine between beats i-2, i-1 and beats i, i+1 (0 where a side is missing)."""
    n = seg.shape[1]
    out = np.zeros(n)
    if n >= 4:
        pairs = _unit(seg[:, :-1] + seg[:, 1:])  # pairs[:, j]: beats j and j + 1
        out[2:n - 1] = 1.0 - np.sum(pairs[:, 2:] * pairs[:, :-2], axis=0)
    return out


def beat_features(mel_db: np.ndarray, chroma: np.ndarray, bass_chroma: np.ndarray,
                  beat_frames: np.ndarray, *, frames_per_chroma: float) -> np.ndarray:
    """(n_beats, N_FEATURES) float32, one row per beat, each column standardised over the song.

    ``mel_db`` (48, T) and ``beat_frames`` are at the rhythm hop; ``chroma`` and ``bass_chroma``
    (12, Tc) at the chroma hop, ``frames_per_chroma`` rhythm frames to one chroma frame.
    """
    frames = np.asarray(beat_frames, dtype=np.int64)
    n = len(frames)
    out = np.zeros((n, N_FEATURES), np.float32)
    n_mel = mel_db.shape[1]
    if n < 2 or n_mel == 0:
        return out
    # beat i spans frames[i]..frames[i + 1], the last one a median beat long
    pos = np.append(frames, frames[-1] + np.median(np.diff(frames))).astype(np.float64)

    def per_beat(x: np.ndarray, times: np.ndarray) -> np.ndarray:
        return dsp.beat_sync(x, times, pos)[:, 1:n + 1]  # summed in float64 whatever x is

    harmony = [_unit(per_beat(c, np.arange(c.shape[1]) * frames_per_chroma))
               for c in (chroma, bass_chroma)]
    change = dsp.column_change
    cols = [change(harmony[0], 1), change(harmony[0], 2), change(harmony[1], 1),
            change(harmony[1], 2), _half_bar(harmony[0]), _half_bar(harmony[1])]
    levels = per_beat(np.stack([mel_db.mean(axis=0, dtype=np.float32),
                                mel_db[:LOW_BANDS].mean(axis=0, dtype=np.float32)]),
                      np.arange(n_mel, dtype=np.float64))
    cols += [levels[0], levels[1]]
    cols += list(_rises(mel_db, frames))
    x = np.stack(cols, axis=1)
    x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)
    # the largest bin of the unit-length beat chroma: 0.29 for noise, ~0.58 for a triad
    clarity = [(h.max(axis=0) - 0.29) * 4.0 for h in harmony]
    out[:] = np.concatenate([x, np.stack(clarity, axis=1)], axis=1)
    return out


def _rises(mel_db: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """(3, n) the largest half-wave rectified log-mel rise near each beat (:data:`RISE_FRAMES`),
    low / mid / high (read at those frames only: a long song's whole spectrogram is never
    copied)."""
    last = mel_db.shape[1] - 1
    out = np.zeros((3, len(frames)))
    for off in range(RISE_FRAMES[0], RISE_FRAMES[1] + 1):
        at = np.clip(frames + off, 0, last)
        rise = np.maximum(mel_db[:, at].astype(np.float32)
                          - mel_db[:, np.maximum(at - 1, 0)].astype(np.float32), 0.0)
        bands = np.stack([rise[:LOW_BANDS].mean(axis=0), rise[LOW_BANDS:MID_BANDS].mean(axis=0),
                          rise[MID_BANDS:].mean(axis=0)])
        out = np.maximum(out, bands)
    return out


def states_pitches(features: np.ndarray) -> bool:
    """Whether the song's beats sound pitches clearly enough for the network to read them
    (the median ``chroma_clarity`` of its :func:`beat_features` rows, :data:`MIN_CLARITY`)."""
    if len(features) == 0:
        return False
    return float(np.median(features[:, FEATURE_NAMES.index("chroma_clarity")])) >= MIN_CLARITY


def load_shipped_network():
    """The shipped beat-level network's onnxruntime session, made once per process."""
    from cinemuse.analysis.beat_net import open_session
    from cinemuse.assets import load_shipped

    return load_shipped(ASSET, open_session)


def downbeat_logits(features: np.ndarray, *, session=None) -> np.ndarray:
    """(n,) each beat's downbeat logit from its :func:`beat_features` rows (zeros if < 2)."""
    if len(features) < 2:
        return np.zeros(len(features), np.float32)
    session = session or load_shipped_network()
    return session.run(None, {"beats": np.asarray(features, np.float32)[None]})[0][0]
