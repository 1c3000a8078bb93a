"""Who a source video is, beyond its base name: its size and a fingerprint of a few sampled blocks.

Camera files share names (`GOPR0001.MP4` in every card's folder), so a base name alone would mix two
videos' clips, markers and scans. Size plus a hash of five 64 KiB blocks spread over the file tells
different recordings apart and stays the same when the file or its folder is moved or renamed, while
reading a fixed 320 KiB however long the film. Fingerprints are remembered per (path, size, mtime) so
loading the same file again reads nothing.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

BLOCK = 64 * 1024
BLOCKS = 5


@dataclass(frozen=True)
class VideoIdentity:
    size: int
    fingerprint: str


def identify(path: str | os.PathLike) -> VideoIdentity | None:
    """The file's identity, or None when it cannot be read (missing, moved away, no permission)."""
    try:
        stat = Path(path).stat()
        return _identify(os.fspath(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    except OSError:
        return None


@lru_cache(maxsize=4096)
def _identify(path: str, size: int, mtime_ns: int) -> VideoIdentity:
    digest = hashlib.blake2b(str(size).encode(), digest_size=16)
    with Path(path).open("rb") as handle:
        for offset in _block_offsets(size):
            handle.seek(offset)
            digest.update(handle.read(BLOCK))
    return VideoIdentity(size, digest.hexdigest())


def _block_offsets(size: int) -> list[int]:
    if size <= BLOCK * BLOCKS:
        return list(range(0, size, BLOCK))
    last = size - BLOCK
    return [last * i // (BLOCKS - 1) for i in range(BLOCKS)]
