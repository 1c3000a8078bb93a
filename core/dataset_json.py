"""`dataset.json`: the clips of one export folder, as the database knows them, for dataset tooling.

A list with one entry per clip: `path` (relative to the export folder, `/`-separated), `label`,
`category`, `source` (the video's path), `start`, `length`; a WebP-sequence clip also names its `audio`.
It is rebuilt whole from the database after every change and written atomically (temp file + rename),
so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from core import export_journal
from core.atomic_write import TEMP_SUFFIX, write_atomically

FILE_NAME = "dataset.json"


def entries(db, export_folder: str | os.PathLike) -> list[dict]:
    folder = Path(export_folder).resolve()
    return sorted((_entry(clip, folder) for clip in db.get_clips_in(folder)), key=lambda entry: entry["path"])


def _entry(clip: dict, folder: Path) -> dict:
    path = Path(clip["output_path"])
    entry = {
        "path": path.relative_to(folder).as_posix(),
        "label": clip["label"],
        "category": clip["category"],
        "source": clip["source_path"] or clip["filename"],
        "start": round(clip["start_time"], 6),
        "length": clip["length"],
    }
    if clip["settings"].get("fmt") == "webp":
        entry["audio"] = path.with_name(path.name + ".wav").relative_to(folder).as_posix()
    return entry


def rebuild(db, export_folder: str | os.PathLike) -> Path:
    """Rewrite `<export_folder>/dataset.json` from the database; returns its path (nothing is written
    when the export folder itself is gone). Under the export lock, so two processes never interleave
    reading the database and writing the file, and a temp file seen while holding it is a stale one."""
    folder = Path(export_folder).resolve()
    target = folder / FILE_NAME
    if not folder.is_dir():
        return target
    with export_journal.export_lock(db):
        text = json.dumps(entries(db, folder), indent=1, ensure_ascii=False)
        write_atomically(target, (text + "\n").encode("utf-8"))
        db.dataset_rewritten(folder)
    return target


def stale_temp_files(export_folder: str | os.PathLike) -> list[Path]:
    """Temp files a killed rewrite left; only meaningful while holding the export lock."""
    return list(Path(export_folder).glob(f".{FILE_NAME}.*{TEMP_SUFFIX}"))
