"""Scan All that does not redo work (issue 14): what skipping, loading the model once and decoding the
next file ahead save, on a playlist of generated videos. Sides run interleaved (A B A B …), min / median
/ max printed, because on a shared machine two runs minutes apart measure the neighbours' load too.

    .venv/bin/python bench/scan_all_skip_bench.py                      # ten 10-minute files, MEL
    .venv/bin/python bench/scan_all_skip_bench.py --only torch --torch-minutes 2

Sections:
- mel:   a first Scan All of the playlist (cold cache, MEL), then the second Scan All over the same playlist
         as before this change (every file rescanned, embeddings from the cache: `force=True`) vs now
         (files already scanned with the same classifier version and threshold are skipped).
- torch: a cold Scan All with a small random HuBERT read from a local folder: the embedder loaded for
         every file and no decoding ahead (before) vs one embedder per run and the next file's audio
         decoded while the current one embeds (now). A fresh data home each run: nothing cached.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scan_bench import BASE_MINUTES, _ffmpeg, long_video, spread  # noqa: E402
from core.home import DataHome  # noqa: E402

CLASSIFIER = "bench"


def playlist(workdir: Path, files: int, minutes: float) -> list[Path]:
    """`files` videos of `minutes`, distinct paths (the cache and the scan history key on them)."""
    piece = long_video(workdir, BASE_MINUTES)
    videos = []
    for index in range(files):
        video = workdir / f"skip_{minutes:g}min_{index}.mp4"
        if not video.exists():
            _ffmpeg(["-i", str(piece), "-t", str(minutes * 60), "-c", "copy", str(video)])
        videos.append(video)
    return videos


def fresh_home(workdir: Path, model: str, dim: int) -> DataHome:
    """A data home holding one classifier on `model` (a calibrated booster fitted on random vectors:
    predicting costs the same whatever it learned)."""
    from core import classifier_store
    from core.training import fit_balanced

    home = DataHome.resolve(tempfile.mkdtemp(prefix="skip_", dir=workdir))
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((2000, dim)).astype(np.float32)
    labels = (np.arange(len(vectors)) % 37 < 2).astype(int)
    classifier_store.save_version(
        home,
        CLASSIFIER,
        fit_balanced(vectors, labels),
        embedding_model=model,
        window=8.0,
        hop=1.0,
        folders={},
        counts={},
        metrics={},
    )
    return home


def scan_all(home: DataHome, videos: list[Path], force: bool) -> tuple[float, int]:
    """Seconds one Scan All took, and how many files it skipped."""
    from core.db import ProcessedDB
    from core.scanning import ScanOptions, scan_files

    with ProcessedDB(home.db_path) as db:
        started = time.perf_counter()
        results = scan_files(db, home, videos, CLASSIFIER, ScanOptions(force=force))
        seconds = time.perf_counter() - started
    errors = [result.error for result in results if result.error]
    if errors:
        raise SystemExit(f"scan failed: {errors[0]}")
    return seconds, sum(result.outcome.skipped for result in results)


def bench_mel(args) -> None:
    videos = playlist(args.workdir, args.files, args.minutes)
    audio = len(videos) * args.minutes * 60
    from core.mel import MelEmbedder

    home = fresh_home(args.workdir, "MEL", MelEmbedder.dim)
    cold, _ = scan_all(home, videos, force=True)
    before, now, skipped = [], [], 0
    for _ in range(args.rounds):
        before.append(scan_all(home, videos, force=True)[0])
        seconds, skipped = scan_all(home, videos, force=False)
        now.append(seconds)
    print(
        f"MEL Scan All of {len(videos)} x {args.minutes:g}-minute videos ({audio / 3600:.1f} h of audio), "
        f"in-process, {args.rounds} interleaved rounds:"
    )
    print(f"  first Scan All, cold cache          {cold:.1f} s ({audio / cold:.0f} audio-s/s)")
    print(f"  second Scan All, before (rescans from the cache)  {spread(before, 's', 2)}")
    print(f"  second Scan All, now ({skipped}/{len(videos)} skipped)    {spread(now, 's', 2)}")
    print(f"  speed-up, per round                 {spread([b / n for b, n in zip(before, now)], 'x', 1)}")


@contextmanager
def as_before():
    """Scan All as it was: each file's `embed_file` loads its own embedder, nothing decoded ahead."""
    from core import scanning

    shared, start = scanning._SharedEmbedder.for_file, scanning._Ahead.start
    scanning._SharedEmbedder.for_file = lambda self, video, meta: None
    scanning._Ahead.start = lambda self, video, meta, progress=None: None
    try:
        yield
    finally:
        scanning._SharedEmbedder.for_file, scanning._Ahead.start = shared, start


def bench_torch(args) -> None:
    from tests.tiny_models import save_tiny_hubert

    folder = save_tiny_hubert(
        Path(tempfile.mkdtemp(prefix="hubert_", dir=args.workdir)),
        hidden_size=args.torch_hidden,
        intermediate_size=args.torch_hidden * 2,
    )
    os.environ["FOLEYCUT_HUBERT_BASE_DIR"] = str(folder)
    videos = playlist(args.workdir, args.files, args.torch_minutes)
    audio = len(videos) * args.torch_minutes * 60
    rates = {False: [], True: []}
    for _ in range(args.rounds):
        for new in (False, True):
            home = fresh_home(args.workdir, "HUBERT_BASE", args.torch_hidden)
            if new:
                seconds, _ = scan_all(home, videos, force=True)
            else:
                with as_before():
                    seconds, _ = scan_all(home, videos, force=True)
            rates[new].append(audio / seconds)
    print(
        f"HUBERT_BASE-shaped random model (hidden {args.torch_hidden}) Scan All of {len(videos)} x "
        f"{args.torch_minutes:g}-minute videos, cold cache, CPU, {args.rounds} interleaved rounds:"
    )
    print(f"  before: model per file, no decode ahead   {spread(rates[False], 'audio-s/s')}")
    print(f"  now: one model, next file decoded ahead   {spread(rates[True], 'audio-s/s')}")
    print(
        f"  ratio, per round                          "
        f"{spread([n / b for b, n in zip(rates[False], rates[True])], 'x', 2)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=("mel", "torch"), default=("mel", "torch"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--torch-minutes", type=float, default=1.0)
    parser.add_argument("--torch-hidden", type=int, default=32)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "foleycut_bench")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if "mel" in args.only:
        bench_mel(args)
    if "torch" in args.only:
        bench_torch(args)


if __name__ == "__main__":
    main()
