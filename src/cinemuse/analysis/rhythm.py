"""Tempo at the level annotators mark, beats, metre and downbeats, from one pass's features.

The beat network (:mod:`cinemuse.analysis.beat_net`, trained here on annotated renders: see
:mod:`cinemuse.train.beats`) turns the log-mel frames into two curves, the probability of a
beat and of a bar's first beat at each frame.  This module reads tempo, beats and bars from
them; everything works on compact per-frame features, so it costs the same memory however
the song was read.

Tempo and beats (:func:`beats_from_activation`)
    Candidate tempi are the strongest periodicities of the beat curve (the averaged local
    autocorrelation, :func:`audio_dsp.tempo_salience`, with a comb over the beat, two-beat and
    four-beat lags and a broad log-normal prior around :data:`TEMPO_PRIOR_BPM`, as in Ellis
    2007).  Each candidate, its double and its half are tracked by dynamic programming
    (Ellis 2007, :func:`audio_dsp.track_beats`: the log-interval penalty lets the beat follow
    a human drift, and a break carries the last phase across), and the grid whose beats stand
    out most from the points between them (halves and thirds) wins: a grid at half the tempo
    has strong beats at its halves, one at double the tempo has weak ones at half of its
    own.  The network was trained on the level annotators mark, so the level it peaks on is
    theirs.

Metre and downbeats (:func:`bars_from_activation`)
    The bar length (2, 3 or 4 beats) and phase whose beats collect the most downbeat
    probability against the other beats; when the beat divides in three (:func:`subdivision`:
    stronger onsets at its thirds than its half) a two-beat bar is named "6/8".
"""

from __future__ import annotations

import numpy as np

from cinemuse.analysis import audio_dsp as dsp

TEMPO_PRIOR_BPM = 100.0
TEMPO_PRIOR_OCTAVES = 1.0
# note events per beat, by the beat's subdivision: a beat split in two usually holds about
# two events, a compound-metre beat (6/8, 12/8) about three
EVENTS_PER_BEAT = {2: 1.8, 3: 2.8}
# onsets at a beat's thirds this much stronger than at its half: the beat divides in three
TERNARY = 1.15
EVENTS_OCTAVES = 0.6
# a beat whose midpoints are this strong (relative to the beats) is itself two beats
EVEN_SPLIT = 0.9
MIN_BPM, MAX_BPM = 40.0, 240.0
# weight of each per-beat cue in the bar-start score (standardised cues; the snare marks
# beats 2 and 4, so it counts against a bar start)
CUE_WEIGHTS = {"harmony": 0.5, "bass_note": 0.5, "bass_onset": 0.5, "snare": -0.5}
# bar lengths (beats) tried and their prior (in standardised-cue units), by the beat's
# subdivision: simple beats make 4/4 the default (3/4 and 2/4 must show clearer bar
# contrast); compound beats make 6/8 the default (two dotted-quarter beats; 12/8 is rarer)
METRE_PRIOR = {2: {4: 0.0, 3: -0.15, 2: -0.3}, 3: {2: 0.0, 3: -0.15, 4: -0.3}}


def balanced_envelope(onset_bands: np.ndarray) -> np.ndarray:
    """Sum of the band onset envelopes, each scaled to unit standard deviation, (T,)."""
    bands = np.asarray(onset_bands, dtype=np.float64)
    return (bands / (bands.std(axis=1, keepdims=True) + 1e-9)).sum(axis=0)


