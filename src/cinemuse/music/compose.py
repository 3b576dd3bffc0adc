"""The composer: a CueSheet in, a finished piece (MIDI, audio, stems) out.

Steps, each in its own module:

1. **Parameters** from the cue and its mood: mode, style, key, tempo (this module).
2. **Form** (:mod:`~cinemuse.music.form`): tempo and bar count fitted so the piece lands
   exactly on ``cue.duration`` (final chord on a bar line, ringing out), and sections
   intro / A / A' / B / ... / ending.
3. **Melody** from the learned melody model's latent space: a theme is a list of 2-bar
   latents; a repeat reuses them, a variation adds a little noise; the energy, mode and
   mood move them along the model's attribute vectors; a CueSheet section's ``latent``
   seeds its theme.
4. **Harmony** (:mod:`~cinemuse.music.harmony`): chords under the melody from the HMM
   learned on POP909, with a cadence (V or IV, then I) into the ending, or back to the
   opening chord for loops.
5. **Arrangement** (:mod:`~cinemuse.music.arrange`, :mod:`~cinemuse.music.drums`):
   accompaniment, pad, bass and learned drum grooves in the style; dynamics from
   ``cue.energy_at``; an accent exactly at every ``cue.hits`` time.
6. **Render and master** (:mod:`~cinemuse.music.render`, :mod:`~cinemuse.music.mix`).

Everything random comes from ``numpy.random.default_rng`` seeded with ``cue.seed`` and
the part's identity, so the same cue gives byte-identical MIDI.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from cinemuse.cuesheet import CueSheet
from cinemuse.music import arrange
from cinemuse.music.arrange import ChordSpan
from cinemuse.music.form import FormSection, Timing, fit_timing, plan_sections
from cinemuse.music.styles import Style, get_style, style_for_mood
from cinemuse.music.theory import NOTE_NAMES, Chord, pitch_class, tonic_chord
from cinemuse.progress import SILENT

if TYPE_CHECKING:
    import pretty_midi

SAMPLE_RATE = 44100
MIN_DURATION = 1.0

MAJOR_KEYS = ("C", "D", "Eb", "E", "F", "G", "A", "Bb")
MINOR_KEYS = ("A", "B", "C", "D", "E", "F#", "G")


class MelodyNote(NamedTuple):
    """A melody note in the finished piece: MIDI pitch, start and end in seconds."""

    pitch: int
    start: float
    end: float


class ChordEvent(NamedTuple):
    """A chord as it sounds: start and end (s), symbol in the piece's key (``"Bm"``)."""

    start: float
    end: float
    symbol: str


class ChordTones(NamedTuple):
    """The pitch classes (0 = C) of the chord sounding from ``start`` to ``end`` (s)."""

    start: float
    end: float
    pitch_classes: tuple[int, ...]


@dataclass(frozen=True)
class PieceSection:
    """A section of the form, in seconds (the first starts at 0, the last ends the piece)."""

    label: str  # "intro", "A", "A'", "B", ..., "ending"
    start: float
    end: float
    bars: int

    def to_dict(self) -> dict:
        return {"label": self.label, "start": self.start, "end": self.end, "bars": self.bars}


