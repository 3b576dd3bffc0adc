"""The ``slideshow`` job: an album of photos becomes a film cut to the beat of original music.

    album (reduced-size pass: faces, saliency, embeddings, dates)  ->  order, collapse bursts,
    groups  ->  Timeline (changes on beats: composed, or the song's)  ->  CueSheet (every
    change a hit)  ->  music composed and rendered on a helper thread, meanwhile
    frames rendered and encoded as a stream (each photo decoded, styled and graded once,
    when it is next)  ->  soundtrack muxed in  ->  MP4 (H.264 yuv420p + AAC, faststart)

Memory holds the per-photo measurements (a few kB each), at most three prepared photos
and a few frames: it does not grow with the number of photos. See
:mod:`cinemuse.pipelines.album` (reading), :mod:`cinemuse.pipelines.timeline` (beats and
transitions), :mod:`cinemuse.vision.framing` (faces, saliency, camera moves),
:mod:`cinemuse.vision.looks` and :mod:`cinemuse.vision.stylize`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from cinemuse.cuesheet import CueSheet, Hit, Mood, Section
from cinemuse.errors import BadInputError, UsageError
from cinemuse.progress import SILENT, Progress

SAMPLE_RATE = 44100
FPS = 30
ASPECTS = {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080), "4:5": (1080, 1350)}
SLIDE_MOTION = 0.015  # the mean frame difference of a slow camera move (the mood mapping's "motion")
MAX_DURATION = 3600.0


@dataclass(frozen=True)
class SlideshowOptions:
    """What the user can steer (``cinemuse slideshow --help`` documents each)."""

    duration: float | None = None
    song: Path | None = None
    style: str | None = None
    style_strength: float = 1.0
    look: str = "none"
    aspect: str = "16:9"
    mood: Mood | None = None
    music_style: str | None = None
    tempo: float | None = None
    seed: int = 0
    title: str | None = None
    order: str = "date"
    keep_duplicates: bool = False
    cue_sheet: Path | None = None
    audio_out: Path | None = None
    midi_out: Path | None = None
    stems_dir: Path | None = None
    timeline: Path | Sequence[Path] | None = None  # editor timelines (.otio/.xml/.fcpxml/.edl): pipelines/handoff
    markers: Path | Sequence[Path] | None = None  # the markers alone (.edl for Resolve, .csv)
    force: bool = False
    size: tuple[int, int] | None = None  # overrides the aspect's size (tests, previews)
    crf: int = 20
    preset: str = "fast"


@dataclass(frozen=True)
class SlideCue:
    """One slide as shown: ``file`` (None for the title card) from ``start`` to ``end`` seconds."""

    file: str | None
    start: float
    end: float
    frame: int  # first frame that shows it (more than the previous slide)
    transition: str  # how it came in ("cut" for the first)
    transition_length: float
    framing: str  # "fill" | "pan" | "fit" | "title"
    subject: str  # "faces" | "saliency" | "title"
    faces: tuple[tuple[float, float, float, float], ...]  # photo pixels
    motion: tuple[tuple[float, float, float], tuple[float, float, float]] | None  # crop (cx, cy, w) start/end

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "start": round(self.start, 6), "end": round(self.end, 6), "frame": self.frame,
                "transition": self.transition, "transition_length": round(self.transition_length, 4),
                "framing": self.framing, "subject": self.subject, "faces": [list(f) for f in self.faces],
                "motion": None if self.motion is None else [list(m) for m in self.motion]}


@dataclass(frozen=True)
class SlideshowResult:
    """What :func:`make_slideshow` made."""

    output: str
    duration: float
    frames: int
    fps: int
    size: tuple[int, int]
    tempo: float
    music: str  # "composed" | "song"
    style: str | None
    look: str
    slides: tuple[SlideCue, ...]
    skipped: tuple[str, ...]
    duplicates: tuple[str, ...]
    written: tuple[tuple[str, str], ...]
    timings: tuple[tuple[str, float], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"output": self.output, "duration": round(self.duration, 6), "frames": self.frames, "fps": self.fps,
                "size": list(self.size), "tempo": round(self.tempo, 3), "music": self.music, "style": self.style,
                "look": self.look, "photos": len([s for s in self.slides if s.file]),
                "slides": [s.to_dict() for s in self.slides], "skipped": list(self.skipped),
                "duplicates": list(self.duplicates), "written": dict(self.written),
                "timings": {k: round(v, 3) for k, v in self.timings}}


# ----------------------------------------------------------------------------- checks


def frame_size(opts: SlideshowOptions) -> tuple[int, int]:
    if opts.size is not None:
        w, h = opts.size
        return int(w) + int(w) % 2, int(h) + int(h) % 2
    if opts.aspect not in ASPECTS:
        raise UsageError(f"--aspect must be one of {', '.join(ASPECTS)}, got {opts.aspect!r}")
    return ASPECTS[opts.aspect]


def check_options(out: Path, opts: SlideshowOptions, inputs: Sequence[str | os.PathLike] = ()):
    """Fail before any work on impossible options or outputs that cannot be written.

    Returns the run's :class:`~cinemuse.io.atomic.OutputSet`: the film and every side output
    (cue sheet, audio, MIDI, stems), checked now and committed together at the end, or none.
    """
    from cinemuse.io.atomic import OutputSet
    from cinemuse.io.audio import AUDIO_EXTENSIONS
    from cinemuse.pipelines.score import cue_sheet_paths
    from cinemuse.vision.fonts import require_covered
    from cinemuse.vision.looks import get_look

    require_covered(opts.title, "--title")
    frame_size(opts)
    try:
        get_look(opts.look)
    except ValueError as exc:
        raise UsageError(f"--look: {exc}") from None
    if opts.duration is not None and not 1.0 <= opts.duration <= MAX_DURATION:
        raise UsageError(f"--duration must be between 1 and {MAX_DURATION:g} s, got {opts.duration:g}")
    if not 0.0 <= opts.style_strength <= 1.0:
        raise UsageError("--style-strength must be between 0 and 1")
    if opts.song is not None and (opts.midi_out or opts.stems_dir):
        raise UsageError("--midi and --stems need composed music; they do not apply with --song")
    outputs = OutputSet(force=opts.force, inputs=[*inputs, *([opts.song] if opts.song else [])])
    outputs.add(out, what="-o", formats=(".mp4", ".mov", ".m4v", ".mkv"))
    if opts.audio_out is not None:
        outputs.add(opts.audio_out, what="--audio", formats=AUDIO_EXTENSIONS)
    if opts.midi_out is not None:
        outputs.add(opts.midi_out, what="--midi", formats=(".mid", ".midi"))
    if opts.cue_sheet is not None:
        for p in cue_sheet_paths(opts.cue_sheet):
            outputs.add(p, what="--cue-sheet")
    if opts.stems_dir is not None:
        outputs.add_folder(opts.stems_dir, what="--stems")
    from cinemuse.pipelines.handoff import HandoffPaths, check_handoff

    check_handoff(outputs, HandoffPaths.of(opts.timeline, opts.markers))
    if opts.style is not None:
        from cinemuse.vision.stylize import list_styles

        names = [s.name for s in list_styles()]
        if opts.style not in names:
            raise UsageError(f"--style: unknown style {opts.style!r}; choose from {', '.join(names)}")
    return outputs


# ----------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class Slide:
    photo: Any | None  # album.Photo, None for the title card
    group_start: bool


def album_mood(photos, groups: list[int], timeline_rate: float) -> list[Mood]:
    """One mood per group of photos, by the same picture -> mood mapping as ``score``."""
    from cinemuse.pipelines.cueplan import moods_from_features

    bounds = groups + [len(photos)]
    feats = {k: [] for k in ("brightness", "saturation", "colourfulness", "motion", "cut_rate")}
    for a, b in zip(bounds, bounds[1:]):
        g = photos[a:b]
        feats["brightness"].append(float(np.mean([p.brightness for p in g])))
        feats["saturation"].append(float(np.mean([p.saturation for p in g])))
        feats["colourfulness"].append(float(np.mean([p.colourfulness for p in g])))
        feats["motion"].append(SLIDE_MOTION)
        feats["cut_rate"].append(timeline_rate)
    return moods_from_features(feats)


def plan_timeline(slides: list[Slide], opts: SlideshowOptions, moods: list[Mood], song_profile):
    from cinemuse.pipelines import timeline as tl

    groups = {i for i, s in enumerate(slides) if s.group_start and i > 0}
    faces = [bool(s.photo is not None and s.photo.subject.faces) for s in slides]
    if song_profile is not None:
        duration = opts.duration or song_profile.duration
        duration = math.floor(duration * FPS) / FPS
        return tl.song_timeline(len(slides), beats=song_profile.beats, downbeats=song_profile.downbeats,
                                duration=duration, look=opts.look, groups=groups, faces=faces,
                                tempo=song_profile.tempo_bpm, beats_per_bar=song_profile.beats_per_bar,
                                time_signature=song_profile.meter)
    arousal = float(np.mean([m.arousal for m in moods]))
    duration = None if opts.duration is None else round(opts.duration * FPS) / FPS
    return tl.composed_timeline(len(slides), arousal=arousal, duration=duration, fps=FPS, look=opts.look,
                                groups=groups, faces=faces, tempo=opts.tempo)


def build_cue(timeline, slides: list[Slide], moods: list[Mood], opts: SlideshowOptions) -> CueSheet:
    """Every photo change a hit on its beat; a section per group of photos."""
    starts = [timeline.starts[i] for i, s in enumerate(slides) if s.group_start or i == 0]
    starts = sorted(set([0.0] + [t for t in starts if t < timeline.duration]))
    bounds = starts + [timeline.duration]
    sections = []
    for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
        m = opts.mood or moods[min(i, len(moods) - 1)]
        sections.append(Section(start=float(a), end=float(b), mood=m, energy=float(np.clip(0.45 + 0.3 * m.arousal, 0.1, 0.9))))
    hits = [Hit(time=c.time, kind="cut", strength=0.8 if c.downbeat else 1.0, frame=math.ceil(c.time * FPS - 1e-6))
            for c in timeline.changes]
    return CueSheet(duration=timeline.duration, sections=sections, hits=hits, tempo=timeline.tempo,
                    meter=timeline.beats_per_bar,
                    style=opts.music_style, first_downbeat=timeline.first_downbeat, seed=opts.seed)


# ----------------------------------------------------------------------------- slides


@dataclass
class Prepared:
    """A slide ready to be drawn: its picture prescaled, styled and graded, and its move."""

    image: np.ndarray
    motion: Any  # framing.Motion in the prescaled image's pixels, or None (title)
    backdrop: np.ndarray | None


def _title_card(text: str, first, size: tuple[int, int]) -> np.ndarray:
    """The opening card: the title over a blurred, darkened copy of the first photo."""
    from cinemuse.vision.framing import blurred_fill
    from cinemuse.vision.titles import draw_title

    w, h = size
    if first is not None:
        from cinemuse.io.image import read_image

        base = blurred_fill(read_image(first.path), size)
    else:
        base = np.full((h, w, 3), 16, np.uint8)
    return draw_title(base, text, position="centre", scale=0.085 * (1.3 if h > w else 1.0))


def prepare_slide(k: int, slide: Slide, timeline, size, opts: SlideshowOptions, stylizer, look, *,
                  next_photo=None) -> Prepared:
    """Decode, style, grade and prescale one photo for its camera move."""
    import cv2

    from cinemuse.io.image import read_image
    from cinemuse.vision.framing import Subject, blurred_fill, plan_motion, prescale_factor
    from cinemuse.vision.looks import apply_look

    if slide.photo is None:
        return Prepared(_title_card(opts.title or "", next_photo, size), None, None)
    p = slide.photo
    a, b = timeline.visible_span(k)
    motion = plan_motion(p.width, p.height, size[0] / size[1], p.subject, duration=b - a, index=k)
    rgb = read_image(p.path)
    if rgb.shape[1] != p.width or rgb.shape[0] != p.height:  # ICC/EXIF corner cases: keep boxes right
        rgb = cv2.resize(rgb, (p.width, p.height), interpolation=cv2.INTER_AREA)
    s = prescale_factor(motion, size, p.height, p.width)
    if s < 1.0:
        rgb = cv2.resize(rgb, (max(1, round(p.width * s)), max(1, round(p.height * s))), interpolation=cv2.INTER_AREA)
        sub = Subject(p.subject.box.scaled(s), tuple(f.scaled(s) for f in p.subject.faces), p.subject.kind)
        motion = plan_motion(rgb.shape[1], rgb.shape[0], size[0] / size[1], sub, duration=b - a, index=k)
    if stylizer is not None:
        rgb = stylizer.stylize(rgb, opts.style, strength=opts.style_strength)
    rgb = apply_look(rgb, look, seed=opts.seed * 1000 + k)
    backdrop = blurred_fill(rgb, size) if motion.mode == "fit" else None
    return Prepared(np.ascontiguousarray(rgb), motion, backdrop)


def draw_slide(prep: Prepared, u: float, size, *, extra_zoom: float = 1.0) -> np.ndarray:
    from cinemuse.vision.framing import fit_crop, render_crop

    if prep.motion is None:
        if extra_zoom == 1.0:
            return prep.image
        from cinemuse.vision.framing import Box

        w, h = size
        return render_crop(prep.image, Box(0, 0, w, h), size, extra_zoom=extra_zoom)
    if prep.motion.mode == "fit":
        h, w = prep.image.shape[:2]
        crop = fit_crop(prep.motion, u, w, h, size)
        return render_crop(prep.image, crop, size, extra_zoom=extra_zoom, dst=prep.backdrop)
    return render_crop(prep.image, prep.motion.crop_at(u), size, extra_zoom=extra_zoom)


def _smooth(p: float) -> float:
    return p * p * (3.0 - 2.0 * p)


def compose_transition(kind: str, p: float, draw_a, draw_b) -> np.ndarray:
    """The frame ``p`` (0..1) of the way through a transition; half-way is the beat."""
    import cv2

    if kind == "dip":
        if p < 0.5:
            return cv2.convertScaleAbs(draw_a(1.0), alpha=1.0 - 2.0 * p)
        return cv2.convertScaleAbs(draw_b(1.0), alpha=2.0 * p - 1.0)
    if kind == "push":
        a, b = draw_a(1.0), draw_b(1.0)
        w = a.shape[1]
        off = int(round(_smooth(p) * w))
        out = np.empty_like(a)
        out[:, : w - off] = a[:, off:]
        out[:, w - off :] = b[:, : off]
        return out
    e = _smooth(p)
    a = draw_a(1.0 + 0.2 * e) if kind == "zoom" else draw_a(1.0)
    return cv2.addWeighted(a, 1.0 - e, draw_b(1.0), e, 0.0)


def _prepared_slides(slides, timeline, size, opts, stylizer, look) -> Iterator[Prepared]:
    for k, s in enumerate(slides):
        following = slides[k + 1].photo if k + 1 < len(slides) else None
        yield prepare_slide(k, s, timeline, size, opts, stylizer, look, next_photo=following)


def render_frames(slides: list[Slide], timeline, size, opts: SlideshowOptions, *, stylizer, look,
                  progress: Progress = SILENT) -> Iterator[np.ndarray]:
    """Every frame of the film, in order; photos are prepared one ahead on a helper thread."""
    import cv2

    from cinemuse.pipelines.timeline import frames_for
    from cinemuse.threads import prefetch
    from cinemuse.vision.looks import vignette_map

    source = prefetch(_prepared_slides(slides, timeline, size, opts, stylizer, look), depth=1, name="cinemuse-slides")
    ready: dict[int, Prepared] = {}
    made = [0]  # slides taken from the helper so far
    vmap = vignette_map(look, size[0], size[1])
    n_frames = frames_for(timeline.duration, FPS)
    starts = np.array(timeline.starts)

    def get(k: int) -> Prepared:
        while k not in ready:
            ready[made[0]] = next(source)
            made[0] += 1
        return ready[k]

    def drawer(k: int, t: float):
        a, b = timeline.visible_span(k)
        u = (t - a) / max(b - a, 1e-9)
        return lambda zoom: draw_slide(get(k), u, size, extra_zoom=zoom)

    with progress.stage("Rendering the slideshow", total=n_frames) as stage:
        for i in range(n_frames):
            t = i / FPS
            k = int(np.searchsorted(starts, t + 1e-9, side="right") - 1)
            for old in [j for j in ready if j < k - 1]:
                del ready[old]
            frame = None
            for c in (timeline.changes[k - 1] if k > 0 else None, timeline.changes[k] if k < len(timeline.changes) else None):
                if c is not None and c.length > 0 and abs(t - c.time) < c.length / 2:
                    p = (t - (c.time - c.length / 2)) / c.length
                    frame = compose_transition(c.kind, p, drawer(c.index - 1, t), drawer(c.index, t))
            if frame is None:
                frame = drawer(k, t)(1.0)
            if vmap is not None:
                frame = cv2.multiply(frame, vmap, scale=1.0 / 255.0)
            stage.advance()
            yield frame


# ----------------------------------------------------------------------------- sound


def read_song(path: Path, progress: Progress = SILENT):
    """The song's profile (beats, downbeats, tempo, mood); BadInputError if it is not audio."""
    from cinemuse.analysis.audio import analyze_song
    from cinemuse.io.audio import read_audio
    from cinemuse.io.atomic import check_input_file

    check_input_file(path)
    samples = read_audio(path, sample_rate=22050)
    try:
        return analyze_song(samples, 22050, progress=progress)
    except ValueError as exc:
        raise BadInputError(path, str(exc)) from None


