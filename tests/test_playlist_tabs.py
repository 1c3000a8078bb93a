"""Playlist tabs as data: storage round trip, copy names, the destination warning, deleting a video."""

import os
from pathlib import Path

import pytest

from core.errors import FoleycutError
from core.playlist_tabs import Entry, Tab, copy_name, delete_video_file, destination_warning, load_tabs, save_tabs


def test_tabs_with_files_and_separators_survive_a_round_trip(db, tmp_path):
    tabs = [
        Tab(
            "Doors",
            str(tmp_path / "mp4_Door"),
            True,
            [Entry(tmp_path / "a.mp4"), Entry(separator="Season 2"), Entry(tmp_path / "b.mp4")],
        ),
        Tab("Empty"),
    ]
    save_tabs(db, tabs)
    assert load_tabs(db) == tabs
    save_tabs(db, tabs[1:])  # a save replaces the whole set
    assert load_tabs(db) == [Tab("Empty")]


def test_copy_names_never_clash():
    assert copy_name("Doors", ["Doors"]) == "Doors (copy)"
    assert copy_name("Doors", ["Doors", "Doors (copy)", "Doors (copy 2)"]) == "Doors (copy 3)"


def test_a_copy_is_independent():
    tab = Tab("Doors", "/x", False, [Entry(Path("/a.mp4"))])
    twin = tab.copy("Doors (copy)")
    twin.entries.append(Entry(separator="more"))
    assert tab.entries == [Entry(Path("/a.mp4"))] and twin.export_folder == "/x"


def test_destination_warning_names_the_video_tab_and_folder():
    tab = Tab("Doors", "/clips/mp4_Door", entries=[Entry(Path("/v/a.mp4")), Entry(separator="x")])
    assert destination_warning(tab, Path("/v/a.mp4")) is None
    assert destination_warning(tab, None) is None
    warning = destination_warning(tab, Path("/v/b.mp4"))
    assert "b.mp4" in warning and "Doors" in warning and "mp4_Door" in warning and "\n" not in warning


def test_delete_video_file(tmp_path):
    video = tmp_path / "a.mp4"
    video.write_bytes(b"x")
    delete_video_file(video)
    assert not video.exists()
    delete_video_file(video)  # already gone: nothing to do


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_delete_video_file_that_cannot_be_deleted_says_so(tmp_path):
    video = tmp_path / "locked" / "a.mp4"
    video.parent.mkdir()
    video.write_bytes(b"x")
    video.parent.chmod(0o500)
    try:
        with pytest.raises(FoleycutError, match="Cannot delete"):
            delete_video_file(video)
    finally:
        video.parent.chmod(0o700)
