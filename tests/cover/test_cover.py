"""Covers: looks, determinism, variants, mood -> colour directions, text contrast, --check."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import soundfile as sf

from cinemuse.analysis.audio import SongProfile, SongSection
from cinemuse.cli import main
from cinemuse.vision.cover import (
    MIN_CONTRAST, check_cover, contrast_ratio, draw_cover, draw_text, relative_luminance,
    save_image,
)
from cinemuse.vision.cover_looks import LOOKS
from cinemuse.vision.cover_looks.canvas import Palette
from cinemuse.vision.color import rgb_to_lab
from tests.analysis.song_signals import SR, chord_click_song


def fake_profile(*, valence: float, arousal: float, intensity: float = 0.3, seed: int = 0,
                 tempo: float = 120.0, duration: float = 60.0) -> SongProfile:
    """A plausible SongProfile built directly (no audio), so cover tests stay fast."""
    rng = np.random.default_rng(seed)
    times = np.arange(0, duration, 0.5)
    beats = np.arange(0.2, duration, 60.0 / tempo)
    energy = np.clip(0.5 + 0.4 * np.sin(times / 9.0 + seed) + rng.normal(0, 0.05, len(times)),
                     0.05, 1)
    spectrum = np.clip(rng.random((30, 64)) * 0.3 + np.linspace(0.8, 0.2, 64), 0, 1)
    return SongProfile(
        duration=duration, tempo_bpm=tempo, beats=beats, downbeats=beats[::4], beats_per_bar=4,
        beat_strength=0.8, key="C major", tonic=0, mode="major", key_confidence=0.7, loudness_lufs=-14.0,
        curve_times=times, loudness_curve=-14 + 6 * (energy - 0.5), energy_curve=energy,
        onset_density_curve=energy * 4, brightness_curve=np.full(len(times), 2000.0),
        brightness_hz=2000.0, onset_density=3.0, flatness=0.01,
        sections=[SongSection(0, 20, "A", 0.4), SongSection(20, 40, "B", 0.8),
                  SongSection(40, duration, "A", 0.5)],
        valence=valence, arousal=arousal, intensity=intensity,
        spectrum=spectrum.astype(np.float32),
        chroma=rng.random((12, len(beats))).astype(np.float32),
        chroma_mean=rng.random(12).astype(np.float32),
    )


HAPPY = fake_profile(valence=0.8, arousal=0.6, intensity=0.3)
SAD = fake_profile(valence=-0.8, arousal=-0.6, intensity=0.3, seed=1)


def test_every_look_draws_a_distinct_picture():
    images = {look: draw_cover(HAPPY, look=look, width=400, height=400).image for look in LOOKS}
    assert len(images) >= 5
    for look, img in images.items():
        assert img.shape == (400, 400, 3) and img.dtype == np.uint8
        assert img.std() > 5, f"{look} is flat"
    names = list(images)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert np.abs(images[a].astype(int) - images[b]).mean() > 3, (a, b)


def test_same_seed_same_pixels_and_variants_differ():
    a = draw_cover(HAPPY, look="flow", seed=3, width=300, height=300).image
    b = draw_cover(HAPPY, look="flow", seed=3, width=300, height=300).image
    c = draw_cover(HAPPY, look="flow", seed=4, width=300, height=300).image
    assert np.array_equal(a, b)
    assert np.abs(a.astype(int) - c).mean() > 2


@pytest.mark.parametrize("look", list(LOOKS))
def test_fast_major_is_lighter_more_saturated_and_yellower(look):
    def stats(profile):
        lab = rgb_to_lab(draw_cover(profile, look=look, seed=0, width=300, height=300).image)
        return lab[..., 0].mean(), np.hypot(lab[..., 1], lab[..., 2]).mean(), lab[..., 2].mean()

    (l_h, c_h, b_h), (l_s, c_s, b_s) = stats(HAPPY), stats(SAD)
    assert l_h > l_s and c_h > c_s and b_h > b_s


def test_loud_noisy_is_darker_and_redder():
    calm = fake_profile(valence=0.0, arousal=0.0, intensity=0.1)
    loud = fake_profile(valence=0.0, arousal=0.0, intensity=0.9)
    lab_c = rgb_to_lab(draw_cover(calm, look="bauhaus", width=300, height=300).image)
    lab_l = rgb_to_lab(draw_cover(loud, look="bauhaus", width=300, height=300).image)
    assert lab_l[..., 0].mean() < lab_c[..., 0].mean()  # darker
    assert lab_l[..., 1].mean() > lab_c[..., 1].mean()  # redder (a*)


def test_text_is_legible_on_every_look():
    for look in LOOKS:
        cover = draw_cover(SAD, look=look, seed=1, width=900, height=900, title="Night Drive",
                           artist="The Examples")
        assert cover.text is not None and cover.text.contrast >= MIN_CONTRAST, look
        # independent check: the pixels in the text box that are not the text itself
        x0, y0, x1, y1 = cover.text.box
        area = cover.image[y0:y1, x0:x1].reshape(-1, 3) / 255.0
        ratios = contrast_ratio(relative_luminance(np.array(cover.text.colour)),
                                relative_luminance(area))
        background = ratios[ratios > 2.0]  # drop glyph pixels and their antialiased edges
        assert np.median(background) >= MIN_CONTRAST, look


def test_scrim_rescues_text_on_a_hostile_background():
    rng = np.random.default_rng(0)
    image = (rng.random((600, 600, 3)) * 90 + 80).astype(np.uint8)  # busy mid-grey noise
    grey = np.array([0.5, 0.5, 0.5])
    palette = Palette(grey, grey, np.stack([grey, grey]), grey)
    result = draw_text(image, title="Title", artist="Artist", font=None, colour=(1.0, 1.0, 1.0),
                       palette=palette)
    assert result.scrim_alpha > 0 and result.contrast >= MIN_CONTRAST


def test_check_fails_a_small_upscaled_image(tmp_path, capsys):
    small = draw_cover(HAPPY, look="ridges", width=600, height=600).image
    upscaled = cv2.resize(small, (3000, 3000), interpolation=cv2.INTER_CUBIC)
    path = tmp_path / "upscaled.jpg"
    save_image(path, upscaled)
    assert main(["cover", "--check", str(path), "--json"]) == 2
    rules = {r["rule"]: r["passed"] for r in json.loads(capsys.readouterr().out)["rules"]}
    assert rules["size"] and rules["square"] and rules["srgb"] and not rules["sharp"]
    tiny = tmp_path / "tiny.jpg"
    save_image(tiny, small)
    assert not {r.name: r for r in check_cover(tiny)}["size"].passed


def test_cli_look_names_match_the_looks():
    from cinemuse.cli.cover import LOOK_NAMES

    assert set(LOOK_NAMES) == {"auto", *LOOKS}


def test_cover_command_end_to_end(tmp_path, capsys):
    y, _ = chord_click_song(tempo=110.0, tonic=4, minor=False, seconds=10.0)
    song = tmp_path / "song.wav"
    sf.write(song, y, SR)
    out = tmp_path / "cover.png"
    args = ["cover", str(song), "-o", str(out), "--title", "Night Drive", "--artist", "Me",
            "--look", "orbits", "--json"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    files = result["covers"][0]["files"]
    from PIL import Image

    sizes = {name: Image.open(path).size for name, path in files.items()}
    assert sizes == {"square_png": (3000, 3000), "square_jpg": (3000, 3000),
                     "thumb": (1280, 720), "vertical": (1080, 1920)}
    assert result["covers"][0]["text_contrast"] >= MIN_CONTRAST
    assert main(["cover", "--check", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] and {r["rule"] for r in report["rules"]} >= {"size", "sharp", "srgb"}
    # no overwrite without --force: refused before any work, file untouched
    before = out.stat().st_mtime_ns
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.stat().st_mtime_ns == before


# ----------------------------------------------------------------------------- genre mapping


def _tagged(profile, genre: str, score: float = 0.6):
    from dataclasses import replace

    from cinemuse.analysis.tags import GENRE_FAMILIES, SongTags

    scores = {g: (score if g == genre else 0.02) for g in GENRE_FAMILIES}
    tags = SongTags(probabilities={"msd": {}, "mtt": {}}, genre=genre, genre_scores=scores,
                    patches=8, seconds_covered=24.0)
    return replace(profile, tags=tags)


def test_genre_mapping_covers_every_genre_family_with_real_looks():
    from cinemuse.analysis.tags import GENRE_FAMILIES
    from cinemuse.vision.cover import GENRE_LOOKS

    assert set(GENRE_LOOKS) == set(GENRE_FAMILIES)
    for genre, (looks, chroma, lightness) in GENRE_LOOKS.items():
        assert looks and set(looks) <= set(LOOKS), genre
        assert 0.5 <= chroma <= 1.5 and abs(lightness) <= 0.1, genre


def test_genre_picks_the_look_and_nudges_the_palette():
    from cinemuse.vision.cover import GENRE_LOOKS

    calm = fake_profile(valence=0.5, arousal=-0.6)  # the mood rule alone: weave
    assert draw_cover(calm, width=200, height=200).look == "weave"
    assert draw_cover(calm, width=200, height=200).genre is None
    for genre, (looks, _, _) in GENRE_LOOKS.items():
        cover = draw_cover(_tagged(calm, genre), width=200, height=200)
        assert cover.genre == genre and cover.look in looks
        # where the genre allows the mood's look it is kept
        assert cover.look == ("weave" if "weave" in looks else looks[0])
    # ambient is greyer than electronic for the same mood, same look and seed
    grey = draw_cover(_tagged(calm, "ambient"), look="orbits", width=200, height=200)
    vivid = draw_cover(_tagged(calm, "electronic"), look="orbits", width=200, height=200)
    assert grey.mood.chroma < vivid.mood.chroma
    chroma = lambda img: np.hypot(*rgb_to_lab(img)[..., 1:].transpose(2, 0, 1)).mean()  # noqa: E731
    assert chroma(grey.image) < chroma(vivid.image)


def test_an_unlikely_genre_counts_as_none():
    profile = _tagged(HAPPY, "metal", score=0.05)
    plain = draw_cover(HAPPY, seed=2, width=200, height=200)
    cover = draw_cover(profile, seed=2, width=200, height=200)
    assert cover.genre is None and np.array_equal(cover.image, plain.image)


@pytest.mark.parametrize("genre", ["electronic", "folk", "ambient", "metal"])
def test_mood_directions_hold_within_a_genre(genre):
    def stats(profile):
        lab = rgb_to_lab(draw_cover(_tagged(profile, genre), look="bauhaus", width=200, height=200).image)
        return lab[..., 0].mean(), np.hypot(lab[..., 1], lab[..., 2]).mean(), lab[..., 2].mean()

    (l_h, c_h, b_h), (l_s, c_s, b_s) = stats(HAPPY), stats(SAD)
    assert l_h > l_s and c_h > c_s and b_h > b_s