def song_fade_start(profile, duration: float) -> float | None:
    """Where to start fading a song that runs past the film: a bar line 1-6 s before the end."""
    if profile.duration <= duration + 0.05:
        return None
    bars = np.asarray(profile.downbeats, float)
    ok = bars[(bars <= duration - 1.0) & (bars >= duration - 6.0)]
    return float(ok[-1]) if len(ok) else max(0.0, duration - 2.0)


def song_blocks(path: Path, profile, n_samples: int):
    from cinemuse.io.audio import iter_audio
    from cinemuse.pipelines.score import fitted_blocks

    fade_at = song_fade_start(profile, n_samples / SAMPLE_RATE)
    fade = 0 if fade_at is None else n_samples - int(round(fade_at * SAMPLE_RATE))

    def stereo(blocks):
        for b in blocks:
            yield np.repeat(b, 2, axis=1) if b.shape[1] == 1 else b

    return fitted_blocks(stereo(iter_audio(path, sample_rate=SAMPLE_RATE)), n_samples, fade_samples=fade)


def compose_music(cue: CueSheet, keep_stems: bool, progress: Progress = SILENT):
    """(piece, mastered): the music for the cue sheet, rendered and mastered to scratch files."""
    from cinemuse.music.compose import compose, render_piece_blocks

    piece = compose(cue, progress=SILENT, render=False)
    return piece, render_piece_blocks(piece, keep_stems=keep_stems, progress=SILENT)


