"""Profiles as rows: rename carries every row and the review answers with it in one go; copy and delete."""

import json
import sqlite3

import pytest

from core import dataset_json
from core.errors import FoleycutError
from core.home import DataHome
from core.profiles import check_new_name, delete_profile, duplicate_profile, rename_profile
from core.review_queue import answer_log_path


@pytest.fixture
def home(tmp_path):
    return DataHome.resolve(tmp_path / "home")


def fill(db, tmp_path, profile="doors"):
    clip = tmp_path / "export" / "mp4_Door" / "vid_001" / "door_001_01.mp4"
    clip.parent.mkdir(parents=True)
    clip.write_bytes(b"clip")
    db.add("a.mp4", 1.0, clip, profile=profile, source_path=str(tmp_path / "a.mp4"))
    db.save_scan_results("a.mp4", profile, "MEL", [(1.0, 9.0, 0.9)], source_path=str(tmp_path / "a.mp4"))
    db.add_hard_negatives("a.mp4", profile, [3.0], source_path=str(tmp_path / "a.mp4"))
    db.set_subprofiles(profile, [str(tmp_path / "export" / "mp4_Door"), str(tmp_path / "export" / "mp4_Door_close")])
    return clip


def test_rename_moves_every_row_and_the_review_answers(db, tmp_path, home):
    fill(db, tmp_path)
    db.add_profile("birds")
    log = answer_log_path(home, "doors")
    log.parent.mkdir(parents=True)
    log.write_text("[]")

    assert rename_profile(db, home, "doors", " portes ") == "portes"

    assert db.get_clip_counts("portes") == {"a.mp4": 1} and db.get_clip_counts("doors") == {}
    assert list(db.get_scan_results("a.mp4", "portes", source_path=tmp_path / "a.mp4")) == ["MEL"]
    assert len(db.get_scan_versions("a.mp4", "portes", "MEL", source_path=tmp_path / "a.mp4")) == 1
    assert [n["start_time"] for n in db.get_hard_negatives("portes")] == [3.0] and db.get_hard_negatives("doors") == []
    assert [p.rsplit("/", 1)[1] for p in db.get_subprofiles("portes")] == ["mp4_Door", "mp4_Door_close"]
    assert "doors" not in db.get_profiles() and "portes" in db.get_profiles()
    assert answer_log_path(home, "portes").read_text() == "[]" and not log.exists()


def test_a_failed_rename_changes_nothing(db, tmp_path, home, monkeypatch):
    fill(db, tmp_path)
    log = answer_log_path(home, "doors")
    log.parent.mkdir(parents=True)
    log.write_text("[]")

    def broken(conn_self, old, new):
        with conn_self.transaction():
            conn_self._store.conn.execute("UPDATE processed SET profile = ? WHERE profile = ?", (new, old))
            raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(type(db), "rename_profile", broken)
    with pytest.raises(Exception, match="disk I/O"):
        rename_profile(db, home, "doors", "portes")
    assert db.get_clip_counts("doors") == {"a.mp4": 1} and db.get_clip_counts("portes") == {}
    assert log.exists() and not answer_log_path(home, "portes").exists()


@pytest.mark.parametrize(
    "name, why",
    [("", "needs a name"), ("a/b", "cannot hold"), ("doors", "exists already"), ("default", "exists already")],
)
def test_bad_new_names_are_refused_in_one_line(db, tmp_path, name, why):
    fill(db, tmp_path)
    with pytest.raises(FoleycutError, match=why) as error:
        check_new_name(db, name)
    assert "\n" not in str(error.value)


def test_duplicate_copies_the_subprofiles_not_the_clips(db, tmp_path):
    fill(db, tmp_path)
    duplicate_profile(db, "doors", "doors 2")
    assert db.get_subprofiles("doors 2") == db.get_subprofiles("doors")
    assert db.get_clip_counts("doors 2") == {} and db.get_profiles()[-1] == "doors 2"


def test_delete_forgets_the_rows_keeps_the_files_and_rewrites_dataset_json(db, tmp_path, home):
    clip = fill(db, tmp_path)
    db.add("b.mp4", 2.0, clip.with_name("door_001_02.mp4"), profile="default", source_path=str(tmp_path / "b.mp4"))
    folder = clip.parents[1]
    dataset_json.rebuild(db, folder)
    assert len(json.loads((folder / "dataset.json").read_text())) == 2

    assert delete_profile(db, home, "doors") == [str(folder)]

    assert "doors" not in db.get_profiles()
    assert db.get_hard_negatives("doors") == [] and db.get_subprofiles("doors") == []
    assert db.profile_contents("doors") == {"clips": 0, "scans": 0, "negatives": 0}
    assert clip.is_file()  # files stay
    assert [entry["source"] for entry in json.loads((folder / "dataset.json").read_text())] == [str(tmp_path / "b.mp4")]
    assert db.stale_datasets() == []
    assert list(tmp_path.glob("foleycut.db.before-profile-delete*.bak"))


def test_profile_order_is_kept_and_data_only_profiles_follow(db):
    db.add_hard_negatives("a.mp4", "from_cli", [1.0])
    db.add_profile("zebra")
    db.add_profile("apple")
    assert db.get_profiles() == ["default", "zebra", "apple", "from_cli"]
