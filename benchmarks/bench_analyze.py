"""How accurate is `cinemuse analyze`? Key, tempo and beats on rendered corpus tunes.

Pieces (ground truth from the score, never from audio):
* POP909 songs (``music/pop909`` in the shared data folder, see ``datadir.py``) with a single annotated key, ids 801..909
  (held out: we tuned nothing on them); beats from ``beat_midi.txt``, tempo = 60 / median
  inter-beat interval, key from ``key_audio.txt``.  The first ``--seconds`` of music.
* Bach chorales from music21's corpus, rendered at a tempo drawn per piece (seeded) from
  60..110 BPM; key from the key signature and the final bass note (pieces whose final bass
  is neither the major nor the relative-minor tonic are skipped); beats on the quarter-note
  grid.

Each piece is rendered with cinemuse's own synthesiser (``cinemuse.music.render.render_midi``)
in one of several instrumentations, with and without drums, then analysed with
``cinemuse.analysis.audio.analyze_song``.

Metrics: key exact accuracy and MIREX weighted score (mir_eval.key), tempo Accuracy1 (within
4 %) and Accuracy2 (also at x2, x3, x1/2, x1/3), beat F-measure (mir_eval.beat, +-70 ms, the
first 5 s ignored as in MIREX).

Output: one JSON line per piece, then one summary line. Run from the repo root:

    .venv/bin/python benchmarks/bench_analyze.py [--pop909 24] [--chorales 12] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from datadir import add_data_dir_argument, data_dir

POP909 = Path("music/pop909")  # under the data folder; main() makes it absolute (--data-dir)
SR = 44100

# (name, programs for melody / chords / bass, drums?, mix style) -- several instrumentations
ARRANGEMENTS = [
    ("piano", (0, 0, 0), False, "piano"),
    ("band+drums", (80, 4, 33), True, "pop"),
    ("strings", (40, 48, 42), False, "cinematic"),
    ("guitar+drums", (25, 24, 34), True, "folk"),
    ("synth+drums", (81, 89, 38), True, "electronic"),
    ("organ", (19, 19, 19), False, None),
]


def _drum_track(beats: np.ndarray, downbeat_flags: np.ndarray, *, end: float):
    import pretty_midi

    drums = pretty_midi.Instrument(program=0, is_drum=True, name="drums")
    for i, t in enumerate(beats):
        if t >= end:
            break
        nxt = beats[i + 1] if i + 1 < len(beats) else t + (t - beats[i - 1])
        previous_downbeats = np.flatnonzero(downbeat_flags[: i + 1])
        bar_pos = i - previous_downbeats[-1] if len(previous_downbeats) else i
        pitch = 36 if bar_pos % 2 == 0 else 38  # kick on 1 and 3, snare on 2 and 4
        drums.notes.append(pretty_midi.Note(100, pitch, t, t + 0.1))
        for h in (t, (t + nxt) / 2):  # closed hi-hat on 8ths
            drums.notes.append(pretty_midi.Note(70, 42, h, h + 0.05))
    return drums


def _arrange(pm, arrangement, *, beats=None, downbeat_flags=None, end=None):
    """Re-instrument a PrettyMIDI: first track melody, middle chords, last bass; maybe drums."""
    name, (p_mel, p_chords, p_bass), with_drums, _ = arrangement
    insts = [i for i in pm.instruments if not i.is_drum]
    for k, inst in enumerate(insts):
        if k == 0:
            inst.program, inst.name = p_mel, "melody"
        elif k == len(insts) - 1:
            inst.program, inst.name = p_bass, "bass"
        else:
            inst.program, inst.name = p_chords, f"chords{k}" if k > 1 else "chords"
    pm.instruments = insts
    if with_drums and beats is not None:
        pm.instruments.append(_drum_track(beats, downbeat_flags, end=end))
    return pm


def _crop(pm, end: float):
    """Keep the first ``end`` seconds: notes, and the controllers that would extend the render."""
    for inst in pm.instruments:
        inst.notes = [n for n in inst.notes if n.start < end]
        for n in inst.notes:
            n.end = min(n.end, end + 0.5)
        inst.control_changes = [c for c in inst.control_changes if c.time < end]
        inst.pitch_bends = [b for b in inst.pitch_bends if b.time < end]
    return pm


def pop909_pieces(n: int, seconds: float):
    import pretty_midi

    ids = []
    for song in range(801, 910):
        d = POP909 / f"{song:03d}"
        key_lines = (d / "key_audio.txt").read_text().strip().splitlines() if d.is_dir() else []
        if len(key_lines) == 1:
            ids.append(song)
    for song in ids[:n]:
        d = POP909 / f"{song:03d}"
        tonic, quality = (d / "key_audio.txt").read_text().split()[2].split(":")
        key = f"{tonic} {'major' if quality == 'maj' else 'minor'}"
        ann = np.loadtxt(d / "beat_midi.txt")
        beats, downbeat_flags = ann[:, 0], ann[:, 2]
        pm = pretty_midi.PrettyMIDI(str(d / f"{song:03d}.mid"))
        start = beats[0]
        end = start + seconds
        # the PIANO track is the accompaniment, BRIDGE a counter-melody: order melody first
        order = {"MELODY": 0, "BRIDGE": 1, "PIANO": 2}
        pm.instruments.sort(key=lambda i: order.get(i.name.upper(), 1))
        # a bass line: the lowest note of the PIANO track at each beat, an octave down
        piano = pm.instruments[-1]
        bass = pretty_midi.Instrument(program=33, name="bass")
        for b0, b1 in zip(beats[:-1], beats[1:]):
            if b0 >= end:
                break
            sounding = [x.pitch for x in piano.notes if x.start <= b0 + 0.05 and x.end > b0]
            if sounding:
                p = min(sounding)
                while p >= 52:
                    p -= 12
                bass.notes.append(pretty_midi.Note(90, p, b0, b1 - 0.02))
        pm.instruments.append(bass)
        pm = _crop(pm, end)
        sel = beats < end
        yield {
            "piece": f"pop909/{song:03d}",
            "pm": pm,
            "key": key,
            "beats": beats[sel],
            "downbeat_flags": downbeat_flags[sel],
            "tempo": float(60.0 / np.median(np.diff(beats[sel]))),
            "end": end,
        }


def chorale_pieces(n: int, seconds: float, seed: int = 0):
    import pretty_midi
    from music21 import corpus, key as m21key

    rng = np.random.default_rng(seed)
    names = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
    count = 0
    for path in sorted(corpus.getComposer("bach"), key=str)[200:]:  # a fixed slice, not hand-picked
        if count >= n:
            break
        try:
            score = corpus.parse(path)
        except Exception:
            continue
        parts = score.parts
        if len(parts) != 4:
            continue
        ks = score.flatten().getElementsByClass(m21key.KeySignature)
        if not ks:
            continue
        sharps = ks[0].sharps
        major_tonic = (7 * sharps) % 12
        minor_tonic = (major_tonic + 9) % 12
        bass_notes = list(parts[-1].flatten().notes)
        if not bass_notes:
            continue
        last = bass_notes[-1]
        final_pc = (last.pitches[0].midi if hasattr(last, "pitches") else last.pitch.midi) % 12
        if final_pc == major_tonic:
            key = f"{names[major_tonic]} major"
        elif final_pc == minor_tonic:
            key = f"{names[minor_tonic]} minor"
        else:
            continue
        bpm = float(rng.uniform(60, 110))
        spq = 60.0 / bpm
        pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
        for part in parts:
            inst = pretty_midi.Instrument(program=0)
            for nt in part.flatten().notes:
                for p in nt.pitches:
                    s = float(nt.offset) * spq
                    end_time = s + float(nt.quarterLength) * spq
                    inst.notes.append(pretty_midi.Note(80, p.midi, s, end_time))
            pm.instruments.append(inst)
        first = part.flatten().notes[0]
        frac = (float(first.beat) - 1.0) % 1.0  # pickup by a fraction of a beat
        end_score = pm.get_end_time()
        end = min(seconds, end_score)
        beats = np.arange(-frac, end_score / spq + 1) * spq
        beats = beats[(beats >= 0) & (beats < end)]
        # downbeat flags from the beat-in-bar of the notes is overkill: bars of 4 from beat 1
        first_beat_in_bar = int(np.floor(float(first.beat)))
        flags = np.array([(i + first_beat_in_bar - 1) % 4 == 0 for i in range(len(beats))], float)
        count += 1
        yield {
            "piece": f"bach/{Path(str(path)).stem}",
            "pm": _crop(pm, end),
            "key": key,
            "beats": beats,
            "downbeat_flags": flags,
            "tempo": bpm,
            "end": end,
        }


def tempo_accuracy(est: float, ref: float, *, tolerance: float = 0.04) -> tuple[bool, bool]:
    """(Accuracy1, Accuracy2) hits for one piece."""
    acc1 = abs(est - ref) <= tolerance * ref
    acc2 = any(abs(est - ref * f) <= tolerance * ref * f for f in (1, 2, 3, 1 / 2, 1 / 3))
    return bool(acc1), bool(acc2)


def _source_means(rows, prefix: str) -> dict:
    sel = [r for r in rows if r["piece"].startswith(prefix)]
    out = {"pieces": len(sel)}
    for key, name in (("key_mirex", "key_mirex_weighted"), ("tempo_acc2", "tempo_accuracy2"),
                      ("beat_f", "beat_f_measure")):
        out[name] = round(float(np.mean([r[key] for r in sel])), 4) if sel else None
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pop909", type=int, default=24)
    parser.add_argument("--chorales", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=60.0)
    add_data_dir_argument(parser)
    args = parser.parse_args(argv)
    global POP909
    POP909 = data_dir(args.data_dir) / "music" / "pop909"

    import mir_eval

    from cinemuse.analysis.audio import analyze_song
    from cinemuse.music.render import render_midi

    rows = []
    pieces = list(pop909_pieces(args.pop909, args.seconds)) if POP909.is_dir() else []
    pieces += list(chorale_pieces(args.chorales, args.seconds))
    for i, piece in enumerate(pieces):
        arrangement = ARRANGEMENTS[i % len(ARRANGEMENTS)]
        pm = _arrange(piece["pm"], arrangement, beats=piece["beats"],
                      downbeat_flags=piece["downbeat_flags"], end=piece["end"])
        audio = render_midi(pm, sample_rate=SR, style=arrangement[3])
        audio = audio[: int((piece["end"] + 1.0) * SR)]
        t0 = time.perf_counter()
        profile = analyze_song(audio, SR)
        seconds = time.perf_counter() - t0
        ref_beats = mir_eval.beat.trim_beats(np.asarray(piece["beats"]))
        est_beats = mir_eval.beat.trim_beats(profile.beats)
        beat_f = float(mir_eval.beat.f_measure(ref_beats, est_beats))
        acc1, acc2 = tempo_accuracy(profile.tempo_bpm, piece["tempo"])
        key_weighted = float(mir_eval.key.weighted_score(piece["key"], profile.key))
        row = {
            "piece": piece["piece"],
            "arrangement": arrangement[0],
            "ref_key": piece["key"],
            "est_key": profile.key,
            "key_confidence": round(profile.key_confidence, 3),
            "key_exact": profile.key == piece["key"] or key_weighted == 1.0,
            "key_mirex": key_weighted,
            "ref_tempo": round(piece["tempo"], 2),
            "est_tempo": round(profile.tempo_bpm, 2),
            "tempo_acc1": acc1,
            "tempo_acc2": acc2,
            "beat_f": round(beat_f, 4),
            "analysis_seconds": round(seconds, 3),
            "audio_seconds": round(len(audio) / SR, 2),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)

    def mean(key):
        return round(float(np.mean([r[key] for r in rows])), 4) if rows else None

    summary = {
        "summary": "analyze accuracy",
        "pieces": len(rows),
        "key_exact": mean("key_exact"),
        "key_mirex_weighted": mean("key_mirex"),
        "tempo_accuracy1": mean("tempo_acc1"),
        "tempo_accuracy2": mean("tempo_acc2"),
        "beat_f_measure": mean("beat_f"),
        "targets": {"key_mirex_weighted": 0.8, "tempo_accuracy2": 0.9, "beat_f_measure": 0.85},
        "by_source": {src: _source_means(rows, src) for src in ("pop909", "bach")},
    }
    summary["targets_met"] = bool(
        rows and summary["key_mirex_weighted"] >= 0.8 and summary["tempo_accuracy2"] >= 0.9
        and summary["beat_f_measure"] >= 0.85
    )
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
