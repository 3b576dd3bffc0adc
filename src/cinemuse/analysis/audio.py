"""What a song is: tempo, beats, bars, key, loudness, energy, brightness, sections, mood.

:func:`analyze_song` turns samples into a :class:`SongProfile`; :func:`analyze_blocks` does the
same for a stream of blocks (a file of any length, in the memory of a few blocks).  One
streaming pass (:mod:`cinemuse.analysis.song_features`) reduces the signal to compact frame
features: one mono signal at 22.05 kHz (plus the original channels for loudness) through two
STFTs (numpy only, see :mod:`cinemuse.analysis.audio_dsp`).  The steps then run on those
features, each its own function: loudness, rhythm, key, timbre, sections, mood, drawing.

Methods, and where they come from
---------------------------------
* Tempo, beats, metre and downbeats: :mod:`cinemuse.analysis.rhythm`, from the beat and
  downbeat probabilities of a small temporal convolutional network trained here on annotated
  renders (:mod:`cinemuse.analysis.beat_net`, :mod:`cinemuse.train.beats`; after Davies &
  Böck 2019 and Böck & Davies 2020): the metrical level whose dynamic-programming beat grid
  (Ellis 2007, "Beat tracking by dynamic programming", JNMR 36(1)) the beat curve makes most
  likely, the bar length 2, 3 or 4 and its phase from the downbeat curve (and from where the
  bass changes, when the curve leaves beat 1 and beat 3 of a 4/4 bar open); ``meter`` "4/4",
  "3/4", "2/4" or "6/8".  The network reads the log-mel and the chroma below.
* Key: log-frequency chroma from a long-window STFT (2.7 Hz bins), tuning-corrected, reduced
  to song-level statistics (mean chroma, mean bass-register chroma, triad histogram,
  pitch-class co-occurrence) and classified among the 24 keys by a small learned
  transposition-equivariant
  logistic regression (:mod:`cinemuse.analysis.key_model`, trained on annotated renders by
  :mod:`cinemuse.train.key`).  :func:`estimate_key`, the correlation with the rotated
  Albrecht & Shanahan (2013, Music Perception 31(1)) profiles it replaced, is kept as the
  baseline the model is measured against (and the Krumhansl-Kessler 1982 profiles for
  comparison).
* Loudness: ITU-R BS.1770-4 integrated loudness (gated 400-ms blocks of K-weighted energy,
  computed in the frequency domain; equal to pyloudnorm within 0.01 LU, see the tests) and EBU
  R128 short-term loudness (3-s windows) from the same blocks.
* Sections: peaks of a checkerboard-kernel novelty curve (Foote 2000, ICME) on the
  self-similarity of beat-synchronous chroma + cepstrum, labelled A, B, C... by similarity
  of their means.
* Mood (valence, arousal in [-1, 1]): a transparent weighted sum of cues whose direction is
  well established, not a trained model.  Valence rises with major mode, faster tempo and
  brighter timbre; arousal rises with loudness, onset density and tempo ("pace" below combines
  beat rate and event density, which perceived speed follows: Drake, Gros & Penel 1999;
  London 2011) (Gabrielsson &
  Lindstrom 2010, "The role of structure in the musical expression of emotions", Handbook of
  Music and Emotion; Eerola, Friberg & Bresin 2013, "Emotional expression in music:
  contribution, linearity, and additivity of primary musical cues", Frontiers in Psychology
  4:487; Hevner 1935 for mode).  The weights are stated in :data:`MOOD_BASIS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cinemuse.progress import SILENT, Progress

from cinemuse.analysis.song_features import (  # noqa: E402  (re-exported constants)
    ANALYSIS_SR, CHROMA_HOP, HOP, SongFeatures, extract_features,
)

CURVE_HOP_S = 0.5  # resolution of the curves in the profile
BASS_WEIGHT = 0.5  # extra weight of the bass register (40-200 Hz) in the drawn key profile

PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

# Albrecht & Shanahan (2013) pitch-class distributions from a corpus of major / minor
# pieces, tonic first; chosen over Krumhansl-Kessler and Temperley by benchmarks on renders
# of POP909 ids 1-20 and Bach chorales outside the held-out set (MIREX 0.88 vs 0.82 / 0.73).
AS_MAJOR = np.array([0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.080,
                     0.008, 0.081])
AS_MINOR = np.array([0.220, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022,
                     0.061, 0.052])
# Krumhansl & Kessler (1982) probe-tone ratings, tonic first.
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

MOOD_BASIS = {
    "valence": "0.5*mode (major +1, minor -1, times min(1, 0.4 + key confidence)) + 0.3*pace "
    "+ 0.2*brightness (tanh((centroid_hz-1800)/900)); pace = 0.5*tanh((bpm-100)/30) + "
    "0.5*tanh((onsets_per_s-3)/1.5)",
    "arousal": "0.4*loudness (tanh((lufs+18)/6)) + 0.35*onset density "
    "(tanh((onsets_per_s-2.5)/1.5)) + 0.25*pace",
    "intensity": "0.6*(tanh((lufs+14)/5)+1)/2 + 0.4*spectral flatness (log-scaled; noisiness, "
    "a proxy for distortion), 0..1",
    "references": "Gabrielsson & Lindstrom 2010; Eerola, Friberg & Bresin 2013; Hevner 1935",
}


@dataclass
class SongSection:
    """One section of the song: ``start``..``end`` seconds, a form ``label`` and its energy 0..1."""

    start: float
    end: float
    label: str
    energy: float


@dataclass
class SongProfile:
    """Everything :func:`analyze_song` measures about a song; times in seconds.

    The arrays ``spectrum`` and ``chroma`` are small summaries kept for drawing (covers); they
    are left out of :meth:`to_dict` unless asked for.
    """

    duration: float
    tempo_bpm: float
    beats: np.ndarray  # (n_beats,) seconds
    downbeats: np.ndarray  # (n_bars,) seconds
    beats_per_bar: int
    # 0..1, how surely the beat network hears the beats; below rhythm.STEADY_BEAT (noise, a
    # sustained pad) the beats are a grid to cut to, not a pulse heard: see steady_beat
    beat_strength: float
    key: str  # e.g. "F# minor"
    tonic: int  # pitch class 0..11 (C = 0)
    mode: str  # "major" | "minor"
    key_confidence: float  # 0..1
    loudness_lufs: float
    curve_times: np.ndarray  # (n_curve,) seconds, every CURVE_HOP_S
    loudness_curve: np.ndarray  # (n_curve,) short-term LUFS (3-s window)
    energy_curve: np.ndarray  # (n_curve,) RMS level 0..1 (relative to the loudest moment)
    onset_density_curve: np.ndarray  # (n_curve,) onsets per second (2-s window)
    brightness_curve: np.ndarray  # (n_curve,) spectral centroid, Hz
    brightness_hz: float  # median spectral centroid
    onset_density: float  # onsets per second over the whole song
    flatness: float  # median spectral flatness 0..1 (noisy / distorted -> higher)
    sections: list[SongSection]
    valence: float  # -1..1
    arousal: float  # -1..1
    intensity: float  # 0..1, loud and noisy/distorted
    spectrum: np.ndarray = field(repr=False)  # (n_slices, n_bands) log-mel 0..1, time-major
    chroma: np.ndarray = field(repr=False)  # (12, n_slices) chroma 0..1, beat-synchronous
    chroma_mean: np.ndarray = field(repr=False)  # (12,) song-average chroma 0..1
    tags: Any = field(default=None, repr=False)  # analysis.tags.SongTags, set by the pipeline
    # the time signature the beats and downbeats imply: "4/4", "3/4", "2/4" or "6/8" (then
    # the beats are dotted quarters, beats_per_bar 2); downbeats are the first beats of bars
    meter: str = "4/4"

    @property
    def steady_beat(self) -> bool:
        """Whether the song has a beat a listener would tap (see ``beat_strength``)."""
        from cinemuse.analysis.rhythm import STEADY_BEAT

        return self.beat_strength >= STEADY_BEAT

    def to_dict(self, *, arrays: bool = False) -> dict[str, Any]:
        """Plain JSON-able dict; ``arrays=True`` also includes the drawing summaries."""
        r3 = lambda xs: [round(float(x), 3) for x in xs]  # noqa: E731
        out: dict[str, Any] = {
            "duration": round(self.duration, 3),
            "tempo_bpm": round(self.tempo_bpm, 2),
            "beat_strength": round(self.beat_strength, 3),
            "steady_beat": self.steady_beat,
            "key": self.key,
            "mode": self.mode,
            "key_confidence": round(self.key_confidence, 3),
            "loudness_lufs": round(self.loudness_lufs, 2),
            "beats_per_bar": self.beats_per_bar,
            "meter": self.meter,
            "beats": r3(self.beats),
            "downbeats": r3(self.downbeats),
            "brightness_hz": round(self.brightness_hz, 1),
            "onset_density": round(self.onset_density, 3),
            "flatness": round(self.flatness, 4),
            "sections": [
                {"start": round(s.start, 3), "end": round(s.end, 3), "label": s.label,
                 "energy": round(s.energy, 3)}
                for s in self.sections
            ],
            "mood": {
                "valence": round(self.valence, 3),
                "arousal": round(self.arousal, 3),
                "intensity": round(self.intensity, 3),
                "basis": MOOD_BASIS,
            },
            "curves": {
                "hop_seconds": CURVE_HOP_S,
                "times": r3(self.curve_times),
                "loudness_lufs": [round(float(x), 2) for x in self.loudness_curve],
                "energy": r3(self.energy_curve),
                "onset_density": r3(self.onset_density_curve),
                "brightness_hz": [round(float(x), 1) for x in self.brightness_curve],
            },
        }
        if self.tags is not None:
            out["tags"] = self.tags.to_dict()
        if arrays:
            out["spectrum"] = np.round(self.spectrum, 3).tolist()
            out["chroma"] = np.round(self.chroma, 3).tolist()
        return out


# ----------------------------------------------------------------------------- helpers


def _to_mono_and_channels(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] < x.shape[1]:
        raise ValueError(f"samples must be (n,) or (n, channels), got shape {x.shape}")
    return x


def estimate_key(
    chroma_vector: np.ndarray, *, major_profile: np.ndarray = AS_MAJOR,
    minor_profile: np.ndarray = AS_MINOR,
) -> tuple[int, str, float, np.ndarray]:
    """Key of a 12-bin pitch-class distribution by correlation with rotated key profiles.

    Parameters
    ----------
    chroma_vector : (12,) non-negative, C first.

    Returns
    -------
    tonic : int, pitch class 0..11
    mode : "major" or "minor"
    confidence : float 0..1, softmax probability of the best of the 24 keys (temperature 0.05
        in correlation units), so 0.5 means a close call with one rival key
    correlations : (24,) correlations, majors C..B then minors C..B
    """
    v = np.asarray(chroma_vector, dtype=np.float64)
    corrs = np.empty(24)
    for tonic in range(12):
        corrs[tonic] = np.corrcoef(v, np.roll(major_profile, tonic))[0, 1]
        corrs[12 + tonic] = np.corrcoef(v, np.roll(minor_profile, tonic))[0, 1]
    corrs = np.nan_to_num(corrs, nan=-1.0)
    best = int(np.argmax(corrs))
    weights = np.exp((corrs - corrs[best]) / 0.05)
    confidence = float(weights[best] / weights.sum())
    return best % 12, ("major" if best < 12 else "minor"), confidence, corrs


def key_name(tonic: int, mode: str) -> str:
    """``key_name(6, "minor") -> "F# minor"``."""
    return f"{PITCH_NAMES[tonic % 12]} {mode}"


def _section_labels(features: np.ndarray, bounds: np.ndarray) -> list[str]:
    """Letters A, B, C... for segments; a segment like an earlier one gets its letter."""
    means = [features[:, a:b].mean(axis=1) for a, b in zip(bounds[:-1], bounds[1:])]
    letters: list[str] = []
    reps: list[tuple[np.ndarray, str]] = []
    for m in means:
        m = m / (np.linalg.norm(m) + 1e-9)
        match = None
        for rep, letter in reps:
            if float(rep @ m) > 0.97:
                match = letter
                break
        if match is None:
            match = chr(ord("A") + min(len(reps), 25))
            reps.append((m, match))
        letters.append(match)
    return letters


def _window_sum(x: np.ndarray, width: int) -> np.ndarray:
    c = np.concatenate([[0.0], np.cumsum(x, dtype=np.float64)])
    half = width // 2
    idx = np.arange(len(x))
    lo = np.clip(idx - half, 0, len(x))
    hi = np.clip(idx - half + width, 0, len(x))
    return (c[hi] - c[lo]) / np.maximum(hi - lo, 1) * width


# ----------------------------------------------------------------------------- main entry


def analyze_song(
    samples: np.ndarray, sample_rate: int, *, progress: Progress = SILENT
) -> SongProfile:
    """Measure a song held in memory.

    Parameters
    ----------
    samples : (n,) or (n, channels) float, -1..1
    sample_rate : int, Hz
    progress : where to report the stages

    Returns
    -------
    SongProfile
    """
    x = _to_mono_and_channels(samples)
    step = 1 << 16
    return analyze_blocks((x[i : i + step] for i in range(0, x.shape[0], step)), sample_rate,
                          progress=progress)


def analyze_blocks(blocks, sample_rate: int, *, progress: Progress = SILENT,
                   expected_seconds: float | None = None) -> SongProfile:
    """Measure a song given as an iterable of ``(m, channels)`` blocks, read once.

    ``expected_seconds`` (when known, e.g. from the container) sizes the progress bar.
    """
    with progress.stage("Reading and analysing audio", total=expected_seconds) as st:
        done = [0.0]

        def on_block(seconds: float) -> None:
            if expected_seconds:
                st.advance(min(seconds, expected_seconds) - done[0])
                done[0] = min(seconds, expected_seconds)

        features = extract_features(blocks, sample_rate, on_block=on_block)
    return profile_from_features(features, progress=progress)


def profile_from_features(f: SongFeatures, *, progress: Progress = SILENT) -> SongProfile:
    """The steps of the analysis, in order, on the features of one pass."""
    duration = f.duration
    if duration < 1.0:
        raise ValueError(f"the song is too short to analyse ({duration:.2f} s)")
    with progress.stage("Analysing song", total=6) as st:
        loud = _loudness(f)
        st.advance()
        rhythm = _rhythm(f)
        st.advance()
        key = _key(f)
        st.advance()
        timbre = _timbre(f, rhythm["onsets"], loud)
        st.advance()
        sections = _sections(f, rhythm, key["chroma_n"], timbre["energy"], timbre["curve_times"])
        st.advance()
        mood = _mood(tempo=rhythm["tempo"], mode=key["mode"], key_conf=key["confidence"],
                     lufs=loud["lufs"], brightness_hz=timbre["brightness_hz"],
                     onset_density=timbre["onset_density"], flatness=timbre["flatness"])
        spectrum, chroma_draw = _drawing(f, rhythm["beats"], key["chroma_n"])
        st.advance()
    return SongProfile(
        duration=float(duration),
        tempo_bpm=float(rhythm["tempo"]),
        beats=np.asarray(rhythm["beats"], dtype=np.float64),
        downbeats=np.asarray(rhythm["downbeats"], dtype=np.float64),
        beats_per_bar=int(rhythm["beats_per_bar"]),
        beat_strength=float(rhythm["beat_strength"]),
        meter=rhythm["meter"],
        key=key_name(key["tonic"], key["mode"]),
        tonic=int(key["tonic"]),
        mode=key["mode"],
        key_confidence=float(key["confidence"]),
        loudness_lufs=loud["lufs"],
        curve_times=timbre["curve_times"],
        loudness_curve=timbre["loudness_curve"],
        energy_curve=timbre["energy"],
        onset_density_curve=timbre["onset_density_curve"],
        brightness_curve=timbre["brightness_curve"],
        brightness_hz=timbre["brightness_hz"],
        onset_density=timbre["onset_density"],
        flatness=timbre["flatness"],
        sections=sections,
        valence=mood["valence"],
        arousal=mood["arousal"],
        intensity=mood["intensity"],
        spectrum=spectrum,
        chroma=chroma_draw.astype(np.float32),
        chroma_mean=(key["profile"] / (key["profile"].max() + 1e-9)).astype(np.float32),
    )


# ----------------------------------------------------------------------------- the steps


def _loudness(f: SongFeatures) -> dict:
    """BS.1770 integrated loudness and its 400-ms blocks (one home: audio_dsp)."""
    from cinemuse.analysis import audio_dsp as dsp

    lufs, blocks = dsp.gated_loudness(f.seg_energy)
    return {"lufs": float(lufs), "blocks": blocks}


def _rhythm(f: SongFeatures) -> dict:
    """Onset frames, and the tempo, beats, subdivision, bars and metre read from the beat
    network's activations (:func:`cinemuse.analysis.rhythm.read_activations`)."""
    from cinemuse.analysis import audio_dsp as dsp
    from cinemuse.analysis import beat_net, rhythm

    beat_act, downbeat_act = beat_net.activations(f.mel_db, f.chroma, f.bass_chroma)
    read = rhythm.read_activations(beat_act, downbeat_act, bass_chroma=f.bass_chroma,
                                   chroma_times=_chroma_times(f), onset=f.onset,
                                   mel_db=f.mel_db, chroma=f.chroma, sr=ANALYSIS_SR, hop_length=HOP)
    return read | {"onsets": dsp.onset_frames(f.onset, sr=ANALYSIS_SR, hop_length=HOP)}


