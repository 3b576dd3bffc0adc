"""Does `cinemuse analyze` count the notes it hears? Onsets (the ``onset_density`` a cover's
mood reads) against the note onsets of the MIDI each excerpt was rendered from.

Sets, every excerpt with exact note times:

- **styles**: cinemuse's own styles composed (``cinemuse.compose``, seeds from ``--seed``,
  none of them the ones the onset threshold was chosen on), audio and MIDI of the same piece;
- **pop909** and **folk**: test-split pieces of the accuracy benchmark (POP909 songs with and
  without drums; folk tunes in four meters, every other one with drums; see
  :mod:`cinemuse.train.annotated_pieces`), each rendered in both SoundFonts;
- **sustained**: sounds with one onset or none (sine tones, held and swelling chords, pink
  noise, glissandi: ``bench_steady_beat.beatless``); only the rate is scored (ideal 0).

The truth is every note start, notes within 30 ms of each other (a chord, a strum, a kick
with a snare) counted once.  Systems on the same samples: ``cinemuse`` (the shipped
``analysis.audio_dsp.onset_frames`` on the envelope ``analyze`` computes), ``cinemuse-flat``
(the same without its spread and minimum-rise tests, as before them), ``librosa`` (``onset.onset_detect``,
its defaults).  Metrics: onset F-measure (mir_eval, +-50 ms), onsets a second read and
written, and the mean |log2(read / written)| (0.1 a second added to each, so that a
reading of none stays finite).  For each style, also the arousal ``analyze`` reads (-1 calm
.. 1 excited; the cover's mood) and what it would read with ``cinemuse-flat``'s onset rate.
One JSON line per excerpt, then one per set and system, then one per style.

    .venv/bin/python benchmarks/bench_onsets.py [--per-style 3] [--pop909 10] [--folk 8] [--seconds 30]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from bench_steady_beat import SR as STEADY_SR
from bench_steady_beat import beatless
from datadir import add_data_dir_argument, data_dir

STYLES = ("cinematic", "ambient", "lofi", "folk", "pop", "piano", "electronic")
SUSTAINED = ("sine tone", "held chord", "swelling chord", "pink noise", "glissando")


def written_onsets(pm, seconds: float) -> np.ndarray:
    starts = np.sort([n.start for inst in pm.instruments for n in inst.notes])
    starts = starts[starts < seconds - 0.05]
    merged: list[float] = []
    for t in starts:
        if not merged or t - merged[-1] >= 0.03:
            merged.append(float(t))
    return np.asarray(merged)


def read_onsets(features, samples: np.ndarray, sr: int) -> dict[str, np.ndarray]:
    """Onset times (s) of every system for one excerpt (``samples``: (n, channels) float32;
    ``features``: what ``analyze`` extracts from them)."""
    import librosa

    from cinemuse.analysis import audio_dsp as dsp
    from cinemuse.analysis.song_features import ANALYSIS_SR, HOP

    frames = {
        "cinemuse": dsp.onset_frames(features.onset, sr=ANALYSIS_SR, hop_length=HOP),
        "cinemuse-flat": dsp.onset_frames(features.onset, sr=ANALYSIS_SR, hop_length=HOP, spread=0.0,
                                          min_rise=-np.inf),
    }
    out = {name: f * HOP / ANALYSIS_SR for name, f in frames.items()}
    out["librosa"] = librosa.onset.onset_detect(y=dsp.downmix(samples), sr=sr, units="time")
    return out


def arousal_read(features, *, flat_rate: float) -> dict[str, float]:
    """The arousal ``analyze`` reads, and what it would read with ``cinemuse-flat``'s onset rate."""
    from cinemuse.analysis.audio import _mood, profile_from_features

    p = profile_from_features(features)
    flat = _mood(tempo=p.tempo_bpm, mode=p.mode, key_conf=p.key_confidence, lufs=p.loudness_lufs,
                 brightness_hz=p.brightness_hz, onset_density=flat_rate, flatness=p.flatness)
    return {"arousal": round(p.arousal, 3), "arousal_flat": round(flat["arousal"], 3)}


