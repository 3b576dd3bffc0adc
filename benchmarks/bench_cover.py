"""Do covers look the way the songs sound? Mapping check, feature-space distances, speed.

1. Mapping check (Palmer et al. 2013; Whiteford et al. 2018): for each of ``--pairs``
   POP909 songs in a major key (ids 801.., a fixed slice, not hand-picked), the same
   excerpt is rendered twice with cinemuse's synthesiser: *fast major* (as written, at
   1.35x the written tempo) and *slow minor* (3rd, 6th and 7th degrees lowered to the
   parallel minor, at 0.7x the tempo).  Both are analysed and drawn with the same look and
   seed (looks cycle over the pairs).  Each rendering is tagged by the musicnn taggers as
   ``cinemuse cover`` does (``--no-tags``: untagged, as before the genre mapping), so its
   genre nudges the palette (see :mod:`cinemuse.vision.cover`).  Prediction: the fast-major cover is lighter (CIELAB
   L*), more saturated (C*ab) and yellower (b*) than the slow-minor one.  Reported: the share
   of pairs in the predicted direction and the mean differences.
2. Distances: covers of different songs vs variants (seeds) of the same song, in two
   feature spaces: the shared image encoder's embedding (cosine distance) and a colour
   histogram (8x8x8 RGB, L1 distance).
3. Time: a 4-minute song: decode + analysis + one 3000x3000 cover drawn and saved as PNG.
   Wall and CPU seconds are reported together with the machine's load average, since the
   machine may be shared.

Covers for (1) and (2) are drawn natively at 1000x1000 to keep the benchmark short (the
colours and composition do not depend on the size).  One JSON line per pair, then
summaries.  Run from the repo root:

    .venv/bin/python benchmarks/bench_cover.py [--pairs 20] [--seconds 30]
    .venv/bin/python benchmarks/bench_cover.py --timing-only     (not under nice: wall time)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from datadir import add_data_dir_argument, data_dir

POP909 = Path("music/pop909")  # under the data folder; main() makes it absolute (--data-dir)
SR = 44100
NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
FLAT = {"Db": 1, "Gb": 6, "Cb": 11, "Fb": 4, "Ab": 8, "Bb": 10, "Eb": 3}


def _tonic(name: str) -> int:
    return FLAT.get(name, NAMES.index(name) if name in NAMES else 0)


def major_songs(n: int):
    """(song id, tonic) for POP909 songs with one annotated major key, ids from 801 up."""
    out: list[tuple[int, int]] = []
    for song in range(801, 910):
        if len(out) >= n:
            break
        d = POP909 / f"{song:03d}"
        if not d.is_dir():
            continue
        lines = (d / "key_audio.txt").read_text().strip().splitlines()
        if len(lines) == 1 and lines[0].split()[2].endswith(":maj"):
            out.append((song, _tonic(lines[0].split()[2].split(":")[0])))
    return out


def excerpt(song: int, *, seconds: float, tempo_factor: float, minor_tonic: int | None):
    """The song's first ``seconds`` (written time) as PrettyMIDI, time-scaled, maybe minor."""
    import pretty_midi

    src = pretty_midi.PrettyMIDI(str(POP909 / f"{song:03d}" / f"{song:03d}.mid"))
    start = min((n.start for i in src.instruments for n in i.notes), default=0.0)
    pm = pretty_midi.PrettyMIDI()
    programs = {"MELODY": 73, "BRIDGE": 0, "PIANO": 0}
    for inst in src.instruments:
        new = pretty_midi.Instrument(program=programs.get(inst.name.upper(), 0), name=inst.name)
        for nt in inst.notes:
            if nt.start - start >= seconds:
                continue
            pitch = nt.pitch
            if minor_tonic is not None and (pitch - minor_tonic) % 12 in (4, 9, 11):
                pitch -= 1  # major 3rd, 6th, 7th -> minor
            s = (nt.start - start) / tempo_factor
            e = (min(nt.end, start + seconds + 0.5) - start) / tempo_factor
            new.notes.append(pretty_midi.Note(nt.velocity, pitch, s, max(e, s + 0.05)))
        pm.instruments.append(new)
    return pm


def lab_stats(rgb: np.ndarray) -> dict:
    """Mean CIELAB lightness L*, chroma C*ab and yellowness b* of an image."""
    from cinemuse.vision.color import rgb_to_lab

    lab = rgb_to_lab(rgb[::4, ::4]).reshape(-1, 3)
    return {"L": float(lab[:, 0].mean()), "C": float(np.hypot(lab[:, 1], lab[:, 2]).mean()),
            "b": float(lab[:, 2].mean())}


