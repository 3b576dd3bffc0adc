import numpy as np
import pytest

from cinemuse.errors import BadInputError
from cinemuse.pipelines.album import load_album

from .photos import scene, write_photo


def test_order_by_capture_time_then_name(tmp_path):
    write_photo(tmp_path / "a.jpg", scene(1), taken="2026:07:03 10:00:00")
    write_photo(tmp_path / "b.jpg", scene(2), taken="2026:07:01 10:00:00")
    write_photo(tmp_path / "c.jpg", scene(3))  # no date: after the dated ones
    write_photo(tmp_path / "d.jpg", scene(4), taken="2026:07:02 10:00:00")
    photos, skipped, dropped = load_album([tmp_path])
    assert [p.path.name for p in photos] == ["b.jpg", "d.jpg", "a.jpg", "c.jpg"]
    photos, *_ = load_album([tmp_path], order="name")
    assert [p.path.name for p in photos] == ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    photos, *_ = load_album([tmp_path / "d.jpg", tmp_path / "a.jpg"], order="given")
    assert [p.path.name for p in photos] == ["d.jpg", "a.jpg"]


def test_exif_orientation_gives_upright_size(tmp_path):
    write_photo(tmp_path / "r.jpg", scene(5, (320, 240)), orientation=6)  # stored 240x320, shown 320x240
    photos, *_ = load_album([tmp_path])
    assert (photos[0].width, photos[0].height) == (320, 240)


def test_bad_files_are_skipped_with_one_line_each(tmp_path):
    write_photo(tmp_path / "good.jpg", scene(1))
    (tmp_path / "notes.jpg").write_text("not a picture")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    photos, skipped, _ = load_album([tmp_path])
    assert [p.path.name for p in photos] == ["good.jpg"]
    assert len(skipped) == 2 and all("\n" not in s for s in skipped)
    assert any("notes.jpg" in s for s in skipped) and any("broken.png" in s for s in skipped)


def test_nothing_usable_fails(tmp_path):
    (tmp_path / "x.jpg").write_text("nope")
    with pytest.raises(BadInputError):
        load_album([tmp_path])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BadInputError, match="no photos"):
        load_album([empty])


def test_near_duplicate_bursts_collapse_to_the_sharpest(tmp_path):
    base = scene(7)
    import cv2

    write_photo(tmp_path / "b1.jpg", cv2.GaussianBlur(base, (0, 0), 1.5), taken="2026:07:01 10:00:00")
    write_photo(tmp_path / "b2.jpg", base, taken="2026:07:01 10:00:01")
    shifted = cv2.resize(cv2.GaussianBlur(base, (0, 0), 0.8)[4:, 6:], base.shape[1::-1])  # the camera moved a little
    write_photo(tmp_path / "b3.jpg", shifted, taken="2026:07:01 10:00:02")
    write_photo(tmp_path / "other.jpg", scene(8), taken="2026:07:01 10:00:03")
    photos, _, dropped = load_album([tmp_path])
    assert [p.path.name for p in photos] == ["b2.jpg", "other.jpg"]
    assert sorted(p.path.name for p in dropped) == ["b1.jpg", "b3.jpg"]
    photos, _, dropped = load_album([tmp_path], keep_duplicates=True)
    assert len(photos) == 4 and not dropped
