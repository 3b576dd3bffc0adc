"""Composer figures per style and length: exactness, loudness, true peak, loops, stems, speed.

For each style and each duration (default 5 s, 60 s, 300 s) one piece is composed and
rendered with the shipped models, and one JSON line is printed with
  * duration_error_ms: |rendered length - requested| (target <= 10 ms),
  * lufs: integrated loudness by pyloudnorm (target -14 +- 0.5),
  * true_peak_dbtp: 4x oversampled with scipy's polyphase resampler (target <= -1),
  * stems_sum_error_db: energy of (mix - sum of stems) relative to the mix (target <= -40),
  * wall_s / cpu_s and audio_x_realtime (audio seconds per wall second; target >= 20,
    i.e. 60 s composed and rendered in <= 3 s) — the machine may be shared, so the
    process CPU time is reported too,
and, for a looped version (loop=True) of the 60 s piece:
  * seam_jump: largest sample step across the loop seam (end -> start), against
  * p99_step: the 99th percentile of the track's own sample-to-sample steps (seam_ok if <=).

``--plots DIR`` also writes a piano roll and a spectrogram PNG per style (60 s piece).

``--pieces N`` instead composes N pieces as MIDI only (styles, named moods, seeds and lengths
of 20-120 s cycled deterministically) and prints one JSON line with the share of empty melody
bars and of strong-beat chord tones over all of them (the acceptance asks for no empty bars),
and a second with the MGEval-style statistics of an 8-bar excerpt of each piece's melody
(transposed to C major / A minor like the corpus) against 100 held-out corpus tunes, computed
with ``bench_melody``'s functions (it needs the parsed corpus, as bench_melody does).

Run: .venv/bin/python benchmarks/bench_compose.py [--styles pop,lofi] [--durations 5,60] [--plots DIR]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from cinemuse.cuesheet import CueSheet, Hit
from cinemuse.music.compose import compose
from cinemuse.music.mix import integrated_loudness, true_peak_db
from cinemuse.music.styles import STYLES

SR = 44100


def stems_error_db(piece) -> float:
    residual = piece.audio.astype(np.float64) - sum(s.astype(np.float64) for s in piece.stems.values())
    return float(10 * np.log10(np.sum(residual**2) / np.sum(piece.audio.astype(np.float64) ** 2) + 1e-30))


def melody_figures(piece) -> dict:
    """Strong-beat chord tones and empty bars of the melody (between its first and last note)."""
    beat = 60.0 / piece.tempo
    bar = beat * piece.meter
    strong = hits = 0
    for pitch, start, _end in piece.melody:
        pos = (start - piece.first_downbeat) / beat
        if abs(pos - round(pos)) < 1e-3 and round(pos) % 2 == 0:  # beats 1 and 3
            strong += 1
            for a, b, pcs in piece.chord_tones:
                if a - 1e-6 <= start < b:
                    hits += int(pitch % 12 in pcs)
                    break
    empty = 0
    if piece.melody:
        first = min(n[1] for n in piece.melody)
        last = max(n[2] for n in piece.melody)
        k = int(np.floor((first - piece.first_downbeat) / bar + 1e-6))
        while piece.first_downbeat + (k + 1) * bar <= last + 1e-6:
            a, b = piece.first_downbeat + k * bar, piece.first_downbeat + (k + 1) * bar
            empty += not any(s < b and e > a for _, s, e in piece.melody)
            k += 1
    return {"strong_beat_chord_tones": round(hits / max(strong, 1), 3), "empty_melody_bars": empty}


def seam_figures(audio: np.ndarray) -> dict:
    a = audio.astype(np.float64)
    steps = np.abs(np.diff(a, axis=0)).max(axis=1)
    seam = float(np.abs(a[0] - a[-1]).max())
    p99 = float(np.percentile(steps, 99))
    return {"seam_jump": round(seam, 5), "p99_step": round(p99, 5), "seam_ok": seam <= p99}


def plot_piece(piece, path: Path) -> None:
    """Piano roll (one colour per part, chords and sections marked) over a spectrogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(16, 9), sharex=True,
                                   gridspec_kw={"height_ratios": [3, 2]})
    colours = {"melody": "crimson", "chords": "royalblue", "pad": "lightsteelblue", "bass": "darkgreen",
               "drums": "grey", "hits": "orange"}
    for inst in piece.midi.instruments:
        c = colours.get(inst.name, "black")
        for n in inst.notes:
            y = n.pitch if not inst.is_drum else 20 + (n.pitch - 35) * 0.5
            ax1.plot([n.start, n.end], [y, y], color=c, lw=2 if inst.name == "melody" else 1.2,
                     alpha=0.9, solid_capstyle="butt")
    for s in piece.sections:
        ax1.axvline(s.start, color="k", lw=0.8, ls="--")
        ax1.text(s.start + 0.1, 108, s.label, fontsize=9)
    for start, _end, symbol in piece.chords:
        ax1.text(start, 101, symbol, fontsize=6, rotation=90, color="navy")
    for t in piece.hit_times:
        ax1.axvline(t, color="orange", lw=1.5)
    ax1.set_ylim(15, 114)
    ax1.set_ylabel("MIDI pitch (drums below 40)")
    ax1.set_title(f"{piece.style}: {piece.key}, {piece.tempo:.1f} bpm, {piece.duration:.1f} s")
    mono = piece.audio.mean(axis=1)
    ax2.specgram(mono, NFFT=2048, Fs=SR, noverlap=1024, cmap="magma", vmin=-120)
    ax2.set_ylim(0, 8000)
    ax2.set_xlabel("seconds")
    ax2.set_ylabel("Hz")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def many_pieces(model, n: int, *, seed: int) -> None:
    """Melody figures summed over ``n`` MIDI-only pieces of varied style, mood, seed and length."""
    from cinemuse.cuesheet import MOODS, Mood, Section

    styles, moods = list(STYLES), list(MOODS)
    bars = empty = pieces_with_empty = 0
    strong_tone_shares = []
    excerpts = []
    for i in range(n):
        duration = 20.0 + (i * 37) % 101
        mood = Mood.named(moods[i % len(moods)])
        cue = CueSheet(
            duration=duration,
            sections=[Section(0.0, duration, mood=mood)],
            style=styles[i % len(styles)],
            seed=seed + i,
        )
        piece = compose(cue, melody_model=model, render=False)
        figures = melody_figures(piece)
        bar = 60.0 / piece.tempo * piece.meter
        if piece.melody:
            span = max(e for _, _, e in piece.melody) - min(s for _, s, _ in piece.melody)
            bars += int(np.ceil(span / bar - 1e-6))
        empty += figures["empty_melody_bars"]
        pieces_with_empty += figures["empty_melody_bars"] > 0
        strong_tone_shares.append(figures["strong_beat_chord_tones"])
        excerpt = melody_excerpt(piece, bars=8)
        if excerpt is not None:
            excerpts.append(excerpt)
    print(
        json.dumps(
            {
                "benchmark": "compose_melody_many",
                "pieces": n,
                "melody_bars": bars,
                "empty_melody_bars": empty,
                "pieces_with_an_empty_bar": pieces_with_empty,
                "mean_strong_beat_chord_tones": round(float(np.mean(strong_tone_shares)), 3),
            }
        ),
        flush=True,
    )
    print(json.dumps(composed_melody_statistics(excerpts, seed=seed)), flush=True)


