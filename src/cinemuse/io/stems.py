"""Stems: one WAV per instrument (and the piece's MIDI) in a folder, for a DAW.

``score --stems`` and ``compose --stems`` both write through :func:`write_stems`, so a stems
folder looks the same whichever command made it:

- ``NAME.wav`` per stem, **32-bit float** PCM at the piece's sample rate. Stems are material for
  mixing, not for listening: float keeps them summing to the mastered mix exactly (the same
  float samples, no dither or rounding) and never clips a stem whose own peak passes 0 dBFS
  (stems of a mix that peaks at -1 dBTP can, where parts cancel). Every DAW reads float WAV.
- ``NAME`` is the stem's name reduced to letters, digits, ``-`` and ``_``, so a name can never
  reach outside the folder or hide a file (``../x``, ``.x``); two names that reduce to the same
  one get ``_2``, ``_3``...
- ``piece.mid``: the notes of all stems, if the caller has them.

Files go into the folder one by one through an :class:`~cinemuse.io.atomic.OutputSet`, each
under its own name: nothing else in the folder is touched, and the stems appear together
with the run's other outputs, or not at all.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Iterable, Mapping

import numpy as np

from cinemuse.io.atomic import OutputSet

__all__ = ["MIDI_NAME", "STEM_SUBTYPE", "stem_file_names", "write_stems"]

STEM_SUBTYPE = "FLOAT"
MIDI_NAME = "piece.mid"


def stem_file_names(names: Iterable[str]) -> dict[str, str]:
    """Stem name -> its file name in the folder (safe, unique, ``.wav``)."""
    out, used = {}, set()
    for name in names:
        base = re.sub(r"[^A-Za-z0-9_-]+", "_", str(name)).strip("_") or "stem"
        candidate, n = base, 1
        while candidate.lower() in used:
            n += 1
            candidate = f"{base}_{n}"
        used.add(candidate.lower())
        out[name] = f"{candidate}.wav"
    return out


def write_stems(
    outputs: OutputSet,
    folder: str | Path,
    stems: Mapping[str, Callable[[], Iterable[np.ndarray]]],
    sample_rate: int,
    *,
    midi: bytes | None = None,
) -> list[Path]:
    """Stage one float WAV per stem (and ``piece.mid``) into ``folder``, a folder of ``outputs``.

    Parameters
    ----------
    outputs : OutputSet
        The run's outputs; ``folder`` must have been added with :meth:`OutputSet.add_folder`.
        The files are in place once ``outputs`` commits.
    folder : str or Path
    stems : mapping of str -> callable returning an iterable of np.ndarray
        Stem name -> a function giving its consecutive ``(m, channels)`` float32 blocks.
    sample_rate : int
    midi : bytes, optional
        The piece as a MIDI file, written as ``piece.mid``.

    Returns
    -------
    list of Path
        The files' final paths, in the order of ``stems`` (``piece.mid`` last).
    """
    import soundfile as sf

    folder = Path(folder)
    written = []
    for name, file_name in stem_file_names(stems).items():
        final = folder / file_name
        tmp = outputs.stage(final)
        f = None
        try:
            for block in stems[name]():
                block = np.asarray(block, dtype=np.float32)
                if f is None:  # the channel count comes with the first block
                    f = sf.SoundFile(str(tmp), "w", samplerate=int(sample_rate), format="WAV",
                                     channels=1 if block.ndim == 1 else block.shape[1], subtype=STEM_SUBTYPE)
                f.write(block)
            if f is None:  # a stem without a single block is still a (silent) file
                f = sf.SoundFile(str(tmp), "w", samplerate=int(sample_rate), channels=2, format="WAV",
                                 subtype=STEM_SUBTYPE)
        finally:
            if f is not None:
                f.close()
        written.append(final)
    if midi is not None:
        final = folder / MIDI_NAME
        outputs.stage(final).write_bytes(midi)
        written.append(final)
    return written