def excerpts(args, work: Path):
    """(set, name, samples (n, ch), sample rate, written onsets or None, seconds)."""
    import pretty_midi
    import soundfile as sf

    import cinemuse
    from cinemuse.train import annotated_pieces as ap
    from cinemuse.train import annotated_renders as ar

    for s, style in enumerate(STYLES):
        for k in range(args.per_style):
            seed = args.seed + 10 * s + k
            wav, mid = work / f"{style}-{seed}.wav", work / f"{style}-{seed}.mid"
            for path in (wav, mid):
                cinemuse.compose(path, duration=args.seconds, style=style, seed=seed, force=True)
            samples, sr = sf.read(str(wav), dtype="float32", always_2d=True)
            written = written_onsets(pretty_midi.PrettyMIDI(str(mid)), args.seconds)
            yield "styles", f"{style}/{seed}", samples, sr, written, args.seconds
    data = data_dir(args.data_dir)
    pieces = [("pop909", row) for row in ap.pop909_pieces(data, args.pop909, args.seconds)]
    pieces += [("folk", row) for row in ap.folk_pieces(args.folk, args.seconds, cache=work)]
    for name, row in pieces:
        for font in ar.default_fonts():
            audio = ar.render(row["pm"], font=ar.font_path(font), mix=row["mix"], seconds=row["seconds"])
            written = written_onsets(row["pm"], row["seconds"])
            yield name, f"{row['piece']}@{font}", audio, ar.SR, written, row["seconds"]
    for k, kind in enumerate(SUSTAINED):
        rng = np.random.default_rng([args.seed, k])
        for v in range(2):
            yield "sustained", f"{kind}/{v}", beatless(kind, args.seconds, rng)[:, None], STEADY_SR, None, args.seconds


def main(argv=None) -> int:
    import mir_eval

    from cinemuse.analysis.song_features import extract_features

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-style", type=int, default=3, help="composed pieces per style")
    parser.add_argument("--pop909", type=int, default=10, help="POP909 test songs (each in both fonts)")
    parser.add_argument("--folk", type=int, default=8, help="folk test tunes (each in both fonts)")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=101)
    add_data_dir_argument(parser)
    args = parser.parse_args(argv)
    if min(args.per_style, args.pop909, args.folk, args.seed) < 0 or not args.seconds >= 5.0:
        parser.error("counts and --seed must not be negative and --seconds must be at least 5")

    scores: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    arousal: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="cinemuse-bench-onsets-") as tmp:
        for set_name, name, samples, sr, truth, seconds in excerpts(args, Path(tmp)):
            line = {"set": set_name, "excerpt": name}
            features = extract_features([samples], sr)
            for system, times in read_onsets(features, samples, sr).items():
                rate = len(times) / seconds
                if truth is None:
                    f_measure, written = float("nan"), 0.0
                else:
                    f_measure = float(mir_eval.onset.f_measure(truth, times, window=0.05)[0])
                    written = len(truth) / seconds
                scores.setdefault((set_name, system), []).append((f_measure, rate, written))
                line[system] = {"f": round(f_measure, 3), "per_s": round(rate, 2)}
            line["written_per_s"] = None if truth is None else round(len(truth) / seconds, 2)
            if set_name == "styles":
                line |= arousal_read(features, flat_rate=line["cinemuse-flat"]["per_s"])
                arousal.setdefault(name.split("/")[0], []).append((line["arousal"], line["arousal_flat"]))
            print(json.dumps(line), flush=True)
    for (set_name, system), rows in sorted(scores.items()):
        f, read, written = (np.asarray(c) for c in zip(*rows))
        summary = {"summary": set_name, "system": system, "excerpts": len(rows),
                   "read_per_s": round(float(read.mean()), 2)}
        if set_name != "sustained":
            summary |= {"onset_f": round(float(f.mean()), 3), "written_per_s": round(float(written.mean()), 2),
                        "mean_abs_log2_rate": round(float(np.mean(np.abs(np.log2((read + 0.1) / (written + 0.1))))), 3)}
        print(json.dumps(summary), flush=True)
    for style, pairs in sorted(arousal.items()):
        now, flat = np.mean(pairs, axis=0)
        print(json.dumps({"summary": "arousal", "style": style, "pieces": len(pairs), "arousal": round(float(now), 3),
                          "arousal_flat": round(float(flat), 3)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
