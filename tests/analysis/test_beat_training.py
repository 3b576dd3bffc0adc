"""The beat network's training data and export (cinemuse.train.beats)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cinemuse.train import annotated_pieces, beats

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def test_targets_mark_the_beat_frame_and_half_its_neighbours():
    fps = beats.frames_per_second()
    y = beats.targets(np.array([1.0, 2.0]), 200)
    k = int(round(fps))
    assert y[k] == 1.0 and y[k - 1] == y[k + 1] == 0.5 and y[k + 3] == 0.0
    assert y.sum() == pytest.approx(4.0)
    assert beats.targets(np.array([-1.0, 99.0]), 200).sum() == 0.0  # outside: ignored


def test_stretch_slows_notes_and_ground_truth_alike():
    import pretty_midi

    pm = pretty_midi.PrettyMIDI()
    inst = pretty_midi.Instrument(program=0)
    inst.notes.append(pretty_midi.Note(90, 60, 1.0, 1.5))
    pm.instruments.append(inst)
    piece = {"pm": pm, "beats": np.array([0.0, 0.5, 1.0]), "downbeats": np.array([0.0]),
             "tempo": 120.0, "seconds": 2.0}
    slow = beats.stretch(piece, 1.25)
    note = slow["pm"].instruments[0].notes[0]
    assert (note.start, note.end) == (1.25, 1.875)
    assert np.allclose(slow["beats"], [0.0, 0.625, 1.25]) and slow["tempo"] == 96.0
    assert pm.instruments[0].notes[0].start == 1.0  # the original is left alone


def test_folk_split_is_a_fixed_partition():
    ids = [f"essenFolksong/x.abc#{i}" for i in range(2000)]
    splits = [annotated_pieces.folk_split(i) for i in ids]
    assert splits == [annotated_pieces.folk_split(i) for i in ids]
    share = {s: splits.count(s) / len(ids) for s in ("test", "validation", "train")}
    assert 0.15 < share["test"] < 0.25 and 0.02 < share["validation"] < 0.08


@pytest.mark.skipif(not (DATA / "music" / "pop909").is_dir(), reason="needs ../shared/data")
def test_pop909_training_songs_are_not_benchmark_songs():
    test = set(annotated_pieces.pop909_split(DATA, "test"))
    for split in ("train", "validation"):
        assert not test & set(annotated_pieces.pop909_split(DATA, split))


def test_an_exported_network_matches_torch(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    cfg = beats.quick_config()
    net = beats.make_network(cfg)
    ckpt = tmp_path / "net.pt"
    from dataclasses import asdict

    torch.save({"model": net.state_dict(), "config": asdict(cfg), "step": 0}, ckpt)
    summary = beats.export_onnx(ckpt, tmp_path / "beat.onnx")
    assert summary["onnx_max_diff"] < 1e-4

    from cinemuse.analysis import beat_net

    rng = np.random.default_rng(1)
    mel = rng.uniform(-80, 0, (48, 500)).astype(np.float32)
    chroma, bass = rng.uniform(0, 1, (2, 12, 126))
    beat, down = beat_net.activations(mel, chroma, bass, model=tmp_path / "beat.onnx")
    assert beat.shape == down.shape == (500,) and 0 <= beat.min() and beat.max() <= 1


def _fake_pieces(ids):
    return [{"piece": f"fake/{i}", "pm": None, "mix": None, "seconds": 3.0,
             "beats": np.arange(0.0, 3.0, 0.5), "downbeats": np.arange(0.0, 3.0, 2.0),
             "meter": "4/4", "beats_per_bar": 4, "tempo": 120.0, "key": None} for i in ids]


def test_training_reads_the_draw_recorded_not_whatever_the_folder_holds(tmp_path, monkeypatch):
    """The render step records its draw; loading reads exactly those excerpts (not a stray
    render of another draw) and refuses a folder whose draw is not all rendered."""
    from cinemuse.errors import BadInputError
    from cinemuse.train import annotated_renders as ar

    rng = np.random.default_rng(0)
    monkeypatch.setattr(ar, "render", lambda pm, *, font, mix, seconds:
                        (rng.standard_normal((int(seconds * ar.SR), 2)) * 0.1).astype(np.float32))
    folder = tmp_path / "split"
    with pytest.raises(BadInputError, match="render step"):
        beats.load_split(folder)
    beats.render_pieces(_fake_pieces([3, 1, 2]), folder, total=3, stretched=False, log=lambda line: None)
    stray = tmp_path / "other"
    beats.render_pieces(_fake_pieces([9]), stray, total=1, stretched=False, log=lambda line: None)
    for path in stray.glob("*.npz"):
        path.rename(folder / path.name)  # an excerpt of another draw, left in the folder
    rows = beats.load_split(folder)
    assert [r["meta"]["piece"] for r in rows] == ["fake/3", "fake/1", "fake/2"]
    assert len(list(folder.glob("*.npz"))) == 4
    next(p for p in beats.drawn_excerpts(folder)).unlink()
    with pytest.raises(BadInputError, match="1 of the 3 excerpts drawn are not rendered"):
        beats.load_split(folder)
