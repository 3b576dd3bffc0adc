"""The ``score`` job: a video in, the same video with an original soundtrack that follows it.

    analysis (one streaming pass)  ->  shot latents  ->  CueSheet  ->  compose + render
        ->  duck under the original sound  ->  remux (video packets copied bit for bit)

:func:`score_video` does one file, :func:`score_folder` a folder of them (bad files are
reported at the end, the batch goes on). Every output is checked before any work starts, and
all of a video's outputs are committed together or not at all (``io.atomic.OutputSet``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from cinemuse.cuesheet import CueSheet, Mood, parse_mood
from cinemuse.errors import BadInputError, CinemuseError, UsageError
from cinemuse.pipelines.results import Result
from cinemuse.progress import SILENT, Progress

SAMPLE_RATE = 44100
DEFAULT_DUCK_DB = 10.0
MIN_MUSIC_SECONDS = 1.0  # the composer's shortest piece; shorter clips get it trimmed
VIDEO_EXTENSIONS = (
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mts", ".m2ts", ".ts", ".3gp", ".wmv",
    ".flv", ".mpg", ".mpeg", ".ogv",
)


@dataclass(frozen=True)
class ScoreOptions:
    """What the user can steer (``cinemuse score --help`` documents each).

    ``mood`` may be given as text (``"calm"``, ``"0.5,-0.2"``) and the paths as strings;
    both are normalised here, so the Python API takes what the command line takes.
    """

    style: str | None = None
    mood: Mood | str | None = None
    tempo: float | None = None
    seed: int = 0
    intensity: float = 1.0
    duck_db: float = DEFAULT_DUCK_DB
    replace_audio: bool = False
    audio_out: Path | None = None
    midi_out: Path | None = None
    stems_dir: Path | None = None
    cue_sheet: Path | None = None
    timeline: Path | tuple[Path, ...] | None = None  # editor timelines (.otio/.xml/.fcpxml/.edl)
    markers: Path | tuple[Path, ...] | None = None  # the markers alone (.edl for Resolve, .csv)
    force: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.mood, str):
            object.__setattr__(self, "mood", parse_mood(self.mood))
        for name in ("audio_out", "midi_out", "stems_dir", "cue_sheet"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))
        if self.timeline is not None or self.markers is not None:  # one path or several: a tuple
            from cinemuse.pipelines.handoff import HandoffPaths

            paths = HandoffPaths.of(self.timeline, self.markers)
            object.__setattr__(self, "timeline", paths.timelines or None)
            object.__setattr__(self, "markers", paths.markers or None)


@dataclass(frozen=True)
class ScoreResult(Result):
    """What :func:`score_video` made.

    ``files`` maps each kind of output to its path: ``video`` always, then ``audio``,
    ``midi``, ``stems`` (the folder), ``cue_sheet`` (the JSON and CSV), ``timeline`` and
    ``markers`` when asked for.
    ``timings`` is seconds per stage (analysis, shots, plan, compose, mux).
    """

    input: str
    output: str
    files: dict[str, Any]
    duration: float
    tempo: float
    key: str | None
    sections: int
    cuts: int
    transitions: int
    hits: int
    timings: dict[str, float]


@dataclass(frozen=True)
class ScoreFailure(Result):
    """One video of a folder that could not be scored, and the one-line reason."""

    input: str
    error: str


@dataclass(frozen=True)
class FolderResult(Result):
    """What :func:`score_folder` made: one :class:`ScoreResult` per video, and the failures."""

    input: str
    output: str
    scored: tuple[ScoreResult, ...]
    failed: tuple[ScoreFailure, ...]


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


DUCK_BLOCK_SECONDS = 0.05  # the side-chain's level meter resolution


def sound_levels_db(blocks, sample_rate: int, n_samples: int) -> np.ndarray:
    """RMS level (dBFS, channels averaged) per 50 ms of the first ``n_samples`` of a stream.

    Parameters
    ----------
    blocks : iterable of np.ndarray, each (m, ch) float32
    n_samples : int
        Length to measure; a shorter stream counts as silence after its end.

    Returns
    -------
    np.ndarray, shape (ceil(n_samples / block),)
    """
    block = max(1, int(DUCK_BLOCK_SECONDS * sample_rate))
    nb = math.ceil(n_samples / block)
    energy = np.zeros(nb * block, np.float64)
    pos = 0
    for b in blocks:
        b = b[: n_samples - pos]
        energy[pos : pos + len(b)] = np.mean(np.asarray(b, np.float64) ** 2, axis=1) if b.ndim == 2 else b**2
        pos += len(b)
        if pos >= n_samples:
            break
    # mean power of the channels' average, as a mono sum would read
    return 10 * np.log10(energy.reshape(nb, block).mean(axis=1) + 1e-12)


def duck_gains_db(levels_db: np.ndarray, *, duck_db: float) -> np.ndarray:
    """The music's gain (dB) per 50 ms block, given the original sound's levels there.

    Active means clearly above the track's own noise floor (10 dB over its 20th
    percentile), and anything louder than -30 dBFS — so continuous speech or music ducks
    too, while a faint hum does not. The gain falls within one block and recovers in ~400 ms.
    """
    if len(levels_db) == 0:
        return np.zeros(0)
    floor = max(-60.0, float(np.percentile(levels_db, 20)))
    active = levels_db > max(-45.0, min(floor + 10.0, -30.0))
    target = np.where(active, -abs(duck_db), 0.0)
    gain_db = np.zeros(len(target))
    g = 0.0
    down, up = 1.0, DUCK_BLOCK_SECONDS / 0.4  # per-block smoothing: fast attack, slow release
    for i, tgt in enumerate(target):
        g += (tgt - g) * (down if tgt < g else up)
        gain_db[i] = g
    return gain_db


def ducked_blocks(music_blocks, original_blocks, gains_db: np.ndarray, sample_rate: int, n_samples: int):
    """``music * gain + original`` as (m, 2) float32 blocks, exactly ``n_samples`` long.

    The original is made stereo (a mono track on both sides) and zero-padded or cut to
    length; ``gains_db`` comes from :func:`duck_gains_db`.
    """
    from cinemuse.io.blocks import BlockFeed

    block = max(1, int(DUCK_BLOCK_SECONDS * sample_rate))
    chunk = block * 64
    music = BlockFeed(music_blocks, 2)
    original = BlockFeed((_stereo(b) for b in original_blocks), 2)
    for start in range(0, n_samples, chunk):
        m = min(chunk, n_samples - start)
        k = start // block
        g_db = np.repeat(gains_db[k : k + math.ceil(m / block)], block)[:m]
        gain = (10 ** (g_db / 20)).astype(np.float32)
        yield music.take(m) * gain[:, None] + original.take(m)


def _stereo(block: np.ndarray) -> np.ndarray:
    block = np.asarray(block, np.float32)
    if block.ndim == 1:
        block = block[:, None]
    if block.shape[1] == 2:
        return block
    return np.repeat(block.mean(axis=1, keepdims=True), 2, axis=1)


def duck_music(
    music: np.ndarray, original: np.ndarray, sample_rate: int, *, duck_db: float
) -> np.ndarray:
    """Mix ``original`` (the video's own sound) under ``music``, lowering the music by
    ``duck_db`` wherever the original is active (speech, effects), so it stays intelligible.

    The whole-array form of :func:`sound_levels_db`, :func:`duck_gains_db` and
    :func:`ducked_blocks`, which the score job runs block by block.

    Parameters
    ----------
    music, original : ndarray, shape (n, ch) float32
    Returns
    -------
    ndarray, shape (len(music), 2) float32
    """
    n = len(music)
    gains = duck_gains_db(sound_levels_db([original], sample_rate, n), duck_db=duck_db)
    blocks = list(ducked_blocks([music], [original], gains, sample_rate, n))
    return np.concatenate(blocks) if blocks else np.zeros((0, 2), np.float32)


def fitted_blocks(blocks, n_samples: int, *, fade_samples: int = 0, size: int = 1 << 16):
    """A stream cut or silence-padded to exactly ``n_samples``, optionally fading out its last
    ``fade_samples`` (music cut short must not stop with a click)."""
    pos = 0
    fade_start = n_samples - fade_samples
    for b in blocks:
        b = b[: n_samples - pos]
        if not len(b):
            break
        if fade_samples and pos + len(b) > fade_start:
            a = max(fade_start, pos)
            t = (np.arange(a, pos + len(b)) - fade_start + 1) / fade_samples
            b = b.copy()
            b[a - pos :] *= (1.0 - t).astype(np.float32)[:, None]
        yield b
        pos += len(b)
    while pos < n_samples:
        m = min(size, n_samples - pos)
        yield np.zeros((m, 2), np.float32)
        pos += m


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


def _load_models_meanwhile():
    """Start loading the soundfont and the image encoder on a helper thread.

    Reading the picture keeps about one core busy; on a first run the loads (a second or
    two) then cost nothing. Join the thread before using either. A failure is left for the
    real load to report where it matters.
    """
    import threading

    def load() -> None:
        try:
            from cinemuse.music.render import load_soundfont
            from cinemuse.vision.encoder import ImageEncoder

            load_soundfont(sample_rate=SAMPLE_RATE)
            ImageEncoder.load()
        except Exception:  # noqa: BLE001 - reported by the real load
            pass

    thread = threading.Thread(target=load, name="cinemuse-load", daemon=True)
    thread.start()
    return thread


def _mix_original(music, video: Path, n_samples: int, *, duck_db: float):
    """The music ducked under the video's own sound, bounced to a scratch file.

    Returns ``(scratch, blocks)`` — ``blocks()`` streams the finished soundtrack, brought
    down as a whole if the sum would clip — or None when the original audio cannot be
    decoded (the music then plays alone).
    """
    from cinemuse.io.audio import iter_audio
    from cinemuse.io.scratch import AudioScratch

    try:
        levels = sound_levels_db(iter_audio(video, sample_rate=SAMPLE_RATE), SAMPLE_RATE, n_samples)
    except CinemuseError:
        return None  # an undecodable audio track: the music alone
    gains = duck_gains_db(levels, duck_db=duck_db)
    scratch = AudioScratch(2)
    peak = 0.0
    try:
        original = iter_audio(video, sample_rate=SAMPLE_RATE)
        for block in ducked_blocks(music(), original, gains, SAMPLE_RATE, n_samples):
            peak = max(peak, float(np.abs(block).max(initial=0.0)))
            scratch.append(block)
    except BaseException:
        scratch.close()
        raise
    scale = np.float32(0.99 / peak) if peak > 0.99 else None

    def blocks():
        for b in scratch.blocks():
            yield b * scale if scale is not None else b

    return scratch, blocks


# ----------------------------------------------------------------------------- one video


def check_outputs(out: Path, opts: ScoreOptions, video: Path | None = None):
    """Every output of one video, checked before any work; returns their OutputSet."""
    from cinemuse.io.atomic import OutputSet
    from cinemuse.io.audio import AUDIO_EXTENSIONS

    outputs = OutputSet(force=opts.force, inputs=[video] if video is not None else [])
    outputs.add(out, what="-o", formats=(".mp4", ".mov", ".m4v", ".mkv"))
    if opts.audio_out is not None:
        outputs.add(opts.audio_out, what="--audio-out", formats=AUDIO_EXTENSIONS)
    if opts.midi_out is not None:
        outputs.add(opts.midi_out, what="--midi-out", formats=(".mid", ".midi"))
    if opts.cue_sheet is not None:
        for p in cue_sheet_paths(opts.cue_sheet):
            outputs.add(p, what="--cue-sheet")
    if opts.stems_dir is not None:
        outputs.add_folder(opts.stems_dir, what="--stems")
    from cinemuse.pipelines.handoff import HandoffPaths, check_handoff

    check_handoff(outputs, HandoffPaths.of(opts.timeline, opts.markers))
    return outputs


def score_video(
    video: str | os.PathLike,
    output: str | os.PathLike,
    options: ScoreOptions | None = None,
    *,
    progress: Progress = SILENT,
    **fields: Any,
) -> ScoreResult:
    """Give one video an original soundtrack that follows its picture.

    The steps: read the picture once (:func:`~cinemuse.analysis.video.analyze_video`), give
    each section a melody latent from its shots, plan the cues
    (:func:`~cinemuse.pipelines.cueplan.plan_cues`), compose and master the music, duck it
    under the original sound, and remux with the video packets copied bit for bit; then the
    extra outputs (audio, MIDI, stems, cue sheet).

    Parameters
    ----------
    video, output : path
        The input video; the output ``.mp4``/``.mov``/``.m4v``/``.mkv``.
    options : ScoreOptions, optional
    **fields
        Any :class:`ScoreOptions` field (``mood="calm"``, ``seed=3``, ``force=True``...),
        overriding ``options``.
    progress : Progress

    Returns
    -------
    ScoreResult
    """
    opts = replace(options or ScoreOptions(), **fields)
    video, out = Path(video), Path(output)
    info, outputs = _check_score_inputs(video, out, opts)
    timings: dict[str, float] = {}
    analysis = _read_picture(video, progress, timings)
    # the muxer's clock starts at the first frame, like the analysis': the container's
    # length is the soundtrack's. A clip shorter than the composer's minimum gets that
    # minimum, trimmed with a fade below; the analysis itself keeps its measured length.
    duration = float(info.duration if info.duration and info.duration > 0 else analysis.duration)
    cue = _plan_music(replace(analysis, duration=max(duration, MIN_MUSIC_SECONDS)), opts,
                      progress, timings)
    piece, files = _make_soundtrack(video, out, info, cue, analysis, duration, opts, outputs,
                                    progress, timings)
    return ScoreResult(
        input=str(video),
        output=str(out),
        files=files,
        duration=round(duration, 3),
        tempo=round(float(cue.tempo), 2),
        key=getattr(piece, "key", None),
        sections=len(cue.sections),
        cuts=len(analysis.cuts),
        transitions=len(analysis.transitions),
        hits=len(cue.hits),
        timings={k: round(v, 3) for k, v in timings.items()},
    )


def _check_score_inputs(video: Path, out: Path, opts: ScoreOptions):
    """Every check that can fail before any work; returns the input's stream info and the
    OutputSet its outputs will be committed through."""
    from cinemuse.io.atomic import check_input_file
    from cinemuse.io.video import check_copyable, probe_video

    check_input_file(video)
    info = probe_video(video)
    outputs = check_outputs(out, opts, video)
    check_copyable(video, out)  # an AV1 or ProRes picture that -o cannot hold: say so now
    return info, outputs


def default_output(video: str | os.PathLike, folder: str | os.PathLike | None = None, *,
                   suffix: str = "_scored") -> Path:
    """``VIDEO_scored.mp4`` (``.mov``/``.mkv`` when MP4 cannot hold the picture): see
    :func:`cinemuse.pipelines.naming.scored_video_name`."""
    from cinemuse.pipelines.naming import scored_video_name

    return scored_video_name(video, folder, suffix=suffix)


def _read_picture(video: Path, progress: Progress, timings: dict[str, float]):
    """The one streaming pass over the picture, with the models loading meanwhile."""
    from cinemuse.analysis.video import analyze_video

    warm_up = _load_models_meanwhile()
    t0 = time.perf_counter()
    analysis = analyze_video(video, progress=progress)
    timings["analysis"] = time.perf_counter() - t0
    warm_up.join()
    return analysis


def _plan_music(analysis, opts: ScoreOptions, progress: Progress, timings: dict[str, float]) -> CueSheet:
    """Sections at the shot boundaries, a melody latent per section, then the CueSheet."""
    from cinemuse.pipelines.cueplan import plan_cues, section_spans

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
    return cue


def _make_soundtrack(video: Path, out: Path, info, cue: CueSheet, analysis, duration: float,
                     opts: ScoreOptions, outputs, progress: Progress, timings: dict[str, float]):
    """Compose ``cue``, mux the soundtrack into ``out`` and write the extra outputs, all
    committed together through ``outputs``. Returns ``(piece, files)``.
    """
    from cinemuse.io.video import replace_audio
    from cinemuse.music.compose import compose, render_piece_blocks

    t0 = time.perf_counter()
    piece = compose(cue, progress=progress, render=False)
    mastered = render_piece_blocks(piece, keep_stems=opts.stems_dir is not None, progress=progress)
    timings["compose"] = time.perf_counter() - t0
    files: dict[str, Any] = {"video": str(out)}
    n_samples = int(round(duration * SAMPLE_RATE))
    # a very short clip got the composer's minimum: fade out what is cut off
    fade = min(n_samples, int(0.05 * SAMPLE_RATE)) if cue.duration > duration else 0
    with contextlib.ExitStack() as cleanup:
        cleanup.enter_context(outputs)  # entered first, left last: commits all outputs or none
        cleanup.enter_context(mastered)
        t0 = time.perf_counter()

        def music():
            return fitted_blocks(mastered.blocks(), n_samples, fade_samples=fade)

        soundtrack = music
        if not opts.replace_audio and info.has_audio:
            mixed = _mix_original(music, video, n_samples, duck_db=opts.duck_db)
            if mixed is not None:
                cleanup.enter_context(mixed[0])
                soundtrack = mixed[1]
        replace_audio(video, soundtrack(), SAMPLE_RATE, outputs.stage(out), force=True,
                      progress=progress)
        timings["mux"] = time.perf_counter() - t0
        files.update(_write_extras(outputs, opts, video, piece, cue, analysis, soundtrack,
                                   lambda name: fitted_blocks(mastered.stem_blocks(name), n_samples,
                                                              fade_samples=fade),
                                   mastered.stem_names))
        stems = [Path(p) for p in files.pop("stem_files", [])]
        files.update(_write_handoff(outputs, opts, video, out, info, duration, cue, analysis, stems))
    return piece, files


def _write_handoff(outputs, opts: ScoreOptions, video: Path, out: Path, info, duration: float, cue, analysis,
                   stems: list[Path]) -> dict[str, str]:
    """Stage ``--timeline`` / ``--markers``: the original picture, the new soundtrack (the
    ``--audio-out`` file, else the scored video's own sound) and each stem, with every cut,
    hit and section marked."""
    from cinemuse.pipelines.handoff import HandoffPaths, score_timeline, write_handoff

    paths = HandoffPaths.of(opts.timeline, opts.markers)
    if not paths:
        return {}
    timeline = score_timeline(
        name=out.stem, video=video, fps=info.fps, duration=duration, cuts=[c.time for c in analysis.cuts],
        cue=cue, soundtrack=opts.audio_out or out, stems=stems)
    return write_handoff(outputs, paths, timeline)


def _write_extras(outputs, opts: ScoreOptions, video, piece, cue, analysis, soundtrack, stem_blocks,
                  stem_names) -> dict[str, Any]:
    """Stage the side outputs (soundtrack, MIDI, stems, cue sheet) into ``outputs``."""
    written: dict[str, Any] = {}
    if opts.audio_out is not None:
        from cinemuse.io.audio import write_audio

        write_audio(outputs.stage(opts.audio_out), soundtrack(), SAMPLE_RATE, force=True)
        written["audio"] = str(opts.audio_out)
    if opts.midi_out is not None:
        outputs.stage(opts.midi_out).write_bytes(piece.midi_bytes())
        written["midi"] = str(opts.midi_out)
    if opts.stems_dir is not None:
        from cinemuse.io.stems import write_stems

        blocks = {name: (lambda name=name: stem_blocks(name)) for name in stem_names}
        stem_files = write_stems(outputs, opts.stems_dir, blocks, SAMPLE_RATE, midi=piece.midi_bytes())
        written["stems"] = str(opts.stems_dir)
        written["stem_files"] = [str(p) for p in stem_files if p.suffix.lower() == ".wav"]
    if opts.cue_sheet is not None:
        record = cue_sheet_record(video, cue, analysis)
        jpath, cpath = cue_sheet_paths(opts.cue_sheet)
        outputs.stage(jpath).write_text(json.dumps(record, indent=2))
        outputs.stage(cpath).write_text(cue_sheet_csv(record))
        written["cue_sheet"] = [str(jpath), str(cpath)]
    return written


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
    options: ScoreOptions | None = None,
    *,
    progress: Progress = SILENT,
    **fields: Any,
) -> FolderResult:
    """Score every video in ``folder`` into ``out_dir`` (same names, ``.mp4``).

    One progress bar for the batch; a file that fails is recorded and the batch goes on.
    Per-file extras (``audio_out`` etc.) name folders that get one file per video.
    """
    opts = replace(options or ScoreOptions(), **fields)
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
            per = _options_for(v, opts)
            try:
                done.append(score_video(v, default_output(v, out_dir, suffix=""), per, progress=SILENT))
            except CinemuseError as exc:
                failed.append(ScoreFailure(str(v), str(exc)))
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
                failed.append(ScoreFailure(str(v), f"internal error: {type(exc).__name__}: {exc}"))
            stage.advance()
    return FolderResult(str(folder), str(out_dir), tuple(done), tuple(failed))


def _options_for(video: Path, opts: ScoreOptions) -> ScoreOptions:
    """One video's options in a folder run: each extra output goes into its folder."""
    from cinemuse.pipelines.naming import per_input_name

    per = {}
    for attr, ext in (("audio_out", ".wav"), ("midi_out", ".mid"), ("stems_dir", ""), ("cue_sheet", "")):
        base = getattr(opts, attr)
        if base is not None:
            per[attr] = per_input_name(base, video, ext)
            per[attr].parent.mkdir(parents=True, exist_ok=True)
    for attr in ("timeline", "markers"):  # the name's extension is the format: one file per video beside it
        if getattr(opts, attr):
            per[attr] = tuple(per_input_name(p.parent, video, p.suffix) for p in getattr(opts, attr))
    return replace(opts, **per)
