"""The `cover` job: song file -> store-ready covers (square PNG + JPEG, thumbnail, vertical).

For ``-o cover.png`` one variant writes::

    cover.png            3000x3000 sRGB PNG
    cover.jpg            3000x3000 sRGB JPEG
    cover-thumb.jpg      1280x720, recomposed for the wide frame (drawn natively, not cropped)
    cover-vertical.jpg   1080x1920, recomposed for the tall frame

and ``--variants N`` adds ``cover-v2.png`` ... ``cover-vN.png`` (each with its JPEG, thumbnail
and vertical), variant ``k`` drawn with seed ``seed + k - 1``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from cinemuse.pipelines.results import Result
from cinemuse.progress import SILENT, Progress

# Each variant is four pictures (~25 MB) held as temporaries until all are committed together.
MAX_VARIANTS = 20


@dataclass(frozen=True)
class CoverVariant(Result):
    """One drawn variant: its seed and look, its ``files`` (``square_png``, ``square_jpg``,
    ``thumb``, ``vertical``) and the text's contrast, colour and scrim (None without text)."""

    seed: int
    look: str
    files: dict[str, str]
    text_contrast: float | None = None
    text_colour: str | None = None
    scrim: float | None = None

    def to_dict(self) -> dict:  # the text fields stay, as null, when there is no text
        return {"seed": self.seed, "look": self.look, "files": dict(self.files),
                "text_contrast": self.text_contrast, "text_colour": self.text_colour,
                "scrim": self.scrim}


@dataclass(frozen=True)
class CoverResult(Result):
    """What :func:`make_covers` made: the song's key, tempo and mood (with the base colour it
    maps to), one :class:`CoverVariant` per variant, and the seconds spent."""

    song: str
    key: str
    tempo_bpm: float
    mood: dict
    covers: tuple[CoverVariant, ...]
    seconds_analysis: float
    seconds_total: float


def output_files(output: str | os.PathLike, *, variants: int = 1) -> list[dict[str, Path]]:
    """Files per variant: keys ``square_png``, ``square_jpg``, ``thumb``, ``vertical``."""
    out = Path(output)
    stem, folder = out.stem, out.parent
    files = []
    for k in range(1, variants + 1):
        name = stem if k == 1 else f"{stem}-v{k}"
        files.append({
            "square_png": folder / f"{name}.png",
            "square_jpg": folder / f"{name}.jpg",
            "thumb": folder / f"{name}-thumb.jpg",
            "vertical": folder / f"{name}-vertical.jpg",
        })
    return files


def parse_colour(text: str | None) -> tuple[float, float, float] | None:
    """'#ffcc00', 'ffcc00', 'white', 'rgb(255,204,0)' -> sRGB 0..1; UsageError when unreadable."""
    if text is None:
        return None
    from PIL import ImageColor

    from cinemuse.errors import UsageError

    candidate = text.strip()
    if len(candidate) in (3, 6) and all(c in "0123456789abcdefABCDEF" for c in candidate):
        candidate = "#" + candidate
    try:
        rgb = ImageColor.getrgb(candidate)
    except ValueError:
        raise UsageError(
            f"--text-color {text!r} is not a colour (try '#ffcc00' or 'white')") from None
    return tuple(c / 255.0 for c in rgb[:3])


