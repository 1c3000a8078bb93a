"""Extract audio (Ctrl+Shift+E) and re-export from the Edit menu, driven through the main window."""

import wave
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.db import ProcessedDB
from core.home import DataHome
from tests.media_factory import SR, make_video
from tests.test_ltx2_export import ffmpeg_facts
from ui.cut_tools import CutTools
from ui.main_window import MainWindow
from ui.startup import ui_settings

Yes, No = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("videos") / "door.mp4", 4, size=(64, 48))


@pytest.fixture
def window(qtbot, isolated_home, tmp_path, video):
    home = DataHome.resolve(isolated_home)
    db = ProcessedDB(home.db_path)
    win = MainWindow(home, db, ui_settings(home))
    win.cut_tools = CutTools(win)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.export_panel.folder_edit.setText(str(tmp_path / "export"))
    win.export_panel.length_spin.setValue(1.0)
    win.add_to_playlist([video])
    yield win
    win.close()
    db.close()


def trigger_from_edit_menu(qtbot, window, action) -> None:
    """Open the Edit menu with Alt+E and pick the action with its mnemonic, as a keyboard user would."""
    menu = window.edit_menu
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(menu.isVisible)
    mnemonic = action.text().split("&")[1][0]
    qtbot.keyClick(menu, mnemonic.lower())


def idle(window) -> bool:
    return window.cut_tools._task is None


def test_ctrl_shift_e_saves_the_clip_length_of_audio_from_the_cursor(qtbot, window, tmp_path, monkeypatch):
    asked = []
    target = tmp_path / "slices" / "door_hit"
    target.parent.mkdir()

    def save_dialog(parent, caption, suggested, filters):
        asked.append((caption, suggested))
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    window.player.seek(1.5)
    qtbot.keyClick(
        window.timeline, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.waitUntil(lambda: idle(window) and target.with_suffix(".wav").exists(), timeout=20000)
    assert asked[0][0] == "Extract 1 s of audio from 0:01.50" and asked[0][1].endswith("door_1.50s.wav")
    with wave.open(str(target.with_suffix(".wav")), "rb") as wav:
        assert (wav.getframerate(), wav.getnframes()) == (SR, SR)
    assert "16000 samples" in window.statusBar().currentMessage()


def test_extract_audio_past_the_end_says_why(qtbot, window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "late.wav"), ""))
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    window.player.seek(3.5)
    trigger_from_edit_menu(qtbot, window, window.cut_tools.extract_audio_action)
    qtbot.waitUntil(lambda: idle(window) and bool(shown), timeout=20000)
    assert "does not fit" in shown[0] and not (tmp_path / "late.wav").exists()


def export_two_markers(qtbot, window):
    for at in (0.5, 2.0):
        window.player.seek(at)
        qtbot.keyClick(window.timeline, Qt.Key.Key_E)
        qtbot.waitUntil(lambda: window._export_task is None, timeout=20000)
    return sorted((Path(window.export_panel.folder_edit.text())).rglob("*.mp4"))


def test_reexport_video_asks_first_then_applies_the_new_resize(qtbot, window, monkeypatch):
    clips = export_two_markers(qtbot, window)
    rows_before = window.db.get_clips("door.mp4")
    answers = iter([No, Yes])
    questions = []

    def question(parent, title, text, buttons, default):
        questions.append((text, default))
        return next(answers)

    monkeypatch.setattr(QMessageBox, "question", question)
    window.export_panel.short_side_spin.setValue(32)
    trigger_from_edit_menu(qtbot, window, window.cut_tools.reexport_video_action)
    assert {ffmpeg_facts(p)[2:] for p in clips} == {(64, 48)}  # No: nothing changed
    trigger_from_edit_menu(qtbot, window, window.cut_tools.reexport_video_action)
    qtbot.waitUntil(lambda: idle(window) and "Re-encoded" in window.statusBar().currentMessage(), timeout=20000)
    assert "2 door.mp4's clip(s)" in questions[0][0] and questions[0][1] == No
    assert {ffmpeg_facts(p)[2:] for p in clips} == {(42, 32)}
    assert [(r["id"], r["output_path"]) for r in window.db.get_clips("door.mp4")] == [
        (r["id"], r["output_path"]) for r in rows_before
    ]
    assert len(window.timeline.markers()) == 2


@pytest.mark.slow
def test_reexport_folder_in_ltx2_mode(qtbot, window, monkeypatch):
    clips = export_two_markers(qtbot, window)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: Yes)
    window.export_panel.ltx2_check.setChecked(True)
    window.export_panel.short_side_spin.setValue(64)
    trigger_from_edit_menu(qtbot, window, window.cut_tools.reexport_folder_action)
    qtbot.waitUntil(lambda: idle(window) and "Re-encoded" in window.statusBar().currentMessage(), timeout=20000)
    assert {ffmpeg_facts(p) for p in clips} == {(25, "25/1", 64, 64)}  # 85x64 → 64x64


def test_reexport_without_clips_explains_itself(qtbot, window, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    trigger_from_edit_menu(qtbot, window, window.cut_tools.reexport_folder_action)
    assert shown and "No clips in" in shown[0]
