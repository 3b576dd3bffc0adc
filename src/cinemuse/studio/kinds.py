"""What the studio can run: one entry per job, its inputs, its options and how to call it.

Each job is a CLI command (``kind`` is the command's name) and its options are that command's
long options, so ``{"mood": "calm", "tempo": 90}`` means what ``--mood calm --tempo 90``
means. The studio chooses every output path itself (inside its private job folder), so the
options that name outputs on the command line are not options here: the studio always writes
the useful extras (soundtrack WAV, MIDI, cue sheet, editor timelines) and offers them as
downloads.

The table is data (served as ``GET /api/kinds``, from which the page builds its forms); the
``run_*`` functions run inside a worker process and call the public API.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from cinemuse.cuesheet import MAX_TEMPO, MIN_TEMPO
from cinemuse.errors import UsageError

STYLES = ("cinematic", "ambient", "lofi", "folk", "pop", "piano", "electronic")
MOODS = ("happy", "sad", "calm", "tense", "epic", "dreamy", "dark", "playful", "neutral")
LOOKS = ("auto", "ridges", "orbits", "weave", "flow", "bauhaus", "horizon")
SLIDE_LOOKS = ("none", "film", "warm", "cool", "faded", "mono")
# the shipped style network's styles (its metadata; a test keeps this list equal to it)
SLIDE_STYLES = ("starry-night", "great-wave", "scream", "udnie", "water-lilies", "fauve")
# every editor hand-off a score or slideshow job offers: Premiere/Resolve, Final Cut, OTIO, CMX 3600
EDITOR_TIMELINES = (".xml", ".fcpxml", ".otio", ".edl")


@dataclass(frozen=True)
class Option:
    """One long option of a command: ``type`` is str, int, float or bool."""

    name: str
    type: str
    help: str
    default: Any = None
    choices: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None

    def parse(self, value: Any) -> Any:
        """The JSON value checked and converted; a UsageError worded like the CLI's."""
        flag = f"--{self.name}"
        if value is None:
            return self.default
        if self.type == "bool":
            if not isinstance(value, bool):
                raise UsageError(f"{flag} must be true or false")
            return value
        if self.type in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise UsageError(f"{flag} must be a number")
            try:
                number = int(value) if self.type == "int" else float(value)
            except ValueError:
                raise UsageError(f"{flag} must be a number, not {value!r}") from None
            if self.type == "float" and not math.isfinite(number):
                raise UsageError(f"{flag} must be a finite number")
            if self.min is not None and self.max is not None and not self.min <= number <= self.max:
                raise UsageError(f"{flag} must be between {self.min:g} and {self.max:g}")
            return number
        if not isinstance(value, str) or len(value) > 200:
            raise UsageError(f"{flag} must be a short text")
        value = value.strip()
        if not value:
            return self.default
        if self.choices is not None and value not in self.choices:
            raise UsageError(f"{flag}: unknown value {value!r}; choose from {', '.join(self.choices)}")
        return value


@dataclass(frozen=True)
class Kind:
    """A job the studio runs.

    ``inputs`` says what the uploaded files must be: ``video``, ``audio``, ``image``, ``visual``
    (image or video), ``photos`` (images, and at most one audio file: the song) or None (no
    files); ``references`` allows more files after the first (colour reference photos,
    checked as images; for ``photos``, the rest of the album).
    """

    name: str
    title: str
    summary: str
    inputs: str | None
    options: tuple[Option, ...]
    run: Callable[..., dict] = field(repr=False)
    references: bool = False

    def parse_options(self, options: dict[str, Any]) -> dict[str, Any]:
        known = {o.name: o for o in self.options}
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise UsageError(f"{self.name}: unknown option --{unknown[0]}; options are "
                             f"{', '.join('--' + o.name for o in self.options) or 'none'}")
        return {name: o.parse(options.get(name)) for name, o in known.items()}

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name, "title": self.title, "summary": self.summary, "inputs": self.inputs,
            "references": self.references,
            "options": [{k: v for k, v in asdict(o).items() if v is not None} for o in self.options],
        }


# ----------------------------------------------------------------------------- runners
# Each runner: (inputs, options, out_dir, stem, progress) -> summary dict. ``inputs`` are the
# uploaded files (studio-named paths), ``stem`` a safe base name for the outputs. They call
# only cinemuse's public API (``import cinemuse``), as a script would.


def _named(upload: Path, stem: str) -> Path:
    """The upload under its owner's (safe) name, as a hard link beside it: what the editor
    timelines reference, so that an editor relinks it to the user's own copy by name."""
    import os

    named = upload.parent / "named" / f"{stem}{upload.suffix}"
    try:
        named.parent.mkdir(exist_ok=True)
        os.link(upload, named)
    except OSError:  # a file system without hard links: the studio's own name then
        return upload
    return named


