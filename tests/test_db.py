"""ProcessedDB: the seed design's five tests, then clips, markers, vid folders, scans and threads."""

from __future__ import annotations

import inspect
import tempfile
import threading
from collections import namedtuple
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.db import ProcessedDB

Region = namedtuple("Region", "start end score")


def _clip(tmp_path, folder, vid="vid_001", stem="door_001_01"):
    return tmp_path / "exports" / folder / vid / f"{stem}.mp4"


# -- the seed design's tests


def test_export_folders_excludes_scan_exports(db, tmp_path):
    db.add("a.mp4", 10.0, _clip(tmp_path, "mp4_Door"))
    db.add("a.mp4", 50.0, _clip(tmp_path, "mp4_Scan", stem="door_001_a1_01"), scan_export=True)

    assert db.get_export_folders() == ["mp4_Door"]
    assert db.get_export_folders(include_scan_exports=True) == ["mp4_Door", "mp4_Scan"]
    assert set(db.get_training_stats("default")) == {"mp4_Door"}
    assert db.get_training_stats("default", include_scan_exports=True)["mp4_Scan"] == {"clips": 1, "videos": 1}


def test_scan_result_history(db):
    stamps = [
        db.save_scan_results("a.mp4", "default", "MEL", [(i, i + 1.0, 0.5 + i / 10) for i in range(n)])
        for n in (1, 2, 3)
    ]

    versions = db.get_scan_versions("a.mp4", "default", "MEL")
    assert [v["timestamp"] for v in versions] == stamps[::-1]
    assert [v["count"] for v in versions] == [3, 2, 1]
    assert versions[0]["max_score"] == pytest.approx(0.7)
    latest = db.get_scan_results("a.mp4", "default")
    assert len(latest["MEL"]) == 3 and {r["scan_timestamp"] for r in latest["MEL"]} == {stamps[2]}
    assert len(db.get_scan_results("a.mp4", "default", scan_timestamp=stamps[0])["MEL"]) == 1


def test_hard_negatives_source_model(db):
    db.add_hard_negatives("a.mp4", "default", [3.0, 7.5], source_path="/v/a.mp4", source_model="HUBERT_BASE")
    db.add_hard_negatives("b.mp4", "default", [1.0])

    rows = db.get_hard_negatives("default")
    assert [(r["filename"], r["start_time"], r["source_model"]) for r in rows] == [
        ("a.mp4", 3.0, "HUBERT_BASE"),
        ("a.mp4", 7.5, "HUBERT_BASE"),
        ("b.mp4", 1.0, ""),
    ]
    assert rows[0]["source_path"] == "/v/a.mp4" and set(rows[0]) == {
        "id",
        "filename",
        "start_time",
        "source_path",
        "source_model",
        "region_id",
    }


def test_training_data_skips_hard_negatives(db, tmp_path):
    video = tmp_path / "a.mp4"
    video.write_bytes(b"")
    db.add("a.mp4", 10.0, _clip(tmp_path, "mp4_Door"), source_path=str(video))
    db.add_hard_negatives("a.mp4", "default", [100.0], source_path=str(video))

    [with_negatives] = db.get_training_data("default", "mp4_Door")
    [without] = db.get_training_data("default", "mp4_Door", use_hard_negatives=False)
    assert with_negatives.negatives == [100.0] and without.negatives == []
    assert len(db.get_hard_negatives("default")) == 1  # switching them off deletes nothing


def test_delete_hard_negatives_by_ids(db):
    ids = db.add_hard_negatives("a.mp4", "default", [1.0, 2.0, 3.0])

    assert db.delete_hard_negatives_by_ids(ids[:2]) == 2
    assert [r["id"] for r in db.get_hard_negatives("default")] == ids[2:]


# -- clips and markers


def test_add_keeps_settings_length_and_marker(db, tmp_path):
    path = _clip(tmp_path, "mp4_Door")
    row_id = db.add(
        "a.mp4",
        12.5,
        path,
        label="door",
        category="foley",
        source_path="/v/a.mp4",
        length=4.0,
        marker_time=12.0,
        crf=18,
        portrait="9:16",
    )

    [clip] = db.get_clips("a.mp4")
    assert clip["id"] == row_id and clip["output_path"] == str(path)
    assert (clip["length"], clip["marker_time"], clip["label"], clip["category"]) == (4.0, 12.0, "door", "foley")
    assert clip["settings"] == {"crf": 18, "portrait": "9:16"}
    assert clip["scan_export"] is False
    assert clip["export_folder"] == str(path.parent.parent) and clip["vid_folder"] == "vid_001"


