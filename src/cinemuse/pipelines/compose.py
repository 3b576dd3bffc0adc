"""The ``compose`` job: options -> CueSheet -> Piece -> files (audio, MIDI, lead sheet, stems).

:func:`compose` (``cinemuse.compose``) is the job as the command line runs it: options in,
files out. :func:`compose_to_file` does the same from a CueSheet you built yourself (a
slideshow's, say); :func:`cinemuse.music.compose.compose` gives the Piece itself.
"""

from __future__ import annotations

import contextlib

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cinemuse.cuesheet import CueSheet, Mood, Section, check_tempo, parse_mood
from cinemuse.errors import UsageError
from cinemuse.pipelines.results import Result
from cinemuse.progress import SILENT, Progress

AUDIO_FORMATS = (".wav", ".flac", ".mp3")
MIDI_FORMATS = (".mid", ".midi")
SHEET_FORMATS = (".musicxml", ".xml", ".abc")
OUTPUT_FORMATS = AUDIO_FORMATS + MIDI_FORMATS + SHEET_FORMATS
MIN_SECONDS, MAX_SECONDS = 5.0, 20 * 60.0
ROLES = ("melody", "chords", "pad", "bass")


def parse_instruments(text: str | None) -> dict[str, int]:
    """``melody=flute,bass=33`` -> {"melody": 73, "bass": 33} (GM names or numbers 0-127)."""
    if not text:
        return {}
    import pretty_midi

    out = {}
    gm = {pretty_midi.program_to_instrument_name(i).lower(): i for i in range(128)}
    for item in text.split(","):
        role, sep, value = item.partition("=")
        role, value = role.strip().lower(), value.strip().lower()
        if not sep or role not in ROLES:
            raise UsageError(f"--instruments {item!r}: use ROLE=INSTRUMENT with ROLE one of {', '.join(ROLES)}")
        if value.isdigit() and 0 <= int(value) <= 127:
            out[role] = int(value)
            continue
        matches = [p for name, p in gm.items() if value == name] or [p for name, p in gm.items() if value in name]
        if not matches:
            raise UsageError(f"--instruments {item!r}: no General MIDI instrument matches {value!r}")
        out[role] = matches[0]
    return out


@dataclass(frozen=True)
class ComposeResult(Result):
    """What :func:`compose` made.

    ``files`` has ``output`` (the file asked for) and, with stems, ``stems`` (one WAV per
    part). ``sections`` are ``{"label", "start", "end", "bars"}`` in seconds; ``hits`` the
    times where an accent was placed for a cue hit; ``parts`` the instruments' roles.
    """

    files: dict[str, Any]
    duration: float
    tempo: float
    key: str
    style: str
    meter: int
    loop: bool
    sections: tuple[dict, ...]
    hits: tuple[float, ...]
    parts: tuple[str, ...]
    seed: int


def compose(
    output: str | Path,
    cue: CueSheet | None = None,
    *,
    duration: float | None = None,
    mood: str | Mood | None = None,
    style: str | None = None,
    tempo: float | None = None,
    key: str | None = None,
    mode: str | None = None,
    seed: int | None = None,
    loop: bool | None = None,
    instruments: str | dict[str, int] | None = None,
    stems_dir: str | Path | None = None,
    force: bool = False,
    progress: Progress = SILENT,
) -> ComposeResult:
    """Compose music and write ``output``; the format follows the extension.

    ``.wav``/``.flac``/``.mp3`` (mastered to -14 LUFS), ``.mid``, ``.musicxml``/``.abc``
    (lead sheet). Give either a ``cue`` (a :class:`~cinemuse.cuesheet.CueSheet` you built:
    sections, hits, tempo...) or the options of ``cinemuse compose`` (see :func:`build_cue`;
    ``duration`` defaults to 60 s). ``instruments`` is ``"melody=flute,bass=33"`` or
    ``{"melody": 73}``; ``stems_dir`` also writes one WAV per part. The same cue (or options
    and ``seed``) gives the same MIDI, byte for byte.
    """
    options = dict(duration=duration, tempo=tempo, key=key, mode=mode, mood=mood, style=style,
                   seed=seed, loop=loop)
    if cue is None:
        defaults = dict(duration=60.0, seed=0, loop=False)
        cue = build_cue(**{k: defaults.get(k) if v is None else v for k, v in options.items()})
    elif any(v is not None for v in options.values()):
        given = ", ".join(k for k, v in options.items() if v is not None)
        raise UsageError(f"compose: give either a cue sheet or its options, not both ({given})")
    if isinstance(instruments, str) or instruments is None:
        instruments = parse_instruments(instruments)
    return compose_to_file(cue, output, stems_dir=stems_dir, instruments=instruments, force=force,
                           progress=progress)


