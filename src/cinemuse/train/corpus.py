"""Parse the melody corpora once and cache them as compact numpy arrays.

Sources
-------
* music21's ABC corpora: Essen folk songs (``essenFolksong/*.abc``), O'Neill's 1850
  (``oneills1850``), Ryan's Mammoth Collection (``ryansMammoth``), Aird's Airs (``airdsAirs``).
  All public domain collections shipped inside the music21 package.
* POP909 (``<data_dir>/music/pop909``): the ``MELODY`` track of each song, with the grid taken from
  ``beat_midi.txt`` (4 sixteenths per annotated beat, bars from its 4/4 downbeat column) and the key
  from ``key_audio.txt`` (a key change re-transposes the notes after it).

Normalisation
-------------
* Key: every tune is transposed so that its key signature has no sharps or flats (major tunes land
  in C major, minor tunes in A minor, modal tunes keep their mode on the white keys, e.g. D dorian).
  The transposition is the one of at most a tritone (-6..+5 semitones).
* Time: onsets and durations are quantised to a 16th-note grid (a quarter note = 4 steps).
* Meter: only duple/quadruple meters are kept (2/4, 4/4, C, C|, 2/2, 4/2, 4/8 ...: a bar of a
  multiple of 8 sixteenths). They are laid on a 4/4 grid of 16-step bars whose origin is the first
  full bar (a pick-up bar is kept as the tail of bar 0). Bars longer than 4/4 (4/2, 4/1: old
  notation in long values) are rescaled so that one of their bars fills one 16-step bar. Triple and compound meters (3/4, 6/8, 9/8,
  3/2 ...) are skipped, since the model's 2-bar segments are 32 steps of 4/4; they are counted in
  the parse summary. Tunes that music21 cannot parse are skipped and counted too.
* Polyphony: where two notes start together the highest is kept (melody lines).

Cache format (``cache_dir('melody')/corpus.npz``, no pickle)
-------------------------------------------------------------
``notes``  int16 (N, 3): pitch (MIDI, transposed), start step, duration in steps, all tunes
           concatenated; ``tune_start`` int64 (T + 1,): tune t owns ``notes[tune_start[t]:tune_start[t+1]]``;
``source`` int8 (T,): index into ``SOURCES``; ``tune_key`` (T,) str: a stable per-tune id
(``"<collection>/<file>#<n>"`` or ``"pop909/<song>"``) used for the split.
"""

from __future__ import annotations

import os
import re
import signal
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cinemuse.progress import SILENT, Progress

SOURCES = ("essenFolksong", "oneills1850", "ryansMammoth", "airdsAirs", "pop909")
ABC_SOURCES = SOURCES[:4]
STEPS_PER_QUARTER = 4
STEPS_PER_BAR = 16
CACHE_VERSION = 1


@dataclass
class Tune:
    """One parsed, normalised tune: ``notes`` int16 (n, 3) of (pitch, start step, duration)."""

    key: str
    source: int
    notes: np.ndarray


# --------------------------------------------------------------------------- ABC


def split_abc_tunes(text: str) -> list[str]:
    """Split an ABC file into single-tune ABC strings (each with the file header prepended)."""
    parts = re.split(r"(?m)^(?=X:)", text)
    header = parts[0] if parts and not parts[0].startswith("X:") else ""
    tunes = [p for p in parts if p.startswith("X:")]
    # a file header carries defaults (L:, M:) that every tune inherits
    header = "\n".join(line for line in header.splitlines() if re.match(r"^[A-Za-z]:", line))
    return [(header + "\n" + t) if header else t for t in tunes]


_METER_RE = re.compile(r"(?m)^M:\s*([^\n%]*)")


