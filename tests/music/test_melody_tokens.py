"""Melody token representation: round trips and segmenting."""

import numpy as np

from cinemuse.music import tokens as tk


def test_round_trip_keeps_pitch_start_and_duration():
    notes = np.array([[60, 0, 4], [62, 4, 2], [64, 8, 6], [67, 20, 4], [72, 28, 4]])
    tokens = tk.notes_to_tokens(notes, n_steps=32)
    assert tokens.shape == (32,)
    assert np.array_equal(tk.tokens_to_notes(tokens), notes)


def test_tokens_mark_rests_and_holds():
    tokens = tk.notes_to_tokens(np.array([[60, 2, 3]]), n_steps=8)
    assert tokens.tolist() == [tk.HOLD, tk.HOLD, tk.PITCH_OFFSET + 60 - tk.PITCH_MIN, tk.HOLD, tk.HOLD, tk.REST, tk.HOLD, tk.HOLD]


def test_overlapping_notes_become_monophonic():
    tokens = tk.notes_to_tokens(np.array([[60, 0, 8], [64, 4, 4]]), n_steps=16)
    assert tk.tokens_to_notes(tokens).tolist() == [[60, 0, 4], [64, 4, 4]]


def test_out_of_range_pitches_move_by_octaves():
    high = np.array([[96, 0, 4], [100, 4, 4]])
    folded = tk.fit_pitch_range(high)
    assert (folded[:, 0] <= tk.PITCH_MAX).all() and (folded[:, 0] >= tk.PITCH_MIN).all()
    assert np.array_equal(folded[:, 0] % 12, high[:, 0] % 12)
    wide = tk.fit_pitch_range(np.array([[30, 0, 1], [100, 1, 1]]))
    assert (wide[:, 0] >= tk.PITCH_MIN).all() and (wide[:, 0] <= tk.PITCH_MAX).all()


def test_segment_tune_cuts_on_bar_lines_and_drops_silence():
    # 4 bars with notes in bars 0, 1 and 3; bar 2 silent
    notes = np.array([[60, 0, 4], [62, 4, 4], [64, 16, 4], [65, 20, 4], [67, 48, 4], [69, 52, 4]])
    segs = tk.segment_tune(notes, bars=2, hop_bars=2)
    assert segs.shape == (2, 32)
    assert tk.tokens_to_notes(segs[1]).tolist() == [[67, 16, 4], [69, 20, 4]]
    overlapping = tk.segment_tune(notes, bars=2, hop_bars=1)
    assert len(overlapping) == 3  # windows at bars 0, 1, 2; none runs past the last bar


def test_attributes_respond_to_what_they_name():
    sparse = tk.notes_to_tokens(np.array([[60, 0, 16], [64, 16, 16]]), n_steps=32)
    busy = tk.notes_to_tokens(np.array([[60 + (i % 5), 2 * i + 1, 1] for i in range(16)]), n_steps=32)
    a, b = tk.segment_attributes(sparse), tk.segment_attributes(busy)
    assert b["density"] > a["density"] and b["rhythm"] > a["rhythm"]
    major = np.array([[60, 0, 8], [64, 8, 8], [67, 16, 8], [72, 24, 8]])
    minor = np.array([[57, 0, 8], [60, 8, 8], [64, 16, 8], [69, 24, 8]])
    assert tk.mode_colour(major) > 0 > tk.mode_colour(minor)
    assert tk.register(major) > tk.register(minor)
