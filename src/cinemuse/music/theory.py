"""Small music-theory vocabulary: note names, keys, scales, chord qualities and symbols.

Chords are key-relative in the models: ``(root, quality)`` with ``root`` the interval in
semitones above the tonic (0..11) and ``quality`` one of :data:`QUALITIES`.
"""

from __future__ import annotations

from dataclasses import dataclass

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)  # natural minor; V is raised to major by the harmony model

# Chord qualities the harmony model knows, with their intervals above the root.
QUALITY_INTERVALS: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
}
QUALITIES = tuple(QUALITY_INTERVALS)

# POP909/Harte chord-label qualities reduced to the triad classes above.
_LABEL_QUALITY = {
    "maj": "maj", "min": "min", "dim": "dim", "aug": "aug", "sus2": "sus2", "sus4": "sus4",
    "7": "maj", "maj7": "maj", "maj6": "maj", "9": "maj", "maj9": "maj", "6": "maj",
    "min7": "min", "min6": "min", "minmaj7": "min", "min9": "min",
    "hdim7": "dim", "dim7": "dim", "sus4(b7)": "sus4", "sus2(b7)": "sus2",
}

ROMAN = ("I", "bII", "II", "bIII", "III", "IV", "#IV", "V", "bVI", "VI", "bVII", "VII")


def pitch_class(name: str) -> int:
    """Pitch class (0..11) of a note name such as ``C``, ``F#``, ``Bb``, ``Gb``."""
    text = name.strip()
    if not text or text[0].upper() not in _LETTER_PC:
        raise ValueError(f"not a note name: {name!r}")
    pc = _LETTER_PC[text[0].upper()]
    for ch in text[1:]:
        if ch in "#♯":
            pc += 1
        elif ch in "b♭":
            pc -= 1
        else:
            raise ValueError(f"not a note name: {name!r}")
    return pc % 12


def parse_key(text: str) -> tuple[int, str]:
    """``"F#"``, ``"F# minor"``, ``"Gb:maj"``, ``"am"`` -> (tonic pitch class, "major"/"minor")."""
    t = text.strip().replace(":", " ")
    mode = "major"
    low = t.lower()
    for suffix, m in ((" minor", "minor"), (" min", "minor"), (" major", "major"), (" maj", "major")):
        if low.endswith(suffix):
            t, mode = t[: -len(suffix)], m
            break
    else:
        if len(t) > 1 and t.endswith("m") and t[:-1].strip():
            t, mode = t[:-1], "minor"
    return pitch_class(t.strip()), mode


@dataclass(frozen=True)
class Chord:
    """A key-relative chord: root in semitones above the tonic, and a triad quality."""

    root: int
    quality: str

    @property
    def intervals(self) -> tuple[int, ...]:
        return QUALITY_INTERVALS[self.quality]

    def pitch_classes(self, tonic: int = 0) -> tuple[int, ...]:
        """Absolute pitch classes for a key whose tonic is ``tonic``."""
        return tuple((tonic + self.root + i) % 12 for i in self.intervals)

    def roman(self) -> str:
        """Roman numeral, lower case for minor/diminished (e.g. ``vi``, ``V``, ``vii°``)."""
        numeral = ROMAN[self.root % 12]
        if self.quality in ("min", "dim"):
            numeral = numeral.lower()
        suffix = {"dim": "°", "aug": "+", "sus2": "sus2", "sus4": "sus4"}.get(self.quality, "")
        return numeral + suffix

    def symbol(self, tonic: int) -> str:
        """Lead-sheet symbol in a key, e.g. ``Am``, ``F#dim``, ``Gsus4``."""
        name = NOTE_NAMES[(tonic + self.root) % 12]
        return name + {"maj": "", "min": "m", "dim": "dim", "aug": "+", "sus2": "sus2", "sus4": "sus4"}[self.quality]


def chord_index(chord: Chord) -> int:
    """Index of a chord in the 72-state vocabulary (root-major order)."""
    return (chord.root % 12) * len(QUALITIES) + QUALITIES.index(chord.quality)


def index_chord(index: int) -> Chord:
    """Inverse of :func:`chord_index`."""
    return Chord(index // len(QUALITIES), QUALITIES[index % len(QUALITIES)])


N_CHORDS = 12 * len(QUALITIES)


def parse_chord_label(label: str) -> tuple[int, str] | None:
    """A POP909/Harte label such as ``Gb:min7/b3`` -> (absolute root pc, triad quality).

    Returns None for no-chord (``N``) and for qualities outside the vocabulary.
    """
    if label in ("N", "X", ""):
        return None
    root_text, _, rest = label.partition(":")
    quality = rest.split("/")[0] or "maj"
    reduced = _LABEL_QUALITY.get(quality)
    if reduced is None:
        return None
    try:
        return pitch_class(root_text), reduced
    except ValueError:
        return None


def scale(mode: str) -> tuple[int, ...]:
    """Scale degrees (semitones above the tonic) of ``"major"`` or ``"minor"``."""
    return MAJOR_SCALE if mode == "major" else MINOR_SCALE


def tonic_chord(mode: str) -> Chord:
    return Chord(0, "maj" if mode == "major" else "min")


def diatonic_triads(mode: str) -> list[Chord]:
    """The seven triads built on the scale (minor: natural minor, with a major V added)."""
    sc = scale(mode)
    chords = []
    for i, root in enumerate(sc):
        third = (sc[(i + 2) % 7] - root) % 12
        fifth = (sc[(i + 4) % 7] - root) % 12
        quality = {(4, 7): "maj", (3, 7): "min", (3, 6): "dim", (4, 8): "aug"}[(third, fifth)]
        chords.append(Chord(root, quality))
    if mode == "minor":
        chords.append(Chord(7, "maj"))
    return chords
