"""Train the harmony model (chord transitions + melody/chord compatibility) on POP909.

Only statistics are learned: key-relative chord-transition counts per half bar and
how often each melody interval above a chord root sounds over each chord quality. No
song is stored or reproduced. Pure numpy (no torch needed).

Data: ``music/pop909/NNN/`` with ``NNN.mid`` (MELODY track), ``chord_midi.txt``,
``beat_midi.txt`` (beat time, half-bar downbeat flag, bar downbeat flag) and
``key_audio.txt``. Split by song with a fixed seed: 80 % train, 10 % validation
(picks the emission weight), 10 % test (used only by ``benchmarks/bench_harmony.py``).

Usage: ``cinemuse train harmony`` (about a minute).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cinemuse.music.theory import N_CHORDS, QUALITIES, Chord, chord_index, parse_chord_label, parse_key
from cinemuse.progress import SILENT

SPLIT_SEED = 909


@dataclass
class SongSlots:
    """One POP909 song cut into half-bar slots, key-relative.

    Attributes
    ----------
    mode : str
        "major" or "minor" (the song's first key).
    chords : np.ndarray, shape (S,), int
        Annotated chord index per slot (see :func:`cinemuse.music.theory.chord_index`),
        -1 where there is no chord or the key changed.
    melody : np.ndarray, shape (S, 12), float
        Seconds of melody per key-relative pitch class in each slot.
    bar_start : np.ndarray, shape (S,), bool
        Whether the slot starts a bar.
    strong_notes : list of (slot, relative pitch class)
        Melody notes that start on a strong beat (beat 1 or 3).
    """

    name: str
    mode: str
    chords: np.ndarray
    melody: np.ndarray
    bar_start: np.ndarray
    strong_notes: list[tuple[int, int]]


def pop909_songs(data_dir: Path) -> list[Path]:
    root = Path(data_dir) / "music" / "pop909"
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "chord_midi.txt").is_file())


def split_songs(songs: list[Path], *, seed: int = SPLIT_SEED) -> dict[str, list[Path]]:
    """Split by song: 80 % train, 10 % validation, 10 % test (fixed seed)."""
    order = np.random.default_rng(seed).permutation(len(songs))
    n_val = n_test = max(1, len(songs) // 10)
    test = [songs[i] for i in sorted(order[:n_test])]
    val = [songs[i] for i in sorted(order[n_test : n_test + n_val])]
    train = [songs[i] for i in sorted(order[n_test + n_val :])]
    return {"train": train, "validation": val, "test": test}


def _read_rows(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines() if line.strip()]


def load_song(song_dir: Path) -> SongSlots | None:
    """Parse one song into half-bar slots (None if it lacks what is needed)."""
    import pretty_midi

    name = song_dir.name
    beats = np.array([[float(v) for v in row[:3]] for row in _read_rows(song_dir / "beat_midi.txt")])
    keys = []
    for row in _read_rows(song_dir / "key_audio.txt"):
        try:
            keys.append((float(row[0]), float(row[1]), *parse_key(row[2])))
        except (ValueError, IndexError):
            continue
    if len(beats) < 8 or not keys:
        return None
    half_starts = beats[beats[:, 1] == 1, 0]
    bar_starts = set(np.round(beats[beats[:, 2] == 1, 0], 4))
    if len(half_starts) < 4:
        return None
    edges = np.append(half_starts, half_starts[-1] + np.median(np.diff(half_starts)))
    n_slots = len(half_starts)

    def key_at(t: float) -> tuple[int, str]:
        for start, end, tonic, mode in keys:
            if start - 1.0 <= t < end + 1.0:
                return tonic, mode
        return keys[0][2], keys[0][3]

    tonics = np.empty(n_slots, dtype=int)
    modes = []
    for i in range(n_slots):
        tonic, mode = key_at(edges[i])
        tonics[i] = tonic
        modes.append(mode)
    song_mode = modes[0]

    # chord per slot: the label covering most of the slot
    chords = np.full(n_slots, -1, dtype=int)
    best_overlap = np.zeros(n_slots)
    for row in _read_rows(song_dir / "chord_midi.txt"):
        start, end, label = float(row[0]), float(row[1]), row[2]
        parsed = parse_chord_label(label)
        first = max(0, np.searchsorted(edges, start, side="right") - 1)
        last = min(n_slots - 1, np.searchsorted(edges, end, side="left"))
        for s in range(first, last + 1):
            overlap = min(end, edges[s + 1]) - max(start, edges[s])
            if overlap > best_overlap[s]:
                best_overlap[s] = overlap
                if parsed is None or modes[s] != song_mode:
                    chords[s] = -1
                else:
                    root, quality = parsed
                    chords[s] = chord_index(Chord((root - tonics[s]) % 12, quality))

    melody = np.zeros((n_slots, 12))
    strong_notes = []
    pm = pretty_midi.PrettyMIDI(str(song_dir / f"{name}.mid"))
    tracks = [inst for inst in pm.instruments if inst.name.upper() == "MELODY"]
    if not tracks:
        return None
    for note in tracks[0].notes:
        first = max(0, np.searchsorted(edges, note.start, side="right") - 1)
        last = min(n_slots - 1, np.searchsorted(edges, note.end, side="left"))
        for s in range(first, last + 1):
            overlap = min(note.end, edges[s + 1]) - max(note.start, edges[s])
            if overlap > 0:
                melody[s, (note.pitch - tonics[s]) % 12] += overlap
        s = first
        if s < n_slots and abs(note.start - edges[s]) < 0.06:  # on beat 1 or 3
            strong_notes.append((s, (note.pitch - tonics[s]) % 12))
    bar_start = np.array([round(t, 4) in bar_starts for t in half_starts])
    return SongSlots(name, song_mode, chords, melody, bar_start, strong_notes)


def count_statistics(songs: list[SongSlots]) -> dict:
    """Raw counts: transitions (into bar-start / mid-bar slots) per mode, and emissions."""
    counts = {
        mode: {
            "bar": np.zeros((N_CHORDS, N_CHORDS)),
            "mid": np.zeros((N_CHORDS, N_CHORDS)),
            "initial": np.zeros(N_CHORDS),
        }
        for mode in ("major", "minor")
    }
    emission = np.zeros((len(QUALITIES), 12))
    chord_emission = np.zeros((N_CHORDS, 12))
    for song in songs:
        c = counts[song.mode]
        prev = -1
        for s, chord in enumerate(song.chords):
            if chord < 0:
                prev = -1
                continue
            if prev < 0:
                c["initial"][chord] += 1
            else:
                c["bar" if song.bar_start[s] else "mid"][prev, chord] += 1
            prev = chord
            root, q = divmod(chord, len(QUALITIES))
            emission[q] += np.roll(song.melody[s], -root)
            chord_emission[chord] += song.melody[s]
    return {"counts": counts, "emission": emission, "chord_emission": chord_emission}


def train(*, data_dir=None, output=None, seed: int = 0, quick: bool = False, progress=SILENT) -> dict:
    """Count chord statistics on the POP909 training songs and write ``harmony.json``.

    The emission weight (how much the melody counts against the chord prior) is chosen
    on the validation songs by annotated-chord agreement.
    """
    from cinemuse.music.harmony import HarmonyModel
    from cinemuse.train.paths import shared_data_dir

    data = shared_data_dir(data_dir)
    split = split_songs(pop909_songs(data))
    train_dirs, val_dirs = split["train"], split["validation"]
    if quick:
        train_dirs, val_dirs = train_dirs[:80], val_dirs[:20]
    with progress.stage("Reading POP909 (train)", total=len(train_dirs)) as st:
        train_songs = []
        for d in train_dirs:
            song = load_song(d)
            if song is not None:
                train_songs.append(song)
            st.advance()
    stats = count_statistics(train_songs)
    val_songs = [s for s in (load_song(d) for d in val_dirs) if s is not None]

    best = None
    with progress.stage("Choosing the melody weight on validation", total=5) as st:
        for weight in (1.0, 2.0, 3.0, 4.0, 6.0):
            model = HarmonyModel.from_counts(stats, melody_weight=weight)
            agree = _agreement(model, val_songs)
            if best is None or agree > best[1]:
                best = (weight, agree)
            st.advance()
    model = HarmonyModel.from_counts(stats, melody_weight=best[0])
    out = Path(output) if output else Path(__file__).resolve().parents[1] / "assets" / "harmony"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "harmony.json"
    payload = {
        "format": "cinemuse-harmony-counts-v1",
        "trained_on": "POP909 chord_midi.txt + MELODY track, training split (80 % of songs, seed 909)",
        "n_train_songs": len(train_songs),
        "melody_weight": best[0],
        "qualities": list(QUALITIES),
        "transitions": {
            mode: {k: v.astype(int).tolist() if k == "initial" else _sparse(v) for k, v in c.items()}
            for mode, c in stats["counts"].items()
        },
        "emission": np.round(stats["emission"], 3).tolist(),
        "chord_emission": np.round(stats["chord_emission"], 2).tolist(),
    }
    path.write_text(json.dumps(payload, separators=(",", ":")))
    return {
        "model": "harmony",
        "output": str(path),
        "train_songs": len(train_songs),
        "validation_songs": len(val_songs),
        "melody_weight": best[0],
        "validation_chord_agreement": round(best[1], 4),
        "seed": seed,
    }


def _sparse(matrix: np.ndarray) -> list[list[int]]:
    """Nonzero entries of a count matrix as [row, col, count] triples (keeps the file small)."""
    rows, cols = np.nonzero(matrix)
    return [[int(r), int(c), int(matrix[r, c])] for r, c in zip(rows, cols)]


def _agreement(model, songs: list[SongSlots]) -> float:
    """Share of annotated slots where the decoded chord has the same root and quality."""
    hit = total = 0
    for song in songs:
        decoded = model.harmonize(song.melody, bar_start=song.bar_start, mode=song.mode)
        mask = song.chords >= 0
        hit += int(np.sum(np.array([chord_index(c) for c in decoded])[mask] == song.chords[mask]))
        total += int(mask.sum())
    return hit / max(total, 1)
