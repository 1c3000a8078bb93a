"""Start-up: an unreadable database is never replaced silently; the legacy layout migrates with progress."""

import os

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from core.db import ProcessedDB
from core.home import DataHome
from ui.startup import newest_backup, open_database, run_legacy_migration

GARBAGE = b"this is not a database, it was damaged\n" * 200


@pytest.fixture
def home(isolated_home):
    return DataHome.resolve(isolated_home)


def answer_box(qtbot, button_text, seen):
    """Click the button named `button_text` in the message box once it is shown."""

    def answer():
        box = next((w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()), None)
        if box is None:
            QTimer.singleShot(10, answer)
            return
        seen.append(box.text())
        button = next(b for b in box.buttons() if b.text() == button_text)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, answer)


def make_backup_with_one_clip(home) -> None:
    good = ProcessedDB(home.root / "good.db")
    good.add("film.mp4", 12.0, home.root / "out" / "vid_001" / "clip_001_01.mp4")
    good.close()
    (home.root / "good.db").rename(home.db_path.with_name(home.db_path.name + ".v3.bak"))


def test_unreadable_database_can_be_restored_from_backup(qtbot, home):
    make_backup_with_one_clip(home)
    home.db_path.write_bytes(GARBAGE)
    seen = []
    answer_box(qtbot, "Restore backup", seen)
    db = open_database(home)
    assert "Cannot read the database" in seen[0]
    assert len(db.get_clips("film.mp4")) == 1
    db.close()
    kept = list(home.root.glob("foleycut.db.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == GARBAGE  # the damaged file is kept, not deleted


def test_quit_leaves_the_unreadable_database_untouched(qtbot, home):
    home.db_path.write_bytes(GARBAGE)
    answer_box(qtbot, "Quit", [])
    assert open_database(home) is None
    assert home.db_path.read_bytes() == GARBAGE


def test_starting_empty_is_an_explicit_choice_that_keeps_the_old_file(qtbot, home):
    home.db_path.write_bytes(GARBAGE)
    answer_box(qtbot, "Start an empty database", [])
    db = open_database(home)
    assert db.get_clip_counts() == {}
    db.close()
    assert [p.read_bytes() for p in home.root.glob("foleycut.db.unreadable-*")] == [GARBAGE]


def test_newest_backup_is_chosen(home):
    older, newer = (home.db_path.with_name(f"foleycut.db.{tag}.bak") for tag in ("v1", "v2"))
    for age, path in ((100, older), (0, newer)):
        path.write_bytes(b"x")
        os.utime(path, (1_000_000 - age, 1_000_000 - age))
    assert newest_backup(home.db_path) == newer


def test_legacy_layout_migrates_behind_a_progress_dialog(qtbot, home, tmp_path):
    db = ProcessedDB(home.db_path)
    legacy = tmp_path / "export" / "clip_001" / "clip_001_01.mp4"
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"clip")
    db.add("film.mp4", 3.0, legacy, source_path=str(tmp_path / "film.mp4"))
    assert run_legacy_migration(db) is None
    [clip] = db.get_clips("film.mp4")
    moved = tmp_path / "export" / "vid_001" / "clip_001_01.mp4"
    assert clip["output_path"] == str(moved) and moved.read_bytes() == b"clip" and not legacy.exists()
    assert run_legacy_migration(db) is None  # nothing left to do: no dialog, no change
    db.close()


@pytest.mark.slow
def test_run_app_welcomes_on_the_first_start_only(qtbot, home):
    from ui.app import run_app
    from ui.main_window import MainWindow

    popups = []

    def dismiss_welcome_then_close():
        box = next((w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()), None)
        if box is None:
            QTimer.singleShot(10, dismiss_welcome_then_close)
            return
        popups.append(box.windowTitle())
        qtbot.keyClick(box, Qt.Key.Key_Return)
        QTimer.singleShot(0, close_shown_window)

    def close_shown_window():
        # Polls: run_app processes events while it opens the database, before its window exists.
        shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not shown:
            QTimer.singleShot(10, close_shown_window)
            return
        for window in shown:
            window.close()

    QTimer.singleShot(0, dismiss_welcome_then_close)
    assert run_app() == 0
    assert popups == ["Welcome to Foleycut"]  # not every changelog entry: they all predate this user

    QTimer.singleShot(0, close_shown_window)  # second start: no popup, the window just opens
    assert run_app() == 0
    assert len(popups) == 1
