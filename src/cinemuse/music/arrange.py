"""Arrangement: turn chords, a melody and a style into notes for each part.

Every function returns plain note tuples ``(pitch, velocity, start, end)`` in seconds,
so the composer can assemble them into pretty_midi instruments in one place.
Chords arrive as :class:`ChordSpan` (a chord held from ``start`` to ``end``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cinemuse.music.styles import Style
from cinemuse.music.theory import Chord

Note = tuple[int, int, float, float]


@dataclass(frozen=True)
class ChordSpan:
    """A chord (key-relative) sounding from ``start`` to ``end`` seconds, starting a bar or not."""

    chord: Chord
    start: float
    end: float
    energy: float
    on_bar: bool


def chord_pitch_classes(chord: Chord, tonic: int, style: Style) -> list[int]:
    """Absolute pitch classes to voice; colour tones (7ths) for styles that like them."""
    pcs = list(chord.pitch_classes(tonic))
    if style.name in ("lofi", "electronic", "ambient") and chord.quality in ("maj", "min"):
        if chord.quality == "min":
            seventh = 10
        elif chord.root == 7:
            seventh = 10  # dominant seventh on V
        else:
            seventh = 11
        pcs.append((tonic + chord.root + seventh) % 12)
    return pcs


def voice_chord(pcs: list[int], *, center: int, previous: list[int] | None) -> list[int]:
    """A close voicing of ``pcs`` near ``center`` that moves least from ``previous``.

    Tries every inversion (each pitch class as the lowest note) placed around ``center``
    and keeps the one with the smallest total movement (or nearest to ``center``).
    """
    best, best_cost = None, None
    for lowest in range(len(pcs)):
        order = pcs[lowest:] + pcs[:lowest]
        for base_octave in (center - 12, center - 6, center):
            first = base_octave + (order[0] - base_octave) % 12
            voicing = [first]
            for pc in order[1:]:
                voicing.append(voicing[-1] + (pc - voicing[-1]) % 12)
            if previous:
                cost = sum(min(abs(v - p) for p in previous) for v in voicing)
                cost += 0.3 * abs(np.mean(voicing) - center)
            else:
                cost = abs(np.mean(voicing) - center)
            if best_cost is None or cost < best_cost:
                best, best_cost = voicing, cost
    return best


def _velocity(base: float, energy: float, accent: float = 0.0) -> int:
    return int(np.clip(base * (0.62 + 0.55 * energy) + accent, 20, 124))


def accompaniment(spans: list[ChordSpan], *, tonic: int, style: Style, beat: float, meter: int,
                  swing: float = 0.0) -> list[Note]:
    """The chord part in the style's pattern (pad, block, arpeggio, strum, pulse, broken)."""
    notes: list[Note] = []
    previous = None
    step = beat / 4.0
    steps_per_bar = 4 * meter
    for span in spans:
        pcs = chord_pitch_classes(span.chord, tonic, style)
        voicing = voice_chord(pcs, center=style.chord_octave + 4, previous=previous)
        previous = voicing
        e = span.energy
        pattern = style.accompaniment
        if pattern == "pad":
            vel = _velocity(70, e)
            notes += [(p, vel, span.start, span.end) for p in voicing]
            continue
        # onsets (step offsets from the span start) and note lengths in steps, per pattern
        n_steps = max(1, int(round((span.end - span.start) / step)))
        if pattern == "block":
            grid = [0, 6, 10] if e >= 0.45 else [0, 10]
            events = [(s, v) for s in range(n_steps) for v in [voicing] if s % steps_per_bar in grid or s == 0]
            lengths = {0: 6, 6: 4, 10: 6}
        elif pattern == "arpeggio":
            every = 2 if e >= 0.5 else 4
            cycle = voicing + [voicing[1] + 12, voicing[0] + 12, voicing[1] + 12] if len(voicing) >= 2 else voicing
            cycle = cycle[:4] + cycle[-2:]
            events = [(s, [cycle[(s // every) % len(cycle)]]) for s in range(0, n_steps, every)]
            lengths = None
        elif pattern == "strum":
            guitar = voice_chord(pcs, center=style.chord_octave, previous=None)
            guitar = sorted(set(guitar + [guitar[0] + 12, guitar[1] + 12]))
            grid = [0, 4, 6, 10, 12, 14] if e >= 0.5 else [0, 8]
            events = [(s, guitar) for s in range(n_steps) if s % steps_per_bar in grid or s == 0]
            lengths = None
        elif pattern == "pulse":
            every = 2 if e >= 0.45 else 4
            events = [(s, voicing) for s in range(0, n_steps, every)]
            lengths = None
        else:  # "broken": piano left hand, root - fifth - tenth - fifth in 8ths
            root = 36 + (pcs[0] - 36) % 12
            fifth = root + 7
            tenth = root + 12 + (pcs[1] - pcs[0]) % 12
            cycle = [root, fifth, tenth, fifth]
            every = 2 if e >= 0.35 else 4
            events = [(s, [cycle[(s // every) % 4]]) for s in range(0, n_steps, every)]
            lengths = None
        for i, (s, pitches) in enumerate(events):
            nxt = events[i + 1][0] if i + 1 < len(events) else n_steps
            length = (lengths or {}).get(s % steps_per_bar, nxt - s)
            start = span.start + s * step
            if swing and s % 4 == 2:
                start += swing * 2 * step
            end = min(span.end, span.start + min(nxt, s + length) * step)
            if pattern == "broken":
                end = min(span.end, start + 2.5 * beat)  # let the left hand ring (pedal)
            accent = 8 if s % steps_per_bar == 0 else (3 if s % 4 == 0 else -6)
            vel = _velocity(72, e, accent)
            for j, p in enumerate(sorted(pitches)):
                # guitars strum: strings sound 12 ms apart (down-strum)
                offset = 0.012 * j if pattern == "strum" else 0.0
                if end - start - offset > 0.02:
                    notes.append((p, vel, start + offset, end))
    return notes


def pad_part(spans: list[ChordSpan], *, tonic: int, style: Style) -> list[Note]:
    """Sustained chord tones an octave above the accompaniment; soft, fuller with energy."""
    notes: list[Note] = []
    previous = None
    for span in spans:
        pcs = chord_pitch_classes(span.chord, tonic, style)[:3]
        voicing = voice_chord(pcs, center=style.chord_octave + 12, previous=previous)
        previous = voicing
        if span.energy < 0.3 and style.accompaniment != "pad":
            continue
        vel = _velocity(58, span.energy)
        notes += [(p, vel, span.start, span.end) for p in voicing]
    return notes


def bass_part(spans: list[ChordSpan], *, tonic: int, style: Style, beat: float, meter: int,
              swing: float = 0.0) -> list[Note]:
    """The bass line in the style's pattern (sustain, root_fifth, pulse, syncopated)."""
    notes: list[Note] = []
    step = beat / 4.0
    steps_per_bar = 4 * meter
    for span in spans:
        root = 33 + (tonic + span.chord.root - 33) % 12  # A1..G#2
        fifth = root + span.chord.intervals[2]
        if fifth > 52:
            fifth -= 12
        n_steps = max(1, int(round((span.end - span.start) / step)))
        e = span.energy
        if style.bass == "sustain" or e < 0.25:
            events = [(0, root, n_steps)]
        elif style.bass == "root_fifth":
            events = [(s, root if (s // (steps_per_bar // 2)) % 2 == 0 else fifth, steps_per_bar // 2 - 1)
                      for s in range(0, n_steps, steps_per_bar // 2)]
        elif style.bass == "pulse":
            every = 2 if e >= 0.5 else 4
            events = [(s, root if s % 8 != 6 or e < 0.7 else root + 12, every - 0.5) for s in range(0, n_steps, every)]
        else:  # syncopated
            grid = {0: (root, 5), 6: (root, 3), 10: (fifth, 5)}
            events = [(s, *grid[s % steps_per_bar]) for s in range(n_steps) if s % steps_per_bar in grid]
            if not events or events[0][0] != 0:
                events.insert(0, (0, root, 5))
        for s, pitch, length in events:
            start = span.start + s * step
            if swing and s % 4 == 2:
                start += swing * 2 * step
            end = min(span.end, span.start + (s + length) * step)
            if end - start > 0.02:
                notes.append((int(pitch), _velocity(86, e, 6 if s % steps_per_bar == 0 else 0), start, end))
    return notes


def hit_notes(hits, *, tonic: int, style: Style) -> tuple[list[Note], bool, int]:
    """Accents that mark cue hits: (notes, is_drum, GM program).

    Each starts exactly at the hit time; strength scales velocity.
    """
    sound = style.hit_sound
    notes: list[Note] = []
    for hit in hits:
        vel = int(np.clip(70 + 55 * hit.strength, 1, 127))
        t = float(hit.time)
        if sound == "crash":
            notes += [(49, vel, t, t + 1.5), (36, vel, t, t + 0.2)]
        elif sound == "timpani":
            notes += [(36 + (tonic - 36) % 12 + 0, vel, t, t + 1.5), (36 + (tonic + 7 - 36) % 12, vel - 10, t, t + 1.5)]
        elif sound == "harp":
            base = 48 + tonic
            notes += [(base + iv, vel - 8 * i, t + 0.035 * i, t + 2.0) for i, iv in enumerate((0, 7, 12, 16))]
        else:  # low_piano
            base = 24 + (tonic - 24) % 12
            notes += [(base, vel, t, t + 2.0), (base + 12, vel, t, t + 2.0)]
    program = {"crash": 0, "timpani": 47, "harp": 46, "low_piano": 0}.get(sound, 0)
    return notes, sound == "crash", program
