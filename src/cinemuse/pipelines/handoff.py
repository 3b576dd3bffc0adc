"""Editor hand-off for ``score`` and ``slideshow``: their result as an :class:`EditorTimeline`.

``--timeline FILE`` (``.otio``, ``.xml``, ``.fcpxml``, ``.edl``) and ``--markers FILE``
(``.edl`` for DaVinci Resolve, ``.csv``) are checked with the job's other outputs before any
work and staged into the same :class:`~cinemuse.io.atomic.OutputSet`, so they appear together
with the video they describe, or not at all. The files they reference are the final ones (the
user's video, the scored film, the soundtrack and stems), named by absolute path.

What is marked, and how (the names an editor shows):

- ``cut N`` (red) at every cut of the picture (``score``) or photo change (``slideshow``);
- ``hit: KIND`` (blue) at every moment the music marks: ``hit: cut``, ``hit: transition``,
  ``hit: flash``, ``hit: impact`` for a video; ``hit: downbeat`` / ``hit: beat`` for a
  slideshow's changes;
- ``section N: MOOD`` (yellow), a ranged marker over each section of the music.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from cinemuse.cuesheet import MOODS, CueSheet, Mood

__all__ = ["HandoffPaths", "check_handoff", "mood_name", "score_timeline", "slideshow_timeline",
           "write_handoff", "write_slideshow_handoff"]


@dataclass(frozen=True)
class HandoffPaths:
    """The hand-off files a job was asked for: timelines (one per format wanted) and marker lists."""

    timelines: tuple[Path, ...] = ()
    markers: tuple[Path, ...] = ()

    @classmethod
    def of(cls, timeline=None, markers=None) -> "HandoffPaths":
        """From an option's value: None, one path, or several (``--timeline`` may be repeated)."""
        def paths(value) -> tuple[Path, ...]:
            if value is None:
                return ()
            if isinstance(value, (str, Path)):
                return (Path(value),)
            return tuple(Path(v) for v in value)

        return cls(paths(timeline), paths(markers))

    def __bool__(self) -> bool:
        return bool(self.timelines or self.markers)


def check_handoff(outputs, paths: HandoffPaths) -> None:
    """Add the hand-off files to the job's OutputSet (checked now, before any work)."""
    from cinemuse.io.editor import MARKER_FORMATS, TIMELINE_FORMATS

    for p in paths.timelines:
        outputs.add(p, what="--timeline", formats=TIMELINE_FORMATS)
    for p in paths.markers:
        outputs.add(p, what="--markers", formats=MARKER_FORMATS)


def write_handoff(outputs, paths: HandoffPaths, timeline) -> dict[str, str]:
    """Stage the hand-off files into ``outputs``; returns {"timeline": paths, "markers": paths}
    (comma-separated when there are several)."""
    from cinemuse.io.editor import write_markers, write_timeline

    for p in paths.timelines:
        write_timeline(timeline, outputs.stage(p))
    for p in paths.markers:
        write_markers(timeline, outputs.stage(p))
    written = {"timeline": ", ".join(map(str, paths.timelines)), "markers": ", ".join(map(str, paths.markers))}
    return {k: v for k, v in written.items() if v}


def mood_name(mood: Mood) -> str:
    """The named mood nearest to ``mood`` (valence/arousal plane)."""
    return min(MOODS, key=lambda n: (MOODS[n][0] - mood.valence) ** 2 + (MOODS[n][1] - mood.arousal) ** 2)


def _section_markers(cue: CueSheet):
    from cinemuse.io.editor import Marker

    return [Marker(f"section {i}: {s.label + ', ' if s.label else ''}{mood_name(s.mood)}", s.start,
                   s.end - s.start, color="YELLOW", kind="section")
            for i, s in enumerate(cue.sections, 1)]


def _audio(soundtrack: Path, stems: Iterable[Path]):
    from cinemuse.io.editor import AudioClip

    return (AudioClip("soundtrack", Path(soundtrack)),) + tuple(AudioClip(Path(p).stem, Path(p)) for p in stems)


def score_timeline(*, name: str, video: Path, fps: float, duration: float, cuts: Sequence[float],
                   cue: CueSheet, soundtrack: Path, stems: Iterable[Path] = ()):
    """The editor timeline of a scored video.

    Parameters
    ----------
    video : Path
        The original video (picture track).
    fps, duration : float
        Its average frame rate and length in seconds.
    cuts : sequence of float
        Cut times, seconds.
    soundtrack : Path
        The file that holds the new soundtrack (``--audio-out``, else the scored video).
    stems : paths
        One stem file per track.
    """
    from cinemuse.io.editor import EditorTimeline, Marker, editor_rate

    markers = [Marker(f"cut {i}", t, color="RED", kind="cut") for i, t in enumerate(cuts, 1)]
    markers += [Marker(f"hit: {h.kind}", h.time, color="BLUE", kind="hit") for h in cue.hits]
    return EditorTimeline(name=name, rate=editor_rate(fps), duration=duration, video=Path(video),
                          audio=_audio(soundtrack, stems), markers=tuple(markers + _section_markers(cue)))


def slideshow_timeline(*, name: str, film: Path, fps: float, duration: float, changes: Sequence[tuple[float, bool]],
                       cue: CueSheet, soundtrack: Path, stems: Iterable[Path] = ()):
    """The editor timeline of a slideshow: the rendered film, its soundtrack, a marker per photo
    change (``changes``: (time, on a downbeat)) and per section."""
    from cinemuse.io.editor import EditorTimeline, Marker, editor_rate

    markers = [Marker(f"cut {i}", t, color="RED", kind="cut") for i, (t, _) in enumerate(changes, 1)]
    markers += [Marker("hit: downbeat" if down else "hit: beat", t, color="BLUE", kind="hit")
                for t, down in changes]
    return EditorTimeline(name=name, rate=editor_rate(fps), duration=duration, video=Path(film),
                          audio=_audio(soundtrack, stems), markers=tuple(markers + _section_markers(cue)))


def write_slideshow_handoff(outputs, opts, out: Path, timeline, cue: CueSheet, fps: float, mastered) -> dict[str, str]:
    """Stage a slideshow's ``--timeline`` / ``--markers`` (``opts``: its SlideshowOptions):
    the film ``out``, its soundtrack (``--audio`` if given, else the film's own sound) and the
    ``--stems`` files of ``mastered`` (the rendered music, None for a song)."""
    paths = HandoffPaths.of(opts.timeline, opts.markers)
    if not paths:
        return {}
    from cinemuse.io.stems import stem_file_names
    from cinemuse.pipelines.timeline import frames_for

    stems = []
    if opts.stems_dir is not None and mastered is not None:
        stems = [Path(opts.stems_dir) / n for n in stem_file_names(mastered.stem_names).values()]
    tl = slideshow_timeline(
        name=Path(out).stem, film=Path(out), fps=fps, duration=frames_for(timeline.duration, fps) / fps,
        # on the first frame that shows the new photo, as the cue sheet and the hits count it
        changes=[(math.ceil(c.time * fps - 1e-6) / fps, bool(c.downbeat)) for c in timeline.changes], cue=cue,
        soundtrack=opts.audio_out or out, stems=stems)
    return write_handoff(outputs, paths, tl)
