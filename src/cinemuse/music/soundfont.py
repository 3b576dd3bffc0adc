"""Which General MIDI SoundFont renders the music, and a fast way to load it.

The package ships FluidR3_GM (Frank Wen, MIT licence) compressed to SF3: the same samples
as Debian's ``fluid-soundfont-gm`` (the sound the mix was tuned on), Ogg Vorbis encoded
(27 MB instead of 148 MB). TinySoundFont can load an SF3 itself, but it then decodes every
sample on every start (about 1.5 s of CPU), so the first use decodes the font once into a
plain SF2 in the user's cache folder; later starts load that in about 0.3 s.

``$CINEMUSE_SOUNDFONT`` names another font (SF2 or SF3) to use instead;
``$CINEMUSE_CACHE`` moves the cache folder.

The SF3 layout is MuseScore's (also read by FluidSynth and TinySoundFont): a sample whose
``sampleType`` has bit 0x10 set holds an Ogg Vorbis stream, its ``start``/``end`` are byte
offsets into the ``smpl`` chunk, and its loop points count decoded frames from the
sample's own start.
"""

from __future__ import annotations

import io
import os
import struct
import sys
from functools import lru_cache
from pathlib import Path

SHIPPED = "FluidR3_GM.sf3"
_SHDR = struct.Struct("<20sIIIIIBbHH")  # one sample header (46 bytes)
_VORBIS = 0x10  # MuseScore's flag for a compressed sample (0x20 is sometimes set with it)
_PAD = 46  # zero frames SoundFont 2 requires after every sample


def shipped_soundfont() -> Path:
    """The SF3 inside the package."""
    from importlib.resources import files

    return Path(str(files("cinemuse.assets") / "soundfonts" / SHIPPED))


def cache_dir() -> Path:
    """Per-user cache folder: $CINEMUSE_CACHE, else the platform's usual place."""
    explicit = os.environ.get("CINEMUSE_CACHE")
    if explicit:
        return Path(explicit)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "cinemuse"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "cinemuse" / "Cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cinemuse"


def find_soundfont() -> Path:
    """The soundfont to render with: $CINEMUSE_SOUNDFONT, else the shipped one (decoded).

    Falls back to the SF3 itself when the cache cannot be written (a read-only home):
    slower to load, same sound.
    """
    explicit = os.environ.get("CINEMUSE_SOUNDFONT")
    if explicit:
        return Path(explicit)
    shipped = shipped_soundfont()
    try:
        return decoded_soundfont(shipped)
    except OSError:
        return shipped


def decoded_soundfont(sf3: Path, *, folder: Path | None = None) -> Path:
    """The SF2 decoding of ``sf3`` in the cache, written on first use.

    Named after a digest of the source, so a changed font gets a fresh decode (and the
    old one is removed: each is 148 MB) while a reinstall of the same one does not.
    Written to a temporary name and renamed, so two processes starting at once never
    see half a file.
    """
    folder = folder or cache_dir() / "soundfonts"
    target = folder / f"{sf3.stem}-{_digest(sf3)}.sf2"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{target.name}.{os.getpid()}.part"
    try:
        with open(tmp, "wb") as out:
            out.write(sf3_to_sf2(sf3.read_bytes()))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    for stale in folder.glob(f"{sf3.stem}-*.sf2"):
        if stale != target:
            stale.unlink(missing_ok=True)
    return target


@lru_cache(maxsize=8)
def _digest_of(path: str, size: int, mtime_ns: int) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()[:16]


def _digest(path: Path) -> str:
    """A content digest of ``path`` (computed once per process and file version: ~20 ms)."""
    st = path.stat()
    return _digest_of(str(path), st.st_size, st.st_mtime_ns)


# ---------------------------------------------------------------------- RIFF plumbing
def _chunks(data: bytes, start: int, end: int):
    """(id, payload start, payload end) of each RIFF sub-chunk in ``data[start:end]``."""
    pos = start
    while pos + 8 <= end:
        cid, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        yield cid, pos + 8, pos + 8 + size
        # RIFF pads odd chunks to even length, but some writers (MuseScore's SF3s) do not:
        # skip the pad byte only where there is one
        pos += 8 + size + (size & 1 and pos + 8 + size < end and data[pos + 8 + size] == 0)


