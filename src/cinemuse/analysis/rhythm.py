"""Tempo at the level annotators mark, beats, metre and downbeats, from one pass's features.

The beat network (:mod:`cinemuse.analysis.beat_net`, trained here on annotated renders: see
:mod:`cinemuse.train.beats`) turns the log-mel frames into two curves, the probability of a
beat and of a bar's first beat at each frame.  This module reads tempo, beats and bars from
them; everything works on compact per-frame features, so it costs the same memory however
the song was read.

Tempo and beats (:func:`beats_from_activation`)
    The candidate tempo is the strongest periodicity of the beat curve (the averaged local
    autocorrelation, :func:`audio_dsp.tempo_salience`, with a comb over the beat, two-beat and
    four-beat lags and a broad log-normal prior around :data:`TEMPO_PRIOR_BPM`, as in Ellis
    2007).  It, its double and its half are tracked by dynamic programming (Ellis 2007,
    :func:`audio_dsp.track_beats`: the log-interval penalty lets the beat follow a human
    drift, and a break carries the last phase across), and the grid the curve makes most
    likely wins (:func:`grid_likelihood`, the observation model of Böck, Krebs & Widmer's
    DBN tracker): a grid at half the tempo forgoes the beats it skips, one at double the
    tempo pays for beats where the curve is low.  The network was trained on the level
    annotators mark, so the level it peaks on is theirs.  Noise or a sustained pad still gets
    a grid; :func:`beat_strength` says how surely the network hears it, and below
    :data:`STEADY_BEAT` the song is reported as having no steady beat.

Metre and downbeats (:func:`bars_from_activation`, :func:`choose_bars`)
    The bar length (2, 3 or 4 beats) and phase whose beats collect the most downbeat
    evidence against the other beats; when the beat divides in three (:func:`subdivision`:
    stronger onsets at its thirds than its half) a two-beat bar is named "6/8".  The frame
    network often cannot tell beat 1 of a 4/4 bar from beat 3 (the kick and the snare pattern
    repeat every two beats), so its curve is weighed with a second, beat-level network's
    (:mod:`cinemuse.analysis.bar_net`), which reads how the chords, the bass and the loudness
    change from beat to beat over the whole song (chords change on the bar line more often
    than inside it, Goto 2001; Papadopoulos & Peeters 2011) -- but not where the frame curve
    alone reads 6/8, which the second network more often spoils.  Where the bass clearly changes
    more at one of the two strong beats (:func:`harmonic_change`), that one starts the bar
    (with or without the second network, which a caller passing no spectrogram, or a drum
    track, goes without); otherwise a two-beat reading that wins stands, half right whichever
    beat starts the bar.
"""

from __future__ import annotations

import numpy as np

from cinemuse.analysis import audio_dsp as dsp

TEMPO_PRIOR_BPM = 100.0
TEMPO_PRIOR_OCTAVES = 1.0
# the fastest level read as the beat: a drum groove whose eighths the curve marks as
# strongly as its quarters was read at twice the annotated tempo (117 as 235, 110 as 215); above
# 220 BPM annotators tap half as fast (1 of the 897 Groove MIDI training performances is noted
# faster).  On the validation renders 240 -> 220 gave tempo Acc1 0.862 -> 0.879 (Groove 0.667 ->
# 0.733), beat F 0.908 -> 0.913; the training renders, 13 of 970 annotated above 200 BPM, 0.910 -> 0.908
MIN_BPM, MAX_BPM = 40.0, 220.0
CANDIDATES = 1  # periodicities of the beat curve tracked (each with its double and half)
BEAT_ODDS = 8.0  # how much likelier a beat frame is than another at equal network output
TIGHTNESS = 100.0  # the beat tracker's penalty on straying from the tempo (Ellis 2007)
# onsets at a beat's thirds this much stronger than at its half: the beat divides in three
TERNARY = 1.15
# bar lengths tried on the network's downbeat curve and their prior (in units of the curve's
# contrast), by the beat's subdivision: simple beats make 4/4 the default, compound beats 6/8
BAR_PRIOR = {2: {4: 0.05, 3: -0.02, 2: 0.0}, 3: {2: 0.05, 3: -0.02, 4: 0.0}}
# the bass's change (1 - cosine of its chroma before and after a beat) this much larger, on
# average, at one of a 4/4 bar's two strong beats than at the other makes it the downbeat
# (chosen on the train and validation renders, never the benchmark's)
BASS_CHANGE_MARGIN = 0.15
# a song whose tracked beats' beat probability (the 75th percentile, so that a long quiet
# stretch does not hide a beat heard through most of it) is below this has no steady beat:
# chosen between noise, sustained pads and tones and glissandi (0.03-0.20) and the 351 validation
# renders (0.31 and up, 1st percentile 0.37); random clicks at 3 a second read as a beat (0.41).
# Held-out figures: benchmarks/bench_steady_beat.py
STEADY_BEAT = 0.25
# the beat-level network's downbeat probability counts this many times the frame network's
# (chosen on the validation renders with a first fit of that network: 0.5, 1, 2 and 4 gave
# downbeat F 0.734, 0.762, 0.767, 0.760)
BAR_NET_WEIGHT = 2.0


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


