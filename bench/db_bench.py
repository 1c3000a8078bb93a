"""Database figures of SPEC section 8: the queries the UI runs on file load, against 100 k clips and 50 k scan
rows, and the legacy-layout migration of 100 k rows. Everything lives in a throw-away folder.

    .venv/bin/python bench/db_bench.py [--runs 200] [--dir PARENT]

Bars: each query run on file load < 20 ms (median), migration < 10 s. `--dir` picks the filesystem the
throw-away folder is made on (the migration's renames and rmdirs cost what that filesystem charges).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.db import ProcessedDB
from core.layout import next_counter, vid_folder_path
from core.legacy_migration import migrate_legacy_layout, needs_legacy_migration

CLIPS = 100_000
VIDEOS = 200
FOLDERS = 5
SCAN_MODELS = ("MEL", "HUBERT_BASE")
SCAN_VERSIONS = 5
REGIONS_PER_SCAN = 25  # 200 videos x 2 models x 5 versions x 25 = 50 k scan rows
HARD_NEGATIVES = 5_000
QUERY_BAR_MS = 20.0
MIGRATION_BAR_S = 10.0


def populate(db: ProcessedDB, exports: Path) -> None:
    per_video = CLIPS // VIDEOS
    for v in range(VIDEOS):
        filename = f"film_{v:03d}.mp4"
        folder = exports / f"mp4_Folder{v % FOLDERS}"
        vid = folder / f"vid_{v // FOLDERS + 1:03d}"
        for i in range(per_video):
            counter, sub = divmod(i, 4)
            db.add(
                filename,
                30.0 * counter + sub,
                vid / f"clip_{counter + 1:03d}_{sub + 1:02d}.mp4",
                label="door",
                source_path=f"/films/{filename}",
                marker_time=30.0 * counter,
                crf=18,
            )
        for model in SCAN_MODELS:
            for version in range(SCAN_VERSIONS):
                regions = [(60.0 * r, 60.0 * r + 8.0, 0.5 + version / 20) for r in range(REGIONS_PER_SCAN)]
                db.save_scan_results(filename, "default", model, regions, classifier="door")
    for n in range(HARD_NEGATIVES):
        db.add_hard_negatives(f"film_{n % VIDEOS:03d}.mp4", "default", [7.0 * n], source_model="MEL")


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm the page cache and statement cache once
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench_queries(work: Path, runs: int) -> bool:
    exports = work / "exports"
    with ProcessedDB(work / "queries.db") as db:
        start = time.perf_counter()
        populate(db, exports)
        setup = time.perf_counter() - start
        print(
            f"populated {CLIPS} clips, {VIDEOS * len(SCAN_MODELS) * SCAN_VERSIONS * REGIONS_PER_SCAN} scan rows, "
            f"{HARD_NEGATIVES} hard negatives in {setup:.1f} s through the public API"
        )
        film, folder = "film_123.mp4", exports / "mp4_Folder3"
        on_file_load: dict[str, Callable[[], object]] = {
            "get_clips": lambda: db.get_clips(film),
            "get_markers": lambda: db.get_markers(film),
            "get_scan_results (latest)": lambda: db.get_scan_results(film),
            "get_scan_versions": lambda: db.get_scan_versions(film, "default", "MEL"),
            "get_clip_counts": lambda: db.get_clip_counts(),
            "get_vid_folder + next_counter": lambda: next_counter(db, vid_folder_path(db, film, "default", folder)),
            "get_vid_folder + next_counter (new video)": lambda: next_counter(
                db, vid_folder_path(db, "new.mp4", "default", folder)
            ),
            "get_hard_negatives": lambda: db.get_hard_negatives(),
            "needs_legacy_migration (startup)": lambda: needs_legacy_migration(db),
        }
        in_dialogs: dict[str, Callable[[], object]] = {
            "get_export_folders": lambda: db.get_export_folders(),
            "get_training_stats": lambda: db.get_training_stats("default"),
        }
        ok = True
        print(f"\n{f'file-load query, median of {runs} runs':48s} {'ms':>8s}")
        for name, fn in on_file_load.items():
            ms = median_ms(fn, runs)
            ok &= ms < QUERY_BAR_MS
            print(f"{name:48s} {ms:8.2f}{'' if ms < QUERY_BAR_MS else '  OVER THE BAR'}")
        print("train dialog (no bar)")
        for name, fn in in_dialogs.items():
            print(f"{name:48s} {median_ms(fn, runs):8.2f}")
    return ok


def bench_legacy_migration(work: Path) -> bool:
    exports = work / "legacy" / "mp4_Door"
    with ProcessedDB(work / "legacy.db") as db:
        start = time.perf_counter()
        clips_per_group = 4
        for group in range(1, CLIPS // clips_per_group + 1):
            group_dir = exports / f"clip_{group:03d}"
            group_dir.mkdir(parents=True)
            filename = f"film_{group % VIDEOS:03d}.mp4"
            for sub in range(1, clips_per_group + 1):
                path = group_dir / f"clip_{group:03d}_{sub}.mp4"
                path.touch()
                db.add(filename, 10.0 * group + sub, path, source_path=f"/films/{filename}")
        print(
            f"\nlegacy layout: {CLIPS} empty clip files in {CLIPS // clips_per_group} group dirs "
            f"(built in {time.perf_counter() - start:.1f} s)"
        )
        phase_starts: dict[str, float] = {}  # first progress message of each phase
        start = time.perf_counter()
        report = migrate_legacy_layout(
            db,
            progress=lambda fraction, message: phase_starts.setdefault(message.split()[0], time.perf_counter() - start),
        )
        seconds = time.perf_counter() - start
    verdict = "" if seconds < MIGRATION_BAR_S else "  OVER THE BAR"
    print(
        f"{f'legacy migration of {CLIPS} rows':48s} {seconds:8.2f} s{verdict}  "
        f"({report.moved} moves, {report.removed_dirs} dirs removed)"
    )
    moving, removing = phase_starts.get("Moving", seconds), phase_starts.get("Removing", seconds)
    print(
        f"  plan + backup + record {moving:.2f} s (incl. the first batch of moves), "
        f"moves {removing - moving:.2f} s, removing group dirs {seconds - removing:.2f} s"
    )
    return seconds < MIGRATION_BAR_S and report.clips_rewritten == CLIPS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per query (median reported)")
    parser.add_argument("--dir", help="make the throw-away folder in PARENT (default: the system temp folder)")
    args = parser.parse_args()
    print(
        f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, sqlite {__import__('sqlite3').sqlite_version}"
    )
    with tempfile.TemporaryDirectory(prefix="foleycut-db-bench-", dir=args.dir) as tmp:
        work = Path(tmp)
        print(f"work folder: {work}")
        ok = bench_queries(work, args.runs)
        ok &= bench_legacy_migration(work)
    print("\nall within SPEC section 8" if ok else "\nSOME FIGURES MISS SPEC section 8")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
