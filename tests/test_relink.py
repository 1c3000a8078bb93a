"""Training videos that moved: relinking a folder by file name and size, and the per-folder details."""

from __future__ import annotations

import shutil

import pytest

from core.errors import FoleycutError
from core.relink import FolderDetails, folder_details, missing_videos, relink_folder
from core.training import TrainingOptions, preview_training
from tests.media_factory import make_video


@pytest.fixture
def library(db, tmp_path):
    """Two videos with clips in mp4_Door (one also in mp4_Wind) and a hard negative, on 'drive' A."""
    drive = tmp_path / "A"
    drive.mkdir()
    videos = [
        make_video(drive / name, 6.0 + i, size=(32, 24), fps=2) for i, name in enumerate(("film.mp4", "other.mp4"))
    ]
    for video in videos:
        db.add(
            video.name,
            1.0,
            tmp_path / "exports" / "mp4_Door" / "vid_001" / f"{video.stem}_001_1.mp4",
            source_path=str(video),
        )
    db.add(
        "film.mp4", 3.0, tmp_path / "exports" / "mp4_Wind" / "vid_001" / "film_001_1.mp4", source_path=str(videos[0])
    )
    db.add_hard_negatives("film.mp4", "default", [4.0], source_path=str(videos[0]))
    return videos


def test_a_moved_drive_is_found_again_by_name_and_size(db, tmp_path, library):
    moved = tmp_path / "B" / "deep" / "folder"
    moved.mkdir(parents=True)
    shutil.move(str(tmp_path / "A"), moved / "A")
    assert [v["filename"] for v in missing_videos(db)] == ["film.mp4", "other.mp4"]
    with pytest.raises(FoleycutError, match="None of the source videos"):
        preview_training(db, TrainingOptions("default", "mp4_Door"))
    make_video(tmp_path / "B" / "film.mp4", 30.0, size=(32, 24), fps=2)  # same name, other size: not it

    result = relink_folder(db, tmp_path / "B")
    assert sorted(new for _old, new in result.relinked) == [
        str(moved / "A" / "film.mp4"),
        str(moved / "A" / "other.mp4"),
    ]
    assert missing_videos(db) == [] and result.not_found == [] and result.ambiguous == []
    preview = preview_training(db, TrainingOptions("default", "mp4_Door"))
    assert (preview.positive_clips, preview.hard_negatives) == (2, 1)
    assert db.get_hard_negatives("default")[0]["source_path"] == str(moved / "A" / "film.mp4")


def test_an_ambiguous_or_absent_match_is_left_alone(db, tmp_path, library):
    for copy in ("x", "y"):
        (tmp_path / "C" / copy).mkdir(parents=True)
        shutil.copy(library[0], tmp_path / "C" / copy / "film.mp4")
    shutil.rmtree(tmp_path / "A")
    result = relink_folder(db, tmp_path / "C")
    assert result.relinked == [] and result.ambiguous == [str(library[0])]
    assert result.not_found == [str(library[1])]


def test_details_list_clips_videos_and_negatives_per_folder(db, tmp_path, library):
    library[1].unlink()
    assert folder_details(db) == [FolderDetails("mp4_Door", 2, 2, 1, 1), FolderDetails("mp4_Wind", 1, 1, 0, 1)]