def _peak_near(curve: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """The curve's largest value within a frame of each of ``frames`` (in range), (n,)."""
    padded = np.pad(np.asarray(curve, np.float64), 1, mode="edge")
    frames = np.asarray(frames, dtype=int)
    return np.maximum(np.maximum(padded[frames], padded[frames + 1]), padded[frames + 2])


def _between(curve: np.ndarray, beat_frames: np.ndarray, fraction: float) -> float:
    """Mean peak of ``curve`` (within a frame) at ``fraction`` of the way through each beat."""
    starts, ends = beat_frames[:-1], beat_frames[1:]
    return float(_peak_near(curve, np.round(starts + fraction * (ends - starts))).mean())


def subdivision(envelope: np.ndarray, beat_frames: np.ndarray) -> int:
    """2 or 3: whether onsets between beats fall nearer halves or thirds of the beat."""
    if len(beat_frames) < 4:
        return 2
    env = np.asarray(envelope, dtype=np.float64)
    halves = _between(env, beat_frames, 0.5)
    thirds = 0.5 * (_between(env, beat_frames, 1 / 3) + _between(env, beat_frames, 2 / 3))
    return 3 if thirds > TERNARY * halves else 2


def grid_likelihood(activation: np.ndarray, beat_frames: np.ndarray, *,
                    odds: float = BEAT_ODDS) -> float:
    """Log-likelihood ratio of a beat grid against "no beat anywhere", given the beat curve.

    The observation model of Böck, Krebs & Widmer's DBN beat tracker (ISMIR 2016): a beat
    frame is seen with probability ``a`` (the network's output there), any other frame with
    ``(1 - a) / (odds - 1)``.  A grid at half the tempo forgoes the gain of the beats it
    skips; one at double the tempo pays for the beats it puts where the curve is low.
    """
    if len(beat_frames) < 4:
        return -np.inf
    at = _peak_near(activation, beat_frames).clip(1e-4, 1 - 1e-4)
    return float(np.sum(np.log(at) - np.log((1 - at) / (odds - 1))))


def beat_strength(activation: np.ndarray, beat_frames: np.ndarray) -> float:
    """0..1: how surely the beat network hears the tracked beats (the 75th percentile of its
    beat probability at them); below :data:`STEADY_BEAT` the grid is a guess, not a beat."""
    if len(beat_frames) == 0:
        return 0.0
    return float(np.percentile(_peak_near(np.asarray(activation, np.float64), beat_frames), 75))


def tempo_candidates(activation: np.ndarray, *, sr: int, hop_length: int,
                     candidates: int = CANDIDATES) -> np.ndarray:
    """The strongest periodicities of the beat activation (BPM), strongest first."""
    bpms, score = tempo_scores(activation, sr=sr, hop_length=hop_length)
    peaks = np.flatnonzero((score[1:-1] >= score[:-2]) & (score[1:-1] > score[2:])) + 1
    if len(peaks) == 0:
        return bpms[[int(np.argmax(score))]]
    return bpms[peaks[np.argsort(score[peaks])[::-1][:candidates]]]


def beats_from_activation(activation: np.ndarray, *, sr: int, hop_length: int,
                          candidates: int = CANDIDATES,
                          tightness: float = TIGHTNESS) -> tuple[float, np.ndarray]:
    """(tempo, beat frames): of the candidate tempi and their doubles and halves, the likeliest
    tracked grid.

    The ``candidates`` strongest periodicities of the beat curve, each with its double and
    half, are tracked by dynamic programming (:func:`audio_dsp.track_beats`, so the grid
    follows a human drift) and the grid with the highest :func:`grid_likelihood` wins.  The
    tempo reported is that grid's :func:`median_beat_period`.
    """
    tried: list[tuple[float, float, np.ndarray]] = []
    for bpm in tempo_candidates(activation, sr=sr, hop_length=hop_length, candidates=candidates):
        for level in (bpm, 2 * bpm, bpm / 2):
            if not MIN_BPM <= level <= MAX_BPM or any(abs(np.log2(level / t)) < 0.03 for t, _, _ in tried):
                continue
            frames = dsp.track_beats(activation, tempo_bpm=level, sr=sr, hop_length=hop_length,
                                     tightness=tightness)
            tried.append((level, grid_likelihood(activation, frames), frames))
    if not tried:
        return float(TEMPO_PRIOR_BPM), np.zeros(0, np.int64)
    level, _, frames = max(tried, key=lambda t: t[1])
    if len(frames) >= 4:
        level = 60.0 * sr / (hop_length * median_beat_period(frames))
    return float(level), frames


def median_beat_period(frames: np.ndarray, span: int = 8) -> float:
    """The grid's beat period in frames: the median over every run of ``span`` beats.

    Single inter-beat intervals are whole frames (23 ms), so their median would report 120 BPM
    as 123.0 or 117.5 and 180 as 184.6 or 172.3, near the edge of a 4 % tolerance; a run of
    eight beats divides that error by eight and still follows a tempo that drifts.
    """
    span = max(1, min(span, len(frames) - 1))
    return float(np.median((frames[span:] - frames[:-span]) / span))


def harmonic_change(chroma: np.ndarray, frame_times: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """(n,) how much the chroma changes at each beat: 1 - cosine of its mean over the beat
    before and the beat after (0 at the first and the last beat, which lack one side)."""
    n = len(beats)
    change = np.zeros(n)
    if n < 3 or chroma.shape[1] == 0:
        return change
    seg = dsp.beat_sync(chroma, frame_times, beats)[:, 1:n]  # beat i..i+1
    seg /= np.linalg.norm(seg, axis=0, keepdims=True) + 1e-9
    change[1:-1] = dsp.column_change(seg)[1:]
    return change


def bars_from_activation(beats: np.ndarray, beat_frames: np.ndarray, downbeat: np.ndarray, *,
                         beat_division: int = 2, bass_change: np.ndarray | None = None,
                         bar_logits: np.ndarray | None = None) -> tuple[np.ndarray, int, str]:
    """Bar length, phase and metre name from the network's downbeat curve at the beats
    (:func:`choose_bars`)."""
    return choose_bars(beats, _peak_near(downbeat, beat_frames), beat_division=beat_division,
                       bass_change=bass_change, bar_logits=bar_logits)


def _strongest_bar(evidence: np.ndarray, beat_division: int) -> tuple[int, int]:
    """(beats per bar, phase): the bar whose first beats' evidence most exceeds the others'."""
    n = len(evidence)
    best = (-np.inf, 4, 0)
    for bar, prior in BAR_PRIOR[3 if beat_division == 3 else 2].items():
        for phase in range(bar):
            sel = np.zeros(n, bool)
            sel[phase::bar] = True
            value = float(evidence[sel].mean() - evidence[~sel].mean()) + prior
            if value > best[0]:
                best = (value, bar, phase)
    return best[1], best[2]


def choose_bars(beats: np.ndarray, down_at: np.ndarray, *, beat_division: int = 2,
                bass_change: np.ndarray | None = None, bar_logits: np.ndarray | None = None,
                bar_weight: float = BAR_NET_WEIGHT,
                bass_margin: float = BASS_CHANGE_MARGIN) -> tuple[np.ndarray, int, str]:
    """(downbeats, beats per bar, metre name): the bar length and phase whose beats stand out.

    ``down_at`` is the frame network's downbeat curve at each beat; ``bar_logits`` the
    beat-level network's logit per beat (:mod:`cinemuse.analysis.bar_net`), weighed in by
    ``bar_weight`` -- except where the beat divides in three and the frame curve alone reads
    a two-beat bar (6/8), which stands: there the second network moved the bar line more
    often than it mended it (downbeat F of 6/8 folk tunes 0.768 -> 0.713 on the validation
    renders, 0.989 -> 0.957 on the training renders).  Then, where the bass's
    :func:`harmonic_change` is clearly larger at one of the two strong beats of a duple
    reading, that beat starts a 4/4 bar, with the network or without it (it keeps a bar of
    one chord over a kick on 1 and 3 right, which the network alone reads from beat 3).
    """
    n = len(beats)
    if n < 8:
        return beats[:1].copy(), 4, "4/4"
    evidence = np.asarray(down_at, np.float64)
    bar, phase = _strongest_bar(evidence, beat_division)
    if bar_logits is not None and not (beat_division == 3 and bar == 2):
        evidence = evidence + bar_weight / (1.0 + np.exp(-np.asarray(bar_logits, np.float64)))
        bar, phase = _strongest_bar(evidence, beat_division)
    if bass_change is not None and beat_division != 3 and bar in (2, 4):
        first = phase % 2  # the bar starts here or two beats later
        lead = float(bass_change[first::4].mean() - bass_change[first + 2::4].mean())
        if abs(lead) >= bass_margin:
            bar, phase = 4, first if lead > 0 else first + 2
    meter = {4: "4/4", 3: "3/4", 2: "6/8" if beat_division == 3 else "2/4"}[bar]
    return beats[phase::bar].copy(), bar, meter


def read_activations(beat: np.ndarray, downbeat: np.ndarray, *, bass_chroma: np.ndarray,
                     chroma_times: np.ndarray, sr: int, hop_length: int,
                     onset: np.ndarray | None = None, mel_db: np.ndarray | None = None,
                     chroma: np.ndarray | None = None) -> dict:
    """Everything ``analyze`` reads from the network's two curves, in one place.

    ``bass_chroma`` (12, Tc) at ``chroma_times`` gives the bass's :func:`harmonic_change`;
    ``onset`` (the onset envelope at the curves' frames) gives the beat's :func:`subdivision`,
    taken as 2 without it.  With ``mel_db`` (48, T) and ``chroma`` (12, Tc) as well, the
    beat-level network (:mod:`cinemuse.analysis.bar_net`) weighs in on the bars of a song
    that sounds pitches (:func:`~cinemuse.analysis.bar_net.states_pitches`).  Returns
    tempo, beat frames and times, division, downbeats, beats per bar, metre and the
    :func:`beat_strength`.
    """
    tempo, frames = beats_from_activation(beat, sr=sr, hop_length=hop_length)
    beats = frames * hop_length / sr
    division = subdivision(onset, frames) if onset is not None else 2
    bar_logits = None
    if mel_db is not None and chroma is not None and len(frames) >= 8:
        from cinemuse.analysis import bar_net
        from cinemuse.analysis.song_features import CHROMA_HOP

        rows = bar_net.beat_features(mel_db, chroma, bass_chroma, frames,
                                     frames_per_chroma=CHROMA_HOP / hop_length)
        if bar_net.states_pitches(rows):  # a drum track's chroma is noise
            bar_logits = bar_net.downbeat_logits(rows)
    downbeats, beats_per_bar, meter = bars_from_activation(
        beats, frames, downbeat, beat_division=division,
        bass_change=harmonic_change(bass_chroma, chroma_times, beats), bar_logits=bar_logits)
    return {"tempo": float(tempo), "beat_frames": frames, "beats": beats, "division": division,
            "downbeats": downbeats, "beats_per_bar": beats_per_bar, "meter": meter,
            "beat_strength": beat_strength(beat, frames)}
