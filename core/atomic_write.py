"""Writing a file whole or not at all: a hidden temp file beside it, synced, then one rename, then the folder
synced so the rename itself survives a power cut.

Every place that replaces a file goes through here: `write_atomically` for bytes in hand, `replacing` for a
writer that wants a path (faiss, ffmpeg, a copy, a download). The temp file is made with mkstemp, which
creates it 0600; it is given the mode a plain `open` would have given (0666 less the umask) before it takes
the final name, so others sharing a dataset or a data home read it as they read everything else there.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def _current_umask() -> int:
    # Reading the umask means setting it; done once, at import, before any worker thread creates files.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_current_umask()


def write_atomically(path: str | os.PathLike, data: bytes) -> Path:
    """Replace `path` with `data`; a reader sees the old file or the new one, never a part."""
    path = Path(path)
    with replacing(path) as temp, temp.open("wb") as out:
        out.write(data)
    return path


def write_json_atomically(path: str | os.PathLike, value: object, indent: int | None = None) -> Path:
    """`write_atomically` of `value` as UTF-8 JSON."""
    return write_atomically(path, json.dumps(value, indent=indent).encode("utf-8"))


@contextmanager
def replacing(path: str | os.PathLike, suffix: str = TEMP_SUFFIX) -> Iterator[Path]:
    """Yield an empty temp file beside `path` to write; when the block ends it replaces `path` (synced,
    usual mode). When the block raises, the temp file is removed and `path` is left as it was."""
    path = Path(path)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
        _fsync_file(temp)
        temp.chmod(FILE_MODE)
        temp.replace(path)
        fsync_directory(path.parent)
    finally:
        temp.unlink(missing_ok=True)


def _fsync_file(path: Path) -> None:
    handle = os.open(path, os.O_RDWR)  # Windows syncs only handles open for writing
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def fsync_directory(folder: Path) -> None:
    """Make a rename inside `folder` durable. Windows cannot open a folder this way, and its renames are
    journaled by NTFS: there this does nothing."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some filesystems (network shares) refuse to sync a folder; the file itself is synced
    finally:
        os.close(handle)