@dataclass
class Piece:
    """A composed piece.

    Attributes
    ----------
    midi : pretty_midi.PrettyMIDI
        One instrument per part (named after its role: melody, chords, pad, bass, drums, hits).
    audio : np.ndarray, shape (n, 2), float32
        The mastered mix at ``sample_rate``; n = round(duration * sample_rate). Empty when
        composed with ``render=False``.
    stems : dict of str -> np.ndarray
        Per-part audio, each (n, 2); they sum to ``audio``.
    sections : list of PieceSection
    tempo : float
        Beats per minute.
    key : str
        E.g. ``"D minor"``.
    hit_times : list of float
        Times (s) where an accent was placed for a cue hit.
    chords, melody, chord_tones : lists of ChordEvent, MelodyNote, ChordTones
        The harmony and the tune as they sound (for lead sheets and checks).
    """

    midi: "pretty_midi.PrettyMIDI"
    audio: np.ndarray
    stems: dict[str, np.ndarray]
    sections: list[PieceSection]
    tempo: float
    key: str
    hit_times: list[float]
    style: str = ""
    mode: str = "major"
    meter: int = 4
    duration: float = 0.0
    sample_rate: int = SAMPLE_RATE
    chords: list[ChordEvent] = field(default_factory=list)
    melody: list[MelodyNote] = field(default_factory=list)
    chord_tones: list[ChordTones] = field(default_factory=list)
    first_downbeat: float = 0.0
    loop: bool = False

    def midi_bytes(self) -> bytes:
        """The MIDI file as bytes (deterministic for a given cue)."""
        buf = io.BytesIO()
        self.midi.write(buf)
        return buf.getvalue()

    def summary(self) -> dict:
        return {
            "duration": round(self.duration, 3),
            "tempo": round(self.tempo, 3),
            "key": self.key,
            "style": self.style,
            "meter": self.meter,
            "loop": self.loop,
            "sections": [s.to_dict() for s in self.sections],
            "hits": [round(t, 3) for t in self.hit_times],
            "parts": [inst.name for inst in self.midi.instruments],
        }


# ---------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class _Plan:
    style: Style
    mode: str
    tonic: int
    valence: float
    arousal: float
    timing: Timing
    sections: list[FormSection]


def _mean_mood(cue: CueSheet) -> tuple[float, float]:
    weights = np.array([s.end - s.start for s in cue.sections])
    v = np.array([s.mood.valence for s in cue.sections])
    a = np.array([s.mood.arousal for s in cue.sections])
    return float(np.average(v, weights=weights)), float(np.average(a, weights=weights))


def plan(cue: CueSheet) -> _Plan:
    """Choose style, mode, key, tempo and form for a cue (deterministic in cue.seed)."""
    if cue.duration < MIN_DURATION:
        raise ValueError(f"duration must be at least {MIN_DURATION} s, got {cue.duration}")
    valence, arousal = _mean_mood(cue)
    style = get_style(cue.style or style_for_mood(valence, arousal))
    rng = np.random.default_rng([cue.seed, 1, _style_code(style)])
    mode = (cue.mode or ("major" if valence >= -0.1 else "minor")).lower()
    if mode not in ("major", "minor"):
        raise ValueError(f"mode must be major or minor, got {cue.mode!r}")
    if cue.key:
        from cinemuse.music.theory import parse_key

        tonic, key_mode = parse_key(cue.key)
        if cue.mode is None and any(cue.key.lower().endswith(s) for s in ("m", "min", "minor")):
            mode = key_mode
    else:
        tonic = pitch_class(rng.choice(MAJOR_KEYS if mode == "major" else MINOR_KEYS))
    lo, hi = style.tempo_range
    target = lo + (hi - lo) * (arousal + 1.0) / 2.0
    meter = int(cue.meter) if cue.meter in (2, 3, 4, 6) else 4
    timing = fit_timing(
        cue.duration,
        tempo=cue.tempo,
        target_tempo=target,
        tempo_range=style.tempo_range,
        meter=meter,
        first_downbeat=max(0.0, float(cue.first_downbeat)),
        loop=cue.loop,
    )
    boundaries = None
    if len(cue.sections) > 1:
        boundaries = [(s.start - timing.first_downbeat) / timing.bar for s in cue.sections]
    sections = plan_sections(timing.n_bars, loop=cue.loop, cue_boundaries=boundaries)
    # which cue section each form section falls in (by its middle)
    starts = np.array([s.start for s in cue.sections])
    tagged = []
    for sec in sections:
        mid = timing.bar_start(sec.start_bar + sec.n_bars / 2)
        idx = int(np.clip(np.searchsorted(starts, mid, side="right") - 1, 0, len(cue.sections) - 1))
        tagged.append(FormSection(sec.label, sec.theme, sec.variation, sec.start_bar, sec.n_bars, idx))
    return _Plan(style, mode, tonic, valence, arousal, timing, tagged)


def _style_code(style: Style) -> int:
    """A stable number per style, mixed into the seeds: another style is another piece."""
    return sum((i + 1) * ord(c) for i, c in enumerate(style.name))


