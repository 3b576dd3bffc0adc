"""The command line as a user meets it: help, exit codes, one-line errors."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest

from cinemuse.cli import COMMANDS, main


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cinemuse", *args], capture_output=True, text=True, timeout=timeout
    )


def test_help_is_fast_and_lists_every_command():
    # CPU time of the child, not wall time: on a loaded machine the wall clock mostly
    # measures waiting for a core. benchmarks/bench_startup.py reports the wall time.
    run_cli("--help")  # warm the filesystem cache
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = run_cli("--help")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert proc.returncode == 0
    for name in COMMANDS:
        assert name in proc.stdout
    assert cpu < 0.5, f"cinemuse --help used {cpu:.2f} s of CPU"


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from cinemuse.cli import build_parser; build_parser(); "
        "heavy = [m for m in ('av', 'numpy', 'librosa', 'onnxruntime', 'torch', 'cv2', 'music21') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_has_help(name, capsys):
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    assert exc.value.code == 0
    assert "usage: cinemuse " + name in capsys.readouterr().out


def test_unknown_command_is_a_usage_error():
    proc = run_cli("no-such-command")
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_no_command_prints_help_and_exits_2():
    proc = run_cli()
    assert proc.returncode == 2
    assert "usage: cinemuse" in proc.stdout


@pytest.mark.parametrize("as_json", [False, True])
def test_a_reader_that_stops_early_gets_no_traceback(as_json):
    """`cinemuse slideshow --list-styles --json | head -1`: the pipe closes before the listing
    is printed; the work is done, so it exits 0 and says nothing on stderr."""
    argv = [sys.executable, "-m", "cinemuse", "slideshow", "--list-styles"] + ["--json"] * as_json
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before the first line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and err == "", err
