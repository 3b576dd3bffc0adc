"""cinemuse.io.image: awkward photos in, upright sRGB uint8 out; careful writing."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms

from cinemuse.errors import BadInputError, OutputError
from cinemuse.io.image import read_image, write_image
from tests.media import (
    PHOTO_KINDS,
    SRGB_COLORANTS,
    corner_colours,
    make_photo,
    orientation_pattern,
    rgb_icc_profile,
    write_png_header,
)

PNG_ONLY = {"16bit", "palette", "alpha", "grey-alpha"}


@pytest.mark.parametrize("kind", PHOTO_KINDS)
def test_every_kind_becomes_srgb_uint8_rgb(tmp_path, kind):
    path = tmp_path / f"photo{'.png' if kind in PNG_ONLY else '.jpg'}"
    expected = make_photo(path, kind, size=(64, 48))
    got = read_image(path)
    assert got.dtype == np.uint8 and got.shape == (48, 64, 3)
    error = np.abs(got.astype(int) - expected.astype(int)).mean()
    assert error < 3.0, f"{kind}: mean error {error:.2f} levels"


@pytest.mark.parametrize("orientation", range(2, 9))
def test_exif_orientation_is_applied(tmp_path, orientation):
    path = tmp_path / "phone.jpg"
    make_photo(path, "exif-rotated", size=(64, 48), orientation=orientation)
    stored = np.asarray(Image.open(path))
    got = read_image(path)
    assert got.shape == (48, 64, 3)
    corners = corner_colours(got)
    assert corners["tl"][0] > 150 and corners["tl"][2] < 100  # red block back top-left
    assert corners["br"][2] > 150 and corners["br"][0] < 100  # blue bottom-right
    if orientation >= 5:  # quarter turns: the file really is stored sideways
        assert stored.shape[:2] == (64, 48)


def test_alpha_is_composited_on_white(tmp_path):
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0] = 255  # red, fully transparent on the left half
    rgba[:, 4:, 3] = 255
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    got = read_image(tmp_path / "a.png")
    assert (got[:, :4] == 255).all()  # white
    assert (got[:, 4:] == (255, 0, 0)).all()  # red


def test_sixteen_bit_keeps_the_full_range(tmp_path):
    ramp = np.linspace(0, 65535, 256).astype(np.uint16)[None, :].repeat(4, 0)
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    got = read_image(tmp_path / "deep.png")
    assert got[..., 0].min() == 0 and got[..., 0].max() == 255
    assert (np.diff(got[0, :, 0].astype(int)) >= 0).all()


def test_icc_profile_is_converted_to_srgb(tmp_path):
    colours = np.array([[[200, 40, 40], [40, 200, 40], [40, 40, 200], [128, 128, 128]]], np.uint8)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(colours).save(tmp_path / "srgb.png", icc_profile=srgb)
    np.testing.assert_allclose(read_image(tmp_path / "srgb.png"), colours, atol=2)  # identity
    # A profile whose red and green primaries are swapped: the stored "red" means green.
    swapped = rgb_icc_profile({"r": SRGB_COLORANTS["g"], "g": SRGB_COLORANTS["r"], "b": SRGB_COLORANTS["b"]})
    Image.fromarray(colours).save(tmp_path / "swapped.png", icc_profile=swapped)
    got = read_image(tmp_path / "swapped.png").astype(int)
    expected = colours[:, [1, 0, 2, 3]].astype(int)  # red and green pixels trade places
    assert np.abs(got - expected).max() <= 12, got  # gamma 2.2 vs the sRGB curve: a few levels


def test_broken_icc_profile_is_ignored_not_fatal(tmp_path):
    img = Image.fromarray(orientation_pattern(16, 16))
    img.save(tmp_path / "b.png", icc_profile=b"not really a profile")
    np.testing.assert_array_equal(read_image(tmp_path / "b.png"), orientation_pattern(16, 16))


def test_decompression_bomb_refused_from_the_header(tmp_path):
    path = write_png_header(tmp_path / "bomb.png", 30000, 30000)
    with pytest.raises(BadInputError, match=r"bomb\.png: image declares 900 megapixels"):
        read_image(path)
    # a size between Pillow's warning and its hard limit is refused by our own check
    path = write_png_header(tmp_path / "big.png", 12000, 12000)
    with pytest.raises(BadInputError, match=r"12000x12000 pixels"):
        read_image(path, max_pixels=100_000_000)


def test_write_image_png_jpeg_and_back(tmp_path):
    rgb = orientation_pattern(64, 48)
    png = write_image(tmp_path / "o.png", rgb)
    jpg = write_image(tmp_path / "o.jpg", rgb, quality=95)
    np.testing.assert_array_equal(read_image(png), rgb)
    assert np.abs(read_image(jpg).astype(int) - rgb.astype(int)).mean() < 3
    assert Image.open(jpg).format == "JPEG" and Image.open(png).format == "PNG"
    profile = ImageCms.ImageCmsProfile(io.BytesIO(Image.open(png).info["icc_profile"]))
    assert "sRGB" in ImageCms.getProfileDescription(profile)


def test_write_image_accepts_float_and_grey(tmp_path):
    grey = np.linspace(0, 1, 32, dtype=np.float32)[None, :].repeat(8, 0)
    out = read_image(write_image(tmp_path / "g.png", grey))
    assert out.shape == (8, 32, 3) and out[0, 0, 0] == 0 and out[0, -1, 0] == 255


def test_write_image_never_overwrites_and_refuses_unknown_format(tmp_path):
    out = write_image(tmp_path / "o.png", orientation_pattern(8, 8))
    before = out.read_bytes()
    with pytest.raises(OutputError, match="already exists"):
        write_image(out, np.zeros((8, 8, 3), np.uint8))
    assert out.read_bytes() == before
    with pytest.raises(BadInputError, match="unknown image format"):
        write_image(tmp_path / "o.gifx", np.zeros((8, 8, 3), np.uint8))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.png"]