def _key(f: SongFeatures) -> dict:
    """Key and mode by the shipped key model (:mod:`cinemuse.analysis.key_model`); the
    song-average chroma (bass register weighted extra) is kept as the profile drawn."""
    from cinemuse.analysis.key_model import KeyModel

    chroma_n = f.chroma / (f.chroma.max() + 1e-9) if f.chroma.size else np.zeros((12, 1))
    bass_n = (f.bass_chroma / (f.bass_chroma.max() + 1e-9) if f.bass_chroma.size
              else np.zeros((12, 1)))
    profile = chroma_n.mean(axis=1) + BASS_WEIGHT * bass_n.mean(axis=1)
    tonic, mode, conf, _ = KeyModel.load().estimate(f.chroma, f.bass_chroma)
    return {"tonic": tonic, "mode": mode, "confidence": conf, "profile": profile,
            "chroma_n": chroma_n}


def _chroma_times(f: SongFeatures) -> np.ndarray:
    return np.arange(f.chroma.shape[1]) * CHROMA_HOP / ANALYSIS_SR


def _timbre(f: SongFeatures, onsets: np.ndarray, loud: dict) -> dict:
    """Curves every CURVE_HOP_S (loudness, energy, onset rate, brightness) and song medians."""
    from cinemuse.loudness import ABSOLUTE_GATE_LUFS, block_loudness, block_mean_square

    sr, n_frames, duration = ANALYSIS_SR, f.n_frames, f.duration
    curve_times = np.arange(0.0, duration, CURVE_HOP_S)
    blocks = loud["blocks"]
    if blocks.size:
        # short-term loudness (EBU 3-s window) from the 400-ms gating blocks' energies
        block_times = 0.2 + 0.1 * np.arange(len(blocks))
        e_cum = np.concatenate([[0.0], np.cumsum(block_mean_square(blocks))])
        lo = np.searchsorted(block_times, curve_times - 1.3)
        hi = np.minimum(np.maximum(np.searchsorted(block_times, curve_times + 1.3), lo + 1),
                        len(blocks))
        lo = np.minimum(lo, hi - 1)
        st_lufs = np.maximum(block_loudness((e_cum[hi] - e_cum[lo]) / (hi - lo)), ABSOLUTE_GATE_LUFS)
    else:
        st_lufs = np.full_like(curve_times, loud["lufs"])
    curve_frames = np.clip(np.round(curve_times * sr / HOP).astype(int), 0, n_frames - 1)
    smooth = np.ones(21) / 21
    rms = f.rms
    rms_smooth = np.convolve(rms, smooth, mode="same")
    energy = rms_smooth[curve_frames] / (rms_smooth.max() + 1e-12)
    onset_flags = np.zeros(n_frames)
    onset_flags[np.clip(onsets, 0, n_frames - 1)] = 1.0
    onset_rate = _window_sum(onset_flags, int(round(2.0 * sr / HOP))) / 2.0
    audible = rms > 0.05 * rms.max()
    if not audible.any():
        audible[:] = True
    return {
        "curve_times": curve_times, "loudness_curve": st_lufs, "energy": energy,
        "onset_density_curve": onset_rate[curve_frames],
        "brightness_curve": np.convolve(f.centroid, smooth, mode="same")[curve_frames],
        "brightness_hz": float(np.median(f.centroid[audible])),
        "flatness": float(np.median(f.flatness[audible[::4][: len(f.flatness)]])),
        "onset_density": float(len(onsets) / duration),
    }


