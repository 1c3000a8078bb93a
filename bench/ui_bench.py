"""UI figures: timeline repaint time with many items, and main-window start-up time without torch.

    .venv/bin/python bench/ui_bench.py

Prints the median repaint time of a 1600 px timeline over a 3-hour video holding 10 000 markers and
5 000 scan regions (whole video in view, and zoomed to 10 minutes), and the time a fresh interpreter
takes to show the main window (scan tools attached), with whether torch / transformers got imported.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DURATION = 3 * 3600.0
MARKERS = 10_000
REGIONS = 5_000
REPAINTS = 60

STARTUP_CODE = """
import sys, time
started = time.perf_counter()
from PySide6.QtWidgets import QApplication
app = QApplication([])
from core.home import DataHome
from ui.main_window import MainWindow
from ui.scan_workbench import ScanWorkbench
from ui.startup import open_database, ui_settings
from ui.style import apply_style
apply_style(app)
home = DataHome.resolve()
window = MainWindow(home, open_database(home), ui_settings(home))
ScanWorkbench(window)
window.show()
app.processEvents()
shown = time.perf_counter() - started
print(f"{shown * 1000:.0f} {int('torch' in sys.modules)} {int('transformers' in sys.modules)}")
"""


def build_timeline():
    """A 1600 px timeline over a 3-hour video with MARKERS markers and REGIONS regions (1 in 10 trimmed)."""
    from PySide6.QtWidgets import QApplication

    from ui.timeline import Timeline, TimelineMarker, TimelineRegion

    QApplication.instance() or QApplication([])
    rng = random.Random(0)
    timeline = Timeline()
    timeline.resize(1600, 110)
    timeline.set_duration(DURATION)
    timeline.set_markers([TimelineMarker(rng.uniform(0, DURATION), "/export/mp4_Door", 3) for _ in range(MARKERS)])
    regions = []
    for i in range(REGIONS):
        start = rng.uniform(0, DURATION - 30)
        end = start + rng.uniform(1, 20)
        trimmed = i % 10 == 0
        regions.append(
            TimelineRegion(
                i, start, end, rng.random(), disabled=i % 7 == 0, original_start=start - 2 if trimmed else None
            )
        )
    timeline.set_scan_regions(regions)
    timeline.set_export_highlight([3600.0, 3601.0, 3602.0], 8.0)
    timeline.set_cursor(3600.0)
    return timeline


def timeline_repaint_ms() -> dict[str, tuple[float, float]]:
    """{view: (median ms, fastest ms)} over REPAINTS repaints; the fastest shows the cost on an idle machine."""
    from PySide6.QtGui import QImage

    timeline = build_timeline()
    # render() runs paintEvent synchronously into an image: the same work as an on-screen repaint,
    # without depending on the platform's expose events.
    target = QImage(timeline.size(), QImage.Format.Format_ARGB32_Premultiplied)

    def repaint_times() -> tuple[float, float]:
        samples = []
        for _ in range(REPAINTS):
            started = time.perf_counter()
            timeline.render(target)
            samples.append((time.perf_counter() - started) * 1000)
        return statistics.median(samples), min(samples)

    figures = {"whole 3 h in view": repaint_times()}
    timeline._set_view(3000.0, 600.0)
    figures["zoomed to 10 min"] = repaint_times()
    return figures


def startup() -> tuple[float, float, bool, bool]:
    """(ms to window shown inside the process, ms wall for the whole process, torch?, transformers?)."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "FOLEYCUT_HOME": home, "QT_QPA_PLATFORM": "offscreen"}
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", STARTUP_CODE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        wall = (time.perf_counter() - started) * 1000
    shown, torch, transformers = out.stdout.split()[-3:]
    return float(shown), wall, torch == "1", transformers == "1"


def main() -> None:
    print(
        f"timeline: {MARKERS} markers + {REGIONS} regions over {DURATION / 3600:.0f} h, 1600 px wide, "
        f"median of {REPAINTS} repaints"
    )
    for view, (median, fastest) in timeline_repaint_ms().items():
        print(f"  {view:<20} median {median:6.2f} ms, fastest {fastest:6.2f} ms")
    runs = [startup() for _ in range(3)]
    shown = statistics.median(r[0] for r in runs)
    wall = statistics.median(r[1] for r in runs)
    print(
        f"start-up (median of 3 fresh interpreters): window shown after {shown:.0f} ms of imports and "
        f"construction, {wall:.0f} ms for the whole process"
    )
    print(f"  torch imported: {any(r[2] for r in runs)}, transformers imported: {any(r[3] for r in runs)}")


if __name__ == "__main__":
    main()
