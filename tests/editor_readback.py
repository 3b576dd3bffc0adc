"""Reading editor timelines back with OpenTimelineIO, for the hand-off tests.

Markers come back as ``(name, frame, length_frames)`` on the timeline's own frame grid, from
wherever the format keeps them (the sequence for .otio/.xml, the picture's clip for
.fcpxml/.edl). Two adapter limits of OpenTimelineIO 0.18 are worked around here, both on the
reading side only (the files written are exact):

- the FCP X reader turns the format's rate into an integer (24000/1001 -> 23) and truncates
  every time to it, so at NTSC rates the markers' rational times are read from the XML
  itself (``start="101101/24000s"``);
- the CMX 3600 reader's locator pattern takes only ``:`` timecodes, so at 29.97 (drop-frame,
  ``;``) the ``* LOC:`` lines are read with OpenTimelineIO's own timecode parser.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
from opentimelineio import opentime


def read_timeline(path: Path, rate: Fraction):
    kwargs = {"rate": float(rate)} if path.suffix == ".edl" else {}
    return otio.adapters.read_from_file(str(path), **kwargs)


def _frames(rt, rate: Fraction) -> int:
    return int(round(rt.to_seconds() * rate))


def markers(path: Path, rate: Fraction) -> list[tuple[str, int, int]]:
    path = Path(path)
    if path.suffix == ".fcpxml" and rate.denominator != 1:
        out = []
        for m in ET.parse(path).getroot().iter("marker"):
            start = Fraction(m.get("start", "0s").rstrip("s"))
            length = Fraction(m.get("duration", "0s").rstrip("s"))
            out.append((m.get("value"), int(start * rate), int(length * rate)))
        return out
    if path.suffix == ".edl" and ";" in path.read_text():
        out = []
        for line in path.read_text().splitlines():
            m = re.match(r"\* LOC: (\d\d:\d\d:\d\d[:;]\d\d)\s+(\w+)\s+(.*)$", line)
            if m:
                out.append((m.group(3), opentime.from_timecode(m.group(1), float(rate)).to_frames(), 0))
        return out
    tl = read_timeline(path, rate)
    holders = [tl.tracks] + list(tl.tracks) + list(tl.find_clips())
    return [(m.name, _frames(m.marked_range.start_time, rate), _frames(m.marked_range.duration, rate))
            for h in holders for m in h.markers]


def _fcpx_clips(path: Path, rate: Fraction):
    root = ET.parse(path).getroot()
    src = {a.get("id"): a.get("src") for a in root.iter("asset")}
    secs = lambda v: Fraction((v or "0s").rstrip("s"))  # noqa: E731
    out = []
    for c in root.iter("clip"):
        media = c.find("video")
        kind = "Video"
        if media is None:
            media, kind = c.find("gap/audio"), "Audio"
        out.append((kind, c.get("name"), int(secs(c.get("offset")) * rate), int(secs(c.get("duration")) * rate),
                    src.get(media.get("ref"), "")))
    return out


def clips(path: Path, rate: Fraction) -> list[tuple[str, str, int, int, str]]:
    """(track kind, track name, start frame, length frames, media URL) of every clip."""
    path = Path(path)
    if path.suffix == ".fcpxml" and rate.denominator != 1:
        return _fcpx_clips(path, rate)
    tl = read_timeline(path, rate)
    out = []
    for track in tl.tracks:
        for c in track.find_clips():
            r = c.range_in_parent()
            out.append((track.kind, track.name, _frames(r.start_time, rate), _frames(r.duration, rate),
                        getattr(c.media_reference, "target_url", "")))
    return out
