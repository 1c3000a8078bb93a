"""What a killed run can leave behind, cleaned up at the next start of the window or of any CLI command.

- Exports whose process died are undone through their journal entries (core/export_journal.py).
- Export temp files (`.<stem>.part…`) and set-aside files (`.<name>.old…`) that no running export lists.
- `.dataset.json.*.tmp` in export folders: stale whenever the export lock is held, which every rewrite takes.
- dataset.json of every export folder whose rows changed after it was last rewritten (a run killed
  between the two, or a rewrite that failed).
- Temp files of the data home's atomic writes (embedding cache `*.tmp`, classifier `.*.tmp`, database
  backup `*.part`) and a classifier `.skops` without its `.json` (training killed between the two): their
  writers take no lock and finish within seconds, so they go once older than `STALE_AFTER_S`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from core import dataset_json, export_journal
from core.errors import FoleycutError
from core.export_journal import remove_entry

STALE_AFTER_S = 15 * 60
_EXPORT_TEMP = re.compile(r"\..+\.(?:part|old)[0-9a-f]{12}(?:\.mp4|\.wav)?", re.DOTALL)


@dataclass
class RecoveryReport:
    exports_undone: int = 0
    files_removed: int = 0
    problem: str = ""  # why the clean-up stopped early (it is tried again at the next start)


def recover_at_start(home, db, stale_after: float = STALE_AFTER_S) -> RecoveryReport:
    """Best effort: a data home or export folder that cannot be written (read-only media, a drive gone)
    must not keep the user from reading what is there, so a failure is reported, not raised."""
    report = RecoveryReport()
    try:
        report.exports_undone = export_journal.recover(db)
        report.files_removed = _sweep_export_folders(db) + _sweep_data_home(home, db, stale_after)
        for folder in db.stale_datasets():
            dataset_json.rebuild(db, folder)
            db.dataset_rewritten(folder)  # also when the folder is gone: nothing left to rewrite
    except (OSError, FoleycutError) as exc:
        report.problem = (
            f"Cleaning up after an interrupted run was not finished ({getattr(exc, 'strerror', None) or exc}); "
            "it is tried again at the next start."
        )
    return report


def _sweep_export_folders(db) -> int:
    folders = {Path(folder) for folder in db.export_folders()}
    with export_journal.export_lock(db):
        stale = [path for folder in folders if folder.is_dir() for path in dataset_json.stale_temp_files(folder)]
    found = [
        entry
        for folder in folders
        for vid_folder in _listing(folder)
        if vid_folder.is_dir()
        for entry in _listing(vid_folder)
        if _EXPORT_TEMP.fullmatch(entry.name)
    ]
    # Read after listing: an export journals its files before creating them, so any found is listed by now.
    live = export_journal.live_paths(db)
    stale += [entry for entry in found if str(entry) not in live]
    for path in stale:
        remove_entry(path)
    return len(stale)


def _sweep_data_home(home, db, stale_after: float) -> int:
    cutoff = time.time() - stale_after
    candidates = [
        *home.embeddings_cache_dir.rglob("*.tmp"),
        *home.models_dir.glob("*/.*.tmp"),
        *db.path.parent.glob(f"{db.path.name}.*.part"),
        *(skops for skops in home.models_dir.glob("*/*.skops") if not skops.with_suffix(".json").exists()),
    ]
    stale = [path for path in candidates if _modified(path) < cutoff]
    for path in stale:
        remove_entry(path)
    return len(stale)


def _listing(folder: Path) -> list[Path]:
    """A folder's entries; none when it is gone or unreadable (an unplugged drive): swept another time."""
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return float("inf")  # gone meanwhile: nothing to do
