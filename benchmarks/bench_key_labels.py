"""How far can an audio key model agree with the accuracy benchmark's key labels? A reading of the notes.

``bench_analyze.py`` scores ``analyze``'s key against each excerpt's label.  POP909's labels
are not a person's: its README says ``key_audio.txt`` holds "the extracted key change
information from the raw audio", a key-finding algorithm's reading of the original
recordings, which cinemuse never hears (it hears renders of the MIDI arrangements).  The folk
tunes' labels come from their key signature and last note, the styles' from the brief.

This benchmark reads the key from the excerpts' notes themselves, every note known exactly
(duration-weighted pitch classes of the MIDI excerpt, drums left out, by correlation with
rotated key profiles: Krumhansl & Kessler 1982 and Albrecht & Shanahan 2013, as
``cinemuse.analysis.audio.estimate_key``), and scores it against the same labels with the same
metrics (mir_eval key: exact, and MIREX-weighted), per set.  Where even the notes disagree
with a label, an audio model scored against it is not simply wrong.

    .venv/bin/python benchmarks/bench_key_labels.py [--sets pop909 folk styles legacy]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import numpy as np
from bench_analyze import plan_pieces
from datadir import add_data_dir_argument, data_dir

KEYED_SETS = ("pop909", "folk", "styles", "legacy")
KINDS = {1.0: "exact", 0.5: "fifth", 0.3: "relative", 0.2: "parallel", 0.0: "other"}


def main(argv=None) -> int:
    import mir_eval

    from cinemuse.analysis.audio import AS_MAJOR, AS_MINOR, KK_MAJOR, KK_MINOR, estimate_key, key_name

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=KEYED_SETS, default=list(KEYED_SETS))
    parser.add_argument("--seconds", type=float, default=25.0, help="excerpt length, as bench_analyze.py's")
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "cinemuse-bench" / "analyze",
                        help="bench_analyze.py's cache (the folk set's held-out tunes are listed there)")
    add_data_dir_argument(parser)
    args = parser.parse_args(argv)
    args.quick, args.cache_dir = False, args.cache_dir.expanduser()
    profiles = {"krumhansl_kessler": (KK_MAJOR, KK_MINOR), "albrecht_shanahan": (AS_MAJOR, AS_MINOR)}
    scores: dict[tuple[str, str], list[float]] = collections.defaultdict(list)
    for piece in plan_pieces(args, data_dir(args.data_dir)):
        if piece["key"] is None:
            continue
        hist = piece["pm"].get_pitch_class_histogram(use_duration=True)  # seconds per class, drums out
        name = piece["piece"].split("/")[0]  # as bench_analyze.py names the sets
        for profile, (major, minor) in profiles.items():
            tonic, mode, _, _ = estimate_key(hist, major_profile=major, minor_profile=minor)
            scores[(name, profile)].append(float(mir_eval.key.weighted_score(piece["key"], key_name(tonic, mode))))
    for (name, profile), vals in sorted(scores.items()):
        kinds = collections.Counter(KINDS[v] for v in vals)
        print(json.dumps({"set": name, "reader": profile, "excerpts": len(vals),
                          "key_exact": round(float(np.mean([v == 1.0 for v in vals])), 4),
                          "key_mirex": round(float(np.mean(vals)), 4),
                          "kinds": {k: kinds[k] for k in KINDS.values() if kinds[k]}}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