def run_score(inputs, options, out_dir: Path, stem: str, progress) -> dict:
    import json

    import cinemuse

    cues = out_dir / f"{stem}_cues"
    opts = cinemuse.ScoreOptions(
        style=options["style"], mood=options["mood"], tempo=options["tempo"],
        seed=options["seed"], intensity=options["intensity"], duck_db=options["duck"],
        replace_audio=options["replace-audio"],
        audio_out=out_dir / f"{stem}_soundtrack.wav", midi_out=out_dir / f"{stem}_music.mid",
        stems_dir=out_dir / f"{stem}_stems" if options["stems"] else None, cue_sheet=cues,
        timeline=[out_dir / f"{stem}_timeline{ext}" for ext in EDITOR_TIMELINES],
        markers=[out_dir / f"{stem}_resolve_markers.edl", out_dir / f"{stem}_markers.csv"],
    )
    # .mp4, or .mov/.mkv for a picture MP4 cannot hold (ProRes, FFV1): named as the CLI names it
    scored = cinemuse.scored_video_name(inputs[0], out_dir, stem=stem)
    summary = cinemuse.score_video(_named(inputs[0], stem), scored, opts,
                                   progress=progress).to_dict()
    record = json.loads(cues.with_name(cues.name + ".json").read_text())
    summary["cues"] = {k: record[k] for k in ("duration", "frames", "tempo", "meter",
                                               "first_downbeat", "sections", "cuts", "hits")}
    return summary


def run_compose(inputs, options, out_dir: Path, stem: str, progress) -> dict:
    import cinemuse

    cue = cinemuse.build_cue(
        duration=options["duration"], tempo=options["tempo"], key=options["key"],
        mode=options["mode"], mood=options["mood"], style=options["style"], seed=options["seed"],
        loop=options["loop"],
    )
    name = f"music_{(options['mood'] or 'auto').replace(',', '_')}_{options['seed']}"
    summary = cinemuse.compose(
        out_dir / f"{name}.wav", cue, instruments=options["instruments"],
        stems_dir=out_dir / f"{name}_stems" if options["stems"] else None, progress=progress).to_dict()
    cinemuse.compose(out_dir / f"{name}.mid", cue, instruments=options["instruments"])
    return summary


def run_cover(inputs, options, out_dir: Path, stem: str, progress) -> dict:
    import cinemuse

    return cinemuse.make_covers(
        inputs[0], out_dir / f"{stem}_cover.png", variants=options["variants"], seed=options["seed"],
        look=options["look"], title=options["title"], artist=options["artist"],
        text_colour=options["text-color"], progress=progress).to_dict()


def run_analyze(inputs, options, out_dir: Path, stem: str, progress) -> dict:
    import json

    import cinemuse

    profile = cinemuse.analyze_song(inputs[0], progress=progress).to_dict()
    (out_dir / f"{stem}_analysis.json").write_text(json.dumps(profile, indent=2, default=float))
    return profile


def run_colorize(inputs, options, out_dir: Path, stem: str, progress) -> dict:
    import cinemuse

    suffix = ".png" if inputs[0].suffix.lower() in _PICTURE_SUFFIXES else ".mp4"
    return cinemuse.colorize_file(
        inputs[0], out_dir / f"{stem}_colour{suffix}", references=list(inputs[1:]),
        saturation=options["saturation"], temperature=options["temperature"],
        work_side=options["work-size"], key_interval=options["key-interval"], progress=progress).to_dict()


def run_restore(inputs, options, out_dir: Path, stem: str, progress) -> dict:
    import cinemuse

    steps = (["negative"] if options["negative"] else []) + [
        s for s in ("scratches", "denoise", "levels") if options[s]]
    negative = {"color": "colour"}.get(options["negative"], options["negative"])
    return cinemuse.restore_file(inputs[0], out_dir / f"{stem}_restored.png", steps=steps or None,
                                 negative=negative, progress=progress).to_dict()


def run_slideshow(inputs, options, out_dir: Path, stem: str, progress) -> dict:
    """``inputs``: the photos, then the song if one was given (the server put it in ``song/``)."""
    import json

    import cinemuse

    photos = [p for p in inputs if p.parent.name != "song"]
    song = next((p for p in inputs if p.parent.name == "song"), None)
    if options["preview-styles"]:  # every style on the first photo, small, instead of the film
        return cinemuse.preview_styles(photos[0], out_dir, stem=stem, look=options["look"],
                                       strength=options["style-strength"], progress=progress).to_dict()
    composed = song is None
    opts = cinemuse.SlideshowOptions(
        duration=options["duration"], song=song, style=None if options["style"] == "none" else options["style"], style_strength=options["style-strength"],
        look=options["look"], aspect=options["aspect"], mood=options["mood"], music_style=options["music-style"],
        tempo=options["tempo"], seed=options["seed"], title=options["title"], order="given",
        cue_sheet=out_dir / f"{stem}_cues", audio_out=out_dir / f"{stem}_soundtrack.wav",
        midi_out=out_dir / f"{stem}_music.mid" if composed else None,
        stems_dir=out_dir / f"{stem}_stems" if composed and options["stems"] else None,
        timeline=[out_dir / f"{stem}_timeline{ext}" for ext in EDITOR_TIMELINES],
        markers=[out_dir / f"{stem}_resolve_markers.edl", out_dir / f"{stem}_markers.csv"])
    summary = cinemuse.make_slideshow(photos, out_dir / f"{stem}_slideshow.mp4", opts, progress=progress).to_dict()
    record = json.loads((out_dir / f"{stem}_cues.json").read_text())
    summary["cues"] = {k: record[k] for k in ("duration", "tempo", "sections", "hits")}
    return summary


_PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp", ".gif")


# ----------------------------------------------------------------------------- the table

_SEED = Option("seed", "int", "random seed; same seed, same result", 0, min=0, max=2**31 - 1)

KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("score", "Score a video", "An original soundtrack that follows the cuts, motion and light.",
         "video", (
             Option("mood", "str", "override the picture's mood: a name or VALENCE,AROUSAL"),
             Option("style", "str", "arrangement style (default: from the mood)", choices=STYLES),
             Option("tempo", "float", "fixed tempo in bpm (default: fitted to the cuts)", min=MIN_TEMPO, max=MAX_TEMPO),
             Option("intensity", "float", "0 restrained .. 2 driving", 1.0, min=0, max=2),
             Option("duck", "float", "dB the music dips under the video's own sound", 10.0, min=0, max=60),
             Option("replace-audio", "bool", "drop the original sound", False),
             Option("stems", "bool", "also one WAV per instrument", False),
             _SEED,
         ), run_score),
    Kind("slideshow", "Photo slideshow", "Photos become a film cut on the beat of original music, or your song.",
         "photos", (
             Option("look", "str", "photographic grade", "none", choices=SLIDE_LOOKS),
             Option("style", "str", "paint every photo in a learned style", "none", choices=("none",) + SLIDE_STYLES),
             Option("style-strength", "float", "0 the photo .. 1 the painting's style", 1.0, min=0, max=1),
             Option("aspect", "str", "16:9 landscape, 9:16 vertical, 1:1, 4:5", "16:9", choices=("16:9", "9:16", "1:1", "4:5")),
             Option("title", "str", "an opening title card"),
             Option("duration", "float", "exact length in seconds (default: from the photos, or the song's)",
                    min=1, max=3600),
             Option("mood", "str", "override the photos' mood: a name or VALENCE,AROUSAL"),
             Option("music-style", "str", "arrangement style of composed music", choices=STYLES),
             Option("tempo", "float", "fixed tempo in bpm", min=40, max=200),
             Option("stems", "bool", "also one WAV per instrument (composed music)", False),
             _SEED,
             Option("preview-styles", "bool", "instead of the film: every style on the first photo, small", False),
         ), run_slideshow, references=True),
    Kind("compose", "Compose music", "Music of an exact length and mood.", None, (
        Option("duration", "float", "length in seconds", 30.0, min=5, max=1200),
        Option("mood", "str", "a name or VALENCE,AROUSAL"),
        Option("style", "str", "arrangement style", choices=STYLES),
        Option("tempo", "float", "beats per minute", min=MIN_TEMPO, max=MAX_TEMPO),
        Option("key", "str", "tonic, e.g. C, F#, 'D minor'"),
        Option("mode", "str", "major or minor", choices=("major", "minor")),
        Option("instruments", "str", "ROLE=INSTRUMENT,... e.g. melody=flute"),
        Option("loop", "bool", "a seamless loop", False),
        Option("stems", "bool", "also one WAV per instrument", False),
        _SEED,
    ), run_compose),
    Kind("cover", "Album cover", "A store-ready cover that looks the way the song sounds.", "audio", (
        Option("title", "str", "title text"),
        Option("artist", "str", "artist text"),
        Option("text-color", "str", "text colour, e.g. #ffffff"),
        Option("look", "str", "visual family", "auto", choices=LOOKS),
        Option("variants", "int", "how many covers to draw", 4, min=1, max=12),
        _SEED,
    ), run_cover),
    Kind("analyze", "Analyse a song", "Tempo, key, beats, sections and mood.", "audio", (), run_analyze),
    Kind("colorize", "Colourise", "Colour for a black-and-white photo or film.", "visual", (
        Option("saturation", "float", "colour strength (0 = grey)", 1.0, min=0, max=4),
        Option("temperature", "float", "automatic colour boldness: lower is more vivid", min=0.05, max=2),
        Option("work-size", "int", "longer side the model looks at", min=64, max=2048),
        Option("key-interval", "int", "video: model every N frames", 8, min=1, max=100),
    ), run_colorize, references=True),
    Kind("restore", "Restore a photo", "Denoise, dust and scratches, negatives, levels.", "image", (
        Option("denoise", "bool", "remove grain and noise", False),
        Option("scratches", "bool", "paint out dust and scratches", False),
        Option("levels", "bool", "stretch black and white points", False),
        Option("negative", "str", "develop a scanned negative", choices=("colour", "color", "bw")),
    ), run_restore),
)}
