"""Block-wise rendering and mastering: the same music as a whole render, in flat memory."""

from __future__ import annotations


import numpy as np
import pretty_midi
import pytest

from cinemuse.music import mix
from cinemuse.music.mix import integrated_loudness, mix_and_master, mix_and_master_blocks, true_peak_db
from cinemuse.music.render import InstrumentRenderer, render_stem_blocks, render_stems

SR = 44100

pytestmark = pytest.mark.usefixtures("pip_only_soundfont")


def _song(seconds: float = 6.0) -> pretty_midi.PrettyMIDI:
    """Held chords (ringing across block edges), a bass line, drums and a pitch bend."""
    pm = pretty_midi.PrettyMIDI()
    pad = pretty_midi.Instrument(program=48, name="pad")
    bass = pretty_midi.Instrument(program=33, name="bass")
    drums = pretty_midi.Instrument(program=0, is_drum=True, name="drums")
    t = 0.0
    while t < seconds:
        for p in (60, 64, 67):
            pad.notes.append(pretty_midi.Note(80, p, t, t + 1.9))
        bass.notes.append(pretty_midi.Note(100, 36, t + 0.5, t + 0.9))
        drums.notes.append(pretty_midi.Note(110, 49, t, t + 0.1))  # a crash rings for seconds
        t += 2.0
    pad.control_changes.append(pretty_midi.ControlChange(11, 70, 1.0))
    bass.pitch_bends.append(pretty_midi.PitchBend(1000, 2.6))
    pm.instruments += [pad, bass, drums]
    return pm


def test_rendering_in_blocks_equals_one_render():
    pm = _song()
    n = 6 * SR
    whole = render_stems(pm, n_samples=n)
    blocks = list(render_stem_blocks(pm, n, block=SR // 2 + 256 * 7))
    assert len(blocks) > 5
    for name, stem in whole.items():
        joined = np.concatenate([b[name] for b in blocks])
        assert joined.shape == stem.shape
        assert np.abs(joined - stem).max() < 1e-5 * max(1.0, np.abs(stem).max())


def test_a_render_leaves_nothing_in_the_next():
    # TinySoundFont ends voices with a 10 ms release; it must not sound in the next render
    pm = _song(2.0)
    renderer = InstrumentRenderer(pm.instruments[0])
    first = renderer.render(0, SR)
    InstrumentRenderer(pm.instruments[2]).render(0, SR)  # another instrument in between
    assert np.array_equal(renderer.render(0, SR), first)


def test_preroll_starts_at_the_earliest_note_still_ringing():
    pm = _song()
    r = InstrumentRenderer(pm.instruments[0])
    assert r.preroll_start(int(3.0 * SR)) == 0  # the chord at 0 s is within the release guard
    assert r.preroll_start(0) == 0


def test_streaming_true_peak_matches_the_whole_signal():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((10_000, 2)) * 0.3).astype(np.float32)
    whole = mix.true_peak_envelope(x)
    expected = np.array([whole[i : i + mix._BLOCK].max() for i in range(0, len(x), mix._BLOCK)])
    meter = mix._TruePeakMeter(2)
    edges = [0, 5, 700, 701, 4096, 9000, len(x)]  # odd block sizes, a tiny first one
    for a, b in zip(edges[:-1], edges[1:]):
        meter.add(x[a:b])
    assert np.allclose(meter.result(), expected, atol=1e-6)


def test_mastering_in_blocks_matches_mastering_whole():
    pm = _song(12.0)
    n = 12 * SR
    whole_mix, whole_stems = mix_and_master(render_stems(pm, n_samples=n), sample_rate=SR, style="pop")
    with mix_and_master_blocks(render_stem_blocks(pm, n, block=256 * 600), sample_rate=SR, style="pop",
                               keep_stems=True) as mastered:
        blocked = mastered.read()
        stems = mastered.read_stems()
        assert mastered.n_samples == n
    assert blocked.shape == whole_mix.shape
    assert abs(integrated_loudness(blocked, sample_rate=SR) - integrated_loudness(whole_mix, sample_rate=SR)) < 0.05
    assert abs(integrated_loudness(blocked, sample_rate=SR) + 14.0) < 0.3
    assert true_peak_db(blocked, exact=True) <= -1.0
    err = blocked - whole_mix
    assert 10 * np.log10(np.sum(err**2) / np.sum(whole_mix**2)) < -60  # the same music
    residual = blocked - sum(stems.values())
    assert 10 * np.log10(np.sum(residual**2) / np.sum(blocked**2)) < -60
    assert set(stems) == set(whole_stems)


def test_mastered_scratch_files_go_away(tmp_path):
    pm = _song(2.0)
    mastered = mix_and_master_blocks(render_stem_blocks(pm, 2 * SR), sample_rate=SR, keep_stems=True)
    assert mastered.read().shape == (2 * SR, 2)
    mastered.close()
    assert mastered._mix.closed and all(s.closed for s in mastered._stems.values())


def test_silence_stays_silent():
    stems = {"pad": np.zeros((SR, 2), np.float32)}
    out, processed = mix_and_master(stems, sample_rate=SR)
    assert not np.any(out) and out.shape == (SR, 2)
