"""Images in and out with Pillow: whatever a camera, scanner or phone produced -> sRGB uint8 RGB.

:func:`read_image` turns the awkward cases into one plain array:

- EXIF orientation (phones store pictures sideways and set a tag) is applied;
- an embedded ICC profile (Adobe RGB, Display P3, a scanner's CMYK...) is converted to sRGB;
- CMYK, palette, greyscale, 16-bit and float pictures become 8-bit RGB;
- transparency is composited on white (what a viewer shows on a page);
- decompression bombs (a tiny file that declares 30000 x 30000 pixels) are refused from the
  header, before a single pixel is decoded.

:func:`write_image` writes PNG or JPEG (by extension), tagged sRGB, atomically.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np

from cinemuse.errors import BadInputError
from cinemuse.io.atomic import atomic_output, check_input_file, check_output_path

__all__ = ["read_image", "write_image", "MAX_PIXELS", "IMAGE_EXTENSIONS"]

# Largest picture we agree to decode: 150 megapixels (a 15k x 10k scan, 450 MB as RGB);
# kept under Pillow's own hard limit (~179 MP) so that our check is the one that speaks.
MAX_PIXELS = 150_000_000

_WRITE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF"}
IMAGE_EXTENSIONS = tuple(_WRITE_FORMATS)


def read_image(path: str | os.PathLike, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read a picture as upright sRGB.

    Parameters
    ----------
    path : str or Path
        Any format Pillow reads (JPEG, PNG, TIFF, WebP, BMP, GIF: first frame...).
    max_pixels : int
        Refuse pictures that declare more pixels than this (checked from the header).

    Returns
    -------
    np.ndarray, shape (height, width, 3), uint8
        Height and width after the EXIF orientation is applied.

    Raises
    ------
    BadInputError
        Missing, empty, not an image, truncated, or too large.
    """
    from PIL import Image, UnidentifiedImageError

    p = check_input_file(path)
    with warnings.catch_warnings():
        # Pillow only *warns* between MAX_IMAGE_PIXELS and twice that; we decide ourselves.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            img = Image.open(p)  # reads the header only
        except Image.DecompressionBombError as exc:
            raise BadInputError(p, _too_big_text(_pixels_in(exc), max_pixels)) from None
        except UnidentifiedImageError:
            raise BadInputError(p, _not_image_reason(p)) from None
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise BadInputError(p, _decode_problem(exc)) from None
        with img:
            width, height = img.size
            if width * height > max_pixels:
                raise BadInputError(p, _too_big_text(width * height, max_pixels, (width, height)))
            if width < 1 or height < 1:
                raise BadInputError(p, "declares an empty picture (0 pixels)")
            try:
                img.load()
                icc = img.info.get("icc_profile")
                img = _upright(img)
                return _to_srgb_array(img, icc)
            except Image.DecompressionBombError:
                raise BadInputError(p, _too_big_text(width * height, max_pixels, (width, height))) from None
            except (OSError, ValueError, SyntaxError, EOFError) as exc:
                raise BadInputError(p, _decode_problem(exc)) from None


def _upright(img):
    """Apply the EXIF orientation; a mangled EXIF block (common after some editors) is ignored."""
    from PIL import ImageOps

    try:
        return ImageOps.exif_transpose(img)
    except Exception:  # noqa: BLE001 - any EXIF parsing failure: keep the picture as stored
        return img


def _decode_problem(exc: BaseException) -> str:
    text = _one_line(exc)
    if "truncat" in text.lower():
        return "image data is truncated (an incomplete file?)"
    return f"image data is corrupt ({text})"


def _pixels_in(exc: BaseException) -> int | None:
    """Pillow's bomb error says 'Image size (N pixels) exceeds limit...': recover N."""
    import re

    m = re.search(r"\((\d+) pixels\)", str(exc))
    return int(m.group(1)) if m else None


def _too_big_text(pixels: int | None, max_pixels: int, size: tuple[int, int] | None = None) -> str:
    if size is not None:
        declared = f"{size[0]}x{size[1]} pixels ({pixels / 1e6:.0f} megapixels)"
    elif pixels is not None:
        declared = f"{pixels / 1e6:.0f} megapixels"
    else:
        declared = "too many pixels"
    return (
        f"image declares {declared}; refusing to decode more than {max_pixels / 1e6:.0f} megapixels "
        "(a decompression bomb, or an extreme scan: downscale it first)"
    )


