"""Lead sheets of a composed piece: melody + chord symbols as MusicXML (music21) or ABC.

The melody is re-quantised to the piece's 16th-note grid (it was written on it, so this
is exact apart from swing), split at bar lines with ties.
"""

from __future__ import annotations

from pathlib import Path

from cinemuse.music.theory import NOTE_NAMES

# key signature size (sharps > 0, flats < 0) of each major tonic pitch class
_MAJOR_SIG = {0: 0, 7: 1, 2: 2, 9: 3, 4: 4, 11: 5, 6: 6, 5: -1, 10: -2, 3: -3, 8: -4, 1: -5}
_SHARP_ORDER = "FCGDAEB"
_FLAT_ORDER = "BEADGCF"
_SHARP_NAMES = ("C", "^C", "D", "^D", "E", "F", "^F", "G", "^G", "A", "^A", "B")
_FLAT_NAMES = ("C", "_D", "D", "_E", "E", "F", "_G", "G", "_A", "A", "_B", "B")


def _grid_events(piece) -> tuple[list[tuple[int, int, int | None]], int]:
    """Melody as (start step, length steps, pitch or None for rest) and steps per bar."""
    step = 60.0 / piece.tempo / 4.0
    spb = 4 * piece.meter
    notes = sorted(piece.melody, key=lambda n: n.start)
    events, cursor = [], 0
    for pitch, start, end in notes:
        s = max(0, int(round((start - piece.first_downbeat) / step)))
        e = max(s + 1, int(round((end - piece.first_downbeat) / step)))
        if s < cursor:
            continue
        if s > cursor:
            events.append((cursor, s - cursor, None))
        events.append((s, e - s, int(pitch)))
        cursor = e
    total = max(cursor, spb)
    total = spb * -(-total // spb)
    if total > cursor:
        events.append((cursor, total - cursor, None))
    return events, spb


def _split_at_bars(events, spb):
    """Split events at bar lines: (bar, start, length, pitch, tied_to_next)."""
    out = []
    for start, length, pitch in events:
        while length > 0:
            bar, pos = divmod(start, spb)
            chunk = min(length, spb - pos)
            out.append((bar, start, chunk, pitch, length > chunk and pitch is not None))
            start += chunk
            length -= chunk
    return out


def _chords_by_step(piece, spb):
    step = 60.0 / piece.tempo / 4.0
    rows = {}
    for start, _end, symbol in piece.chords:
        s = int(round((start - piece.first_downbeat) / step))
        if s >= 0 and (not rows or list(rows.values())[-1] != symbol):
            rows[s] = symbol
    return rows


def to_abc(piece, *, title: str = "cinemuse") -> str:
    """ABC notation of the melody with chord symbols (L:1/16)."""
    tonic = [i for i, n in enumerate(NOTE_NAMES) if piece.key.startswith(n + " ")][0]
    minor = piece.key.endswith("minor")
    sig = _MAJOR_SIG[(tonic + 3) % 12 if minor else tonic]
    key_acc = {}
    for letter in (_SHARP_ORDER[:sig] if sig > 0 else _FLAT_ORDER[: -sig]):
        key_acc[letter] = 1 if sig > 0 else -1
    names = _FLAT_NAMES if sig < 0 else _SHARP_NAMES
    events, spb = _grid_events(piece)
    chords = _chords_by_step(piece, spb)
    lines = [
        "X:1",
        f"T:{title}",
        f"M:{piece.meter}/4",
        "L:1/16",
        f"Q:1/4={round(piece.tempo)}",
        f"K:{NOTE_NAMES[tonic]}{'m' if minor else ''}",
    ]
    body, bar_acc, current_bar = [], {}, 0
    for bar, start, length, pitch, tie in _split_at_bars(events, spb):
        if bar != current_bar:
            body.append(" |" + ("\n" if bar % 4 == 0 else " "))
            current_bar, bar_acc = bar, {}
        if start in chords:
            body.append(f'"{chords[start]}"')
        if pitch is None:
            body.append(f"z{length}")
            continue
        spelled = names[pitch % 12]
        letter = spelled[-1]
        want = {"^": 1, "_": -1}.get(spelled[0], 0) if len(spelled) == 2 else 0
        octave = pitch // 12 - 1  # MIDI 60 = C4
        state = bar_acc.get((letter, octave), key_acc.get(letter, 0))
        mark = "" if want == state else {1: "^", -1: "_", 0: "="}[want]
        bar_acc[(letter, octave)] = want
        text = letter if octave <= 4 else letter.lower()
        text += "," * max(0, 4 - octave) + "'" * max(0, octave - 5)
        body.append(f"{mark}{text}{length}{'-' if tie else ''}")
    body.append(" |]")
    return "\n".join(lines) + "\n" + "".join(body).replace("| \n", "|\n") + "\n"


def write_leadsheet(piece, path: str | Path) -> None:
    """Write ``.abc`` (plain text) or ``.musicxml``/``.xml``/``.mxl`` (music21) to ``path``."""
    path = Path(path)
    if path.suffix.lower() == ".abc":
        path.write_text(to_abc(piece))
        return
    from music21 import harmony, key, meter, metadata, note, stream, tempo

    events, spb = _grid_events(piece)
    chords = _chords_by_step(piece, spb)
    part = stream.Part()
    part.append(tempo.MetronomeMark(number=round(piece.tempo)))
    part.append(meter.TimeSignature(f"{piece.meter}/4"))
    tonic_name, mode = piece.key.split()
    part.append(key.Key(tonic_name.replace("b", "-"), mode))
    for start, length, pitch in events:
        element = note.Rest() if pitch is None else note.Note(pitch)
        element.quarterLength = length / 4.0
        part.insert(start / 4.0, element)
    for s, symbol in chords.items():
        try:
            cs = harmony.ChordSymbol(symbol.replace("b", "-", 1) if len(symbol) > 1 and symbol[1] == "b" else symbol)
        except Exception:  # a symbol music21 cannot parse is left out, not fatal
            continue
        cs.quarterLength = 0
        part.insert(s / 4.0, cs)
    score = stream.Score()
    score.insert(0, metadata.Metadata(title="cinemuse"))
    score.insert(0, part)
    score.makeNotation(inPlace=True)
    score.write("musicxml", fp=str(path))
