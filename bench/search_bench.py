"""Search figures of SPEC section 8: query time and memory of the library index at 100 k, 1 M and 3.6 M MEL-size
(128-d) windows, against brute-force numpy over the same vectors, timed interleaved in one run.

    .venv/bin/python bench/search_bench.py [--sizes 100000 1000000 3600000] [--queries 15]

Each size is a fresh index in a throw-away data home, filled through `LibraryIndex.sync` with "videos" of
one hour (3600 windows at one per second) whose embeddings are synthetic: clustered 128-d vectors, like
MEL windows drawn from a few thousand kinds of sound. Query = a library window plus noise; k = what
`find_similar` asks for a 20-hit search. Printed per size: build, save and reload time; one more hour added
incrementally, and one removed; index memory vs the float32 matrix numpy needs; query time index vs numpy
(min / median / max over `--queries`, alternating); how many of numpy's exact top 50 the index also ranks
in its top 50. Bar: a query over 3.6 M windows (1,000 hours) < 1 s.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.home import DataHome
from core.library_index import LibraryIndex, foreground
from core.similarity_search import Example, find_similar
from core.window_embeddings import WindowEmbeddings

DIM = 128
HOUR = 3600
KINDS = 3000  # sound kinds the synthetic library is drawn from
K = 2000  # windows find_similar fetches for 20 hits of 8 s windows at a 1 s hop
QUERY_BAR_S = 1.0
_CENTRES = np.random.default_rng(0).standard_normal((KINDS, DIM)).astype(np.float32) * 2 + 5


def synthetic_embed(path, model, home, window, hop, progress=None, cancel=None) -> WindowEmbeddings:
    """Stands in for embed_file: each file's windows, drawn deterministically from its name."""
    rng = np.random.default_rng(zlib.crc32(Path(path).name.encode()))
    kinds = rng.integers(0, KINDS, HOUR // 8)  # a sound lasts 8 windows
    vectors = np.repeat(_CENTRES[kinds], 8, axis=0) + rng.standard_normal((HOUR, DIM), dtype=np.float32)
    return WindowEmbeddings(np.arange(HOUR, dtype=float), vectors.astype(np.float32), model, window, hop, HOUR)


def foregrounds(path: Path, home: DataHome) -> np.ndarray:
    return foreground(synthetic_embed(path, "MEL", home, 8.0, 1.0).vectors, 1.0)


def make_files(folder: Path, count: int, prefix: str = "hour") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = [folder / f"{prefix}_{i:05d}.mp4" for i in range(count)]
    for path in files:
        path.touch()
    return files


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def spread(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"{min(ms):8.1f} / {statistics.median(ms):8.1f} / {max(ms):8.1f}"


def bench_size(windows: int, queries: int, root: Path) -> bool:
    hours = max(1, round(windows / HOUR))
    home = DataHome.resolve(root / f"home_{windows}")
    files = make_files(root / f"videos_{windows}", hours)
    index = LibraryIndex(home, "MEL")
    build, _ = timed(lambda: index.sync(files, embed=synthetic_embed))
    reload_time, reopened = timed(lambda: LibraryIndex(home, "MEL"))
    extra = make_files(root / f"videos_{windows}", 1, prefix="added")
    add_time, report = timed(lambda: index.sync(files + extra, embed=synthetic_embed))
    assert not report.rebuilt
    remove_time, _ = timed(lambda: index.remove(extra))

    # The float32 matrix brute force needs, prepared exactly as the index prepares its vectors.
    matrix = np.concatenate([index._prepare(foregrounds(f, home)) for f in files])
    rng = np.random.default_rng(1)
    index_times, numpy_times, overlaps, fused_times = [], [], [], []
    for _ in range(queries):
        file = files[rng.integers(len(files))]
        raw = foregrounds(file, home)[rng.integers(HOUR)] + rng.standard_normal(DIM).astype(np.float32) * 0.3
        seconds, hits = timed(lambda raw=raw: index.search(raw[None], K))
        index_times.append(seconds)
        query = index._prepare(raw[None])[0]
        seconds, exact = timed(lambda query=query: np.argpartition(-(matrix @ query), K)[:K])
        numpy_times.append(seconds)
        exact_top = set(exact[np.argsort(-(matrix[exact] @ query))[:50]].tolist())
        found = {files.index(h.path) * HOUR + int(h.start) for h in hits[:50] if h.path in files}
        overlaps.append(len(exact_top & found) / 50)
        example = Example(raw[None], None, 0.0, 0.0)
        fused_times.append(timed(lambda example=example: find_similar(index, example, 20))[0])
    memory = index.memory_bytes()
    print(f"\n{len(index):,} windows ({hours} h of 1 s windows)")
    print(
        f"  build (sync of {hours} files, synthetic embeddings) {build:7.1f} s;  reload {reload_time:.2f} s "
        f"({len(reopened):,} windows);  add 1 h {add_time * 1000:.0f} ms;  remove 1 h {remove_time * 1000:.0f} ms"
    )
    print(f"  memory: index {memory / 2**20:8.1f} MiB   numpy float32 matrix {matrix.nbytes / 2**20:8.1f} MiB")
    print(f"  query k={K}, ms min / median / max over {queries}:")
    print(f"    index (faiss SQ8, exact scan)  {spread(index_times)}")
    print(f"    numpy brute force (float32)    {spread(numpy_times)}")
    print(f"    find_similar (search + fuse)   {spread(fused_times)}")
    print(f"  top-50 agreement with exact float32: {np.mean(overlaps):.3f}")
    return statistics.median(index_times) < QUERY_BAR_S


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 3_600_000])
    parser.add_argument("--queries", type=int, default=15)
    args = parser.parse_args()
    import faiss

    print(
        f"{platform.platform()}, Python {platform.python_version()}, faiss {faiss.__version__}, "
        f"{faiss.omp_get_max_threads()} OpenMP threads"
    )
    ok = True
    with tempfile.TemporaryDirectory(prefix="foleycut_search_bench_") as tmp:
        for size in args.sizes:
            ok &= bench_size(size, args.queries, Path(tmp))
    print(f"\nbar: median query over 3.6 M windows < {QUERY_BAR_S:g} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