def test_markers_group_clips_by_cursor_time_and_folder(db, tmp_path):
    for sub, start in enumerate((10.0, 11.0, 12.0), 1):
        db.add("a.mp4", start, _clip(tmp_path, "mp4_Door", stem=f"door_001_{sub:02d}"), marker_time=10.0)
    db.add("a.mp4", 10.0, _clip(tmp_path, "mp4_Knock"), marker_time=10.0)
    db.add("a.mp4", 60.0, _clip(tmp_path, "mp4_Door", stem="door_002_01"))
    db.add("b.mp4", 10.0, _clip(tmp_path, "mp4_Door", vid="vid_002"))
    db.add("a.mp4", 10.0, _clip(tmp_path, "mp4_Door"), profile="other")

    markers = db.get_markers("a.mp4")
    assert [(m["marker_time"], m["export_folder"].rsplit("/", 1)[-1], len(m["clips"])) for m in markers] == [
        (10.0, "mp4_Door", 3),
        (10.0, "mp4_Knock", 1),
        (60.0, "mp4_Door", 1),
    ]
    assert db.get_clip_counts() == {"a.mp4": 5, "b.mp4": 1}
    assert db.get_clip_counts("other") == {"a.mp4": 1}


def test_delete_clips(db, tmp_path):
    keep = db.add("a.mp4", 1.0, _clip(tmp_path, "mp4_Door"))
    gone = db.add("a.mp4", 2.0, _clip(tmp_path, "mp4_Door", stem="door_001_02"))

    assert db.delete_clips([gone]) == 1
    assert [c["id"] for c in db.get_clips("a.mp4")] == [keep]
    assert db.get_clip_counts() == {"a.mp4": 1}
    db.delete_clips([keep])
    assert db.get_clip_counts() == {}


def test_training_stats_count_clips_and_videos(db, tmp_path):
    db.add("a.mp4", 1.0, _clip(tmp_path, "mp4_Door"))
    db.add("a.mp4", 2.0, _clip(tmp_path, "mp4_Door", stem="door_001_02"))
    db.add("b.mp4", 2.0, _clip(tmp_path, "mp4_Door", vid="vid_002"))

    assert db.get_training_stats("default") == {"mp4_Door": {"clips": 3, "videos": 2}}
    assert db.get_training_stats("other") == {}


def test_training_data_positives_ambiguous_and_negatives(db, tmp_path):
    a, b, gone = tmp_path / "a.mp4", tmp_path / "b.mp4", tmp_path / "deleted.mp4"
    a.write_bytes(b"")
    b.write_bytes(b"")
    db.add("a.mp4", 10.0, _clip(tmp_path, "mp4_Door"), source_path=str(a), length=8.0)
    db.add("a.mp4", 40.0, _clip(tmp_path, "mp4_Knock"), source_path=str(a), length=4.0)
    db.add("a.mp4", 70.0, _clip(tmp_path, "mp4_Door", stem="door_001_a1_01"), source_path=str(a), scan_export=True)
    db.add("a.mp4", 90.0, _clip(tmp_path, "mp4_Silence"), source_path=str(a))
    db.add("b.mp4", 5.0, _clip(tmp_path, "mp4_Knock", vid="vid_002"), source_path=str(b))
    db.add("deleted.mp4", 5.0, _clip(tmp_path, "mp4_Door", vid="vid_003"), source_path=str(gone))
    db.add_hard_negatives("a.mp4", "default", [200.0])  # no source path: matched by file name

    data = db.get_training_data("default", "mp4_Door", negative_folder="mp4_Silence")
    assert data == [(str(a), [(10.0, 8.0)], [(40.0, 4.0), (70.0, 8.0)], [90.0, 200.0])]  # still a 4-tuple
    assert data[0].source_path == str(a) and data[0].negatives == [90.0, 200.0]

    [video] = db.get_training_data("default", str(tmp_path / "exports" / "mp4_Door"), include_scan_exports=True)
    assert video.positives == [(10.0, 8.0), (70.0, 8.0)]
    assert video.ambiguous == [(40.0, 4.0), (90.0, 8.0)]


# -- vid folders


def test_vid_folder_kept_per_video_profile_and_folder(db, tmp_path):
    folder = tmp_path / "exports" / "mp4_Door"
    db.add("a.mp4", 1.0, folder / "vid_001" / "door_001_01.mp4")
    db.add("b.mp4", 1.0, folder / "vid_003" / "door_001_01.mp4")

    assert db.get_vid_folder("a.mp4", "default", folder) == "vid_001"
    assert db.get_vid_folder("b.mp4", "default", folder) == "vid_003"
    assert db.get_vid_folder("c.mp4", "default", folder) == "vid_002"  # lowest free, the gap
    assert db.get_vid_folder("a.mp4", "other", folder) == "vid_002"  # another profile: its own folder
    assert db.get_vid_folder("a.mp4", "default", tmp_path / "exports" / "mp4_Knock") == "vid_001"


