"""Album covers that look the way a song sounds: colour from its mood, shapes from its data.

Colour mapping (the mood -> colour rules, from music-colour association studies)
------------------------------------------------------------------------------
Palmer, Schloss, Xu & Prado-Leon (2013, PNAS 110(22)) found that across cultures faster music
in a major key is matched with lighter, more saturated, yellower colours, and slower music in
a minor key with darker, greyer, bluer ones; Whiteford, Schloss, Helwig & Palmer (2018,
i-Perception 9(6)) found that louder, more distorted, more energetic music goes with darker,
redder, more saturated colours.  With the song's valence ``v`` (mode + tempo + brightness,
-1..1), arousal ``a`` (loudness + onset density + tempo, -1..1) and intensity ``i`` (loudness +
noisiness, 0..1) from :mod:`cinemuse.analysis.audio`, the base colour in OKLCH is::

    lightness L = 0.58 + 0.26 v + 0.04 a - 0.18 i            (major/fast lighter; loud darker)
    chroma    C = 0.04 + 0.05 (a+1) + 0.045 (v+1) + 0.05 i   (fast, loud -> more saturated)
    hue       h = 255 deg (blue) at v = -1 .. 90 deg (yellow) at v = +1, the warm way
                  round (violet, rose, coral), then pulled toward red (25 deg) by 0.5 i

(chroma set so that its CIELAB chroma C*ab = 330 C at every hue, reduced where a colour falls
outside sRGB), and every colour of the cover (background
gradient, inks, accent) is placed around it, so the
average lightness, saturation and yellowness of the whole cover follow the same rules.  The
benchmark ``benchmarks/bench_cover.py`` checks the directions on rendered tune pairs.

Genre mapping (seed 004: covers should differ between genres)
-------------------------------------------------------------
When the song carries tags (``cinemuse analyze`` / ``cover`` run the musicnn taggers, see
:mod:`cinemuse.analysis.tags`), its genre family picks the look and nudges the palette; the
mood still sets the colour, so the rules above keep their direction within a genre.  This is
a design choice (common conventions of cover art), not a finding of a study::

    genre        looks (first that the mood rule also picks, else the first)   chroma  lightness
    electronic   flow, orbits, ridges                                          x1.15   -0.03
    rock         ridges, flow, bauhaus                                         x1.05   -0.04
    metal        ridges, flow                                                  x0.85   -0.08
    pop          bauhaus, orbits, flow                                         x1.10   +0.03
    hip-hop      bauhaus, ridges                                               x1.05   -0.03
    jazz         orbits, weave                                                 x0.90   -0.02
    folk         weave, horizon                                                x0.85   +0.02
    classical    horizon, weave                                                x0.80   +0.03
    ambient      horizon, flow                                                 x0.75   +0.02

(:data:`GENRE_LOOKS`).  A genre whose score is below :data:`GENRE_MIN_SCORE` (no tag of the
family is at all likely) counts as none: the mood alone decides, as for untagged songs.

Composition: each *look* (:mod:`cinemuse.vision.cover_looks`) draws from the song's own data
(spectrum, beats, sections, chroma, energy, loudness).  The seed changes the layout choices
within a look; the same profile, look and seed give the same pixels.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cinemuse.vision.color import linear_to_srgb, srgb_to_linear
from cinemuse.vision.cover_looks import LOOKS, choose_look, song_fingerprint
from cinemuse.vision.cover_looks.canvas import Canvas, Palette

STORE_SIZE = 3000
THUMB_SIZE = (1280, 720)
VERTICAL_SIZE = (1080, 1920)
MAX_FILE_BYTES = 10 * 1024 * 1024
MIN_CONTRAST = 4.5


# ----------------------------------------------------------------------------- colour


def oklch_to_srgb(lightness, chroma, hue_deg) -> np.ndarray:
    """OKLCH (Ottosson 2020) to gamma-encoded sRGB 0..1, clipped; broadcasts, (..., 3)."""
    L = np.asarray(lightness, dtype=np.float64)
    h = np.deg2rad(np.asarray(hue_deg, dtype=np.float64))
    a = np.asarray(chroma, dtype=np.float64) * np.cos(h)
    b = np.asarray(chroma, dtype=np.float64) * np.sin(h)
    l_ = L + 0.3963377774 * a + 0.2158037573 * b
    m_ = L - 0.1055613458 * a - 0.0638541728 * b
    s_ = L - 0.0894841775 * a - 1.2914855480 * b
    l, m, s = l_**3, m_**3, s_**3
    r = 4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s
    g = -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s
    bl = -0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s
    return linear_to_srgb(np.clip(np.stack([r, g, bl], axis=-1), 0.0, 1.0))


def _lerp_hue(h0: float, h1: float, t: float) -> float:
    d = ((h1 - h0 + 180.0) % 360.0) - 180.0  # shortest way round
    return (h0 + d * t) % 360.0


def oklch_in_gamut(lightness: float, chroma: float, hue_deg: float) -> np.ndarray:
    """sRGB of an OKLCH colour, chroma reduced (hue and lightness kept) until it fits sRGB."""
    lo, hi = 0.0, float(chroma)
    if _in_gamut(lightness, hi, hue_deg):
        return oklch_to_srgb(lightness, hi, hue_deg)
    for _ in range(18):  # bisection on chroma
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _in_gamut(lightness, mid, hue_deg) else (lo, mid)
    return oklch_to_srgb(lightness, lo, hue_deg)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB 0..1 -> CIELAB (D65), (..., 3)."""
    lin = srgb_to_linear(np.asarray(rgb, dtype=np.float64))
    m = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


