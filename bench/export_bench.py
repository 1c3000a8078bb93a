"""Clip-export throughput: clips per minute with 1 worker vs N parallel ffmpeg workers, on a generated
10-minute 720p video (test pattern + tone), 8 s clips, markers spread over the whole video.

    .venv/bin/python bench/export_bench.py [--markers 3] [--count 8] [--workers 1 2 4] [--rounds 3] [--video PATH]

The worker counts run interleaved (1, 2, 4, 1, 2, 4, …) and each ratio is taken within a round, then
summarised as min / median / max: on a shared machine, runs minutes apart measure the neighbours' load.

Workers encode the clips of one marker in parallel, so more workers than --count cannot help.

The generated video lives in a throw-away folder unless --video names one to reuse (it is made if missing).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.db import ProcessedDB
from core.export import ExportSettings, export_marker
from core.ffmpeg import ffmpeg_exe, run_ffmpeg
from core.probe import choose_h264_encoder, probe

MINUTES = 10


def make_source(path: Path) -> Path:
    if path.is_file():
        return path
    seconds = MINUTES * 60
    started = time.perf_counter()
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=1280x720:rate=25:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "250",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-shortest",
            str(path),
        ],
        check=True,
    )
    print(f"generated {path.name} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - started:.0f} s")
    return path


def clips_per_minute(video: Path, work: Path, markers: int, count: int, workers: int, encoder: str) -> float:
    """One export run into a fresh database and folder (removed afterwards, so every run starts alike)."""
    run = work / f"run_{workers}"
    run.mkdir()
    try:
        with ProcessedDB(run / "bench.db") as db:
            settings = ExportSettings(
                name="bench", export_folder=run / "out", count=count, spread=1.0, workers=workers, encoder=encoder
            )
            duration = probe(video).duration
            times = [duration * (i + 0.5) / markers for i in range(markers)]
            started = time.perf_counter()
            written = sum(len(export_marker(db, video, t, settings)) for t in times)
            elapsed = time.perf_counter() - started
    finally:
        shutil.rmtree(run)
    return written / elapsed * 60


def spread(values: list[float], digits: int = 1) -> str:
    return f"min {min(values):.{digits}f}  median {statistics.median(values):.{digits}f}  max {max(values):.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--markers", type=int, default=3, help="markers spread over the video")
    parser.add_argument("--count", type=int, default=8, help="clips per marker (encoded in parallel)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    parser.add_argument("--encoder", default="auto")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds over the worker counts")
    parser.add_argument("--video", type=Path, help="where to keep the generated source for reuse")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="foleycut_export_bench_") as tmp:
        work = Path(tmp)
        video = make_source(args.video or work / "source_720p_10min.mp4")
        encoder = choose_h264_encoder(args.encoder)
        print(
            f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
            f"ffmpeg: {ffmpeg_exe()}; encoder: {encoder.name}"
        )
        print(f"{args.markers} markers x {args.count} clips of 8 s, 1280x720 25 fps, MP4 H.264 + PCM")
        rates = {workers: [] for workers in args.workers}
        for _round in range(args.rounds):
            for workers in args.workers:
                rates[workers].append(clips_per_minute(video, work, args.markers, args.count, workers, encoder.name))
        base = args.workers[0]
        print(f"{args.rounds} interleaved rounds; clips/min, and the ratio to workers={base} within each round:")
        for workers in args.workers:
            ratios = [rate / first for rate, first in zip(rates[workers], rates[base])]
            print(f"workers={workers:2d}: {spread(rates[workers])} clips/min;  x{base}: {spread(ratios, 2)}")


if __name__ == "__main__":
    main()
