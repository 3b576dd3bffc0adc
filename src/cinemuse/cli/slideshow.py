"""`cinemuse slideshow`: turn photos into a film that changes on the beat of original music."""

from __future__ import annotations

import argparse

from cinemuse.cli.argtypes import seed

HELP = "turn a folder of photos into a film cut on the beat of original music (or your song)"
DESCRIPTION = """\
Turn an album of photos into a film, cut to the beat of original music.

Photos are ordered by when they were taken (EXIF), then by name; near-identical bursts
are reduced to their sharpest shot; unreadable files are skipped with a warning. Each
photo gets a slow, eased camera move towards its faces (or its most salient part); faces
stay in frame. Portrait photos in a landscape film are shown whole over a blurred copy of
themselves; panoramas (and landscape photos in a vertical film) are panned across.

Music is composed for the album: every photo change is a hit on a beat (downbeats
preferred), transitions are centred on the beat, sections follow the album's groups and
the mood follows the photos' light and colour. With --song, your track's own beats place
the changes instead.

examples:
  cinemuse slideshow holiday/ -o holiday.mp4
  cinemuse slideshow holiday/ -o reel.mp4 --aspect 9:16 --look film --duration 30
  cinemuse slideshow a.jpg b.jpg c.jpg -o trip.mp4 --song track.mp3 --title "Lisbon 2026"
  cinemuse slideshow holiday/ -o painted.mp4 --style starry-night --style-strength 0.8
  cinemuse slideshow --list-styles
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("photos", metavar="PHOTOS", nargs="*", help="photo files and/or folders of photos")
    parser.add_argument("-o", "--output", metavar="OUT.mp4", help="output film (default: album.mp4 beside the first input)")
    parser.add_argument("--duration", type=float, metavar="S",
                        help="exact length in seconds (default: from the photo count and tempo; with --song: the song's)")
    parser.add_argument("--order", choices=("date", "name", "given"), default="date",
                        help="photo order: capture time then name (default), name, or as given")
    parser.add_argument("--keep-duplicates", action="store_true", help="keep near-identical burst shots")
    parser.add_argument("--title", metavar="TEXT", help="an opening title card")
    picture = parser.add_argument_group("picture")
    picture.add_argument("--aspect", choices=("16:9", "9:16", "1:1", "4:5"), default="16:9",
                         help="16:9 = 1920x1080 (default), 9:16 = 1080x1920, 1:1 = 1080x1080, 4:5 = 1080x1350")
    picture.add_argument("--look", default="none", help="photographic grade: none, film, warm, cool, faded, mono")
    picture.add_argument("--style", help="paint every photo in a learned style (see --list-styles)")
    picture.add_argument("--style-strength", type=float, default=1.0, metavar="X",
                         help="0 (the photo) .. 1 (the painting's style, default)")
    picture.add_argument("--list-styles", action="store_true", help="list the learned styles and exit")
    music = parser.add_argument_group("music")
    music.add_argument("--song", metavar="AUDIO", help="your own track instead of composed music")
    music.add_argument("--mood", help="override the photos' mood: a name (happy, sad, calm, tense, epic, "
                       "dreamy, dark, playful, neutral) or VALENCE,AROUSAL in -1..1")
    music.add_argument("--music-style", help="arrangement style, e.g. cinematic, piano, ambient, electronic")
    music.add_argument("--tempo", type=float, metavar="BPM", help="fixed tempo (default: from the mood)")
    music.add_argument("--seed", type=seed, default=0, help="random seed; same seed, same film (default 0)")
    extra = parser.add_argument_group("extra outputs")
    extra.add_argument("--cue-sheet", metavar="PATH", help="also write PATH.json and PATH.csv: every photo's "
                       "start, end and transition, tempo and hits")
    extra.add_argument("--audio", metavar="WAV", help="also write the soundtrack (.wav/.flac/.mp3)")
    extra.add_argument("--midi", metavar="MID", help="also write the music as MIDI (composed music only)")
    extra.add_argument("--stems", metavar="DIR", help="also write one WAV per instrument (composed music only)")
    extra.add_argument("--timeline", metavar="FILE", action="append",
                       help="also write an editor timeline: the film, its soundtrack (and --stems), a marker "
                       "at every photo change and hit, sections as ranged markers; by extension: .otio, "
                       ".xml (Final Cut Pro 7 XML: Premiere Pro, DaVinci Resolve), .fcpxml (Final Cut Pro), "
                       ".edl (CMX 3600); may be repeated")
    extra.add_argument("--markers", metavar="FILE", action="append",
                       help="also write the markers alone: .edl (DaVinci Resolve's marker EDL) or .csv")


def options_from_args(args):
    """The command's options as ``SlideshowOptions`` (checked; the batch builds its options here too)."""
    from pathlib import Path

    from cinemuse.errors import UsageError
    from cinemuse.pipelines.score import parse_mood
    from cinemuse.pipelines.slideshow import SlideshowOptions

    if args.tempo is not None and not 40 <= args.tempo <= 200:
        raise UsageError("--tempo must be between 40 and 200 bpm")
    if args.music_style is not None:
        from cinemuse.music.styles import STYLES

        if args.music_style not in STYLES:
            raise UsageError(f"--music-style: unknown style {args.music_style!r}; choose from {', '.join(STYLES)}")
    p = lambda x: None if x is None else Path(x)  # noqa: E731
    return SlideshowOptions(
        duration=args.duration, song=p(args.song), style=args.style, style_strength=args.style_strength,
        look=args.look, aspect=args.aspect, mood=parse_mood(args.mood), music_style=args.music_style,
        tempo=args.tempo, seed=args.seed, title=args.title, order=args.order,
        keep_duplicates=args.keep_duplicates, cue_sheet=p(args.cue_sheet), audio_out=p(args.audio),
        midi_out=p(args.midi), stems_dir=p(args.stems), timeline=args.timeline,
        markers=args.markers, force=args.force,
    )


def run(args: argparse.Namespace, progress) -> dict:
    from pathlib import Path

    from cinemuse.errors import UsageError

    if args.list_styles:
        from cinemuse.vision.stylize import list_styles

        return {"styles": [s.to_dict() for s in list_styles()]}
    if not args.photos:
        raise UsageError("give one or more photos or folders (or --list-styles)")
    from cinemuse.pipelines.slideshow import make_slideshow

    opts = options_from_args(args)
    first = Path(args.photos[0])
    out = Path(args.output) if args.output else (first if first.is_dir() else first.parent) / "album.mp4"
    result = make_slideshow(args.photos, out, opts, progress=progress)
    import sys

    for line in result.skipped:  # one warning line per unusable file, even with --json (stderr)
        print(f"cinemuse slideshow: warning: skipped {line}", file=sys.stderr)
    return result.to_dict()


def describe(result: dict) -> str:
    if "styles" in result:
        return "\n".join(f"{s['name']:14s} {s['title']} ({s['artist']}, {s['year']})" for s in result["styles"])
    lines = [f"wrote {result['output']}  ({result['duration']:.2f} s, {result['photos']} photos, "
             f"{result['tempo']:.1f} bpm, {result['music']} music)"]
    if result["skipped"]:
        lines.append(f"  skipped {len(result['skipped'])} unreadable files")
    if result["duplicates"]:
        lines.append(f"  left out {len(result['duplicates'])} near-duplicates")
    for k, v in result["written"].items():
        if k != "video":
            lines.append(f"  {k}: {v}")
    return "\n".join(lines)
