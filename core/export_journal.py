"""Exports as recoverable units, shared safely between processes.

Before an export writes anything it records, in the database, the temp files and folders it is about to
create; before it gives its clips their final names it records those names too (and where a replaced file
is set aside). The journal entry is deleted in the same transaction that adds the clips' rows, so an entry
that is still there means the export never finished: if its process is gone, `recover` removes what it
left and puts aside files back. Whether the process is alive is told by a lock file it holds for its whole
run, which the operating system releases when the process dies, even by kill -9.

One cross-process lock (`export_lock`) serialises the short part of every export that picks final names,
moves files and records rows, and every rewrite of dataset.json; files are moved with `place`, which never
replaces an existing entry.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from core.errors import FoleycutError

LOCK_DIR = "locks"
EXPORT_LOCK = "export.lock"
EXPORT_LOCK_TIMEOUT_S = 120.0
ORPHAN_LOCK_AGE_S = 60.0


def lock_dir(db) -> Path:
    folder = db.path.parent / LOCK_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def export_lock(db) -> Iterator[None]:
    """Held while an export names, moves and records its clips, and while dataset.json is rewritten."""
    lock = FileLock(lock_dir(db) / EXPORT_LOCK, timeout=EXPORT_LOCK_TIMEOUT_S)
    try:
        lock.acquire()
    except Timeout as exc:
        raise FoleycutError(
            "Another Foleycut has been writing clips for two minutes and still holds the export "
            "lock: wait for it to finish, then export again."
        ) from exc
    try:
        yield
    finally:
        lock.release()


class PendingExport:
    """One export's journal entry and the liveness lock that says its process still runs."""

    def __init__(self, db, temps: Sequence[Path], created_dirs: Sequence[Path]):
        self._db = db
        self.owner = f"export-{uuid.uuid4().hex}.lock"
        self._lock = FileLock(lock_dir(db) / self.owner)
        self._lock.acquire()
        self.created_dirs = list(created_dirs)
        try:
            self.id = db.begin_export(self.owner, temps, self.created_dirs)
        except BaseException:
            self._release()
            raise

    def record_moves(self, moves: Sequence[tuple[Path, Path | None]], created_dirs: Sequence[Path] = ()) -> None:
        self.created_dirs += [folder for folder in created_dirs if folder not in self.created_dirs]
        self._db.record_export_moves(self.id, moves, self.created_dirs)

    def close(self, finished: bool) -> None:
        """Drop the journal entry (already gone when the export's rows were committed with it). When the
        database refuses, the entry stays and the next start's `recover` finishes the clean-up."""
        try:
            if not finished:
                self._db.end_export(self.id)
        except FoleycutError:
            pass
        finally:
            self._release()

    def _release(self) -> None:
        self._lock.release()
        Path(self._lock.lock_file).unlink(missing_ok=True)


def dirs_to_create(folder: Path) -> list[Path]:
    """The folders `folder.mkdir(parents=True)` would create, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def remove_empty_dirs(folders: Sequence[Path]) -> None:
    """Remove the folders an export created (deepest first) as long as they are empty."""
    for folder in sorted(map(Path, folders), key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:  # not empty (another export's clips), or already gone
            pass


def place(src: Path, dst: Path) -> None:
    """Move a file or folder to a name nobody holds; FileExistsError when something is already there.
    A hard link fails on a taken name where a rename would silently replace it."""
    if os.name == "nt":  # Windows' rename never replaces
        src.rename(dst)
    elif src.is_dir():
        dst.mkdir()  # claims the name; renaming a folder onto an empty folder replaces it in one step
        src.rename(dst)
    else:
        try:
            os.link(src, dst)
        except FileExistsError:
            raise
        except OSError:  # a filesystem without hard links (FAT, some shares)
            if os.path.lexists(dst):
                raise FileExistsError(dst) from None
            src.rename(dst)
        else:
            src.unlink()


def remove_entry(path: Path) -> None:
    """Remove a file or folder that may not exist (nor its parent)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            pass


def undo_moves(db, moves: Sequence[tuple[str | Path, str | Path | None]]) -> None:
    """Take back an export's moves that no committed row accounts for: its new files go, set-aside
    files return. A final name with a row belongs to a later export that found it free."""
    entries = [(Path(final), Path(aside) if aside else None, _clip_path(Path(final))) for final, aside in moves]
    recorded = db.recorded_outputs([clip for _final, _aside, clip in entries])
    for final, aside, clip in reversed(entries):
        if aside is not None and os.path.lexists(aside):
            remove_entry(final)
            aside.rename(final)
        elif aside is None and str(clip) not in recorded:
            remove_entry(final)


def _clip_path(path: Path) -> Path:
    """The path a clip row stores for this file: a WebP clip's .wav belongs to its frame folder."""
    if path.suffix == ".wav" and path.with_suffix("").is_dir():
        return path.with_suffix("")
    return path


def recover(db) -> int:
    """Undo every export whose process died before it finished; returns how many were undone."""
    undone = 0
    with export_lock(db):
        for entry in db.pending_exports():
            owner = FileLock(lock_dir(db) / entry["owner"], timeout=0)
            try:
                owner.acquire()
            except Timeout:
                continue  # still running in another process
            try:
                undo_moves(db, entry["moves"])
                for temp in entry["temps"]:
                    remove_entry(Path(temp))
                remove_empty_dirs([Path(folder) for folder in entry["created_dirs"]])
                db.end_export(entry["id"])
                undone += 1
            finally:
                owner.release()
                Path(owner.lock_file).unlink(missing_ok=True)
        _remove_orphan_owner_locks(db)
    return undone


def _remove_orphan_owner_locks(db) -> None:
    """Lock files of exports killed after their commit (the entry went with it, the file stayed). A young
    one may belong to an export about to record its entry, so only those older than a minute go."""
    listed = {entry["owner"] for entry in db.pending_exports()}
    cutoff = time.time() - ORPHAN_LOCK_AGE_S
    for path in lock_dir(db).glob("export-*.lock"):
        try:
            if path.name in listed or path.stat().st_mtime > cutoff:
                continue
        except OSError:
            continue
        owner = FileLock(path, timeout=0)
        try:
            owner.acquire()
        except Timeout:
            continue
        try:
            path.unlink(missing_ok=True)
        finally:
            owner.release()


def live_paths(db) -> set[str]:
    """Temp and set-aside files of the exports still in the journal (after `recover`, the running ones)."""
    return {
        path
        for entry in db.pending_exports()
        for path in [*entry["temps"], *(aside for _final, aside in entry["moves"] if aside)]
    }
