"""Slideshow figures (partial): stylising a 1920x1080 photo, per style (JSON lines).

    .venv/bin/python benchmarks/bench_slideshow.py [--save DIR]

Held-out photo: Kodak24 kodim23 (never used in training), upscaled to 1920x1080 fill.
The remaining acceptance figures of issue 13 (sync, faces, length, memory, style distances
against a Gatys reference) are not measured by this script yet.
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from cinemuse.vision.stylize import Stylizer

ap = argparse.ArgumentParser()
ap.add_argument("--save", type=Path)
args = ap.parse_args()
photo = np.asarray(Image.open(Path(__file__).resolve().parents[2] / "shared/data/images/kodak24/kodim23.png").convert("RGB"))
photo = cv2.resize(photo, (1920, 1280), interpolation=cv2.INTER_CUBIC)[100:1180]
st = Stylizer.load()
st.stylize(photo, st.styles[0].name)  # warm-up
for s in st.styles:
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        out = st.stylize(photo, s.name)
        times.append(time.perf_counter() - t0)
    print(json.dumps({"figure": "stylize_1920x1080_s", "style": s.name, "median": round(statistics.median(times), 3)}))
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        Image.fromarray(cv2.resize(out, (640, 360), interpolation=cv2.INTER_AREA)).save(args.save / f"{s.name}.png")
