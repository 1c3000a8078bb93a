"""The main window driven like a user: keys on the timeline, clicks on markers, the playlist, profiles."""

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox

from core.db import ProcessedDB
from core.home import DataHome
from tests.media_factory import make_video
from tests.ui.menus import press_enter_on_message_box_soon
from ui.main_window import MainWindow
from ui.playlist import PROGRESS_COLUMN, PROGRESS_ROLE
from ui.startup import ui_settings

ROOT = Path(__file__).resolve().parents[2]
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videos")
    return [make_video(folder / "a_first.mp4", 4, size=(64, 48)), make_video(folder / "b_second.mp4", 3, size=(64, 48))]


def open_window(qtbot, home: DataHome, db) -> MainWindow:
    window = MainWindow(home, db, ui_settings(home))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def home(isolated_home):
    return DataHome.resolve(isolated_home)


@pytest.fixture
def db(home):
    database = ProcessedDB(home.db_path)
    yield database
    database.close()


@pytest.fixture
def window(qtbot, home, db, tmp_path, videos):
    win = open_window(qtbot, home, db)
    win.export_panel.folder_edit.setText(str(tmp_path / "export"))
    win.export_panel.length_spin.setValue(1.0)
    win.add_to_playlist(videos)
    yield win
    win.close()


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window.timeline, key, modifier)


def export_with_e(qtbot, window):
    before = len(window.timeline.markers())
    press(qtbot, window, Qt.Key.Key_E)
    qtbot.waitUntil(lambda: window._export_task is None and len(window.timeline.markers()) != before, timeout=20000)


def marker_point(window, seconds):
    return QPoint(round(window.timeline.x_at(seconds)), 30)


def clip_files(tmp_path):
    return sorted(p for p in (tmp_path / "export").rglob("*.mp4"))


def test_first_file_loads_and_keys_step_frames_and_seconds(qtbot, window, videos):
    assert window.current_video == videos[0]
    press(qtbot, window, Qt.Key.Key_L)
    assert window.player.position() == pytest.approx(1 / 25)
    press(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert window.player.position() == pytest.approx(1 + 1 / 25)
    press(qtbot, window, Qt.Key.Key_J)
    press(qtbot, window, Qt.Key.Key_Left)
    assert window.player.position() == pytest.approx(1 - 1 / 25)
    assert window.timeline.cursor() == pytest.approx(window.player.position())
    assert "0:00.96" in window.player.time_label.text()


def test_space_plays_and_pauses_and_the_cursor_follows(qtbot, window):
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.player.is_playing() and window.player.position() > 0.2, timeout=5000)
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not window.player.is_playing())
    assert window.timeline.cursor() == pytest.approx(window.player.position())


