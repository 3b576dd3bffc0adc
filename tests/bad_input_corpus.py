"""The hostile-user corpus of issue 11, through the real command line, one table for every command.

Each case is one ``python -m cinemuse ...`` in a subprocess, in a fresh folder holding a file of
the user's (``out/keep.txt``), and states what must come out: the exit code and, for a refusal,
exactly one line on stderr naming the file (or option) and the problem, no traceback, and every
byte under the folder as it was. Cases that succeed (``exit=0``) say what must have changed.

The table is shared: ``tests/test_bad_input_corpus.py`` runs it under pytest and
``benchmarks/bench_reliability.py`` prints its pass count. ``item`` is the issue's numbered
class (1-16) the case belongs to.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

NO_FONT_HAS = "\U0010FFFD"  # plane-16 private use: no font draws it
LONG = "n" * 300  # a 300-byte file name (file systems allow 255)
NOT_UTF8 = "out\udcff"  # the bytes b"out\xff" as Python hands them over
TIMEOUT = 600  # s per case: a 5 s compose takes ~2 s of CPU, but the machine may be shared

# --------------------------------------------------------------------------- inputs


def _video(d: Path) -> None:
    from tests.media import make_cut_video

    make_cut_video(d / "clip.mp4", duration=1.0, audio_freq=440)


def _song(d: Path) -> None:
    from tests.media import write_tone

    write_tone(d / "song.wav", duration=3.0)


def _photo(d: Path) -> None:
    from tests.media import make_photo

    make_photo(d / "photo.png", "rgb", size=(96, 64))


def _tiny(d: Path) -> None:
    from PIL import Image

    Image.new("RGB", (1, 1), (120, 90, 60)).save(d / "tiny.png")


def _truncated_flac(d: Path) -> None:
    from tests.media import truncate_file, write_tone

    truncate_file(write_tone(d / "half.flac", duration=10.0), 0.5)


def _truncated_wav(d: Path) -> None:
    """Header says 10 s, the file holds 1 s."""
    from tests.media import write_tone

    p = write_tone(d / "short.wav", duration=10.0)
    p.write_bytes(p.read_bytes()[: 44 + 44100 * 2 * 2])


def _nan_wav(d: Path) -> None:
    import numpy as np
    import soundfile as sf

    x = (0.3 * np.sin(2 * np.pi * 220 * np.arange(4 * 44100) / 44100)).astype(np.float32)
    x[2 * 44100: 2 * 44100 + 6615] = np.nan
    sf.write(str(d / "nan.wav"), np.stack([x, x], axis=1), 44100, subtype="FLOAT")


def _prores(d: Path) -> None:
    from tests.media import make_cut_video

    make_cut_video(d / "prores.mov", duration=1.0, cuts=(0.5,), codec="prores_ks")


INPUTS: dict[str, Callable[[Path], None]] = {
    "video": _video, "song": _song, "photo": _photo, "tiny": _tiny,
    "truncated_flac": _truncated_flac, "truncated_wav": _truncated_wav, "nan_wav": _nan_wav,
    "prores": _prores,
}

# --------------------------------------------------------------------------- extra set-ups
# Each gets the case's folder (``in/``, ``out/`` inside) and may return a reason to skip.


def _non_empty_stems(work: Path) -> None:
    (work / "out" / "st").mkdir()
    (work / "out" / "st" / "mine.txt").write_text("the user's")


def _user_files_in_out(work: Path) -> None:
    out = work / "out"
    (out / "holiday.mp4").write_bytes(b"not really a video, but mine")
    (out / "sub").mkdir()
    (out / "sub" / "deep.txt").write_text("deep")
    (out / ".hidden").write_text("hidden")


def _dangling(name: str) -> Callable[[Path], None]:
    def make(work: Path) -> None:
        os.symlink("/nonexistent/target", work / "out" / name)
    return make


def _existing(name: str) -> Callable[[Path], None]:
    def make(work: Path) -> None:
        (work / "out" / name).write_bytes(b"an older picture of the user's")
    return make


def _stale_part(pid: int) -> Callable[[Path], None]:
    def make(work: Path) -> None:
        host = _host_tag()
        (work / "out" / f".a.cm{pid}-{host}-Ab3dEf9h.part").write_bytes(b"x" * 4096)
    return make


def _host_tag() -> str:
    import socket
    import zlib

    return f"{zlib.crc32(socket.gethostname().encode('utf-8', 'replace')) & 0xFFFFFF:06x}"


def _tmpfs(work: Path) -> str | None:
    """A 256 KiB tmpfs at ``out/full`` (root only); a reason to skip when it cannot be had."""
    full = work / "out" / "full"
    full.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return "a small tmpfs needs root"
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(full)],
                       capture_output=True, text=True)
    return None if r.returncode == 0 else f"cannot mount a tmpfs here ({r.stderr.strip()})"


def _umount(work: Path) -> None:
    full = work / "out" / "full"
    if full.is_mount():
        subprocess.run(["umount", str(full)], capture_output=True)


_FULL_HOOK = '''\
"""Test hook: every write to a file under CINEMUSE_TEST_FULL_DIR fails as on a full disk."""
import builtins, errno, io, os

_FULL = os.path.realpath(os.environ["CINEMUSE_TEST_FULL_DIR"])
_open = io.open


class _FullFile:
    def __init__(self, f):
        self._f = f

    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()


def _hooked_open(file, mode="r", *args, **kwargs):
    f = _open(file, mode, *args, **kwargs)
    if isinstance(file, (str, bytes, os.PathLike)) and any(m in mode for m in "wax+"):
        if os.path.realpath(os.fsdecode(file)).startswith(_FULL + os.sep):
            return _FullFile(f)
    return f


builtins.open = io.open = _hooked_open
'''


def _simulated_full(work: Path) -> None:
    (work / "out" / "full").mkdir()
    (work / "hook").mkdir()
    (work / "hook" / "sitecustomize.py").write_text(_FULL_HOOK)


def _read_only_folder(work: Path) -> str | None:
    """``/proc/sys`` refuses new files even to root; skip where it does not."""
    try:
        (Path("/proc/sys") / "cinemuse-probe").touch()
    except OSError:
        return None
    return "no read-only folder available"


# --------------------------------------------------------------------------- checks of successes


def _only_new(*names: str) -> Callable[[dict, dict], str | None]:
    """Every file that was there is byte-identical; the new ones are exactly ``names``."""
    def check(before: dict, after: dict) -> str | None:
        changed = [k for k, v in before.items() if after.get(k) != v]
        if changed:
            return f"the user's files changed or vanished: {changed}"
        new = sorted(set(after) - set(before))
        return None if new == sorted(names) else f"new files {new}, expected {sorted(names)}"
    return check


def _stale_part_gone(before: dict, after: dict) -> str | None:
    gone = sorted(set(before) - set(after))
    if not gone or not all(g.startswith("out/.a.cm") and g.endswith(".part") for g in gone):
        return f"expected only the stale part to go, gone: {gone}"
    kept = {k: v for k, v in before.items() if k not in gone}
    return None if all(after.get(k) == v for k, v in kept.items()) else "user files changed"


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Case:
    id: str
    item: int  # the issue's class, 1-16
    argv: tuple[str, ...]  # "{in}", "{out}", "{work}" are filled in; cwd is {out}
    problem: str = ""  # regex the one stderr line must match (path names left out)
    names: str | None = None  # what the line must name (a path as given, or an option)
    exit: int = 2
    inputs: tuple[str, ...] = ()
    setup: Callable[[Path], str | None] | None = None
    check: Callable[[dict, dict], str | None] | None = None  # for exit 0: what changed
    env: dict = field(default_factory=dict)
    teardown: Callable[[Path], None] | None = None


V, S, P = "{in}/clip.mp4", "{in}/song.wav", "{in}/photo.png"
FINITE = r"expected a finite number"
SEED = r"must be between 0 and"
EXISTS = r"already exists \(use --force"
SAME_AS_INPUT = r"is the input of this run"
TOFU = r"no available font has .*U\+10FFFD"

CASES: list[Case] = [
    # 1-3: stems folders and --force never take the user's files
    Case("compose-stems-dot-force-keeps-user-files", 1,
         ("compose", "-o", "../song.wav", "--duration", "5", "--stems", ".", "--force"), exit=0,
         setup=_user_files_in_out,
         check=_only_new("out/melody.wav", "out/chords.wav", "out/bass.wav", "out/drums.wav",
                         "out/piece.mid", "song.wav")),
    Case("compose-stems-holding-output-keeps-it", 2,
         ("compose", "-o", "st/song.mid", "--duration", "5", "--stems", "st", "--force"), exit=0,
         setup=_non_empty_stems,
         check=_only_new("out/st/song.mid", "out/st/melody.wav", "out/st/chords.wav",
                         "out/st/bass.wav", "out/st/drums.wav", "out/st/piece.mid")),
    Case("compose-stems-not-empty", 3, ("compose", "-o", "{out}/a.mid", "--duration", "5",
                                        "--stems", "{out}/st"),
         r"folder is not empty \(use --force", "{out}/st", setup=_non_empty_stems),
    Case("score-stems-not-empty", 3, ("score", V, "-o", "{out}/o.mp4", "--stems", "{out}/st"),
         r"folder is not empty", "{out}/st", inputs=("video",), setup=_non_empty_stems),
    Case("slideshow-stems-not-empty", 3, ("slideshow", P, "-o", "{out}/s.mp4", "--stems",
                                          "{out}/st"),
         r"folder is not empty", "{out}/st", inputs=("photo",), setup=_non_empty_stems),
    # 4: every float option refuses NaN and infinities
    Case("colorize-temperature-inf", 4, ("colorize", P, "-o", "{out}/c.png", "--temperature",
                                         "inf"), FINITE, "--temperature", inputs=("photo",)),
    Case("score-intensity-inf", 4, ("score", V, "-o", "{out}/o.mp4", "--intensity", "inf"),
         FINITE, "--intensity", inputs=("video",)),
    Case("score-duck-nan", 4, ("score", V, "-o", "{out}/o.mp4", "--duck", "nan"), FINITE,
         "--duck", inputs=("video",)),
    Case("compose-tempo-nan", 4, ("compose", "-o", "{out}/a.wav", "--tempo", "nan"), FINITE,
         "--tempo"),
    Case("slideshow-style-strength-nan", 4, ("slideshow", P, "-o", "{out}/s.mp4",
                                             "--style-strength", "nan"), FINITE,
         "--style-strength", inputs=("photo",)),
    Case("slideshow-duration-minus-inf", 4, ("slideshow", P, "-o", "{out}/s.mp4",
                                             "--duration=-inf"), FINITE, "--duration",
         inputs=("photo",)),
    Case("demo-length-inf", 4, ("demo", "-o", "{out}/d.mp4", "--length", "inf"), FINITE,
         "--length"),
    Case("batch-score-duck-nan", 4, ("batch", "score", V, "-o", "{out}/b", "--quiet", "--",
                                     "--duck", "nan"), FINITE, "--duck", inputs=("video",)),
    # 5: a title no font can draw is refused, not printed as boxes
    Case("cover-title-no-glyph", 5, ("cover", S, "-o", "{out}/c.png", "--title",
                                     f"Night {NO_FONT_HAS}"), TOFU, "--title", inputs=("song",)),
    Case("cover-artist-no-glyph", 5, ("cover", S, "-o", "{out}/c.png", "--artist",
                                      f"Me{NO_FONT_HAS}"), TOFU, "--artist", inputs=("song",)),
    Case("thumbnail-title-no-glyph", 5, ("thumbnail", V, "-o", "{out}/t.jpg", "--title",
                                         NO_FONT_HAS), TOFU, "--title", inputs=("video",)),
    Case("batch-cover-title-no-glyph", 5, ("batch", "cover", S, "-o", "{out}/b", "--quiet", "--",
                                           "--title", NO_FONT_HAS), TOFU, "--title",
         inputs=("song",)),
    Case("slideshow-title-no-glyph", 5, ("slideshow", P, "-o", "{out}/s.mp4", "--title",
                                         NO_FONT_HAS), TOFU, "--title", inputs=("photo",)),
    # 6-7: damaged audio named as such
    Case("cover-truncated-flac", 6, ("cover", "{in}/half.flac", "-o", "{out}/c.png"),
         r"is truncated", "{in}/half.flac", inputs=("truncated_flac",)),
    Case("slideshow-song-truncated-wav", 6, ("slideshow", P, "-o", "{out}/s.mp4", "--song",
                                             "{in}/short.wav"),
         r"is truncated", "{in}/short.wav", inputs=("photo", "truncated_wav")),
    Case("slideshow-song-nan-samples", 7, ("slideshow", P, "-o", "{out}/s.mp4", "--song",
                                           "{in}/nan.wav"),
         r"invalid samples \(NaN or infinite", "{in}/nan.wav", inputs=("photo", "nan_wav")),
    Case("analyze-nan-samples", 7, ("analyze", "{in}/nan.wav"), r"invalid samples",
         "{in}/nan.wav", inputs=("nan_wav",)),
    # 8: every output checked before any work; none written when one fails
    Case("score-audio-out-unknown-format", 8, ("score", V, "-o", "{out}/o.mp4", "--audio-out",
                                               "{out}/side.xyz"),
         r"unknown format \.xyz", "{out}/side.xyz", inputs=("video",)),
    Case("score-stems-is-the-output", 8, ("score", V, "-o", "{out}/o.mp4", "--stems",
                                          "{out}/o.mp4"),
         r"-o|--stems", "{out}/o.mp4", inputs=("video",)),
    Case("score-audio-out-is-the-output", 8, ("score", V, "-o", "{out}/o.mp4", "--audio-out",
                                              "{out}/o.mp4"),
         r"-o|--audio-out", "{out}/o.mp4", inputs=("video",)),
    Case("compose-stems-is-the-output", 8, ("compose", "-o", "{out}/o.wav", "--duration", "5",
                                            "--stems", "{out}/o.wav"),
         r"-o|--stems", "{out}/o.wav"),
    Case("compose-stems-read-only", 8, ("compose", "-o", "{out}/o.wav", "--duration", "5",
                                        "--stems", "/proc/sys/cinemuse-stems"),
         r"not writable", "/proc/sys", setup=_read_only_folder),
    Case("score-output-is-the-input", 8, ("score", V, "-o", V, "--force"), SAME_AS_INPUT, V,
         inputs=("video",)),
    Case("colorize-output-is-the-input", 8, ("colorize", P, "-o", P, "--force"), SAME_AS_INPUT,
         P, inputs=("photo",)),
    Case("restore-output-is-the-input", 8, ("restore", P, "-o", P, "--force", "--levels"),
         SAME_AS_INPUT, P, inputs=("photo",)),
    Case("cover-output-not-an-image", 8, ("cover", S, "-o", "{out}/c.txt"),
         r"must end in \.png or \.jpg", "{out}/c.txt", inputs=("song",)),
    Case("cover-sibling-exists", 8, ("cover", S, "-o", "{out}/c.png"), EXISTS,
         "{out}/c-thumb.jpg", inputs=("song",), setup=_existing("c-thumb.jpg")),
    Case("thumbnail-output-gif", 8, ("thumbnail", V, "-o", "{out}/t.gif"),
         r"must be \.jpg or \.png", "{out}/t.gif", inputs=("video",)),
    Case("slideshow-output-avi", 8, ("slideshow", P, "-o", "{out}/s.avi"), r"unknown format",
         "{out}/s.avi", inputs=("photo",)),
    Case("slideshow-audio-unknown-format", 8, ("slideshow", P, "-o", "{out}/s.mp4", "--audio",
                                               "{out}/s.xyz"),
         r"unknown format \.xyz", "{out}/s.xyz", inputs=("photo",)),
    Case("demo-output-txt", 8, ("demo", "-o", "{out}/d.txt"), r"unknown format \.txt",
         "{out}/d.txt"),
    Case("demo-cue-sheet-exists", 8, ("demo", "-o", "{out}/d.mp4", "--cue-sheet", "{out}/d"),
         EXISTS, "{out}/d.json", setup=_existing("d.json")),
    Case("compose-output-unknown-format", 8, ("compose", "-o", "{out}/a.xyz"),
         r"unknown output format", "{out}/a.xyz"),
    Case("batch-output-is-a-file", 8, ("batch", "cover", S, "-o", S), r"is not a folder", S,
         inputs=("song",)),
    Case("batch-missing-input", 8, ("batch", "cover", "{in}/nothere.wav", "-o", "{out}/b"),
         r"no such file", "{in}/nothere.wav"),
    # 10: bounded variants
    Case("cover-variants-10000", 10, ("cover", S, "-o", "{out}/c.png", "--variants", "10000"),
         r"between 1 and 20", "--variants", inputs=("song",)),
    Case("cover-variants-0", 10, ("cover", S, "-o", "{out}/c.png", "--variants", "0"),
         r"between 1 and 20", "--variants", inputs=("song",)),
    # 12: a container that cannot hold the input's codec, refused before the analysis
    Case("score-prores-into-mp4", 12, ("score", "{in}/prores.mov", "-o", "{out}/o.mp4"),
         r"cannot be copied \('mp4' format does not support 'prores'", "{in}/prores.mov",
         inputs=("prores",)),
    # 13: seeds, names and counts out of range
    Case("cover-seed-negative", 13, ("cover", S, "-o", "{out}/c.png", "--seed", "-1"), SEED,
         "--seed", inputs=("song",)),
    Case("score-seed-negative", 13, ("score", V, "-o", "{out}/o.mp4", "--seed", "-1"), SEED,
         "--seed", inputs=("video",)),
    Case("demo-seed-negative", 13, ("demo", "-o", "{out}/d.mp4", "--seed", "-1"), SEED, "--seed"),
    Case("slideshow-seed-huge", 13, ("slideshow", P, "-o", "{out}/s.mp4", "--seed", "9" * 25),
         SEED, "--seed", inputs=("photo",)),
    Case("batch-workers-0", 13, ("batch", "cover", S, "-o", "{out}/b", "--workers", "0"),
         r"at least 1", "--workers", inputs=("song",)),
    Case("batch-retries-negative", 13, ("batch", "cover", S, "-o", "{out}/b", "--retries", "-1"),
         r"0 or more", "--retries", inputs=("song",)),
    Case("thumbnail-output-name-too-long", 13, ("thumbnail", V, "-o", f"{{out}}/{LONG}.jpg"),
         r"too long", LONG, inputs=("video",)),
    Case("restore-output-name-too-long", 13, ("restore", P, "-o", f"{{out}}/{LONG}.png",
                                              "--levels"), r"too long", LONG, inputs=("photo",)),
    Case("colorize-output-not-utf8", 13, ("colorize", P, "-o", f"{{out}}/{NOT_UTF8}.png"),
         r"not valid UTF-8", "out", inputs=("photo",)),
    Case("analyze-input-name-too-long", 13, ("analyze", f"{{in}}/{LONG}.wav"), r"too long",
         LONG),
    # 14: a full disk: exit 3, the user's path named
    Case("compose-full-disk-tmpfs", 14, ("compose", "-o", "full/song.wav", "--duration", "5"),
         r"the disk holding .* is full", "full/song.wav", exit=3, setup=_tmpfs, teardown=_umount),
    Case("compose-full-disk-at-the-write-layer", 14,
         ("compose", "-o", "full/song.mid", "--duration", "5"),
         r"the disk holding .* is full", "full/song.mid", exit=3, setup=_simulated_full,
         env={"PYTHONPATH": "{work}/hook", "CINEMUSE_TEST_FULL_DIR": "{out}/full"}),
    Case("cover-full-disk-tmpfs", 14, ("cover", S, "-o", "full/c.png"),
         r"the disk holding .* is full", "full/c", exit=3, inputs=("song",), setup=_tmpfs,
         teardown=_umount),
    # 15: a killed run's hidden part is cleaned up by the next run there; a live one's kept
    Case("compose-cleans-a-dead-runs-part", 15, ("compose", "-o", "{out}/a.mid", "--duration",
                                                 "5"), exit=0,
         setup=_stale_part(2 ** 22 + 12345), check=_stale_part_gone),
    Case("compose-keeps-a-live-runs-part", 15, ("compose", "-o", "{out}/a.mid", "--duration",
                                                "5"), exit=0,
         setup=_stale_part(os.getpid()), check=_only_new("out/a.mid")),
    # 16: tiny pictures and dangling links
    Case("restore-1x1-image", 16, ("restore", "{in}/tiny.png", "-o", "{out}/r.png", "--levels"),
         r"too small", "{in}/tiny.png", inputs=("tiny",)),
    Case("colorize-dangling-link-at-output", 16, ("colorize", P, "-o", "{out}/c.png"), EXISTS,
         "{out}/c.png", inputs=("photo",), setup=_dangling("c.png")),
    Case("restore-dangling-link-at-output", 16, ("restore", P, "-o", "{out}/r.png", "--levels"),
         EXISTS, "{out}/r.png", inputs=("photo",), setup=_dangling("r.png")),
    Case("thumbnail-dangling-link-at-output", 16, ("thumbnail", V, "-o", "{out}/t.jpg"), EXISTS,
         "{out}/t.jpg", inputs=("video",), setup=_dangling("t.jpg")),
    Case("cover-dangling-link-at-a-sibling", 16, ("cover", S, "-o", "{out}/c.png"), EXISTS,
         "{out}/c-vertical.jpg", inputs=("song",), setup=_dangling("c-vertical.jpg")),
]

COMMANDS = {"compose", "score", "cover", "analyze", "colorize", "restore", "slideshow",
            "thumbnail", "batch", "demo"}

# --------------------------------------------------------------------------- running and judging


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root`` -> a digest of its bytes ("dir", or "link:TARGET")."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = os.fsdecode(os.fsencode(p.relative_to(root)))
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        dirnames[:] = [d for d in dirnames if not (Path(dirpath) / d).is_symlink()]
    return out


def _fill(text: str, work: Path) -> str:
    return (text.replace("{in}", str(work / "in")).replace("{out}", str(work / "out"))
            .replace("{work}", str(work)))


def run_case(case: Case, root: Path) -> dict:
    """Run one case in ``root/case.id``; a dict with ``problems`` (empty: it passed) or ``skip``."""
    work = root / case.id
    (work / "in").mkdir(parents=True)
    (work / "out").mkdir()
    (work / "out" / "keep.txt").write_text("the user's own file")
    try:
        if case.id == "score-prores-into-mp4":
            import av

            if "prores_ks" not in av.codecs_available:
                return {"skip": "no ProRes encoder in this PyAV"}
        for name in case.inputs:
            INPUTS[name](work / "in")
        reason = case.setup(work) if case.setup else None
        if reason:
            return {"skip": reason}
        argv = [_fill(a, work) for a in case.argv]
        args = [os.fsencode(a) if "\udcff" in a else a for a in argv]
        env = {**os.environ, "PYTHONUNBUFFERED": "1",
               **{k: _fill(v, work) for k, v in case.env.items()}}
        before = snapshot(work)
        quiet = [] if "--quiet" in argv else ["--quiet"]
        try:
            proc = subprocess.run([sys.executable, "-m", "cinemuse", *args, *quiet],
                                  cwd=work / "out", capture_output=True, text=True,
                                  timeout=TIMEOUT, env=env, errors="replace")
        except subprocess.TimeoutExpired:
            return {"problems": [f"no answer within {TIMEOUT} s"], "argv": argv, "exit": None,
                    "stderr": ""}
        after = snapshot(work)
    finally:
        if case.teardown:
            case.teardown(work)
    return {"problems": judge(case, proc, before, after, work), "argv": argv,
            "exit": proc.returncode, "stderr": proc.stderr}


def judge(case: Case, proc, before: dict, after: dict, work: Path) -> list[str]:
    """What is wrong with a finished run (empty: the case passed)."""
    problems = []
    if proc.returncode != case.exit:
        problems.append(f"exit {proc.returncode}, expected {case.exit}")
    if "Traceback" in proc.stderr:
        problems.append("a traceback without --debug")
    if case.exit == 0:
        issue = case.check(before, after) if case.check else None
        return problems + ([issue] if issue else [])
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    if len(lines) != 1:
        return problems + [f"{len(lines)} lines on stderr, expected one"]
    line = lines[0]
    if case.names and _fill(case.names, work) not in line:
        problems.append(f"does not name {_fill(case.names, work)!r}")
    words = re.sub(r"\S*/\S*", "", line)  # the problem must be said, not be in a path
    if case.problem and not re.search(case.problem, words):
        problems.append(f"does not say /{case.problem}/")
    if after != before:
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        problems.append(f"files written, changed or removed: {changed}")
    return problems
