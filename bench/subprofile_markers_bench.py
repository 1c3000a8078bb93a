"""Timeline repaint with markers in one colour vs. three subprofile colours, interleaved A/B.

    .venv/bin/python bench/subprofile_markers_bench.py

The same 1600 px timeline as ui_bench.py (3-hour video, 10 000 markers, 5 000 regions), its markers spread
over three export folders; each round renders once without subprofile colours (A) and once with one colour
per folder (B). Prints min / median / max ms of each.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

ROUNDS = 120
FOLDERS = ("/export/mp4_Door", "/export/mp4_Door_close", "/export/mp4_Door_far")


def main() -> None:
    from PySide6.QtGui import QImage
    from ui_bench import DURATION, MARKERS, build_timeline

    from ui.subprofiles import subprofile_colour
    from ui.timeline import TimelineMarker

    timeline = build_timeline()
    rng = random.Random(1)
    timeline.set_markers([TimelineMarker(rng.uniform(0, DURATION), rng.choice(FOLDERS), 3) for _ in range(MARKERS)])
    image = QImage(timeline.size(), QImage.Format.Format_ARGB32_Premultiplied)
    coloured = {folder: subprofile_colour(i) for i, folder in enumerate(FOLDERS)}
    runs: dict[str, list[float]] = {"A one colour": [], "B three subprofile colours": []}
    for _ in range(ROUNDS):
        for name, colours in zip(runs, ({}, coloured)):
            timeline.set_marker_colours(colours)
            started = time.perf_counter()
            timeline.render(image)
            runs[name].append((time.perf_counter() - started) * 1000)
    for name, times in runs.items():
        print(f"{name}: min {min(times):.2f}  median {statistics.median(times):.2f}  max {max(times):.2f} ms")


if __name__ == "__main__":
    main()