def build_cue(
    *,
    duration: float,
    tempo: float | None = None,
    key: str | None = None,
    mode: str | None = None,
    mood: str | Mood | None = None,
    style: str | None = None,
    seed: int = 0,
    loop: bool = False,
) -> CueSheet:
    """A CueSheet for the ``compose`` command's options, with clear errors for bad values."""
    from cinemuse.music.styles import get_style
    from cinemuse.music.theory import parse_key

    if not MIN_SECONDS <= duration <= MAX_SECONDS:
        raise UsageError(f"--duration must be between {MIN_SECONDS:g} s and {MAX_SECONDS:g} s, got {duration:g}")
    check_tempo(tempo)
    if key is not None:
        try:
            parse_key(key)
        except ValueError:
            raise UsageError(f"--key {key!r}: expected a note name such as C, F#, Bb (optionally 'minor')") from None
    if mode is not None and mode not in ("major", "minor"):
        raise UsageError(f"--mode must be major or minor, got {mode!r}")
    if style is not None:
        try:
            style = get_style(style).name
        except ValueError as exc:
            raise UsageError(f"--style: {exc}") from None
    mood_value = parse_mood(mood) if isinstance(mood, str) or mood is None else mood
    section = Section(0.0, duration, mood=mood_value or Mood(0.3, 0.0))
    return CueSheet(duration=duration, sections=[section], tempo=tempo, key=key, mode=mode,
                    style=style, loop=loop, seed=int(seed))


def compose_to_file(
    cue: CueSheet,
    output: str | Path,
    *,
    stems_dir: str | Path | None = None,
    instruments: dict[str, int] | None = None,
    force: bool = False,
    progress: Progress = SILENT,
) -> ComposeResult:
    """Compose ``cue`` and write ``output`` (format from its extension) and optional stems.

    Outputs are checked before any work and committed together: all of them or none
    (:class:`cinemuse.io.atomic.OutputSet`). Stems: :func:`cinemuse.io.stems.write_stems`.
    """
    from cinemuse.io.atomic import OutputSet
    from cinemuse.music.compose import compose as compose_piece

    output = Path(output)
    suffix = output.suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise UsageError(f"{output}: unknown output format {suffix or '(none)'}; use one of {', '.join(OUTPUT_FORMATS)}")
    outputs = OutputSet(force=force)
    outputs.add(output, what="-o")
    if stems_dir is not None:
        stems_dir = outputs.add_folder(stems_dir, what="--stems")
    need_audio = suffix in AUDIO_FORMATS or stems_dir is not None
    piece = compose_piece(cue, progress=progress, instruments=instruments, render=False)
    files = {}
    with contextlib.ExitStack() as cleanup, outputs:
        mastered = None
        if need_audio:  # rendered block by block: an hour of music needs no more memory than a minute
            from cinemuse.music.compose import render_piece_blocks

            mastered = cleanup.enter_context(
                render_piece_blocks(piece, keep_stems=stems_dir is not None, progress=progress))
        with progress.stage("Writing", total=1 + (stems_dir is not None)) as st:
            tmp = outputs.stage(output)
            if suffix in AUDIO_FORMATS:
                from cinemuse.io.audio import write_audio

                write_audio(tmp, mastered.blocks(), piece.sample_rate, force=True)
            elif suffix in MIDI_FORMATS:
                tmp.write_bytes(piece.midi_bytes())
            else:
                from cinemuse.music.leadsheet import write_leadsheet

                write_leadsheet(piece, tmp)
            files["output"] = str(output)
            st.advance()
            if stems_dir is not None:
                from cinemuse.io.stems import write_stems

                blocks = {name: (lambda name=name: mastered.stem_blocks(name)) for name in mastered.stem_names}
                paths = write_stems(outputs, stems_dir, blocks, piece.sample_rate, midi=piece.midi_bytes())
                files["stems"] = [str(p) for p in paths if p.suffix == ".wav"]
                st.advance()
    summary = piece.summary()
    return ComposeResult(
        files=files, duration=summary["duration"], tempo=summary["tempo"], key=summary["key"],
        style=summary["style"], meter=summary["meter"], loop=summary["loop"],
        sections=tuple(summary["sections"]), hits=tuple(summary["hits"]),
        parts=tuple(summary["parts"]), seed=cue.seed,
    )