def melody_excerpt(piece, *, bars: int) -> np.ndarray | None:
    """(pitch, start, duration) in 16th steps of ``bars`` bars of the melody, from its second
    bar line (past any pick-up), transposed so the tonic is C (major) or A (minor)."""
    from cinemuse.music.theory import parse_key

    if piece.meter != 4 or not piece.melody:
        return None
    tonic, mode = parse_key(piece.key)
    shift = -tonic + (9 if mode == "minor" else 0)
    step = 60.0 / piece.tempo / 4
    notes = []
    for pitch, start, end in piece.melody:
        s = int(round((start - piece.first_downbeat) / step))
        d = max(1, int(round((end - start) / step)))
        notes.append((pitch + shift, s, d))
    notes = np.array(sorted(notes, key=lambda n: n[1]), dtype=np.int64)
    first_bar = int(np.ceil(notes[0, 1] / 16))
    lo, hi = (first_bar + 1) * 16, (first_bar + 1 + bars) * 16
    if (notes[:, 1] + notes[:, 2]).max() < hi:  # the melody ends inside the window (a short piece)
        return None
    ends = notes[:, 1] + notes[:, 2]
    sel = notes[(ends > lo) & (notes[:, 1] < hi)].copy()  # held-over notes count, trimmed
    if len(sel) < 4:
        return None
    held = sel[:, 1] < lo
    sel[held, 2] -= lo - sel[held, 1]
    sel[held, 1] = lo
    sel[:, 1] -= lo
    sel[:, 2] = np.minimum(sel[:, 2], hi - lo - sel[:, 1])
    # fold into the corpus's pitch range by octaves, as the corpus itself was
    sel[:, 0] = np.where(sel[:, 0] < 48, sel[:, 0] + 12 * ((48 - sel[:, 0] + 11) // 12), sel[:, 0])
    sel[:, 0] = np.where(sel[:, 0] > 84, sel[:, 0] - 12 * ((sel[:, 0] - 84 + 11) // 12), sel[:, 0])
    return sel


def composed_melody_statistics(excerpts: list[np.ndarray], *, seed: int) -> dict:
    """MGEval overlaps, scale consistency and empty bars of composed melodies vs held-out tunes."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    import bench_melody
    from cinemuse.train import corpus as corpus_mod

    splits = corpus_mod.split_tunes(corpus_mod.corpus())
    real = bench_melody.heldout_excerpts(splits["test"], 100, 8, np.random.default_rng(seed + 1))
    real_feats = [bench_melody.features(m) for m in real]
    return {
        "benchmark": "compose_melody_mgeval",
        "composed_excerpts": len(excerpts),
        "bars": 8,
        "composed": bench_melody.melody_set_stats(excerpts, real_feats, 8),
        "heldout": bench_melody.melody_set_stats(real, real_feats, 8),
        "target": "overlap >= 0.7 each, scale consistency >= 0.95, no empty bars",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", default=",".join(STYLES))
    parser.add_argument("--durations", default="5,60,300")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plots", type=Path, default=None)
    parser.add_argument("--pieces", type=int, default=0, help="MIDI-only melody check over N pieces")
    args = parser.parse_args()
    from cinemuse.music.melody_model import MelodyModel

    model = MelodyModel.load()
    if args.pieces:
        many_pieces(model, args.pieces, seed=args.seed)
        return
    compose(CueSheet(duration=5.0, style="pop"), melody_model=model)  # load soundfont and models once
    for style in args.styles.split(","):
        for duration in (float(d) for d in args.durations.split(",")):
            hits = [Hit(duration * 0.37), Hit(duration * 0.71)]
            cue = CueSheet(duration=duration, style=style, seed=args.seed, hits=hits)
            t0, c0 = time.perf_counter(), time.process_time()
            piece = compose(cue, melody_model=model)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            row = {
                "benchmark": "compose",
                "style": style,
                "duration_s": duration,
                "tempo": round(piece.tempo, 2),
                "key": piece.key,
                "form": " ".join(s.label for s in piece.sections),
                "duration_error_ms": round(abs(len(piece.audio) / SR - duration) * 1000, 3),
                "lufs": round(integrated_loudness(piece.audio, sample_rate=SR), 2),
                "true_peak_dbtp": round(true_peak_db(piece.audio, exact=True), 2),
                "stems_sum_error_db": round(stems_error_db(piece), 1),
                **melody_figures(piece),
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
                "audio_x_realtime": round(duration / wall, 1),
                "audio_x_cpu": round(duration / cpu, 1),
            }
            if duration == 60.0:
                loop_cue = CueSheet(duration=duration, style=style, seed=args.seed, loop=True)
                looped = compose(loop_cue, melody_model=model)
                row.update({f"loop_{k}": v for k, v in seam_figures(looped.audio).items()})
                row["loop_lufs"] = round(integrated_loudness(looped.audio, sample_rate=SR), 2)
                row["loop_true_peak_dbtp"] = round(true_peak_db(looped.audio, exact=True), 2)
                if args.plots:
                    args.plots.mkdir(parents=True, exist_ok=True)
                    plot_piece(piece, args.plots / f"compose_{style}.png")
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
