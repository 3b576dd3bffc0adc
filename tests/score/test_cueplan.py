"""Cue planning: sections, tempo fit to hit points, moods, energy, shot latents."""

from __future__ import annotations

import numpy as np
import pytest

from cinemuse.analysis.shots import project_to_latent, whiten
from cinemuse.analysis.video import Cut, VideoAnalysis
from cinemuse.cuesheet import Mood
from cinemuse.pipelines.cueplan import (
    energy_curve, fit_tempo, on_grid, plan_cues, section_spans, section_moods,
)


def fake_analysis(duration=12.0, fps=25.0, cuts=(), motion=None, brightness=0.5):
    times = np.arange(int(duration * fps)) / fps
    n = len(times)
    motion = np.full(n, 0.01) if motion is None else motion(times)
    return VideoAnalysis(
        times=times, duration=n / fps, brightness=np.full(n, brightness), saturation=np.full(n, 0.4),
        colourfulness=np.full(n, 40.0), hue=np.zeros(n), hue_strength=np.zeros(n), motion=motion,
        cuts=[Cut(float(times[int(round(c * fps))]), int(round(c * fps)), 1.0) for c in cuts],
    )


def test_tempo_fit_puts_cuts_on_beats():
    # cuts on a 104 bpm grid starting at 0.37 s (beats 3, 8, 16, 17, 30), plus one off-grid
    period = 60 / 104
    on = [0.37 + k * period for k in (3, 8, 16, 17, 30)]
    fit = fit_tempo(on + [5.05], tolerance=0.02)
    assert fit.on_beat >= 5
    assert abs(fit.tempo - 104) < 0.5 or abs(fit.tempo - 52 * 2) < 0.5
    assert on_grid(np.array(on), fit, 0.02).all()
    assert 0 <= fit.first_downbeat < 4 * 60 / fit.tempo


def test_tempo_fit_respects_a_fixed_tempo():
    fit = fit_tempo([1.0, 2.3, 3.1], tolerance=0.02, fixed_tempo=90)
    assert fit.tempo == pytest.approx(90)
    assert fit.on_beat >= 1


def test_every_cut_gets_a_hit_at_its_exact_time():
    a = fake_analysis(cuts=(1.0, 2.52, 4.4, 7.0, 9.96))
    cue = plan_cues(a)
    cut_hits = [h for h in cue.hits if h.kind == "cut"]
    assert [h.time for h in cut_hits] == pytest.approx(list(a.cut_times))
    assert [h.frame for h in cut_hits] == [c.frame for c in a.cuts]
    # on-grid cuts are caught by the beat: weaker hits; off-grid ones strong
    assert {h.strength for h in cut_hits} <= {0.7, 1.0}
    assert 70 <= cue.tempo <= 140
    assert cue.duration == pytest.approx(a.duration)


def test_sections_start_at_cuts_and_short_shots_merge():
    spans = section_spans([1.0, 1.3, 5.0, 9.0, 9.4], 12.0, min_section=2.0)
    starts = [s for s, _ in spans]
    assert spans[0][0] == 0 and spans[-1][1] == 12.0
    assert all(b - a >= 2.0 for a, b in spans)
    assert all(s in (0.0, 1.0, 1.3, 5.0, 9.0, 9.4) for s in starts)
    assert 5.0 in starts
    assert all(a2 == b1 for (_, b1), (a2, _) in zip(spans, spans[1:]))


def test_mood_follows_light_and_motion():
    calm_light = fake_analysis(brightness=0.75, motion=lambda t: np.full_like(t, 0.004))
    busy_dark = fake_analysis(brightness=0.12, motion=lambda t: np.full_like(t, 0.12),
                              cuts=np.arange(0.5, 12, 0.6))
    (m1,), _ = section_moods(calm_light, [(0.0, 12.0)])
    (m2,), _ = section_moods(busy_dark, [(0.0, 12.0)])
    assert m1.valence > m2.valence
    assert m2.arousal > m1.arousal
    override = plan_cues(busy_dark, mood=Mood.named("calm"))
    assert all(s.mood == Mood.named("calm") for s in override.sections)


def test_energy_follows_motion():
    a = fake_analysis(duration=10, motion=lambda t: np.where(t < 5, 0.003, 0.08))
    curve = energy_curve(a)
    assert curve[:, 1][curve[:, 0] < 4].mean() + 0.3 < curve[:, 1][curve[:, 0] > 6].mean()
    cue = plan_cues(a)
    assert cue.energy_at(8.0) > cue.energy_at(2.0) + 0.3
    assert curve[-1, 0] == pytest.approx(a.duration)


def test_whitened_latents_keep_similar_shots_close():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(4, 1280)) * 3
    feats = np.concatenate([base, base[:2] + rng.normal(size=(2, 1280)) * 0.05])  # 4, 5 ~ 0, 1
    lat = project_to_latent(whiten(feats), latent_dim=32)
    d = np.linalg.norm(lat[:, None] - lat[None], axis=-1)
    assert d[0, 4] < 0.2 * d[0, 2] and d[1, 5] < 0.2 * d[1, 3]
    assert lat.shape == (6, 32)
    # fixed projection: same input, same latents
    assert np.array_equal(lat, project_to_latent(whiten(feats), latent_dim=32))


def test_single_shot_video_plans():
    cue = plan_cues(fake_analysis(duration=1.5))
    assert len(cue.sections) == 1 and cue.hits == []


def test_music_ducks_under_the_original_sound():
    from cinemuse.pipelines.score import duck_music

    sr = 8000
    t = np.arange(4 * sr) / sr
    music = np.column_stack([0.3 * np.sin(2 * np.pi * 220 * t)] * 2).astype(np.float32)
    speech = np.where((t > 1) & (t < 2), 0.3 * np.sin(2 * np.pi * 500 * t), 0.0)
    original = np.column_stack([speech, speech]).astype(np.float32)
    out = duck_music(music, original, sr, duck_db=12)
    music_part = out - original
    rms = lambda a, b: float(np.sqrt(np.mean(music_part[int(a * sr):int(b * sr), 0] ** 2)))  # noqa: E731
    assert rms(1.3, 1.9) < 0.35 * rms(0.2, 0.9)  # about -12 dB while the original speaks
    assert rms(3.2, 3.9) > 0.9 * rms(0.2, 0.9)  # back up afterwards
