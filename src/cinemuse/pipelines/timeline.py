"""When each photo of a slideshow starts, and how it changes to the next: on the beat.

Composed music
--------------
The tempo comes from the album's mood (``95 + 30 * arousal`` bpm, as ``score`` prefers,
within 70-140). Each photo gets whole bars (one bar, or two when a bar is shorter than
``MIN_SLIDE`` seconds), so every change is on a downbeat; with ``--duration`` the bars (or,
when there are more photos than bars, the beats) are shared out as evenly as possible and
the tempo is nudged so the length is a whole number of beats. The last photo holds through
the music's ending.

A song
------
The song's own beats and downbeats (``analysis.audio.analyze_song``) place the changes: the
ideal, evenly spaced change times are moved to the nearest downbeat (or beat, where
downbeats are too sparse for the number of photos), each at least a beat after the last.

Transitions
-----------
Centred on the change, so the change is heard and seen together: the picture is half-way
at the beat. Kinds: ``cut``, ``crossfade``, ``dip`` (to black), ``push`` (the next photo
slides in; only between photos without faces, so no seam runs through a face) and ``zoom``
(the old photo zooms in as it dissolves; never out of a photo with faces, whose edges it
would crop). The look sets the palette of kinds, the tempo
their length (half a beat, at most 0.7 s) and fast music cuts more often; a new group
(section) of the album begins with a dip or zoom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TEMPO_RANGE = (70.0, 140.0)
MIN_SLIDE = 1.9  # seconds; shorter bars get two per photo
TITLE_BARS = 1

_KINDS_BY_LOOK = {
    "none": ("crossfade", "crossfade", "zoom", "cut"),
    "film": ("crossfade", "crossfade", "dip", "crossfade"),
    "warm": ("crossfade", "zoom", "crossfade", "cut"),
    "cool": ("push", "crossfade", "cut", "zoom"),
    "faded": ("crossfade", "dip", "crossfade", "crossfade"),
    "mono": ("dip", "crossfade", "cut", "crossfade"),
}


@dataclass(frozen=True)
class Change:
    """The change into slide ``index`` at ``time`` seconds (a beat), by ``kind`` over ``length`` s."""

    index: int
    time: float
    kind: str
    length: float
    downbeat: bool


@dataclass(frozen=True)
class Timeline:
    """Slide start times (the first is 0), the changes between them, the tempo grid and the length."""

    starts: tuple[float, ...]
    changes: tuple[Change, ...]
    duration: float
    tempo: float
    first_downbeat: float
    beats: tuple[float, ...]  # the beat grid the changes sit on
    beats_per_bar: int = 4
    time_signature: str = "4/4"  # a song's own ("3/4", "6/8": then the beats are dotted quarters)

    def visible_span(self, k: int) -> tuple[float, float]:
        """When slide k is on screen at all (its transitions included)."""
        a = self.starts[k] - (self.changes[k - 1].length / 2 if k > 0 else 0.0)
        b = (self.starts[k + 1] + self.changes[k].length / 2) if k + 1 < len(self.starts) else self.duration
        return max(0.0, a), min(self.duration, b)

    def end_of(self, k: int) -> float:
        return self.starts[k + 1] if k + 1 < len(self.starts) else self.duration


def preferred_tempo(arousal: float) -> float:
    return float(np.clip(95.0 + 30.0 * arousal, *TEMPO_RANGE))


def _share(total: int, n: int) -> list[int]:
    """``total`` units shared among ``n`` as evenly as possible (larger shares first)."""
    base, extra = divmod(total, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def beats_for_slides(n_slides: int, tempo: float, duration: float | None, fps: int) -> tuple[float, list[int], float]:
    """(tempo, beats per slide before the last, duration) for composed music."""
    bar = 240.0 / tempo
    if duration is None:
        bars = 1 if bar >= MIN_SLIDE else 2
        per = [4 * bars] * (n_slides - 1)
        # the last photo: its bars plus the ending (one more bar)
        duration = (sum(per) + 4 * (bars + 1)) * 60.0 / tempo
        return tempo, per, round(duration * fps) / fps
    # a fixed length: a whole number of beats at a tempo close to the preferred one
    n_beats = max(n_slides, round(duration * tempo / 60.0))
    tempo = n_beats * 60.0 / duration
    lo, hi = TEMPO_RANGE
    while tempo > hi * 1.2 and n_beats > n_slides:
        n_beats -= 1
        tempo = n_beats * 60.0 / duration
    # the last slide keeps a share and a bit more for the ending
    if n_beats // 4 >= n_slides + 1:
        shares = _share(n_beats // 4, n_slides + 1)
        per = [4 * s for s in shares[: n_slides - 1]]
    else:
        shares = _share(n_beats, n_slides)
        per = shares[: n_slides - 1]
    return tempo, per, duration


def transition_kind(look: str, i: int, tempo: float, new_group: bool, faces_out: bool, faces_in: bool) -> str:
    """The change's kind; no seam through a face (push) and no zoom past the faces going out."""
    kinds = _KINDS_BY_LOOK.get(look, _KINDS_BY_LOOK["none"])
    if new_group:
        kind = "dip" if look in ("film", "faded", "mono") else "zoom"
    elif tempo >= 125 and i % 2 == 1:
        kind = "cut"  # fast music: every other change is a cut
    else:
        kind = kinds[i % len(kinds)]
    if (kind == "push" and (faces_out or faces_in)) or (kind == "zoom" and faces_out):
        kind = "dip" if new_group else "crossfade"
    return kind