# ----------------------------------------------------------------------------- outputs


def slide_cues(slides: list[Slide], timeline, size) -> tuple[SlideCue, ...]:
    from cinemuse.vision.framing import plan_motion

    out = []
    for k, s in enumerate(slides):
        c = timeline.changes[k - 1] if k > 0 else None
        start = timeline.starts[k]
        frame = 0 if k == 0 else math.ceil(start * FPS - 1e-6)
        if s.photo is None:
            out.append(SlideCue(None, start, timeline.end_of(k), frame, c.kind if c else "cut",
                                c.length if c else 0.0, "title", "title", (), None))
            continue
        p = s.photo
        a, b = timeline.visible_span(k)
        m = plan_motion(p.width, p.height, size[0] / size[1], p.subject, duration=b - a, index=k)
        out.append(SlideCue(str(p.path), start, timeline.end_of(k), frame, c.kind if c else "cut",
                            c.length if c else 0.0, m.mode,
                            p.subject.kind, tuple(tuple(f.to_list()) for f in p.subject.faces),
                            (tuple(round(x, 3) for x in m.start), tuple(round(x, 3) for x in m.end))))
    return tuple(out)


def cue_sheet_record(cues: tuple[SlideCue, ...], cue: CueSheet, timeline, n_frames: int, song: Path | None) -> dict:
    from cinemuse.pipelines.score import timecode

    return {
        "duration": timeline.duration, "frames": n_frames, "fps": FPS, "tempo": timeline.tempo,
        "meter": timeline.beats_per_bar, "time_signature": timeline.time_signature,
        "first_downbeat": timeline.first_downbeat, "music": "song" if song else "composed",
        "song": str(song) if song else None,
        "photos": [{"file": c.file, "start": c.start, "end": c.end, "frame": c.frame, "timecode": timecode(c.start),
                    "transition": c.transition, "transition_length": c.transition_length, "framing": c.framing}
                   for c in cues],
        "sections": [{"index": i, "start": s.start, "end": s.end, "valence": s.mood.valence,
                      "arousal": s.mood.arousal, "energy": s.energy} for i, s in enumerate(cue.sections)],
        "hits": [{"time": h.time, "frame": h.frame, "timecode": timecode(h.time), "kind": h.kind,
                  "strength": h.strength} for h in cue.hits],
    }