def make_covers(
    song: str | os.PathLike, output: str | os.PathLike, *, variants: int = 1, seed: int = 0,
    look: str | None = None, title: str | None = None, artist: str | None = None,
    font: str | os.PathLike | None = None, text_colour: str | None = None, force: bool = False,
    progress: Progress = SILENT,
) -> CoverResult:
    """Analyse ``song`` and write ``variants`` covers next to ``output`` (see the module)."""
    t0 = time.perf_counter()
    colour, files, outputs = _check_cover_request(
        song, output, variants=variants, look=look, font=font, text_colour=text_colour,
        force=force, title=title, artist=artist)
    from cinemuse.pipelines.analyze import analyze_file
    from cinemuse.vision.cover import (
        STORE_SIZE, THUMB_SIZE, VERTICAL_SIZE, draw_cover, save_image,
    )

    profile = analyze_file(song, progress=progress)
    t_analysis = time.perf_counter() - t0
    chosen = None if look in (None, "auto") else look
    results = []
    with outputs, progress.stage("Drawing covers", total=variants * 3) as st:
        for k, group in enumerate(files):
            variant_seed = seed + k
            kwargs = dict(look=chosen, seed=variant_seed, title=title, artist=artist, font=font,
                          text_colour=colour)
            square = draw_cover(profile, width=STORE_SIZE, height=STORE_SIZE, **kwargs)
            record = _text_record(square, title=title, artist=artist, font=font)
            save_image(outputs.stage(group["square_png"]), square.image, text=record)
            save_image(outputs.stage(group["square_jpg"]), square.image, quality=93, text=record)
            st.advance()
            thumb = draw_cover(profile, width=THUMB_SIZE[0], height=THUMB_SIZE[1], **kwargs)
            save_image(outputs.stage(group["thumb"]), thumb.image, quality=90, text=record)
            st.advance()
            vertical = draw_cover(profile, width=VERTICAL_SIZE[0], height=VERTICAL_SIZE[1],
                                  **kwargs)
            save_image(outputs.stage(group["vertical"]), vertical.image, quality=90, text=record)
            st.advance()
            text = square.text
            results.append(CoverVariant(
                seed=variant_seed,
                look=square.look,
                files={name: str(path) for name, path in group.items()},
                text_contrast=None if text is None else text.contrast,
                text_colour=None if text is None else
                "#%02x%02x%02x" % tuple(int(round(c * 255)) for c in text.colour),
                scrim=None if text is None else text.scrim_alpha,
            ))
    return CoverResult(
        song=str(song),
        key=profile.key,
        tempo_bpm=round(profile.tempo_bpm, 2),
        mood=draw_mood_summary(profile),
        covers=tuple(results),
        seconds_analysis=round(t_analysis, 2),
        seconds_total=round(time.perf_counter() - t0, 2),
    )


def _text_record(cover, *, title, artist, font) -> dict | None:
    """What the cover's file records of its text, for ``cover --check``'s glyph rule."""
    if cover.text is None:
        return None
    return {"title": title or None, "artist": artist or None,
            "font": None if font is None else str(font), "fonts": list(cover.text.fonts)}


def _check_cover_request(song, output, *, variants, look, font, text_colour, force, title=None,
                         artist=None):
    """Every check that can fail before any work; returns the text colour, the files, their OutputSet."""
    from cinemuse.errors import BadInputError, UsageError
    from cinemuse.io.atomic import OutputSet, check_input_file
    from cinemuse.vision.cover_looks import LOOKS

    if Path(output).suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise UsageError(f"output {output} must end in .png or .jpg")
    if not 1 <= variants <= MAX_VARIANTS:
        raise UsageError(f"--variants must be between 1 and {MAX_VARIANTS}, got {variants}")
    if look not in (None, "auto") and look not in LOOKS:
        raise UsageError(f"unknown --look {look!r}; choose from auto, {', '.join(LOOKS)}")
    inputs = [check_input_file(song)]
    if font is not None:
        font_path = check_input_file(font)
        inputs.append(font_path)
        try:
            from PIL import ImageFont

            ImageFont.truetype(str(font_path), 20)
        except OSError:
            raise BadInputError(font_path, "not a TrueType/OpenType font") from None
    from cinemuse.vision.fonts import require_covered

    # refused, not drawn as boxes: a store-ready cover with tofu in its title is no use
    require_covered(title, "--title", font, bold=True)
    require_covered(artist, "--artist", font, bold=False)
    colour = parse_colour(text_colour)
    files = output_files(output, variants=variants)
    outputs = OutputSet(force=force, inputs=inputs)
    for group in files:  # fail before any work if an output cannot be written
        for name, path in group.items():
            outputs.add(path, what="-o" if name == "square_png" else f"-o ({path.name})")
    return colour, files, outputs


def draw_mood_summary(profile) -> dict:
    """The mood cues, the genre, and the base colour they map to (for the summary)."""
    from cinemuse.vision.cover import genre_colour, mood_colour, oklch_in_gamut, song_genre

    genre = song_genre(profile)
    m = genre_colour(mood_colour(profile.valence, profile.arousal, profile.intensity), genre)
    rgb = oklch_in_gamut(m.lightness, m.chroma, m.hue)
    return {
        "valence": round(profile.valence, 3),
        "arousal": round(profile.arousal, 3),
        "intensity": round(profile.intensity, 3),
        "genre": genre,
        "base_colour": "#%02x%02x%02x" % tuple(int(round(c * 255)) for c in rgb),
        "oklch": [round(m.lightness, 3), round(m.chroma, 3), round(m.hue, 1)],
    }