def build_changes(times: list[float], beat: float, look: str, tempo: float, groups: set[int],
                  faces: list[bool], downbeats: set[int]) -> tuple[Change, ...]:
    """The change into each slide 1..n-1 at ``times``; lengths leave each slide a clear middle."""
    changes = []
    starts = [0.0] + list(times)
    for j, t in enumerate(times):
        k = j + 1
        kind = transition_kind(look, j, tempo, k in groups, faces[k - 1], faces[k])
        gap_before = starts[k] - starts[k - 1]
        gap_after = (starts[k + 1] - starts[k]) if k + 1 < len(starts) else gap_before
        length = 0.0 if kind == "cut" else min(0.7, 0.5 * beat, 0.45 * gap_before, 0.45 * gap_after)
        if length < 2.0 / 30.0:
            kind, length = "cut", 0.0
        changes.append(Change(index=k, time=float(t), kind=kind, length=float(length), downbeat=j in downbeats))
    return tuple(changes)


def composed_timeline(n_slides: int, *, arousal: float, duration: float | None, fps: int, look: str,
                      groups: set[int], faces: list[bool], tempo: float | None = None) -> Timeline:
    """Changes on the beats of music to be composed."""
    t0 = tempo or preferred_tempo(arousal)
    if n_slides == 1:
        d = duration or 4 * 2 * 60.0 / t0
        return Timeline((0.0,), (), float(d), float(t0), 0.0, ())
    tempo, per, duration = beats_for_slides(n_slides, t0, duration, fps)
    beat = 60.0 / tempo
    idx = np.cumsum(per)  # beat index of each change
    times = [float(i * beat) for i in idx]
    down = {j for j, i in enumerate(idx) if i % 4 == 0}
    changes = build_changes(times, beat, look, tempo, groups, faces, down)
    beats = tuple(float(b) for b in np.arange(0.0, duration - 1e-9, beat))
    return Timeline(tuple([0.0] + times), changes, float(duration), float(tempo), 0.0, beats)


def song_timeline(n_slides: int, *, beats: np.ndarray, downbeats: np.ndarray, duration: float, look: str,
                  groups: set[int], faces: list[bool], tempo: float, beats_per_bar: int = 4,
                  time_signature: str = "4/4") -> Timeline:
    """Changes on the song's own beats (downbeats preferred); ``beats_per_bar`` and
    ``time_signature`` are the song's meter, passed on to the cue sheet."""
    beats = np.asarray(beats, float)
    beats = beats[(beats > 0.3) & (beats < duration - 0.5)]
    downbeats = np.asarray(downbeats, float)
    downbeats = downbeats[(downbeats > 0.3) & (downbeats < duration - 0.5)]
    beat = 60.0 / tempo if tempo > 0 else 0.5
    meter = {"beats_per_bar": int(beats_per_bar), "time_signature": time_signature}
    if n_slides == 1 or len(beats) == 0:
        return Timeline((0.0,), (), float(duration), float(tempo), 0.0, tuple(beats), **meter)
    ideal = np.arange(1, n_slides) * duration / n_slides
    slot = duration / n_slides
    bar = float(np.median(np.diff(downbeats))) if len(downbeats) >= 2 else beats_per_bar * beat
    grid = downbeats if len(downbeats) >= n_slides - 1 and slot >= 1.5 * bar else beats
    times: list[float] = []
    last = 0.0
    for t in ideal:
        cand = grid[grid > last + 0.9 * beat]
        if len(cand) == 0:
            cand = beats[beats > last + 0.5 * beat]
        if len(cand) == 0:
            break
        times.append(float(cand[np.argmin(np.abs(cand - t))]))
        last = times[-1]
    down = {j for j, t in enumerate(times) if len(downbeats) and np.min(np.abs(downbeats - t)) < 1e-6}
    changes = build_changes(times, beat, look, tempo, groups, faces, down)
    first_db = float(downbeats[0]) if len(downbeats) else 0.0
    return Timeline(tuple([0.0] + times), changes, float(duration), float(tempo), first_db, tuple(beats), **meter)


def frames_for(duration: float, fps: int) -> int:
    return int(math.floor(duration * fps + 0.5))
