"""The ``score`` job: a video in, the same video with an original soundtrack that follows it.

    analysis (one streaming pass)  ->  shot latents  ->  CueSheet  ->  compose + render
        ->  duck under the original sound  ->  remux (video packets copied bit for bit)

:func:`score_video` does one file, :func:`score_folder` a folder of them (bad files are
reported at the end, the batch goes on). Every output is checked before any work starts and
written atomically.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cinemuse.cuesheet import CueSheet, Mood
from cinemuse.errors import BadInputError, CinemuseError, UsageError
from cinemuse.progress import SILENT, Progress

SAMPLE_RATE = 44100
DEFAULT_DUCK_DB = 10.0
MIN_MUSIC_SECONDS = 1.0  # the composer's shortest piece; shorter clips get it trimmed
VIDEO_EXTENSIONS = (
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mts", ".m2ts", ".ts", ".3gp", ".wmv",
    ".flv", ".mpg", ".mpeg", ".ogv",
)


@dataclass
class ScoreOptions:
    """What the user can steer (``cinemuse score --help`` documents each)."""

    style: str | None = None
    mood: Mood | None = None
    tempo: float | None = None
    seed: int = 0
    intensity: float = 1.0
    duck_db: float = DEFAULT_DUCK_DB
    replace_audio: bool = False
    audio_out: Path | None = None
    midi_out: Path | None = None
    stems_dir: Path | None = None
    cue_sheet: Path | None = None
    force: bool = False
    timings: dict[str, float] = field(default_factory=dict)


def parse_mood(text: str | None) -> Mood | None:
    """``"happy"`` (a named mood) or ``"0.5,-0.2"`` (valence,arousal) -> Mood; None stays None."""
    if text is None:
        return None
    try:
        if "," in text:
            v, a = (float(x) for x in text.split(","))
            return Mood(v, a)
        return Mood.named(text)
    except ValueError as exc:
        raise UsageError(f"--mood: {exc}") from None


# ----------------------------------------------------------------------------- pieces


def shot_latents_for(analysis, spans, *, progress: Progress = SILENT) -> np.ndarray | None:
    """Melody latents per span, or None (with a note) when the melody model is not installed."""
    try:
        from cinemuse.music.melody_model import MelodyModel

        latent_dim = int(MelodyModel.load().latent_dim)
    except (ImportError, CinemuseError, OSError) as exc:
        progress.log(f"melody model unavailable ({exc}); sections get no shot latents")
        return None
    from cinemuse.analysis.shots import shot_latents

    latents, _ = shot_latents(analysis, spans, latent_dim=latent_dim)
    return latents


def duck_music(
    music: np.ndarray, original: np.ndarray, sample_rate: int, *, duck_db: float
) -> np.ndarray:
    """Mix ``original`` (the video's own sound) under ``music``, lowering the music by
    ``duck_db`` wherever the original is active (speech, effects), so it stays intelligible.

    A side-chain: the original's RMS in 50 ms blocks (active when 10 dB above its own quiet
    level, or above -30 dBFS) drives a gain that falls within one block and recovers in ~400 ms.

    Parameters
    ----------
    music, original : ndarray, shape (n, ch) float32
    Returns
    -------
    ndarray, shape (len(music), ch) float32
    """
    n, ch = music.shape
    orig = np.zeros((n, ch), np.float32)
    src = original if original.shape[1] == ch else np.repeat(original.mean(1, keepdims=True), ch, 1)
    m = min(n, len(src))
    orig[:m] = src[:m]
    block = max(1, int(0.05 * sample_rate))
    nb = math.ceil(n / block)
    padded = np.zeros((nb * block,), np.float32)
    padded[:n] = orig.mean(1)
    rms = np.sqrt(np.mean(padded.reshape(nb, block) ** 2, axis=1) + 1e-12)
    db = 20 * np.log10(rms)
    # active: clearly above the track's own noise floor, and anything louder than -30 dBFS
    # (so continuous speech or music ducks too, while a faint hum does not)
    floor = max(-60.0, float(np.percentile(db, 20)))
    active = db > max(-45.0, min(floor + 10.0, -30.0))
    target = np.where(active, -abs(duck_db), 0.0)
    gain_db = np.zeros(nb)
    g = 0.0
    down, up = 1.0, 0.05 / 0.4  # per-block smoothing toward the target: fast attack, slow release
    for i, tgt in enumerate(target):
        g += (tgt - g) * (down if tgt < g else up)
        gain_db[i] = g
    gain = 10 ** (np.repeat(gain_db, block)[:n] / 20)
    return (music * gain[:, None].astype(np.float32) + orig).astype(np.float32)


def fit_length(audio: np.ndarray, n_samples: int) -> np.ndarray:
    """Trim or zero-pad (n, ch) audio to exactly ``n_samples``."""
    if len(audio) >= n_samples:
        return audio[:n_samples]
    pad = np.zeros((n_samples - len(audio), audio.shape[1]), audio.dtype)
    return np.concatenate([audio, pad])


def timecode(seconds: float) -> str:
    h, rem = divmod(max(seconds, 0.0), 3600)
    m, s = divmod(rem, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"


def cue_sheet_record(video: Path, cue: CueSheet, analysis) -> dict[str, Any]:
    """Everything an editor needs: sections, tempo, every cut (seconds and frame), every hit."""
    return {
        "video": str(video),
        "duration": cue.duration,
        "frames": analysis.n_frames,
        "tempo": cue.tempo,
        "meter": cue.meter,
        "first_downbeat": cue.first_downbeat,
        "sections": [
            {"index": i, "start": s.start, "end": s.end, "valence": s.mood.valence,
             "arousal": s.mood.arousal, "energy": s.energy, "label": s.label}
            for i, s in enumerate(cue.sections)
        ],
        "cuts": [
            {"time": c.time, "frame": c.frame, "timecode": timecode(c.time), "strength": c.strength}
            for c in analysis.cuts
        ],
        "transitions": [
            {"start": t.start, "end": t.end, "start_frame": t.start_frame, "end_frame": t.end_frame,
             "kind": t.kind}
            for t in analysis.transitions
        ],
        "hits": [
            {"time": h.time, "frame": h.frame, "timecode": timecode(h.time), "kind": h.kind,
             "strength": h.strength}
            for h in cue.hits
        ],
    }


def cue_sheet_csv(record: dict[str, Any]) -> str:
    """The cue sheet as CSV rows: one per tempo, section, cut, transition and hit."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["type", "time_s", "frame", "timecode", "end_s", "kind", "value"])
    w.writerow(["tempo", f"{record['first_downbeat']:.6f}", "", timecode(record["first_downbeat"]),
                "", f"{record['meter']}/4", f"{record['tempo']:.4f}"])
    for s in record["sections"]:
        w.writerow(["section", f"{s['start']:.6f}", "", timecode(s["start"]), f"{s['end']:.6f}",
                    f"valence={s['valence']:.2f} arousal={s['arousal']:.2f}", f"{s['energy']:.3f}"])
    for c in record["cuts"]:
        w.writerow(["cut", f"{c['time']:.6f}", c["frame"], c["timecode"], "", "hard", f"{c['strength']:.3f}"])
    for t in record["transitions"]:
        w.writerow(["transition", f"{t['start']:.6f}", t["start_frame"], timecode(t["start"]),
                    f"{t['end']:.6f}", t["kind"], ""])
    for h in record["hits"]:
        w.writerow(["hit", f"{h['time']:.6f}", "" if h["frame"] is None else h["frame"], h["timecode"],
                    "", h["kind"], f"{h['strength']:.2f}"])
    return buf.getvalue()


