"""The bad-input corpus: files users really hand us, each refused with one clear line.

Every input is generated here (no binary fixtures). Each case is checked twice:

- at the library level: the ``cinemuse.io`` call raises :class:`BadInputError` naming the file
  and the problem, and writes nothing;
- through the real command line in a subprocess (``python -m cinemuse score|analyze|cover|
  colorize ...``): exit code 2, exactly one line on stderr naming the file and the problem,
  no traceback, and nothing new on disk (not in the output folder, not next to the input).

The CLI cases assert the *problem text*, so a command that is still the "not available" stub
fails them (a stub exits 2 too, but says nothing about the file).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from cinemuse.errors import BadInputError, OutputError
from tests.media import (
    make_cut_video,
    make_empty_video,
    make_photo,
    shot_picture,
    sine,
    truncate_file,
    write_png_header,
    write_tone,
)

# --------------------------------------------------------------------------- the corpus
# Each maker writes one bad input into ``folder`` and returns the path to hand over.


def empty_file(folder: Path) -> Path:
    p = folder / "empty.mp4"
    p.touch()
    return p


def truncated_mp4(folder: Path) -> Path:
    """Index (moov) at the end, the file cut in half: the index is gone."""
    p = make_cut_video(folder / "truncated.mp4", duration=1.0, audio_freq=440).path
    return truncate_file(p, 0.5)


def truncated_faststart_mp4(folder: Path) -> Path:
    """Index at the front, data cut in half: FFmpeg alone would just see a shorter video."""
    import av

    src = make_cut_video(folder / "src.mp4", duration=2.0).path
    p = folder / "truncated_faststart.mp4"
    with av.open(str(src)) as inp, av.open(str(p), "w", options={"movflags": "+faststart"}) as out:
        v = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.size:
                packet.stream = v
                out.mux(packet)
    src.unlink()
    return truncate_file(p, 0.6)


def random_bytes_mp4(folder: Path) -> Path:
    p = folder / "random.mp4"
    p.write_bytes(np.random.default_rng(0).bytes(20000))
    return p


def text_as_jpg(folder: Path) -> Path:
    p = folder / "notes.jpg"
    p.write_text("This is a shopping list, not a photo.\nmilk\neggs\n")
    return p


def text_as_mp4(folder: Path) -> Path:
    p = folder / "readme.mp4"
    p.write_text("Just text with a video extension.\n" * 20)
    return p


def audio_only(folder: Path) -> Path:
    return write_tone(folder / "song.m4a", duration=1.0)


def video_without_audio(folder: Path) -> Path:
    return make_cut_video(folder / "silent.mp4", duration=1.0).path


def zero_length_mp4(folder: Path) -> Path:
    return make_empty_video(folder / "zero.mp4")


def zero_length_mkv(folder: Path) -> Path:
    return make_empty_video(folder / "zero.mkv")


def bomb_png(folder: Path) -> Path:
    return write_png_header(folder / "huge.png", 30000, 30000)


def truncated_jpeg(folder: Path) -> Path:
    p = folder / "half.jpg"
    make_photo(p, "rgb", size=(256, 192))
    return truncate_file(p, 0.5)


def random_bytes_mp3(folder: Path) -> Path:
    p = folder / "noise.mp3"
    p.write_bytes(np.random.default_rng(1).bytes(20000))
    return p


def still_image_as_video(folder: Path) -> Path:
    p = folder / "photo.jpg"
    make_photo(p, "rgb")
    return p


def unknown_codec_avi(folder: Path) -> Path:
    """A valid AVI whose video codec tag (ZZZZ) no decoder knows."""
    import av

    p = folder / "alien.avi"
    with av.open(str(p), "w") as c:
        s = c.add_stream("mpeg4", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for i in range(5):
            f = av.VideoFrame.from_ndarray(shot_picture(0, 64, 48), format="rgb24")
            f.pts = i
            for packet in s.encode(f):
                c.mux(packet)
        for packet in s.encode(None):
            c.mux(packet)
    data = p.read_bytes()
    assert data.count(b"FMP4") >= 1
    p.write_bytes(data.replace(b"FMP4", b"ZZZZ"))
    return p


def missing(folder: Path) -> Path:
    return folder / "does_not_exist.mp4"


def a_folder(folder: Path) -> Path:
    p = folder / "holiday_clips.mp4"  # a folder with a file's name
    p.mkdir()
    return p


# --------------------------------------------------------------------------- library level


def _read_video(p, out_dir):
    from cinemuse.io.video import iter_frames

    for _ in iter_frames(p, size=(32, 24)):
        pass


def _probe(p, out_dir):
    from cinemuse.io.video import probe_video

    probe_video(p)


def _read_audio(p, out_dir):
    from cinemuse.io.audio import read_audio

    read_audio(p)


def _read_image(p, out_dir):
    from cinemuse.io.image import read_image

    read_image(p)


def _replace_audio(p, out_dir):
    from cinemuse.io.video import replace_audio

    replace_audio(p, sine(440, 1.0), 44100, out_dir / "out.mp4")


@dataclass
class IOCase:
    id: str
    make: Callable[[Path], Path]
    call: Callable[[Path, Path], None]
    problem: str  # regex the message must match


IO_CASES = [
    IOCase("empty-file", empty_file, _read_video, r"file is empty"),
    IOCase("empty-file-audio", empty_file, _read_audio, r"file is empty"),
    IOCase("truncated-mp4", truncated_mp4, _read_video, r"truncated"),
    IOCase("truncated-faststart-mp4", truncated_faststart_mp4, _read_video, r"is truncated"),
    IOCase("truncated-mp4-remux", truncated_mp4, _replace_audio, r"truncated"),
    IOCase("random-bytes-mp4", random_bytes_mp4, _probe, r"not a media file"),
    IOCase("text-as-jpg", text_as_jpg, _read_image, r"text file, not an image"),
    IOCase("text-as-mp4", text_as_mp4, _read_video, r"text file"),
    IOCase("audio-only-as-video", audio_only, _read_video, r"has no video stream \(audio only\?\)"),
    IOCase("audio-only-remux", audio_only, _replace_audio, r"has no video stream \(audio only\?\)"),
    IOCase("video-without-audio", video_without_audio, _read_audio, r"has no audio stream"),
    IOCase("zero-length-mp4", zero_length_mp4, _read_video, r"zero-length"),
    IOCase("zero-length-mkv", zero_length_mkv, _read_video, r"zero-length"),
    IOCase("bomb-30000x30000", bomb_png, _read_image, r"900 megapixels"),
    IOCase("truncated-jpeg", truncated_jpeg, _read_image, r"truncated"),
    IOCase("random-bytes-mp3", random_bytes_mp3, _read_audio, r"not a media file"),
    IOCase("still-image-as-video", still_image_as_video, _read_video, r"still image, not a video"),
    IOCase("image-as-audio", still_image_as_video, _read_audio, r"image, not audio"),
    IOCase("unknown-codec", unknown_codec_avi, _read_video, r"cannot decode"),
    IOCase("missing-video", missing, _read_video, r"no such file"),
    IOCase("missing-audio", missing, _read_audio, r"no such file"),
    IOCase("missing-image", missing, _read_image, r"no such file"),
    IOCase("folder-as-video", a_folder, _probe, r"is a folder"),
    IOCase("folder-as-audio", a_folder, _read_audio, r"is a folder"),
    IOCase("folder-as-image", a_folder, _read_image, r"is a folder"),
]


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("case", IO_CASES, ids=[c.id for c in IO_CASES])
def test_io_refuses_bad_input(tmp_path, case):
    src_dir, out_dir = tmp_path / "in", tmp_path / "out"
    src_dir.mkdir()
    out_dir.mkdir()
    path = case.make(src_dir)
    before = _tree(tmp_path)
    with pytest.raises(BadInputError) as err:
        case.call(path, out_dir)
    message = str(err.value)
    assert "\n" not in message
    assert err.value.path == path
    assert str(path) in message
    # the problem must be in the words, not just in the file's name
    assert re.search(case.problem, message.replace(str(path), "")), message
    assert _tree(tmp_path) == before  # nothing written, no temporary left over


# --------------------------------------------------------------------------- outputs


@pytest.fixture
def unwritable_dir(tmp_path):
    """A folder we cannot create files in, as whoever runs the tests (root included)."""
    ro = tmp_path / "read_only"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        (ro / "probe").touch()  # root ignores permission bits...
    except OSError:
        yield ro
        ro.chmod(0o755)
        return
    (ro / "probe").unlink()
    ro.chmod(0o755)
    # ...but not a read-only kernel filesystem.
    for candidate in (Path("/sys"), Path("/proc/sys")):
        try:
            (candidate / "cinemuse-probe").touch()
        except OSError:
            yield candidate
            return
    pytest.skip("no unwritable folder available to this user")


def _write_video(out):
    from cinemuse.io.video import write_video

    write_video(out, [shot_picture(0, 16, 16)] * 3, fps=25)


def _write_audio(out):
    from cinemuse.io.audio import write_audio

    write_audio(out, sine(440, 0.2), 44100)


def _write_image(out):
    from cinemuse.io.image import write_image

    write_image(out, shot_picture(0, 16, 16))


WRITERS = [("video", _write_video, "o.mp4"), ("audio", _write_audio, "o.wav"), ("image", _write_image, "o.png")]


@pytest.mark.parametrize("kind, write, name", WRITERS, ids=[w[0] for w in WRITERS])
def test_unwritable_output_folder(unwritable_dir, kind, write, name):
    out = unwritable_dir / name
    with pytest.raises(OutputError, match=r"not writable") as err:
        write(out)
    assert str(out) in str(err.value)
    assert not out.exists()


@pytest.mark.parametrize("kind, write, name", WRITERS, ids=[w[0] for w in WRITERS])
def test_existing_output_needs_force(tmp_path, kind, write, name):
    out = tmp_path / name
    out.write_bytes(b"keep me")
    with pytest.raises(OutputError, match=r"already exists \(use --force"):
        write(out)
    assert out.read_bytes() == b"keep me"
    assert _tree(tmp_path) == {name}


@pytest.mark.parametrize("kind, write, name", WRITERS, ids=[w[0] for w in WRITERS])
def test_output_folder_missing_or_output_is_a_folder(tmp_path, kind, write, name):
    with pytest.raises(OutputError, match=r"does not exist"):
        write(tmp_path / "no_such_folder" / name)
    (tmp_path / name).mkdir()
    with pytest.raises(OutputError, match=r"is a folder"):
        write(tmp_path / name)


# --------------------------------------------------------------------------- command line

@dataclass
class CLICase:
    id: str
    make: Callable[[Path], Path]
    command: str
    problem: str
    output: str | None = "out/result"  # output argument (suffix added per command); None: none
    pre_existing_output: bool = False


_OUT_SUFFIX = {"score": ".mp4", "cover": ".png", "colorize": ".png"}

# One process per case costs ~1 s of CPU (Python, numpy and FFmpeg start-up), so the
# library-level table above is the exhaustive one and this one covers each kind once.
CLI_CASES = [
    CLICase("score-empty-file", empty_file, "score", r"file is empty"),
    CLICase("score-truncated-mp4", truncated_mp4, "score", r"truncated"),
    CLICase("score-truncated-faststart", truncated_faststart_mp4, "score", r"is truncated"),
    CLICase("score-random-bytes", random_bytes_mp4, "score", r"not a media file"),
    CLICase("score-text-as-mp4", text_as_mp4, "score", r"text file"),
    CLICase("score-audio-only", audio_only, "score", r"has no video stream \(audio only\?\)"),
    CLICase("score-zero-length", zero_length_mp4, "score", r"zero-length"),
    CLICase("score-still-image", still_image_as_video, "score", r"still image, not a video"),
    CLICase("score-unknown-codec", unknown_codec_avi, "score", r"cannot decode"),
    CLICase("score-missing", missing, "score", r"no such file"),
    CLICase("score-unwritable-output", video_without_audio, "score", r"not writable", output="READONLY"),
    CLICase("score-output-folder-missing", video_without_audio, "score", r"does not exist",
            output="out/no_such_folder/result"),
    CLICase("score-existing-output", video_without_audio, "score", r"already exists \(use --force",
            pre_existing_output=True),
    CLICase("analyze-video-without-audio", video_without_audio, "analyze", r"has no audio stream", output=None),
    CLICase("analyze-random-bytes-mp3", random_bytes_mp3, "analyze", r"not a media file", output=None),
    CLICase("analyze-image", still_image_as_video, "analyze", r"image, not audio", output=None),
    CLICase("analyze-folder", a_folder, "analyze", r"is a folder", output=None),
    CLICase("cover-video-without-audio", video_without_audio, "cover", r"has no audio stream"),
    CLICase("colorize-text-as-jpg", text_as_jpg, "colorize", r"text file, not an image"),
    CLICase("colorize-bomb", bomb_png, "colorize", r"900 megapixels"),
    CLICase("colorize-truncated-jpeg", truncated_jpeg, "colorize", r"truncated"),
    CLICase("colorize-folder", a_folder, "colorize", r"is a folder"),
]


def _unwritable_folder(root: Path) -> Path | None:
    ro = root / "read_only"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        (ro / "probe").touch()
    except OSError:
        return ro
    (ro / "probe").unlink()
    for candidate in (Path("/sys"), Path("/proc/sys")):
        try:
            (candidate / "cinemuse-probe").touch()
        except OSError:
            return candidate
    return None


def _run_cli_case(case: CLICase, root: Path) -> dict:
    work = root / case.id
    (work / "in").mkdir(parents=True)
    (work / "out").mkdir()
    path = case.make(work / "in")
    argv = [case.command, str(path)]
    out = None
    if case.output == "READONLY":
        folder = _unwritable_folder(work)
        if folder is None:
            return {"skip": "no unwritable folder available to this user"}
        out = folder / f"result{_OUT_SUFFIX[case.command]}"
    elif case.output is not None:
        out = work / f"{case.output}{_OUT_SUFFIX[case.command]}"
    if out is not None:
        argv += ["-o", str(out)]
        if case.pre_existing_output:
            out.write_bytes(b"keep me")
    before = _tree(work)
    proc = subprocess.run(
        [sys.executable, "-m", "cinemuse", *argv, "--quiet"],
        capture_output=True, text=True, timeout=180, cwd=work / "out",
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    after = _tree(work)
    if (work / "read_only").exists():
        (work / "read_only").chmod(0o755)
    return {"proc": proc, "path": path, "before": before, "after": after, "out": out, "argv": argv}


@pytest.fixture(scope="module")
def cli_results(tmp_path_factory):
    """Run every CLI case once, a few at a time (each is a fresh Python process)."""
    root = tmp_path_factory.mktemp("cli")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {c.id: pool.submit(_run_cli_case, c, root) for c in CLI_CASES}
        return {k: f.result() for k, f in futures.items()}


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CLI_CASES])
def test_cli_refuses_bad_input(cli_results, case):
    r = cli_results[case.id]
    if "skip" in r:
        pytest.skip(r["skip"])
    proc = r["proc"]
    shown = f"cinemuse {' '.join(r['argv'])}\nexit {proc.returncode}\nstderr: {proc.stderr!r}"
    assert "Traceback" not in proc.stderr, shown
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, shown
    named = r["out"] if case.output == "READONLY" or case.pre_existing_output or "no_such" in (case.output or "") else r["path"]
    assert str(named) in lines[0], shown
    words = re.sub(r"\S*/\S*", "", lines[0])  # the problem must be said, not be in a path
    assert re.search(case.problem, words), shown
    assert proc.returncode == 2, shown
    assert r["after"] == r["before"], f"files appeared or vanished: {r['after'] ^ r['before']}"
    if case.pre_existing_output:
        assert r["out"].read_bytes() == b"keep me"


def test_corpus_has_at_least_15_cases_per_level():
    assert len(IO_CASES) >= 15
    assert len(CLI_CASES) >= 15
    kinds = {c.make for c in CLI_CASES}
    assert len(kinds) >= 12
    assert {c.command for c in CLI_CASES} >= {"score", "analyze", "colorize"}