def abc_meter_is_duple(tune_text: str) -> bool:
    """True when every ``M:`` field of the tune is a duple/quadruple meter (bar = k * 8 sixteenths)."""
    meters = [m.strip() for m in _METER_RE.findall(tune_text)]
    if not meters:
        return True  # ABC default is free meter; music21 assumes 4/4
    for m in meters:
        if m in ("C", "C|"):
            continue
        match = re.match(r"^(\d+)\s*/\s*(\d+)", m)
        if not match:
            return False
        num, den = int(match.group(1)), int(match.group(2))
        if den == 0 or (num * 16) % den or ((num * 16) // den) % 8:
            return False
        if num % 3 == 0:  # 6/16, 12/8 ... compound meters
            return False
    return True


class _Timeout(Exception):
    pass


def _alarm(signum, frame):  # pragma: no cover - only on a pathological tune
    raise _Timeout()


def parse_abc_tune(tune_text: str) -> np.ndarray | None:
    """Parse one ABC tune with music21 into normalised (pitch, start, duration) rows, or None."""
    from music21 import chord, converter, key, meter, note

    score = converter.parse(tune_text, format="abc")
    parts = getattr(score, "parts", None)
    part = parts[0] if parts else score
    measures = list(part.getElementsByClass("Measure"))
    flat = part.flatten()

    # transposition from the first key signature
    sigs = list(flat.getElementsByClass(key.KeySignature))
    sharps = sigs[0].sharps if sigs else 0
    shift = key_signature_shift(sharps)

    bar_steps = []
    for ts in flat.getElementsByClass(meter.TimeSignature):
        steps = ts.barDuration.quarterLength * STEPS_PER_QUARTER
        if abs(steps - round(steps)) > 1e-6 or round(steps) % 8:
            return None
        bar_steps.append(int(round(steps)))
    # 4/2 and 4/1 (old notation in long values) are read as 4/4 with shorter values
    scale = STEPS_PER_QUARTER * STEPS_PER_BAR / max(bar_steps) if bar_steps and max(bar_steps) > STEPS_PER_BAR else STEPS_PER_QUARTER

    # origin: the first full bar starts on a 4/4 downbeat
    origin = 0.0
    if len(measures) > 1 and measures[0].paddingLeft > 0:
        origin = float(measures[1].offset)
    pad = STEPS_PER_BAR * int(np.ceil(origin * scale / STEPS_PER_BAR))

    rows: list[list[int]] = []
    for element in flat.notes:
        if isinstance(element, chord.Chord):
            pitch = max(p.midi for p in element.pitches)
        elif isinstance(element, note.Note):
            pitch = element.pitch.midi
        else:
            continue
        ql = float(element.quarterLength)
        if ql <= 0:  # grace notes
            continue
        start = int(round((float(element.offset) - origin) * scale)) + pad
        end = int(round((float(element.offset) + ql - origin) * scale)) + pad
        tie = element.tie.type if element.tie is not None else None
        if tie in ("stop", "continue") and rows and rows[-1][0] == pitch + shift:
            rows[-1][2] = max(rows[-1][2], end - rows[-1][1])
            continue
        rows.append([pitch + shift, start, max(1, end - start)])
    return clean_notes(np.array(rows, dtype=np.int64).reshape(-1, 3))


def key_signature_shift(sharps: int) -> int:
    """Semitones that move a key signature with ``sharps`` (negative: flats) to no accidentals."""
    tonic_pc = (7 * sharps) % 12  # major tonic of that signature
    shift = (-tonic_pc) % 12
    return shift - 12 if shift > 5 else shift


def clean_notes(rows: np.ndarray) -> np.ndarray | None:
    """Sort by onset, keep the highest of simultaneous onsets, cut overlaps; int16 (n, 3) or None."""
    if len(rows) == 0:
        return None
    rows = rows[rows[:, 1] >= 0]
    if len(rows) == 0:
        return None
    order = np.lexsort((-rows[:, 0], rows[:, 1]))
    rows = rows[order]
    keep = np.ones(len(rows), bool)
    keep[1:] = rows[1:, 1] != rows[:-1, 1]
    rows = rows[keep].copy()
    # a note lasts at most until the next onset (monophonic line)
    rows[:-1, 2] = np.minimum(rows[:-1, 2], rows[1:, 1] - rows[:-1, 1])
    rows[:, 2] = np.maximum(rows[:, 2], 1)
    if rows.max() > 32767:
        return None
    return rows.astype(np.int16)


def _parse_abc_file(args: tuple[str, str, int]) -> tuple[list[tuple[str, int, np.ndarray]], dict]:
    """Worker: parse every duple-meter tune of one ABC file; failures are counted, not raised."""
    path, collection, source = args
    os.nice(0)
    text = Path(path).read_text(encoding="latin-1")
    out, stats = [], {"tunes": 0, "skipped_meter": 0, "failed": 0, "parsed": 0}
    signal.signal(signal.SIGALRM, _alarm)
    for i, tune_text in enumerate(split_abc_tunes(text)):
        stats["tunes"] += 1
        if not abc_meter_is_duple(tune_text):
            stats["skipped_meter"] += 1
            continue
        signal.alarm(10)
        try:
            rows = parse_abc_tune(tune_text)
        except Exception:  # noqa: BLE001 - music21 raises many kinds on odd ABC
            rows = None
        finally:
            signal.alarm(0)
        if rows is None or len(rows) < 8:
            stats["failed"] += 1
            continue
        stats["parsed"] += 1
        out.append((f"{collection}/{Path(path).name}#{i}", source, rows))
    return out, stats


def abc_files() -> list[tuple[str, str, int]]:
    """(path, collection, source index) of every ABC file in the four music21 folk corpora."""
    import music21

    root = Path(music21.__file__).parent / "corpus"
    files = []
    for source, collection in enumerate(ABC_SOURCES):
        for path in sorted((root / collection).glob("*.abc")):
            files.append((str(path), collection, source))
    return files


# --------------------------------------------------------------------------- POP909


def _pop909_key_shifts(path: Path) -> list[tuple[float, int]]:
    """(start seconds, transposition) per key segment of ``key_audio.txt``."""
    out = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) < 3 or ":" not in fields[2]:
            continue
        tonic, mode = fields[2].split(":")
        names = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
        pc = names[tonic[0].upper()] + tonic[1:].count("#") - tonic[1:].count("b")
        if mode.startswith("min"):
            pc = (pc + 3) % 12  # relative major
        shift = (-pc) % 12
        out.append((float(fields[0]), shift - 12 if shift > 5 else shift))
    return out or [(0.0, 0)]


