"""The CueSheet: the contract between what a picture (or a user) needs and what the music does.

``score`` builds one from a video, ``slideshow`` from photos and a beat grid, ``compose``
from command-line options; :func:`cinemuse.music.compose.compose` turns any of them into
music. All times are seconds from the start of the piece.
"""

from __future__ import annotations

import math

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

MOODS: dict[str, tuple[float, float]] = {
    # name: (valence, arousal), both in [-1, 1] (Russell's circumplex)
    "happy": (0.8, 0.5),
    "sad": (-0.7, -0.4),
    "calm": (0.4, -0.7),
    "tense": (-0.6, 0.7),
    "epic": (0.3, 0.9),
    "dreamy": (0.3, -0.4),
    "dark": (-0.8, 0.2),
    "playful": (0.7, 0.7),
    "neutral": (0.0, 0.0),
}


@dataclass(frozen=True)
class Mood:
    """A point in valence (unpleasant..pleasant) x arousal (calm..excited), each in [-1, 1]."""

    valence: float = 0.0
    arousal: float = 0.0

    def __post_init__(self) -> None:
        for name in ("valence", "arousal"):
            value = getattr(self, name)
            if not -1.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [-1, 1], got {value}")

    @classmethod
    def named(cls, name: str) -> "Mood":
        try:
            return cls(*MOODS[name.lower()])
        except KeyError:
            raise ValueError(f"unknown mood {name!r}; choose from {', '.join(MOODS)}") from None


MIN_TEMPO, MAX_TEMPO = 30.0, 240.0  # bpm a cue may ask for (beyond them no style sounds like music)


def check_tempo(tempo: float | None) -> float | None:
    """``tempo`` unchanged when None or within 30-240 bpm; a UsageError naming ``--tempo`` otherwise."""
    if tempo is not None and not MIN_TEMPO <= tempo <= MAX_TEMPO:
        from cinemuse.errors import UsageError

        raise UsageError(f"--tempo must be between {MIN_TEMPO:g} and {MAX_TEMPO:g} bpm, got {tempo:g}")
    return tempo


def parse_mood(text: str | None) -> Mood | None:
    """A named mood (``happy``, ``sad``...) or ``valence,arousal`` (each -1..1); None stays None.

    Raises a UsageError naming ``--mood`` for anything else.
    """
    from cinemuse.errors import UsageError

    if text is None:
        return None
    if "," in text:
        try:
            v, a = (float(x) for x in text.split(","))
            return Mood(v, a)
        except ValueError as exc:
            raise UsageError(f"--mood {text!r}: expected a name or 'valence,arousal' in [-1, 1] ({exc})") from None
    try:
        return Mood.named(text)
    except ValueError as exc:
        raise UsageError(f"--mood: {exc}") from None


@dataclass(frozen=True)
class Hit:
    """A moment the music must mark audibly (a cut, a flash, an impact), at ``time`` seconds."""

    time: float
    kind: str = "cut"  # "cut", "transition", "flash", "impact", "user"
    strength: float = 1.0  # 0..1, how hard to mark it
    frame: int | None = None  # frame number in the source video, for cue-sheet exports


@dataclass(frozen=True)
class Section:
    """A span of the piece with one mood; sections start at cuts in ``score``."""

    start: float
    end: float
    mood: Mood = Mood()
    energy: float = 0.5  # 0..1, drives dynamics, density and instrumentation
    label: str = ""  # form label ("intro", "A", "B", "outro"...), filled by the composer if empty
    latent: tuple[float, ...] | None = None  # a melody-model latent to steer this section

    def __post_init__(self) -> None:
        if not self.end > self.start:
            raise ValueError(f"section must end after it starts ({self.start} .. {self.end})")


@dataclass
class CueSheet:
    """Everything the composer needs to write music that fits; nothing about how."""

    duration: float
    sections: list[Section] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    tempo: float | None = None  # bpm; None lets the composer choose from the mood
    meter: int = 4  # beats per bar
    key: str | None = None  # tonic name, e.g. "F#"; None lets the composer choose
    mode: str | None = None  # "major" or "minor"; None: from the mood's valence
    style: str | None = None  # arrangement style; None: from the mood
    first_downbeat: float = 0.0  # seconds: where bar 1 starts (a hit-point tempo fit may shift it)
    energy_curve: list[tuple[float, float]] = field(default_factory=list)  # (time, 0..1)
    loop: bool = False  # make the end join the start seamlessly
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.duration > 0 or not math.isfinite(self.duration):
            raise ValueError(f"duration must be positive and finite, got {self.duration}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed must be a whole number >= 0, got {self.seed!r}")
        if not self.sections:
            self.sections = [Section(0.0, self.duration)]

    def energy_at(self, times: np.ndarray | float) -> np.ndarray:
        """Energy (0..1) at the given times, from the curve or else from the sections."""
        t = np.asarray(times, dtype=float)
        if self.energy_curve:
            ct, ce = np.array(self.energy_curve, dtype=float).T
            return np.interp(t, ct, ce)
        starts = np.array([s.start for s in self.sections])
        idx = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(self.sections) - 1)
        return np.array([s.energy for s in self.sections])[idx]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
