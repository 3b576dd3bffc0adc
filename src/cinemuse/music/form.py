"""Form: fit tempo and bar count to an exact duration, and lay out sections.

A non-looping piece is ``first_downbeat`` seconds of lead-in, ``n_bars`` bars of music
whose last bar is the final tonic chord, and that chord ringing out to exactly
``duration``. A loop is exactly ``n_bars`` bars with no ring-out. Sections follow a
song-like plan (intro, A A' B A', new material in long pieces, cadence, ending) or the
CueSheet's own sections when it has several.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Timing:
    """Where the bars are.

    Attributes
    ----------
    tempo : float
        Beats per minute.
    meter : int
        Beats per bar.
    first_downbeat : float
        Start of bar 0 in seconds.
    n_bars : int
        Bars of music including the final-chord bar (or, for a loop, all bars).
    duration : float
        Exact length of the piece in seconds.
    """

    tempo: float
    meter: int
    first_downbeat: float
    n_bars: int
    duration: float

    @property
    def beat(self) -> float:
        return 60.0 / self.tempo

    @property
    def bar(self) -> float:
        return self.meter * self.beat

    def bar_start(self, index: float) -> float:
        """Start time in seconds of bar ``index`` (fractional bars allowed)."""
        return self.first_downbeat + index * self.bar


def fit_timing(
    duration: float,
    *,
    tempo: float | None,
    target_tempo: float,
    tempo_range: tuple[float, float],
    meter: int = 4,
    first_downbeat: float = 0.0,
    loop: bool = False,
) -> Timing:
    """Choose tempo and bar count so the piece ends exactly at ``duration``.

    A given ``tempo`` is kept (the ring-out absorbs the remainder) except for loops,
    whose length must be a whole number of bars: there the tempo moves as little as
    needed. Without a tempo, the one nearest ``target_tempo`` that makes the ring-out
    1 to 2 bars long is chosen.
    """
    first_downbeat = min(max(0.0, first_downbeat), 0.5 * duration)  # a lead-in, not the piece
    span = duration - (0.0 if loop else first_downbeat)
    if loop:
        first_downbeat = 0.0
        base = tempo or target_tempo
        bars = max(1, int(round(span / (meter * 60.0 / base))))
        return Timing(60.0 * meter * bars / span, meter, 0.0, bars, duration)
    if tempo:
        bar = meter * 60.0 / tempo
        # final chord starts at a bar line and rings for at least ~1 bar (>= 1.5 s)
        ring_min = min(max(bar, 1.5), span * 0.5)
        n_bars = max(1, int(np.floor((span - ring_min) / bar)) + 1)
        return Timing(float(tempo), meter, first_downbeat, n_bars, duration)
    lo, hi = tempo_range
    best = None
    for n_bars in range(1, 2000):
        for ring_bars in (1.0, 1.25, 1.5, 1.75, 2.0):
            t = 60.0 * meter * (n_bars - 1 + ring_bars) / span
            if t > hi * 1.6:
                continue
            cost = abs(np.log(t / target_tempo))
            if not 0.8 * lo <= t <= 1.2 * hi:
                cost += 1.0
            # even a 5-second piece should say something before its final chord:
            # prefer at least two bars of music (three when there is time)
            cost += 0.6 * max(0, min(3, 1 + int(span // 4)) - n_bars)
            if best is None or cost < best[0]:
                best = (cost, t, n_bars)
        if 60.0 * meter * (n_bars - 1) / span > hi * 1.6:
            break
    if best is None:  # shorter than any bar at a sane tempo: one chord ringing for the whole span
        return Timing(float(target_tempo), meter, first_downbeat, 1, duration)
    _, t, n_bars = best
    return Timing(float(t), meter, first_downbeat, n_bars, duration)


@dataclass(frozen=True)
class FormSection:
    """A section in bars.

    Attributes
    ----------
    label : str
        "intro", "A", "A'", "B", "C", ... , "ending".
    theme : str
        Melodic material: sections with the same theme share latents ("" = no melody).
    variation : int
        0 = the theme as first heard; 1, 2... = increasingly varied restatements.
    start_bar, n_bars : int
    cue_index : int
        Which CueSheet section this falls in (for its mood, energy and latent).
    """

    label: str
    theme: str
    variation: int
    start_bar: int
    n_bars: int
    cue_index: int = 0

    @property
    def end_bar(self) -> int:
        return self.start_bar + self.n_bars


# The labels a long piece cycles through: a statement, a varied restatement, contrast,
# return; later cycles bring new themes so a 20-minute piece does not loop one tune.
_CYCLES = (
    (("A", 0), ("A", 1), ("B", 0), ("A", 2)),
    (("C", 0), ("C", 1), ("B", 1), ("A", 1)),
    (("D", 0), ("A", 0), ("B", 2), ("A", 2)),
    (("E", 0), ("E", 1), ("C", 1), ("A", 1)),
)


def _section_bars(n_bars: int) -> int:
    return 8 if n_bars >= 24 else 4 if n_bars >= 8 else 2


def plan_sections(n_bars: int, *, loop: bool = False, cue_boundaries: list[float] | None = None
                  ) -> list[FormSection]:
    """Lay out sections over ``n_bars`` bars.

    The last bar is the ending (final chord) unless ``loop``. ``cue_boundaries`` (bar
    positions where the CueSheet's sections start) split the piece there instead of the
    regular 4/8-bar plan, so that a new picture section gets new music.
    """
    sections: list[FormSection] = []
    body_end = n_bars if loop else n_bars - 1
    if body_end <= 0:
        return [FormSection("ending", "", 0, 0, n_bars)]
    intro = 0 if loop else (4 if body_end >= 40 else 2 if body_end >= 12 else 1 if body_end >= 6 else 0)
    cue_bars = sorted({int(round(b)) for b in (cue_boundaries or [])[1:] if 1 <= round(b) <= body_end - 2})
    if cue_bars and not loop and cue_bars[0] <= 4:
        intro = cue_bars[0]  # the first picture change ends the intro
    if intro:
        sections.append(FormSection("intro", "", 0, 0, intro))
    # section starts: regular grid, or the cue's boundaries rounded to the nearest bar
    size = _section_bars(body_end - intro)
    if cue_boundaries and len(cue_boundaries) > 1:
        starts = sorted({intro} | {b for b in cue_bars if b >= intro + 2})
    else:
        starts = list(range(intro, body_end, size))
        if len(starts) > 1 and body_end - starts[-1] < size // 2:
            starts.pop()  # a short leftover joins the section before it
    bounds = starts + [body_end]
    cycle_pos = 0
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        cycle = _CYCLES[(cycle_pos // 4) % len(_CYCLES)]
        theme, variation = cycle[cycle_pos % 4]
        variation += 3 * (cycle_pos // (4 * len(_CYCLES)))  # ever-new variations in very long pieces
        label = theme + "'" * min(variation, 2)
        sections.append(FormSection(label, theme, variation, a, b - a))
        cycle_pos += 1
    if not loop:
        sections.append(FormSection("ending", "", 0, body_end, n_bars - body_end))
    return sections