def _sections(f: SongFeatures, rhythm: dict, chroma_n: np.ndarray, energy: np.ndarray,
              curve_times: np.ndarray) -> list[SongSection]:
    """Novelty on beat-synchronous chroma + timbre (mel cepstrum), labelled by similarity."""
    from cinemuse.analysis import audio_dsp as dsp

    beats, tempo, duration = rhythm["beats"], rhythm["tempo"], f.duration
    if len(beats) >= 32:
        times_c = _chroma_times(f)
        cep_times = np.arange(f.cepstrum.shape[1]) * CHROMA_HOP / ANALYSIS_SR
        feats = np.vstack([dsp.beat_sync(chroma_n, times_c, beats)[:, 1:],
                           dsp.beat_sync(f.cepstrum, cep_times, beats)[:, 1:]])
        feats = (feats - feats.mean(axis=1, keepdims=True)) / (
            feats.std(axis=1, keepdims=True) + 1e-9)
        beat_period = 60.0 / tempo
        n_sections = int(np.clip(round(duration / 30.0), 2, 10))
        bounds = dsp.novelty_boundaries(
            feats, n_boundaries=n_sections - 1,
            kernel_half=int(np.clip(8.0 / beat_period, 8, 32)),
            min_gap=int(np.clip(10.0 / beat_period, 8, 64)),
        )
        cols = np.concatenate([[0], bounds, [feats.shape[1]]])
        labels = _section_labels(feats, cols)
        times = [0.0] + [float(beats[b]) for b in bounds] + [duration]
    else:
        times, labels = [0.0, duration], ["A"]
    sections = []
    for (a, b), label in zip(zip(times[:-1], times[1:]), labels):
        sel = (curve_times >= a) & (curve_times < b)
        sec_energy = float(energy[sel].mean()) if sel.any() else float(energy.mean())
        sections.append(SongSection(float(a), float(b), label, sec_energy))
    return sections