def cue_sheet_paths(path: Path) -> tuple[Path, Path]:
    """``--cue-sheet X`` writes X.json and X.csv (whatever X's own extension was)."""
    base = path.with_suffix("") if path.suffix.lower() in (".json", ".csv") else path
    return base.with_name(base.name + ".json"), base.with_name(base.name + ".csv")


# ----------------------------------------------------------------------------- one video


def check_outputs(out: Path, opts: ScoreOptions) -> None:
    """Fail before any work if an output cannot be written."""
    from cinemuse.io.atomic import check_output_path

    check_output_path(out, force=opts.force)
    for p in (opts.audio_out, opts.midi_out):
        if p is not None:
            check_output_path(p, force=opts.force)
    if opts.cue_sheet is not None:
        for p in cue_sheet_paths(opts.cue_sheet):
            check_output_path(p, force=opts.force)
    if opts.stems_dir is not None:
        d = opts.stems_dir
        if d.exists() and not d.is_dir():
            raise BadInputError(d, "exists and is not a folder")
        if d.is_dir() and any(d.iterdir()) and not opts.force:
            raise BadInputError(d, "folder is not empty (use --force to replace it)")


def score_video(
    video: str | os.PathLike,
    out: str | os.PathLike,
    opts: ScoreOptions | None = None,
    *,
    progress: Progress = SILENT,
) -> dict[str, Any]:
    """Score one video; returns a summary dict (paths, tempo, counts, timings)."""
    from cinemuse.analysis.video import analyze_video
    from cinemuse.io.atomic import atomic_output, atomic_output_dir, check_input_file
    from cinemuse.io.video import probe_video, replace_audio
    from cinemuse.pipelines.cueplan import plan_cues, section_spans

    opts = opts or ScoreOptions()
    video, out = Path(video), Path(out)
    check_input_file(video)
    info = probe_video(video)
    check_outputs(out, opts)
    if out.suffix.lower() not in (".mp4", ".mov", ".m4v", ".mkv"):
        raise UsageError(f"{out}: output must be .mp4, .mov, .m4v or .mkv")
    timings = opts.timings
    t0 = time.perf_counter()
    analysis = analyze_video(video, progress=progress)
    timings["analysis"] = time.perf_counter() - t0

    duration = info.duration if info.duration and info.duration > 0 else analysis.duration
    # the analysis clock starts at the first frame, like the muxer's: keep them identical.
    # A clip shorter than the composer's minimum gets that minimum, trimmed (with a fade) below.
    analysis.duration = max(float(duration), MIN_MUSIC_SECONDS)
    t0 = time.perf_counter()
    spans = section_spans([b[0] for b in analysis.boundaries()], analysis.duration)
    latents = shot_latents_for(analysis, spans, progress=progress)
    timings["shots"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    cue = plan_cues(
        analysis, latents=latents, spans=spans, mood=opts.mood, tempo=opts.tempo,
        style=opts.style, intensity=opts.intensity, seed=opts.seed,
    )
    timings["plan"] = time.perf_counter() - t0

    from cinemuse.music.compose import compose

    t0 = time.perf_counter()
    piece = compose(cue, progress=progress)
    timings["compose"] = time.perf_counter() - t0
    n_samples = int(round(duration * SAMPLE_RATE))
    music = fit_length(np.asarray(piece.audio, np.float32), n_samples)
    if analysis.duration > duration:  # a very short clip: fade out what was cut off
        n_fade = min(n_samples, int(0.05 * SAMPLE_RATE))
        music[n_samples - n_fade :] *= np.linspace(1.0, 0.0, n_fade, dtype=np.float32)[:, None]

    t0 = time.perf_counter()
    soundtrack = music
    if not opts.replace_audio and info.has_audio:
        from cinemuse.io.audio import read_audio

        try:
            original = read_audio(video, sample_rate=SAMPLE_RATE, mono=False)
        except CinemuseError:
            original = None  # an undecodable audio track: the music alone
        if original is not None and len(original):
            soundtrack = duck_music(music, original, SAMPLE_RATE, duck_db=opts.duck_db)
            peak = float(np.max(np.abs(soundtrack))) if soundtrack.size else 0.0
            if peak > 0.99:  # the sum may clip: bring it down as a whole
                soundtrack = soundtrack * np.float32(0.99 / peak)
    replace_audio(video, soundtrack, SAMPLE_RATE, out, mix_original_db=None, force=opts.force,
                  progress=progress)
    timings["mux"] = time.perf_counter() - t0

    written = {"video": str(out)}
    if opts.audio_out is not None:
        from cinemuse.io.audio import write_audio

        write_audio(opts.audio_out, soundtrack, SAMPLE_RATE, force=opts.force)
        written["audio"] = str(opts.audio_out)
    if opts.midi_out is not None:
        with atomic_output(opts.midi_out, force=opts.force) as tmp:
            piece.midi.write(str(tmp))
        written["midi"] = str(opts.midi_out)
    if opts.stems_dir is not None:
        import soundfile as sf

        with atomic_output_dir(opts.stems_dir, force=opts.force) as tmp_dir:
            for name, stem in piece.stems.items():
                safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(name))
                samples = np.clip(fit_length(np.asarray(stem, np.float32), n_samples), -1.0, 1.0)
                sf.write(str(tmp_dir / f"{safe}.wav"), samples, SAMPLE_RATE, subtype="PCM_16")
        written["stems"] = str(opts.stems_dir)
    if opts.cue_sheet is not None:
        record = cue_sheet_record(video, cue, analysis)
        jpath, cpath = cue_sheet_paths(opts.cue_sheet)
        with atomic_output(jpath, force=opts.force) as tmp:
            tmp.write_text(json.dumps(record, indent=2))
        with atomic_output(cpath, force=opts.force) as tmp:
            tmp.write_text(cue_sheet_csv(record))
        written["cue_sheet"] = [str(jpath), str(cpath)]

    return {
        "input": str(video),
        "output": str(out),
        "written": written,
        "duration": round(float(duration), 3),
        "tempo": round(float(cue.tempo), 2),
        "key": getattr(piece, "key", None),
        "sections": len(cue.sections),
        "cuts": len(analysis.cuts),
        "transitions": len(analysis.transitions),
        "hits": len(cue.hits),
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }


# ----------------------------------------------------------------------------- a folder


def list_videos(folder: Path) -> list[Path]:
    """Video files (by extension) directly inside ``folder``, sorted by name."""
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in VIDEO_EXTENSIONS
    )


def score_folder(
    folder: str | os.PathLike,
    out_dir: str | os.PathLike,
    opts: ScoreOptions | None = None,
    *,
    progress: Progress = SILENT,
) -> dict[str, Any]:
    """Score every video in ``folder`` into ``out_dir`` (same names, ``.mp4``).

    One progress bar for the batch; a file that fails is recorded and the batch goes on.
    Per-file extras (``--audio-out`` etc.) become folders of per-video files.
    """
    opts = opts or ScoreOptions()
    folder, out_dir = Path(folder), Path(out_dir)
    videos = list_videos(folder)
    if not videos:
        raise BadInputError(folder, "contains no video files")
    if out_dir.exists() and not out_dir.is_dir():
        raise BadInputError(out_dir, "exists and is not a folder (a folder input needs an output folder)")
    out_dir.mkdir(parents=True, exist_ok=True)
    done, failed = [], []
    with progress.stage(f"Scoring {len(videos)} videos", total=len(videos)) as stage:
        for v in videos:
            per = ScoreOptions(**{**opts.__dict__, "timings": {}})
            for attr, ext in (("audio_out", ".wav"), ("midi_out", ".mid")):
                base = getattr(opts, attr)
                if base is not None:
                    setattr(per, attr, Path(base) / (v.stem + ext))
            if opts.stems_dir is not None:
                per.stems_dir = Path(opts.stems_dir) / v.stem
            if opts.cue_sheet is not None:
                per.cue_sheet = Path(opts.cue_sheet) / v.stem
            for attr in ("audio_out", "midi_out", "cue_sheet"):
                p = getattr(per, attr)
                if p is not None:
                    p.parent.mkdir(parents=True, exist_ok=True)
            if per.stems_dir is not None:
                per.stems_dir.parent.mkdir(parents=True, exist_ok=True)
            try:
                done.append(score_video(v, out_dir / (v.stem + ".mp4"), per, progress=SILENT))
            except CinemuseError as exc:
                failed.append({"input": str(v), "error": str(exc)})
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
                failed.append({"input": str(v), "error": f"internal error: {type(exc).__name__}: {exc}"})
            stage.advance()
    return {"input": str(folder), "output": str(out_dir), "scored": done, "failed": failed}
