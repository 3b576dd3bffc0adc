"""`cinemuse batch` on the local engine: manifest, resume, faults, job options."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from cinemuse.cli import main
from cinemuse.pipelines.batch.runner import remove_stale_parts
from tests.media import make_cut_video, make_photo, write_tone

REPO = Path(__file__).resolve().parents[2]


def video_packets(path):
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(c.streams.video[0]) if p.size]


def records(out_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (out_dir / "manifest.jsonl").read_text().splitlines()]


def final_states(out_dir: Path) -> dict[str, dict]:
    latest = {}
    for r in records(out_dir):
        latest[r["input"]] = r
    return latest


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """Three short videos (one in a sub-folder) and a corrupt one."""
    d = tmp_path_factory.mktemp("batch_in")
    (d / "trip").mkdir()
    for i, name in enumerate(("a.mp4", "b.mp4", "trip/c.mp4")):
        make_cut_video(d / name, duration=2.0 + 0.5 * i, cuts=(0.8, 1.5), size=(96, 64), audio_freq=330)
    (d / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 400)
    return d


def run_cli(*argv: str) -> int:
    return main(["batch", *argv])


def test_corrupt_file_fails_alone_and_rerun_skips(videos, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli("score", str(videos), "-o", str(out), "--workers", "2", "--", "--seed", "1") == 2
    err = capsys.readouterr().err
    assert "broken.mp4" in err and "Traceback" not in err
    assert files_under(out) == ["a.mp4", "b.mp4", "manifest.jsonl", "trip/c.mp4"]
    for name in ("a.mp4", "b.mp4", "trip/c.mp4"):
        assert video_packets(out / name) == video_packets(videos / name)  # picture copied bit for bit
    states = final_states(out)
    broken = states[str((videos / "broken.mp4").resolve())]
    assert broken["state"] == "failed" and "broken.mp4" in broken["error"]
    done = [r for r in states.values() if r["state"] == "done"]
    assert len(done) == 3 and all(r["attempt"] == 1 and r["seconds"] > 0 for r in done)
    # every input went queued -> running -> done|failed, one line each
    seq = [r["state"] for r in records(out) if r["input"].endswith("a.mp4")]
    assert seq == ["queued", "running", "done"]

    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.mp4")}
    n_before = len(records(out))
    assert run_cli("score", str(videos), "-o", str(out), "--workers", "2", "--", "--seed", "1") == 2
    new = records(out)[n_before:]
    assert sorted(r["state"] for r in new if r["state"] != "queued" and r["state"] != "running") == \
        ["failed", "skipped", "skipped", "skipped"]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.mp4")} == mtimes  # nothing recomputed
    # the unchanged corrupt file is not run again (the same bytes fail the same way) ...
    again = [r for r in new if r["input"] == broken["input"]]
    assert [r["state"] for r in again] == ["failed"] and again[0]["retried"] is False
    assert again[0]["error"] == broken["error"] and again[0]["failure"] == "bad"
    # ... unless asked to
    n_before = len(records(out))
    assert run_cli("score", str(videos), "-o", str(out), "--retry-failed", "--", "--seed", "1") == 2
    again = [r["state"] for r in records(out)[n_before:] if r["input"] == broken["input"]]
    assert again == ["queued", "running", "failed"]

    # changed options: redone, in place, without --force (the batch wrote those files)
    assert run_cli("score", str(videos / "a.mp4"), "-o", str(out), "--", "--seed", "2") == 0
    latest = final_states(out)[str((videos / "a.mp4").resolve())]
    assert latest["state"] == "done" and latest["options"] != done[0]["options"]
    assert (out / "a.mp4").stat().st_mtime_ns != mtimes[out / "a.mp4"]


def test_foreign_files_need_force_and_are_never_touched(videos, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.mp4").write_bytes(b"the user's own file")
    assert run_cli("score", str(videos / "a.mp4"), "-o", str(out)) == 2
    assert (out / "a.mp4").read_bytes() == b"the user's own file"
    assert "already exists" in final_states(out)[str((videos / "a.mp4").resolve())]["error"]


def _start(args: list[str]) -> subprocess.Popen:
    """The CLI in its own process group, as a terminal would run it."""
    cli = Path(sys.executable).with_name("cinemuse")
    return subprocess.Popen([str(cli), "batch", *args], cwd=REPO, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # a test run started in the background inherits SIGINT as ignored, and
                            # Python then installs no KeyboardInterrupt handler; a terminal's
                            # Ctrl-C always arrives
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for(out: Path, predicate, proc: subprocess.Popen, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (out / "manifest.jsonl").exists():
            for r in records_partial(out):
                if predicate(r):
                    return r
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("timed out waiting for the manifest")


def records_partial(out: Path) -> list[dict]:
    rows = []
    for line in (out / "manifest.jsonl").read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # the line being written
    return rows


def no_partial_or_unreadable(out: Path) -> None:
    for p in out.rglob("*"):
        assert ".part" not in p.name, p
        if p.suffix == ".mp4":
            assert video_packets(p)  # opens, and has its picture


def test_ctrl_c_stops_cleanly_and_the_same_command_resumes(videos, tmp_path):
    out = tmp_path / "out"
    args = ["score", str(videos / "a.mp4"), str(videos / "b.mp4"), str(videos / "trip"), "-o", str(out),
            "--workers", "1"]
    proc = _start(args)
    _wait_for(out, lambda r: r["state"] == "done", proc)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    no_partial_or_unreadable(out)
    assert run_cli(*args) == 0
    assert files_under(out) == ["a.mp4", "b.mp4", "c.mp4", "manifest.jsonl"]
    states = final_states(out)
    assert all(r["state"] in ("done", "skipped") for r in states.values())


def test_sigkilled_worker_is_retried_without_duplicates(videos, tmp_path):
    out = tmp_path / "out"
    args = ["score", str(videos / "a.mp4"), str(videos / "b.mp4"), "-o", str(out), "--workers", "1",
            "--retries", "1"]
    proc = _start(args)
    running = _wait_for(out, lambda r: r["state"] == "running" and r.get("worker"), proc)
    os.kill(int(running["worker"].split()[1]), signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert files_under(out) == ["a.mp4", "b.mp4", "manifest.jsonl"]
    history = [r for r in records(out) if r["input"] == running["input"]]
    assert [r["state"] for r in history] == ["queued", "running", "queued", "running", "done"]
    assert "killed by signal 9" in history[2]["error"] and history[-1]["attempt"] == 2
    no_partial_or_unreadable(out)


def test_compose_from_briefs_with_a_bad_brief(tmp_path, capsys):
    briefs = tmp_path / "briefs.csv"
    briefs.write_text("name,duration,mood,seed,format\nintro,5,calm,1,mid\nbad,5,furious,1,mid\n"
                      "sub/outro,6,happy,2,\n")
    out = tmp_path / "music"
    assert run_cli("compose", str(briefs), "-o", str(out), "--workers", "2", "--", "--style", "piano") == 2
    assert files_under(out) == ["intro.mid", "manifest.jsonl", "sub/outro.wav"]
    states = final_states(out)
    assert states[f"{briefs.resolve()}#2"]["state"] == "failed"
    assert "furious" in states[f"{briefs.resolve()}#2"]["error"]
    # the same brief list again: the two good briefs are skipped, the MIDI untouched
    midi = (out / "intro.mid").read_bytes()
    assert run_cli("compose", str(briefs), "-o", str(out), "--", "--style", "piano") == 2
    assert (out / "intro.mid").read_bytes() == midi
    assert final_states(out)[f"{briefs.resolve()}#1"]["state"] == "skipped"


def test_restore_and_analyze_mirror_their_folders(tmp_path):
    photos = tmp_path / "photos"
    (photos / "1950s").mkdir(parents=True)
    make_photo(photos / "1950s" / "x.jpg", size=(80, 60))
    make_photo(photos / "y.png", size=(80, 60))
    (photos / "notes.txt").write_text("not a photo")
    out = tmp_path / "restored"
    assert run_cli("restore", str(photos), "-o", str(out), "--workers", "1", "--", "--denoise") == 0
    assert files_under(out) == ["1950s/x.jpg", "manifest.jsonl", "y.png"]
    songs = tmp_path / "songs"
    songs.mkdir()
    write_tone(songs / "tone.wav", 440, 3.0)
    assert run_cli("analyze", str(songs), "-o", str(tmp_path / "a"), "--workers", "1") == 0
    profile = json.loads((tmp_path / "a" / "tone.json").read_text())
    assert profile["duration"] == pytest.approx(3.0, abs=0.05)


@pytest.mark.parametrize("extra, message", [
    (["--", "--tempo", "1000"], "--tempo"),
    (["--", "-o", "x.mp4"], "-o"),
    (["--", "--no-such-option"], "no-such-option"),
    (["--retries", "-1"], "--retries"),
    (["--", "--timeline", "t.otio"], "--timeline and --markers are not supported in a batch"),
    (["--", "--markers", "m.csv"], "--timeline and --markers are not supported in a batch"),
])
def test_bad_job_options_are_usage_errors(videos, tmp_path, capsys, extra, message):
    out = tmp_path / "out"
    assert run_cli("score", str(videos / "a.mp4"), "-o", str(out), *extra) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (out / "a.mp4").exists()


@pytest.mark.parametrize("where", ["input", "output"])
def test_object_storage_urls_are_refused(tmp_path, capsys, where):
    url = "s3://bucket/archive"
    args = [url, "-o", str(tmp_path / "o")] if where == "input" else [str(tmp_path), "-o", url]
    assert run_cli("score", *args) == 2
    err = capsys.readouterr().err
    assert "s3://bucket/archive: object storage URLs are not supported" in err
    assert not (tmp_path / "o").exists() and not Path("s3:").exists()


def make_albums(root: Path) -> Path:
    """Two albums (one nested), a folder without photos, and an album of one corrupt photo."""
    from tests.slideshow.photos import album

    album(root / "trip", 3, size=(160, 120))
    album(root / "2025" / "lisbon", 2, size=(160, 120))
    (root / "empty").mkdir()
    (root / "empty" / "notes.txt").write_text("not a photo")
    (root / "bad").mkdir()
    (root / "bad" / "x.jpg").write_bytes(b"not a jpeg" * 20)
    return root


def test_slideshow_one_album_per_folder_and_resume(tmp_path, capsys):
    albums = make_albums(tmp_path / "albums")
    out, cues = tmp_path / "films", tmp_path / "cues"
    args = ["slideshow", str(albums), "-o", str(out), "--workers", "2", "--",
            "--duration", "2", "--aspect", "1:1", "--cue-sheet", str(cues)]
    assert run_cli(*args) == 2
    err = capsys.readouterr().err
    assert "x.jpg" in err and "no usable photos" in err and "Traceback" not in err
    assert files_under(out) == ["2025/lisbon.mp4", "manifest.jsonl", "trip.mp4"]
    assert files_under(cues) == ["2025/lisbon.csv", "2025/lisbon.json", "trip.csv", "trip.json"]
    with av.open(str(out / "trip.mp4")) as c:
        v = c.streams.video[0]
        assert (v.width, v.height) == (1080, 1080) and c.streams.audio
        assert abs(float(c.duration) / 1e6 - 2.0) < 0.1
    record = json.loads((cues / "trip.json").read_text())
    assert [Path(p["file"]).name for p in record["photos"]] == ["p00.jpg", "p01.jpg", "p02.jpg"]
    states = final_states(out)
    assert set(states) == {str((albums / a).resolve()) for a in ("trip", "2025/lisbon", "bad")}
    assert states[str((albums / "bad").resolve())]["state"] == "failed"

    # unchanged albums are skipped; a photo added to one album redoes that album alone
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.mp4")}
    from tests.slideshow.photos import scene, write_photo

    write_photo(albums / "trip" / "p09.jpg", scene(9, (160, 120)))
    assert run_cli(*args) == 2
    states = final_states(out)
    assert states[str((albums / "2025" / "lisbon").resolve())]["state"] == "skipped"
    assert states[str((albums / "trip").resolve())]["state"] == "done"
    assert (out / "2025" / "lisbon.mp4").stat().st_mtime_ns == mtimes[out / "2025" / "lisbon.mp4"]
    assert (out / "trip.mp4").stat().st_mtime_ns != mtimes[out / "trip.mp4"]
    assert len(json.loads((cues / "trip.json").read_text())["photos"]) == 4


@pytest.mark.parametrize("extra, message", [
    (["--", "--list-styles"], "--list-styles"),
    (["--", "--look", "sepia-ish"], "--look"),
    (["--", "--style", "no-such-style"], "--style"),
])
def test_slideshow_bad_options_are_usage_errors(tmp_path, capsys, extra, message):
    albums = tmp_path / "albums"
    from tests.slideshow.photos import album

    album(albums / "a", 1, size=(64, 48))
    assert run_cli("slideshow", str(albums), "-o", str(tmp_path / "o"), *extra) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_slideshow_takes_folders_not_files(tmp_path, capsys):
    photo = tmp_path / "p.jpg"
    make_photo(photo)
    assert run_cli("slideshow", str(photo), "-o", str(tmp_path / "o")) == 2
    assert "folders of albums" in capsys.readouterr().err


def test_remove_stale_parts_touches_only_our_temporaries(tmp_path):
    from cinemuse.io.atomic import atomic_output

    out = tmp_path / "clip.mp4"
    with pytest.raises(KeyboardInterrupt):  # a real temporary, as a worker would leave it
        with atomic_output(out) as tmp:
            made = tmp
            shutil.copy(made, tmp_path / "keep.bin")
            os.link(made, tmp_path / "hardlink")  # keeps the bytes once the writer cleans up
            raise KeyboardInterrupt
    os.link(tmp_path / "hardlink", made)  # as if the worker had been SIGKILLed instead
    keep = [tmp_path / ".clip.mp4", tmp_path / "clip.part.mp4", tmp_path / made.name.replace(".clip.", ".other."),
            tmp_path / made.name.replace(".mp4", ".wav")]
    for k in keep:
        k.write_bytes(b"user")
    assert remove_stale_parts([out]) == 1
    assert not made.exists() and all(k.exists() for k in keep)