def _chunk(cid: bytes, payload: bytes) -> bytes:
    return cid + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) & 1 else b"")


def _list(kind: bytes, body: bytes) -> bytes:
    return _chunk(b"LIST", kind + body)


def sf3_to_sf2(data: bytes) -> bytes:
    """Decode an SF3 (Vorbis-compressed SoundFont) to an SF2 (16-bit PCM), as bytes.

    Everything but the sample data and the sample headers is copied unchanged; an SF2
    passed in comes back as it was.
    """
    if data[:4] != b"RIFF" or data[8:12] != b"sfbk":
        raise ValueError("not a SoundFont (no RIFF sfbk header)")
    lists = {}
    for cid, a, b in _chunks(data, 12, len(data)):
        if cid == b"LIST":
            lists[data[a : a + 4]] = (a + 4, b)
    info, sdta, pdta = (lists.get(k) for k in (b"INFO", b"sdta", b"pdta"))
    if not (info and sdta and pdta):
        raise ValueError("SoundFont lacks its INFO, sdta or pdta list")
    smpl = next((data[a:b] for cid, a, b in _chunks(data, *sdta) if cid == b"smpl"), b"")
    pdta_chunks = [(cid, data[a:b]) for cid, a, b in _chunks(data, *pdta)]
    shdr = next((p for cid, p in pdta_chunks if cid == b"shdr"), None)
    if shdr is None:
        raise ValueError("SoundFont lacks its sample headers (shdr)")
    headers = [list(_SHDR.unpack_from(shdr, i)) for i in range(0, len(shdr) - _SHDR.size + 1, _SHDR.size)]
    if not any(h[9] & _VORBIS for h in headers):
        return data
    pcm, headers = _decode_samples(smpl, headers)
    info_body = b"".join(
        _chunk(cid, struct.pack("<HH", 2, 1) if cid == b"ifil" else data[a:b])
        for cid, a, b in _chunks(data, *info)
    )
    new_shdr = b"".join(_SHDR.pack(*h) for h in headers)
    pdta_body = b"".join(_chunk(cid, new_shdr if cid == b"shdr" else p) for cid, p in pdta_chunks)
    body = _list(b"INFO", info_body) + _list(b"sdta", _chunk(b"smpl", pcm)) + _list(b"pdta", pdta_body)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"sfbk" + body


def _decode_samples(smpl: bytes, headers: list[list]) -> tuple[bytes, list[list]]:
    """16-bit PCM of every sample, laid end to end with the padding SF2 asks for, and
    headers rewritten to frame offsets into it (the terminal EOS header stays last)."""
    import numpy as np
    import soundfile

    out = io.BytesIO()
    frames = 0
    for h in headers[:-1]:
        _, start, end, loop_start, loop_end, *_rest, kind = h
        if kind & _VORBIS:
            audio, _ = soundfile.read(io.BytesIO(smpl[start:end]), dtype="float32", always_2d=True)
            pcm = np.clip(np.round(audio[:, 0] * 32768.0), -32768, 32767).astype("<i2")
            loop_start, loop_end = frames + loop_start, frames + loop_end
            kind &= ~0x30
        else:  # an uncompressed sample in an SF3 keeps its frames (offsets in 16-bit words)
            pcm = np.frombuffer(smpl[2 * start : 2 * end], dtype="<i2")
            loop_start, loop_end = frames + loop_start - start, frames + loop_end - start
        h[1:5] = [frames, frames + len(pcm), loop_start, loop_end]
        h[9] = kind
        out.write(pcm.tobytes())
        out.write(b"\0\0" * _PAD)
        frames += len(pcm) + _PAD
    headers[-1][1:5] = [0, 0, 0, 0]
    return out.getvalue(), headers
