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
from ui.main_window import MainWindow
from ui.playlist import PROGRESS_COLUMN, PROGRESS_ROLE
from ui.startup import ui_settings

ROOT = Path(__file__).resolve().parents[2]
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videos")
    return [make_video(folder / "a_first.mp4", 4, size=(64, 48)),
            make_video(folder / "b_second.mp4", 3, size=(64, 48))]


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
    qtbot.waitUntil(lambda: window._export_task is None and not window.export_panel.overwrite_label.isVisible(),
                    timeout=20000)
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
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
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
