"""On-disk cache of window embeddings, so a rescan runs the classifier only.

One `.npz` per (file path, model, window, hop) under the data home's cache/embeddings; the file's size
and mtime are stored inside and must match, so a changed video misses and its entry gets overwritten
rather than piling up. Entries are written to a temp file and renamed (a crash never leaves half an
entry under the real name); anything unreadable or inconsistent counts as a miss and is deleted.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from core.atomic_write import write_atomically
from core.home import DataHome

FORMAT_VERSION = 1


@dataclass(frozen=True)
class CacheKey:
    path: str
    size: int
    mtime_ns: int
    model: str
    window: float
    hop: float

    @classmethod
    def for_file(cls, path, model: str, window: float, hop: float) -> CacheKey:
        path = Path(path).resolve()
        stat = path.stat()
        return cls(str(path), stat.st_size, stat.st_mtime_ns, model, float(window), float(hop))

    def entry_name(self) -> str:
        slot = json.dumps([FORMAT_VERSION, self.path, self.model, self.window, self.hop])
        return hashlib.sha256(slot.encode("utf-8")).hexdigest()[:32] + ".npz"

    def identity(self) -> str:
        return json.dumps({"format": FORMAT_VERSION, **asdict(self)}, sort_keys=True)


@dataclass(frozen=True)
class CachedEmbeddings:
    times: np.ndarray
    vectors: np.ndarray
    duration: float


def entry_path(home: DataHome, key: CacheKey) -> Path:
    return home.embeddings_cache_dir / key.entry_name()


def load(home: DataHome, key: CacheKey) -> CachedEmbeddings | None:
    """The cached embeddings for `key`, or None (missing, stale, or corrupt; a corrupt entry is removed)."""
    path = entry_path(home, key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            identity = str(data["identity"])
            times, vectors, duration = data["times"], data["vectors"], float(data["duration"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        path.unlink(missing_ok=True)
        return None
    if identity != key.identity():
        return None  # the video changed (or the slot was reused): recompute, the save overwrites it
    if vectors.ndim != 2 or times.shape != (len(vectors),) or vectors.dtype != np.float32:
        path.unlink(missing_ok=True)
        return None
    return CachedEmbeddings(times, vectors, duration)


def save(home: DataHome, key: CacheKey, times: np.ndarray, vectors: np.ndarray, duration: float) -> Path:
    buffer = io.BytesIO()
    np.savez(
        buffer,
        identity=np.array(key.identity()),
        times=np.asarray(times, np.float64),
        vectors=np.asarray(vectors, np.float32),
        duration=np.array(float(duration)),
    )
    return write_atomically(entry_path(home, key), buffer.getvalue())