def parse_pop909_song(folder: Path) -> np.ndarray | None:
    """The MELODY track of one POP909 song on its annotated beat grid, transposed to C/Am."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(str(folder / f"{folder.name}.mid"))
    melody = [inst for inst in pm.instruments if inst.name.strip().upper() == "MELODY"]
    if not melody:
        return None
    beats = np.loadtxt(folder / "beat_midi.txt", ndmin=2)
    beat_times = beats[:, 0]
    downbeats = np.flatnonzero(beats[:, 2] == 1) if beats.shape[1] > 2 else np.array([0])
    first_down = int(downbeats[0]) if len(downbeats) else 0
    # continuous beat index as a function of time, extrapolated at the ends
    idx = np.arange(len(beat_times), dtype=float)
    period = float(np.median(np.diff(beat_times)))

    def time_to_step(t: np.ndarray) -> np.ndarray:
        b = np.interp(t, beat_times, idx)
        b = np.where(t < beat_times[0], (t - beat_times[0]) / period, b)
        b = np.where(t > beat_times[-1], idx[-1] + (t - beat_times[-1]) / period, b)
        return np.round((b - first_down) * STEPS_PER_QUARTER).astype(np.int64)

    notes = melody[0].notes
    if not notes:
        return None
    starts = np.array([n.start for n in notes])
    ends = np.array([n.end for n in notes])
    pitches = np.array([n.pitch for n in notes])
    key_changes = _pop909_key_shifts(folder / "key_audio.txt")
    change_times = np.array([k[0] for k in key_changes])
    shifts = np.array([k[1] for k in key_changes])
    seg = np.clip(np.searchsorted(change_times, starts, side="right") - 1, 0, len(shifts) - 1)
    s, e = time_to_step(starts), time_to_step(ends)
    rows = np.stack([pitches + shifts[seg], s, np.maximum(1, e - s)], axis=1)
    return clean_notes(rows)


def _parse_pop909_songs(folders: list[str]) -> tuple[list[tuple[str, int, np.ndarray]], dict]:
    out, stats = [], {"tunes": 0, "failed": 0, "parsed": 0}
    for f in folders:
        stats["tunes"] += 1
        try:
            rows = parse_pop909_song(Path(f))
        except Exception:  # noqa: BLE001
            rows = None
        if rows is None or len(rows) < 8:
            stats["failed"] += 1
            continue
        stats["parsed"] += 1
        out.append((f"pop909/{Path(f).name}", SOURCES.index("pop909"), rows))
    return out, stats


# --------------------------------------------------------------------------- cache


def build_corpus(
    data_dir: Path | None,
    *,
    workers: int = 2,
    limit_files: int | None = None,
    progress: Progress = SILENT,
) -> tuple[list[Tune], dict]:
    """Parse all sources in ``workers`` processes; returns the tunes and per-source counts."""
    jobs = abc_files()
    if limit_files is not None:
        jobs = jobs[:limit_files]
    pop_folders: list[str] = []
    if data_dir is not None:
        pop_root = Path(data_dir) / "music" / "pop909"
        pop_folders = sorted(str(p) for p in pop_root.iterdir() if p.is_dir() and p.name.isdigit())
    # biggest files first so the two workers finish together
    jobs.sort(key=lambda j: -os.path.getsize(j[0]))
    pop_chunks = [pop_folders[i : i + 50] for i in range(0, len(pop_folders), 50)]
    tunes: list[Tune] = []
    summary: dict[str, dict] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool, progress.stage(
        "Parsing melody corpora", total=len(jobs) + len(pop_chunks)
    ) as stage:
        futures = [(j[1], pool.submit(_parse_abc_file, j)) for j in jobs]
        futures += [("pop909", pool.submit(_parse_pop909_songs, c)) for c in pop_chunks]
        for collection, fut in futures:
            rows, stats = fut.result()
            tunes += [Tune(k, s, n) for k, s, n in rows]
            agg = summary.setdefault(collection, {})
            for k, v in stats.items():
                agg[k] = agg.get(k, 0) + v
            stage.advance()
    tunes.sort(key=lambda t: t.key)
    return tunes, summary


def save_corpus(path: Path, tunes: list[Tune]) -> None:
    """Write tunes to a compact ``.npz`` (see module docstring)."""
    lengths = np.array([len(t.notes) for t in tunes], dtype=np.int64)
    tune_start = np.concatenate([[0], np.cumsum(lengths)])
    notes = np.concatenate([t.notes for t in tunes]).astype(np.int16)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        notes=notes,
        tune_start=tune_start,
        source=np.array([t.source for t in tunes], dtype=np.int8),
        tune_key=np.array([t.key for t in tunes]),
        version=np.array(CACHE_VERSION),
    )
    os.replace(tmp, path)


def load_corpus(path: Path) -> list[Tune]:
    """Read tunes written by :func:`save_corpus`."""
    with np.load(path, allow_pickle=False) as z:
        notes, start = z["notes"], z["tune_start"]
        return [
            Tune(str(k), int(s), notes[start[i] : start[i + 1]])
            for i, (k, s) in enumerate(zip(z["tune_key"], z["source"]))
        ]


def corpus(data_dir: Path | None = None, *, progress: Progress = SILENT, rebuild: bool = False) -> list[Tune]:
    """The cached corpus, parsing it first (about 7 CPU-minutes in 2 processes) when the cache is missing."""
    from cinemuse.train.paths import cache_dir, shared_data_dir

    path = cache_dir("melody") / "corpus.npz"
    if path.is_file() and not rebuild:
        return load_corpus(path)
    data_dir = shared_data_dir(data_dir)
    tunes, summary = build_corpus(data_dir, progress=progress)
    save_corpus(path, tunes)
    (path.parent / "corpus_summary.json").write_text(__import__("json").dumps(summary, indent=1))
    return tunes


if __name__ == "__main__":  # python -m cinemuse.train.corpus : build the cache
    import json
    import time

    t0 = time.time()
    tunes = corpus(rebuild=True)
    print(json.dumps({"tunes": len(tunes), "seconds": round(time.time() - t0, 1)}))


# --------------------------------------------------------------------------- split

SPLIT_SEED = 20261121
SPLIT_FRACTIONS = {"train": 0.90, "validation": 0.05, "test": 0.05}


def deduplicate(tunes: list[Tune]) -> list[Tune]:
    """Drop tunes whose first 24 pitches repeat an earlier tune's (the same tune printed in two
    collections would otherwise leak between train and test)."""
    seen, out = set(), []
    for t in tunes:
        sig = (len(t.notes) >= 24, t.notes[:24, 0].tobytes())
        if sig in seen:
            continue
        seen.add(sig)
        out.append(t)
    return out


def split_tunes(tunes: list[Tune]) -> dict[str, list[Tune]]:
    """Train / validation / test split BY TUNE (POP909: by song), fixed seed ``SPLIT_SEED``.

    Tunes are sorted by their id, de-duplicated, shuffled with ``SPLIT_SEED`` and cut 90/5/5.
    """
    tunes = deduplicate(sorted(tunes, key=lambda t: t.key))
    order = np.random.default_rng(SPLIT_SEED).permutation(len(tunes))
    n_val = int(round(SPLIT_FRACTIONS["validation"] * len(tunes)))
    n_test = int(round(SPLIT_FRACTIONS["test"] * len(tunes)))
    pick = lambda idx: [tunes[i] for i in sorted(idx)]  # noqa: E731
    return {
        "test": pick(order[:n_test]),
        "validation": pick(order[n_test : n_test + n_val]),
        "train": pick(order[n_test + n_val :]),
    }


def tune_segments(tunes: list[Tune], *, bars: int = 2, hop_bars: int = 2) -> np.ndarray:
    """All token segments (S, bars * 16) of a list of tunes (see tokens.segment_tune)."""
    from cinemuse.music.tokens import segment_tune

    parts = [segment_tune(t.notes, bars=bars, hop_bars=hop_bars) for t in tunes]
    return np.concatenate(parts) if parts else np.zeros((0, bars * 16), np.int64)
