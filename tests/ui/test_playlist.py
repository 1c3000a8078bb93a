"""Playlist: adding files and folders, drag and drop, next file, hiding (persisted), counts, progress."""

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from ui.playlist import PROGRESS_COLUMN, PROGRESS_ROLE, Playlist, video_files


@pytest.fixture
def media(tmp_path):
    folder = tmp_path / "media"
    folder.mkdir()
    for name in ("b.mp4", "a.MKV", "notes.txt", "c.mov"):
        (folder / name).write_bytes(b"x")
    return folder


@pytest.fixture
def playlist(qtbot, db):
    widget = Playlist(db)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_folder_gives_its_videos_sorted_and_duplicates_are_skipped(playlist, media):
    added = playlist.add_paths([media])
    assert [p.name for p in added] == ["a.MKV", "b.mp4", "c.mov"]
    assert playlist.add_paths([media / "b.mp4", media / "notes.txt"]) == []
    assert video_files([media / "notes.txt"]) == []


def test_next_path_walks_visible_files(playlist, media):
    a, b, c = playlist.add_paths([media])
    assert playlist.next_path() == a
    playlist.set_current(a)
    playlist.hide_paths([b])
    assert playlist.next_path() == c
    playlist.set_current(c)
    assert playlist.next_path() is None


def test_hidden_files_are_persisted_and_can_be_shown_and_unhidden(qtbot, playlist, media, db):
    a, b, c = playlist.add_paths([media])
    playlist.hide_paths([b])
    assert playlist.paths() == [a, c]
    assert playlist.topLevelItem(1).isHidden()
    reopened = Playlist(db)
    qtbot.addWidget(reopened)
    reopened.add_paths([media])
    assert reopened.paths() == [a, c] and reopened.is_hidden(b)
    reopened.set_show_hidden(True)
    assert not reopened.topLevelItem(1).isHidden() and reopened.topLevelItem(1).font(0).italic()
    reopened.unhide_paths([b])
    assert Playlist(db).is_hidden(b) is False


def test_clip_counts_and_progress_column(playlist, media):
    playlist.add_paths([media])
    playlist.set_clip_counts({"b.mp4": 4})
    assert [playlist.topLevelItem(i).text(1) for i in range(3)] == ["", "4", ""]
    playlist.set_progress(media.resolve() / "c.mov", 0.25)
    assert playlist.topLevelItem(2).data(PROGRESS_COLUMN, PROGRESS_ROLE) == 0.25
    playlist.grab()  # the delegate paints the bar
    playlist.set_progress(media.resolve() / "c.mov", None)
    assert playlist.topLevelItem(2).data(PROGRESS_COLUMN, PROGRESS_ROLE) is None


def test_dropping_files_adds_them_and_opens_the_first(qtbot, playlist, media):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(media / "c.mov")), QUrl.fromLocalFile(str(media / "notes.txt"))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    with qtbot.waitSignal(playlist.file_activated) as activated:
        playlist.dropEvent(event)
    assert activated.args[0].name == "c.mov"
    assert [p.name for p in playlist.paths()] == ["c.mov"]


def test_double_click_activates_a_file(qtbot, playlist, media):
    playlist.add_paths([media])
    rect = playlist.visualItemRect(playlist.topLevelItem(1))
    qtbot.mouseClick(playlist.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a real double
    with qtbot.waitSignal(playlist.file_activated) as activated:  # click starts with a press
        qtbot.mouseDClick(playlist.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert activated.args[0].name == "b.mp4"


def test_dropped_non_videos_are_reported(qtbot, playlist, media):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(media / "notes.txt")), QUrl.fromLocalFile(str(media / "b.mp4"))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    with qtbot.waitSignal(playlist.files_rejected) as rejected:
        playlist.dropEvent(event)
    assert [p.name for p in rejected.args[0]] == ["notes.txt"]


def test_enter_opens_the_selected_file(qtbot, playlist, media):
    playlist.add_paths([media])
    rect = playlist.visualItemRect(playlist.topLevelItem(2))
    qtbot.mouseClick(playlist.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(playlist.file_activated) as activated:
        qtbot.keyClick(playlist, Qt.Key.Key_Return)
    assert activated.args[0].name == "c.mov"


def test_files_can_be_removed_from_the_playlist(qtbot, playlist, media, db):
    a, b, c = playlist.add_paths([media])
    rect = playlist.visualItemRect(playlist.topLevelItem(1))
    qtbot.mouseClick(playlist.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    playlist.remove_action(playlist).trigger()
    assert playlist.all_paths() == [a, c]
    assert not playlist.is_hidden(b) and db.get_hidden_files() == []  # removed, not hidden


def test_entries_keep_separators_and_skip_them_as_files(qtbot, playlist, media):
    from core.playlist_tabs import Entry

    a, b, c = playlist.add_paths([media])
    playlist.insert_separator(1, " Season 2 ")
    entries = playlist.entries()
    assert entries == [Entry(a), Entry(separator="Season 2"), Entry(b), Entry(c)]
    assert playlist.all_paths() == [a, b, c]
    playlist.set_entries(entries[::-1])
    assert playlist.all_paths() == [c, b, a] and playlist.entries()[2].separator == "Season 2"


def test_hide_exported_follows_the_clip_counts(qtbot, playlist, media):
    a, _b, c = playlist.add_paths([media])
    playlist.set_hide_exported(True)
    playlist.set_clip_counts({"b.mp4": 2})
    assert playlist.topLevelItem(1).isHidden() and playlist.next_path() == a
    playlist.set_current(a)
    assert playlist.next_path() == c
    playlist.set_clip_counts({})
    assert not playlist.topLevelItem(1).isHidden()
