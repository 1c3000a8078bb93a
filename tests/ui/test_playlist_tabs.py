"""Playlist tabs in the window: own export folder, warning, duplicate, separators, missing files, hide
exported, delete from disk, and all of it after a restart."""

import shutil

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from tests.media_factory import make_video
from tests.ui.menus import click_menu_item_soon, press_enter_on_message_box_soon
from tests.ui.test_main_window import LEFT, db, export_with_e, home, open_window, videos, window
from ui.playlist import FILE_COLUMN, SEPARATOR_ROLE


def tab_point(window, index):
    return window.playlist_tabs.tab_bar.tabRect(index).center()


def row_point(playlist, row):
    return playlist.visualItemRect(playlist.topLevelItem(row)).center()


def context_menu(qtbot, playlist, row, entry, seen=None):
    """Right-click a row (selecting it first, as a right-click does) and pick `entry`."""
    qtbot.mouseClick(playlist.viewport(), LEFT, pos=row_point(playlist, row))
    click_menu_item_soon(qtbot, entry, seen)
    playlist.customContextMenuRequested.emit(row_point(playlist, row))


def double_click(qtbot, playlist, row):
    qtbot.mouseClick(playlist.viewport(), LEFT, pos=row_point(playlist, row))  # a real double click starts
    qtbot.mouseDClick(playlist.viewport(), LEFT, pos=row_point(playlist, row))  # with a press


def new_tab(qtbot, window, monkeypatch, name):
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: (name, True))
    qtbot.mouseClick(window.playlist_tabs.new_tab_button, LEFT)


def test_each_tab_has_its_own_files_and_export_folder_and_warns_about_a_foreign_video(
    qtbot, window, monkeypatch, tmp_path, videos
):
    tabs, panel = window.playlist_tabs, window.export_panel
    new_tab(qtbot, window, monkeypatch, "Steps")
    assert tabs.tab_bar.count() == 2 and window.playlist.all_paths() == []
    assert "not in the tab “Steps”" in tabs.warning()  # a_first.mp4 is loaded, from the first tab
    panel.folder_edit.setText(str(tmp_path / "steps"))
    assert "export it into steps" in tabs.warning()  # the tab follows the folder chosen in it
    window.add_to_playlist([videos[1]])
    qtbot.mouseClick(tabs.tab_bar, LEFT, pos=tab_point(window, 0))
    assert window.playlist.all_paths() == videos and panel.export_folder() == (tmp_path / "export").resolve()
    assert tabs.warning() is None
    qtbot.mouseClick(tabs.tab_bar, LEFT, pos=tab_point(window, 1))
    assert window.playlist.all_paths() == [videos[1]] and panel.export_folder() == (tmp_path / "steps").resolve()
    assert tabs.folder_label.text() == "→ steps"
    double_click(qtbot, window.playlist, 0)
    qtbot.waitUntil(lambda: window.current_video == videos[1])
    assert tabs.warning() is None


def test_duplicate_and_rename_a_tab_from_its_menu(qtbot, window, monkeypatch, videos):
    tabs = window.playlist_tabs
    seen = []
    click_menu_item_soon(qtbot, "Duplicate", seen)
    tabs.tab_bar.customContextMenuRequested.emit(tab_point(window, 0))
    assert seen == ["Rename…", "Duplicate", "", "Close tab"]
    assert [tabs.tab_bar.tabText(i) for i in range(2)] == ["Playlist", "Playlist (copy)"]
    assert tabs.tab_bar.currentIndex() == 1 and window.playlist.all_paths() == videos
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("Doors", True))
    click_menu_item_soon(qtbot, "Rename")
    tabs.tab_bar.customContextMenuRequested.emit(tab_point(window, 1))
    assert tabs.tab_bar.tabText(1) == "Doors"
    click_menu_item_soon(qtbot, "Close tab")
    tabs.tab_bar.customContextMenuRequested.emit(tab_point(window, 1))
    assert tabs.tab_bar.count() == 1 and window.playlist.all_paths() == videos


def test_separators_are_inserted_renamed_removed_and_skipped(qtbot, window, monkeypatch, videos):
    playlist = window.playlist
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("Season 2", True))
    context_menu(qtbot, playlist, 1, "Insert separator")
    separator = playlist.topLevelItem(1)
    assert separator.data(FILE_COLUMN, SEPARATOR_ROLE) == "Season 2" and "Season 2" in separator.text(0)
    assert playlist.all_paths() == videos
    qtbot.keyClick(window.timeline, Qt.Key.Key_N)  # N skips the separator
    assert window.current_video == videos[1]
    double_click(qtbot, playlist, 1)  # a separator opens nothing
    assert window.current_video == videos[1]
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("Extras", True))
    context_menu(qtbot, playlist, 1, "Rename separator")
    assert playlist.topLevelItem(1).data(FILE_COLUMN, SEPARATOR_ROLE) == "Extras"
    context_menu(qtbot, playlist, 1, "Remove separator")
    assert playlist.topLevelItemCount() == 2


