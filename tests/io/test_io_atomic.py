"""cinemuse.io.atomic: outputs appear whole or not at all, and never replace a file unasked."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

from cinemuse.errors import BadInputError, OutputError
from cinemuse.io.atomic import OutputSet, atomic_output, check_input_file, check_output_path


def test_success_renames_into_place_with_normal_permissions(tmp_path):
    out = tmp_path / "o.txt"
    with atomic_output(out) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".txt" and tmp.name.startswith(".")
        tmp.write_text("done")
        assert not out.exists()  # nothing under the real name until the block ends
    assert out.read_text() == "done"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask
    assert os.listdir(tmp_path) == ["o.txt"]


@pytest.mark.parametrize("exc", [RuntimeError("crash"), KeyboardInterrupt()])
def test_exception_or_ctrl_c_leaves_nothing(tmp_path, exc):
    with pytest.raises(type(exc)):
        with atomic_output(tmp_path / "o.txt") as tmp:
            tmp.write_text("half")
            raise exc
    assert os.listdir(tmp_path) == []


def test_empty_result_is_an_error_not_a_file(tmp_path):
    with pytest.raises(OutputError, match="produced no data"):
        with atomic_output(tmp_path / "o.txt"):
            pass
    assert os.listdir(tmp_path) == []


def test_never_overwrites_without_force(tmp_path):
    out = tmp_path / "o.txt"
    out.write_text("old")
    with pytest.raises(OutputError, match=r"already exists \(use --force"):
        with atomic_output(out) as tmp:
            tmp.write_text("new")
    assert out.read_text() == "old"
    with atomic_output(out, force=True) as tmp:
        tmp.write_text("new")
    assert out.read_text() == "new"


def test_output_appearing_while_we_work_is_not_clobbered(tmp_path):
    out = tmp_path / "o.txt"
    with pytest.raises(OutputError, match="already exists"):
        with atomic_output(out) as tmp:
            tmp.write_text("ours")
            out.write_text("someone else's")
    assert out.read_text() == "someone else's"
    assert os.listdir(tmp_path) == ["o.txt"]


def test_check_output_path_problems(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        check_output_path(tmp_path / "nope" / "o.txt")
    (tmp_path / "dir").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        check_output_path(tmp_path / "dir")
    assert check_output_path(tmp_path / "fine.txt") == tmp_path / "fine.txt"
    assert sorted(os.listdir(tmp_path)) == ["dir"]  # the write probe cleans up after itself


def test_check_input_file_problems(tmp_path):
    with pytest.raises(BadInputError, match="no such file"):
        check_input_file(tmp_path / "nope")
    with pytest.raises(BadInputError, match="is a folder"):
        check_input_file(tmp_path)
    (tmp_path / "e").touch()
    with pytest.raises(BadInputError, match="file is empty"):
        check_input_file(tmp_path / "e")


def test_output_set_fills_a_new_folder_or_leaves_nothing(tmp_path):
    out = tmp_path / "stems"
    with pytest.raises(RuntimeError):
        with OutputSet() as outputs:
            outputs.add_folder(out)
            outputs.stage(out / "a.wav").write_text("x")
            raise RuntimeError("crash")
    assert os.listdir(tmp_path) == []  # the folder it made is gone again, being empty
    with OutputSet() as outputs:
        outputs.add_folder(out)
        outputs.stage(out / "a.wav").write_text("x")
    assert os.listdir(out) == ["a.wav"]
    with pytest.raises(OutputError, match="not empty"):
        OutputSet().add_folder(out)
    assert os.listdir(out) == ["a.wav"]
    assert sorted(os.listdir(tmp_path)) == ["stems"]


def test_output_set_force_replaces_only_its_own_names(tmp_path):
    out = tmp_path / "stems"
    out.mkdir()
    (out / "a.wav").write_text("old")
    (out / "mine.txt").write_text("the user's")
    (out / "sub").mkdir()
    with OutputSet(force=True) as outputs:
        outputs.add_folder(out)
        outputs.stage(out / "a.wav").write_text("new")
        outputs.stage(out / "b.wav").write_text("new")
    assert sorted(os.listdir(out)) == ["a.wav", "b.wav", "mine.txt", "sub"]
    assert (out / "a.wav").read_text() == "new" and (out / "mine.txt").read_text() == "the user's"


def test_output_set_commits_all_or_none(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old a")
    outputs = OutputSet(force=True)
    outputs.add(a)
    outputs.add(b)
    outputs.stage(a).write_text("new a")
    outputs.stage(b)  # left empty: the writer "failed"
    with pytest.raises(OutputError, match="produced no data"):
        outputs.commit()
    outputs.discard()
    assert sorted(os.listdir(tmp_path)) == ["a.txt"] and a.read_text() == "old a"


def test_output_set_refuses_clashes(tmp_path):
    src = tmp_path / "in.mp4"
    src.write_bytes(b"video")
    outputs = OutputSet(force=True, inputs=[src])
    with pytest.raises(OutputError, match="input of this run"):
        outputs.add(tmp_path / "." / "in.mp4")
    outputs.add(tmp_path / "out.wav", what="-o")
    with pytest.raises(OutputError, match="-o"):
        outputs.add(tmp_path / "out.wav", what="--audio-out")
    with pytest.raises(OutputError, match="same place"):
        outputs.add_folder(tmp_path / "out.wav", what="--stems")
    assert sorted(os.listdir(tmp_path)) == ["in.mp4"]


def test_ctrl_c_during_a_real_video_write_leaves_nothing(tmp_path):
    """SIGINT to a process in the middle of write_video: no file, not even a hidden temporary."""
    script = textwrap.dedent(
        f"""
        import sys, time
        import numpy as np
        from cinemuse.io.video import write_video

        def frames():
            for i in range(100000):
                if i == 5:
                    print("writing", flush=True)
                if i > 5:
                    time.sleep(0.01)
                yield np.full((48, 64, 3), i % 255, np.uint8)

        write_video({str(tmp_path / "o.mp4")!r}, frames(), fps=25)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A test run started in the background inherits SIGINT as ignored, and then Python
        # installs no KeyboardInterrupt handler; a user's terminal always delivers it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout.readline().strip() == "writing"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()  # never leave a writer behind if an assertion or the timeout fails
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    assert os.listdir(tmp_path) == []
