"""Two videos that share a base name never share clips, vid folders, markers, scans or negatives; a video
keeps its records when it (or its folder) moves; old databases gain identities with nothing lost."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from core.db import ProcessedDB
from core.errors import FoleycutError
from core.export import ExportSettings, export_marker
from core.store import migrations
from core.video_identity import identify
from tests.media_factory import make_video


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    """/a/clip.mp4 and /b/clip.mp4: same name, different recordings."""
    root = tmp_path_factory.mktemp("cards")
    return (
        make_video(root / "a" / "clip.mp4", 3, size=(64, 48)),
        make_video(root / "b" / "clip.mp4", 3, size=(80, 48)),
    )


@pytest.fixture
def settings(tmp_path):
    return ExportSettings(name="door", export_folder=tmp_path / "out", length=1.0, workers=1, encoder="libx264")


def test_identity_is_content_not_name(twins, tmp_path):
    a, b = twins
    assert identify(a) != identify(b)
    moved = tmp_path / "renamed.mp4"
    shutil.copy(a, moved)
    assert identify(moved) == identify(a)
    assert identify(tmp_path / "missing.mp4") is None


def test_same_named_videos_get_their_own_vid_folders_and_markers(db, twins, settings):
    a, b = twins
    [clip_a] = export_marker(db, a, 0.5, settings)
    [clip_b] = export_marker(db, b, 0.5, settings)

    assert clip_a.path.parent != clip_b.path.parent
    assert [m["clips"][0]["id"] for m in db.get_markers("clip.mp4", source_path=a)] == [clip_a.row_id]
    assert [m["clips"][0]["id"] for m in db.get_markers("clip.mp4", source_path=b)] == [clip_b.row_id]


def test_overwriting_one_same_named_video_leaves_the_other_alone(db, twins, settings):
    """The reported loss: `export b --overwrite` deleted a's clip and row."""
    a, b = twins
    [clip_a] = export_marker(db, a, 0.5, settings)
    export_marker(db, b, 0.5, settings)
    export_marker(db, b, 0.5, settings, overwrite=True)

    assert clip_a.path.is_file()
    assert [c["id"] for c in db.get_clips("clip.mp4", source_path=a)] == [clip_a.row_id]


def test_a_bare_name_is_refused_once_two_videos_carry_it(db, twins):
    a, b = twins
    db.add("clip.mp4", 1.0, "/x/out/vid_001/door_001_01.mp4", source_path=str(a))
    assert len(db.get_clips("clip.mp4")) == 1  # one video of that name: the name is enough
    db.add("clip.mp4", 1.0, "/x/out/vid_002/door_001_01.mp4", source_path=str(b))
    with pytest.raises(FoleycutError, match="2 different videos are named clip.mp4"):
        db.get_clips("clip.mp4")


def test_scan_history_and_negatives_are_per_video(db, twins):
    a, b = twins
    db.save_scan_results("clip.mp4", "default", "MEL", [(0.0, 1.0, 0.9)], source_path=a)
    db.save_scan_results("clip.mp4", "default", "MEL", [(2.0, 3.0, 0.8), (1.0, 2.0, 0.7)], source_path=b)
    db.save_scan_results("clip.mp4", "default", "MEL", [], max_versions=1, source_path=b)

    assert [r["score"] for r in db.get_scan_results("clip.mp4", source_path=a)["MEL"]] == [0.9]
    assert db.get_scan_results("clip.mp4", source_path=b) == {"MEL": []}
    assert len(db.get_scan_versions("clip.mp4", "default", "MEL", source_path=a)) == 1
    assert len(db.get_scan_versions("clip.mp4", "default", "MEL", source_path=b)) == 1

    db.add_hard_negatives("clip.mp4", "default", [1.0], source_path=str(a))
    db.add_hard_negatives("clip.mp4", "default", [2.0], source_path=str(b))
    assert sorted((n["source_path"], n["start_time"]) for n in db.get_hard_negatives()) == [
        (str(a), 1.0),
        (str(b), 2.0),
    ]