LAB_CHROMA_PER_OK_CHROMA = 330.0  # CIELAB C*ab per unit of OKLCH chroma, for warm hues


def mood_srgb(lightness: float, chroma: float, hue_deg: float) -> np.ndarray:
    """sRGB colour with OKLCH lightness and hue and a CIELAB chroma of 330 x ``chroma``.

    CIELAB inflates the chroma of blues and purples compared with OKLCH (a known
    non-uniformity); matching the CIELAB chroma keeps "more saturated" meaning the same
    thing at every hue, so saturation follows the mood whatever the hue.
    """
    target = LAB_CHROMA_PER_OK_CHROMA * float(chroma)
    lo, hi = 0.0, max(float(chroma) * 1.6, 1e-4)
    for _ in range(16):  # CIELAB chroma grows with OKLCH chroma: bisection
        mid = (lo + hi) / 2
        lab = srgb_to_lab(oklch_in_gamut(lightness, mid, hue_deg))
        if np.hypot(lab[1], lab[2]) < target:
            lo = mid
        else:
            hi = mid
    return oklch_in_gamut(lightness, lo, hue_deg)


def _in_gamut(lightness: float, chroma: float, hue_deg: float) -> bool:
    h = np.deg2rad(hue_deg)
    a, b = chroma * np.cos(h), chroma * np.sin(h)
    l_ = lightness + 0.3963377774 * a + 0.2158037573 * b
    m_ = lightness - 0.1055613458 * a - 0.0638541728 * b
    s_ = lightness - 0.0894841775 * a - 1.2914855480 * b
    l, m, s = l_**3, m_**3, s_**3
    rgb = (4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
           -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
           -0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s)
    return all(-1e-4 <= c <= 1.0001 for c in rgb)


@dataclass
class MoodColour:
    """The base colour a song's mood maps to (OKLCH) and the cues that set it."""

    lightness: float
    chroma: float
    hue: float
    valence: float
    arousal: float
    intensity: float


def mood_colour(valence: float, arousal: float, intensity: float) -> MoodColour:
    """The base OKLCH colour for a mood; the mapping is stated in the module docstring."""
    v, a, i = float(valence), float(arousal), float(intensity)
    lightness = float(np.clip(0.58 + 0.26 * v + 0.04 * a - 0.18 * i, 0.2, 0.9))
    chroma = float(np.clip(0.04 + 0.05 * (a + 1) + 0.045 * (v + 1) + 0.05 * i, 0.02, 0.24))
    # blue (255) -> violet -> rose (352) -> coral -> yellow (90): the warm way round keeps
    # mid-valence colours clear (no olive), and b* (yellowness) still rises monotonically
    hue = (255.0 + 195.0 * (v + 1.0) / 2.0) % 360.0
    hue = _lerp_hue(hue, 25.0, 0.5 * i)  # louder / noisier -> redder
    return MoodColour(lightness, chroma, hue, v, a, i)