def _mood(*, tempo: float, mode: str, key_conf: float, lufs: float, brightness_hz: float,
          onset_density: float, flatness: float) -> dict:
    """Valence, arousal, intensity (see MOOD_BASIS and the module docstring)."""
    mode_sign = 1.0 if mode == "major" else -1.0
    # pace: beat rate and event density together; perceived speed follows both (Drake,
    # Gros & Penel 1999; London 2011), and density is immune to beat-octave errors
    tempo_term = float(0.5 * np.tanh((tempo - 100.0) / 30.0)
                       + 0.5 * np.tanh((onset_density - 3.0) / 1.5))
    bright_term = float(np.tanh((brightness_hz - 1800.0) / 900.0))
    loud_term = float(np.tanh((lufs + 18.0) / 6.0))
    density_term = float(np.tanh((onset_density - 2.5) / 1.5))
    mode_strength = float(np.clip(0.4 + key_conf, 0.0, 1.0))
    valence = 0.5 * mode_sign * mode_strength + 0.3 * tempo_term + 0.2 * bright_term
    arousal = 0.4 * loud_term + 0.35 * density_term + 0.25 * tempo_term
    flat_term = float(np.clip((np.log10(flatness + 1e-6) + 3.0) / 2.0, 0.0, 1.0))
    # intensity centres loudness on -14 LUFS, where streaming platforms normalise
    loud_14 = float(np.tanh((lufs + 14.0) / 5.0))
    intensity = float(np.clip(0.6 * (loud_14 + 1) / 2 + 0.4 * flat_term, 0.0, 1.0))
    return {"valence": float(np.clip(valence, -1, 1)), "arousal": float(np.clip(arousal, -1, 1)),
            "intensity": intensity}


