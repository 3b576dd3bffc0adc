"""Slideshow figures (issue 13), JSON lines on stdout. Every check reads the rendered files back.

    .venv/bin/python benchmarks/bench_slideshow.py                    # small: 640x360-class frames
    .venv/bin/python benchmarks/bench_slideshow.py --full             # the real sizes (1920x1080 ...)
    .venv/bin/python benchmarks/bench_slideshow.py --only sync_song --songs 5
    .venv/bin/python benchmarks/bench_slideshow.py --only stylize --save DIR

Sections (``--only`` picks some; default all but ``stylize``):

* ``sync_composed``  films with composed music; onsets detected (librosa) in the audio decoded
                     from the MP4; share of photo changes with an onset within +-1 frame (target 100 %)
* ``sync_song``      songs with known beats: cinemuse composes a cue at a fixed tempo, writes its
                     MIDI and renders the same piece through the shipped soundfont; the true beats
                     are the MIDI's (pretty_midi). Share of changes within +-1 frame of a true beat
                     (target >= 95 %)
* ``length``         decoded frame count and stream durations against the asked length (one frame)
* ``cue_sheet``      where the decoded picture really changes: the first frame that correlates
                     more with the next photo than with the last, against the cue sheet's frame
* ``fill``           black bars in fill mode, all four aspects, portrait, landscape and panorama
                     photos: border strips of every decoded frame; and the planned crops lie inside
                     the photo in every frame (the renderer would mirror, not blacken, outside)
* ``faces``          photos with faces (Wikimedia/Kodak): the face boxes inside the shown window in
                     every frame (from the plan, transitions' zoom included), and YuNet run on the
                     decoded frames finds the faces where the plan puts them
* ``speed``          a 30 s slideshow of 15 photos (16:9; ``--full``: 1920x1080) against PyAV's
                     libx264 encoding its 900 frames alone (same preset and crf, same run); wall
                     and CPU (target <= 2.5x)
* ``memory``         peak RSS for 200 photos vs 15 at the same length (target <= 1.3x)
* ``bad_inputs``     empty folder, folder of non-images, a song that is not audio: one line, exit 2,
                     nothing written
* ``stylize``        stylising a 1920x1080 held-out photo (kodim23), per style (``--save DIR``)

``--save DIR`` also writes a few frames of each film as PNG, to look at.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datadir import add_data_dir_argument, data_dir  # noqa: E402

FPS = 30
SMALL = {"16:9": (640, 360), "9:16": (360, 640), "1:1": (360, 360), "4:5": (360, 450)}
FACE_PHOTOS = ["wikimedia49/020.jpg", "wikimedia49/027.jpg", "wikimedia49/029.jpg", "wikimedia49/035.jpg",
               "wikimedia49/037.jpg", "wikimedia49/038.jpg", "wikimedia49/044.jpg", "wikimedia49/045.jpg",
               "kodak24/kodim04.png", "kodak24/kodim10.png", "kodak24/kodim12.png", "kodak24/kodim14.png",
               "kodak24/kodim15.png", "kodak24/kodim17.png", "kodak24/kodim18.png"]
SECTIONS = ("sync_composed", "sync_song", "length", "cue_sheet", "fill", "faces", "speed", "memory", "bad_inputs")


def emit(**kw) -> None:
    print(json.dumps(kw, default=lambda o: o.item() if hasattr(o, "item") else str(o)), flush=True)


def frame_size(args, aspect: str) -> tuple[int, int]:
    from cinemuse.pipelines.slideshow import ASPECTS

    return ASPECTS[aspect] if args.full else SMALL[aspect]


# ----------------------------------------------------------------------------- albums


def album_folder(root: Path, name: str, sources: list[Path]) -> Path:
    """A folder of links to ``sources`` (names keep the order: the album is read by name)."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    for i, src in enumerate(sources):
        link = folder / f"{i:03d}_{src.name}"
        if not link.exists():
            link.symlink_to(src.resolve())
    return folder


