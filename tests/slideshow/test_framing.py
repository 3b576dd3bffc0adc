import numpy as np
import pytest

from cinemuse.vision.framing import (
    Box, Subject, blurred_fill, detect_faces, fit_crop, framing_mode, plan_motion, render_crop, salient_box,
)


def _inside(photo_w, photo_h, crop: Box) -> bool:
    return crop.x0 >= -1e-6 and crop.y0 >= -1e-6 and crop.x1 <= photo_w + 1e-6 and crop.y1 <= photo_h + 1e-6


@pytest.mark.parametrize("size", [(4000, 3000), (3000, 2000), (6000, 1500), (1500, 2000)])
@pytest.mark.parametrize("aspect", [16 / 9, 9 / 16, 1.0, 0.8])
def test_moves_stay_inside_the_photo_and_keep_faces(size, aspect):
    w, h = size
    face = Box(0.62 * w, 0.15 * h, 0.7 * w, 0.27 * h)
    subject = Subject(face, (face,), "faces")
    for index in range(3):
        m = plan_motion(w, h, aspect, subject, duration=3.0, index=index)
        if m.mode == "fit":
            for u in np.linspace(0, 1, 31):
                win = fit_crop(m, u, w, h, (1920, round(1920 / aspect)))
                assert win.contains(Box(0, 0, w, h))  # the whole photo always in view
            continue
        for u in np.linspace(0, 1, 31):
            crop = m.crop_at(u)
            assert _inside(w, h, crop), (m, u, crop)
            assert crop.contains(face), (m, u, crop)
            assert abs(crop.w / crop.h - aspect) < 1e-6


def test_modes_by_aspect():
    assert framing_mode(4000, 3000, 16 / 9) == "fill"
    assert framing_mode(3000, 4000, 16 / 9) == "fit"
    assert framing_mode(4000, 3000, 9 / 16) == "pan"
    assert framing_mode(8000, 2000, 16 / 9) == "pan"


def test_zoom_and_pan_are_capped_and_eased():
    subject = Subject(Box(3500, 2500, 3900, 2900), (), "saliency")
    m = plan_motion(4000, 3000, 16 / 9, subject, duration=3.0, index=0)
    a, b = m.crop_at(0.0), m.crop_at(1.0)
    assert 1.0 < a.w / b.w <= 1.18
    assert np.hypot(a.cx - b.cx, a.cy - b.cy) <= 0.06 * 3.0 * a.w + 1e-6
    # eased: slower at the ends than in the middle
    d = lambda u0, u1: abs(m.crop_at(u1).w - m.crop_at(u0).w)  # noqa: E731
    assert d(0.0, 0.05) < d(0.475, 0.525)


def test_render_is_subpixel_smooth():
    # a slow zoom: consecutive frames differ little and evenly (no jumps of whole pixels)
    rng = np.random.default_rng(0)
    src = (rng.uniform(0, 255, (400, 600, 3))).astype(np.uint8)
    import cv2

    src = cv2.GaussianBlur(src, (0, 0), 3)
    m = plan_motion(600, 400, 16 / 9, Subject(Box(250, 150, 350, 250), (), "saliency"), duration=4.0, index=0)
    frames = [render_crop(src, m.crop_at(u), (320, 180)).astype(float) for u in np.linspace(0, 1, 120)]
    steps = [np.abs(b - a).mean() for a, b in zip(frames, frames[1:])]
    assert max(steps) < 3.0 * np.median(steps) + 0.5


def test_saliency_finds_the_bright_object():
    img = np.full((240, 320, 3), 60, np.uint8)
    img[150:190, 230:280] = (250, 220, 40)
    box = salient_box(img)
    assert 230 <= box.cx <= 280 and 150 <= box.cy <= 190  # centred on the object
    overlap = max(0, min(box.x1, 280) - max(box.x0, 230)) * max(0, min(box.y1, 190) - max(box.y0, 150))
    assert overlap >= 0.5 * 50 * 40
    assert box.w < 120


def test_face_detector_finds_the_astronaut():
    data = pytest.importorskip("skimage.data")
    faces = detect_faces(data.astronaut())
    assert faces, "no face found"
    f = faces[0]
    assert 150 < f.cx < 280 and 50 < f.cy < 200  # her face, in the 512x512 picture
    assert detect_faces(np.full((200, 300, 3), 128, np.uint8)) == []


def test_blurred_fill_fills_the_frame():
    img = np.zeros((400, 300, 3), np.uint8)
    img[:, :150] = 200
    fill = blurred_fill(img, (320, 180))
    assert fill.shape == (180, 320, 3)
    assert fill.max() > 50


@pytest.mark.parametrize("aspect", [16 / 9, 9 / 16, 1.0, 0.8])
def test_a_face_filling_the_photos_height_stays_whole_in_frame(aspect):
    """Kodak's kodim15: a face 83 % of the photo's height, its top at the photo's edge. Its
    head room cannot fit a 16:9 crop; its bare box can, and must stay in every frame."""
    w, h = 768, 512
    face = Box(382.8, 0.0, 711.5, 427.0)
    subject = Subject(face, (face,), "faces")
    for index in range(2):
        m = plan_motion(w, h, aspect, subject, duration=3.0, index=index)
        for u in np.linspace(0, 1, 31):
            win = fit_crop(m, u, w, h, (1920, round(1920 / aspect))) if m.mode == "fit" else m.crop_at(u)
            assert win.contains(face, tol=1e-6), (aspect, m, u, win)


def test_a_group_wider_than_a_vertical_frame_is_shown_whole():
    """Ten faces across a landscape photo do not fit a 9:16 crop: the photo is fitted, not panned."""
    w, h = 1280, 853
    faces = tuple(Box(90 + 110 * i, 160, 140 + 110 * i, 230) for i in range(10))
    subject = Subject(faces[0].union(faces[-1]), faces, "faces")
    m = plan_motion(w, h, 9 / 16, subject, duration=3.0, index=0)
    assert m.mode == "fit"
    for u in np.linspace(0, 1, 11):
        win = fit_crop(m, u, w, h, (1080, 1920))
        assert win.contains(Box(0, 0, w, h))  # the whole photo, so every face
    # one face of the same photo still fits a pan
    assert plan_motion(w, h, 9 / 16, Subject(faces[4], faces[4:5], "faces"), duration=3.0, index=0).mode == "pan"