def _bar_energies(cue: CueSheet, p: _Plan) -> np.ndarray:
    """Energy (0..1) per bar: the cue's curve, or a song-like arc from the mood."""
    t = p.timing
    mids = np.array([t.bar_start(i + 0.5) for i in range(t.n_bars)])
    explicit = bool(cue.energy_curve) or len(cue.sections) > 1 or cue.sections[0].energy != 0.5
    if explicit:
        return np.clip(cue.energy_at(mids), 0.0, 1.0)
    base = 0.5 + 0.3 * p.arousal
    energy = np.full(t.n_bars, base)
    for sec in p.sections:
        lift = {"intro": -0.2, "ending": -0.1, "B": 0.12}.get(sec.label.rstrip("'"), 0.0)
        if sec.theme and sec.variation >= 2:
            lift += 0.08
        energy[sec.start_bar : sec.end_bar] += lift
    return np.clip(energy, 0.05, 1.0)


# ---------------------------------------------------------------------- melody
def _theme_key(sec: FormSection, cue: CueSheet) -> tuple[str, int]:
    """Identity of a section's material: its theme letter, and its cue section when that
    section brings its own latent (a new shot gets its own tune; otherwise themes recur)."""
    steered = len(cue.sections) > 1 and cue.sections[sec.cue_index].latent is not None
    return (sec.theme, sec.cue_index if steered else 0)


def _phrase_latents(model, cue: CueSheet, sec: FormSection, p: _Plan, n_phrases: int,
                    energy: float) -> list[np.ndarray]:
    """Latents for a section's 2-bar phrases: statement, answer, restatement, close."""
    theme, cue_idx = _theme_key(sec, cue)
    rng = np.random.default_rng([cue.seed, 2, _style_code(p.style), ord(theme[0]), cue_idx])
    dim = model.latent_dim
    base = [model.sample_latent(rng) for _ in range(max(n_phrases, 4))]
    steer = cue.sections[sec.cue_index].latent
    if steer is not None and len(steer) == dim:
        base[0] = np.asarray(steer, dtype=np.float32)
        base[1] = 0.5 * base[1] + 0.7 * base[0]  # the answer stays close to the steer
    # inner repetition: phrase 3 restates phrase 1 (slightly varied), phrase 4 closes
    latents = []
    for i in range(n_phrases):
        z = base[i].copy()
        if i % 4 == 2:
            z = base[i - 2] + 0.25 * base[i]
        latents.append(z)
    if sec.variation:
        vrng = np.random.default_rng([cue.seed, 3, ord(theme[0]), cue_idx, sec.variation])
        for i in range(n_phrases):
            if i % 2 == 1 or sec.variation >= 2:  # keep the opening phrase recognisable
                latents[i] = latents[i] + 0.45 * vrng.standard_normal(dim).astype(np.float32)
    attrs = getattr(model, "attribute_vectors", {}) or {}
    offset = np.zeros(dim, dtype=np.float32)
    if "density" in attrs:
        offset += (1.4 * (energy - 0.5) + p.style.melody_density) * attrs["density"]
    if "mode" in attrs:
        offset += (0.8 if p.mode == "major" else -1.0) * attrs["mode"]
    if "rhythm" in attrs:
        offset += (0.6 * p.arousal + p.style.melody_rhythm) * attrs["rhythm"]
    if "register" in attrs:
        offset += 0.5 * p.arousal * attrs["register"]
    return [z + offset for z in latents]