def test_vid_folder_skips_numbers_taken_on_disk(db, tmp_path):
    folder = tmp_path / "exports" / "mp4_Door"
    (folder / "vid_001").mkdir(parents=True)
    (folder / "vid_002").mkdir()
    db.add("b.mp4", 1.0, folder / "vid_003" / "door_001_01.mp4")

    assert db.get_vid_folder("a.mp4", "default", folder) == "vid_004"


# -- scans


def test_scan_versions_pruned_to_max_versions(db):
    stamps = [
        db.save_scan_results("a.mp4", "default", "MEL", [Region(0.0, 8.0, 0.9)], max_versions=2, threshold=threshold)
        for threshold in (0.2, 0.3, 0.4, 0.5)
    ]
    db.save_scan_results("a.mp4", "default", "AST", [Region(1.0, 9.0, 0.8)], max_versions=2)

    assert [v["timestamp"] for v in db.get_scan_versions("a.mp4", "default", "MEL")] == stamps[:1:-1]
    assert len(db.get_scan_versions("a.mp4", "default", "AST")) == 1
    assert len(stamps[0]) == len("20260419_143022_123456") and len(set(stamps)) == 4


def test_latest_scan_per_model_and_region_edits(db):
    db.save_scan_results("a.mp4", "default", "MEL", [(0.0, 8.0, 0.6)], classifier="door")
    db.save_scan_results("a.mp4", "default", "MEL", [(1.0, 9.0, 0.7), (20.0, 28.0, 0.9)], classifier="door")
    db.save_scan_results("a.mp4", "default", "AST", [(5.0, 13.0, 0.8)])
    db.save_scan_results("a.mp4", "other", "AST", [(5.0, 13.0, 0.8)])

    results = db.get_scan_results("a.mp4", "default")
    assert {model: [r["start_time"] for r in rows] for model, rows in results.items()} == {
        "MEL": [1.0, 20.0],
        "AST": [5.0],
    }
    first, second = results["MEL"]
    assert first["classifier"] == "door" and first["disabled"] is False

    db.set_scan_region_disabled([first["id"], second["id"]], True)
    db.update_scan_region(second["id"], 21.0, 27.5)
    first, second = db.get_scan_results("a.mp4", "default")["MEL"]
    assert first["disabled"] and second["disabled"]
    assert (second["start_time"], second["end_time"]) == (21.0, 27.5)


# -- hidden files


def test_hidden_files(db):
    db.hide_file("/v/b.mp4")
    db.hide_file("/v/a.mp4")
    db.hide_file("/v/a.mp4")
    db.unhide_file("/v/b.mp4")

    assert db.get_hidden_files() == ["/v/a.mp4"]


# -- concurrency