# genre family (cinemuse.analysis.tags.GENRE_FAMILIES) -> (looks, chroma factor, lightness shift)
GENRE_LOOKS: dict[str, tuple[tuple[str, ...], float, float]] = {
    "electronic": (("flow", "orbits", "ridges"), 1.15, -0.03),
    "rock": (("ridges", "flow", "bauhaus"), 1.05, -0.04),
    "metal": (("ridges", "flow"), 0.85, -0.08),
    "pop": (("bauhaus", "orbits", "flow"), 1.10, 0.03),
    "hip-hop": (("bauhaus", "ridges"), 1.05, -0.03),
    "jazz": (("orbits", "weave"), 0.90, -0.02),
    "folk": (("weave", "horizon"), 0.85, 0.02),
    "classical": (("horizon", "weave"), 0.80, 0.03),
    "ambient": (("horizon", "flow"), 0.75, 0.02),
}
GENRE_MIN_SCORE = 0.1  # the family's strongest tag probability below which a genre counts as none


def song_genre(profile) -> str | None:
    """The song's genre family from its tags, or None (untagged, or no family likely)."""
    tags = getattr(profile, "tags", None)
    genre = getattr(tags, "genre", None)
    if genre not in GENRE_LOOKS or tags.genre_scores.get(genre, 0.0) < GENRE_MIN_SCORE:
        return None
    return genre


def genre_look(profile, genre: str | None) -> str:
    """The look for a song when the user names none: the mood rule's choice where the genre
    allows it, else the genre's first look (see the module docstring)."""
    mood_look = choose_look(profile)
    if genre is None:
        return mood_look
    looks = GENRE_LOOKS[genre][0]
    return mood_look if mood_look in looks else looks[0]


def genre_colour(mood: MoodColour, genre: str | None) -> MoodColour:
    """The mood colour nudged for the genre (chroma scaled, lightness shifted); hue kept."""
    if genre is None:
        return mood
    _, chroma_factor, lightness_shift = GENRE_LOOKS[genre]
    return MoodColour(float(np.clip(mood.lightness + lightness_shift, 0.2, 0.9)),
                      float(np.clip(mood.chroma * chroma_factor, 0.02, 0.24)), mood.hue,
                      mood.valence, mood.arousal, mood.intensity)


def make_palette(mood: MoodColour, rng: np.random.Generator) -> Palette:
    """Background gradient, inks and accent around the mood colour (seeded variation).

    The background carries the mood colour itself (it covers most of the cover, so the
    cover's average lightness, saturation and hue follow the mood); the inks keep its hue
    family at a contrasting lightness; the accent is a small-area contrasting hue.
    """
    L, C, h = mood.lightness, mood.chroma, mood.hue
    spread = float(rng.choice([18.0, 30.0, 42.0]))
    h0 = h + rng.uniform(-8, 8)
    bg = mood_srgb(L, C, h0)
    bg2 = mood_srgb(float(np.clip(L - 0.08, 0.06, 0.95)), C * 1.1, h0 + spread * 0.4)
    light_bg = L >= 0.6
    ink_l = L - 0.4 if light_bg else min(L + 0.32, 0.86)
    # inks amplify the mood's saturation (greyer songs get greyer inks, not just a greyer
    # background), since light or dark inks lose chroma to the sRGB gamut
    ink_gain = float(np.clip(C / 0.14, 0.5, 1.5))
    offsets = np.array([0.0, spread, -spread, 2 * spread, -0.5 * spread])
    rng.shuffle(offsets[1:])
    inks = np.stack([
        mood_srgb(
            float(np.clip(ink_l + rng.uniform(-0.06, 0.06) + 0.04 * k * (1 if light_bg else -1),
                          0.1, 0.97)),
            float(np.clip(C * ink_gain * rng.uniform(1.0, 1.4), 0.01, 0.3)), h0 + o)
        for k, o in enumerate(offsets)
    ])
    # accent: a contrasting hue (opposite or split-complementary) at a clear mid-tone, so a
    # small shape carries it; on light covers it is deeper, on dark ones lighter
    accent_hue = h0 + float(rng.choice([-60.0, 150.0, 180.0]))
    accent_l = L - 0.22 if light_bg else min(L + 0.38, 0.85)
    accent = mood_srgb(float(np.clip(accent_l, 0.3, 0.88)), float(np.clip(C * 1.3, 0.08, 0.2)),
                       accent_hue)
    return Palette(background=bg, background2=bg2, inks=inks, accent=accent)


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2.x relative luminance of sRGB values 0..1, (...,)."""
    return srgb_to_linear(np.asarray(rgb, dtype=np.float64)) @ np.array([0.2126, 0.7152, 0.0722])


def contrast_ratio(lum_a, lum_b) -> np.ndarray:
    """WCAG contrast ratio (L1 + 0.05) / (L2 + 0.05), lighter over darker."""
    hi, lo = np.maximum(lum_a, lum_b), np.minimum(lum_a, lum_b)
    return (hi + 0.05) / (lo + 0.05)


# ----------------------------------------------------------------------------- text


def default_font(bold: bool = True) -> Path:
    """The bundled DejaVu Sans font (Bitstream Vera licence, see assets/fonts)."""
    from cinemuse.assets import asset_path

    return asset_path("fonts/DejaVuSans-Bold.ttf" if bold else "fonts/DejaVuSans.ttf")


@dataclass
class TextResult:
    """Where the text went and how legible it is."""

    box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the text block
    colour: tuple[float, float, float]
    contrast: float  # worst-case (5th percentile) WCAG contrast on the text area
    scrim_alpha: float  # 0 = none
    fonts: tuple[str, ...] = ()  # file names of the fonts the text was set in


def _wrap(text: str, font, max_width: float, *, max_lines: int) -> list[str] | None:
    """Greedy word wrap into at most ``max_lines`` lines of ``max_width`` px; None if impossible."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(lines[-1] + " " + word) <= max_width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if not lines:
        lines = [text]
    if len(lines) > max_lines or any(font.getlength(line) > max_width for line in lines):
        return None
    return lines


