"""An album: the photos given on the command line, read, measured, ordered and de-duplicated.

Reading is two passes so that memory never grows with the number of photos: this module's
pass decodes each photo at a reduced size (JPEG draft mode, at most ``ANALYSIS_SIDE`` px)
and keeps only small measurements (:class:`Photo`); the slideshow decodes each photo again
at full size when it is about to be shown.

* **Formats**: JPEG, PNG, WebP, TIFF, BMP, GIF (first frame), and HEIC/HEIF when the
  ``pillow-heif`` wheel is installed. EXIF orientation is applied (boxes are in upright
  pixels).
* **Bad files** (corrupt, not an image, declared larger than ``io.image.MAX_PIXELS``) are
  skipped with one warning line naming them; only an album with nothing usable left fails.
* **Order**: ``date`` (EXIF DateTimeOriginal, then file name; undated photos after dated
  ones), ``name``, or ``given`` (the order on the command line, folders by name).
* **Near-duplicates**: consecutive photos (in the chosen order) whose image embeddings
  (the shared EfficientNet-Lite0 encoder, :mod:`cinemuse.vision.encoder`) have cosine
  similarity >= ``DUPLICATE_SIMILARITY`` — and, when both are dated, were taken within
  ``BURST_SECONDS`` — form a burst; the sharpest photo of each burst is kept.
* **Groups** (the music's sections): a new group starts at a gap of more than
  ``GROUP_GAP_SECONDS`` in capture time, or where consecutive photos look unlike each
  other (cosine < ``GROUP_SIMILARITY``); groups shorter than ``MIN_GROUP`` photos join
  their neighbour.
"""

from __future__ import annotations

import datetime as _dt
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from cinemuse.errors import BadInputError, UsageError
from cinemuse.progress import SILENT, Progress
from cinemuse.vision.framing import Box, Subject

PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic", ".heif")
ANALYSIS_SIDE = 640
DUPLICATE_SIMILARITY = 0.90  # bursts (shifted, re-framed): 0.93-0.98; same subject, new shot: <= 0.85
BURST_SECONDS = 10.0
GROUP_GAP_SECONDS = 3 * 3600.0
GROUP_SIMILARITY = 0.55
MIN_GROUP = 3
ORDERS = ("date", "name", "given")


@dataclass(frozen=True)
class Photo:
    """What the slideshow needs to know about one photo, measured at a reduced size."""

    path: Path
    width: int  # upright, full size
    height: int
    taken: _dt.datetime | None
    subject: Subject  # boxes in full-size upright pixels
    embedding: np.ndarray  # (1280,) float32
    sharpness: float  # variance of the Laplacian at ANALYSIS_SIDE
    brightness: float  # 0..1
    saturation: float  # 0..1
    colourfulness: float  # Hasler & Süsstrunk M

    def to_dict(self) -> dict:
        return {
            "file": str(self.path), "width": self.width, "height": self.height,
            "taken": self.taken.isoformat() if self.taken else None,
            "subject": self.subject.kind, "faces": [f.to_list() for f in self.subject.faces],
        }


def _heif_support() -> None:
    try:
        from pillow_heif import register_heif_opener  # optional wheel
    except ImportError:
        return
    register_heif_opener()


def expand_inputs(inputs: Sequence[str | os.PathLike]) -> list[Path]:
    """Files given, plus the photos (by extension) directly inside folders given, folders by name."""
    files: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = sorted((q for q in p.iterdir() if q.is_file() and not q.name.startswith(".")
                            and q.suffix.lower() in PHOTO_EXTENSIONS), key=lambda q: q.name.lower())
            if not found:
                raise BadInputError(p, "folder has no photos (JPEG, PNG, WebP, TIFF, HEIC)")
            files += found
        elif p.exists():
            files.append(p)
        else:
            raise BadInputError(p, "no such file or folder")
    if not files:
        raise UsageError("no photos given")
    return files