def test_e_exports_clips_that_appear_as_markers(qtbot, window, tmp_path):
    window.export_panel.count_spin.setValue(2)
    window.export_panel.spread_spin.setValue(0.5)
    press(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    press(qtbot, window, Qt.Key.Key_E)
    row = window.playlist.topLevelItem(0)
    assert row.data(PROGRESS_COLUMN, PROGRESS_ROLE) == 0.0  # the file's row shows the export under way
    qtbot.waitUntil(lambda: window._export_task is None, timeout=20000)
    assert row.data(PROGRESS_COLUMN, PROGRESS_ROLE) is None
    files = clip_files(tmp_path)
    assert [f.name for f in files] == ["clip_001_01.mp4", "clip_001_02.mp4"]
    assert files[0].parent.name == "vid_001"
    [marker] = window.timeline.markers()
    assert marker.time == pytest.approx(1.0) and marker.clip_count == 2
    assert window.export_panel.destination_label.text() == "→ vid_001, next 002"
    assert window.playlist.topLevelItem(0).text(1) == "2"


def test_shortcuts_are_typed_into_a_text_field(qtbot, window):
    field = window.export_panel.label_edit
    qtbot.mouseClick(field, LEFT)
    qtbot.keyClicks(field, "el ")
    qtbot.keyClick(field, Qt.Key.Key_Left)
    assert field.text() == "el "
    assert window._export_task is None and window.player.position() == 0.0
    qtbot.mouseClick(window.timeline, LEFT, pos=marker_point(window, 2.0))  # focus back on the timeline
    press(qtbot, window, Qt.Key.Key_L)
    assert window.player.position() == pytest.approx(2.0 + 1 / 25, abs=0.05)


def test_double_click_marker_overwrites_it_in_place(qtbot, window, tmp_path):
    export_with_e(qtbot, window)
    [first] = clip_files(tmp_path)
    first_bytes = first.stat().st_mtime_ns
    press(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # the cursor moves away
    qtbot.mouseDClick(window.timeline, LEFT, pos=marker_point(window, 0.0))
    assert window.export_panel.overwrite_label.isVisible()
    assert window.player.position() == 0.0
    press(qtbot, window, Qt.Key.Key_E)
    qtbot.waitUntil(
        lambda: window._export_task is None and not window.export_panel.overwrite_label.isVisible(), timeout=20000
    )
    assert clip_files(tmp_path) == [first] and first.stat().st_mtime_ns != first_bytes
    assert len(window.timeline.markers()) == 1


def test_escape_leaves_overwrite_mode(qtbot, window):
    export_with_e(qtbot, window)
    qtbot.mouseDClick(window.timeline, LEFT, pos=marker_point(window, 0.0))
    press(qtbot, window, Qt.Key.Key_Escape)
    assert not window.export_panel.overwrite_label.isVisible()


def test_right_click_marker_deletes_after_confirmation(qtbot, window, tmp_path, monkeypatch):
    export_with_e(qtbot, window)
    answers = iter([QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes])
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: next(answers))
    qtbot.mouseClick(window.timeline, Qt.MouseButton.RightButton, pos=marker_point(window, 0.0))
    assert len(clip_files(tmp_path)) == 1  # declined: nothing removed
    qtbot.mouseClick(window.timeline, Qt.MouseButton.RightButton, pos=marker_point(window, 0.0))
    assert clip_files(tmp_path) == [] and window.timeline.markers() == []


def test_m_jumps_to_next_marker_and_n_to_next_file(qtbot, window, videos):
    press(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    export_with_e(qtbot, window)
    window.seek(0.0)
    press(qtbot, window, Qt.Key.Key_M)
    assert window.player.position() == pytest.approx(1.0)
    loaded = []
    window.video_loaded.connect(loaded.append)
    press(qtbot, window, Qt.Key.Key_N)
    assert loaded == [videos[1]] and window.current_video == videos[1]
    assert window.timeline.markers() == []


def test_profiles_keep_their_own_markers(qtbot, window, monkeypatch):
    export_with_e(qtbot, window)
    changes = []
    window.profile_changed.connect(changes.append)
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("birds", True))
    qtbot.mouseClick(window.profiles.add_button, LEFT)
    assert window.profile == "birds" and changes == ["birds"]
    assert window.timeline.markers() == []
    assert window.playlist.topLevelItem(0).text(1) == ""
    window.profiles.combo.setCurrentText("default")
    assert len(window.timeline.markers()) == 1


def test_playlist_hide_is_persisted(qtbot, window, home, db, videos):
    window.playlist.setFocus()
    window.playlist.setCurrentItem(window.playlist.topLevelItem(1))
    qtbot.keyClick(window.playlist, Qt.Key.Key_Delete)
    assert window.playlist_paths() == [videos[0]]
    window.close()
    reopened = open_window(qtbot, home, db)
    assert reopened.playlist_paths() == [videos[0]]
    assert reopened.playlist.all_paths() == videos  # still listed, shown only with View → Show hidden files


def test_choices_and_session_persist(qtbot, window, home, db, videos):
    window.export_panel.count_spin.setValue(3)
    window.export_panel.portrait_combo.setCurrentText("9:16")
    window.playlist_dock.close()
    window.close()
    reopened = open_window(qtbot, home, db)
    reopened.restore_layout()
    assert reopened.export_panel.count_spin.value() == 3
    assert reopened.export_panel.portrait_combo.currentText() == "9:16"
    assert reopened.current_video == videos[0]
    assert reopened.playlist_dock.isHidden()  # dock layout (and geometry) restored


def test_export_without_folder_explains_itself(qtbot, window, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    window.export_panel.folder_edit.clear()
    press(qtbot, window, Qt.Key.Key_E)
    assert len(shown) == 1 and "export folder" in shown[0]


def test_show_task_reports_progress_and_cancels(qtbot, window):
    import threading

    from ui.background import run_in_background

    shown = threading.Event()  # progress reported only once the indicator listens, as real work would

    def work(progress, cancel):
        shown.wait(10)
        progress(0.5, "half way")
        cancel.wait(10)
        from core.errors import Cancelled

        raise Cancelled()

    task = run_in_background(work)
    window.show_task(task, "Testing…")
    shown.set()
    qtbot.waitUntil(lambda: window.task_indicator.bar.value() == 500)
    assert window.task_indicator.isVisible()
    qtbot.mouseClick(window.task_indicator.cancel_button, LEFT)
    qtbot.waitUntil(lambda: not window.task_indicator.isVisible())


def test_help_key_lists_shortcuts(qtbot, window, monkeypatch):
    shown = []
    monkeypatch.setattr("ui.main_window.ShortcutsDialog.exec", lambda dialog: shown.append(dialog.table.rowCount()))
    press(qtbot, window, Qt.Key.Key_F1)
    qtbot.keyClick(window.timeline, "?", Qt.KeyboardModifier.ShiftModifier)  # Shift+/ on a US layout
    assert len(shown) == 2 and shown[0] >= 10


@pytest.mark.slow
def test_window_opens_without_torch_or_transformers():
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from core.home import DataHome\n"
        "from core.db import ProcessedDB\n"
        "from ui.main_window import MainWindow\n"
        "from ui.scan_workbench import ScanWorkbench\n"
        "from ui.startup import ui_settings\n"
        "home = DataHome.resolve()\n"
        "window = MainWindow(home, ProcessedDB(home.db_path), ui_settings(home))\n"
        "ScanWorkbench(window)\n"
        "window.show()\n"
        "print(','.join(m for m in ('torch', 'transformers') if m in sys.modules) or 'clean')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert out.stdout.strip().splitlines()[-1] == "clean", out.stderr


def test_qt_bindings_keep_none_alive(qtbot):
    """PySide6 6.12.0 on Python 3.11 drops a reference to None on every call of a void Qt method: the
    running app aborts ("deallocating None") after a few hundred seeks or repaints. 6.11.x is sound."""
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(1000):
        label.setText("x")
    assert sys.getrefcount(None) - before > -100


def test_profiles_made_outside_the_window_are_offered(qtbot, home, db):
    db.add("a.mp4", 1.0, "/x/mp4_Door/vid_001/door_001_01.mp4", profile="from_cli")
    win = open_window(qtbot, home, db)
    assert "from_cli" in win.profiles.names() and win.profile == "default"
    win.close()


def test_closing_the_window_cancels_and_waits_for_every_running_task(qtbot, home, db):
    """A scan (or scan export) still running when the window closes must stop before the database closes:
    it used to get 10 s and then have the database closed under it."""
    import threading
    import time

    from core.errors import Cancelled
    from ui.background import run_in_background

    stopped = threading.Event()

    def long_scan(_progress, cancel):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if cancel.wait(0.05):
                stopped.set()
                raise Cancelled()
        db.get_hidden_files()  # what a scan does at its end: use the database

    window = open_window(qtbot, home, db)
    run_in_background(long_scan)
    began = time.monotonic()
    window.close()
    assert stopped.is_set() and time.monotonic() - began < 5


# ---- the review loop (issue 13) ------------------------------------------------------------------


@pytest.fixture
def reviewing(qtbot, window, db, videos):
    """The window with the scan tools and two scan regions of the loaded video, the first row selected."""
    from ui.scan_workbench import ScanWorkbench

    db.save_scan_results(videos[0].name, "default", "MEL", [(1.0, 2.0, 0.9), (2.5, 3.5, 0.8)])
    bench = ScanWorkbench(window)
    bench.dock.show()  # docked after the window was shown
    window.activateWindow()
    qtbot.waitActive(window)
    table = bench.panel._current_table()
    rect = table.visualItemRect(table.item(0, 2))
    qtbot.mouseClick(table.viewport(), LEFT, pos=rect.center())
    assert window.focusWidget() is table
    return bench


def test_playback_keys_work_while_the_region_table_has_focus(qtbot, window, reviewing):
    table = reviewing.panel._current_table()
    assert window.player.position() == pytest.approx(1.0)  # picking the row went to its start
    qtbot.keyClick(table, Qt.Key.Key_L)
    qtbot.keyClick(table, Qt.Key.Key_Right)
    assert window.player.position() == pytest.approx(1.0 + 2 / 25)
    qtbot.keyClick(table, Qt.Key.Key_J)
    qtbot.keyClick(table, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert window.player.position() == pytest.approx(1 / 25)
    qtbot.keyClick(table, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.player.is_playing() and window.player.position() > 0.3, timeout=5000)
    qtbot.keyClick(table, Qt.Key.Key_K)  # pause and back to where playback started
    assert not window.player.is_playing()
    assert window.player.position() == pytest.approx(1 / 25)


def test_s_goes_to_the_next_scan_region_and_selects_it(qtbot, window, reviewing):
    table = reviewing.panel._current_table()
    ids = [region.id for region in reviewing.panel.current_regions()]
    assert window.timeline.selected_region() == ids[0]  # the selected row is outlined on the timeline
    qtbot.keyClick(table, Qt.Key.Key_S)
    assert window.player.position() == pytest.approx(2.5)
    assert reviewing.panel._current_tab().selected_rows() == [1]
    assert window.timeline.selected_region() == ids[1]
    qtbot.keyClick(table, Qt.Key.Key_S)
    assert window.statusBar().currentMessage() == "No further scan region after the cursor."


def test_help_is_the_whole_shortcut_table_and_undo_lives_in_edit(qtbot, window, reviewing, monkeypatch):
    from ui.shortcuts import SHORTCUTS, ShortcutsDialog, keys_label

    shown = []
    monkeypatch.setattr("ui.main_window.ShortcutsDialog.exec", lambda dialog: shown.append(dialog))
    qtbot.keyClick(reviewing.panel._current_table(), "?", Qt.KeyboardModifier.ShiftModifier)
    [dialog] = shown
    keys = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert isinstance(dialog, ShortcutsDialog) and keys[: len(SHORTCUTS)] == [keys_label(s.action) for s in SHORTCUTS]
    for key in (
        "1 … 9",
        "Delete / Backspace",
        "Ctrl+Z",
        "Ctrl+Shift+Z / Ctrl+Y",
        "Ctrl+T",
        "Ctrl+Shift+S",
        "Ctrl+Shift+A",
        "Ctrl+O",
        "S",
        "K",
    ):
        assert key in keys
    edit = [a.text().replace("&", "") for a in window.edit_menu.actions() if not a.isSeparator()]
    assert edit[:2] == ["Undo", "Redo"]
    assert [s.toString() for s in reviewing.panel.redo_action.shortcuts()] == ["Ctrl+Shift+Z", "Ctrl+Y"]
    assert not any("Undo" in a.text() for a in window.scan_menu.actions())

    qtbot.keyClick(reviewing.panel._current_table(), Qt.Key.Key_Delete)
    assert reviewing.panel.current_regions()[0].disabled
    qtbot.keyClick(window.timeline, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not reviewing.panel.current_regions()[0].disabled


def test_e_in_review_mode_says_why_it_does_not_export(qtbot, window, tmp_path):
    window.review_action.trigger()
    press(qtbot, window, Qt.Key.Key_E)
    assert window._export_task is None and clip_files(tmp_path) == []
    assert window.statusBar().currentMessage().startswith("Review mode hides markers")


def test_enter_deleting_a_marker_keeps_it(qtbot, window, tmp_path):
    """The confirmation defaults to No: Enter must not delete files from disk."""

    export_with_e(qtbot, window)

    press_enter_on_message_box_soon(qtbot)
    qtbot.mouseClick(window.timeline, Qt.MouseButton.RightButton, pos=marker_point(window, 0.0))
    assert len(clip_files(tmp_path)) == 1 and len(window.timeline.markers()) == 1


def test_each_profile_keeps_its_own_export_settings(qtbot, window, home, db, monkeypatch, tmp_path):
    panel = window.export_panel
    panel.label_edit.setText("chirp")
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("dog", True))
    qtbot.mouseClick(window.profiles.add_button, LEFT)
    assert (panel.folder_edit.text(), panel.label_edit.text()) == ("", "")  # a new profile starts clean
    assert panel.destination_label.text() == "Choose an export folder"
    panel.folder_edit.setText(str(tmp_path / "dogs"))
    panel.label_edit.setText("bark")
    window.profiles.combo.setCurrentText("default")
    assert (panel.folder_edit.text(), panel.label_edit.text()) == (str(tmp_path / "export"), "chirp")
    window.close()
    reopened = open_window(qtbot, home, db)  # reopens on "default"
    reopened.profiles.combo.setCurrentText("dog")
    assert reopened.export_panel.label_edit.text() == "bark"
    reopened.close()


def test_enter_in_the_playlist_opens_the_file(qtbot, window, videos):
    rect = window.playlist.visualItemRect(window.playlist.topLevelItem(1))
    qtbot.mouseClick(window.playlist.viewport(), LEFT, pos=rect.center())
    qtbot.keyClick(window.playlist, Qt.Key.Key_Return)
    assert window.current_video == videos[1]


def test_opening_a_non_video_says_so(qtbot, window, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    window.add_to_playlist([notes])
    assert window.statusBar().currentMessage() == "Not a video, left out: notes.txt"


def test_export_controls_fit_their_dock_on_first_use(qtbot, window):
    """A video is loaded, no folder yet: the hint says what is missing and does not widen the panel."""
    window.export_panel.folder_edit.clear()
    assert window.export_panel.destination_label.text() == "Choose an export folder"
    window.export_panel.set_destination_info("a hint far longer than the dock is wide, " * 3)  # any font
    scroller = window.export_dock.widget()
    qtbot.wait(100)  # the scroll area lays the panel out again
    panel = window.export_panel
    assert panel.width() <= scroller.viewport().width()
    for widget in (panel.browse_button, panel.length_spin, panel.short_side_spin):
        right = widget.mapTo(panel, widget.rect().topRight()).x()
        assert right < scroller.viewport().width(), widget