def cue_sheet_csv(record: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["type", "time_s", "frame", "timecode", "end_s", "kind", "value"])
    w.writerow(["tempo", f"{record['first_downbeat']:.6f}", "", "", "", record["time_signature"],
                f"{record['tempo']:.4f}"])
    for s in record["sections"]:
        w.writerow(["section", f"{s['start']:.6f}", "", "", f"{s['end']:.6f}",
                    f"valence={s['valence']:.2f} arousal={s['arousal']:.2f}", f"{s['energy']:.3f}"])
    for p in record["photos"]:
        w.writerow(["photo", f"{p['start']:.6f}", p["frame"], p["timecode"], f"{p['end']:.6f}", p["transition"],
                    p["file"] or "(title)"])
    for h in record["hits"]:
        w.writerow(["hit", f"{h['time']:.6f}", h["frame"], h["timecode"], "", h["kind"], f"{h['strength']:.2f}"])
    return buf.getvalue()


def write_extras(outputs, opts: SlideshowOptions, record: dict, piece, mastered, soundtrack,
                 n_samples: int) -> dict:
    """Stage the side outputs (cue sheet, audio, MIDI, stems) into the run's ``outputs``."""
    from cinemuse.pipelines.score import cue_sheet_paths, fitted_blocks

    written = {}
    if opts.cue_sheet is not None:
        jpath, cpath = cue_sheet_paths(opts.cue_sheet)
        outputs.stage(jpath).write_text(json.dumps(record, indent=2))
        outputs.stage(cpath).write_text(cue_sheet_csv(record))
        written["cue_sheet"] = f"{jpath}, {cpath}"
    if opts.audio_out is not None:
        from cinemuse.io.audio import write_audio

        write_audio(outputs.stage(opts.audio_out), soundtrack(), SAMPLE_RATE, force=True)
        written["audio"] = str(opts.audio_out)
    if opts.midi_out is not None and piece is not None:
        outputs.stage(opts.midi_out).write_bytes(piece.midi_bytes())
        written["midi"] = str(opts.midi_out)
    if opts.stems_dir is not None and mastered is not None:
        from cinemuse.io.stems import write_stems

        blocks = {name: (lambda name=name: fitted_blocks(mastered.stem_blocks(name), n_samples))
                  for name in mastered.stem_names}
        write_stems(outputs, opts.stems_dir, blocks, SAMPLE_RATE, midi=piece.midi_bytes())
        written["stems"] = str(opts.stems_dir)
    return written