def _text_area_contrast(image: np.ndarray, box, colour) -> float:
    x0, y0, x1, y1 = box
    area = image[y0:y1, x0:x1].reshape(-1, 3)[::7].astype(np.float64) / 255.0
    if area.size == 0:
        return float("inf")
    ratios = contrast_ratio(relative_luminance(np.asarray(colour)), relative_luminance(area))
    return float(np.percentile(ratios, 5))


def layout_text(width: int, height: int, *, title: str | None, artist: str | None,
                font: str | os.PathLike | None, max_width_fraction: float = 1.0):
    """Fonts, wrapped lines and block size of the title / artist text for a canvas size.

    Returns
    -------
    lines : list of (text, :class:`~cinemuse.vision.fonts.ChainFont`)
    heights : list of line heights, px
    gap : px between lines
    block_w, block_h : size of the text block, px
    margin : px from the canvas edge
    """
    from cinemuse.vision.fonts import ChainFont, chain_font

    u = min(width, height)
    margin = int(u * 0.07)
    max_width = int((width - 2 * margin) * max_width_fraction)
    lines = []  # (text, ChainFont)
    for text, bold, size in ((title, True, 0.075), (artist, False, 0.042)):
        if not text:
            continue
        px = int(u * size)
        f = chain_font(text, px, font, bold=bold)
        wrapped = _wrap(text, f, max_width, max_lines=3)
        # shrink only when even three lines do not fit
        while wrapped is None and px > 12:
            px = int(px * 0.92)
            f = ChainFont(f.chain, px)
            wrapped = _wrap(text, f, max_width, max_lines=3)
        lines.extend((line, f) for line in (wrapped or [text]))
    heights = [f.text_height for _, f in lines]  # uniform line height per font
    gap = int(u * 0.014)
    block_h = sum(heights) + gap * (len(lines) - 1)
    block_w = int(max(f.getlength(t) for t, f in lines)) if lines else 0
    return lines, heights, gap, block_w, block_h, margin