def colour_hist(rgb: np.ndarray) -> np.ndarray:
    q = (rgb[::4, ::4] // 32).reshape(-1, 3).astype(np.int64)
    h = np.bincount(q[:, 0] * 64 + q[:, 1] * 8 + q[:, 2], minlength=512).astype(np.float64)
    return h / h.sum()


def distance_check(profiles, looks) -> None:
    """Covers of different songs vs variants (seeds) of the same song, per look."""
    from cinemuse.vision.cover import draw_cover

    songs = profiles[:8]
    enc = None
    try:
        from cinemuse.vision.encoder import ImageEncoder

        enc = ImageEncoder.load()
    except Exception as exc:  # the encoder is optional for this figure; say so
        print(json.dumps({"note": f"image encoder unavailable: {type(exc).__name__}: {exc}"}))
    seeds = (0, 1, 2)
    within = {"embed": [], "hist": []}
    between = {"embed": [], "hist": []}
    for look in looks:
        feats = {}
        for si, (song, profile) in enumerate(songs):
            for seed in seeds:
                img = draw_cover(profile, look=look, seed=seed, width=448, height=448).image
                e = enc.embed(img) if enc is not None else None
                feats[(si, seed)] = (e / (np.linalg.norm(e) + 1e-9) if e is not None else None,
                                     colour_hist(img))
        keys = list(feats)
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                same_song = a[0] == b[0]
                same_seed = a[1] == b[1]
                if not same_song and not same_seed:
                    continue  # compare only one factor at a time
                bucket = within if same_song else between
                ea, ha = feats[a]
                eb, hb = feats[b]
                if ea is not None:
                    bucket["embed"].append(1.0 - float(ea @ eb))
                bucket["hist"].append(float(np.abs(ha - hb).sum()))
    dist = {"summary": "feature distances: different songs vs variants of the same song",
            "songs": len(songs), "seeds": len(seeds), "looks": len(looks)}
    for space in ("embed", "hist"):
        if within[space] and between[space]:
            dist[f"{space}_between_songs"] = round(float(np.mean(between[space])), 4)
            dist[f"{space}_within_song_variants"] = round(float(np.mean(within[space])), 4)
            dist[f"{space}_songs_farther"] = bool(np.mean(between[space]) > np.mean(within[space]))
    print(json.dumps(dist), flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--no-tags", action="store_true", help="covers without the genre mapping")
    parser.add_argument("--timing-only", action="store_true",
                        help="only the 4-minute timing (run it without nice: it measures wall time)")
    add_data_dir_argument(parser)
    args = parser.parse_args(argv)
    global POP909
    POP909 = data_dir(args.data_dir) / "music" / "pop909"
    if args.timing_only:
        args.pairs = 0

    from cinemuse.analysis.audio import analyze_song
    from cinemuse.analysis.tags import tag_song
    from cinemuse.music.render import render_midi
    from cinemuse.vision.cover import draw_cover
    from cinemuse.vision.cover_looks import LOOKS

    looks = list(LOOKS)
    pair_rows = []
    profiles = []  # (song, profile) of the fast-major renders, for the distance check
    for k, (song, tonic) in enumerate(major_songs(args.pairs)):
        look = looks[k % len(looks)]
        row = {"song": f"pop909/{song:03d}", "look": look}
        stats = {}
        for name, factor, minor in (("fast_major", 1.35, None), ("slow_minor", 0.7, tonic)):
            pm = excerpt(song, seconds=args.seconds, tempo_factor=factor, minor_tonic=minor)
            audio = render_midi(pm, sample_rate=SR, style="piano")
            profile = analyze_song(audio, SR)
            if not args.no_tags:
                profile.tags = tag_song(audio, SR)
            cover = draw_cover(profile, look=look, seed=k, width=args.size, height=args.size)
            stats[name] = lab_stats(cover.image)
            row[name] = {"key": profile.key, "tempo_bpm": round(profile.tempo_bpm, 1), "genre": cover.genre,
                         "valence": round(profile.valence, 3),
                         "arousal": round(profile.arousal, 3),
                         **{s: round(v, 2) for s, v in stats[name].items()}}
            if name == "fast_major":
                profiles.append((song, profile))
        for s in ("L", "C", "b"):
            row[f"d{s}"] = round(stats["fast_major"][s] - stats["slow_minor"][s], 2)
        pair_rows.append(row)
        print(json.dumps(row), flush=True)

    n = len(pair_rows)
    summary = {"summary": "mapping check: fast major vs slow minor", "pairs": n, "tagged": not args.no_tags}
    for s, name in (("L", "lighter"), ("C", "more_saturated"), ("b", "yellower")):
        d = np.array([r[f"d{s}"] for r in pair_rows])
        summary[f"share_{name}"] = round(float(np.mean(d > 0)), 3) if n else None
        summary[f"mean_d{s}"] = round(float(d.mean()), 2) if n else None
    if n:
        print(json.dumps(summary), flush=True)

    # --- distances: different songs vs variants of one song, per look
    if profiles:
        distance_check(profiles, looks)

    # --- time: a 4-minute song, decode + analysis + one 3000x3000 cover saved as PNG
    if not args.skip_timing:
        import soundfile as sf

        from cinemuse.io.audio import read_audio
        from cinemuse.vision.cover import save_image

        song, _ = major_songs(1)[0]
        pm = excerpt(song, seconds=240.0, tempo_factor=1.0, minor_tonic=None)
        audio = render_midi(pm, sample_rate=SR, style="pop")
        if len(audio) < 240 * SR:  # a shorter song is repeated to make four minutes
            audio = np.tile(audio, (int(np.ceil(240 * SR / len(audio))), 1))
        audio = audio[: int(240 * SR)]
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "song.wav"
            sf.write(wav, audio, SR)
            load_before = os.getloadavg()[0]
            t0, c0 = time.perf_counter(), time.process_time()
            samples = read_audio(wav, sample_rate=SR)
            profile = analyze_song(samples, SR)
            t1, c1 = time.perf_counter(), time.process_time()
            cover = draw_cover(profile, seed=0, title="Four Minutes", artist="cinemuse")
            save_image(Path(tmp) / "cover.png", cover.image)
            t2, c2 = time.perf_counter(), time.process_time()
        print(json.dumps({
            "summary": "time: 4-minute song, analysis + one 3000x3000 cover",
            "audio_seconds": round(len(audio) / SR, 1),
            "wall_analysis_s": round(t1 - t0, 2), "wall_cover_s": round(t2 - t1, 2),
            "wall_total_s": round(t2 - t0, 2), "cpu_total_s": round((c2 - c0), 2),
            "look": cover.look, "target_s": 10.0, "met": (t2 - t0) <= 10.0,
            "load_average_1min": round(load_before, 2), "cpu_count": os.cpu_count(),
        }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