def test_a_moved_video_keeps_its_clips_scans_and_training_data(db, twins, tmp_path, settings):
    a, _b = twins
    source = shutil.copy(a, tmp_path / "film.mp4")
    [clip] = export_marker(db, source, 0.5, settings)
    db.save_scan_results("film.mp4", "default", "MEL", [(0.0, 1.0, 0.9)], source_path=source)

    moved = tmp_path / "archive" / "film (renamed).mp4"
    moved.parent.mkdir()
    source.rename(moved)

    assert [c["id"] for c in db.get_clips(moved.name, source_path=moved)] == [clip.row_id]
    assert db.get_scan_results(moved.name, source_path=moved)["MEL"][0]["score"] == 0.9
    [exported] = export_marker(db, moved, 1.5, settings)
    assert exported.path.parent == clip.path.parent  # same vid folder
    [video] = db.get_training_data("default", "out")
    assert video.source_path == str(moved) and len(video.positives) == 2


def test_a_copy_beside_its_original_is_a_video_of_its_own(db, twins, tmp_path, settings):
    a, _b = twins
    copy = shutil.copy(a, tmp_path / "copy.mp4")
    [original] = export_marker(db, a, 0.5, settings)
    [copied] = export_marker(db, copy, 0.5, settings)
    assert original.path.parent != copied.path.parent


def test_migration_gives_existing_rows_identities(tmp_path, twins):
    a, b = twins
    path = tmp_path / "foleycut.db"
    with ProcessedDB(path) as db:
        version = db.schema_version
    before_identities = migrations.MIGRATIONS.index(migrations._add_video_identity)
    conn = sqlite3.connect(path)
    # Back to the schema before identities, with rows as that version wrote them.
    conn.executescript(f"""
        DROP TABLE videos; DROP TABLE export_journal;
        DROP INDEX processed_by_video_id; DROP INDEX scan_results_by_video_id;
        INSERT INTO processed (filename, source_path, start_time, output_path, export_folder, vid_folder)
            VALUES ('clip.mp4', '{a}', 1.0, '/x/out/vid_001/door_001_01.mp4', '/x/out', 'vid_001'),
                   ('clip.mp4', '{b}', 1.0, '/x/out/vid_002/door_001_01.mp4', '/x/out', 'vid_002'),
                   ('solo.mp4', '/gone/solo.mp4', 1.0, '/x/out/vid_003/door_001_01.mp4', '/x/out', 'vid_003');
        INSERT INTO scan_results (filename, model, start_time, end_time, score, scan_timestamp)
            VALUES ('solo.mp4', 'MEL', 0, 1, 0.5, ''), ('clip.mp4', 'MEL', 0, 1, 0.6, '');
        PRAGMA user_version = {before_identities};""")
    for table in ("processed", "scan_results", "scan_versions", "hard_negatives"):
        conn.execute(f"ALTER TABLE {table} DROP COLUMN video_id")
    conn.commit()
    conn.close()

    with ProcessedDB(path) as db:
        assert db.schema_version == version
        assert [c["vid_folder"] for c in db.get_clips("clip.mp4", source_path=a)] == ["vid_001"]
        assert [c["vid_folder"] for c in db.get_clips("clip.mp4", source_path=b)] == ["vid_002"]
        assert [c["vid_folder"] for c in db.get_clips("solo.mp4")] == ["vid_003"]
        assert db.get_scan_results("solo.mp4")["MEL"][0]["score"] == 0.5  # one video of that name: joined
        assert db.get_scan_results("clip.mp4", source_path=a) == {}  # two: not given to either
    assert list(tmp_path.glob("foleycut.db.v*.bak"))


def test_legacy_layout_migration_keeps_same_named_videos_apart(db, twins, tmp_path):
    from core.legacy_migration import migrate_legacy_layout

    a, b = twins
    folder = tmp_path / "old"
    for group, video in ((1, a), (2, b)):
        clip = folder / f"clip_{group:03d}" / f"clip_{group:03d}_01.mp4"
        clip.parent.mkdir(parents=True)
        clip.write_text(str(video))
        db.add("clip.mp4", 1.0, clip, source_path=str(video))
    migrate_legacy_layout(db)
    [clip_a] = db.get_clips("clip.mp4", source_path=a)
    [clip_b] = db.get_clips("clip.mp4", source_path=b)
    assert clip_a["vid_folder"] != clip_b["vid_folder"]
    assert Path(clip_a["output_path"]).read_text() == str(a) and Path(clip_b["output_path"]).read_text() == str(b)