def _exif_time(img) -> _dt.datetime | None:
    try:
        exif = img.getexif()
        raw = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)  # DateTimeOriginal, else DateTime
        if not raw:
            return None
        return _dt.datetime.strptime(str(raw).strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except Exception:  # noqa: BLE001 - a mangled EXIF block: no date
        return None


def open_reduced(path: Path, side: int) -> tuple[np.ndarray, int, int, _dt.datetime | None]:
    """(upright RGB at most ``side`` px, full upright width, height, capture time); BadInputError if unusable."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    from cinemuse.io.image import MAX_PIXELS

    _heif_support()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as img:
                w, h = img.size
                if w * h > MAX_PIXELS:
                    raise BadInputError(path, f"too large ({w}x{h} = {w * h / 1e6:.0f} megapixels)")
                taken = _exif_time(img)
                turned = img.getexif().get(0x0112, 1) in (5, 6, 7, 8)
                img.draft("RGB", (side, side))
                try:
                    up = ImageOps.exif_transpose(img)
                except Exception:  # noqa: BLE001 - a mangled EXIF block: keep the picture as stored
                    up, turned = img, False
                rgb = up.convert("RGB")
                rgb.thumbnail((side, side))
                arr = np.asarray(rgb)
        except BadInputError:
            raise
        except UnidentifiedImageError:
            raise BadInputError(path, "not a picture cinemuse can read") from None
        except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
            raise BadInputError(path, f"cannot be decoded ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
    if arr.shape[0] < 8 or arr.shape[1] < 8:
        raise BadInputError(path, f"too small to show ({w}x{h})")
    return arr, (h if turned else w), (w if turned else h), taken


def measure(path: Path, encoder) -> Photo:
    """Read one photo at reduced size and measure it."""
    import cv2

    from cinemuse.vision.color import colourfulness
    from cinemuse.vision.framing import find_subject

    small, w, h, taken = open_reduced(path, ANALYSIS_SIDE)
    subject = find_subject(small)
    s = w / small.shape[1]
    subject = Subject(box=subject.box.scaled(s), faces=tuple(f.scaled(s) for f in subject.faces), kind=subject.kind)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    return Photo(
        path=path, width=w, height=h, taken=taken, subject=subject,
        embedding=encoder.embed(small).astype(np.float32),
        sharpness=float(cv2.Laplacian(grey, cv2.CV_32F).var()),
        brightness=float(grey.mean() / 255.0), saturation=float(hsv[..., 1].mean() / 255.0),
        colourfulness=colourfulness(small),
    )


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def order_photos(photos: list[Photo], order: str) -> list[Photo]:
    if order == "given":
        return list(photos)
    if order == "name":
        return sorted(photos, key=lambda p: (p.path.name.lower(), str(p.path)))
    if order == "date":
        return sorted(photos, key=lambda p: (p.taken is None, p.taken or _dt.datetime.min, p.path.name.lower()))
    raise UsageError(f"--order must be one of {', '.join(ORDERS)}, got {order!r}")


def collapse_duplicates(photos: list[Photo]) -> tuple[list[Photo], list[Photo]]:
    """(kept, dropped): each burst of near-identical consecutive photos keeps its sharpest."""
    kept: list[Photo] = []
    dropped: list[Photo] = []
    burst: list[Photo] = []

    def close_burst() -> None:
        if burst:
            best = max(burst, key=lambda p: p.sharpness)
            kept.append(best)
            dropped.extend(p for p in burst if p is not best)
            burst.clear()

    for p in photos:
        if burst:
            prev = burst[-1]
            near_in_time = (prev.taken is None or p.taken is None
                            or abs((p.taken - prev.taken).total_seconds()) <= BURST_SECONDS)
            if not (near_in_time and _cos(prev.embedding, p.embedding) >= DUPLICATE_SIMILARITY):
                close_burst()
        burst.append(p)
    close_burst()
    return kept, dropped


def group_photos(photos: list[Photo]) -> list[int]:
    """Indices where a new group (musical section) starts; always begins with 0."""
    starts = [0]
    for i in range(1, len(photos)):
        a, b = photos[i - 1], photos[i]
        gap = (a.taken is not None and b.taken is not None
               and abs((b.taken - a.taken).total_seconds()) > GROUP_GAP_SECONDS)
        if gap or _cos(a.embedding, b.embedding) < GROUP_SIMILARITY:
            starts.append(i)
    # merge short groups into the previous one
    merged = [0]
    for s, e in zip(starts, starts[1:] + [len(photos)]):
        if s == 0:
            continue
        if s - merged[-1] >= MIN_GROUP and len(photos) - s >= MIN_GROUP and e - s >= 1:
            merged.append(s)
    return merged


def load_album(inputs: Sequence[str | os.PathLike], *, order: str = "date", keep_duplicates: bool = False,
               progress: Progress = SILENT) -> tuple[list[Photo], list[str], list[Photo]]:
    """Read and measure the album.

    Returns
    -------
    photos : list of Photo
        Usable photos in slideshow order, near-duplicates collapsed (unless ``keep_duplicates``).
    skipped : list of str
        One line per unusable file (the caller reports them).
    duplicates : list of Photo
        The photos left out as near-duplicates.

    Raises
    ------
    BadInputError
        Nothing usable is left.
    """
    from cinemuse.vision.encoder import ImageEncoder

    if order not in ORDERS:
        raise UsageError(f"--order must be one of {', '.join(ORDERS)}, got {order!r}")
    files = expand_inputs(inputs)
    encoder = ImageEncoder.load()
    photos, skipped = [], []
    with progress.stage("Reading photos", total=len(files)) as stage:
        for f in files:
            try:
                photos.append(measure(f, encoder))
            except BadInputError as exc:
                skipped.append(str(exc))
            stage.advance()
    if not photos:
        where = files[0] if len(files) == 1 else (Path(inputs[0]) if len(inputs) == 1 else None)
        raise BadInputError(where, f"no usable photos ({len(skipped)} unreadable)")
    photos = order_photos(photos, order)
    dropped: list[Photo] = []
    if not keep_duplicates:
        photos, dropped = collapse_duplicates(photos)
    return photos, skipped, dropped


def subject_box(photo: Photo) -> Box:
    return photo.subject.box
