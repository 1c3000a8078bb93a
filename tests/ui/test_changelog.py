"""The start-up changelog popup: shown for unseen versions, gone once dismissed with "Don't show again"."""

from PySide6.QtCore import QPoint, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from core.changelog import parse_changelog
from ui.changelog_dialog import ChangelogDialog, show_changelog_if_new

ENTRIES = parse_changelog("## 0.2.0 — 2026-12-01\n- Shift+drag resize.\n\n## 0.1.0 — 2026-11-24\n- First.\n")


def settings(tmp_path):
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


def answer_popup(qtbot, seen, tick):
    def answer():
        dialog = next(
            (w for w in QApplication.topLevelWidgets() if isinstance(w, ChangelogDialog) and w.isVisible()), None
        )
        if dialog is None:  # exec() has not shown it yet
            QTimer.singleShot(10, answer)
            return
        seen.append(dialog.browser.toPlainText())
        if tick:
            box = dialog.dont_show_again
            qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, answer)


def test_popup_shown_once_then_not_again(qtbot, tmp_path):
    store, seen = settings(tmp_path), []
    answer_popup(qtbot, seen, tick=True)
    assert show_changelog_if_new(store, entries=ENTRIES)
    assert "Shift+drag resize" in seen[0] and "First" in seen[0]
    assert not show_changelog_if_new(store, entries=ENTRIES)


def test_popup_shows_each_version_once_even_without_ticking(qtbot, tmp_path):
    store, seen = settings(tmp_path), []
    answer_popup(qtbot, seen, tick=False)
    assert show_changelog_if_new(store, entries=ENTRIES)
    assert not show_changelog_if_new(store, entries=ENTRIES)  # not at every start
    newer = parse_changelog("## 0.3.0 — 2026-12-08\n- Scan history labels.\n") + ENTRIES
    answer_popup(qtbot, seen, tick=True)
    assert show_changelog_if_new(store, entries=newer)
    assert "Scan history labels" in seen[1] and "Shift+drag resize" not in seen[1]
    newest = parse_changelog("## 0.4.0 — 2026-12-15\n- More.\n") + newer
    assert not show_changelog_if_new(store, entries=newest)  # "Don't show again" holds for good
    assert len(seen) == 2


def test_first_start_welcomes_instead_of_listing_every_version(qtbot, tmp_path):
    store, shown = settings(tmp_path), []

    def press_enter():
        box = next((w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()), None)
        if box is None:  # exec() has not shown it yet
            QTimer.singleShot(10, press_enter)
            return
        shown.append((box.windowTitle(), box.text()))
        qtbot.keyClick(box, Qt.Key.Key_Return)

    QTimer.singleShot(0, press_enter)
    assert show_changelog_if_new(store, entries=ENTRIES, first_start=True)
    assert shown[0][0] == "Welcome to Foleycut" and "press <b>E</b>" in shown[0][1]
    assert not show_changelog_if_new(store, entries=ENTRIES)  # the current version counts as seen


def test_new_version_shows_only_entries_since_last_seen(qtbot, tmp_path):
    store, seen = settings(tmp_path), []
    store.setValue("changelog/last_seen_version", "0.1.0")
    answer_popup(qtbot, seen, tick=True)
    assert show_changelog_if_new(store, entries=ENTRIES)
    assert "Shift+drag resize" in seen[0] and "First" not in seen[0]
