"""Writing a file whole or not at all: a hidden temp file beside it, then one rename.

The temp file is made with mkstemp, which creates it 0600; it is given the mode a plain `open` would have
given (0666 less the umask) before it takes the final name, so others sharing a dataset or a data home
read it as they read everything else there.
"""

from __future__ import annotations

import os
import tempfile
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
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        Path(temp).chmod(FILE_MODE)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
