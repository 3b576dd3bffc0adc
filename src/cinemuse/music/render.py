"""Render MIDI to audio with a real SoundFont synthesiser (TinySoundFont).

The soundfont is a General MIDI bank the install provides: a Debian one when present
(``fluid-soundfont-gm``'s FluidR3_GM.sf2, better sounding), else pretty_midi's bundled
``TimGM6mb.sf2`` (pip-only fallback). ``$CINEMUSE_SOUNDFONT`` overrides both.

Each instrument is rendered on its own (one pass of the synth per instrument), so the
same call also gives per-instrument stems; the dry mix is exactly the sum of the dry
stems. Loaded soundfonts are cached per process, because loading FluidR3 (141 MB) costs
about a second.

Examples
--------
>>> import pretty_midi
>>> pm = pretty_midi.PrettyMIDI()
>>> piano = pretty_midi.Instrument(program=0)
>>> piano.notes.append(pretty_midi.Note(velocity=90, pitch=60, start=0.0, end=1.0))
>>> pm.instruments.append(piano)
>>> audio = render_midi(pm)          # (n, 2) float32, mixed and mastered to -14 LUFS
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

SAMPLE_RATE = 44100
DRUM_CHANNEL = 9
RELEASE_TAIL = 1.5  # seconds rendered after the last note-off when no length is given

DEBIAN_SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/sounds/sf3/MuseScore_General.sf3",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
)


def find_soundfont() -> Path:
    """The General MIDI soundfont to use: $CINEMUSE_SOUNDFONT, a Debian one, or TimGM6mb."""
    explicit = os.environ.get("CINEMUSE_SOUNDFONT")
    if explicit:
        return Path(explicit)
    for candidate in DEBIAN_SOUNDFONTS:
        if Path(candidate).is_file():
            return Path(candidate)
    import pretty_midi

    return Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"


class _Engine:
    """One loaded soundfont at one sample rate; reused across renders."""

    def __init__(self, soundfont: Path, sample_rate: int):
        try:
            import tinysoundfont
        except ModuleNotFoundError:
            # Not a declared dependency: it declares pyaudio (live playback only), which
            # needs PortAudio headers to build. quickstart.sh installs it without deps.
            from cinemuse.errors import UsageError

            raise UsageError(
                "rendering music needs the tinysoundfont synthesiser: "
                "pip install --no-deps 'tinysoundfont>=0.3' (or run ./quickstart.sh)"
            ) from None

        self.path = soundfont
        self.sample_rate = sample_rate
        self.synth = tinysoundfont.Synth(samplerate=sample_rate)
        # max_voices high: pads and sustained chords overlap a lot, and voice stealing
        # would make a stem rendered alone differ from the same notes in a full mix.
        self.sfid = self.synth.sfload(str(soundfont), max_voices=512)

    def select(self, channel: int, program: int, is_drum: bool) -> None:
        try:
            self.synth.program_select(channel, self.sfid, 128 if is_drum else 0, program, is_drum)
        except RuntimeError:  # a sparse soundfont without that preset: fall back to preset 0
            self.synth.program_select(channel, self.sfid, 128 if is_drum else 0, 0, is_drum)


@lru_cache(maxsize=2)
def _engine(soundfont: str, sample_rate: int) -> _Engine:
    return _Engine(Path(soundfont), sample_rate)


def _instrument_events(instrument, sample_rate: int) -> list[tuple[int, int, int, int, int]]:
    """(sample, order, kind, a, b) events of one pretty_midi Instrument, sorted.

    kind 0 = note off, 1 = control change, 2 = pitch bend, 3 = note on; at the same sample
    note-offs come first so a repeated pitch re-attacks instead of being cut.
    """
    events = []
    for note in instrument.notes:
        on = int(round(note.start * sample_rate))
        off = max(on + 1, int(round(note.end * sample_rate)))
        events.append((on, 3, note.pitch, int(np.clip(note.velocity, 1, 127))))
        events.append((off, 0, note.pitch, 0))
    for cc in instrument.control_changes:
        events.append((int(round(cc.time * sample_rate)), 1, cc.number, cc.value))
    for bend in instrument.pitch_bends:
        events.append((int(round(bend.time * sample_rate)), 2, bend.pitch + 8192, 0))
    events.sort()
    return events


def render_instrument(
    instrument,
    n_samples: int,
    *,
    sample_rate: int = SAMPLE_RATE,
    soundfont: str | os.PathLike | None = None,
    first_sample: int = 0,
) -> np.ndarray:
    """Render one pretty_midi ``Instrument`` alone, dry.

    Parameters
    ----------
    instrument : pretty_midi.Instrument
    n_samples : int
        Output length; events after it are ignored, sound after it is cut (the caller
        chooses a length that includes the release tail, or wraps it for a loop).
    first_sample : int
        Events before this sample happen at it instead. A loop uses 1: many soundfont
        samples start at full level, and an attack on sample 0 would put a step right
        at the seam (where the wrapped tail of the last bar must join smoothly).

    Returns
    -------
    audio : np.ndarray, shape (n_samples, 2), float32
    """
    engine = _engine(str(soundfont or find_soundfont()), int(sample_rate))
    synth = engine.synth
    channel = DRUM_CHANNEL if instrument.is_drum else 0
    synth.sounds_off()
    engine.select(channel, int(instrument.program), bool(instrument.is_drum))
    synth.control_change(channel, 121, 0)  # reset controllers (a previous pitch bend, pedal)
    synth.pitchbend(channel, 8192)

    out = np.zeros((n_samples, 2), dtype=np.float32)
    view = memoryview(out).cast("B")
    frame_bytes = 8  # two float32 channels
    position = 0
    for sample, kind, a, b in _instrument_events(instrument, sample_rate):
        sample = max(sample, first_sample)
        if sample >= n_samples:
            break
        if sample > position:
            synth.generate_simple(
                sample - position, buffer=view[position * frame_bytes : sample * frame_bytes]
            )
            position = sample
        if kind == 3:
            synth.noteon(channel, a, b)
        elif kind == 0:
            synth.noteoff(channel, a)
        elif kind == 1:
            synth.control_change(channel, a, b)
        else:
            synth.pitchbend(channel, a)
    if position < n_samples:
        synth.generate_simple(n_samples - position, buffer=view[position * frame_bytes :])
    synth.sounds_off()
    return out


def stem_names(pm) -> list[str]:
    """A unique, file-name-safe stem name per instrument (its name, else its GM program)."""
    import pretty_midi

    names, seen = [], {}
    for inst in pm.instruments:
        if inst.name:
            base = inst.name
        elif inst.is_drum:
            base = "drums"
        else:
            base = pretty_midi.program_to_instrument_name(inst.program)
        base = "".join(c if c.isalnum() else "_" for c in base.lower()).strip("_") or "part"
        count = seen.get(base, 0)
        seen[base] = count + 1
        names.append(base if count == 0 else f"{base}_{count + 1}")
    return names


def render_stems(
    pm,
    *,
    sample_rate: int = SAMPLE_RATE,
    n_samples: int | None = None,
    soundfont: str | os.PathLike | None = None,
) -> dict[str, np.ndarray]:
    """Render each instrument of ``pm`` alone (dry, unmastered).

    Parameters
    ----------
    pm : pretty_midi.PrettyMIDI
    n_samples : int, optional
        Length of every stem; default: the last note-off plus a 1.5 s release tail.

    Returns
    -------
    stems : dict of str -> np.ndarray, each (n_samples, 2) float32
    """
    if n_samples is None:
        n_samples = int(np.ceil((pm.get_end_time() + RELEASE_TAIL) * sample_rate))
    return {
        name: render_instrument(inst, n_samples, sample_rate=sample_rate, soundfont=soundfont)
        for name, inst in zip(stem_names(pm), pm.instruments)
    }


def render_midi(pm, *, sample_rate: int = SAMPLE_RATE, style: str | None = None) -> np.ndarray:
    """Render a PrettyMIDI to a finished stereo mix.

    The instruments are synthesised with the GM soundfont, given the style's effects
    (reverb, compression; see :mod:`cinemuse.music.mix`) and mastered to -14 LUFS
    integrated with true peak at most -1 dBTP.

    Parameters
    ----------
    pm : pretty_midi.PrettyMIDI
    sample_rate : int
    style : str, optional
        An arrangement style name (see :mod:`cinemuse.music.styles`) whose mix settings
        to use; None gives a neutral mix.

    Returns
    -------
    audio : np.ndarray, shape (n, 2), float32
        n covers the last note-off plus a 1.5 s release tail.
    """
    from cinemuse.music.mix import mix_and_master

    stems = render_stems(pm, sample_rate=sample_rate)
    if not stems:
        n = int(np.ceil((pm.get_end_time() + RELEASE_TAIL) * sample_rate))
        return np.zeros((n, 2), dtype=np.float32)
    mix, _ = mix_and_master(stems, sample_rate=sample_rate, style=style)
    return mix
