"""Profiles renamed, duplicated and deleted from the toolbar's ⋯ menu; subprofiles on keys 1–9."""

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from tests.ui.menus import click_menu_item_soon, press_enter_on_message_box_soon
from tests.ui.test_main_window import LEFT, db, export_with_e, home, open_window, press, videos, window
from ui.subprofiles import subprofile_colour


def test_rename_carries_markers_settings_and_survives_a_restart(qtbot, window, home, db, monkeypatch):
    export_with_e(qtbot, window)
    window.export_panel.label_edit.setText("slam")
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("doors", True))
    changes = []
    window.profile_changed.connect(changes.append)
    click_menu_item_soon(qtbot, "Rename")
    qtbot.mouseClick(window.profiles.menu_button, LEFT)
    assert window.profile == "doors" and window.profiles.names() == ["doors"] and changes == ["doors"]
    assert len(window.timeline.markers()) == 1 and window.playlist.topLevelItem(0).text(1) == "1"
    assert db.get_clip_counts("doors") and not db.get_clip_counts("default")
    assert window.export_panel.label_edit.text() == "slam"
    window.close()
    reopened = open_window(qtbot, home, db)
    assert reopened.profile == "doors" and reopened.export_panel.label_edit.text() == "slam"
    assert reopened.profiles.names() == ["doors"]
    reopened.close()


def test_rename_to_a_taken_name_is_refused(qtbot, window, monkeypatch):
    window.profiles.add_profile("birds")
    errors = []
    monkeypatch.setattr(window, "show_error", errors.append)
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("default", True))
    click_menu_item_soon(qtbot, "Rename")
    qtbot.mouseClick(window.profiles.menu_button, LEFT)
    assert window.profile == "birds" and "exists already" in errors[0]


def test_duplicate_copies_settings_and_subprofiles_but_not_clips(qtbot, window, db, monkeypatch, tmp_path):
    export_with_e(qtbot, window)
    window.export_panel.label_edit.setText("slam")
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("export_close", True))
    qtbot.mouseClick(window.subprofiles.add_button, LEFT)
    seen = []
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: (kwargs["text"], True))
    click_menu_item_soon(qtbot, "Duplicate", seen)
    qtbot.mouseClick(window.profiles.menu_button, LEFT)
    assert seen == ["Rename…", "Duplicate…", "", "Delete…"]
    assert window.profile == "default (copy)" and window.timeline.markers() == []
    assert window.export_panel.label_edit.text() == "slam"
    assert [f.rsplit("/", 1)[1] for f in window.subprofiles.folders()] == ["export", "export_close"]
    assert window.profiles.names() == ["default", "default (copy)"]


def test_delete_asks_with_no_as_default_then_forgets_the_profile(qtbot, window, db, monkeypatch, tmp_path):
    window.profiles.add_profile("birds")
    window.export_panel.folder_edit.setText(str(tmp_path / "export"))
    export_with_e(qtbot, window)
    asked: list[str] = []
    click_menu_item_soon(qtbot, "Delete")
    press_enter_on_message_box_soon(qtbot, asked)
    qtbot.mouseClick(window.profiles.menu_button, LEFT)
    assert "1 clip record" in asked[0]
    assert window.profile == "birds" and db.get_clip_counts("birds")  # Enter = No: kept

    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    click_menu_item_soon(qtbot, "Delete")
    qtbot.mouseClick(window.profiles.menu_button, LEFT)
    assert window.profiles.names() == ["default"] and window.profile == "default"
    assert "birds" not in db.get_profiles() and not db.get_clip_counts("birds")
    assert list((tmp_path / "export").rglob("*.mp4"))  # the clip files stay


def test_the_last_profile_cannot_be_deleted(qtbot, window, monkeypatch):
    errors = []
    monkeypatch.setattr(window, "show_error", errors.append)
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    click_menu_item_soon(qtbot, "Delete")
    qtbot.mouseClick(window.profiles.menu_button, LEFT)
    assert window.profiles.names() == ["default"] and "only profile" in errors[0]


def test_keys_1_to_9_switch_subprofiles_and_markers_take_their_colour(qtbot, window, monkeypatch, tmp_path):
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("export_close", True))
    qtbot.mouseClick(window.subprofiles.add_button, LEFT)
    panel = window.export_panel
    assert panel.export_folder() == (tmp_path / "export_close").resolve()  # the new variant is chosen
    assert window.subprofiles.combo.currentText() == "2 · export_close"
    export_with_e(qtbot, window)
    press(qtbot, window, Qt.Key.Key_1)
    assert panel.export_folder() == (tmp_path / "export").resolve()
    assert window.subprofiles.combo.currentText() == "1 · export"
    window.seek(2.0)
    export_with_e(qtbot, window)
    first, second = window.timeline.markers()
    assert window.timeline.marker_colour(first) == subprofile_colour(1)  # exported in subprofile 2
    assert window.timeline.marker_colour(second) == subprofile_colour(0)
    assert subprofile_colour(0) != subprofile_colour(1)
    press(qtbot, window, Qt.Key.Key_2)
    assert panel.export_folder() == (tmp_path / "export_close").resolve()

    messages = []
    monkeypatch.setattr(window, "show_message", messages.append)
    press(qtbot, window, Qt.Key.Key_5)
    assert "No subprofile 5" in messages[0] and panel.export_folder() == (tmp_path / "export_close").resolve()

    qtbot.mouseClick(panel.label_edit, LEFT)  # typed into a text field, a digit is a digit
    qtbot.keyClicks(panel.label_edit, "1")
    assert panel.label_edit.text() == "1" and panel.export_folder() == (tmp_path / "export_close").resolve()


def test_typing_another_folder_leaves_the_subprofiles_and_minus_removes_one(qtbot, window, monkeypatch, tmp_path):
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("export_close", True))
    qtbot.mouseClick(window.subprofiles.add_button, LEFT)
    window.export_panel.folder_edit.setText(str(tmp_path / "elsewhere"))
    assert window.subprofiles.combo.currentIndex() == -1 and not window.subprofiles.remove_button.isEnabled()
    press(qtbot, window, Qt.Key.Key_2)
    qtbot.mouseClick(window.subprofiles.remove_button, LEFT)
    assert [f.rsplit("/", 1)[1] for f in window.subprofiles.folders()] == ["export"]
    assert window.db.get_subprofiles("default") == window.subprofiles.folders()


def test_subprofile_chosen_from_its_combo(qtbot, window, monkeypatch, tmp_path):
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("export_close", True))
    qtbot.mouseClick(window.subprofiles.add_button, LEFT)
    qtbot.keyClick(window.subprofiles.combo, Qt.Key.Key_Up)  # a closed combo picks the row above
    assert window.export_panel.export_folder() == (tmp_path / "export").resolve()


def test_profiles_listed_by_an_older_version_move_into_the_database_once(qtbot, home, db):
    from ui.startup import ui_settings

    settings = ui_settings(home)
    settings.setValue("profiles/names", ["default", "birds"])
    settings.sync()
    win = open_window(qtbot, home, db)
    assert win.profiles.names() == ["default", "birds"] and "birds" in db.get_profiles()
    assert ui_settings(home).value("profiles/names") is None
    win.close()
