"""Rendering annotated pieces as a user's files: SoundFonts, mixes and the degradations real files have.

Each piece is synthesised with one General MIDI SoundFont (TinySoundFont, through
``cinemuse.music.render``), mixed and mastered by cinemuse's mixer (the piece's mix style;
-14 LUFS), then passed through one degradation and written to the cache as a file a user
might have: FLAC, or MP3 / AAC at 128 kb/s for the lossy ones (so the decoder is in the loop).

SoundFonts (``FONTS``): ``fluidr3`` is the shipped FluidR3_GM; ``musescore`` is Debian's
``musescore-general-soundfont-small`` (MuseScore_General_Lite.sf3, MIT; ``apt-get install
musescore-general-soundfont-small``), a different sample set; ``timgm6mb`` is the small font
inside pretty_midi, the fallback when the MuseScore font is not installed.

Degradations (``DEGRADATIONS``): ``clean``; ``reverb`` (a large room, pedalboard);
``compress`` (heavy bus compression and limiting, +6 dB); ``mp3`` and ``aac`` (128 kb/s);
``noise`` (pink noise at 15 dB SNR); ``quiet_intro`` (6 s of room tone, then the music fading
in from -30 dB over 4 s; the ground truth moves by 6 s).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SR = 44100
DEGRADATIONS = ("clean", "reverb", "compress", "mp3", "aac", "noise", "quiet_intro")
INTRO_SECONDS = 6.0
_MUSESCORE = (Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3"),
              Path("/usr/share/sounds/sf3/MuseScore_General.sf3"))


def font_path(name: str) -> Path | None:
    """The SoundFont file for a font name, or None when it is not installed here."""
    from cinemuse.music.soundfont import decoded_soundfont, find_soundfont

    if name == "fluidr3":
        return find_soundfont()
    if name == "musescore":
        for sf3 in _MUSESCORE:
            if sf3.is_file():
                return decoded_soundfont(sf3)  # decoded once: SF3 loads are slow
        return None
    if name == "timgm6mb":
        import pretty_midi

        path = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
        return path if path.is_file() else None
    raise ValueError(f"unknown soundfont {name!r}")


def default_fonts() -> list[str]:
    """Two different full GM fonts: FluidR3 and MuseScore's, else TimGM6mb."""
    return ["fluidr3", "musescore" if font_path("musescore") else "timgm6mb"]


def render(pm, *, font: Path, mix: str | None, seconds: float) -> np.ndarray:
    """The piece synthesised with ``font`` and mixed by cinemuse (stereo float32, SR)."""
    from cinemuse.music.mix import mix_and_master
    from cinemuse.music.render import render_stems

    n = int(round((seconds + 0.5) * SR))
    stems = render_stems(pm, sample_rate=SR, n_samples=n, soundfont=font)
    audio, _ = mix_and_master(stems, sample_rate=SR, style=mix)
    return audio


def _pink_noise(n: int, rng) -> np.ndarray:
    """Pink (1/f) noise, (n, 2), unit RMS, shaped in the frequency domain."""
    white = rng.standard_normal((2, n))
    spec = np.fft.rfft(white, axis=1)
    f = np.fft.rfftfreq(n, 1.0 / SR)
    spec *= 1.0 / np.sqrt(np.maximum(f, 20.0))
    pink = np.fft.irfft(spec, n, axis=1).T
    return (pink / np.sqrt(np.mean(pink ** 2))).astype(np.float32)


def degrade(audio: np.ndarray, kind: str, *, seed: int) -> tuple[np.ndarray, float, str]:
    """(audio, ground-truth shift in seconds, file extension) for one degradation."""
    import pedalboard as pb

    rng = np.random.default_rng(seed)
    audio = np.asarray(audio, np.float32)
    if kind in ("clean", "mp3", "aac"):
        return audio, 0.0, {"mp3": ".mp3", "aac": ".m4a"}.get(kind, ".flac")
    if kind == "reverb":
        board = pb.Pedalboard([pb.Reverb(room_size=0.85, damping=0.3, wet_level=0.35, dry_level=0.75)])
        return board(audio.T, SR).T.astype(np.float32), 0.0, ".flac"
    if kind == "compress":
        board = pb.Pedalboard([pb.Compressor(threshold_db=-28, ratio=8, attack_ms=2, release_ms=80),
                               pb.Gain(gain_db=12), pb.Limiter(threshold_db=-0.5, release_ms=50)])
        return board(audio.T, SR).T.astype(np.float32), 0.0, ".flac"
    if kind == "noise":
        rms = float(np.sqrt(np.mean(audio ** 2))) or 1e-3
        noisy = audio + _pink_noise(len(audio), rng) * rms * 10 ** (-15 / 20)
        return (noisy / max(1.0, float(np.abs(noisy).max()) / 0.99)).astype(np.float32), 0.0, ".flac"
    if kind == "quiet_intro":
        pad = int(INTRO_SECONDS * SR)
        fade = np.ones(len(audio), np.float32)
        ramp = int(4.0 * SR)
        fade[:ramp] = 10 ** (np.linspace(-30, 0, ramp) / 20)
        room = _pink_noise(pad + len(audio), rng) * 10 ** (-60 / 20)
        out = room.copy()
        out[pad:] += audio * fade[:, None]
        return out.astype(np.float32), INTRO_SECONDS, ".flac"
    raise ValueError(f"unknown degradation {kind!r}")


def write(path: Path, audio: np.ndarray) -> Path:
    """Write the excerpt (128 kb/s for the lossy formats), replacing a stale one."""
    from cinemuse.io.audio import write_audio

    return write_audio(path, audio, SR, force=True, bitrate=128000)
