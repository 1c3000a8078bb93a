"""`dataset.json`: the clips of one export folder, as the database knows them, for dataset tooling.

A list with one entry per clip: `path` (relative to the export folder, `/`-separated), `label`,
`category`, `source` (the video's path), `start`, `length`; a WebP-sequence clip also names its `audio`.
It is rebuilt whole from the database after every change and written atomically (temp file + rename),
so a reader never sees half a file.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

FILE_NAME = "dataset.json"
# Two exports finishing together in one process must not interleave read-database / write-file.
_rebuild_lock = threading.Lock()


def entries(db, export_folder: str | os.PathLike) -> list[dict]:
    folder = Path(export_folder).resolve()
    return sorted((_entry(clip, folder) for clip in db.get_clips_in(folder)), key=lambda entry: entry["path"])


def _entry(clip: dict, folder: Path) -> dict:
    path = Path(clip["output_path"])
    entry = {"path": path.relative_to(folder).as_posix(), "label": clip["label"], "category": clip["category"],
             "source": clip["source_path"] or clip["filename"], "start": round(clip["start_time"], 6),
             "length": clip["length"]}
    if clip["settings"].get("fmt") == "webp":
        entry["audio"] = path.with_name(path.name + ".wav").relative_to(folder).as_posix()
    return entry


def rebuild(db, export_folder: str | os.PathLike) -> Path:
    """Rewrite `<export_folder>/dataset.json` from the database; returns its path (nothing is written
    when the export folder itself is gone)."""
    folder = Path(export_folder).resolve()
    target = folder / FILE_NAME
    if not folder.is_dir():
        return target
    with _rebuild_lock:
        text = json.dumps(entries(db, folder), indent=1, ensure_ascii=False)
        handle, temp = tempfile.mkstemp(prefix=".dataset.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    return target

