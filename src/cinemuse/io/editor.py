"""Editor hand-off: a result as a timeline an editing program opens, and as marker lists.

An :class:`EditorTimeline` is a plain value: the picture (a file referenced, never copied), the
soundtrack and stems (files referenced), point markers (cuts, hits) and ranged markers
(sections), at one frame rate. Times are seconds; they become frames only here, at the edge.

:func:`write_timeline` writes it through OpenTimelineIO and its adapters, by the extension:

========== ========================== ==================================================
extension  format                     what the adapter keeps (OpenTimelineIO 0.18)
========== ========================== ==================================================
``.otio``  OpenTimelineIO JSON        everything: every track, every marker, colours
``.xml``   Final Cut Pro 7 XML        every track; markers as sequence markers (colours
                                      are not part of the format)
``.fcpxml`` Final Cut Pro X XML        every track; markers on the picture's clip (the
                                      adapter drops sequence markers)
``.edl``   CMX 3600                   the picture only (one video track); markers as
                                      ``* LOC:`` lines on its event; sections as points
========== ========================== ==================================================

:func:`write_markers` writes the markers alone: ``.edl`` in DaVinci Resolve's marker form
(``|C:ResolveColorRed |M:cut 1 |D:1`` under a 1-frame event, which OpenTimelineIO does not
write; Resolve reads it with *Timeline > Import > Timeline Markers from EDL*), ``.csv`` for
everything else. Frame rates are exact rationals: 23.976 is 24000/1001, 29.97 is 30000/1001.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

__all__ = [
    "MARKER_FORMATS",
    "TIMELINE_FORMATS",
    "AudioClip",
    "EditorTimeline",
    "Marker",
    "editor_rate",
    "marker_csv",
    "resolve_marker_edl",
    "timeline_text",
    "write_markers",
    "write_timeline",
]

TIMELINE_FORMATS = (".otio", ".xml", ".fcpxml", ".edl")
MARKER_FORMATS = (".edl", ".csv")
_ADAPTERS = {".otio": "otio_json", ".xml": "fcp_xml", ".fcpxml": "fcpx_xml", ".edl": "cmx_3600"}
# Editors work at these rates; a measured average (29.969 from a phone) means the nearest one.
_STANDARD_RATES = (Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30),
                   Fraction(48), Fraction(50), Fraction(60000, 1001), Fraction(60))
# OpenTimelineIO's colours, and Resolve's names for the nearest of its own marker colours
_RESOLVE_COLOURS = {"RED": "Red", "PINK": "Pink", "ORANGE": "Sand", "YELLOW": "Yellow", "GREEN": "Green",
                    "CYAN": "Cyan", "BLUE": "Blue", "PURPLE": "Purple", "MAGENTA": "Fuchsia",
                    "BLACK": "Cocoa", "WHITE": "Cream"}


@dataclass(frozen=True)
class Marker:
    """A named moment (``duration`` 0) or span, in seconds from the timeline's start."""

    name: str
    start: float
    duration: float = 0.0
    color: str = "RED"  # an OpenTimelineIO MarkerColor name
    kind: str = ""  # "cut", "hit", "section"... (the CSV's type column)


@dataclass(frozen=True)
class AudioClip:
    """An audio file on its own track, from the timeline's start."""

    name: str
    path: Path


@dataclass(frozen=True)
class EditorTimeline:
    """What an editor gets: the picture, the soundtrack, stems and markers, at ``rate`` fps."""

    name: str
    rate: Fraction
    duration: float  # seconds; every clip lasts this long
    video: Path | None
    audio: tuple[AudioClip, ...] = ()  # the soundtrack first, then stems
    markers: tuple[Marker, ...] = field(default=())

    @property
    def frames(self) -> int:
        return max(1, int(round(self.duration * self.rate)))

    def frame_of(self, seconds: float) -> int:
        """The frame that shows the moment ``seconds`` (on the timeline's own frame grid)."""
        return min(self.frames - 1, max(0, int(round(seconds * self.rate))))


def editor_rate(fps: float) -> Fraction:
    """The editing rate for a stream's measured average ``fps``: the nearest standard rate
    within 0.5 %, else ``fps`` as a ratio with a small denominator."""
    if not fps or not math.isfinite(fps) or fps <= 0:
        return Fraction(25)
    best = min(_STANDARD_RATES, key=lambda r: abs(float(r) - fps))
    if abs(float(best) - fps) <= 0.005 * fps:
        return best
    return Fraction(fps).limit_denominator(1001)


# ----------------------------------------------------------------------------- OpenTimelineIO


