"""The shipped SoundFont: decoded once into the cache, the same samples TinySoundFont's own
SF3 decoder gives, and (where Debian's original is installed) the same sample layout."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from cinemuse.music import soundfont

DEBIAN_FLUIDR3 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")


def _shdr(path: Path) -> list[tuple]:
    """(start, end, loop start, loop end, rate, pitch, type) of every sample header."""
    data = path.read_bytes()
    at = data.index(b"shdr")
    size = struct.unpack_from("<I", data, at + 4)[0]
    rows = [struct.unpack_from("<20sIIIIIBbHH", data, at + 8 + i) for i in range(0, size, 46)]
    return [(r[1], r[2], r[3], r[4], r[5], r[6], r[9]) for r in rows]


def _synth(path: Path):
    tinysoundfont = pytest.importorskip("tinysoundfont")
    synth = tinysoundfont.Synth(samplerate=22050)
    return synth, synth.sfload(str(path))


def _render(synth_sfid, program: int, pitch: int) -> np.ndarray:
    """One second of a note, from silence (the synth is shared by the parameter cases)."""
    synth, sfid = synth_sfid
    out = np.zeros((22050, 2), np.float32)
    synth.sounds_off()
    synth.generate_simple(22050, buffer=memoryview(out).cast("B"))  # the fast release ends
    synth.program_select(0, sfid, 0, program, False)
    synth.noteon(0, pitch, 100)
    synth.generate_simple(22050, buffer=memoryview(out).cast("B"))
    synth.noteoff(0, pitch)
    return out[:, 0].copy()


@pytest.fixture(scope="module")
def decoded() -> Path:
    # the user's cache: decoded once per machine (a few seconds), as a user's first run does
    return soundfont.decoded_soundfont(soundfont.shipped_soundfont())


@pytest.fixture(scope="module")
def synths(decoded):
    return _synth(decoded), _synth(soundfont.shipped_soundfont())


def test_default_is_the_shipped_font_decoded_into_the_cache(decoded, monkeypatch):
    monkeypatch.delenv("CINEMUSE_SOUNDFONT", raising=False)
    assert soundfont.shipped_soundfont().is_file()
    assert soundfont.shipped_soundfont().stat().st_size < 40e6  # the wheel stays small
    path = soundfont.find_soundfont()
    assert path.suffix == ".sf2" and path.parent == soundfont.cache_dir() / "soundfonts"
    assert path.read_bytes()[8:12] == b"sfbk"
    assert soundfont.find_soundfont() == path  # the second call finds it


@pytest.mark.parametrize("program, pitch", [(0, 60), (0, 84), (48, 67), (33, 40)])
def test_decoded_samples_match_tinysoundfonts_own_sf3_decoder(synths, program, pitch):
    """Two independent Vorbis decoders (libsndfile here, stb_vorbis in TinySoundFont) and
    the loop points rewritten here: a wrong offset or loop would not sound the same."""
    ours, theirs = (_render(s, program, pitch) for s in synths)
    assert np.abs(theirs).max() > 1e-3
    residual = 10 * np.log10(np.sum((ours - theirs) ** 2) / np.sum(theirs**2))
    assert residual < -40, f"decoded font differs: {residual:.1f} dB"


@pytest.mark.skipif(not DEBIAN_FLUIDR3.is_file(), reason="Debian's fluid-soundfont-gm not installed")
def test_decoded_layout_is_debians_fluidr3(decoded):
    """Same samples at the same offsets, loops, rates and pitches as the original SF2."""
    assert decoded.stat().st_size == DEBIAN_FLUIDR3.stat().st_size
    assert _shdr(decoded) == _shdr(DEBIAN_FLUIDR3)


def test_an_sf2_passes_through_unchanged():
    import pretty_midi

    sf2 = (Path(pretty_midi.__file__).parent / "TimGM6mb.sf2").read_bytes()
    assert soundfont.sf3_to_sf2(sf2) is sf2


def test_an_odd_chunk_without_its_pad_byte_is_read():
    """MuseScore writes odd-sized RIFF lists unpadded (MuseScore_General_Lite.sf3 does)."""
    def chunk(cid: bytes, body: bytes, pad: bool) -> bytes:
        return cid + struct.pack("<I", len(body)) + body + (b"\0" if pad and len(body) & 1 else b"")

    eos = struct.pack("<20sIIIIIBbHH", b"EOS", 0, 0, 0, 0, 0, 0, 0, 0, 0)
    for pad in (True, False):
        info = chunk(b"LIST", b"INFO" + chunk(b"INAM", b"odd", pad), pad)  # 15 bytes: odd
        sdta = chunk(b"LIST", b"sdta" + chunk(b"smpl", b"\0" * 8, pad), pad)
        pdta = chunk(b"LIST", b"pdta" + chunk(b"shdr", eos, pad), pad)
        body = b"sfbk" + info + sdta + pdta
        sf2 = b"RIFF" + struct.pack("<I", len(body)) + body
        assert soundfont.sf3_to_sf2(sf2) is sf2  # found all three lists; nothing to decode


def test_not_a_soundfont_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a SoundFont"):
        soundfont.sf3_to_sf2(b"RIFF\0\0\0\0WAVEfmt ")


def test_unwritable_cache_falls_back_to_the_sf3(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.delenv("CINEMUSE_SOUNDFONT", raising=False)
    monkeypatch.setenv("CINEMUSE_CACHE", str(blocker))
    assert soundfont.find_soundfont() == soundfont.shipped_soundfont()


def test_cache_is_keyed_by_content_and_replaces_a_stale_decode(tmp_path):
    import pretty_midi

    src = tmp_path / "Font.sf2"  # an SF2 "decodes" to itself: a quick stand-in for an SF3
    src.write_bytes((Path(pretty_midi.__file__).parent / "TimGM6mb.sf2").read_bytes())
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "Font-0000000000000000.sf2").write_bytes(b"an older version")
    (folder / "Other-0000000000000000.sf2").write_bytes(b"another font's")
    first = soundfont.decoded_soundfont(src, folder=folder)
    assert first.read_bytes() == src.read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == sorted([first.name, "Other-0000000000000000.sf2"])
    src.touch()  # same content, new time (a reinstall): the same decode serves
    assert soundfont.decoded_soundfont(src, folder=folder) == first