def _drawing(f: SongFeatures, beats: np.ndarray, chroma_n: np.ndarray):
    """Summaries for covers: 64 log-mel bands x up to 120 slices, chroma per beat."""
    from cinemuse.analysis import audio_dsp as dsp

    n_slices = int(np.clip(f.duration / 2.0, 16, 120))
    power = f.spectrum_power  # (64, n) mean power per SLICE_FRAMES frames
    edges = np.linspace(0, power.shape[1], n_slices + 1).astype(int)
    c = np.concatenate([np.zeros((64, 1)), np.cumsum(power, axis=1, dtype=np.float64)], axis=1)
    hi = np.maximum(edges[1:], edges[:-1] + 1)
    lo = np.minimum(edges[:-1], power.shape[1] - 1)
    hi = np.minimum(hi, power.shape[1])
    mean_power = (c[:, hi] - c[:, lo]) / np.maximum(hi - lo, 1)
    ref = max(float(mean_power.max()), 1e-10)
    db = np.maximum(10.0 * np.log10(np.maximum(mean_power, 1e-10) / ref), -70.0)
    spectrum = np.clip((db.T + 70.0) / 70.0, 0, 1).astype(np.float32)  # (n_slices, 64)
    chroma_draw = chroma_n / (chroma_n.max(axis=0, keepdims=True) + 1e-9)
    if len(beats) >= 4:
        chroma_draw = dsp.beat_sync(chroma_draw, _chroma_times(f), beats)[:, 1:]
    return spectrum, chroma_draw