def test_hide_exported_leaves_out_files_with_clips(qtbot, window, videos):
    export_with_e(qtbot, window)
    box = window.playlist_tabs.hide_exported_box
    qtbot.mouseClick(box, LEFT, pos=QPoint(8, box.height() // 2))
    assert box.isChecked()
    assert window.playlist.topLevelItem(0).isHidden() and not window.playlist.topLevelItem(1).isHidden()
    assert window.playlist.next_path() == videos[1]
    qtbot.mouseClick(box, LEFT, pos=QPoint(8, box.height() // 2))
    assert not window.playlist.topLevelItem(0).isHidden()


def test_missing_files_are_flagged_not_dropped(qtbot, window, home, db, tmp_path):
    gone = make_video(tmp_path / "gone.mp4", 1, size=(64, 48))
    window.add_to_playlist([gone])
    gone.unlink()
    window.close()
    reopened = open_window(qtbot, home, db)
    item = reopened.playlist.topLevelItem(2)
    assert reopened.playlist.all_paths()[2] == gone.resolve()
    assert "File not found" in item.toolTip(0) and not item.icon(0).isNull()
    reopened.close()


def test_delete_from_disk_asks_with_no_as_default(qtbot, window, monkeypatch, tmp_path, videos):
    copy = tmp_path / "copy.mp4"
    shutil.copy(videos[1], copy)
    window.add_to_playlist([copy])
    playlist = window.playlist
    asked: list[str] = []
    press_enter_on_message_box_soon(qtbot, asked)
    context_menu(qtbot, playlist, 2, "Delete 1 file(s) from disk")
    assert "copy.mp4" in asked[0] and copy.exists()  # Enter = No

    double_click(qtbot, playlist, 2)
    qtbot.waitUntil(lambda: window.current_video == copy.resolve())
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    context_menu(qtbot, playlist, 2, "Delete 1 file(s) from disk")
    assert not copy.exists() and playlist.all_paths() == videos and window.current_video is None


def test_tabs_and_their_content_survive_a_restart(qtbot, window, home, db, monkeypatch, tmp_path, videos):
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("Season 2", True))
    context_menu(qtbot, window.playlist, 1, "Insert separator")
    new_tab(qtbot, window, monkeypatch, "Steps")
    window.export_panel.folder_edit.setText(str(tmp_path / "steps"))
    window.add_to_playlist([videos[1]])
    box = window.playlist_tabs.hide_exported_box
    qtbot.mouseClick(box, LEFT, pos=QPoint(8, box.height() // 2))
    window.close()

    reopened = open_window(qtbot, home, db)
    tabs = reopened.playlist_tabs
    assert [tabs.tab_bar.tabText(i) for i in range(tabs.tab_bar.count())] == ["Playlist", "Steps"]
    assert reopened.playlist.all_paths() == videos and reopened.playlist.topLevelItemCount() == 3
    qtbot.mouseClick(tabs.tab_bar, LEFT, pos=tabs.tab_bar.tabRect(1).center())
    assert reopened.playlist.all_paths() == [videos[1]] and tabs.hide_exported_box.isChecked()
    assert reopened.export_panel.export_folder() == (tmp_path / "steps").resolve()
    reopened.close()


def test_the_playlist_of_an_older_version_becomes_the_first_tab(qtbot, home, db, videos):
    from ui.startup import ui_settings

    settings = ui_settings(home)
    settings.setValue("session/playlist", [str(p) for p in videos])
    settings.sync()
    win = open_window(qtbot, home, db)
    assert win.playlist_tabs.tab_bar.tabText(0) == "Playlist" and win.playlist.all_paths() == videos
    assert [tab["name"] for tab in db.get_playlist_tabs()] == ["Playlist"]
    win.close()


def test_dragging_a_tab_keeps_the_new_order(qtbot, window, home, db, monkeypatch, videos):
    new_tab(qtbot, window, monkeypatch, "Steps")
    window.add_to_playlist([videos[1]])
    bar = window.playlist_tabs.tab_bar
    bar.moveTab(1, 0)  # what a drag of the tab does
    assert [bar.tabText(i) for i in range(2)] == ["Steps", "Playlist"]
    assert window.playlist.all_paths() == [videos[1]]
    qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(1).center())
    assert window.playlist.all_paths() == videos
    assert [tab["name"] for tab in db.get_playlist_tabs()] == ["Steps", "Playlist"]
