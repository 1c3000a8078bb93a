"""A library-wide vector index of window embeddings, one per (embedding model, window, hop), in the data home.

The index is faiss's exact inner-product search over 8-bit scalar-quantised vectors (`IndexScalarQuantizer`
inside an `IndexIDMap2`): measured in bench/search_bench.py, a query over 3.6 M MEL windows takes well under
a second on two cores, adding a file costs nothing beyond its embedding (no graph to build, where HNSW needed
minutes per million vectors here), a file is removed by its id range, and 8 bits keep the index a quarter of
the float32 vectors' size while ranking almost exactly as float32 does.

What is indexed is each window's *foreground*: its embedding minus the running mean of the embeddings
around it (core.window_context, as the classifier sees it), so a short sound is compared by what it adds
to its surroundings, not by the music or room under it (bench/README.md, search quality). Foregrounds are
standardised per dimension (statistics frozen at the last full build) and L2-normalised, so the inner
product is their cosine similarity. A window's id is `file number << 24 |
window number`; the manifest maps file numbers to (path, size, mtime) and is what the index is trusted by.

On disk: `<home>/index/<model>_<window>_<hop>/manifest.json` naming `index.<generation>.faiss`. Each save
writes a new generation, then renames the manifest over the old one (the commit point) and deletes older
generations: a crash leaves the previous state whole. Anything unreadable or inconsistent is thrown away
and rebuilt from the embedding cache on the next sync; a file whose size or mtime changed is re-embedded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from core.atomic_write import replacing, write_json_atomically
from core.defaults import CLIP_HOP, CLIP_WINDOW
from core.errors import Cancelled, FoleycutError
from core.home import DataHome
from core.progress import Progress, check_cancel
from core.window_context import local_background

FORMAT_VERSION = 2
WINDOW_BITS = 24  # windows per file: 16 M, 190 days at one window per second
TRAIN_SAMPLE = 100_000  # vectors the quantiser's value ranges are fitted on
RESTANDARDISE_GROWTH = 4  # full rebuild once the library holds this many times the vectors the statistics saw
_EPS = 1e-6


@dataclass(frozen=True)
class IndexedFile:
    path: str  # resolved
    size: int
    mtime_ns: int
    number: int  # high bits of its windows' ids (-1 while a rebuild is pending)
    windows: int

    def is_current(self) -> bool:
        try:
            stat = Path(self.path).stat()
        except OSError:
            return False
        return (stat.st_size, stat.st_mtime_ns) == (self.size, self.mtime_ns)


@dataclass(frozen=True)
class WindowHit:
    path: Path
    start: float  # window start, seconds
    score: float  # cosine similarity, higher is closer


class FailedFile(NamedTuple):
    """A library file that could not be embedded, and why."""

    path: Path
    reason: str


@dataclass
class SyncReport:
    added: list[Path]
    removed: list[Path]
    failed: list[FailedFile]
    rebuilt: bool


def index_dir(home: DataHome, model: str, window: float, hop: float) -> Path:
    return home.root / "index" / f"{model}_{window:g}s_{hop:g}s"


def _identity(path: Path) -> tuple[str, int, int]:
    resolved = path.resolve()
    stat = resolved.stat()
    return str(resolved), stat.st_size, stat.st_mtime_ns


class LibraryIndex:
    """The index of one (model, window, hop). Thread-safe; every change is saved before it returns."""

    def __init__(self, home: DataHome, model: str, window: float = CLIP_WINDOW, hop: float = CLIP_HOP):
        self.home, self.model, self.window, self.hop = home, model, float(window), float(hop)
        self.folder = index_dir(home, model, self.window, self.hop)
        self._lock = threading.RLock()
        self._files: dict[str, IndexedFile] = {}
        self._mean: np.ndarray | None = None
        self._std: np.ndarray | None = None
        self._stats_count = 0
        self._generation = 0
        self._index: Any = None  # a faiss index; faiss ships no type hints
        self.was_discarded = False  # the stored index was unreadable or inconsistent and got dropped
        self._load()

    # ---- reading --------------------------------------------------------------------------------

    def files(self) -> list[IndexedFile]:
        with self._lock:
            return list(self._files.values())

    def __len__(self) -> int:
        with self._lock:
            return 0 if self._index is None else int(self._index.ntotal)

    def memory_bytes(self) -> int:
        """The quantised codes plus the id map (what the index holds in memory)."""
        with self._lock:
            if self._index is None:
                return 0
            return int(self._index.ntotal) * (self._index.index.sa_code_size() + 8)

    def search(self, vectors: np.ndarray, k: int, only: Iterable[Path] | None = None) -> list[WindowHit]:
        """The `k` windows closest to any of `vectors` (foregrounds, see `foreground`), best first; each window once,
        scored by its best query. `only` restricts the search to those files. Windows of a file changed
        on disk since it was indexed are never returned."""
        import faiss

        with self._lock:
            if self._index is None or self._index.ntotal == 0 or k <= 0:
                return []
            current = {key: f for key, f in self._files.items() if f.is_current()}
            if only is not None:
                wanted = {str(Path(p).resolve()) for p in only}
                current = {key: f for key, f in current.items() if key in wanted}
            if not current:
                return []
            params = None
            if len(current) < len(self._files):
                ids = np.concatenate(
                    [(f.number << WINDOW_BITS) + np.arange(f.windows, dtype=np.int64) for f in current.values()]
                )
                # faiss's Python wrapper takes the parameters as keywords; its SWIG signature shows none
                params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(ids))  # type: ignore[call-arg]
            k = min(k, sum(f.windows for f in current.values()))
            scores, ids = self._index.search(self._prepare(vectors), k, params=params)
            by_number = {f.number: f for f in current.values()}
        best: dict[int, float] = {}
        for row_scores, row_ids in zip(scores, ids):
            for score, key in zip(row_scores.tolist(), row_ids.tolist()):
                if key >= 0 and score > best.get(key, -np.inf):
                    best[key] = score
        ranked = sorted(best.items(), key=lambda item: -item[1])[:k]
        mask = (1 << WINDOW_BITS) - 1
        return [
            WindowHit(Path(by_number[key >> WINDOW_BITS].path), round((key & mask) * self.hop, 6), score)
            for key, score in ranked
            if key >> WINDOW_BITS in by_number
        ]

    # ---- changing -------------------------------------------------------------------------------

    def sync(
        self, videos: Sequence, progress: Progress | None = None, cancel: threading.Event | None = None, embed=None
    ) -> SyncReport:
        """Make the index hold every one of `videos` as it is on disk now (embedding through the cache),
        and drop files that no longer exist or changed. Other indexed files stay. A file that cannot be
        embedded is reported in `failed`, not fatal. Only one file's vectors are in memory at a time.
        `embed` stands in for `embed_file` (benchmarks)."""
        from core.window_embeddings import embed_file

        embed = embed or embed_file
        paths = list(dict.fromkeys(Path(v).resolve() for v in videos))
        with self._lock:
            stale = [Path(f.path) for f in self._files.values() if not f.is_current()]
            self._drop([str(p) for p in stale])
            todo = [p for p in paths if str(p) not in self._files]
            rebuild = self._mean is None
        added: list[Path] = []
        failed: list[FailedFile] = []
        for number, path in enumerate(todo):
            check_cancel(cancel)

            def file_progress(fraction: float, message: str, number=number, path=path) -> None:
                if progress is not None:
                    progress((number + fraction) / max(1, len(todo)), f"Indexing {path.name}: {message}")

            try:
                identity, vectors = self._foregrounds(embed, path, file_progress, cancel)
            except Cancelled:
                raise
            except (FoleycutError, OSError) as exc:
                failed.append(
                    FailedFile(
                        path,
                        str(exc) if isinstance(exc, FoleycutError) else f"Cannot read {path}: {exc.strerror or exc}",
                    )
                )
                continue
            added.append(path)
            with self._lock:
                if rebuild:
                    self._files[identity[0]] = IndexedFile(*identity, -1, len(vectors))
                else:
                    self._add(identity, vectors)
                    rebuild = len(self) > RESTANDARDISE_GROWTH * max(1, self._stats_count)
        with self._lock:
            if rebuild and self._files:
                self._rebuild(embed, cancel)
            if added or stale:
                self._save()
        if progress is not None:
            progress(1.0, f"Library index: {len(self)} windows of {len(self._files)} file(s)")
        return SyncReport(added, stale, failed, rebuild and bool(added))

    def remove(self, videos: Iterable) -> None:
        with self._lock:
            self._drop([str(Path(v).resolve()) for v in videos])
            self._save()

    # ---- internals ------------------------------------------------------------------------------

    def _prepare(self, vectors: np.ndarray) -> np.ndarray:
        assert self._mean is not None and self._std is not None  # fitted before any window is added or searched
        standard = (np.asarray(vectors, np.float32).reshape(-1, len(self._mean)) - self._mean) / self._std
        norms = np.linalg.norm(standard, axis=1, keepdims=True)
        return np.ascontiguousarray(standard / np.maximum(norms, _EPS), dtype=np.float32)

    def _new_index(self, dim: int):
        import faiss

        quantised = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        return faiss.IndexIDMap2(quantised)

    def _add(self, identity: tuple[str, int, int], vectors: np.ndarray) -> None:
        path, size, mtime_ns = identity
        self._drop([path])
        number = max((f.number for f in self._files.values()), default=-1) + 1
        ids = (number << WINDOW_BITS) + np.arange(len(vectors), dtype=np.int64)
        self._index.add_with_ids(self._prepare(vectors), ids)
        self._files[path] = IndexedFile(path, size, mtime_ns, number, len(vectors))

    def _foregrounds(
        self, embed, path: Path, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> tuple[tuple[str, int, int], np.ndarray]:
        identity = _identity(path)
        embeddings = embed(path, self.model, self.home, self.window, self.hop, progress=progress, cancel=cancel)
        return identity, foreground(embeddings.vectors, self.hop)

    def _rebuild(self, embed, cancel: threading.Event | None) -> None:
        """Statistics and quantiser refitted on every file indexed (two passes, one file in memory at a
        time; the embeddings come from the cache), then every file added again."""
        files, self._files, self._index, self._mean = list(self._files.values()), {}, None, None
        count, sums, squares, samples, kept = 0, 0.0, 0.0, [], []
        rng = np.random.default_rng(0)
        per_file = max(1, TRAIN_SAMPLE // len(files))
        for indexed in files:
            check_cancel(cancel)
            try:
                _identity_now, vectors = self._foregrounds(embed, Path(indexed.path), cancel=cancel)
            except (FoleycutError, OSError):
                continue  # unreadable now: left out, and re-embedded if a later sync names it
            count += len(vectors)
            sums = sums + vectors.sum(axis=0, dtype=np.float64)
            squares = squares + np.square(vectors, dtype=np.float64).sum(axis=0)
            samples.append(vectors[rng.choice(len(vectors), min(per_file, len(vectors)), replace=False)])
            kept.append(indexed)
        if not kept:
            return
        mean = np.asarray(sums, np.float64) / count
        self._mean = mean.astype(np.float32)
        self._std = np.sqrt(np.maximum(squares / count - mean * mean, 0)).astype(np.float32) + np.float32(_EPS)
        self._stats_count = count
        self._index = self._new_index(len(mean))
        self._index.index.train(self._prepare(np.concatenate(samples)))
        for indexed in kept:
            check_cancel(cancel)
            identity, vectors = self._foregrounds(embed, Path(indexed.path), cancel=cancel)
            self._add(identity, vectors)

    def _drop(self, paths: list[str]) -> None:
        import faiss

        for path in paths:
            indexed = self._files.pop(path, None)
            if indexed is not None and self._index is not None:
                first = indexed.number << WINDOW_BITS
                self._index.remove_ids(faiss.IDSelectorRange(first, first + (1 << WINDOW_BITS)))

    def _save(self) -> None:
        import faiss

        self.folder.mkdir(parents=True, exist_ok=True)
        generation = self._generation + 1
        manifest = {
            "format": FORMAT_VERSION,
            "model": self.model,
            "window": self.window,
            "hop": self.hop,
            "generation": generation,
            "windows": len(self),
            "files": [asdict(f) for f in self._files.values()],
            "stats_count": self._stats_count,
            "mean": None if self._mean is None else self._mean.tolist(),
            "std": None if self._std is None else self._std.tolist(),
        }
        if self._index is not None:
            with replacing(self.folder / f"index.{generation}.faiss") as partial:
                faiss.write_index(self._index, str(partial))
        write_json_atomically(self.folder / "manifest.json", manifest)
        self._generation = generation
        for old in self.folder.glob("index.*.faiss*"):
            if old.name != f"index.{generation}.faiss":
                old.unlink(missing_ok=True)

    def _load(self) -> None:
        import faiss

        manifest_path = self.folder / "manifest.json"
        if not manifest_path.is_file():
            return
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if (manifest["format"], manifest["model"], manifest["window"], manifest["hop"]) != (
                FORMAT_VERSION,
                self.model,
                self.window,
                self.hop,
            ):
                raise ValueError("written for another model, window or hop")
            files = {f["path"]: IndexedFile(**f) for f in manifest["files"]}
            self._generation = int(manifest["generation"])
            if manifest["mean"] is not None:
                index = faiss.read_index(str(self.folder / f"index.{self._generation}.faiss"))
                mean, std = (np.asarray(manifest[key], np.float32) for key in ("mean", "std"))
                consistent = index.ntotal == manifest["windows"] == sum(
                    f.windows for f in files.values()
                ) and index.d == len(mean) == len(std)
                if not consistent:
                    raise ValueError("index and manifest disagree")
                self._index, self._mean, self._std = index, mean, std
            self._files = files
            self._stats_count = int(manifest["stats_count"])
        except (OSError, ValueError, KeyError, TypeError, RuntimeError):
            # RuntimeError is how faiss reports an unreadable file. The files named here get re-added
            # by the next sync (their embeddings are usually still cached).
            self._index, self._mean, self._std, self._files, self._stats_count = None, None, None, {}, 0
            self.was_discarded = True


def foreground(vectors: np.ndarray, hop: float) -> np.ndarray:
    """Each window's embedding minus the running mean of the windows around it (one file, in time order).
    A running median ranked confusable sounds a little better but took 5 s per hour of audio; this, ms."""
    vectors = np.asarray(vectors, np.float32)
    return (vectors - local_background(vectors, hop)).astype(np.float32)


def salience(foregrounds: np.ndarray) -> np.ndarray:
    """How much each window stands out from its background: the norm of its foreground, every dimension
    scaled by its spread over the file."""
    spread = foregrounds.std(axis=0) + _EPS
    return np.linalg.norm(foregrounds / spread, axis=1)


def known_videos(db, profile: str = "default") -> list[Path]:
    """Every source video the database knows for `profile` (clips of any export folder, hard negatives)
    that is on disk."""
    sources: set[str] = set()
    for folder in db.get_export_folders(profile, include_scan_exports=True):
        sources.update(record[0] for record in db.get_training_data(profile, folder, include_scan_exports=True))
    sources.update(row["source_path"] for row in db.get_hard_negatives(profile) if row["source_path"])
    return sorted(Path(source) for source in sources if Path(source).is_file())
