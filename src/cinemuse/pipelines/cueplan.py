"""Picture -> CueSheet: sections at the cuts, a mood per section, a tempo that hits the cuts.

What the picture says, and how it becomes music directions
-----------------------------------------------------------
**Sections** start at hard cuts and at the middle of gradual transitions; shots shorter than
``min_section`` seconds are merged into a neighbour (a burst of quick cuts is one musical
section; each of its cuts is still marked by a hit).

**Mood** (Russell's valence x arousal circumplex, the coordinates of :class:`Mood`):

* valence (unpleasant..pleasant) from light and colour. Valdez & Mehrabian (1994, J. Exp.
  Psychol. Gen. 123:394) measured pleasure = 0.69 brightness + 0.22 saturation for colour
  stimuli; colourfulness (Hasler & Süsstrunk 2003) rises with it too. We use
  ``valence = tanh(1.6 (0.55 b + 0.2 s + 0.25 c))`` with b, s, c the section's brightness,
  saturation and colourfulness, each centred on a typical value and scaled to about +-1.
* arousal (calm..excited) from motion and cutting rate, following Hanjalic & Xu (2005,
  IEEE Trans. Multimedia 7:143: arousal from motion activity and shot-cut rate), plus
  saturation (Valdez & Mehrabian: arousal = -0.31 brightness + 0.60 saturation):
  ``arousal = tanh(1.6 (0.5 m + 0.3 r + 0.2 s))`` with m the log motion energy and r the
  cutting rate (cuts per second within +-4 s), centred and scaled alike.

Both mix the absolute value (70 %) with the section's standing within its video (30 %,
z-score), so a dark video still has lighter and darker moments.

**Tempo and hit points** (film scoring's "catching" of cuts): a grid search over tempi
(70-140 bpm by default, or the user's tempo) and beat phases counts the cuts that fall within
one video frame of a beat, and of a bar line (bar lines count extra); a mild preference for
the tempo the mood suggests breaks ties. The matched cuts then refine tempo and phase by
least squares. Every cut becomes a :class:`Hit` at its exact time (stronger when it is off
the grid, since then only the hit marks it), so the music answers each cut at once.

**Energy** follows motion: the motion-energy curve, smoothed over ~0.5 s, compressed (log)
and normalised half on an absolute scale and half within the video, sampled every 0.25 s
into ``CueSheet.energy_curve``; the composer reads it with ``cue.energy_at`` to set note
density and dynamics.

**Latents**: ``Section.latent`` comes from :mod:`cinemuse.analysis.shots` (similar shots ->
nearby melody latents), when the caller passes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from cinemuse.analysis.video import VideoAnalysis
from cinemuse.cuesheet import CueSheet, Hit, Mood, Section

MIN_SECTION = 2.0  # seconds; shorter shots merge into a neighbour
TEMPO_RANGE = (70.0, 140.0)
TEMPO_STEP = 0.25
ENERGY_STEP = 0.25  # seconds between energy-curve points
IMPACT_SPACING = 1.0  # seconds: a motion-impact hit keeps this far from any other hit


@dataclass(frozen=True)
class TempoFit:
    """The chosen tempo grid and how many cuts it catches."""

    tempo: float  # bpm
    first_downbeat: float  # seconds, in [0, bar)
    on_beat: int  # cuts within tolerance of a beat
    on_bar: int  # of those, cuts on a bar line
    n_cuts: int


# ----------------------------------------------------------------------------- sections


def section_spans(
    boundaries: Sequence[float], duration: float, *, min_section: float = MIN_SECTION
) -> list[tuple[float, float]]:
    """Spans (start, end) between boundaries, shorter ones merged into their shorter neighbour.

    Parameters
    ----------
    boundaries : sequence of float
        Shot boundary times (seconds), any order; those outside (0, duration) are ignored.
    duration : float

    Returns
    -------
    list of (start, end), covering [0, duration] without gaps.
    """
    edges = [0.0] + sorted(b for b in set(boundaries) if 0 < b < duration) + [duration]
    spans = [(a, b) for a, b in zip(edges, edges[1:]) if b > a]
    limit = min(min_section, duration / 2)
    while len(spans) > 1:
        lengths = np.array([b - a for a, b in spans])
        i = int(np.argmin(lengths))
        if lengths[i] >= limit:
            break
        if i == 0:
            j = 1
        elif i == len(spans) - 1:
            j = i - 1
        else:  # merge toward the shorter neighbour, keeping long shots whole
            j = i - 1 if lengths[i - 1] <= lengths[i + 1] else i + 1
        a, b = min(i, j), max(i, j)
        spans[a : b + 1] = [(spans[a][0], spans[b][1])]
    return spans


# ----------------------------------------------------------------------------- mood


def _z(x: np.ndarray) -> np.ndarray:
    sd = float(np.std(x))
    return (x - np.mean(x)) / sd if sd > 1e-9 else np.zeros_like(x)


def section_moods(
    analysis: VideoAnalysis, spans: Sequence[tuple[float, float]]
) -> tuple[list[Mood], dict[str, np.ndarray]]:
    """Valence and arousal per span (see the module docstring), and the features behind them."""
    t = analysis.times
    cut_t = np.array([b[0] for b in analysis.boundaries()])
    feats = {k: [] for k in ("brightness", "saturation", "colourfulness", "motion", "cut_rate")}
    # frames inside fades and dissolves show neither shot as it is: leave them out
    blended = np.zeros(len(t), bool)
    for tr in analysis.transitions:
        blended[tr.start_frame : tr.end_frame + 1] = True
    for start, end in spans:
        sel = (t >= start) & (t < end)
        if (sel & ~blended).any():
            sel &= ~blended
        if not sel.any():
            sel = np.abs(t - 0.5 * (start + end)) == np.min(np.abs(t - 0.5 * (start + end)))
        for k in ("brightness", "saturation", "colourfulness", "motion"):
            feats[k].append(float(np.mean(getattr(analysis, k)[sel])))
        lo, hi = max(0.0, start - 4.0), min(analysis.duration, end + 4.0)
        n_cuts = int(np.sum((cut_t >= lo) & (cut_t < hi)))
        feats["cut_rate"].append(n_cuts / max(hi - lo, 1.0))
    f = {k: np.array(v) for k, v in feats.items()}
    return moods_from_features(f), f


def moods_from_features(f: dict[str, np.ndarray]) -> list[Mood]:
    """The picture -> mood mapping (module docstring) from per-section mean features.

    ``f`` holds equal-length arrays ``brightness``, ``saturation`` (0..1), ``colourfulness``
    (Hasler & Süsstrunk M), ``motion`` (mean absolute frame difference, 0..1) and
    ``cut_rate`` (cuts per second); ``slideshow`` passes one entry per group of photos.
    """
    f = {k: np.asarray(v, dtype=float) for k, v in f.items()}
    # centred on typical values, about +-1 over the usual range
    b = (f["brightness"] - 0.45) / 0.2
    s = (f["saturation"] - 0.35) / 0.2
    c = (f["colourfulness"] - 35.0) / 25.0
    m = (np.log10(f["motion"] + 1e-3) - np.log10(0.015)) / 0.6
    r = (f["cut_rate"] - 0.35) / 0.35
    v_abs = 0.55 * b + 0.2 * s + 0.25 * c
    a_abs = 0.5 * m + 0.3 * r + 0.2 * s
    v = np.tanh(1.6 * (0.7 * v_abs + 0.3 * _z(v_abs)))
    a = np.tanh(1.6 * (0.7 * a_abs + 0.3 * _z(a_abs)))
    return [Mood(float(np.clip(vi, -1, 1)), float(np.clip(ai, -1, 1))) for vi, ai in zip(v, a)]


# ----------------------------------------------------------------------------- energy


def energy_curve(
    analysis: VideoAnalysis, *, step: float = ENERGY_STEP, intensity: float = 1.0
) -> np.ndarray:
    """Musical energy (0..1) over time from motion; returns an array (k, 2) of (time, energy)."""
    t, motion = analysis.times, analysis.motion
    dur = analysis.duration
    grid = np.arange(0.0, dur, step)
    grid = np.append(grid, dur) if grid[-1] < dur else grid
    # mean motion in a 0.5 s window around each grid point (cumulative sums: O(n))
    csum = np.concatenate([[0.0], np.cumsum(motion)])
    lo = np.searchsorted(t, grid - 0.25)
    hi = np.maximum(np.searchsorted(t, grid + 0.25), lo + 1)
    hi = np.minimum(hi, len(t))
    lo = np.minimum(lo, hi - 1)
    smooth = (csum[hi] - csum[lo]) / (hi - lo)
    logm = np.log10(smooth + 1e-3)
    absolute = np.clip((logm - np.log10(0.004)) / (np.log10(0.08) - np.log10(0.004)), 0, 1)
    p5, p95 = np.percentile(logm, [5, 95])
    relative = np.clip((logm - p5) / (p95 - p5), 0, 1) if p95 - p5 > 0.05 else np.full_like(logm, 0.5)
    e = 0.1 + 0.85 * (0.5 * absolute + 0.5 * relative)
    e = np.clip(e + 0.35 * (intensity - 1.0), 0.0, 1.0)  # --intensity shifts the whole curve
    return np.column_stack([grid, e])


# ----------------------------------------------------------------------------- tempo


def fit_tempo(
    cut_times: Sequence[float],
    *,
    tolerance: float,
    tempo_range: tuple[float, float] = TEMPO_RANGE,
    preferred: float | None = None,
    fixed_tempo: float | None = None,
    meter: int = 4,
    step: float = TEMPO_STEP,
    max_phase_candidates: int = 200,
    seed: int = 0,
) -> TempoFit:
    """Choose tempo and first downbeat so that as many cuts as possible fall on beats.

    Parameters
    ----------
    cut_times : sequence of float
        Cut times, seconds.
    tolerance : float
        A cut within this many seconds of a beat counts as on it (use one video frame).
    preferred : float, optional
        Tempo the mood suggests; costs 0.02 "cuts" per bpm away from it (a tie-breaker).
    fixed_tempo : float, optional
        Search only the phase at this tempo.

    Returns
    -------
    TempoFit
    """
    c = np.sort(np.asarray(cut_times, float))
    n = len(c)
    if fixed_tempo is not None:
        tempi = np.array([float(fixed_tempo)])
    else:
        tempi = np.arange(tempo_range[0], tempo_range[1] + 1e-9, step)
    if preferred is None:
        preferred = float(np.mean(tempo_range))
    if n == 0:
        t0 = float(tempi[np.argmin(np.abs(tempi - preferred))])
        return TempoFit(t0, 0.0, 0, 0, 0)
    rng = np.random.default_rng(seed)
    cand = c if n <= max_phase_candidates else np.sort(rng.choice(c, max_phase_candidates, replace=False))
    best = (-np.inf, None)
    for bpm in tempi:
        period = 60.0 / bpm
        ph = np.mod(c, period)  # (n,)
        phc = np.mod(cand, period)  # (m,)
        d = np.abs(np.mod(ph[None, :] - phc[:, None] + period / 2, period) - period / 2)  # (m, n)
        on = d <= tolerance
        counts = on.sum(1)
        # bar lines: for each candidate phase, cuts on beats whose beat index is 0 mod meter,
        # trying each of the meter positions for the downbeat
        idx = np.rint((c[None, :] - phc[:, None]) / period).astype(int)  # (m, n)
        bar_best = np.zeros(len(cand))
        for k in range(meter):
            bar_best = np.maximum(bar_best, (on & (np.mod(idx - k, meter) == 0)).sum(1))
        score = counts + 0.5 * bar_best - 0.02 * abs(bpm - preferred)
        i = int(np.argmax(score))
        if score[i] > best[0]:
            best = (float(score[i]), (float(bpm), float(phc[i])))
    bpm, phase = best[1]
    period = 60.0 / bpm
    # least-squares refinement on the cuts the grid catches: c ~ phase + k * period
    k_idx = np.rint((c - phase) / period)
    on = np.abs(c - (phase + k_idx * period)) <= tolerance
    if fixed_tempo is None and on.sum() >= 3 and np.ptp(k_idx[on]) > 0:
        A = np.column_stack([np.ones(on.sum()), k_idx[on]])
        (phase_ls, period_ls), *_ = np.linalg.lstsq(A, c[on], rcond=None)
        if tempo_range[0] <= 60 / period_ls <= tempo_range[1]:
            new_k = np.rint((c - phase_ls) / period_ls)
            new_on = np.abs(c - (phase_ls + new_k * period_ls)) <= tolerance
            if new_on.sum() >= on.sum():
                phase, period, k_idx, on = phase_ls, period_ls, new_k, new_on
    bpm = 60.0 / period
    # downbeat: the beat position (mod meter) that puts most caught cuts on bar lines
    bar_counts = [int(np.sum(on & (np.mod(k_idx - k, meter) == 0))) for k in range(meter)]
    k_best = int(np.argmax(bar_counts))
    bar = meter * period
    first_downbeat = float(np.mod(phase + k_best * period, bar))
    return TempoFit(float(bpm), first_downbeat, int(on.sum()), bar_counts[k_best], n)


def on_grid(times: np.ndarray, fit: TempoFit, tolerance: float) -> np.ndarray:
    """Boolean mask: which times lie within ``tolerance`` of a beat of the fitted grid."""
    period = 60.0 / fit.tempo
    x = np.asarray(times, float) - fit.first_downbeat
    return np.abs(x - np.rint(x / period) * period) <= tolerance


# ----------------------------------------------------------------------------- the plan


def plan_cues(
    analysis: VideoAnalysis,
    *,
    latents: np.ndarray | None = None,
    spans: Sequence[tuple[float, float]] | None = None,
    mood: Mood | None = None,
    tempo: float | None = None,
    style: str | None = None,
    intensity: float = 1.0,
    seed: int = 0,
    min_section: float = MIN_SECTION,
    impacts: bool = True,
) -> CueSheet:
    """Build the CueSheet for a video from its analysis.

    The steps, each a function of its own: sections (:func:`section_spans`), their moods
    (:func:`planned_moods`), the energy curve (:func:`energy_curve`), the tempo grid that
    catches the cuts (:func:`cut_tempo`), the hits (:func:`cue_hits`), and the sections with
    their energy and latents (:func:`planned_sections`).

    Parameters
    ----------
    analysis : VideoAnalysis
    latents : ndarray, shape (n_sections, latent_dim), optional
        Melody latents per section (from :func:`cinemuse.analysis.shots.shot_latents` with the
        same ``spans``).
    spans : sequence of (start, end), optional
        Sections; default :func:`section_spans` of the analysis' boundaries.
    mood : Mood, optional
        Overrides the picture's mood in every section.
    tempo : float, optional
        Fixed tempo (bpm); the phase is still fitted to the cuts.
    style : str, optional
        Arrangement style, passed to the composer.
    intensity : float
        0..2; scales energy and arousal (1 = as the picture says).
    seed : int
    impacts : bool
        Mark strong visual beats (motion impacts) with hits too.

    Returns
    -------
    CueSheet
    """
    if spans is None:
        cut_or_blend = [b[0] for b in analysis.boundaries()]
        spans = section_spans(cut_or_blend, analysis.duration, min_section=min_section)
    moods = planned_moods(analysis, spans, mood=mood, intensity=intensity)
    curve = energy_curve(analysis, intensity=intensity)
    fit, tolerance = cut_tempo(analysis, spans, moods, tempo=tempo, seed=seed)
    return CueSheet(
        duration=float(analysis.duration),
        sections=planned_sections(spans, moods, curve, latents),
        hits=cue_hits(analysis, fit, tolerance, impacts=impacts),
        tempo=fit.tempo,
        meter=4,
        style=style,
        first_downbeat=fit.first_downbeat,
        energy_curve=[(float(t), float(e)) for t, e in curve],
        seed=seed,
    )


def planned_moods(
    analysis: VideoAnalysis,
    spans: Sequence[tuple[float, float]],
    *,
    mood: Mood | None = None,
    intensity: float = 1.0,
) -> list[Mood]:
    """The picture's mood per span, or the user's ``mood`` everywhere; ``intensity`` lifts arousal."""
    moods, _ = section_moods(analysis, spans)
    if mood is not None:
        moods = [mood] * len(spans)
    if intensity != 1.0:
        moods = [Mood(m.valence, float(np.clip(m.arousal + 0.5 * (intensity - 1.0), -1, 1))) for m in moods]
    return moods


def cut_tempo(
    analysis: VideoAnalysis,
    spans: Sequence[tuple[float, float]],
    moods: Sequence[Mood],
    *,
    tempo: float | None = None,
    seed: int = 0,
) -> tuple[TempoFit, float]:
    """The tempo grid that catches the most cuts, and the tolerance (seconds) it was fitted with.

    The mood, averaged over the video by section length, suggests the tempo that breaks ties.
    """
    tolerance = max(0.5 * analysis.frame_duration, 0.012)  # a beat within half a frame of the cut looks "on" it
    cut_times = np.array([c.time for c in analysis.cuts])
    mean_arousal = float(np.average([m.arousal for m in moods], weights=[b - a for a, b in spans]))
    preferred = 95.0 + 30.0 * mean_arousal  # calm ~65-95, excited ~110-125
    fit = fit_tempo(
        cut_times, tolerance=tolerance, preferred=preferred, fixed_tempo=tempo, seed=seed,
        tempo_range=TEMPO_RANGE if tempo is None else (min(TEMPO_RANGE[0], tempo), max(TEMPO_RANGE[1], tempo)),
    )
    return fit, tolerance


def cue_hits(analysis: VideoAnalysis, fit: TempoFit, tolerance: float, *, impacts: bool = True) -> list[Hit]:
    """Every cut, transition and flash as a hit, plus motion impacts kept clear of them; by time."""
    cut_times = np.array([c.time for c in analysis.cuts])
    hits: list[Hit] = []
    on = on_grid(cut_times, fit, tolerance) if len(cut_times) else np.zeros(0, bool)
    for c, is_on in zip(analysis.cuts, on):
        # every cut gets a hit at its exact time; off-grid ones rely on it entirely
        hits.append(Hit(time=c.time, kind="cut", strength=0.7 if is_on else 1.0, frame=c.frame))
    for b_time, b_frame, kind in analysis.boundaries():
        if kind != "cut":  # the middle of a dissolve, the black point of a fade
            hits.append(Hit(time=b_time, kind="transition", strength=0.4, frame=b_frame))
    for f in analysis.flashes:  # a flash of light is a sudden event the music can catch
        i = int(np.searchsorted(analysis.times, f))
        hits.append(Hit(time=float(f), kind="flash", strength=0.6, frame=i))
    taken = np.array([h.time for h in hits])
    if impacts and len(analysis.beats):
        for bt in analysis.beats:
            # sparing: an accent at every twitch would clutter the music
            if taken.size and np.min(np.abs(taken - bt)) < IMPACT_SPACING:
                continue
            i = int(np.searchsorted(analysis.times, bt))
            hits.append(Hit(time=float(bt), kind="impact", strength=0.5, frame=i))
            taken = np.append(taken, bt)
    hits = [h for h in hits if 0.0 <= h.time < analysis.duration]
    hits.sort(key=lambda h: h.time)
    return hits


def planned_sections(
    spans: Sequence[tuple[float, float]],
    moods: Sequence[Mood],
    curve: np.ndarray,
    latents: np.ndarray | None = None,
) -> list[Section]:
    """One Section per span: its mood, its mean energy on ``curve`` and its melody latent."""
    sections = []
    for i, ((start, end), m) in enumerate(zip(spans, moods)):
        sel = (curve[:, 0] >= start) & (curve[:, 0] < end)
        energy = float(np.mean(curve[sel, 1])) if sel.any() else float(np.interp(start, curve[:, 0], curve[:, 1]))
        latent = None if latents is None else tuple(float(x) for x in latents[i])
        sections.append(Section(start=float(start), end=float(end), mood=m, energy=energy, latent=latent))
    return sections