def test_shared_between_threads(db, tmp_path):
    def export(worker):
        for i in range(50):
            db.add(f"{worker}.mp4", float(i), _clip(tmp_path, "mp4_Door", stem=f"door_{i:03d}_01"))

    threads = [threading.Thread(target=export, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert db.get_clip_counts() == {f"{w}.mp4": 50 for w in range(4)}


def test_wal_lets_a_second_instance_read_and_write(tmp_path):
    path = tmp_path / "foleycut.db"
    with ProcessedDB(path) as first, ProcessedDB(path) as second:
        first.add("a.mp4", 1.0, _clip(tmp_path, "mp4_Door"))
        second.add("b.mp4", 1.0, _clip(tmp_path, "mp4_Door", vid="vid_002"))
        assert first.get_clip_counts() == second.get_clip_counts() == {"a.mp4": 1, "b.mp4": 1}
        assert first._store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_failing_write_leaves_no_partial_rows(db):
    with pytest.raises(ValueError):
        db.add_hard_negatives("a.mp4", "default", [1.0, 2.0, "not a time"])

    assert db.get_hard_negatives("default") == []
    db.add_hard_negatives("a.mp4", "default", [3.0])  # the connection is usable again
    assert len(db.get_hard_negatives("default")) == 1


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(saves=st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=8))
def test_scan_history_keeps_the_newest_versions(saves):
    """Whatever max_versions each save used, what remains is the newest saves, at most the last limit."""
    with tempfile.TemporaryDirectory() as tmp, ProcessedDB(Path(tmp) / "foleycut.db") as db:
        stamps = [
            db.save_scan_results("a.mp4", "default", "MEL", [(0.0, 8.0, 0.5)], max_versions=limit) for limit in saves
        ]
        kept = [v["timestamp"] for v in db.get_scan_versions("a.mp4", "default", "MEL")]
        assert kept == stamps[::-1][: len(kept)] and 1 <= len(kept) <= saves[-1]
        assert db.get_scan_results("a.mp4", "default")["MEL"][0]["scan_timestamp"] == stamps[-1]


def test_profiles_in_use_are_listed_once(db):
    db.add("a.mp4", 1.0, "/x/mp4_Door/vid_001/door_001_01.mp4", profile="doors")
    db.add_hard_negatives("a.mp4", "steps", [3.0])
    db.save_scan_results("a.mp4", "doors", "MEL", [(1.0, 9.0, 0.9)])
    assert db.get_profiles() == ["default", "doors", "steps"]  # "default" is listed from the start


def test_a_scan_that_finds_nothing_is_the_latest_version(db):
    db.save_scan_results("a.mp4", "default", "MEL", [(1.0, 9.0, 0.9)])
    empty = db.save_scan_results("a.mp4", "default", "MEL", [])

    versions = db.get_scan_versions("a.mp4", "default", "MEL")
    assert (versions[0]["timestamp"], versions[0]["count"], versions[0]["max_score"]) == (empty, 0, None)
    assert db.get_scan_results("a.mp4", "default") == {"MEL": []}  # not the older scan's region
    assert db.get_scan_results("a.mp4", "default", scan_timestamp=versions[1]["timestamp"])["MEL"]

    for threshold in (0.5, 0.6, 0.7, 0.8, 0.9):
        db.save_scan_results("a.mp4", "default", "MEL", [], max_versions=3, threshold=threshold)
    assert [v["count"] for v in db.get_scan_versions("a.mp4", "default", "MEL")] == [0, 0, 0]
    assert db.get_scan_results("a.mp4", "default", scan_timestamp=versions[1]["timestamp"]) == {}


def test_scan_versions_tell_classifier_version_and_threshold_and_skip_identical_rescans(db):
    """A rescan with the same classifier version and threshold that finds the same regions is not a new
    version (it would push older scans out of the five kept); another threshold is."""
    first = db.save_scan_results(
        "a.mp4",
        "default",
        "MEL",
        [(1.0, 9.0, 0.8)],
        classifier="door",
        classifier_version="20261130_202335_520926",
        threshold=0.5,
    )
    [region] = db.get_scan_results("a.mp4", "default")["MEL"]
    db.update_scan_region(region["id"], 2.0, 8.0)  # an edit does not make the next identical scan new
    again = db.save_scan_results(
        "a.mp4",
        "default",
        "MEL",
        [(1.0, 9.0, 0.8)],
        classifier="door",
        classifier_version="20261130_202335_520926",
        threshold=0.5,
    )
    assert again == first
    other = db.save_scan_results(
        "a.mp4",
        "default",
        "MEL",
        [(1.0, 9.0, 0.8)],
        classifier="door",
        classifier_version="20261130_202335_520926",
        threshold=0.6,
    )
    versions = db.get_scan_versions("a.mp4", "default", "MEL")
    assert [(v["timestamp"], v["threshold"], v["classifier_version"]) for v in versions] == [
        (other, 0.6, "20261130_202335_520926"),
        (first, 0.5, "20261130_202335_520926"),
    ]
    trimmed = db.get_scan_results("a.mp4", "default", scan_timestamp=first)["MEL"][0]
    assert (trimmed["start_time"], trimmed["end_time"]) == (2.0, 8.0)
    assert (trimmed["original_start"], trimmed["original_end"]) == (1.0, 9.0)  # the ghost survives a restart


# -- the facade

SPEC_PARAMETERS = {  # SPEC section 4: leading parameters, in order
    "add": ["filename", "start_time", "output_path", "label", "category", "profile", "source_path", "scan_export"],
    "get_export_folders": ["profile", "include_scan_exports"],
    "get_training_stats": ["profile"],
    "save_scan_results": ["filename", "profile", "model", "regions", "max_versions"],
    "get_scan_results": ["filename", "profile", "scan_timestamp"],
    "add_hard_negatives": ["filename", "profile", "times", "source_path", "source_model"],
    "get_hard_negatives": ["profile"],
    "delete_hard_negatives_by_ids": ["ids"],
    "get_training_data": [
        "profile",
        "positive_folder",
        "negative_folder",
        "include_scan_exports",
        "use_hard_negatives",
    ],
    "get_vid_folder": ["filename", "profile", "export_folder"],
}


def test_the_facade_keeps_the_spec_names_and_signatures(db):
    for name, expected in SPEC_PARAMETERS.items():
        parameters = list(inspect.signature(getattr(db, name)).parameters)
        assert parameters[: len(expected)] == expected, name


def test_facade_methods_are_their_parts_methods_and_can_be_replaced(db, monkeypatch):
    assert db.add.__self__ is db.clips and db.get_scan_results.__self__ is db.scans
    monkeypatch.setattr(db, "delete_clips", lambda ids: 42)  # tests and callers may stub one method
    assert db.delete_clips([1]) == 42 and db.clips.delete_clips([1]) == 0
