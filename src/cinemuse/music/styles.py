"""Arrangement styles: instruments, accompaniment, bass, drums and mix per style.

A style is data, not code: :mod:`cinemuse.music.arrange` reads these fields to write the
parts, :mod:`cinemuse.music.mix` reads ``mix``. Programs are General MIDI (0-based).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MixSettings:
    """Per-role level (dB) and reverb send, room size, and bus compression."""

    levels_db: dict[str, float]
    reverb_sends: dict[str, float]
    room_size: float = 0.5
    comp_threshold_db: float = -20.0
    comp_ratio: float = 1.5


@dataclass(frozen=True)
class Style:
    """One arrangement style.

    Attributes
    ----------
    programs : dict
        Role -> GM program for "melody", "chords", "pad", "bass" (missing role = not played).
    accompaniment : str
        How the chords are played: "arpeggio", "block", "pad", "strum", "alberti",
        "pulse" (repeated 8ths), "broken" (low-high piano pattern).
    bass : str
        "sustain" (held roots), "root_fifth", "pulse" (8th-note roots), "syncopated".
    drum_styles : tuple of str
        Groove MIDI Dataset style families to draw grooves from; empty = no drums.
    hit_sound : str
        How a cue hit is marked besides the chord re-attack: "crash", "timpani",
        "low_piano", "harp", "boom".
    """

    name: str
    programs: dict[str, int]
    accompaniment: str
    bass: str
    drum_styles: tuple[str, ...]
    tempo_range: tuple[float, float]
    melody_octave: int  # MIDI pitch of the tonic the melody sits around
    chord_octave: int  # MIDI pitch around which chords are voiced
    chords_per_bar: int = 1
    swing: float = 0.0  # 0 = straight 16ths; 0.2 delays off-beat 8ths by 20 % of an 8th
    melody_velocity: int = 88
    hit_sound: str = "crash"
    drum_program: int = 0  # GM drum kit (bank 128) preset
    melody_density: float = 0.0  # along the melody model's density vector: - sparser, + busier
    melody_rhythm: float = 0.0  # along its rhythm vector: + more off-beat (syncopated) onsets
    mix: MixSettings = field(
        default_factory=lambda: MixSettings(
            {"melody": 0.0, "chords": -4.0, "pad": -8.0, "bass": -2.0, "drums": -3.0, "hits": -4.0},
            {"melody": 0.25, "chords": 0.25, "pad": 0.35, "bass": 0.0, "drums": 0.08, "hits": 0.3},
        )
    )


STYLES: dict[str, Style] = {
    "cinematic": Style(
        name="cinematic",
        melody_density=-0.6,
        melody_rhythm=0.0,
        programs={"melody": 40, "chords": 48, "pad": 49, "bass": 43},  # violin, strings, slow strings, contrabass
        accompaniment="pad",
        bass="sustain",
        drum_styles=(),
        tempo_range=(64, 100),
        melody_octave=72,
        chord_octave=60,
        melody_velocity=84,
        hit_sound="timpani",
        mix=MixSettings(
            {"melody": 0.0, "chords": -4.0, "pad": -6.0, "bass": -2.0, "hits": -1.0},
            {"melody": 0.35, "chords": 0.4, "pad": 0.45, "bass": 0.15, "hits": 0.4},
            room_size=0.85,
            comp_ratio=1.3,
        ),
    ),
    "ambient": Style(
        name="ambient",
        melody_density=-1.6,
        melody_rhythm=-0.5,
        programs={"melody": 88, "chords": 89, "pad": 91, "bass": 89},  # new-age, warm pad, choir pad
        accompaniment="pad",
        bass="sustain",
        drum_styles=(),
        tempo_range=(60, 84),
        melody_octave=72,
        chord_octave=60,
        melody_velocity=72,
        hit_sound="harp",
        mix=MixSettings(
            {"melody": -1.0, "chords": -5.0, "pad": -5.0, "bass": -6.0, "hits": -4.0},
            {"melody": 0.5, "chords": 0.5, "pad": 0.5, "bass": 0.2, "hits": 0.5},
            room_size=0.95,
            comp_ratio=1.2,
        ),
    ),
    "lofi": Style(
        name="lofi",
        melody_density=-0.2,
        melody_rhythm=0.6,
        programs={"melody": 11, "chords": 4, "bass": 33},  # vibraphone, electric piano, finger bass
        accompaniment="block",
        bass="syncopated",
        drum_styles=("hiphop", "soul"),
        tempo_range=(72, 90),
        melody_octave=72,
        chord_octave=60,
        swing=0.25,
        melody_velocity=80,
        hit_sound="crash",
        mix=MixSettings(
            {"melody": -1.0, "chords": -3.0, "bass": -1.0, "drums": -2.0, "hits": -6.0},
            {"melody": 0.2, "chords": 0.2, "bass": 0.0, "drums": 0.05, "hits": 0.2},
            room_size=0.4,
            comp_ratio=2.0,
        ),
    ),
    "folk": Style(
        name="folk",
        melody_density=0.0,
        melody_rhythm=0.0,
        programs={"melody": 73, "chords": 25, "bass": 32},  # flute, steel guitar, acoustic bass
        accompaniment="strum",
        bass="root_fifth",
        drum_styles=("country", "rock"),
        tempo_range=(88, 120),
        melody_octave=72,
        chord_octave=55,
        melody_velocity=86,
        hit_sound="crash",
        mix=MixSettings(
            {"melody": 0.0, "chords": -3.0, "bass": -3.0, "drums": -7.0, "hits": -6.0},
            {"melody": 0.2, "chords": 0.15, "bass": 0.0, "drums": 0.05, "hits": 0.2},
            room_size=0.5,
            comp_ratio=1.5,
        ),
    ),
    "pop": Style(
        name="pop",
        melody_density=0.3,
        melody_rhythm=0.4,
        programs={"melody": 81, "chords": 0, "pad": 50, "bass": 38},  # saw lead, piano, synth strings, synth bass
        accompaniment="pulse",
        bass="pulse",
        drum_styles=("pop", "rock", "soul"),
        tempo_range=(96, 124),
        melody_octave=72,
        chord_octave=60,
        chords_per_bar=1,
        melody_velocity=84,
        hit_sound="crash",
        mix=MixSettings(
            {"melody": -3.0, "chords": -4.0, "pad": -10.0, "bass": -2.0, "drums": -1.0, "hits": -4.0},
            {"melody": 0.15, "chords": 0.15, "pad": 0.2, "bass": 0.0, "drums": 0.05, "hits": 0.2},
            room_size=0.45,
            comp_ratio=2.0,
        ),
    ),
    "piano": Style(
        name="piano",
        melody_density=-0.4,
        melody_rhythm=0.0,
        programs={"melody": 0, "chords": 0, "bass": 0},
        accompaniment="broken",
        bass="sustain",
        drum_styles=(),
        tempo_range=(66, 96),
        melody_octave=72,
        chord_octave=55,
        melody_velocity=82,
        hit_sound="low_piano",
        mix=MixSettings(
            {"melody": 0.0, "chords": -4.0, "bass": -4.0, "hits": -3.0},
            {"melody": 0.25, "chords": 0.25, "bass": 0.25, "hits": 0.25},
            room_size=0.7,
            comp_ratio=1.2,
        ),
    ),
    "electronic": Style(
        name="electronic",
        melody_density=0.4,
        melody_rhythm=0.5,
        programs={"melody": 80, "chords": 81, "pad": 90, "bass": 38},  # square lead, saw, polysynth, synth bass
        accompaniment="arpeggio",
        bass="pulse",
        drum_styles=("dance", "funk", "hiphop"),
        tempo_range=(110, 128),
        melody_octave=72,
        chord_octave=60,
        melody_velocity=80,
        hit_sound="crash",
        drum_program=25,  # TR-808-like kit where the soundfont has one
        mix=MixSettings(
            {"melody": -4.0, "chords": -8.0, "pad": -10.0, "bass": -2.0, "drums": 0.0, "hits": -4.0},
            {"melody": 0.2, "chords": 0.2, "pad": 0.3, "bass": 0.0, "drums": 0.05, "hits": 0.2},
            room_size=0.6,
            comp_ratio=2.5,
        ),
    ),
}

DEFAULT_STYLE = "cinematic"


def get_style(name: str | None) -> Style:
    """The style called ``name`` (case-insensitive); None gives the default (cinematic)."""
    if name is None:
        return STYLES[DEFAULT_STYLE]
    key = name.lower().replace("-", "").replace("_", "").replace(" ", "")
    aliases = {"lofi": "lofi", "lowfi": "lofi", "acoustic": "folk", "solopiano": "piano",
               "upbeat": "pop", "upbeatpop": "pop", "orchestral": "cinematic", "edm": "electronic"}
    key = aliases.get(key, key)
    if key not in STYLES:
        raise ValueError(f"unknown style {name!r}; choose from {', '.join(STYLES)}")
    return STYLES[key]


def style_for_mood(valence: float, arousal: float) -> str:
    """A default style for a point in valence x arousal."""
    if arousal > 0.6:
        return "electronic" if valence > 0.5 else "cinematic"
    if arousal > 0.2:
        return "pop" if valence > 0.2 else "cinematic"
    if arousal < -0.5:
        return "ambient" if valence < 0.5 else "piano"
    if valence < -0.3:
        return "piano"
    return "lofi" if valence < 0.3 else "folk"
