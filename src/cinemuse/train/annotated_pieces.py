"""Pieces with exact ground truth, as MIDI: the analysis benchmark's and the beat network's.

Every generator yields dicts with ``piece`` (a stable id), ``pm`` (a pretty_midi.PrettyMIDI
whose time 0 is the start of the excerpt), ``beats`` and ``downbeats`` (seconds),
``beats_per_bar``, ``tempo`` (BPM of the notated beat: 60 / median inter-beat interval),
``key`` ("F# minor", or None where a set has no key), ``mix`` (a cinemuse mix style or None)
and ``meter`` ("4/4", "3/4", "6/8"...).  Ground truth always comes from the score or the
performance's own grid, never from audio.

Each generator takes a ``split``: ``"test"`` is the benchmark's held-out material (nothing in
it trains or tunes a cinemuse model), ``"train"`` and ``"validation"`` are what the beat
network (:mod:`cinemuse.train.beats`) learns from and is selected on:

* ``pop909``: the splits of :func:`cinemuse.train.harmony.split_songs` (80/10/10 %% of the
  songs, seed 909: the split the harmony model was trained against).  ``beat_midi.txt`` (beats,
  downbeats) and ``key_audio.txt`` are the dataset's human annotations of the performed MIDI.
* ``groove``: the Groove MIDI Dataset's official splits, ``beat`` performances: drums
  only, human timing against the click the drummer played to (the MIDI's tempo grid).
* ``folk``: music21's ABC folk corpora, split by a hash of the tune's id (:func:`folk_split`:
  20 %% test, 5 %% validation).  Test tunes in duple meters must also be in the melody model's
  test split (:func:`cinemuse.train.corpus.split_tunes`), so that no benchmark tune trained
  the melody model either.  Tempo drawn per tune (seeded): 60-180 BPM for simple meters,
  60-120 dotted-quarter BPM for 6/8.
* ``styles``: cinemuse's own composer, every style at several tempi across its range, keys and
  modes drawn per piece; each split from its own seed.
* ``legacy`` (test only): the earlier benchmark's set (POP909 ids 801..909 with one key, Bach
  chorales at 60-110 BPM, six instrumentations), kept so that earlier figures can be compared.
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import numpy as np

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MELODY_PROGRAMS = (73, 40, 21, 0, 24, 71, 22, 68)  # flute, violin, accordion, piano, guitar...
POP_PROGRAMS = ((0, 0), (4, 48), (80, 5), (73, 24), (65, 19), (81, 0))  # (melody/bridge, piano)


# --------------------------------------------------------------------------- MIDI helpers


def excerpt(pm, start: float, end: float):
    """Notes and controllers of ``pm`` in [start, end), moved so that ``start`` is time 0."""
    import pretty_midi

    out = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    for inst in pm.instruments:
        new = pretty_midi.Instrument(program=inst.program, is_drum=inst.is_drum, name=inst.name)
        for n in inst.notes:
            if n.end > start and n.start < end:
                s = max(n.start, start) - start
                new.notes.append(pretty_midi.Note(n.velocity, n.pitch, s, min(n.end, end + 0.5) - start))
        new.control_changes = [pretty_midi.ControlChange(c.number, c.value, max(c.time - start, 0.0))
                               for c in inst.control_changes if c.time < end]
        out.instruments.append(new)
    return out


def drum_track(beats: np.ndarray, downbeats: np.ndarray, *, subdivisions: int = 2, end: float):
    """A plain kit on the given grid: kick on beat 1 (and 3 of 4), snare on the other beats of a
    duple bar (2 of 3 in triple), closed hi-hat on every subdivision."""
    import pretty_midi

    drums = pretty_midi.Instrument(program=0, is_drum=True, name="drums")
    beats = np.asarray(beats, float)
    if len(beats) < 2:
        return drums
    bar = np.searchsorted(np.asarray(downbeats, float), beats + 1e-3) - 1  # -1: the pick-up
    for i, t in enumerate(beats):
        if t >= end:
            break
        nxt = beats[i + 1] if i + 1 < len(beats) else t + (t - beats[i - 1])
        same = np.flatnonzero(bar == bar[i])
        pos, n_in_bar = i - same[0], len(same)
        if bar[i] < 0:  # a pick-up: hi-hat only
            pass
        elif pos == 0 or (n_in_bar == 4 and pos == 2):
            drums.notes.append(pretty_midi.Note(105, 36, t, t + 0.1))
        elif n_in_bar != 3 or pos == 1:
            drums.notes.append(pretty_midi.Note(95, 38, t, t + 0.1))
        for k in range(subdivisions):
            h = t + k * (nxt - t) / subdivisions
            drums.notes.append(pretty_midi.Note(75 if k == 0 else 60, 42, h, h + 0.05))
    return drums


def _row(piece, pm, beats, downbeats, *, key, mix, meter, beats_per_bar, seconds):
    beats = np.asarray(beats, float)
    downbeats = np.asarray(downbeats, float)
    beats = beats[(beats >= 0) & (beats < seconds)]
    downbeats = downbeats[(downbeats >= 0) & (downbeats < seconds)]
    return {
        "piece": piece, "pm": pm, "key": key, "mix": mix, "meter": meter,
        "beats_per_bar": int(beats_per_bar), "beats": beats, "downbeats": downbeats,
        "tempo": float(60.0 / np.median(np.diff(beats))), "seconds": float(seconds),
    }


# --------------------------------------------------------------------------- POP909


def pop909_split(data: Path, split: str = "test") -> list[Path]:
    """The POP909 song folders of one split (test: the songs the harmony model never saw)."""
    from cinemuse.train.harmony import pop909_songs, split_songs

    return split_songs(pop909_songs(data))[split]


def _pop909_key(folder: Path, start: float, end: float) -> str | None:
    """The annotated key that covers [start, end), or None if the key changes there."""
    for line in (folder / "key_audio.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) < 3 or ":" not in parts[2]:
            continue
        k0, k1 = float(parts[0]), float(parts[1])
        if k0 <= start + 2.0 and k1 >= end - 2.0:
            tonic, quality = parts[2].split(":")
            from cinemuse.music.theory import parse_key

            pc, _ = parse_key(tonic)
            return f"{NOTE_NAMES[pc]} {'major' if quality.startswith('maj') else 'minor'}"
    return None


def _pop909_bass(piano, beats: np.ndarray):
    """A bass line: the lowest sounding accompaniment note at each beat, an octave or two down."""
    import pretty_midi

    bass = pretty_midi.Instrument(program=33, name="bass")
    for b0, b1 in zip(beats[:-1], beats[1:]):
        sounding = [x.pitch for x in piano.notes if x.start <= b0 + 0.05 and x.end > b0]
        if sounding:
            p = min(sounding)
            while p >= 52:
                p -= 12
            bass.notes.append(pretty_midi.Note(90, p, b0, b1 - 0.02))
    return bass


def pop909_pieces(data: Path, n: int, seconds: float, *, seed: int = 0, split: str = "test"):
    """Excerpts of POP909 songs from a downbeat in the first half, half with drums."""
    import pretty_midi

    rng = np.random.default_rng(seed)
    count = 0
    for folder in pop909_split(data, split):
        if count >= n:
            break
        ann = np.loadtxt(folder / "beat_midi.txt")
        beats, down = ann[:, 0], ann[ann[:, 2] == 1, 0]  # column 3: 4/4 bar lines
        starts = down[(down > 4.0) & (down < beats[-1] - seconds - 2.0)]
        if len(starts) == 0:
            continue
        start = float(starts[rng.integers(0, max(1, len(starts) // 2))])
        key = _pop909_key(folder, start, start + seconds)
        if key is None:
            continue
        pm = pretty_midi.PrettyMIDI(str(folder / f"{folder.name}.mid"))
        order = {"MELODY": 0, "BRIDGE": 1, "PIANO": 2}
        pm.instruments = sorted([i for i in pm.instruments if not i.is_drum],
                                key=lambda i: order.get(i.name.upper(), 1))
        lead, keys = POP_PROGRAMS[count % len(POP_PROGRAMS)]
        for inst in pm.instruments:
            inst.program = keys if inst.name.upper() == "PIANO" else lead
        pm.instruments.append(_pop909_bass(pm.instruments[-1], beats[(beats >= start - 1) & (beats < start + seconds + 1)]))
        with_drums = count % 2 == 1
        if with_drums:
            pm.instruments.append(drum_track(beats, down, end=start + seconds + 1))
        cut = excerpt(pm, start, start + seconds)
        count += 1
        yield _row(f"pop909/{folder.name}{'+drums' if with_drums else ''}", cut, beats - start,
                   down - start, key=key, mix="pop" if with_drums else "piano", meter="4/4",
                   beats_per_bar=4, seconds=seconds)


# --------------------------------------------------------------------------- Groove MIDI


def groove_pieces(data: Path, n: int, seconds: float, *, split: str = "test"):
    """One Groove MIDI split's beat performances (at least ``seconds`` long), as played."""
    import pretty_midi

    root = data / "music" / "groove"
    with open(root / "info.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == split and r["beat_type"] == "beat"
                and float(r["duration"]) >= seconds]
    # a spread of meters and tempi: every k-th row of the sorted list, not hand-picked
    rows.sort(key=lambda r: r["midi_filename"])
    step = max(1, len(rows) // max(n, 1))
    for r in rows[::step][:n]:
        pm = pretty_midi.PrettyMIDI(str(root / r["midi_filename"]))
        num, den = (int(x) for x in r["time_signature"].split("-"))
        beats, down = pm.get_beats(), pm.get_downbeats()
        compound = num % 3 == 0 and num > 3 and den == 8
        bpb = num // 3 if compound else num
        for inst in pm.instruments:
            inst.name = "drums"
        yield _row(f"groove/{r['id'].replace('/', '_')}", excerpt(pm, 0.0, seconds), beats, down,
                   key=None, mix=None, meter=f"{num}/{den}", beats_per_bar=bpb, seconds=seconds)


# --------------------------------------------------------------------------- folk tunes

_METERS = {"2/4": (2, 1.0), "4/4": (4, 1.0), "C": (4, 1.0), "3/4": (3, 1.0), "6/8": (2, 1.5)}


def folk_heldout_ids(cache: Path) -> set[str]:
    """Ids (``collection/file#n``) of the duple tunes in the melody corpus's test split.

    The parsed corpus is read from cinemuse's training cache, else from ``cache``; when
    neither has it, it is parsed into ``cache`` (about 7 CPU-minutes, once).
    """
    from cinemuse.train.corpus import build_corpus, load_corpus, save_corpus, split_tunes
    from cinemuse.train.paths import cache_dir

    for path in (cache_dir("melody") / "corpus.npz", cache / "train" / "melody" / "corpus.npz"):
        if path.is_file():
            return {t.key for t in split_tunes(load_corpus(path))["test"]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tunes, _ = build_corpus(None)
    save_corpus(path, tunes)
    return {t.key for t in split_tunes(tunes)["test"]}


def folk_split(tune_id: str) -> str:
    """"test" (20 %), "validation" (5 %) or "train", from a hash of the tune's id."""
    bucket = hashlib.sha1(tune_id.encode()).digest()[0] / 256.0
    return "test" if bucket < 0.2 else "validation" if bucket < 0.25 else "train"


def _abc_meter(text: str) -> str | None:
    meters = {m.strip() for m in re.findall(r"(?m)^M:\s*([^\n%]*)", text)}
    return meters.pop() if len(meters) == 1 and next(iter(meters)) in _METERS else None


def _folk_grid(part, beat_ql: float, bar_ql: float):
    """(beats, downbeats) in quarter lengths from the measures; None when a measure other than
    the first (pick-up) and the last is incomplete (a phase the ear could not follow)."""
    measures = list(part.getElementsByClass("Measure"))
    if len(measures) < 4:
        return None
    beats, down = [], []
    for i, m in enumerate(measures):
        length = float(m.duration.quarterLength)
        full = abs(length - bar_ql) < 1e-6
        if not full and 0 < i < len(measures) - 1:
            return None
        off = float(m.offset)
        if i == 0 and not full:  # pick-up: beats counted back from the first bar line
            k = np.arange(1, int(length / beat_ql + 1e-6) + 1)
            beats += list(off + length - k * beat_ql)
            continue
        down.append(off)
        beats += list(off + np.arange(int(length / beat_ql + 1e-6)) * beat_ql)
    end = float(measures[-1].offset + measures[-1].duration.quarterLength)
    pickup = float(measures[0].duration.quarterLength) if abs(
        float(measures[0].duration.quarterLength) - bar_ql) > 1e-6 else 0.0
    return np.sort(beats), np.array(down), end, pickup


def _folk_key(score, notes) -> tuple[int, str] | None:
    """(tonic pc, mode) from the key signature and the last note; None for modal endings."""
    from music21 import key as m21key

    sigs = list(score.flatten().getElementsByClass(m21key.KeySignature))
    sharps = sigs[0].sharps if sigs else 0
    major = (7 * sharps) % 12
    last = notes[-1].pitches[-1].midi % 12
    if last == major:
        return major, "major"
    if last == (major + 9) % 12:
        return (major + 9) % 12, "minor"
    return None


def _folk_piece(text: str, bpm: float, seconds: float, program: int, transpose: int, with_drums: bool):
    """One ABC tune as a PrettyMIDI excerpt with its grid, repeated to fill ``seconds``."""
    import pretty_midi
    from music21 import converter

    meter = _abc_meter(text)
    if meter is None:
        return None
    bpb, beat_ql = _METERS[meter]
    score = converter.parse(text, format="abc")
    part = score.parts[0] if getattr(score, "parts", None) else score
    notes = [n for n in part.flatten().notes if float(n.quarterLength) > 0]
    grid = _folk_grid(part, beat_ql, bpb * beat_ql) if notes else None
    key = _folk_key(score, notes) if grid else None
    if key is None:
        return None
    beats_q, down_q, end_q, pickup = grid
    last_len = end_q - (down_q[-1] if len(down_q) else 0.0)
    if abs((pickup + last_len) - bpb * beat_ql) > 1e-6 and not (pickup == 0 and abs(last_len - bpb * beat_ql) < 1e-6):
        return None  # the tune cannot repeat on its own grid
    spq = 60.0 / bpm / beat_ql
    period = end_q * spq
    copies = int(np.ceil(seconds / period))
    inst = pretty_midi.Instrument(program=program, name="melody")
    beats, down = [], []
    for c in range(copies):
        t0 = c * period
        for n in notes:
            vel = 92 if any(abs(float(n.offset) - d) < 1e-6 for d in down_q) else 78
            for p in n.pitches:
                s = t0 + float(n.offset) * spq
                inst.notes.append(pretty_midi.Note(vel, p.midi + transpose, s, s + float(n.quarterLength) * spq * 0.95))
        beats += list(t0 + beats_q * spq)
        down += list(t0 + down_q * spq)
    pm = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    pm.instruments.append(inst)
    beats, down = np.unique(np.round(beats, 6)), np.unique(np.round(down, 6))
    if with_drums:
        pm.instruments.append(drum_track(beats, down, subdivisions=3 if beat_ql == 1.5 else 2, end=seconds + 1))
    pm = excerpt(pm, 0.0, seconds)
    tonic, mode = key
    return pm, beats, down, f"{NOTE_NAMES[(tonic + transpose) % 12]} {mode}", meter, bpb


def folk_pieces(n: int, seconds: float, *, cache: Path, seed: int = 0,
                meters=("2/4", "4/4", "3/4", "6/8"), split: str = "test", balance_modes: bool = True):
    """Folk tunes of one split, equal numbers per meter, every other one with drums.

    ``balance_modes``: also equal numbers of major and minor tunes per meter (minor tunes are
    rare in some meters, so this parses many tunes before the first is yielded); without it,
    each tune is yielded as soon as it is made.
    """
    from cinemuse.train.corpus import abc_files, abc_meter_is_duple, split_abc_tunes

    rng = np.random.default_rng(seed)
    heldout = folk_heldout_ids(cache) if split == "test" else set()
    candidates = []
    for path, collection, _ in abc_files():
        for i, text in enumerate(split_abc_tunes(Path(path).read_text(encoding="latin-1"))):
            meter = _abc_meter(text)
            if meter not in meters and not (meter == "C" and "4/4" in meters):
                continue
            tune_id = f"{collection}/{Path(path).name}#{i}"
            if folk_split(tune_id) != split:
                continue
            if split == "test" and abc_meter_is_duple(text) and tune_id not in heldout:
                continue  # a duple tune may be in the melody model's training split
            candidates.append((tune_id, "4/4" if meter == "C" else meter, text))
    order = rng.permutation(len(candidates))
    # equal numbers per meter and, where the corpus has enough minor tunes, per mode
    quota = {(m, mode): -(-n // (2 * len(meters))) for m in meters for mode in ("major", "minor")}
    chosen, spare = [], []
    for attempt, idx in enumerate(order):
        # minor tunes are rare in some meters: stop searching after a bounded number of parses
        if len(chosen) >= n or not any(quota.values()) or attempt >= 25 * n:
            break
        tune_id, meter, text = candidates[idx]
        if not quota[(meter, "major")] and not quota[(meter, "minor")]:
            continue
        k = len(chosen) + len(spare)
        bpm = float(rng.uniform(60, 120 if meter == "6/8" else 180))
        transpose, with_drums = int(rng.integers(-5, 7)), k % 2 == 1
        try:
            made = _folk_piece(text, bpm, seconds, MELODY_PROGRAMS[k % len(MELODY_PROGRAMS)],
                               transpose, with_drums)
        except Exception:  # noqa: BLE001 - music21 raises many kinds on odd ABC
            made = None
        if made is None:
            continue
        pm, beats, down, key, meter_name, bpb = made
        row = _row(f"folk/{tune_id}{'+drums' if with_drums else ''}", pm, beats, down, key=key,
                   mix="folk" if with_drums else None, meter=meter_name, beats_per_bar=bpb, seconds=seconds)
        slot = (meter, key.split()[1])
        if not balance_modes:  # the meter's quota, either mode
            major_left = quota[(meter, "major")] > 0
            quota[(meter, "major" if major_left else "minor")] -= 1
            chosen.append(row)
            yield row
            continue
        if quota[slot]:
            quota[slot] -= 1
            chosen.append(row)
        else:
            spare.append(row)
    # too few minor tunes in some meter: fill up with spare tunes of that meter
    for row in spare:
        missing = quota[(row["meter"], "minor")] if row["meter"] in meters else 0
        if missing and len(chosen) < n:
            quota[(row["meter"], "minor")] -= 1
            chosen.append(row)
    if balance_modes:
        yield from chosen


# --------------------------------------------------------------------------- cinemuse styles


STYLE_SEEDS = {"test": 0, "validation": 1, "train": 2}


def style_pieces(seconds: float, *, per_style: int = 3, split: str = "test"):
    """cinemuse's composer: each style at ``per_style`` tempi spread over its range."""
    from cinemuse.music.compose import compose
    from cinemuse.music.styles import STYLES
    from cinemuse.pipelines.compose import build_cue

    rng = np.random.default_rng(STYLE_SEEDS[split])
    for name, style in STYLES.items():
        lo, hi = style.tempo_range
        for k, bpm in enumerate(np.linspace(lo, hi, per_style)):
            tonic = NOTE_NAMES[int(rng.integers(0, 12))]
            mode = ("major", "minor")[int(rng.integers(0, 2))]
            cue = build_cue(duration=seconds, tempo=float(round(bpm)), key=tonic, mode=mode,
                            style=name, seed=int(rng.integers(0, 10_000)))
            piece = compose(cue, render=False)
            pm = piece.midi
            ts = pm.time_signature_changes[0] if pm.time_signature_changes else None
            bpb = ts.numerator if ts else 4
            prefix = "styles" if split == "test" else f"styles-{split}"
            yield _row(f"{prefix}/{name}-{k}", pm, pm.get_beats(), pm.get_downbeats(), key=piece.key,
                       mix=name, meter=f"{bpb}/4", beats_per_bar=bpb, seconds=seconds)


# --------------------------------------------------------------------------- the earlier set

# (name, programs for melody / chords / bass, drums?, mix style) -- the earlier instrumentations
LEGACY_ARRANGEMENTS = [
    ("piano", (0, 0, 0), False, "piano"),
    ("band+drums", (80, 4, 33), True, "pop"),
    ("strings", (40, 48, 42), False, "cinematic"),
    ("guitar+drums", (25, 24, 34), True, "folk"),
    ("synth+drums", (81, 89, 38), True, "electronic"),
    ("organ", (19, 19, 19), False, None),
]


def _legacy_arrange(pm, arrangement, beats, downbeats, end):
    """Re-instrument: first track melody, middle chords, last bass; maybe drums."""
    _, (p_mel, p_chords, p_bass), with_drums, _ = arrangement
    insts = [i for i in pm.instruments if not i.is_drum]
    for k, inst in enumerate(insts):
        inst.program = p_mel if k == 0 else p_bass if k == len(insts) - 1 else p_chords
        inst.name = "melody" if k == 0 else "bass" if k == len(insts) - 1 else "chords"
    pm.instruments = insts
    if with_drums:
        pm.instruments.append(drum_track(beats, downbeats, end=end))
    return pm


def _legacy_pop909(data: Path, n: int, seconds: float):
    import pretty_midi

    root = data / "music" / "pop909"
    ids = [s for s in range(801, 910) if (root / f"{s:03d}").is_dir()
           and len((root / f"{s:03d}" / "key_audio.txt").read_text().strip().splitlines()) == 1]
    for song in ids[:n]:
        d = root / f"{song:03d}"
        tonic, quality = (d / "key_audio.txt").read_text().split()[2].split(":")
        from cinemuse.music.theory import parse_key

        key = f"{NOTE_NAMES[parse_key(tonic)[0]]} {'major' if quality == 'maj' else 'minor'}"
        ann = np.loadtxt(d / "beat_midi.txt")
        beats, down = ann[:, 0], ann[ann[:, 2] == 1, 0]
        pm = pretty_midi.PrettyMIDI(str(d / f"{song:03d}.mid"))
        order = {"MELODY": 0, "BRIDGE": 1, "PIANO": 2}
        pm.instruments.sort(key=lambda i: order.get(i.name.upper(), 1))
        start = float(beats[0])
        sel = beats[beats < start + seconds]
        pm.instruments.append(_pop909_bass(pm.instruments[-1], sel))
        yield f"legacy/pop909-{song:03d}", pm, beats, down, key, start, start + seconds


def _legacy_chorales(n: int, seconds: float, seed: int = 0):
    import pretty_midi
    from music21 import corpus, key as m21key

    rng = np.random.default_rng(seed)
    count = 0
    for path in sorted(corpus.getComposer("bach"), key=str)[200:]:  # a fixed slice, not hand-picked
        if count >= n:
            break
        try:
            score = corpus.parse(path)
        except Exception:  # noqa: BLE001
            continue
        parts = score.parts
        ks = score.flatten().getElementsByClass(m21key.KeySignature)
        if len(parts) != 4 or not ks or not list(parts[-1].flatten().notes):
            continue
        major = (7 * ks[0].sharps) % 12
        last = list(parts[-1].flatten().notes)[-1]
        final = last.pitches[0].midi % 12
        if final not in (major, (major + 9) % 12):
            continue
        key = f"{NOTE_NAMES[final]} {'major' if final == major else 'minor'}"
        bpm = float(rng.uniform(60, 110))
        spq = 60.0 / bpm
        pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
        for part in parts:
            inst = pretty_midi.Instrument(program=0)
            for nt in part.flatten().notes:
                for p in nt.pitches:
                    s = float(nt.offset) * spq
                    inst.notes.append(pretty_midi.Note(80, p.midi, s, s + float(nt.quarterLength) * spq))
            pm.instruments.append(inst)
        first = parts[-1].flatten().notes[0]
        frac = (float(first.beat) - 1.0) % 1.0  # pick-up by a fraction of a beat
        end = min(seconds, pm.get_end_time())
        beats = np.arange(-frac, pm.get_end_time() / spq + 1) * spq
        beats = beats[(beats >= 0) & (beats < end)]
        first_beat = int(np.floor(float(first.beat)))
        down = beats[[(i + first_beat - 1) % 4 == 0 for i in range(len(beats))]]
        count += 1
        yield f"legacy/bach-{Path(str(path)).stem}", pm, beats, down, key, 0.0, end


def legacy_pieces(data: Path, n_pop909: int, n_chorales: int, seconds: float):
    """The earlier benchmark's pieces and instrumentations (rendered with the shipped font)."""
    sources = list(_legacy_pop909(data, n_pop909, seconds)) if (data / "music" / "pop909").is_dir() else []
    sources += list(_legacy_chorales(n_chorales, seconds))
    for i, (name, pm, beats, down, key, start, end) in enumerate(sources):
        arrangement = LEGACY_ARRANGEMENTS[i % len(LEGACY_ARRANGEMENTS)]
        pm = _legacy_arrange(pm, arrangement, beats, down, end)
        yield _row(f"{name}/{arrangement[0]}", excerpt(pm, start, end), beats - start, down - start,
                   key=key, mix=arrangement[3], meter="4/4", beats_per_bar=4, seconds=end - start)
