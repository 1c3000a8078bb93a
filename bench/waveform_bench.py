"""Waveform strip figures: timeline repaint with and without it, and computing the peaks of a long file.

    .venv/bin/python bench/waveform_bench.py

Repaints: the ui_bench timeline (1600 px, 3-hour video, 10 000 markers, 5 000 scan regions, crop keyframes)
with no waveform (A) and with the 3 hours' peaks (B, 1.08 million min/max pairs), interleaved A/B/A/B so
machine load hits both alike. Two cases: the cursor moves between repaints (playback, scrubbing: the
per-column fold is reused) and the view moves between repaints (zoom / pan: the fold is redone every time).
Then the peaks of a generated 30-minute audio file are computed through the streaming decoder, with the
time taken and the peak Python memory (tracemalloc) on the way.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.ui_bench import DURATION, build_timeline  # noqa: E402

ROUNDS = 40
LONG_FILE_MINUTES = 30


def synthetic_peaks(seconds: float) -> np.ndarray:
    from core.waveform import BUCKETS_PER_SECOND

    rng = np.random.default_rng(0)
    n = int(seconds * BUCKETS_PER_SECOND)
    level = 0.05 + 0.6 * (rng.random(n) < 0.01)  # quiet floor with one loud bucket in a hundred
    return np.stack([-level * rng.random(n), level * rng.random(n)], axis=1).astype(np.float16)


def repaint_figures() -> dict[str, dict[str, list[float]]]:
    from PySide6.QtGui import QImage

    plain, with_wave = build_timeline(), build_timeline()
    for timeline in (plain, with_wave):
        timeline.resize(1600, 150)
        timeline.set_crop_keyframes([(t, 0.5 + 0.3 * np.sin(t / 300)) for t in np.arange(0, DURATION, 120.0)])
    with_wave.set_waveform(synthetic_peaks(DURATION))
    target = QImage(plain.size(), QImage.Format.Format_ARGB32_Premultiplied)
    figures: dict[str, dict[str, list[float]]] = {}
    for case in ("cursor moves, whole 3 h", "cursor moves, 10 min zoom", "view moves every repaint"):
        samples = {"A no waveform": [], "B waveform": []}
        for i in range(ROUNDS):
            for name, timeline in (("A no waveform", plain), ("B waveform", with_wave)):
                if case.startswith("cursor moves, whole"):
                    timeline.zoom_to_fit()
                    timeline.set_cursor(3600.0 + i)
                elif case.startswith("cursor moves, 10"):
                    timeline._set_view(3000.0, 600.0)
                    timeline.set_cursor(3100.0 + i)
                else:
                    timeline._set_view(100.0 * i, DURATION / (1 + i % 7))
                started = time.perf_counter()
                timeline.render(target)
                samples[name].append((time.perf_counter() - started) * 1000)
        figures[case] = samples
    return figures


def long_file_peaks() -> tuple[float, float, int]:
    """(seconds to compute, peak traced MiB, buckets) for a LONG_FILE_MINUTES generated audio file."""
    from core.ffmpeg import ffmpeg_exe
    from core.waveform import compute_peaks

    seconds = LONG_FILE_MINUTES * 60
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.m4a"
        subprocess.run(
            [
                ffmpeg_exe(),
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                f"anoisesrc=d={seconds}:c=pink:r=48000:a=0.2",
                "-c:a",
                "aac",
                "-b:a",
                "96k",
                str(path),
            ],
            check=True,
        )
        tracemalloc.start()
        started = time.perf_counter()
        peaks = compute_peaks(path, seconds)
        took = time.perf_counter() - started
        peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return took, peak_mib, len(peaks)


def main() -> None:
    print(f"timeline repaint, 1600 px, 3 h video, {ROUNDS} interleaved rounds (ms: min / median / max)")
    for case, samples in repaint_figures().items():
        for name, values in samples.items():
            print(f"  {case:<28} {name:<14} {min(values):6.2f} / {statistics.median(values):6.2f} / {max(values):6.2f}")
    took, peak_mib, buckets = long_file_peaks()
    print(
        f"peaks of a {LONG_FILE_MINUTES}-minute file: {took:.1f} s, {buckets} buckets, "
        f"peak traced memory {peak_mib:.1f} MiB"
    )


if __name__ == "__main__":
    main()
