"""The jobs a batch can run: where their inputs come from, what they write, how one is run.

This is the one adapter between the batch runner and the pipelines. Each :class:`Job` turns
the user's INPUTS into :class:`Item` values (one per input file, brief or album), names the
outputs of an item (mirroring the input folders under OUT_DIR) and runs the pipeline on it,
in-process, in a worker, through the public API (``cinemuse.score_video`` and the rest), as
the CLI and the studio do. ``options`` is whatever the CLI built from the job's own options
(keyword arguments for the API function, or a ``ScoreOptions``); it only has to be picklable.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cinemuse.errors import BadInputError, UsageError

VIDEO_SUFFIXES = (
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mts", ".m2ts", ".ts", ".3gp", ".wmv",
    ".flv", ".mpg", ".mpeg", ".ogv",
)
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".aif", ".aiff", ".wma")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp")
# what the image writer can produce for a photo kept in its own format
WRITABLE_PHOTO = {".jpg": ".jpg", ".jpeg": ".jpg", ".png": ".png", ".tif": ".tif", ".tiff": ".tif"}


@dataclass(frozen=True)
class Item:
    """One unit of work.

    Attributes
    ----------
    key : str
        What the manifest calls the input: an absolute file path, ``BRIEFS.csv#3`` for a brief.
    rel : str
        The output name relative to OUT_DIR, without extension (posix separators).
    source : str or None
        The file (or folder) to read; None for a brief.
    brief : dict
        A compose brief's fields (empty for other jobs).
    files : tuple of str
        For an input that is a folder (a slideshow's album): the files in it that the job
        reads, which are what the manifest hashes as the input's content.
    """

    key: str
    rel: str
    source: str | None = None
    brief: dict = field(default_factory=dict)
    files: tuple[str, ...] = ()


def _hidden(path: Path) -> bool:
    return any(part.startswith(".") for part in path.parts)


def scan_files(inputs: list[Path], suffixes: tuple[str, ...], *, exclude: Path | None) -> list[Item]:
    """Files with ``suffixes`` among ``inputs``: files as given, folders searched recursively.

    Output names mirror the folders: ``IN/a/b.mp4`` -> ``a/b`` under OUT_DIR. Hidden files
    and folders, and OUT_DIR itself when it lies inside an input folder, are left out.
    """
    items: list[Item] = []
    for given in inputs:
        if given.is_dir():
            found = []
            for root, dirs, files in os.walk(given):
                rootp = Path(root)
                dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                                 and (exclude is None or (rootp / d).resolve() != exclude))
                for name in sorted(files):
                    p = rootp / name
                    if p.suffix.lower() in suffixes and not _hidden(p.relative_to(given)):
                        found.append(p)
            items += [Item(str(p.resolve()), p.relative_to(given).with_suffix("").as_posix(), str(p))
                      for p in found]
        elif given.exists():
            items.append(Item(str(given.resolve()), given.stem, str(given)))
        else:
            raise BadInputError(given, "no such file or folder")
    return items


class Job:
    """A job's batch behaviour; subclasses set ``name`` and ``suffixes`` and override ``run``."""

    name = ""
    suffixes: tuple[str, ...] = ()
    needs_models = True

    def find(self, inputs: list[Path], out_dir: Path) -> list[Item]:
        return scan_files(inputs, self.suffixes, exclude=out_dir.resolve())

    def main_output(self, item: Item, out_dir: Path, options: Any) -> Path:
        raise NotImplementedError

    def outputs(self, item: Item, out_dir: Path, options: Any) -> list[Path]:
        """Every file the item writes, the main output first."""
        return [self.main_output(item, out_dir, options)]

    def run(self, item: Item, outputs: list[Path], options: Any, *, force: bool) -> dict:
        raise NotImplementedError

    def warm(self, options: Any) -> None:
        """Load what every item needs (models, soundfont), once per worker process."""


def _warm_music() -> None:
    from cinemuse.music.drums import DrumLibrary
    from cinemuse.music.harmony import HarmonyModel
    from cinemuse.music.render import load_soundfont

    load_soundfont()
    HarmonyModel.load()
    DrumLibrary.load()


def rehearse(job: "Job", make_input, options: Any, **item_fields: Any) -> None:
    """Run ``job`` once on a tiny made-up input in a temporary folder, then forget the result.

    Loading the models is only part of a first file's fixed cost: the pipelines import their
    heavier modules (scipy.signal, ndimage, the mixer) on first use and fill first-use caches
    (soundfont presets, encoder sessions). A rehearsal pays all of that once per worker, so
    that no real file does. ``options`` must write nothing outside the output it is given.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cinemuse-warm-") as tmp:
        folder = Path(tmp)
        source = make_input(folder)
        item = Item(str(source), "rehearsal", str(source), **item_fields)
        out = folder / "out"
        out.mkdir()
        job.run(item, job.outputs(item, out, options), options, force=False)


def _tiny_video(folder: Path) -> Path:
    """One second of 64x48 picture with a cut in the middle, and a quiet tone (AAC)."""
    import numpy as np

    from cinemuse.io.video import write_video

    frames = (np.full((48, 64, 3), 40 if i < 12 else 200, np.uint8) for i in range(24))
    t = np.arange(44100, dtype=np.float32) / 44100
    tone = (0.1 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    return write_video(folder / "tiny.mp4", frames, fps=24, audio=np.stack([tone, tone], axis=1), sample_rate=44100)


def _tiny_photo(folder: Path, name: str = "tiny.png", *, grey: bool = True) -> Path:
    import numpy as np

    from cinemuse.io.image import write_image

    yy, xx = np.mgrid[0:48, 0:64]
    rgb = np.stack([xx * 4, yy * 5, (xx + yy) * 2], axis=2).astype(np.uint8)
    if grey:
        rgb = np.repeat(rgb.mean(axis=2, keepdims=True).astype(np.uint8), 3, axis=2)
    return write_image(folder / name, rgb)


# ----------------------------------------------------------------------------- score


@dataclass
class ScoreBatchOptions:
    """``ScoreOptions`` for every video, plus the folders that per-video extras go into."""

    score: Any  # cinemuse.pipelines.score.ScoreOptions (extras unset)
    audio_dir: str | None = None
    midi_dir: str | None = None
    cues_dir: str | None = None
    stems_dir: str | None = None


class FilmExtras:
    """Per-input side outputs of the jobs that make a film (score, slideshow): each extras
    folder the batch was given (``audio_dir``, ``midi_dir``, ``cues_dir``, ``stems_dir`` on the
    options) gets one file or folder per input, named and nested as the main output."""

    def _extras(self, item: Item, options) -> dict[str, Path]:
        extras = {}
        for key, folder, ext in (("audio_out", options.audio_dir, ".wav"), ("midi_out", options.midi_dir, ".mid"),
                                 ("cue_sheet", options.cues_dir, ""), ("stems_dir", options.stems_dir, "")):
            if folder is not None:
                extras[key] = Path(folder) / (item.rel + ext)
        return extras

    def outputs(self, item, out_dir, options):
        from cinemuse.pipelines.score import cue_sheet_paths

        outs = [self.main_output(item, out_dir, options)]
        for key, path in self._extras(item, options).items():
            outs += list(cue_sheet_paths(path)) if key == "cue_sheet" else [path]
        return outs


class ScoreJob(FilmExtras, Job):
    name = "score"
    suffixes = VIDEO_SUFFIXES

    def main_output(self, item, out_dir, options):
        return out_dir / (item.rel + ".mp4")

    def run(self, item, outputs, options, *, force):
        import cinemuse

        extras = self._extras(item, options)
        for p in extras.values():
            p.parent.mkdir(parents=True, exist_ok=True)
        return cinemuse.score_video(item.source, outputs[0], options.score, force=force, **extras)

    def warm(self, options):
        rehearse(self, _tiny_video, ScoreBatchOptions(options.score))


# ----------------------------------------------------------------------------- compose


COMPOSE_OPTIONS = ("duration", "tempo", "key", "mode", "mood", "style", "seed", "loop", "instruments")
BRIEF_FIELDS = ("name", "output", "format", "duration", "tempo", "key", "mode", "mood", "style",
                "instruments", "seed", "loop")


def _brief_value(name: str, value: Any) -> Any:
    """A CSV cell or JSON value as the compose option of that name takes it."""
    if value is None or value == "":
        return None
    if name in ("duration", "tempo"):
        return float(value)
    if name == "seed":
        return int(value)
    if name == "loop":
        return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "y")
    return str(value)


def read_briefs(path: Path) -> list[dict]:
    """The briefs in a CSV file (a header row of field names) or a JSON list of objects."""
    from cinemuse.io.atomic import check_input_file

    check_input_file(path)
    try:
        if path.suffix.lower() == ".json":
            rows = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(rows, dict) and isinstance(rows.get("briefs"), list):
                rows = rows["briefs"]
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise BadInputError(path, "expected a JSON list of briefs (objects)")
        else:
            with path.open(newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
    except (UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
        raise BadInputError(path, f"not a readable brief list ({exc})") from None
    briefs = []
    for i, row in enumerate(rows, 1):
        unknown = sorted(set(row) - set(BRIEF_FIELDS) - {None})
        if unknown:
            raise BadInputError(path, f"brief {i}: unknown field(s) {', '.join(unknown)} "
                                f"(known: {', '.join(BRIEF_FIELDS)})")
        try:
            briefs.append({k: _brief_value(k, v) for k, v in row.items() if k is not None
                           and _brief_value(k, v) is not None})
        except ValueError as exc:
            raise BadInputError(path, f"brief {i}: {exc}") from None
    if not briefs:
        raise BadInputError(path, "contains no briefs")
    return briefs


class ComposeJob(Job):
    """One piece per brief; ``options`` are ``build_cue`` keywords that briefs override."""

    name = "compose"

    def find(self, inputs, out_dir):
        items = []
        for path in inputs:
            if path.is_dir():
                raise BadInputError(path, "compose takes brief lists (.csv or .json), not a folder")
            for i, brief in enumerate(read_briefs(path), 1):
                stem = Path(str(brief.get("output") or brief.get("name") or f"{path.stem}-{i:03d}"))
                if stem.is_absolute() or ".." in stem.parts:
                    raise BadInputError(path, f"brief {i}: output name {stem} must stay inside OUT_DIR")
                rel = stem.with_suffix("").as_posix() if stem.suffix else stem.as_posix()
                items.append(Item(f"{path.resolve()}#{i}", rel, None, brief))
        return items

    def main_output(self, item, out_dir, options):
        given = Path(str(item.brief.get("output") or ""))
        suffix = given.suffix or "." + str(item.brief.get("format") or options.get("format") or "wav").lstrip(".")
        return out_dir / (item.rel + suffix.lower())

    def run(self, item, outputs, options, *, force):
        import cinemuse

        merged = {**options, **item.brief}
        return cinemuse.compose(outputs[0], force=force, **{k: merged.get(k) for k in COMPOSE_OPTIONS})

    def warm(self, options):
        _warm_music()


# ----------------------------------------------------------------------------- slideshow


@dataclass
class SlideshowBatchOptions:
    """``SlideshowOptions`` for every album, plus the folders that per-album extras go into."""

    slideshow: Any  # cinemuse.pipelines.slideshow.SlideshowOptions (extras unset)
    audio_dir: str | None = None
    midi_dir: str | None = None
    cues_dir: str | None = None
    stems_dir: str | None = None


def _album_photos(folder: Path) -> list[Path]:
    """The photos the slideshow would read from ``folder``: directly inside it, not hidden."""
    from cinemuse.pipelines.album import PHOTO_EXTENSIONS

    return sorted((p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                   and p.suffix.lower() in PHOTO_EXTENSIONS), key=lambda p: p.name.lower())


class SlideshowJob(FilmExtras, Job):
    """One film per album: every folder (the given ones and all below) with photos directly in it.

    ``HOLIDAYS/2025/lisbon/*.jpg`` given as ``HOLIDAYS`` becomes ``OUT_DIR/2025/lisbon.mp4``;
    a given folder that holds photos itself is an album named after that folder.
    """

    name = "slideshow"

    def find(self, inputs, out_dir):
        exclude = out_dir.resolve()
        items = []
        for given in inputs:
            if not given.is_dir():
                raise BadInputError(given, "batch slideshow takes folders of albums (one album per "
                                    "sub-folder), not files" if given.exists() else "no such file or folder")
            for root, dirs, _files in os.walk(given):
                rootp = Path(root)
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (rootp / d).resolve() != exclude)
                photos = _album_photos(rootp)
                if photos:
                    rel = rootp.relative_to(given).as_posix()
                    rel = given.resolve().name if rel == "." else rel
                    items.append(Item(str(rootp.resolve()), rel, str(rootp), files=tuple(map(str, photos))))
        return items

    def main_output(self, item, out_dir, options):
        return out_dir / (item.rel + ".mp4")

    def run(self, item, outputs, options, *, force):
        from dataclasses import replace

        from cinemuse.pipelines.slideshow import make_slideshow

        extras = self._extras(item, options)
        for p in extras.values():
            p.parent.mkdir(parents=True, exist_ok=True)
        opts = replace(options.slideshow, force=force, **extras)
        return make_slideshow([item.source], outputs[0], opts)

    def warm(self, options):
        from dataclasses import replace

        def tiny_album(folder: Path) -> Path:
            album = folder / "album"
            album.mkdir()
            _tiny_photo(album, "a.png", grey=False)
            return album

        small = replace(options.slideshow, size=(64, 36), duration=1.0)
        rehearse(self, tiny_album, SlideshowBatchOptions(small), files=("a.png",))


# ----------------------------------------------------------------------------- pictures and songs


class CoverJob(Job):
    name = "cover"
    suffixes = AUDIO_SUFFIXES

    def main_output(self, item, out_dir, options):
        return out_dir / (item.rel + ".png")

    def outputs(self, item, out_dir, options):
        from cinemuse.pipelines.cover import output_files

        groups = output_files(self.main_output(item, out_dir, options), variants=options.get("variants", 1))
        return [p for g in groups for p in g.values()]

    def run(self, item, outputs, options, *, force):
        import cinemuse

        return cinemuse.make_covers(item.source, outputs[0], force=force, **options)

    def warm(self, options):
        from cinemuse.vision.encoder import ImageEncoder

        ImageEncoder.load()


class AnalyzeJob(Job):
    """A song's profile as ``NAME.json`` (what ``cinemuse analyze --json`` prints)."""

    name = "analyze"
    suffixes = AUDIO_SUFFIXES
    needs_models = False

    def main_output(self, item, out_dir, options):
        return out_dir / (item.rel + ".json")

    def run(self, item, outputs, options, *, force):
        import cinemuse
        from cinemuse.io.atomic import atomic_output

        profile = cinemuse.analyze_song(item.source)
        record = {"song": item.source, **profile.to_dict(arrays=bool(options.get("arrays")))}
        with atomic_output(outputs[0], force=force) as tmp:
            tmp.write_text(json.dumps(record, indent=2, default=str))
        return {"output": str(outputs[0]), "tempo_bpm": record.get("tempo_bpm"), "key": record.get("key")}


def _photo_output(item: Item, out_dir: Path) -> Path:
    suffix = WRITABLE_PHOTO.get(Path(item.source).suffix.lower(), ".png")
    return out_dir / (item.rel + suffix)


class ColorizeJob(Job):
    """Photos keep their format (or become PNG); films become MP4."""

    name = "colorize"
    suffixes = PHOTO_SUFFIXES + VIDEO_SUFFIXES

    def main_output(self, item, out_dir, options):
        if Path(item.source).suffix.lower() in VIDEO_SUFFIXES:
            return out_dir / (item.rel + ".mp4")
        return _photo_output(item, out_dir)

    def run(self, item, outputs, options, *, force):
        import cinemuse

        return cinemuse.colorize_file(item.source, outputs[0], force=force, **options)

    def warm(self, options):
        rehearse(self, _tiny_photo, {**options, "references": None})


class RestoreJob(Job):
    name = "restore"
    suffixes = PHOTO_SUFFIXES
    needs_models = False

    def main_output(self, item, out_dir, options):
        return _photo_output(item, out_dir)

    def run(self, item, outputs, options, *, force):
        import cinemuse

        return cinemuse.restore_file(item.source, outputs[0], force=force, **options)


JOBS: dict[str, Job] = {job.name: job for job in (
    ScoreJob(), ComposeJob(), SlideshowJob(), CoverJob(), AnalyzeJob(), ColorizeJob(), RestoreJob(),
)}


def get_job(name: str) -> Job:
    if name in JOBS:
        return JOBS[name]
    raise UsageError(f"unknown batch job {name!r}; choose from {', '.join(JOBS)}")
