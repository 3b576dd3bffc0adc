"""Titles in a creator's own script: glyph coverage of the font chain, no tofu on the picture.

The tofu bug: a title outside DejaVu Sans ('夜のドライブ', Hangul, Devanagari, emoji) was drawn
with DejaVu alone, every character as the same empty box, exit 0. These tests check both the
coverage (a font of the chain has an outlined glyph for every character) and the pixels (each
character drawn differs from the box and from the other characters).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cinemuse.vision.cover import default_font
from cinemuse.vision.fonts import ChainFont, FontChain, font_chain, missing_characters

TITLES = {
    "japanese": "夜のドライブ",
    "chinese": "夜间驾驶",
    "korean": "밤의 드라이브",
    "arabic": "القيادة الليلية",
    "devanagari": "रात की ड्राइव",
    "thai": "ขับรถตอนกลางคืน",
    "emoji": "Drive 🚗🌙❤️",
}
NO_FONT_HAS = "\U0010FFFD"  # plane-16 private use: no font anywhere draws it
DEJAVU_ONLY = FontChain((str(default_font(True)),))


def _ink(text: str, chain: FontChain, size: int = 48) -> np.ndarray:
    from PIL import Image, ImageDraw

    font = ChainFont(chain, size)
    img = Image.new("L", (size * 3 * max(1, len(text)), size * 2), 0)
    font.draw(ImageDraw.Draw(img), (4, 4), text, fill=255)
    return np.asarray(img) > 127


def _plain_ink(text: str, path: str, size: int = 48) -> np.ndarray:
    """``text`` drawn by Pillow in one font, as titles were before the chain."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (size * 3 * max(1, len(text)), size * 2), 0)
    ImageDraw.Draw(img).text((4, 4), text, font=ImageFont.truetype(path, size), fill=255)
    return np.asarray(img) > 127


def _box_glyph(path: str, size: int = 48) -> np.ndarray:
    """What a font draws for a character it lacks (its .notdef glyph: the tofu box)."""
    return _plain_ink(NO_FONT_HAS, path, size)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    a, b = a[:h, :w], b[:h, :w]
    union = (a | b).sum()
    return union == 0 or (a & b).sum() / union > 0.9


@pytest.mark.parametrize("script", list(TITLES))
def test_every_character_of_the_title_has_a_glyph(script):
    title = TITLES[script]
    assert missing_characters(title) == []
    chain = font_chain(title)
    used = {Path(p).name for _, p in chain.runs(title)}
    assert used, title
    # the drawn runs hold every visible character (nothing dropped on the way)
    drawn = "".join(run for run, _ in chain.runs(title))
    assert [c for c in title if not c.isspace() and c != "\ufe0f"] == \
        [c for c in drawn if not c.isspace() and c != "\ufe0f"]


@pytest.mark.parametrize("script", ["japanese", "chinese", "korean", "devanagari", "thai", "emoji"])
def test_bundled_dejavu_alone_would_have_drawn_boxes(script):
    """The regression this file guards: DejaVu lacks these, so the old path drew tofu."""
    assert DEJAVU_ONLY.missing(TITLES[script])


@pytest.mark.parametrize("script", ["japanese", "korean", "devanagari", "emoji"])
def test_drawn_characters_are_not_boxes(script):
    title = TITLES[script]
    chain = font_chain(title)
    letters = [c for c in dict.fromkeys(title) if not c.isspace() and c != "\ufe0f"]
    inks = {}
    for ch in letters:
        ink = _ink(ch, chain)
        assert ink.any(), f"{ch!r} drew nothing"
        box = _box_glyph(chain.font_for(ch))
        assert not _same(ink, box), f"{ch!r} came out as its font's empty box"
        inks[ch] = ink
    # tofu is one box for every character; real glyphs differ from each other
    for i, a in enumerate(letters):
        for b in letters[i + 1:]:
            assert not _same(inks[a], inks[b]), f"{a!r} and {b!r} drew the same shape"


def test_the_box_check_catches_tofu():
    """The pixel check above is not vacuous: DejaVu alone draws '夜' as its box."""
    dejavu = str(default_font(True))
    assert _same(_plain_ink("夜", dejavu), _box_glyph(dejavu))
    assert _same(_plain_ink("夜", dejavu), _plain_ink("ド", dejavu))


def test_a_character_no_font_has_is_named_not_drawn():
    text = f"Night {NO_FONT_HAS} Drive"
    assert missing_characters(text) == [NO_FONT_HAS]
    assert NO_FONT_HAS not in "".join(run for run, _ in font_chain(text).runs(text))


def test_a_word_in_one_script_stays_in_one_font():
    """Punctuation and spaces join the run around them; Latin keeps DejaVu next to CJK."""
    runs = font_chain("Tokyo 夜のドライブ。").runs("Tokyo 夜のドライブ。")
    assert [Path(p).name for _, p in runs] == ["DejaVuSans-Bold.ttf", "DroidSansFallbackFull.ttf"]
    assert runs[1][0] == "夜のドライブ。"


def test_cover_text_uses_the_fallback_and_records_it():
    from tests.cover.test_cover import HAPPY

    from cinemuse.vision.cover import draw_cover

    cover = draw_cover(HAPPY, width=400, height=400, title=TITLES["japanese"], artist="밤")
    assert "DroidSansFallbackFull.ttf" in cover.text.fonts
    assert "NanumSquareR.ttf" in cover.text.fonts


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "cinemuse", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_cover_refuses_a_title_no_font_can_draw(tmp_path):
    from tests.media import write_tone

    song = write_tone(tmp_path / "song.wav", duration=1.0)
    before = sorted(p.name for p in tmp_path.iterdir())
    r = _cli("cover", str(song), "-o", str(tmp_path / "c.png"), "--title", f"X{NO_FONT_HAS}")
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "U+10FFFD" in lines[0] and "--title" in lines[0], r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_check_flags_tofu_in_a_recorded_title(tmp_path):
    from cinemuse.vision.cover import save_image

    img = (np.random.default_rng(0).integers(0, 40, (3000, 3000, 3)) + 100).astype(np.uint8)
    good, bad = tmp_path / "good.jpg", tmp_path / "bad.png"
    save_image(good, img, text={"title": TITLES["japanese"], "artist": None})
    save_image(bad, img, text={"title": f"Night {NO_FONT_HAS}", "artist": None})
    r = _cli("cover", "--check", str(good), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    rules = {x["rule"]: x for x in json.loads(r.stdout)["rules"]}
    assert rules["glyphs"]["passed"] and "has a glyph" in rules["glyphs"]["detail"]
    r = _cli("cover", "--check", str(bad), "--json")
    assert r.returncode == 2
    assert "glyphs" in r.stderr and "U+10FFFD" in r.stdout
    # a title given on the command line is checked the same way
    r = _cli("cover", "--check", str(good), "--title", f"A{NO_FONT_HAS}")
    assert r.returncode == 2 and "glyphs" in r.stderr