def draw_text(
    image: np.ndarray, *, title: str | None, artist: str | None, font: str | os.PathLike | None,
    colour: tuple[float, float, float] | None, palette: Palette, position: str = "bottom",
    max_width_fraction: float = 1.0,
) -> TextResult | None:
    """Set title and artist on ``image`` (in place), legibly.

    The text colour is the given one, else whichever of the palette's lightest / darkest
    colour (or white / black) contrasts most with the area under the text.  The contrast is
    measured on that area (5th percentile over its pixels, WCAG 2 formula); while it is below
    4.5:1 a scrim (a soft panel of the opposite lightness) is strengthened under the text.
    """
    if not title and not artist:
        return None
    from PIL import Image, ImageDraw

    h, w = image.shape[:2]
    u = min(w, h)
    lines, heights, gap, block_w, block_h, margin = layout_text(
        w, h, title=title, artist=artist, font=font, max_width_fraction=max_width_fraction)
    y0 = h - margin - block_h if position == "bottom" else margin
    x0 = margin
    pad = int(u * 0.025)
    box = (max(0, x0 - pad), max(0, y0 - pad), min(w, x0 + block_w + pad),
           min(h, y0 + block_h + pad))

    if colour is None:
        candidates = [tuple(map(float, palette.inks[np.argmax(relative_luminance(palette.inks))])),
                      tuple(map(float, palette.inks[np.argmin(relative_luminance(palette.inks))])),
                      (1.0, 1.0, 1.0), (0.05, 0.05, 0.07)]
        scores = [_text_area_contrast(image, box, c) for c in candidates]
        # prefer a palette colour when it is legible on its own
        best = next((c for c, s in zip(candidates[:2], scores[:2]) if s >= MIN_CONTRAST + 0.5),
                    candidates[int(np.argmax(scores))])
        colour = best
    contrast = _text_area_contrast(image, box, colour)
    scrim_alpha = 0.0
    if contrast < MIN_CONTRAST:
        text_is_light = relative_luminance(np.asarray(colour)) > 0.18
        # a deep (or pale) tint of the background, so the panel belongs to the palette
        bg = np.asarray(palette.background, dtype=np.float64)
        scrim_colour = bg * 0.22 if text_is_light else 1.0 - (1.0 - bg) * 0.12
        original = image[box[1]:box[3], box[0]:box[2]].astype(np.float32)
        # a panel with soft edges, so it reads as part of the design
        bh, bw = original.shape[:2]
        yy = np.minimum(np.arange(bh), np.arange(bh)[::-1])[:, None]
        xx = np.minimum(np.arange(bw), np.arange(bw)[::-1])[None, :]
        feather = np.clip(np.minimum(yy, xx) / max(pad * 0.6, 1), 0, 1)[..., None]
        for alpha in np.arange(0.15, 1.0001, 0.05):
            blended = original * (1 - alpha * feather) + scrim_colour * 255.0 * alpha * feather
            image[box[1]:box[3], box[0]:box[2]] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
            contrast = _text_area_contrast(image, box, colour)
            scrim_alpha = float(alpha)
            if contrast >= MIN_CONTRAST:
                break
    pil = Image.fromarray(image)
    draw = ImageDraw.Draw(pil)
    fill = tuple(int(round(c * 255)) for c in colour)
    y = y0
    for (text, f), lh in zip(lines, heights):
        f.draw(draw, (x0, y), text, fill=fill)
        y += lh + gap
    image[:] = np.asarray(pil)
    used = dict.fromkeys(Path(path).name for text, f in lines for _, path in f.chain.runs(text))
    return TextResult(box=box, colour=tuple(colour), contrast=round(contrast, 3),
                      scrim_alpha=round(scrim_alpha, 2), fonts=tuple(used))


# ----------------------------------------------------------------------------- covers


@dataclass
class Cover:
    """One drawn cover: the pixels and how they were made."""

    image: np.ndarray  # (H, W, 3) uint8 sRGB
    look: str
    seed: int
    mood: MoodColour
    text: TextResult | None = None
    palette: Palette | None = field(default=None, repr=False)
    genre: str | None = None  # the genre family that chose the look and nudged the palette