def _not_image_reason(p: Path) -> str:
    with open(p, "rb") as fh:
        head = fh.read(64)
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        return "is a text file, not an image"
    return "is not an image Pillow can read (wrong format or damaged)"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _to_srgb_array(img, icc: bytes | None) -> np.ndarray:
    """Any Pillow image -> (h, w, 3) uint8 sRGB; alpha over white."""
    from PIL import Image

    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        img = Image.fromarray(_high_depth_to_uint8(np.asarray(img)), "L")
        icc = None  # a grey profile on 16-bit data: its curve is not worth a second pass
    if img.mode == "1":
        img = img.convert("L")
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode == "PA":
        img = img.convert("RGBA")

    alpha = None
    if img.mode in ("RGBA", "LA", "RGBa", "La"):
        if img.mode in ("RGBa", "La"):  # premultiplied: undo before compositing
            img = img.convert(img.mode.upper())
        alpha = np.asarray(img.getchannel("A"), dtype=np.float32) / 255.0
        img = img.convert("RGB" if img.mode == "RGBA" else "L")

    if icc:
        img = _apply_icc(img, icc)
    if img.mode != "RGB":
        # CMYK without a profile, L, YCbCr, LAB, HSV: Pillow's conversions.
        img = img.convert("RGB")
    rgb = np.asarray(img, dtype=np.uint8)
    if alpha is not None:
        a = alpha[:, :, None]
        rgb = np.clip(np.round(rgb.astype(np.float32) * a + 255.0 * (1.0 - a)), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(rgb)


def _high_depth_to_uint8(x: np.ndarray) -> np.ndarray:
    """16-bit / 32-bit int / float greyscale -> 8 bits, keeping the full range."""
    if np.issubdtype(x.dtype, np.floating):
        x = np.nan_to_num(x.astype(np.float32))
        scale = 255.0 if x.max(initial=0.0) <= 1.0 else 1.0
        return np.clip(np.round(x * scale), 0, 255).astype(np.uint8)
    x = x.astype(np.int64)
    top = int(x.max(initial=0))
    if top <= 255:  # an 'I' image that holds 8-bit values
        return np.clip(x, 0, 255).astype(np.uint8)
    if top <= 65535:
        return (np.clip(x, 0, 65535) >> 8).astype(np.uint8)
    return np.clip(np.round(x * (255.0 / top)), 0, 255).astype(np.uint8)


def _apply_icc(img, icc: bytes):
    """Convert from the embedded profile to sRGB; a broken profile is ignored, not fatal."""
    from PIL import ImageCms

    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        dst = ImageCms.createProfile("sRGB")
        if img.mode not in ("RGB", "CMYK", "L"):
            return img
        return ImageCms.profileToProfile(
            img, src, dst, renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode="RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return img


def write_image(
    path: str | os.PathLike,
    rgb: np.ndarray,
    *,
    force: bool = False,
    quality: int = 92,
) -> Path:
    """Write an sRGB picture; the format follows the extension (.png, .jpg/.jpeg, .webp, .tif).

    Parameters
    ----------
    path : str or Path
    rgb : np.ndarray, shape (height, width, 3) or (height, width)
        uint8, or float in [0, 1].
    force : bool
        Replace an existing file.
    quality : int
        JPEG/WebP quality (1-100).

    Returns
    -------
    Path
    """
    from PIL import Image, ImageCms

    out = Path(path)
    fmt = _WRITE_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise BadInputError(
            out, f"unknown image format {out.suffix or '(no extension)'}; use .png or .jpg"
        )
    a = np.asarray(rgb)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] != 3 or a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"rgb must be (height, width, 3), got shape {a.shape}")
    if a.dtype != np.uint8:
        if not np.issubdtype(a.dtype, np.floating):
            raise ValueError(f"rgb must be uint8 or float in [0, 1], got {a.dtype}")
        a = np.clip(np.round(a * 255.0), 0, 255).astype(np.uint8)
    check_output_path(out, force=force)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    options = {"icc_profile": srgb}
    if fmt in ("JPEG", "WEBP"):
        options["quality"] = int(quality)
    if fmt == "JPEG":
        options["optimize"] = True
    with atomic_output(out, force=force) as tmp:
        Image.fromarray(np.ascontiguousarray(a), "RGB").save(tmp, format=fmt, **options)
    return out
