"""Text in any script a creator writes in: a chain of fonts, each character set in the first
font of the chain that has a glyph for it, so a title never comes out as tofu boxes.

The chain is the user's ``--font`` (if any), the bundled DejaVu Sans (Latin, Greek, Cyrillic,
Arabic, Hebrew), then the bundled fallbacks (Noto Sans Devanagari and Thai; Droid Sans
Fallback for Chinese and Japanese; NanumSquare for Hangul; a Symbola subset for emoji and
symbols; licences in assets/LICENSES.md), then, for characters none of those has, the system's fonts
found through fontconfig (``fc-list``) when it is installed. Coverage is read from each font's
cmap with fontTools, lazily: a Latin title never opens the CJK font.

Shaping (Arabic joining, Devanagari conjuncts) is Pillow's: with its raqm layout (the default
where libraqm is present) each run is shaped by HarfBuzz and ordered by FriBiDi. A line that
mixes fonts is drawn run by run; in a right-to-left line the runs are laid out right to left.

Characters that no font has are not drawn as boxes: :func:`missing_characters` names them, and
the cover job refuses such a title before any work (exit 2) — set ``--font`` to one that has them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# bundled fallbacks after DejaVu, in order: (bold file, regular file)
_BUNDLED_FALLBACKS = (
    ("fonts/NotoSansDevanagari-Bold.ttf", "fonts/NotoSansDevanagari-Regular.ttf"),
    ("fonts/NotoSansThai-Bold.ttf", "fonts/NotoSansThai-Regular.ttf"),
    ("fonts/DroidSansFallbackFull.ttf", "fonts/DroidSansFallbackFull.ttf"),
    ("fonts/NanumSquareB.ttf", "fonts/NanumSquareR.ttf"),
    ("fonts/SymbolaEmoji.ttf", "fonts/SymbolaEmoji.ttf"),
)
# Droid Sans Fallback maps three Hangul syllables (of 11,172): a Korean word would mix two
# designs, so Hangul is left to NanumSquare
_NOT_FOR = {"DroidSansFallbackFull.ttf": ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7FF))}
_SYSTEM_LOOKUPS = 24  # distinct characters asked of fontconfig per text, at most
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")


def _invisible(ch: str) -> bool:
    """Characters that need no glyph of their own: spaces, joiners, variation selectors."""
    cat = unicodedata.category(ch)
    return ch.isspace() or cat in ("Cc", "Cf") or 0xFE00 <= ord(ch) <= 0xFE0F \
        or 0xE0100 <= ord(ch) <= 0xE01EF


def _neutral(ch: str) -> bool:
    """Characters that take the font of the run around them (so punctuation, spaces and
    combining marks do not break a word of one script into pieces of several fonts)."""
    return _invisible(ch) or unicodedata.category(ch)[0] in ("P", "Z", "M")


@lru_cache(maxsize=64)
def _cmap(path: str) -> frozenset[int]:
    """Code points the font draws: mapped in its cmap to a glyph that has an outline (some
    fonts map whole blocks, e.g. NanumSquare's Hanja, to empty glyphs)."""
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(path, lazy=True, fontNumber=0)
        cmap = font.getBestCmap() or {}
        drawn = set(cmap)
        if "glyf" in font and "loca" in font:
            loca, index = font["loca"], font.getReverseGlyphMap()
            drawn = {c for c, g in cmap.items()
                     if loca[index[g] + 1] > loca[index[g]] or _invisible(chr(c))}
    except Exception:  # an unreadable system font is simply not used
        return frozenset()
    for lo, hi in _NOT_FOR.get(Path(path).name, ()):
        drawn = {c for c in drawn if not lo <= c <= hi}
    return frozenset(drawn)


def covers(path: str | os.PathLike, ch: str) -> bool:
    """Whether the font file at ``path`` has a glyph for ``ch``."""
    return ord(ch) in _cmap(str(path))


@lru_cache(maxsize=1024)
def _system_font_for(codepoint: int) -> str | None:
    """A system font file that has ``codepoint``, through fontconfig; None without one."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run([fc_list, f":charset={codepoint:x}", "file"], capture_output=True,
                             text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    # fc-list prints "PATH: " per font; sorted, so the choice is the same from run to run
    files = sorted(line.strip().rstrip(":") for line in out.splitlines() if line.strip())
    for path in files:
        if path.lower().endswith(_FONT_SUFFIXES) and codepoint in _cmap(path):
            return path
    return None


@dataclass(frozen=True)
class FontChain:
    """The fonts one piece of text is set in, first choice first."""

    paths: tuple[str, ...]

    def font_for(self, ch: str) -> str | None:
        """The first font in the chain with a glyph for ``ch`` (None: no font has it)."""
        for path in self.paths:
            if covers(path, ch):
                return path
        return None

    def with_system_fonts(self, text: str) -> FontChain:
        """This chain plus the system fonts that have characters of ``text`` it lacks."""
        extra: list[str] = []
        asked = 0
        for ch in dict.fromkeys(text):
            if _invisible(ch) or self.font_for(ch) is not None or any(covers(p, ch) for p in extra):
                continue
            if asked >= _SYSTEM_LOOKUPS:
                break
            asked += 1
            found = _system_font_for(ord(ch))
            if found and found not in self.paths and found not in extra:
                extra.append(found)
        return FontChain(self.paths + tuple(extra)) if extra else self

    def missing(self, text: str) -> list[str]:
        """Characters of ``text`` (each once, in order) that no font in the chain has."""
        return [ch for ch in dict.fromkeys(text) if not _invisible(ch) and self.font_for(ch) is None]

    def runs(self, text: str) -> list[tuple[str, str]]:
        """``text`` split into (run, font path) pieces, in logical order; characters no font
        has are left out (rather than drawn as boxes)."""
        runs: list[list] = []
        for ch in text:
            current = runs[-1][1] if runs else None
            if _neutral(ch) and current is not None and (covers(current, ch) or _invisible(ch)):
                runs[-1][0] += ch
                continue
            path = self.font_for(ch)
            if path is None:
                if _invisible(ch) and current is not None:
                    runs[-1][0] += ch
                continue
            if path == current:
                runs[-1][0] += ch
            else:
                runs.append([ch, path])
        return [(run, path) for run, path in runs]


def _bundled(bold: bool) -> tuple[str, ...]:
    from cinemuse.assets import asset_path

    primary = "fonts/DejaVuSans-Bold.ttf" if bold else "fonts/DejaVuSans.ttf"
    return tuple(str(asset_path(name)) for name in
                 (primary, *(pair[0 if bold else 1] for pair in _BUNDLED_FALLBACKS)))


def font_chain(text: str, font: str | os.PathLike | None = None, *, bold: bool = True) -> FontChain:
    """The chain for ``text``: ``font`` (if given), the bundled fonts, then system fonts for
    any character those lack."""
    first = (str(font),) if font else ()
    return FontChain(first + _bundled(bold)).with_system_fonts(text)


def missing_characters(text: str, font: str | os.PathLike | None = None, *,
                       bold: bool = True) -> list[str]:
    """Characters of ``text`` that no available font has (empty: it can be set as written)."""
    return font_chain(text, font, bold=bold).missing(text)


def describe_characters(chars: list[str], limit: int = 8) -> str:
    """'夜' (U+591C), ... for a message."""
    shown = [f"{ch!r} (U+{ord(ch):04X})" for ch in chars[:limit]]
    more = f" and {len(chars) - limit} more" if len(chars) > limit else ""
    return ", ".join(shown) + more


def require_covered(text: str | None, what: str, font: str | os.PathLike | None = None, *,
                    bold: bool = True) -> None:
    """UsageError naming the characters of ``text`` no font has (the cover job's refusal)."""
    if not text:
        return
    missing = missing_characters(text, font, bold=bold)
    if missing:
        from cinemuse.errors import UsageError

        raise UsageError(
            f"{what} {text!r}: no available font has {describe_characters(missing)}; "
            "give --font with a font that has them (they would print as empty boxes)")


# ----------------------------------------------------------------------------- drawing


def _is_rtl(text: str) -> bool:
    """Whether the first strongly directional character of ``text`` is right-to-left."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


class ChainFont:
    """A :class:`FontChain` at one pixel size, used like a Pillow font: ``getlength``,
    ``ascent``/``text_height`` and :meth:`draw` of a line in mixed fonts on one baseline."""

    def __init__(self, chain: FontChain, size: int):
        self.chain = chain
        self.size = size
        self._fonts: dict[str, object] = {}
        first = self._font(chain.paths[0])
        self.ascent = first.getmetrics()[0]
        # the first font's "Hg" box bottom: one line's height, whatever the line holds
        self.text_height = first.getbbox("Hg")[3]

    def _font(self, path: str):
        if path not in self._fonts:
            from PIL import ImageFont

            self._fonts[path] = ImageFont.truetype(path, self.size)
        return self._fonts[path]

    def _direction(self, text: str) -> dict:
        """The line's base direction for Pillow (raqm only; basic layout is left to right)."""
        from PIL import features

        if not features.check("raqm"):
            return {}
        return {"direction": "rtl" if _is_rtl(text) else "ltr"}

    def pieces(self, text: str) -> list[tuple[str, object, float]]:
        """(run, Pillow font, advance px) in visual order, left to right."""
        how = self._direction(text)
        pieces = [(run, self._font(path), self._font(path).getlength(run, **how))
                  for run, path in self.chain.runs(text)]
        return pieces[::-1] if len(pieces) > 1 and _is_rtl(text) else pieces

    def getlength(self, text: str) -> float:
        return float(sum(width for _, _, width in self.pieces(text)))

    def draw(self, draw, xy: tuple[float, float], text: str, **kwargs) -> None:
        """Draw ``text`` with its top-left (at the first font's ascent) at ``xy``; ``kwargs``
        go to ``ImageDraw.text`` (fill, stroke_width, ...)."""
        x, y = xy
        baseline = y + self.ascent
        how = self._direction(text)
        for run, font, width in self.pieces(text):
            draw.text((x, baseline), run, font=font, anchor="ls", **how, **kwargs)
            x += width


def chain_font(text: str, size: int, font: str | os.PathLike | None = None, *,
               bold: bool = True) -> ChainFont:
    """A :class:`ChainFont` for ``text`` at ``size`` px."""
    return ChainFont(font_chain(text, font, bold=bold), size)


def font_names(paths) -> list[str]:
    """File names of fonts, for a summary."""
    return [Path(p).name for p in paths]