def draw_cover(
    profile, *, look: str | None = None, seed: int = 0, width: int = STORE_SIZE,
    height: int = STORE_SIZE, title: str | None = None, artist: str | None = None,
    font: str | os.PathLike | None = None, text_colour: tuple[float, float, float] | None = None,
) -> Cover:
    """Draw a cover for a :class:`~cinemuse.analysis.audio.SongProfile`.

    Parameters
    ----------
    profile : SongProfile
    look : a name in :data:`cinemuse.vision.cover_looks.LOOKS`; None picks one from the song
    seed : layout and palette variation; same inputs and seed give the same pixels
    width, height : pixels; drawn natively at this size (the thumbnail and the vertical
        variant are recomposed, not resampled)
    title, artist : optional text, set with ``font`` (default: bundled DejaVu Sans)
    text_colour : sRGB 0..1; None picks a legible one

    Returns
    -------
    Cover
    """
    genre = song_genre(profile)
    look = look or genre_look(profile, genre)
    if look not in LOOKS:
        raise ValueError(f"unknown look {look!r}; choose from {', '.join(LOOKS)}")
    mood = genre_colour(mood_colour(profile.valence, profile.arousal, profile.intensity), genre)
    # the palette depends on the seed only, the layout on the seed and the canvas shape, so
    # the square, thumbnail and vertical variants of one cover share their colours
    palette = make_palette(mood, np.random.default_rng([seed, 1]))
    canvas = Canvas(width, height)
    position = "bottom" if np.random.default_rng([seed, 3]).random() < 0.65 else "top"
    text_width = 1.0
    if (title or artist) and width > 1.3 * height:
        # wide frames (thumbnails): text in the left third, motif in the rest
        canvas.frame = (width * 0.36, 0.0, float(width), float(height))
        position, text_width = "bottom", 0.34
    elif title or artist:
        # keep the motif out of the band the text will take (its height once laid out)
        block_h, margin = layout_text(width, height, title=title, artist=artist,
                                      font=font)[4:6]
        band = block_h + margin * 1.6
        canvas.frame = ((0.0, 0.0, float(width), height - band) if position == "bottom"
                        else (0.0, band, float(width), float(height)))
    LOOKS[look](canvas, profile, palette, np.random.default_rng([seed, 2]),
                np.random.default_rng([song_fingerprint(profile), 2]))
    text = draw_text(canvas.image, title=title, artist=artist, font=font, colour=text_colour,
                     palette=palette, position=position, max_width_fraction=text_width)
    return Cover(image=canvas.image, look=look, seed=seed, mood=mood, text=text, palette=palette,
                 genre=genre)


# ----------------------------------------------------------------------------- files


def srgb_icc_profile() -> bytes:
    """An sRGB ICC profile to embed, so stores and browsers read the colours as meant."""
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


TEXT_RECORD = "cinemuse:text"  # PNG text chunk (JPEG: the comment) recording a cover's text


def save_image(path: str | os.PathLike, image: np.ndarray, *, quality: int = 92,
               text: dict | None = None) -> None:
    """Write sRGB-tagged PNG or JPEG (by extension) to ``path`` (no atomicity: callers wrap).

    ``text`` (the title, artist and fonts set on the picture) is recorded in the file, so
    :func:`check_cover` can later check that every character had a glyph.
    """
    import json

    from PIL import Image, PngImagePlugin

    pil = Image.fromarray(image, mode="RGB")
    icc = srgb_icc_profile()
    record = json.dumps(text, ensure_ascii=False) if text else None
    suffix = Path(path).suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        extra = {"comment": f"{TEXT_RECORD} {record}".encode()} if record else {}
        pil.save(path, format="JPEG", quality=quality, subsampling=0, optimize=True,
                 icc_profile=icc, **extra)
    elif suffix == ".png":
        info = None
        if record:
            info = PngImagePlugin.PngInfo()
            info.add_itxt(TEXT_RECORD, record)
        pil.save(path, format="PNG", compress_level=4, icc_profile=icc, pnginfo=info)
    else:
        raise ValueError(f"unsupported image type {suffix!r} (use .png or .jpg)")


def recorded_text(pil) -> dict | None:
    """The text record :func:`save_image` left in an opened image, if any."""
    import json

    raw = pil.info.get(TEXT_RECORD)
    if raw is None:
        comment = pil.info.get("comment", b"")
        comment = comment.decode("utf-8", "replace") if isinstance(comment, bytes) else comment
        if not comment.startswith(TEXT_RECORD + " "):
            return None
        raw = comment[len(TEXT_RECORD) + 1:]
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def glyph_rule(record: dict | None, *, title: str | None = None, artist: str | None = None,
               font: str | os.PathLike | None = None) -> Rule:
    """Every character of the cover's text has a glyph in some font (no tofu boxes).

    The text is the one recorded in the file by cinemuse, else ``title``/``artist`` as given;
    the fonts are the recorded ``--font`` (or ``font``), the bundled ones and the system's.
    """
    from cinemuse.vision.fonts import describe_characters, missing_characters

    record = record or {}
    title = title if title is not None else record.get("title")
    artist = artist if artist is not None else record.get("artist")
    font = font if font is not None else record.get("font")
    if font is not None and not Path(font).is_file():
        font = None  # the recorded font has moved: check against the fonts there are
    if not title and not artist:
        return Rule("glyphs", True, "no text recorded in the file (give --title/--artist to "
                                    "check theirs): not checked")
    missing = []
    for text, bold in ((title, True), (artist, False)):
        if text:
            missing += missing_characters(text, font, bold=bold)
    missing = list(dict.fromkeys(missing + list(record.get("missing", []))))
    if missing:
        return Rule("glyphs", False, f"no glyph for {describe_characters(missing)}: "
                                     "printed as empty boxes (tofu)")
    where = "recorded in the file" if record.get("title") or record.get("artist") else "given"
    return Rule("glyphs", True, f"every character of the text {where} has a glyph")


