"""What happens before the window opens: UI settings, the database, the legacy-layout migration.

A database that cannot be read is never replaced silently: the user chooses between restoring the newest
backup, starting an empty database (the unreadable file is kept beside it), or quitting.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, Qt
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from core import dataset_json
from core.db import ProcessedDB
from core.home import DataHome
from core.legacy_migration import migrate_legacy_layout, needs_legacy_migration
from ui.background import run_in_background

UI_SETTINGS_FILE = "ui-settings.ini"
STARTUP_DIALOG_DELAY_MS = 400
SQLITE_SIDE_FILES = ("-wal", "-shm")


def ui_settings(home: DataHome) -> QSettings:
    """Window and control state, kept in the data home so a throw-away home isolates it too."""
    return QSettings(str(home.root / UI_SETTINGS_FILE), QSettings.Format.IniFormat)


# ---- database --------------------------------------------------------------------------------------


def newest_backup(db_path: Path) -> Path | None:
    """The most recent `<db>.<tag>.bak` that ProcessedDB wrote beside the database."""
    backups = [p for p in db_path.parent.glob(f"{db_path.name}.*.bak") if p.is_file()]
    return max(backups, key=lambda p: p.stat().st_mtime, default=None)


def set_aside(db_path: Path) -> Path:
    """Rename the unreadable database (and its WAL files, which belong to it) out of the way; never delete."""
    stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
    kept = db_path.with_name(f"{db_path.name}.unreadable-{stamp}")
    for suffix in SQLITE_SIDE_FILES:
        side = db_path.with_name(db_path.name + suffix)
        if side.exists():
            side.rename(kept.with_name(kept.name + suffix))
    return db_path.rename(kept)


def restore_backup(db_path: Path, backup: Path) -> Path:
    """Put a copy of `backup` in place of the database; returns where the unreadable file was kept."""
    kept = set_aside(db_path)
    shutil.copy2(backup, db_path)
    return kept


def open_database(home: DataHome, parent: QWidget | None = None) -> ProcessedDB | None:
    """Open (and if needed upgrade) the database; when it cannot be read, ask what to do.

    None means the user chose to quit."""
    while True:
        db, error = _wait_for(
            lambda _progress, _cancel: ProcessedDB(home.db_path),
            "Opening the database (upgrading it if this version needs to)…",
            parent,
        )
        if error is None:
            return db
        if not _recover(home.db_path, error, parent):
            return None


def _recover(db_path: Path, problem: str, parent: QWidget | None) -> bool:
    """Ask the user; True when something was changed and opening should be tried again."""
    backup = newest_backup(db_path)
    box = QMessageBox(QMessageBox.Icon.Critical, "Foleycut: database cannot be read", problem, parent=parent)
    box.setInformativeText(
        (f"The newest backup is {backup.name}. " if backup else "No backup was found. ")
        + "Whatever you choose, the unreadable file is kept beside it, renamed."
    )
    restore = box.addButton("Restore backup", QMessageBox.ButtonRole.AcceptRole) if backup else None
    fresh = box.addButton("Start an empty database", QMessageBox.ButtonRole.DestructiveRole)
    quit_button = box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(restore or quit_button)
    box.exec()
    clicked = box.clickedButton()
    if restore is not None and clicked is restore:
        restore_backup(db_path, backup)
        return True
    if clicked is fresh:
        set_aside(db_path)
        return True
    return False


# ---- legacy layout ---------------------------------------------------------------------------------


def run_legacy_migration(db: ProcessedDB, parent: QWidget | None = None) -> str | None:
    """Move legacy clip_NNN exports into vid folders behind a progress dialog; returns an error message or None.

    The migration is resumable, so a failure leaves things consistent and is retried at the next start.
    """
    if not needs_legacy_migration(db):
        return None

    def work(progress, _cancel):
        report = migrate_legacy_layout(db, progress)
        for folder in report.export_folders:
            if folder.is_dir():
                dataset_json.rebuild(db, folder)
        return report

    return _wait_for(work, "Moving exported clips into per-video folders…", parent, determinate=True)[1]


# ---- waiting on start-up work ----------------------------------------------------------------------


def _wait_for(work, label: str, parent: QWidget | None, determinate: bool = False) -> tuple[object, str | None]:
    """Run `work` off the UI thread while the UI stays responsive; (result, None) or (None, error message).

    A modal progress dialog appears only when the work takes longer than a moment; it has no cancel
    button: stopping a schema upgrade or a crash-safe file move halfway gains nothing.
    """
    dialog = QProgressDialog(label, "", 0, 1000 if determinate else 0, parent)
    dialog.setWindowTitle("Foleycut: starting")
    dialog.setCancelButton(None)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(STARTUP_DIALOG_DELAY_MS)
    outcome: dict[str, object] = {}
    loop = QEventLoop()

    def show_progress(fraction: float, message: str) -> None:
        dialog.setValue(round(fraction * 1000))
        if message:
            dialog.setLabelText(message)

    run_in_background(
        work,
        on_progress=show_progress if determinate else None,
        on_success=lambda result: outcome.setdefault("result", result),
        on_failure=lambda message: outcome.setdefault("error", message),
        on_finished=loop.quit,
    )
    loop.exec()
    dialog.close()
    return outcome.get("result"), outcome.get("error")