def _decode_phrase(model, z, rng, steps: int, steps_per_bar: int) -> list[tuple[int, int, int]]:
    """Decode one phrase; retry if a bar would be silent (no note sounding in it)."""
    for attempt in range(4):
        notes = model.decode(z, rng=rng, temperature=0.75 if attempt == 0 else 0.9)
        notes = [(int(n.pitch), int(n.start), int(min(n.duration, steps - n.start)))
                 for n in notes if n.start < steps]
        covered = np.zeros(steps, dtype=bool)
        for _, s, d in notes:
            covered[s : s + d] = True
        bars_ok = all(covered[b : b + steps_per_bar].any() for b in range(0, steps, steps_per_bar))
        if notes and bars_ok:
            return notes
    # still a silent bar: let the previous note (or the tonic) sound into it
    pitch = notes[-1][0] if notes else 72
    for b in range(0, steps, steps_per_bar):
        if not covered[b : b + steps_per_bar].any():
            notes.append((pitch, b, steps_per_bar // 2))
    return sorted(notes, key=lambda n: n[1])


def _compose_melody(model, cue: CueSheet, p: _Plan, energies: np.ndarray) -> list[tuple[int, int, int]]:
    """Melody notes (C-relative pitch, absolute 16th step, length in steps) for the piece."""
    spb = 4 * p.timing.meter
    seg_bars = int(getattr(model, "bars_per_segment", 2))
    notes: list[tuple[int, int, int]] = []
    for sec in p.sections:
        if not sec.theme:
            continue
        n_phrases = int(np.ceil(sec.n_bars / seg_bars))
        energy = float(np.mean(energies[sec.start_bar : sec.end_bar]))
        latents = _phrase_latents(model, cue, sec, p, n_phrases, energy)
        theme, cue_idx = _theme_key(sec, cue)
        for i, z in enumerate(latents):
            first_bar = sec.start_bar + i * seg_bars
            bars = min(seg_bars, sec.end_bar - first_bar)
            # sampling seeded by the latent itself: a repeated phrase (same latent) comes
            # back note for note, a varied one (different latent) is sampled afresh
            z32 = np.ascontiguousarray(z, dtype=np.float32)
            rng = np.random.default_rng([cue.seed, 4, *np.frombuffer(z32.tobytes(), dtype=np.uint32).tolist()])
            phrase = _decode_phrase(model, z, rng, bars * spb, spb)
            notes += [(pitch, first_bar * spb + s, d) for pitch, s, d in phrase]
    return notes


# ---------------------------------------------------------------------- harmony
def _cadence_chords(mode: str) -> list[Chord]:
    if mode == "major":
        return [Chord(7, "maj"), Chord(5, "maj")]
    return [Chord(7, "maj"), Chord(5, "min")]


def _compose_harmony(cue: CueSheet, p: _Plan, melody_rel: list[tuple[int, int, int]]) -> list[Chord]:
    """One chord per half bar over the whole piece."""
    from cinemuse.music.harmony import HarmonyModel

    model = HarmonyModel.load()
    spb = 4 * p.timing.meter
    half = spb // 2
    n_slots = 2 * p.timing.n_bars
    pcs = np.zeros((n_slots, 12))
    for pitch, start, length in melody_rel:
        for s in range(start, start + length):
            slot = s // half
            if slot < n_slots:
                pcs[slot, pitch % 12] += 1.0
    bar_start = np.arange(n_slots) % 2 == 0
    tonic = tonic_chord(p.mode)
    chords: list[Chord] = [tonic] * n_slots
    last_body = p.sections[-1].start_bar if not cue.loop else p.timing.n_bars
    for k, sec in enumerate(p.sections):
        a, b = 2 * sec.start_bar, 2 * sec.end_bar
        if sec.label == "ending":
            continue  # the final chord stays the tonic
        allowed: dict[int, list[Chord]] = {}
        if k == 0 or sec.label == "intro" or (sec.theme == "A" and sec.variation == 0):
            allowed[0] = [tonic]
        if sec.end_bar != last_body and sec.theme and sec.n_bars >= 4:
            # phrase ends are cadences too (on I, or a half cadence on V/IV): the form is
            # heard in the harmony, and the music does not wander from section to section
            allowed[b - a - 1] = [tonic] + _cadence_chords(p.mode)
        if sec.end_bar == last_body:
            if cue.loop:  # close on the opening chord: the seam joins I to I
                allowed[b - a - 1] = [tonic]
                if b - a >= 3:
                    allowed[b - a - 2] = _cadence_chords(p.mode)
            else:  # authentic or plagal cadence into the final tonic
                allowed[b - a - 1] = _cadence_chords(p.mode)
        theme, cue_idx = _theme_key(sec, cue) if sec.theme else ("intro", 0)
        rng = np.random.default_rng([cue.seed, 5, ord(theme[0]), cue_idx, sec.variation, int(sec.end_bar == last_body)])
        chords[a:b] = model.harmonize(pcs[a:b], bar_start=bar_start[a:b], mode=p.mode,
                                      allowed=allowed, rng=rng, temperature=0.7, change_bias=1.2)
    return chords


# ---------------------------------------------------------------------- assembly
def _spans(chords: list[Chord], p: _Plan, energies: np.ndarray, hit_times: list[float]) -> list[ChordSpan]:
    """Merge repeated chords into spans, re-striking at bar 1 of every section and at hits."""
    t = p.timing
    section_starts = {2 * s.start_bar for s in p.sections}
    spans: list[ChordSpan] = []
    half = t.bar / 2
    for slot, chord in enumerate(chords):
        start = t.bar_start(slot / 2)
        bar = slot // 2
        e = float(energies[min(bar, len(energies) - 1)])
        if spans and spans[-1].chord == chord and slot not in section_starts and slot % 2 == 1:
            prev = spans[-1]
            spans[-1] = ChordSpan(prev.chord, prev.start, start + half, prev.energy, prev.on_bar)
        else:
            spans.append(ChordSpan(chord, start, start + half, e, slot % 2 == 0))
    # lead-in before the first downbeat: the first chord already sounds (no silent gap)
    first = spans[0]
    if first.start > 0.05:
        spans[0] = ChordSpan(first.chord, 0.0, first.end, first.energy, first.on_bar)
    # the last chord holds to the end of the piece (the ring-out)
    last = spans[-1]
    spans[-1] = ChordSpan(last.chord, last.start, t.duration, last.energy, last.on_bar)
    # a cue hit re-attacks the chord that is sounding then, exactly at the hit
    for hit in sorted(hit_times):
        for i, s in enumerate(spans):
            if s.start < hit < s.end - 0.05 and abs(hit - s.start) > 0.03:
                spans[i : i + 1] = [ChordSpan(s.chord, s.start, hit, s.energy, s.on_bar),
                                    ChordSpan(s.chord, hit, s.end, min(1.0, s.energy + 0.1), False)]
                break
    return spans


class Part(NamedTuple):
    """One instrument's notes before they become MIDI: ``(pitch, velocity, start, end)`` rows."""

    program: int
    notes: list[tuple[int, int, float, float]]
    is_drum: bool = False


def _to_instrument(name: str, part: Part, *, end_time: float) -> "pretty_midi.Instrument":
    import pretty_midi

    inst = pretty_midi.Instrument(program=int(part.program), is_drum=part.is_drum, name=name)
    for pitch, vel, start, end in sorted(part.notes, key=lambda n: (round(n[2], 6), n[0])):
        start = max(0.0, float(start))
        end = min(float(end), end_time)
        if end - start >= 0.01 and 0 <= pitch <= 127:
            inst.notes.append(pretty_midi.Note(int(np.clip(vel, 1, 127)), int(pitch), start, end))
    return inst


def compose(
    cue: CueSheet,
    *,
    progress=SILENT,
    instruments: dict[str, int] | None = None,
    melody_model=None,
    sample_rate: int = SAMPLE_RATE,
    render: bool = True,
) -> Piece:
    """Compose, arrange, render and master a piece for ``cue``.

    The steps, each a function below: :func:`plan` (style, key, tempo, form), the
    melody (:func:`_compose_melody`), the harmony (:func:`_compose_harmony`), the parts
    (:func:`_arrange_parts`), the MIDI (:func:`_to_midi`), then :func:`render_piece`.

    Parameters
    ----------
    cue : CueSheet
        Duration (exact), sections (mood, energy, latent), hits, tempo, key, mode, style,
        loop, seed.
    instruments : dict, optional
        Role ("melody", "chords", "pad", "bass") -> GM program, overriding the style.
    melody_model : optional
        A :class:`cinemuse.music.melody_model.MelodyModel` (default: the shipped one).
    render : bool
        False skips audio (``audio`` and ``stems`` are then empty): MIDI only, fast.

    Returns
    -------
    Piece
        ``audio`` has exactly ``round(cue.duration * sample_rate)`` frames. Every hit
        in ``cue.hits`` starts an accent note at exactly its time (hits in the last
        10 ms of a piece are too late to sound and are left out of the MIDI).
    """
    if melody_model is None:
        from cinemuse.music.melody_model import MelodyModel

        melody_model = MelodyModel.load()
    with progress.stage("Composing", total=4) as st:
        p = plan(cue)
        energies = _bar_energies(cue, p)
        st.advance()
        melody_c = _compose_melody(melody_model, cue, p, energies)
        # C-relative -> key-relative (the model's minor tunes are in A minor)
        mode_offset = 0 if p.mode == "major" else 9
        melody_rel = [(pitch - mode_offset, s, d) for pitch, s, d in melody_c]
        st.advance()
        chords = _compose_harmony(cue, p, melody_rel)
        st.advance()
        hit_times = sorted(float(h.time) for h in cue.hits if 0.0 <= h.time < cue.duration)
        spans = _spans(chords, p, energies, hit_times)
        parts = _arrange_parts(cue, p, energies, melody_rel, spans, instruments or {})
        pm = _to_midi(cue, p, energies, parts)
        st.advance()
    piece = _piece(cue, p, pm, spans, hit_times, sample_rate)
    if render:
        piece.audio, piece.stems = render_piece(piece, progress=progress)
    return piece


def _arrange_parts(cue: CueSheet, p: _Plan, energies: np.ndarray, melody_rel: list[tuple[int, int, int]],
                   spans: list[ChordSpan], instruments: dict[str, int]) -> dict[str, Part]:
    """Every part of the arrangement, by role, in the order they go into the MIDI."""
    t, style = p.timing, p.style
    programs = {**style.programs, **instruments}
    parts: dict[str, Part] = {}
    if melody_rel:
        parts["melody"] = Part(programs["melody"], _melody_notes(cue, p, energies, melody_rel))
    if "chords" in programs:
        parts["chords"] = Part(programs["chords"], arrange.accompaniment(
            spans, tonic=p.tonic, style=style, beat=t.beat, meter=t.meter, swing=style.swing))
    if "pad" in programs:
        parts["pad"] = Part(programs["pad"], arrange.pad_part(spans, tonic=p.tonic, style=style))
    if "bass" in programs:
        parts["bass"] = Part(programs["bass"], arrange.bass_part(
            spans, tonic=p.tonic, style=style, beat=t.beat, meter=t.meter, swing=style.swing))
    if style.drum_styles:
        parts["drums"] = _drum_part(cue, p, energies)
    hits = [h for h in cue.hits if 0.0 <= h.time < cue.duration]
    if hits:
        notes, is_drum, program = arrange.hit_notes(hits, tonic=p.tonic, style=style)
        parts["hits"] = Part(style.drum_program if is_drum else program, notes, is_drum)
    return parts


def _melody_notes(cue: CueSheet, p: _Plan, energies: np.ndarray,
                  melody_rel: list[tuple[int, int, int]]) -> list[tuple[int, int, float, float]]:
    """The tune in the key, one octave shift for the whole piece, swung and accented;
    a non-looping piece lands on the tonic with the final chord."""
    t, style = p.timing, p.style
    step = t.beat / 4.0
    median = float(np.median([n[0] for n in melody_rel]))
    shift = p.tonic + 12 * round((style.melody_octave + 4 - median - p.tonic) / 12)
    notes = []
    for pitch, s, d in melody_rel:
        start = t.first_downbeat + s * step
        if style.swing and s % 4 == 2:
            start += style.swing * 2 * step
        bar = min(s // (4 * t.meter), len(energies) - 1)
        accent = 8 if s % (4 * t.meter) == 0 else 0
        vel = int(np.clip(style.melody_velocity * (0.7 + 0.45 * energies[bar]) + accent, 30, 122))
        notes.append((pitch + shift, vel, start, t.first_downbeat + (s + d) * step - 0.01))
    if not cue.loop:
        final = t.bar_start(t.n_bars - 1)
        last_pitch = notes[-1][0]
        tonic_pitch = last_pitch + ((p.tonic - last_pitch + 6) % 12 - 6)
        notes = [n for n in notes if n[2] < final - 1e-6]
        notes.append((tonic_pitch, int(style.melody_velocity * 0.8), final, t.duration))
    return notes


def _drum_part(cue: CueSheet, p: _Plan, energies: np.ndarray) -> Part:
    """Learned grooves bar by bar: rests in the intro and quiet bars, a fill into new
    material, the B theme's variant groove, a crash on the ending."""
    from cinemuse.music.drums import drum_notes

    t = p.timing
    section_of_bar = {b: k for k, sec in enumerate(p.sections) for b in range(sec.start_bar, sec.end_bar)}
    rows = []
    for b in range(t.n_bars):
        sec = p.sections[section_of_bar[b]]
        e = float(energies[b])
        if sec.label == "ending":
            kind = "crash"
        elif sec.label == "intro" or e < 0.2:
            kind = "rest"
        elif b == sec.end_bar - 1 and k_next_differs(p.sections, section_of_bar[b]) and e >= 0.3:
            kind = "fill"
        else:
            kind = "groove_b" if sec.theme in ("B", "D") else "groove"
        rows.append((t.bar_start(b), t.bar, kind, e))
    rng = np.random.default_rng([cue.seed, 6])
    notes = drum_notes(rows, families=p.style.drum_styles, bpm=t.tempo, rng=rng, swing=p.style.swing)
    return Part(p.style.drum_program, notes, True)


def _to_midi(cue: CueSheet, p: _Plan, energies: np.ndarray, parts: dict[str, Part]) -> "pretty_midi.PrettyMIDI":
    """The parts as one MIDI file: tempo, metre and key; sustained parts get CC11 swells."""
    import pretty_midi

    t, style = p.timing, p.style
    pm = pretty_midi.PrettyMIDI(initial_tempo=float(t.tempo))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(t.meter, 4, 0.0))
    key_name = f"{NOTE_NAMES[p.tonic]} {'Major' if p.mode == 'major' else 'Minor'}"
    pm.key_signature_changes.append(pretty_midi.KeySignature(pretty_midi.key_name_to_key_number(key_name), 0.0))
    expression = _expression_curve(cue, p, energies)
    for name, part in parts.items():
        inst = _to_instrument(name, part, end_time=t.duration)
        sustained = name == "pad" or (name in ("chords", "melody") and style.accompaniment == "pad")
        if sustained:  # held notes follow the energy (and swell into new sections) via CC11
            inst.control_changes = [pretty_midi.ControlChange(11, v, time) for time, v in expression]
        pm.instruments.append(inst)
    return pm


def _piece(cue: CueSheet, p: _Plan, pm, spans: list[ChordSpan], hit_times: list[float],
           sample_rate: int) -> Piece:
    """The Piece (not yet rendered): form in seconds, chords and tune as they sound."""
    t = p.timing
    sections = [
        PieceSection(sec.label,
                     round(0.0 if sec.start_bar == 0 else t.bar_start(sec.start_bar), 3),
                     round(t.duration if sec is p.sections[-1] else t.bar_start(sec.end_bar), 3),
                     sec.n_bars)
        for sec in p.sections
    ]
    return Piece(
        midi=pm, audio=np.zeros((0, 2), np.float32), stems={}, sections=sections,
        tempo=float(t.tempo), key=f"{NOTE_NAMES[p.tonic]} {p.mode}", hit_times=hit_times,
        style=p.style.name, mode=p.mode, meter=t.meter, duration=float(cue.duration),
        sample_rate=sample_rate,
        chords=[ChordEvent(round(s.start, 4), round(s.end, 4), s.chord.symbol(p.tonic)) for s in spans],
        melody=[MelodyNote(n.pitch, n.start, n.end) for inst in pm.instruments if inst.name == "melody"
                for n in inst.notes],
        chord_tones=[ChordTones(s.start, s.end, s.chord.pitch_classes(p.tonic)) for s in spans],
        first_downbeat=t.first_downbeat, loop=cue.loop,
    )


def _expression_curve(cue: CueSheet, p: _Plan, energies: np.ndarray) -> list[tuple[float, int]]:
    """CC11 (expression) points every half beat for sustained parts.

    The level follows the energy per bar (smoothed) and swells through the last bar
    before a section that is at least as energetic: a transition you can hear in pads
    and strings, which velocity alone cannot shape once a note is held.
    """
    t = p.timing
    step = t.beat / 2
    times = np.arange(0.0, t.duration, step)
    bar_pos = (times - t.first_downbeat) / t.bar
    centres = np.arange(len(energies)) + 0.5
    e = np.interp(bar_pos, centres, energies)
    swell = np.zeros_like(times)
    for k, sec in enumerate(p.sections[:-1]):
        nxt = p.sections[k + 1]
        if nxt.label == "ending" or sec.n_bars < 2:
            continue
        if energies[min(nxt.start_bar, len(energies) - 1)] >= energies[sec.end_bar - 1] - 0.05:
            a = (bar_pos - (sec.end_bar - 1)).clip(0, 1) * (bar_pos < sec.end_bar)
            swell = np.maximum(swell, a)
    value = 127 * np.clip(0.55 + 0.4 * e + 0.2 * swell, 0.0, 1.0)
    points, last = [], None
    for time, v in zip(times, np.round(value).astype(int)):
        if v != last:
            points.append((float(time), int(v)))
            last = v
    return points


def k_next_differs(sections: list[FormSection], k: int) -> bool:
    """Whether the section after ``k`` starts new material (a drum fill leads into it)."""
    return k + 1 < len(sections) and sections[k + 1].label != sections[k].label


def render_piece(piece: Piece, *, progress=SILENT) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Synthesise, mix and master a piece to exactly its duration, in memory.

    Returns
    -------
    mix : np.ndarray, shape (n, 2), float32
    stems : dict of str -> np.ndarray
        The processed stems; they sum to ``mix``.
    """
    with render_piece_blocks(piece, keep_stems=True, progress=progress) as mastered:
        return mastered.read(), mastered.read_stems()


def render_piece_blocks(piece: Piece, *, keep_stems: bool = False, progress=SILENT):
    """Synthesise, mix and master a piece block by block: memory stays flat with its length.

    A non-looping piece fades its final chord to silence over the last seconds (never
    a hard cut). A loop is rendered with an extra tail that is wrapped onto the start,
    so notes and reverb ringing over the seam continue seamlessly.

    Returns
    -------
    cinemuse.music.mix.Mastered
        Exactly ``round(duration * sample_rate)`` samples, read back in blocks; close it
        (or use ``with``) to delete its scratch files.
    """
    from cinemuse.music.mix import mix_and_master_blocks
    from cinemuse.music.render import render_stem_blocks

    sr = piece.sample_rate
    n = int(round(piece.duration * sr))
    total = n + (int(3.0 * sr) if piece.loop else 0)
    names = [inst.name for inst in piece.midi.instruments]
    with progress.stage("Rendering", total=round(total / sr, 1)) as st:
        done = [0]

        def advanced(position: int) -> None:
            st.advance((position - done[0]) / sr)
            done[0] = position

        blocks = render_stem_blocks(piece.midi, total, sample_rate=sr, first_sample=int(piece.loop), names=names,
                                    ahead=True)
        return mix_and_master_blocks(
            blocks, sample_rate=sr, style=piece.style, loop=piece.loop, length=n,
            fade=None if piece.loop else _ending_fade(piece, n), keep_stems=keep_stems, on_block=advanced,
        )


def _ending_fade(piece: Piece, n: int) -> tuple[int, np.ndarray]:
    """(first sample, gain curve to its end): a smooth fall to 0 at the last sample.

    The final chord sounds at full level for a while first; the fade takes 3/4 of the
    ring-out (at most 4 s), so the piece ends in silence, never with a hard cut.
    """
    sr = piece.sample_rate
    last = piece.sections[-1]
    final_start = last.start if last.label == "ending" else piece.duration - 2.0
    ring = piece.duration - final_start
    fade_len = max(0.25, min(4.0, 0.75 * ring, piece.duration * 0.4))
    start = max(0, n - int(round(fade_len * sr)))
    x = np.linspace(0.0, 1.0, n - start, dtype=np.float32)
    return start, ((0.5 * (1 + np.cos(np.pi * x))) ** 1.5).astype(np.float32)
