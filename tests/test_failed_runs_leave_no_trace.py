"""Property: a run that fails leaves the output folder byte-identical to before.

Random (seeded, so reproducible: the case's seed is in its id) combinations of the outputs a
command can write, each one fresh, already there, of an unknown format, clashing with another
output or the input, in a missing folder, or on a full disk, with ``--force`` or not, and with
good or bad option values. Each combination holds at least one fault. Whatever the fault and
wherever it strikes (before any work, or at the end while writing), the command must exit
2 or 3 with one line on stderr, and every byte under the folder, the user's files and the
half-full disk included, must be as it was.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.bad_input_corpus import _tmpfs, _umount, snapshot

# per command: output flag -> a fresh, valid name for it
OUTPUTS = {
    "score": {"-o": "o.mp4", "--audio-out": "side.wav", "--midi-out": "m.mid",
              "--cue-sheet": "cues", "--stems": "st"},
    "compose": {"-o": "song.wav", "--stems": "st"},
}
BAD_OPTIONS = {"score": [("--seed", "-1"), ("--duck", "nan"), ("--intensity", "inf")],
               "compose": [("--seed", "-1"), ("--tempo", "nan"), ("--duration", "inf")]}
GOOD_OPTIONS = {"score": [("--seed", "7"), ("--duck", "6"), ("--intensity", "1.2")],
                "compose": [("--seed", "7"), ("--tempo", "96")]}
# what can be wrong with one output; "full" strikes at the end, the rest before any work
FAULTS = ("exists", "bad-format", "clash", "missing-folder", "full")


@dataclass
class Plan:
    command: str
    argv: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)  # user files made at output names
    faults: list[str] = field(default_factory=list)
    full: bool = False


def make_plan(seed: int, *, full_disk: bool) -> Plan:
    rng = random.Random(seed)
    command = rng.choice(sorted(OUTPUTS))
    plan = Plan(command)
    force = rng.random() < 0.5
    # a third of the plans fail only at the end, on the full disk, after all the work
    late = full_disk and rng.random() < 0.35
    given: dict[str, str] = {}
    for flag in ["-o"] + [f for f in OUTPUTS[command] if f != "-o" and rng.random() < 0.5]:
        given[flag] = _output_name(rng, plan, flag, given, force=force, full_disk=full_disk,
                                   late=late)
    if late and not plan.full:
        given["-o"] = "full/" + given["-o"]
        plan.full = True
        plan.faults.append("-o disk full")
    for flag, name in given.items():
        plan.argv += [flag, name]
    good = GOOD_OPTIONS[command]
    options = dict(rng.sample(good, k=rng.randint(0, len(good))))
    if (not late and rng.random() < 0.25) or not plan.faults:
        flag, value = rng.choice(BAD_OPTIONS[command])
        options[flag] = value
        plan.faults.append(f"{flag} {value}")
    plan.argv += [f"{flag}={value}" for flag, value in options.items()]
    if command == "compose" and "--duration" not in options:
        plan.argv.append("--duration=5")
    if command == "score":
        plan.argv.insert(0, "../in/clip.mp4")
    if force:
        plan.argv.append("--force")
    return plan


def _output_name(rng, plan: Plan, flag: str, given: dict, *, force: bool, full_disk: bool,
                 late: bool) -> str:
    """The name given to ``flag``: fresh, or with one fault (recorded in ``plan.faults``)."""
    name = OUTPUTS[plan.command][flag]
    kinds = ["fresh", "fresh", *(FAULTS if full_disk else FAULTS[:-1])]
    if late:  # no fault found before the work; --force lets an existing file be replaced
        kinds = ["fresh", "full", *(["exists"] if force else [])]
    kind = rng.choice(kinds)
    side = flag in ("--midi-out", "--cue-sheet")  # a few hundred bytes: they fit on any disk
    if kind == "exists" and flag != "--stems":
        # the cue sheet PATH writes PATH.json and PATH.csv
        plan.existing.append(name + ".json" if flag == "--cue-sheet" else name)
        if not force:
            plan.faults.append(f"{flag} exists")
    elif kind == "bad-format" and flag not in ("--stems", "--cue-sheet"):
        name = Path(name).stem + ".xyz"
        plan.faults.append(f"{flag} format")
    elif kind == "clash" and flag != "--cue-sheet":
        others = sorted(v for f, v in given.items() if f != "--cue-sheet")
        if others:
            name = rng.choice(others)
            plan.faults.append(f"{flag} clashes")
        elif plan.command == "score":
            name = "../in/clip.mp4"
            plan.faults.append(f"{flag} is the input")
    elif kind == "missing-folder":
        name = f"nope/{name}"
        plan.faults.append(f"{flag} folder missing")
    elif kind == "full" and not side:
        name = f"full/{name}"
        plan.full = True
        plan.faults.append(f"{flag} disk full")
    return name


def _fill_disk(full: Path) -> None:
    """Leave ~16 KiB free: MIDI and cue sheets fit, no picture or sound does."""
    (full / "other.bin").write_bytes(b"\0" * (240 << 10))


def run_plan(plan: Plan, work: Path) -> tuple[subprocess.CompletedProcess, dict, dict]:
    """Set the folder up as ``plan`` says, run it; the process and snapshots before/after."""
    out = work / "out"
    (work / "in").mkdir(parents=True)
    out.mkdir()
    (out / "keep.txt").write_text("the user's own file")
    for name in plan.existing:
        (out / name).write_bytes(b"the user's older " + name.encode())
    if plan.command == "score":
        from tests.media import make_cut_video

        make_cut_video(work / "in" / "clip.mp4", duration=1.0, audio_freq=440)
    try:
        if plan.full:
            assert _tmpfs(work) is None
            _fill_disk(out / "full")
        before = snapshot(work)
        proc = subprocess.run([sys.executable, "-m", "cinemuse", plan.command, *plan.argv,
                               "--quiet"], cwd=out, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
        after = snapshot(work)
    finally:
        _umount(work)
    return proc, before, after


def _check(seed: int, work: Path, full_disk: bool) -> None:
    plan = make_plan(seed, full_disk=full_disk)
    proc, before, after = run_plan(plan, work)
    shown = f"seed {seed}: cinemuse {plan.command} {' '.join(plan.argv)}\nfaults: {plan.faults}" \
            f"\nexit {proc.returncode}\nstderr: {proc.stderr!r}"
    assert proc.returncode in (2, 3), shown
    assert "Traceback" not in proc.stderr, shown
    assert len([x for x in proc.stderr.splitlines() if x.strip()]) == 1, shown
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed, f"{shown}\nchanged: {changed}"


@pytest.fixture(scope="module")
def full_disk(tmp_path_factory) -> bool:
    """Whether a small tmpfs can be mounted here (root, with the right to mount)."""
    work = tmp_path_factory.mktemp("probe")
    (work / "out").mkdir()
    ok = _tmpfs(work) is None
    _umount(work)
    return ok


SEEDS = list(range(8))


@pytest.mark.parametrize("seed", SEEDS)
def test_a_failed_run_leaves_the_folder_as_it_was(tmp_path, seed, full_disk):
    _check(seed, tmp_path / "w", full_disk)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(8, 80))
def test_a_failed_run_leaves_the_folder_as_it_was_more(tmp_path, seed, full_disk):
    _check(seed, tmp_path / "w", full_disk)


def test_the_plans_hold_every_fault():
    plans = [make_plan(s, full_disk=True) for s in range(80)]
    assert all(p.faults for p in plans)
    seen = {f.split(" ", 1)[1] for p in plans for f in p.faults}
    assert {"exists", "format", "clashes", "folder missing", "disk full"} <= seen
    assert any("is the input" in f for p in plans for f in p.faults)
    assert any("--force" in p.argv for p in plans) and any("--force" not in p.argv for p in plans)