def _otio_timeline(tl: EditorTimeline, *, markers_on_clip: bool, picture_only: bool = False):
    import opentimelineio as otio
    from opentimelineio import opentime

    rate = float(tl.rate)

    def span(start: float, duration: float):
        length = 0 if duration <= 0 else max(1, int(round((start + duration) * tl.rate)) - tl.frame_of(start))
        return opentime.TimeRange(opentime.RationalTime(tl.frame_of(start), rate),
                                  opentime.RationalTime(length, rate))

    whole = opentime.TimeRange(opentime.RationalTime(0, rate), opentime.RationalTime(tl.frames, rate))

    def clip(name: str, path: Path):
        ref = otio.schema.ExternalReference(target_url=Path(path).absolute().as_uri(), available_range=whole)
        return otio.schema.Clip(name=name, media_reference=ref, source_range=whole)

    timeline = otio.schema.Timeline(name=tl.name, global_start_time=opentime.RationalTime(0, rate))
    picture = None
    if tl.video is not None:
        picture = clip(Path(tl.video).name, tl.video)
        track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
        track.append(picture)
        timeline.tracks.append(track)
    for i, audio in enumerate(() if picture_only else tl.audio):
        track = otio.schema.Track(name=f"A{i + 1} {audio.name}", kind=otio.schema.TrackKind.Audio)
        track.append(clip(audio.name, audio.path))
        timeline.tracks.append(track)
    holder = picture if markers_on_clip and picture is not None else timeline.tracks
    for m in tl.markers:
        holder.markers.append(otio.schema.Marker(name=m.name, marked_range=span(m.start, m.duration),
                                                 color=m.color))
    return timeline


def _fcpx_knows_rate(rate: Fraction) -> None:
    """Teach the FCP X adapter the exact NTSC rates.

    Its table of frame durations is keyed by ``int(rate)`` or by 23.98/29.97/59.94 as floats,
    so an exact 24000/1001 finds no entry and the write fails; an entry under the exact value
    is all it lacks (the times it then writes are exact rationals, e.g. ``101101/24000s``).
    """
    import opentimelineio as otio

    table = getattr(otio.adapters.from_name("fcpx_xml").module(), "FRAMERATE_FRAMEDURATION", None)
    if isinstance(table, dict) and float(rate) not in table:
        table[float(rate)] = f"{rate.denominator}/{rate.numerator}s"


def timeline_text(tl: EditorTimeline, suffix: str) -> str:
    """The timeline in the format of ``suffix`` (one of :data:`TIMELINE_FORMATS`)."""
    import opentimelineio as otio

    suffix = suffix.lower()
    if suffix not in _ADAPTERS:
        raise ValueError(f"unknown timeline format {suffix!r}; use one of {', '.join(TIMELINE_FORMATS)}")
    if suffix == ".fcpxml":
        _fcpx_knows_rate(tl.rate)
    timeline = _otio_timeline(tl, markers_on_clip=suffix in (".fcpxml", ".edl"), picture_only=suffix == ".edl")
    return otio.adapters.write_to_string(timeline, adapter_name=_ADAPTERS[suffix])


def write_timeline(tl: EditorTimeline, path: str | Path) -> Path:
    """Write ``tl`` to ``path`` (a temporary of an OutputSet) in the format its name says."""
    path = Path(path)
    path.write_text(timeline_text(tl, path.suffix), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- marker lists


def _timecode(tl: EditorTimeline, frame: int) -> str:
    from opentimelineio import opentime

    # non-drop-frame, as Resolve's own marker export writes it by default
    return opentime.to_timecode(opentime.RationalTime(frame, float(tl.rate)), float(tl.rate), drop_frame=False)


def _length_frames(tl: EditorTimeline, m: Marker) -> int:
    if m.duration <= 0:
        return 1
    return max(1, int(round((m.start + m.duration) * tl.rate)) - tl.frame_of(m.start))


def _one_line(text: str) -> str:
    # a '|' would start another field in Resolve's notation, a newline another event
    return " ".join(text.replace("|", "/").split())


def resolve_marker_edl(tl: EditorTimeline) -> str:
    """DaVinci Resolve's marker EDL: one event per marker, ``|C:colour |M:name |D:frames``."""
    lines = [f"TITLE: {_one_line(tl.name)}", "FCM: NON-DROP FRAME", ""]
    for i, m in enumerate(sorted(tl.markers, key=lambda m: (m.start, m.name)), 1):
        start, length = tl.frame_of(m.start), _length_frames(tl, m)
        tc_in, tc_out = _timecode(tl, start), _timecode(tl, start + 1)
        lines.append(f"{i:03d}  001      V     C        {tc_in} {tc_out} {tc_in} {tc_out}  ")
        colour = _RESOLVE_COLOURS.get(m.color.upper(), "Blue")
        lines.append(f" |C:ResolveColor{colour} |M:{_one_line(m.name)} |D:{length}")
        lines.append("")
    return "\n".join(lines)


def marker_csv(tl: EditorTimeline) -> str:
    """Every marker as a CSV row: name, type, timecode, frame, seconds, length, colour."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "type", "timecode", "frame", "seconds", "duration_frames", "duration_seconds", "color",
                "fps"])
    for m in sorted(tl.markers, key=lambda m: (m.start, m.name)):
        start = tl.frame_of(m.start)
        length = _length_frames(tl, m) if m.duration > 0 else 0
        w.writerow([m.name, m.kind, _timecode(tl, start), start, f"{m.start:.6f}", length, f"{m.duration:.6f}",
                    m.color.lower(), f"{float(tl.rate):.6f}"])
    return buf.getvalue()


def write_markers(tl: EditorTimeline, path: str | Path) -> Path:
    """Write ``tl``'s markers to ``path``: ``.edl`` (Resolve's marker form) or ``.csv``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MARKER_FORMATS:
        raise ValueError(f"unknown marker format {suffix!r}; use one of {', '.join(MARKER_FORMATS)}")
    path.write_text(resolve_marker_edl(tl) if suffix == ".edl" else marker_csv(tl), encoding="utf-8")
    return path