def panoramas(root: Path, data: Path) -> list[Path]:
    """Two wide panoramas (3:1, 4:1) and a tall strip (1:2.6), cut from Wikimedia photos."""
    from PIL import Image

    out = []
    for name, box in (("pano_3x1.jpg", ("001.jpg", 3.0)), ("pano_4x1.jpg", ("010.jpg", 4.0)),
                      ("tall_1x2.6.jpg", ("029.jpg", 1 / 2.6))):
        p = root / name
        if not p.exists():
            with Image.open(data / "images/wikimedia49" / box[0]) as im:
                im = im.convert("RGB")
                w, h = im.size
                if box[1] >= 1:
                    ch = round(w / box[1])
                    im = im.crop((0, (h - ch) // 2, w, (h - ch) // 2 + ch))
                else:
                    cw = round(h * box[1])
                    im = im.crop(((w - cw) // 2, 0, (w - cw) // 2 + cw, h))
                im.save(p, quality=92)
        out.append(p)
    return out


def wikimedia(data: Path, names: range) -> list[Path]:
    return [data / "images/wikimedia49" / f"{i:03d}.jpg" for i in names]


def all_photos(data: Path) -> list[Path]:
    imgs = data / "images"
    return (sorted((imgs / "wikimedia49").glob("*.jpg")) + sorted((imgs / "dreambooth").glob("*.jpg"))
            + sorted((imgs / "kodak24").glob("*.png")))


# ----------------------------------------------------------------------------- reading a film back


def decode_film(path: Path, *, small: tuple[int, int] = (64, 36), keep=lambda i: False, save=None):
    """One pass over the film: thumbnails (float, grey), border statistics, and the full frames
    ``keep(i)`` asks for. Returns a dict."""
    import av

    thumbs, borders, kept = [], [], {}
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        for i, f in enumerate(c.decode(video=0)):
            rgb = f.to_ndarray(format="rgb24")
            grey = rgb.mean(axis=2)
            thumbs.append(np.asarray(f.reformat(width=small[0], height=small[1], format="gray").to_ndarray(),
                                     np.float32))
            strips = (grey[:3], grey[-3:], grey[:, :3], grey[:, -3:])
            borders.append([(float(s.mean()), float(s.max())) for s in strips] + [float(grey.mean())])
            if keep(i):
                kept[i] = rgb
            if save is not None and i in save[1]:
                from PIL import Image

                Image.fromarray(rgb).save(save[0] / f"{path.stem}_f{i:04d}.png")
        fps = float(v.average_rate)
    return {"thumbs": np.stack(thumbs), "borders": borders, "frames": kept, "fps": fps}


def audio_of(path: Path, sr: int = 22050) -> np.ndarray:
    import av

    out = []
    with av.open(str(path)) as c:
        res = av.AudioResampler(format="fltp", layout="mono", rate=sr)
        for f in c.decode(audio=0):
            for g in res.resample(f):
                out.append(g.to_ndarray()[0])
    return np.concatenate(out)


def onsets(y: np.ndarray, sr: int = 22050) -> np.ndarray:
    import librosa

    env = librosa.onset.onset_strength(y=y, sr=sr, hop_length=128)
    return librosa.onset.onset_detect(onset_envelope=env, sr=sr, hop_length=128, units="time", backtrack=False)


def stream_lengths(path: Path) -> dict:
    import av

    with av.open(str(path)) as c:
        n_video = sum(1 for _ in c.decode(video=0))
    with av.open(str(path)) as c:
        a = c.streams.audio[0]
        n_audio = sum(f.samples for f in c.decode(audio=0))
        rate = a.rate
    return {"video_frames": n_video, "audio_s": n_audio / rate}


def make(photos, out: Path, **kw):
    from cinemuse.pipelines.slideshow import SlideshowOptions, make_slideshow

    return make_slideshow(photos if isinstance(photos, list) else [photos], out,
                          SlideshowOptions(force=True, **kw))


def changes_of(result) -> list[dict]:
    return [s for s in result.to_dict()["slides"][1:]]


def save_frames(args, film: Path, result) -> tuple[Path, set[int]] | None:
    """Frames worth looking at: mid-slide, and a few around the first changes."""
    if not args.save:
        return None
    args.save.mkdir(parents=True, exist_ok=True)
    want = set()
    for s in result.to_dict()["slides"][:4]:
        want.add(int((s["start"] + s["end"]) / 2 * FPS))
        if s["frame"] > 0:
            want |= {s["frame"] - 3, s["frame"], s["frame"] + 3}
    return args.save, want


# ----------------------------------------------------------------------------- sync


def within(times, targets, tol: float) -> np.ndarray:
    targets = np.asarray(targets, float)
    if not len(targets):
        return np.zeros(len(times), bool)
    return np.array([np.min(np.abs(targets - t)) <= tol + 1e-9 for t in times])


def nearest_offsets(times, targets) -> list[float]:
    targets = np.asarray(targets, float)
    return [float(targets[np.argmin(np.abs(targets - t))] - t) for t in times] if len(targets) else []


def bench_sync_composed(args, work: Path, data: Path) -> None:
    cases = [dict(mood=None, music_style=None, look="none"), dict(mood="happy", music_style="pop", look="warm"),
             dict(mood="calm", music_style="piano", look="film"), dict(mood="epic", music_style="cinematic", look="cool"),
             dict(mood="sad", music_style="ambient", look="mono")][: args.films]
    from cinemuse.pipelines.score import parse_mood

    total, hit = 0, 0
    for i, case in enumerate(cases):
        photos = album_folder(work, f"sync{i}", wikimedia(data, range(1 + 7 * i, 9 + 7 * i)))
        film = work / f"sync_composed_{i}.mp4"
        r = make(photos, film, size=frame_size(args, "16:9"), mood=parse_mood(case["mood"]),
                 music_style=case["music_style"], look=case["look"], seed=i)
        times = [s["start"] for s in changes_of(r)]
        on = onsets(audio_of(film))
        ok = within(times, on, 1.0 / FPS)
        total, hit = total + len(times), hit + int(ok.sum())
        off = nearest_offsets(times, on)
        # how often a time picked at random has an onset that near: the figure's floor
        chance = within(np.random.default_rng(i).uniform(0.5, r.duration - 0.5, 500), on, 1.0 / FPS).mean()
        emit(figure="sync_composed", film=i, **{k: v for k, v in case.items()}, tempo=round(r.tempo, 2),
             changes=len(times), with_onset_within_1_frame=int(ok.sum()), random_times_within_1_frame=round(chance, 3),
             median_offset_ms=round(1000 * statistics.median(off), 1) if off else None,
             worst_offset_ms=round(1000 * max(off, key=abs), 1) if off else None)
    emit(figure="sync_composed_total", changes=total, share=round(hit / max(total, 1), 4), target=1.0)


SONGS = [("pop", 104.0, "happy"), ("piano", 88.0, "calm"), ("electronic", 126.0, "tense"),
         ("folk", 97.3, "playful"), ("cinematic", 76.0, "epic")]


def known_beat_song(work: Path, i: int, style: str, tempo: float, mood: str, duration: float = 40.0):
    """A song and its true beats: a cue composed at ``tempo``, its MIDI and the same piece rendered."""
    import pretty_midi

    import cinemuse

    wav, mid = work / f"song{i}_{style}.wav", work / f"song{i}_{style}.mid"
    if not wav.exists():
        kw = dict(duration=duration, style=style, tempo=tempo, mood=mood, seed=11 + i, force=True)
        cinemuse.compose(str(mid), **kw)
        cinemuse.compose(str(wav), **kw)  # the same cue: the same piece (MIDI byte for byte)
    pm = pretty_midi.PrettyMIDI(str(mid))
    return wav, pm.get_beats(), pm.get_downbeats()


def bench_sync_song(args, work: Path, data: Path) -> None:
    total, hit = 0, 0
    for i, (style, tempo, mood) in enumerate(SONGS[: args.songs]):
        wav, beats, downbeats = known_beat_song(work, i, style, tempo, mood)
        photos = album_folder(work, f"song_album{i}", wikimedia(data, range(2 + 5 * i, 12 + 5 * i)))
        film = work / f"sync_song_{i}.mp4"
        r = make(photos, film, size=frame_size(args, "16:9"), song=wav, seed=i)
        times = [s["start"] for s in changes_of(r)]
        ok = within(times, beats, 1.0 / FPS)
        on_down = within(times, downbeats, 1.0 / FPS)
        total, hit = total + len(times), hit + int(ok.sum())
        off = nearest_offsets(times, beats)
        lengths = stream_lengths(film)
        emit(figure="sync_song", song=i, style=style, true_tempo=tempo, song_s=round(float(len(audio_of(wav)) / 22050), 3),
             detected_tempo=round(r.tempo, 2), changes=len(times), within_1_frame_of_true_beat=int(ok.sum()),
             on_true_downbeat=int(on_down.sum()),
             median_abs_offset_ms=round(1000 * statistics.median(np.abs(off)), 1) if off else None,
             worst_offset_ms=round(1000 * max(off, key=abs), 1) if off else None,
             film_s=round(r.duration, 4), film_frames=lengths["video_frames"])
    emit(figure="sync_song_total", changes=total, share=round(hit / max(total, 1), 4), target=0.95)


# ----------------------------------------------------------------------------- length and cue sheet


def bench_length(args, work: Path, data: Path) -> None:
    worst = 0.0
    cases = [dict(duration=7.3), dict(duration=12.0), dict(duration=29.99), dict(duration=None), dict(duration=None, title="A title")]
    for i, case in enumerate(cases):
        photos = album_folder(work, f"len{i}", wikimedia(data, range(20 + i, 26 + i)))
        film = work / f"length_{i}.mp4"
        r = make(photos, film, size=frame_size(args, "16:9"), seed=i, **case)
        got = stream_lengths(film)
        want = round((case["duration"] or r.duration) * FPS)
        err_v = got["video_frames"] - want
        err_a = (got["audio_s"] - want / FPS) * FPS
        worst = max(worst, abs(err_v), abs(err_a))
        emit(figure="length", asked_s=case["duration"], frames_expected=want, frames_decoded=got["video_frames"],
             audio_s=round(got["audio_s"], 4), video_error_frames=err_v, audio_error_frames=round(err_a, 3))
    emit(figure="length_worst_error_frames", value=round(worst, 3), target=1.0)


def ncc(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (math.sqrt((a * a).sum() * (b * b).sum()) + 1e-6))


def measured_change(thumbs: np.ndarray, change: dict, prev_end_frame: int, next_end_frame: int) -> int:
    """The first frame that looks more like the photo after the change than the one before."""
    t, half = change["start"], change["transition_length"] / 2
    ia = max(0, math.floor((t - half) * FPS) - 2)
    ib = min(len(thumbs) - 1, math.ceil((t + half) * FPS) + 2, next_end_frame)
    for i in range(ia + 1, ib + 1):
        if ncc(thumbs[i], thumbs[ib]) > ncc(thumbs[i], thumbs[ia]):
            return i
    return ib


def check_cue_sheet(film: Path, r, args) -> dict:
    """Listed change frames against the decoded picture, and the biggest step inside a slide."""
    from cinemuse.pipelines.timeline import frames_for

    d = decode_film(film, save=save_frames(args, film, r))
    thumbs = d["thumbs"]
    slides = r.to_dict()["slides"]
    errors, kinds, busy = [], [], np.zeros(len(thumbs), bool)
    for k in range(1, len(slides)):
        c = slides[k]
        nxt = slides[k + 1]["frame"] if k + 1 < len(slides) else frames_for(r.duration, FPS)
        got = measured_change(thumbs, c, slides[k - 1]["frame"], nxt - 1)
        errors.append(got - c["frame"])
        kinds.append(c["transition"])
        half = c["transition_length"] / 2
        busy[max(0, math.floor((c["start"] - half) * FPS) - 1): math.ceil((c["start"] + half) * FPS) + 2] = True
    steps = np.abs(np.diff(thumbs, axis=0)).mean(axis=(1, 2))
    calm = steps[~busy[1:]]
    return {"errors": errors, "kinds": kinds, "within_slide_max_step": float(calm.max()) if len(calm) else 0.0,
            "within_slide_median_step": float(np.median(calm)) if len(calm) else 0.0,
            "change_median_step": float(np.median(steps[busy[1:]])) if busy.any() else 0.0}


def bench_cue_sheet(args, work: Path, data: Path) -> None:
    looks = ["none", "film", "warm", "cool", "faded", "mono"][: max(2, args.films + 1)]
    allerr = []
    for i, look in enumerate(looks):
        photos = album_folder(work, f"cue{i}", wikimedia(data, range(3 + 6 * i, 11 + 6 * i)))
        film = work / f"cue_{look}.mp4"
        r = make(photos, film, size=frame_size(args, "16:9"), look=look, seed=i, duration=24.0,
                 title="Cue sheet" if i == 0 else None)
        c = check_cue_sheet(film, r, args)
        allerr += c["errors"]
        emit(figure="cue_sheet_change_frames", look=look, changes=len(c["errors"]),
             within_1_frame=sum(abs(e) <= 1 for e in c["errors"]), errors=c["errors"], kinds=c["kinds"],
             within_slide_max_step=round(c["within_slide_max_step"], 2),
             within_slide_median_step=round(c["within_slide_median_step"], 3),
             change_median_step=round(c["change_median_step"], 2))
    emit(figure="cue_sheet_total", changes=len(allerr), share_within_1_frame=round(
        sum(abs(e) <= 1 for e in allerr) / max(1, len(allerr)), 4), exact=sum(e == 0 for e in allerr))


# ----------------------------------------------------------------------------- fill and faces


def photo_size(path: str) -> tuple[int, int]:
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).size


def windows(result, size: tuple[int, int]):
    """Yield (frame, slide index, window in photo pixels, in_transition) for every drawn photo."""
    from cinemuse.vision.framing import Box, Motion, fit_crop

    slides = result.to_dict()["slides"]
    n, aspect = result.frames, size[0] / size[1]
    for k, s in enumerate(slides):
        if s["file"] is None:
            continue
        pw, ph = photo_size(s["file"])
        nxt = slides[k + 1] if k + 1 < len(slides) else None
        a = max(0.0, s["start"] - s["transition_length"] / 2)
        b = min(result.duration, s["end"] + (nxt["transition_length"] / 2 if nxt else 0.0))
        m = Motion(s["framing"], tuple(s["motion"][0]), tuple(s["motion"][1]), aspect)
        for i in range(math.ceil(a * FPS - 1e-9), min(n, math.ceil(b * FPS - 1e-9))):
            t, u = i / FPS, (i / FPS - a) / max(b - a, 1e-9)
            win = fit_crop(m, u, pw, ph, size) if m.mode == "fit" else m.crop_at(u)
            busy = (k > 0 and abs(t - s["start"]) < s["transition_length"] / 2) or (
                nxt is not None and abs(t - nxt["start"]) < nxt["transition_length"] / 2)
            if nxt is not None and nxt["transition"] == "zoom" and abs(t - nxt["start"]) < nxt["transition_length"] / 2:
                p = (t - (nxt["start"] - nxt["transition_length"] / 2)) / nxt["transition_length"]
                z = 1.0 + 0.2 * p * p * (3 - 2 * p)  # the zoom transition magnifies about the centre
                win = Box(win.cx - win.w / (2 * z), win.cy - win.h / (2 * z), win.cx + win.w / (2 * z),
                          win.cy + win.h / (2 * z))
            yield i, k, win, busy, (pw, ph)


def bars(border) -> bool:
    """A border strip that is black through and through (video black decodes to 0-3; the
    darkest photo edges and blurred backdrops measured here stay above 8) while the
    picture is not dark: a black bar."""
    *sides, mean = border
    return mean > 40 and any(m < 4 and mx < 8 for m, mx in sides)


def dip_frames(result) -> set[int]:
    out = set()
    for s in result.to_dict()["slides"][1:]:
        if s["transition"] == "dip":
            half = s["transition_length"] / 2
            out |= set(range(math.floor((s["start"] - half) * FPS), math.ceil((s["start"] + half) * FPS) + 1))
    return out


def bar_detector_check(work: Path, data: Path, size: tuple[int, int]) -> int:
    """The detector on a film that has bars: a letterboxed photo, encoded and decoded the same way."""
    import cv2
    from PIL import Image

    from cinemuse.io.video import write_video

    w, h = size
    rgb = np.asarray(Image.open(data / "images/wikimedia49/002.jpg").convert("RGB"))
    inner = cv2.resize(rgb, (w, h - 2 * (h // 12)), interpolation=cv2.INTER_AREA)
    frame = np.zeros((h, w, 3), np.uint8)
    frame[h // 12: h // 12 + inner.shape[0]] = inner
    film = write_video(work / "letterboxed.mp4", (frame for _ in range(30)), fps=FPS, force=True)
    return sum(bars(b) for b in decode_film(film)["borders"])


def bench_fill(args, work: Path, data: Path) -> None:
    caught = bar_detector_check(work, data, frame_size(args, "16:9"))
    emit(figure="fill_bar_detector_check", letterboxed_frames=30, caught=caught)
    photos = wikimedia(data, range(1, 7)) + [data / "images/wikimedia49/027.jpg", data / "images/wikimedia49/029.jpg"]
    photos += panoramas(work, data)
    folder = album_folder(work, "fill", photos)
    for aspect in ("16:9", "9:16", "1:1", "4:5"):
        size = frame_size(args, aspect)
        film = work / f"fill_{aspect.replace(':', 'x')}.mp4"
        r = make(folder, film, size=size, keep_duplicates=True, seed=3)
        d = decode_film(film, save=save_frames(args, film, r))
        dips = dip_frames(r)
        barred = [i for i, b in enumerate(d["borders"]) if i not in dips and bars(b)]
        outside = sum(1 for i, k, w, _, (pw, ph) in windows(r, size)
                      if r.slides[k].framing != "fit" and (w.x0 < -0.5 or w.y0 < -0.5 or w.x1 > pw + 0.5 or w.y1 > ph + 0.5))
        framings = [s.framing for s in r.slides if s.file]
        emit(figure="fill_no_black_bars", aspect=aspect, size=list(size), frames=len(d["borders"]),
             frames_with_a_black_bar=len(barred), first_barred=barred[:5],
             planned_crop_outside_photo_frames=outside,
             framings={m: framings.count(m) for m in sorted(set(framings))})


def detect_in_frames(frames: dict, expected: dict, size) -> tuple[int, int, int]:
    """(expected faces, found by YuNet where planned, frames with a detected face cut by the
    frame's edge). ``expected[i]``: (box in frame pixels, the photo itself cuts it) pairs; a
    face the photo already cuts (kodim15's forehead) is not the film's doing."""
    from cinemuse.vision.framing import detect_faces

    W, H = size
    want = found = cut = 0
    for i, rgb in frames.items():
        dets = detect_faces(rgb)
        own = [box for box, cut_in_photo in expected[i] if cut_in_photo]
        cut += any((f.x0 <= 1 or f.y0 <= 1 or f.x1 >= W - 1 or f.y1 >= H - 1)
                   and not any(iou(f, b) >= 0.3 for b in own) for f in dets)
        for box, _ in expected[i]:
            want += 1
            found += any(iou(box, f) >= 0.3 for f in dets)
    return want, found, cut


def iou(a, b) -> float:
    ix = max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0))
    iy = max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))
    inter = ix * iy
    return inter / max(a.w * a.h + b.w * b.h - inter, 1e-9)


def bench_faces(args, work: Path, data: Path) -> None:
    from cinemuse.vision.framing import Box

    folder = album_folder(work, "faces", [data / "images" / p for p in FACE_PHOTOS])
    for aspect in args.aspects:
        size = frame_size(args, aspect)
        film = work / f"faces_{aspect.replace(':', 'x')}.mp4"
        r = make(folder, film, size=size, keep_duplicates=True, seed=5)
        face_frames = inside = 0
        expected, sample = {}, set()
        for i, k, w, busy, (pw, ph) in windows(r, size):
            faces = [Box(*f) for f in r.slides[k].faces]
            for f in faces:
                face_frames += 1
                inside += w.contains(f, tol=0.5)
            if faces and not busy and i % 10 == 0:
                s = size[0] / w.w
                expected[i] = [(Box((f.x0 - w.x0) * s, (f.y0 - w.y0) * s, (f.x1 - w.x0) * s, (f.y1 - w.y0) * s),
                                f.x0 <= 1 or f.y0 <= 1 or f.x1 >= pw - 1 or f.y1 >= ph - 1)
                               for f in faces if w.contains(f, tol=0.5) and (f.w * s) >= 24]
                sample.add(i)
        d = decode_film(film, keep=lambda i: i in sample, save=save_frames(args, film, r))
        want, found, cut = detect_in_frames(d["frames"], expected, size)
        emit(figure="faces_inside_frame", aspect=aspect, size=list(size), photos_with_faces=sum(bool(s.faces) for s in r.slides),
             face_frames=face_frames, inside=inside, share=round(inside / max(face_frames, 1), 4), target=0.99,
             yunet_checked_faces=want, yunet_found_where_planned=found, sampled_frames=len(sample),
             sampled_frames_with_a_face_cut_by_the_edge=cut)


# ----------------------------------------------------------------------------- speed and memory


def run_worker(job: dict) -> dict:
    """Run one slideshow in a fresh process; its wall, CPU and peak RSS (os.wait4), and result."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--worker", json.dumps(job)], stdout=subprocess.PIPE,
                            text=True)
    out = proc.stdout.read()
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark: slideshow worker failed ({proc.returncode})")
    res = json.loads(out.strip().splitlines()[-1])
    return {"wall_s": time.perf_counter() - t0, "cpu_s": ru.ru_utime + ru.ru_stime,
            "peak_rss_mb": ru.ru_maxrss / 1024, "result": res}


def worker(job: dict) -> None:
    r = make([job["photos"]], Path(job["out"]), size=tuple(job["size"]), duration=job["duration"],
             keep_duplicates=True, seed=job.get("seed", 0))
    print(json.dumps({"photos": sum(1 for s in r.slides if s.file), "frames": r.frames,
                      "timings": r.to_dict()["timings"]}))


def encode_alone(film: Path, out: Path, *, preset: str = "fast", crf: int = 20) -> dict:
    """PyAV's libx264 encoding the film's own frames (yuv420p, as decoded), minus the decoding."""
    import av
    import resource

    def clock():
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return time.perf_counter(), ru.ru_utime + ru.ru_stime

    def one_pass(encode: bool) -> tuple[float, float, int]:
        w0, c0 = clock()
        n = 0
        with contextlib.ExitStack() as stack:
            src = stack.enter_context(av.open(str(film)))
            v = src.streams.video[0]
            if encode:  # an output with no stream cannot be closed: open it only to encode
                dst = stack.enter_context(av.open(str(out), "w"))
                s = dst.add_stream("libx264", rate=FPS)
                s.width, s.height, s.pix_fmt = v.codec_context.width, v.codec_context.height, "yuv420p"
                s.options = {"preset": preset, "crf": str(crf)}
            for f in src.decode(video=0):
                n += 1
                if encode:
                    f.pts, f.time_base = n - 1, Fraction(1, FPS)
                    for p in s.encode(f):
                        dst.mux(p)
            if encode:
                for p in s.encode():
                    dst.mux(p)
        w1, c1 = clock()
        return w1 - w0, c1 - c0, n

    dw, dc, _ = one_pass(False)
    ew, ec, n = one_pass(True)
    return {"frames": n, "wall_s": ew - dw, "cpu_s": ec - dc, "decode_wall_s": dw, "decode_plus_encode_wall_s": ew}


def bench_speed(args, work: Path, data: Path) -> None:
    folder = album_folder(work, "speed15", wikimedia(data, range(30, 45)))
    size = frame_size(args, "16:9")
    ratios, cpu_ratios = [], []
    for rep in range(args.reps):
        film = work / "speed.mp4"
        film.unlink(missing_ok=True)
        s = run_worker({"photos": str(folder), "out": str(film), "size": list(size), "duration": 30.0})
        b = encode_alone(film, work / "speed_x264.mp4")
        ratios.append(s["wall_s"] / b["wall_s"])
        cpu_ratios.append(s["cpu_s"] / b["cpu_s"])
        emit(figure="speed_30s_15_photos", rep=rep, size=list(size), frames=s["result"]["frames"],
             slideshow_wall_s=round(s["wall_s"], 2), slideshow_cpu_s=round(s["cpu_s"], 2),
             x264_alone_wall_s=round(b["wall_s"], 2), x264_alone_cpu_s=round(b["cpu_s"], 2),
             x264_frames=b["frames"], stages=s["result"]["timings"],
             ratio_wall=round(ratios[-1], 3), ratio_cpu=round(cpu_ratios[-1], 3))
    emit(figure="speed_ratio_median", reps=args.reps, wall=round(statistics.median(ratios), 3),
         cpu=round(statistics.median(cpu_ratios), 3), target=2.5, shared_machine=True)


def bench_memory(args, work: Path, data: Path) -> None:
    photos = all_photos(data)[:200]
    big = album_folder(work, "mem200", photos)
    small = album_folder(work, "mem15", photos[:: max(1, len(photos) // 15)][:15])
    size = frame_size(args, "16:9")
    res = {}
    for name, folder in (("15", small), ("200", big)):
        film = work / f"mem{name}.mp4"
        film.unlink(missing_ok=True)
        res[name] = run_worker({"photos": str(folder), "out": str(film), "size": list(size), "duration": args.memory_s})
        emit(figure="memory_peak_rss", photos=name, shown=res[name]["result"]["photos"], size=list(size),
             duration_s=args.memory_s, peak_rss_mb=round(res[name]["peak_rss_mb"], 1),
             wall_s=round(res[name]["wall_s"], 1))
    emit(figure="memory_ratio_200_vs_15", value=round(res["200"]["peak_rss_mb"] / res["15"]["peak_rss_mb"], 3),
         target=1.3)


# ----------------------------------------------------------------------------- bad inputs


def bench_bad_inputs(args, work: Path, data: Path) -> None:
    from PIL import Image

    root = work / "bad"
    cases = {}
    for name in ("empty", "non-images", "song-not-audio"):
        d = root / name
        (d / "in").mkdir(parents=True, exist_ok=True)
        argv = [str(d / "in"), "-o", str(d / "out.mp4"), "--cue-sheet", str(d / "cues"), "--audio", str(d / "a.wav")]
        if name == "non-images":
            (d / "in" / "a.jpg").write_text("not a photo")
            (d / "in" / "b.png").write_bytes(os.urandom(2000))
            (d / "in" / "notes.txt").write_text("text")
        if name == "song-not-audio":
            Image.fromarray(np.full((64, 96, 3), 120, np.uint8)).save(d / "in" / "p.jpg")
            (d / "song.mp3").write_text("not audio at all")
            argv += ["--song", str(d / "song.mp3")]
        cases[name] = (d, argv)
    for name, (d, argv) in cases.items():
        before = sorted(str(p.relative_to(d)) for p in d.rglob("*"))
        proc = subprocess.run([sys.executable, "-m", "cinemuse", "slideshow", *argv], capture_output=True, text=True)
        lines = [x for x in proc.stderr.splitlines() if x.strip()]
        after = sorted(str(p.relative_to(d)) for p in d.rglob("*"))
        emit(figure="bad_input", case=name, exit_code=proc.returncode, error_lines=len(lines),
             message=lines[0] if lines else None, nothing_written=before == after,
             traceback="Traceback" in proc.stderr, ok=proc.returncode == 2 and len(lines) == 1 and before == after)


# ----------------------------------------------------------------------------- stylise (speed)


def bench_stylize(args, work: Path, data: Path) -> None:
    import cv2
    from PIL import Image

    from cinemuse.vision.stylize import Stylizer

    photo = np.asarray(Image.open(data / "images/kodak24/kodim23.png").convert("RGB"))
    photo = cv2.resize(photo, (1920, 1280), interpolation=cv2.INTER_CUBIC)[100:1180]
    st = Stylizer.load()
    st.stylize(photo, st.styles[0].name)  # warm-up
    for s in st.styles:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            out = st.stylize(photo, s.name)
            times.append(time.perf_counter() - t0)
        emit(figure="stylize_1920x1080_s", style=s.name, median=round(statistics.median(times), 3))
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            Image.fromarray(cv2.resize(out, (640, 360), interpolation=cv2.INTER_AREA)).save(args.save / f"{s.name}.png")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_dir_argument(ap)
    ap.add_argument("--only", nargs="+", choices=SECTIONS + ("stylize",), help="sections to run (default: all but stylize)")
    ap.add_argument("--full", action="store_true", help="the real frame sizes (1920x1080 ...), not 640x360-class")
    ap.add_argument("--films", type=int, default=2, help="films with composed music (sync, cue sheet; up to 5)")
    ap.add_argument("--songs", type=int, default=2, help="songs with known beats (up to 5)")
    ap.add_argument("--reps", type=int, default=1, help="paired speed runs (median reported)")
    ap.add_argument("--memory-s", type=float, default=90.0, help="film length for the memory runs")
    ap.add_argument("--aspects", nargs="+", default=["16:9", "9:16"], help="aspects for the faces check")
    ap.add_argument("--save", type=Path, help="write a few frames of each film as PNG here")
    ap.add_argument("--work", type=Path, help="keep the films in this folder (default: a temporary one)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(json.loads(args.worker))
    data = data_dir(args.data_dir)
    with tempfile.TemporaryDirectory(prefix="bench-slideshow-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for name in args.only or SECTIONS:
            t0 = time.perf_counter()
            globals()[f"bench_{name}"](args, work, data)
            print(json.dumps({"section": name, "wall_s": round(time.perf_counter() - t0, 1)}), file=sys.stderr)


if __name__ == "__main__":
    main()
