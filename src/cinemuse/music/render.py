"""Render MIDI to audio with a real SoundFont synthesiser (TinySoundFont).

The soundfont is the General MIDI bank shipped with the package (FluidR3_GM, see
:mod:`cinemuse.music.soundfont`); ``$CINEMUSE_SOUNDFONT`` names another.

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

from cinemuse.music.soundfont import find_soundfont  # the one place that chooses the font

SAMPLE_RATE = 44100
DRUM_CHANNEL = 9
INSTALL_SYNTH = ("rendering music needs the tinysoundfont synthesiser, installed without its "
                 "playback dependency: pip install --no-deps 'tinysoundfont>=0.3'")
RELEASE_TAIL = 1.5  # seconds rendered after the last note-off when no length is given

_FAST_RELEASE_FLUSH = 2048  # samples: more than TinySoundFont's 10 ms fast release


class _Engine:
    """One loaded soundfont at one sample rate; reused across renders."""

    def __init__(self, soundfont: Path, sample_rate: int):
        try:
            import tinysoundfont
        except ModuleNotFoundError:
            # Not a declared dependency: it declares pyaudio (live playback only), which
            # does not build without PortAudio's headers, and no other wheel on PyPI
            # bundles a SoundFont synthesiser with this interface. The one install step
            # a user runs by hand (README, "Install"); quickstart.sh runs it too.
            from cinemuse.errors import InstallError

            raise InstallError(INSTALL_SYNTH) from None

        self.path = soundfont
        self.sample_rate = sample_rate
        self.synth = tinysoundfont.Synth(samplerate=sample_rate)
        # max_voices high: pads and sustained chords overlap a lot, and voice stealing
        # would make a stem rendered alone differ from the same notes in a full mix.
        self.sfid = self.synth.sfload(str(soundfont), max_voices=512)
        self._flush = memoryview(bytearray(_FAST_RELEASE_FLUSH * 8))

    def silence(self) -> None:
        """Stop every voice and reset the channels, leaving no trace in the next render.

        TinySoundFont ends voices with a 10 ms fast release (on ``sounds_off`` and on
        reset alike): rendered into the next call, that would leak the end of one
        instrument into the first milliseconds of another's stem. So the release is
        played out here, into a scratch buffer.
        """
        self.synth.soundfonts[self.sfid].reset()
        self.synth.generate_simple(_FAST_RELEASE_FLUSH, buffer=self._flush)

    def select(self, channel: int, program: int, is_drum: bool) -> None:
        try:
            self.synth.program_select(channel, self.sfid, 128 if is_drum else 0, program, is_drum)
        except RuntimeError:  # a sparse soundfont without that preset: fall back to preset 0
            self.synth.program_select(channel, self.sfid, 128 if is_drum else 0, 0, is_drum)


@lru_cache(maxsize=2)
def _engine(soundfont: str, sample_rate: int) -> _Engine:
    return _Engine(Path(soundfont), sample_rate)


def load_soundfont(*, sample_rate: int = SAMPLE_RATE, soundfont: str | os.PathLike | None = None) -> None:
    """Load and cache the soundfont now (the first render would otherwise wait for it:
    up to a couple of seconds for FluidR3), e.g. on a helper thread during other work."""
    _engine(str(soundfont or find_soundfont()), int(sample_rate))


# A voice can ring on after its note-off (a steel guitar's sample, a cymbal, a pad's release).
# Each preset's ring-out is measured once with a probe (:func:`release_seconds`); this is the
# most it is trusted to be (FluidR3's longest, the steel guitar, is below -100 dB after 11.5 s).
RELEASE_GUARD = 12.0
BLOCK_SECONDS = 30.0  # streaming render: seconds per block, the same for any length (flat memory)
_SILENT_DB = -90.0  # a tail this far under the probe's peak counts as over


@lru_cache(maxsize=512)
def release_seconds(soundfont: str, sample_rate: int, program: int, is_drum: bool) -> float:
    """How long a preset goes on sounding after its note-offs, measured with a probe.

    A loud low, middle and high note (for a drum kit: every kit piece at once) is held for
    0.5 s, released, and rendered until it falls :data:`_SILENT_DB` under a single note's
    peak; the
    time from the note-off, plus a quarter second, is returned (at most
    :data:`RELEASE_GUARD`). Cached per preset: a probe costs a few milliseconds per second
    of ring-out.
    """
    engine = _engine(soundfont, sample_rate)
    synth = engine.synth
    channel = DRUM_CHANNEL if is_drum else 0
    engine.silence()
    engine.select(channel, program, is_drum)
    pitches = range(35, 82) if is_drum else (36, 60, 84)
    for pitch in pitches:
        synth.noteon(channel, pitch, 127)
    hold = int(0.5 * sample_rate)
    chunk = int(0.25 * sample_rate)
    buf = np.zeros((max(hold, chunk), 2), np.float32)
    synth.generate_simple(hold, buffer=memoryview(buf).cast("B")[: hold * 8])
    peak = float(np.abs(buf[:hold]).max())
    for pitch in pitches:
        synth.noteoff(channel, pitch)
    if peak <= 0.0:
        return 0.25
    # the notes' sum peaks higher than any one of them: measure against a typical one
    floor = peak / np.sqrt(len(pitches)) * 10 ** (_SILENT_DB / 20)
    out = memoryview(buf).cast("B")[: chunk * 8]
    elapsed, last_loud = 0.0, 0.0
    while elapsed < RELEASE_GUARD:
        synth.generate_simple(chunk, buffer=out)
        elapsed += chunk / sample_rate
        loud = np.flatnonzero(np.abs(buf[:chunk]).max(axis=1) > floor)
        if len(loud):
            last_loud = elapsed - (chunk - loud[-1] - 1) / sample_rate
        elif elapsed - last_loud > 0.5:  # quiet for a while: the tail is over
            break
    engine.silence()
    return min(RELEASE_GUARD, last_loud + 0.25)


class InstrumentRenderer:
    """Renders any time range of one pretty_midi ``Instrument``, alone and dry.

    A TinySoundFont synth is shared by all instruments (a loaded soundfont costs up to
    300 MB), so it cannot keep one instrument's voices alive while another plays. To
    render samples ``[start, stop)`` the synth is reset and started at a *pre-roll*: the
    note-on of the earliest note that can still be sounding at ``start`` (its note-off less
    than the preset's :func:`release_seconds` before), with every controller set to its
    value there.
    Voices then reach ``start`` in the state a single long render would have given them,
    so a piece rendered block by block sounds the same as one rendered whole.

    Parameters
    ----------
    instrument : pretty_midi.Instrument
    sample_rate : int
    soundfont : path, optional
        Default :func:`find_soundfont`.
    first_sample : int
        Events before this sample happen at it instead. A loop uses 1: many soundfont
        samples start at full level, and an attack on sample 0 would put a step right
        at the seam (where the wrapped tail of the last bar must join smoothly).
    """

    def __init__(self, instrument, *, sample_rate: int = SAMPLE_RATE,
                 soundfont: str | os.PathLike | None = None, first_sample: int = 0):
        self.engine = _engine(str(soundfont or find_soundfont()), int(sample_rate))
        self.sample_rate = int(sample_rate)
        self.channel = DRUM_CHANNEL if instrument.is_drum else 0
        self.program, self.is_drum = int(instrument.program), bool(instrument.is_drum)
        sr = self.sample_rate
        # (sample, kind, a, b); kind 0 = note off, 1 = control change, 2 = pitch bend,
        # 3 = note on: at the same sample note-offs come first, so a repeated pitch
        # re-attacks instead of being cut.
        events, spans = [], []
        for note in instrument.notes:
            on = max(int(round(note.start * sr)), first_sample)
            off = max(on + 1, int(round(note.end * sr)))
            events.append((on, 3, note.pitch, int(np.clip(note.velocity, 1, 127))))
            events.append((off, 0, note.pitch, 0))
            spans.append((on, off))
        for cc in instrument.control_changes:
            events.append((max(int(round(cc.time * sr)), first_sample), 1, cc.number, cc.value))
        for bend in instrument.pitch_bends:
            events.append((max(int(round(bend.time * sr)), first_sample), 2, bend.pitch + 8192, 0))
        events.sort()
        self.events = events
        self.event_samples = np.array([e[0] for e in events], dtype=np.int64)
        self.note_on = np.array([a for a, _ in spans], dtype=np.int64)
        self.note_off = np.array([b for _, b in spans], dtype=np.int64)
        # a sustain pedal holds notes past their note-offs: then trust only the longest guard
        pedal = any(cc.number == 64 for cc in instrument.control_changes)
        self._guard_key = (str(soundfont or find_soundfont()), sr, self.program, self.is_drum, pedal)
        self._guard: int | None = None

    @property
    def guard(self) -> int:
        """Samples a note may sound after its note-off (probed on first use)."""
        if self._guard is None:
            soundfont, sr, program, is_drum, pedal = self._guard_key
            seconds = RELEASE_GUARD if pedal else release_seconds(soundfont, sr, program, is_drum)
            self._guard = int(seconds * sr)
        return self._guard

    def preroll_start(self, start: int) -> int:
        """The sample to start synthesising at so that ``start`` onwards is exact."""
        if start <= 0 or len(self.note_on) == 0:
            return max(start, 0)
        live = (self.note_on < start) & (self.note_off + self.guard > start)
        return int(self.note_on[live].min()) if live.any() else start

    def render(self, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)``, shape (stop - start, 2), float32."""
        begin = self.preroll_start(start)
        synth = self.engine.synth
        channel = self.channel
        self.engine.silence()
        self.engine.select(channel, self.program, self.is_drum)
        synth.control_change(channel, 121, 0)  # reset controllers (a previous pitch bend, pedal)
        synth.pitchbend(channel, 8192)
        first = int(np.searchsorted(self.event_samples, begin, side="left"))
        # controllers as they stand at the pre-roll start
        for sample, kind, a, b in self.events[:first]:
            if kind == 1:
                synth.control_change(channel, a, b)
            elif kind == 2:
                synth.pitchbend(channel, a)

        out = np.zeros((stop - begin, 2), dtype=np.float32)
        view = memoryview(out).cast("B")
        frame_bytes = 8  # two float32 channels
        position = 0  # relative to begin
        for sample, kind, a, b in self.events[first:]:
            if sample >= stop:
                break
            at = sample - begin
            if at > position:
                synth.generate_simple(at - position, buffer=view[position * frame_bytes : at * frame_bytes])
                position = at
            if kind == 3:
                synth.noteon(channel, a, b)
            elif kind == 0:
                synth.noteoff(channel, a)
            elif kind == 1:
                synth.control_change(channel, a, b)
            else:
                synth.pitchbend(channel, a)
        if position < len(out):
            synth.generate_simple(len(out) - position, buffer=view[position * frame_bytes :])
        # a copy, so the pre-roll's samples are not kept alive by a view
        return out[start - begin :].copy() if begin < start else out


def render_instrument(
    instrument,
    n_samples: int,
    *,
    sample_rate: int = SAMPLE_RATE,
    soundfont: str | os.PathLike | None = None,
    first_sample: int = 0,
) -> np.ndarray:
    """Render one pretty_midi ``Instrument`` alone, dry, samples ``[0, n_samples)``.

    Events after ``n_samples`` are ignored, sound after it is cut (the caller chooses a
    length that includes the release tail, or wraps it for a loop). See
    :class:`InstrumentRenderer` for ``first_sample``.

    Returns
    -------
    audio : np.ndarray, shape (n_samples, 2), float32
    """
    renderer = InstrumentRenderer(instrument, sample_rate=sample_rate, soundfont=soundfont,
                                  first_sample=first_sample)
    return renderer.render(0, n_samples)


def render_stem_blocks(
    pm,
    n_samples: int,
    *,
    sample_rate: int = SAMPLE_RATE,
    soundfont: str | os.PathLike | None = None,
    first_sample: int = 0,
    block: int | None = None,
    names: list[str] | None = None,
    ahead: bool = False,
):
    """Render every instrument of ``pm`` block by block: memory stays flat with length.

    Parameters
    ----------
    pm : pretty_midi.PrettyMIDI
    n_samples : int
        Total length.
    block : int, optional
        Samples per block (default :data:`BLOCK_SECONDS`, whatever the length, so that
        memory does not grow with it).
    names : list of str, optional
        Stem names, one per instrument (default :func:`stem_names`).
    ahead : bool
        Render the next block in a background thread while the caller works on this
        one (mixing releases the GIL for much of its time, so the two overlap).

    Yields
    ------
    stems : dict of str -> np.ndarray
        Consecutive blocks, each (m, 2) float32 per instrument; the blocks cover
        ``[0, n_samples)`` in order.
    """
    names = names or stem_names(pm)
    n_samples = max(int(n_samples), 0)
    if block is None:
        # a multiple of 256 samples, so the mix's 256-sample measurements line up across blocks
        block = -(-int(BLOCK_SECONDS * sample_rate) // 256) * 256
    renderers = [InstrumentRenderer(inst, sample_rate=sample_rate, soundfont=soundfont,
                                    first_sample=first_sample) for inst in pm.instruments]

    def blocks():
        for start in range(0, n_samples, block):
            stop = min(start + block, n_samples)
            yield {name: r.render(start, stop) for name, r in zip(names, renderers)}

    if ahead:
        from cinemuse.threads import prefetch

        return prefetch(blocks(), depth=1, name="cinemuse-render")
    return blocks()


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