# ----------------------------------------------------------------------------- the job


def plan_slideshow(photos: Sequence[str | os.PathLike], opts: SlideshowOptions, *, progress: Progress = SILENT):
    """Read the album and plan the film: (slides, timeline, cue sheet, song profile, skipped, duplicates)."""
    from cinemuse.pipelines.album import group_photos, load_album

    album, skipped, dropped = load_album(photos, order=opts.order, keep_duplicates=opts.keep_duplicates,
                                         progress=progress)
    profile = read_song(Path(opts.song), progress) if opts.song is not None else None
    if profile is not None and opts.duration is not None and opts.duration > profile.duration + 1e-6:
        raise UsageError(f"--duration {opts.duration:g} s is longer than the song ({profile.duration:.1f} s)")
    groups = group_photos(album)
    slides = ([Slide(None, True)] if opts.title else []) + [
        Slide(p, i in groups) for i, p in enumerate(album)]
    rate = 1.0 / 2.5  # changes a second, before the tempo is known (a typical slide)
    moods = album_mood(album, groups, rate)
    timeline = plan_timeline(slides, opts, moods, profile)
    if profile is not None and not profile.steady_beat:
        progress.log(f"{opts.song}: no steady beat (beat strength {profile.beat_strength:.2f}); the photos "
                     f"change on an even {profile.tempo_bpm:.0f}-bpm grid")
    if len(timeline.starts) < len(slides):
        progress.log(f"the film is too short for {len(slides)} slides on the beat: showing the first "
                     f"{len(timeline.starts)}")
        slides = slides[: len(timeline.starts)]
    cue = build_cue(timeline, slides, moods, opts)
    return slides, timeline, cue, profile, skipped, dropped