@dataclass
class Rule:
    """One store rule checked on a cover file."""

    name: str
    passed: bool
    detail: str


def sharpness_ratio(grey: np.ndarray) -> tuple[float, float]:
    """Laplacian variance of the image and the share of it that a 2x down/up-scale keeps.

    An image upscaled from a smaller one has no detail in its top octave: shrinking it by 2
    and enlarging it back changes little, so the share kept is near 1.  Art drawn at full
    size keeps clearly less (crisp edges soften).

    Returns
    -------
    laplacian_variance : float
    kept : float, var(Laplacian(down-up image)) / var(Laplacian(image))
    """
    import cv2

    g = grey.astype(np.float32)
    lap_var = float(cv2.Laplacian(g, cv2.CV_32F).var())
    h, w = g.shape
    small = cv2.resize(g, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    back = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    back_var = float(cv2.Laplacian(back, cv2.CV_32F).var())
    return lap_var, back_var / max(lap_var, 1e-9)


def check_cover(path: str | os.PathLike, *, title: str | None = None, artist: str | None = None,
                font: str | os.PathLike | None = None) -> list[Rule]:
    """Check an image file against store rules for cover art; one :class:`Rule` per rule
    (``title``/``artist``/``font``: see :func:`glyph_rule`)."""
    from PIL import Image, ImageCms

    from cinemuse.errors import BadInputError
    from cinemuse.io.atomic import check_input_file

    p = check_input_file(path)
    try:
        pil = Image.open(p)
        pil.load()
    except Exception as exc:
        raise BadInputError(p, f"not a readable image ({type(exc).__name__})") from None
    rules: list[Rule] = []
    w, h = pil.size
    rules.append(Rule("size", w >= STORE_SIZE and h >= STORE_SIZE,
                      f"{w}x{h} (at least {STORE_SIZE}x{STORE_SIZE})"))
    rules.append(Rule("square", w == h, f"{w}x{h}"))
    rules.append(Rule("format", pil.format in ("PNG", "JPEG"), f"{pil.format} (PNG or JPEG)"))
    size = p.stat().st_size
    rules.append(Rule("file_size", size < MAX_FILE_BYTES,
                      f"{size / 1e6:.2f} MB (under {MAX_FILE_BYTES / 1024 / 1024:.0f} MiB)"))
    mode_ok = pil.mode == "RGB"
    rules.append(Rule("rgb_8bit", mode_ok,
                      f"mode {pil.mode} (8-bit RGB, no alpha, no CMYK/greyscale/palette)"))
    icc = pil.info.get("icc_profile")
    if icc:
        try:
            import io

            desc = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
        except Exception:
            desc = "unreadable ICC profile"
        rules.append(Rule("srgb", "srgb" in desc.lower().replace(" ", "").replace("-", ""),
                          f"ICC profile '{desc.strip()}'"))
    else:
        srgb_chunk = "srgb" in pil.info  # PNG sRGB chunk
        rules.append(Rule("srgb", pil.mode == "RGB",
                          "sRGB chunk" if srgb_chunk else "untagged RGB (read as sRGB)"))
    grey = np.asarray(pil.convert("L"))
    lap_var, kept = sharpness_ratio(grey)
    rules.append(Rule("sharp", lap_var >= 5.0 and kept < 0.6,
                      f"Laplacian variance {lap_var:.1f} (>= 5), {kept:.2f} of it survives a "
                      "2x down/up-scale (< 0.6; an upscaled image keeps nearly all)"))
    rules.append(glyph_rule(recorded_text(pil), title=title, artist=artist, font=font))
    return rules