def _at_lags(salience: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """Salience linearly interpolated at fractional lags (salience[i] is lag i + 1); 0 outside."""
    s = np.concatenate([[salience[0]], salience])  # s[l] = salience at lag l
    i = np.floor(lags).astype(int)
    ok = (i >= 1) & (i + 1 < len(s))
    i = np.clip(i, 0, len(s) - 2)
    frac = lags - i
    return np.where(ok, (1 - frac) * s[i] + frac * s[i + 1], 0.0)


def tempo_scores(envelope: np.ndarray, *, sr: int,
                 hop_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Comb evidence times the tempo prior for every tempo on a 0.35 %-step grid.

    Returns
    -------
    bpms : (n,) candidate tempi, MIN_BPM..MAX_BPM
    score : (n,) >= 0
    """
    _, salience = dsp.tempo_salience(envelope, sr=sr, hop_length=hop_length)
    salience = np.maximum(salience, 0.0)
    bpms = MIN_BPM * 2.0 ** np.arange(0.0, np.log2(MAX_BPM / MIN_BPM), 0.005)
    lag = 60.0 * sr / (hop_length * bpms)
    # the beat's bar-level support: two or three beats, four or six (duple or triple bars),
    # so a 3/4 beat is not outscored by its dotted half (1.5 beats, whose doubles are bars)
    comb = (_at_lags(salience, lag)
            + 0.5 * np.maximum(_at_lags(salience, 2 * lag), _at_lags(salience, 3 * lag))
            + 0.25 * np.maximum(_at_lags(salience, 4 * lag), _at_lags(salience, 6 * lag)))
    prior = np.exp(-0.5 * (np.log2(bpms / TEMPO_PRIOR_BPM) / TEMPO_PRIOR_OCTAVES) ** 2)
    return bpms, comb * prior


def events_prior(bpm: float, events_per_second: float, division: int) -> float:
    """Plausibility of ``bpm`` given the note-event rate: log-normal in events per beat."""
    centre = EVENTS_PER_BEAT[division]
    per_beat = max(events_per_second, 1e-3) * 60.0 / bpm
    return float(np.exp(-0.5 * (np.log2(per_beat / centre) / EVENTS_OCTAVES) ** 2))


def estimate_tempo(envelope: np.ndarray, *, events_per_second: float, sr: int,
                   hop_length: int, candidates: int = 6) -> float:
    """Tempo (BPM) at the metrical level annotators mark (see the module docstring).

    The strongest ``candidates`` peaks of :func:`tempo_scores` are weighed with the
    events-per-beat prior of their own subdivision (2 or 3, :func:`pulse_profile`).
    """
    bpms, score = tempo_scores(envelope, sr=sr, hop_length=hop_length)
    peaks = np.flatnonzero((score[1:-1] >= score[:-2]) & (score[1:-1] > score[2:])) + 1
    if len(peaks) == 0:
        return float(bpms[int(np.argmax(score))])
    peaks = peaks[np.argsort(score[peaks])[::-1][:candidates]]
    total = []
    for i in peaks:
        on, half, third = pulse_profile(envelope, 60.0 * sr / (hop_length * bpms[i]))
        division = 3 if third > TERNARY * half else 2
        total.append(score[i] * events_prior(bpms[i], events_per_second, division))
    best = int(peaks[int(np.argmax(total))])
    on, half, _ = pulse_profile(envelope, 60.0 * sr / (hop_length * bpms[best]))
    if bpms[best] * 2 <= MAX_BPM and half >= EVEN_SPLIT * on:
        near = np.abs(np.log2(bpms / (2 * bpms[best]))) < 0.05
        best = int(np.flatnonzero(near)[np.argmax(score[near])])
    return float(bpms[best])


def pulse_profile(envelope: np.ndarray, period: float) -> tuple[float, float, float]:
    """Mean onset strength at the beats, half-way between them, and at their thirds.

    ``period`` is the beat period in frames; the beats are the comb of that period whose
    phase collects the most onset strength.  Returns (beats, halves, thirds).
    """
    env = np.convolve(np.asarray(envelope, np.float64), np.ones(3) / 3, mode="same")
    count = int((len(env) - period) / period)
    if count < 4:
        return 1.0, 0.0, 0.0
    k = np.arange(count)
    phases = np.arange(int(period))
    grid = np.round(phases[:, None] + k[None, :] * period).astype(int)
    strength = env[grid].mean(axis=1)
    phase = phases[int(np.argmax(strength))]

    def at(fraction: float) -> float:
        return float(env[np.round(phase + (k + fraction) * period).astype(int)].mean())

    return float(strength.max()), at(0.5), 0.5 * (at(1 / 3) + at(2 / 3))


def subdivision(envelope: np.ndarray, beat_frames: np.ndarray) -> int:
    """2 or 3: whether onsets between beats fall nearer halves or thirds of the beat."""
    if len(beat_frames) < 4:
        return 2
    env = np.asarray(envelope, dtype=np.float64)
    starts, ends = beat_frames[:-1], beat_frames[1:]

    def at(fraction: float) -> float:
        idx = np.round(starts + fraction * (ends - starts)).astype(int)
        lo, hi = np.clip(idx - 1, 0, len(env) - 1), np.clip(idx + 2, 0, len(env))
        return float(np.mean([env[a:b].max() for a, b in zip(lo, hi)]))

    halves = at(0.5)
    thirds = 0.5 * (at(1 / 3) + at(2 / 3))
    return 3 if thirds > TERNARY * halves else 2


def _standardise(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / (x.std() + 1e-9)


def estimate_meter(beats: np.ndarray, cues: dict[str, np.ndarray], *, beat_division: int = 2,
                   weights: dict[str, float] | None = None) -> tuple[np.ndarray, int, str]:
    """Bar length, phase and metre name from per-beat cues (see the module docstring).

    Parameters
    ----------
    beats : (n,) beat times, seconds
    cues : name -> (n,) strength of that cue at each beat (any scale), names as in
        :data:`CUE_WEIGHTS`
    beat_division : 2 or 3 (:func:`subdivision`)
    weights : cue name -> weight (default :data:`CUE_WEIGHTS`)

    Returns
    -------
    downbeats : (n_bars,) seconds
    beats_per_bar : 2, 3 or 4
    meter : "4/4", "3/4", "2/4" or "6/8"
    """
    n = len(beats)
    if n < 8 or not cues:
        return beats[:1].copy(), 4, "4/4"
    weights = CUE_WEIGHTS if weights is None else weights
    score = _standardise(sum(weights.get(name, 0.0) * _standardise(np.asarray(c, np.float64))
                             for name, c in cues.items()))
    best = (-np.inf, 4, 0)
    for bar, prior in METRE_PRIOR[3 if beat_division == 3 else 2].items():
        for phase in range(bar):
            value = float(score[phase::bar].mean()) + prior
            if value > best[0]:
                best = (value, bar, phase)
    _, bar, phase = best
    meter = {4: "4/4", 3: "3/4", 2: "6/8" if beat_division == 3 else "2/4"}[bar]
    return beats[phase::bar].copy(), bar, meter


# --------------------------------------------------------------------------- from the network

# bar lengths tried on the network's downbeat curve, and their prior (in units of the curve's
# contrast): 4 beats a bar unless the curve clearly says 3 or 2
BAR_PRIOR = {2: {2: 0.02, 3: 0.0, 4: 0.0}, 3: {2: 0.02, 3: 0.0, 4: 0.0}}


def _pulse_contrast(activation: np.ndarray, beat_frames: np.ndarray) -> float:
    """How much a beat grid stands out: activation at its beats minus that between them.

    "Between" is the stronger of the half-way points and the thirds: a grid at half the
    true tempo has beats at its halves (or thirds, in triple time), one at double the tempo
    has half its own beats between the true ones, so only the true grid scores high.
    """
    if len(beat_frames) < 4:
        return -np.inf
    act = np.asarray(activation, np.float64)
    starts, ends = beat_frames[:-1], beat_frames[1:]

    def at(fraction: float) -> float:
        idx = np.round(starts + fraction * (ends - starts)).astype(int)
        lo, hi = np.clip(idx - 1, 0, len(act) - 1), np.clip(idx + 2, 0, len(act))
        return float(np.mean([act[a:b].max() for a, b in zip(lo, hi)]))

    on = float(np.mean([act[max(b - 1, 0): b + 2].max() for b in beat_frames]))
    return on - max(at(0.5), 0.5 * (at(1 / 3) + at(2 / 3)))


def tempo_candidates(activation: np.ndarray, *, sr: int, hop_length: int,
                     candidates: int = 4) -> np.ndarray:
    """The strongest periodicities of the beat activation (BPM), strongest first."""
    bpms, score = tempo_scores(activation, sr=sr, hop_length=hop_length)
    peaks = np.flatnonzero((score[1:-1] >= score[:-2]) & (score[1:-1] > score[2:])) + 1
    if len(peaks) == 0:
        return bpms[[int(np.argmax(score))]]
    return bpms[peaks[np.argsort(score[peaks])[::-1][:candidates]]]


def beats_from_activation(activation: np.ndarray, *, sr: int, hop_length: int,
                          track) -> tuple[float, np.ndarray]:
    """(tempo, beat frames): of the candidate tempi, the tracked grid that stands out most.

    ``track(envelope, tempo_bpm)`` is the beat tracker (dynamic programming, so the grid
    follows a human drift); each candidate tempo and its double and half are tracked and the
    grid with the highest :func:`_pulse_contrast` wins.
    """
    tried: list[tuple[float, float, np.ndarray]] = []
    for bpm in tempo_candidates(activation, sr=sr, hop_length=hop_length):
        for level in (bpm, 2 * bpm, bpm / 2):
            if not MIN_BPM <= level <= MAX_BPM or any(abs(np.log2(level / t)) < 0.03 for t, _, _ in tried):
                continue
            frames = track(activation, level)
            tried.append((level, _pulse_contrast(activation, frames), frames))
    if not tried:
        return float(TEMPO_PRIOR_BPM), np.zeros(0, np.int64)
    level, _, frames = max(tried, key=lambda t: t[1])
    return float(level), frames


def bars_from_activation(beats: np.ndarray, beat_frames: np.ndarray, downbeat: np.ndarray, *,
                         beat_division: int = 2) -> tuple[np.ndarray, int, str]:
    """Bar length, phase and metre name from the network's downbeat curve at the beats."""
    n = len(beats)
    if n < 8:
        return beats[:1].copy(), 4, "4/4"
    act = np.asarray(downbeat, np.float64)
    at_beat = np.array([act[max(b - 1, 0): b + 2].max() for b in beat_frames])
    best = (-np.inf, 4, 0)
    for bar, prior in BAR_PRIOR[3 if beat_division == 3 else 2].items():
        for phase in range(bar):
            sel = np.zeros(n, bool)
            sel[phase::bar] = True
            value = float(at_beat[sel].mean() - at_beat[~sel].mean()) + prior
            if value > best[0]:
                best = (value, bar, phase)
    _, bar, phase = best
    meter = {4: "4/4", 3: "3/4", 2: "6/8" if beat_division == 3 else "2/4"}[bar]
    return beats[phase::bar].copy(), bar, meter