def make_slideshow(photos: Sequence[str | os.PathLike], out: str | os.PathLike, opts: SlideshowOptions | None = None,
                   *, progress: Progress = SILENT) -> SlideshowResult:
    """Make the slideshow film ``out`` from photo files and folders.

    Parameters
    ----------
    photos : sequence of paths
        Files and folders (a folder's photos, by extension, directly inside it).
    out : path
        ``.mp4`` (also .mov/.m4v/.mkv).
    opts : SlideshowOptions

    Returns
    -------
    SlideshowResult
    """
    from concurrent.futures import ThreadPoolExecutor

    from cinemuse.io.video import replace_audio, write_video
    from cinemuse.pipelines.handoff import write_slideshow_handoff
    from cinemuse.pipelines.score import fitted_blocks
    from cinemuse.pipelines.timeline import frames_for
    from cinemuse.vision.looks import get_look

    opts = opts or SlideshowOptions()
    out = Path(out)
    outputs = check_options(out, opts, photos)
    size = frame_size(opts)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    slides, timeline, cue, profile, skipped, dropped = plan_slideshow(photos, opts, progress=progress)
    timings["plan"] = time.perf_counter() - t0
    n_frames = frames_for(timeline.duration, FPS)
    n_samples = int(round(n_frames / FPS * SAMPLE_RATE))
    stylizer = None
    if opts.style is not None:
        from cinemuse.vision.stylize import Stylizer

        stylizer = Stylizer.load()
    look = get_look(opts.look)
    with contextlib.ExitStack() as cleanup, ThreadPoolExecutor(1, thread_name_prefix="cinemuse-music") as pool:
        cleanup.enter_context(outputs)  # entered first, left last: commits every output or none
        music = None if profile is not None else pool.submit(compose_music, cue, opts.stems_dir is not None)
        scratch = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="cinemuse-slideshow-")))
        t0 = time.perf_counter()
        frames = render_frames(slides, timeline, size, opts, stylizer=stylizer, look=look, progress=progress)
        picture = write_video(scratch / "picture.mp4", frames, fps=FPS, crf=opts.crf, preset=opts.preset)
        timings["picture"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        piece = mastered = None
        if music is not None:
            piece, mastered = music.result()
            cleanup.enter_context(mastered)

            def soundtrack():
                return fitted_blocks(mastered.blocks(), n_samples)
        else:
            def soundtrack():
                return song_blocks(Path(opts.song), profile, n_samples)
        timings["music"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        replace_audio(picture, soundtrack(), SAMPLE_RATE, outputs.stage(out), force=True)
        timings["mux"] = time.perf_counter() - t0
        cues = slide_cues(slides, timeline, size)
        record = cue_sheet_record(cues, cue, timeline, n_frames, opts.song)
        written = {"video": str(out)} | write_extras(outputs, opts, record, piece, mastered, soundtrack, n_samples)
        written |= write_slideshow_handoff(outputs, opts, out, timeline, cue, FPS, mastered)
    return SlideshowResult(
        output=str(out), duration=n_frames / FPS, frames=n_frames, fps=FPS, size=size, tempo=timeline.tempo,
        music="song" if profile is not None else "composed", style=opts.style, look=opts.look, slides=cues,
        skipped=tuple(skipped), duplicates=tuple(str(p.path) for p in dropped), written=tuple(written.items()),
        timings=tuple(timings.items()),
    )
