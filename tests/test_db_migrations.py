"""Schema versioning: older databases upgrade with nothing lost; unreadable ones are refused, untouched."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from filelock import FileLock

from core.db import SCHEMA_VERSION, DatabaseError, ProcessedDB
from core.store import migrations

# The schema as builds before `user_version` wrote it: no scan history, no source model, no clip details.
OLD_SCHEMA = """
CREATE TABLE processed (id INTEGER PRIMARY KEY, filename TEXT NOT NULL, source_path TEXT NOT NULL DEFAULT '',
    profile TEXT NOT NULL DEFAULT 'default', start_time REAL NOT NULL, output_path TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '', category TEXT NOT NULL DEFAULT '', scan_export INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT '');
CREATE TABLE scan_results (id INTEGER PRIMARY KEY, filename TEXT NOT NULL, profile TEXT NOT NULL DEFAULT 'default',
    model TEXT NOT NULL, start_time REAL NOT NULL, end_time REAL NOT NULL, score REAL NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0);
CREATE TABLE hard_negatives (id INTEGER PRIMARY KEY, filename TEXT NOT NULL, profile TEXT NOT NULL DEFAULT 'default',
    start_time REAL NOT NULL, source_path TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL DEFAULT '');
CREATE TABLE hidden_files (path TEXT PRIMARY KEY);
INSERT INTO processed VALUES (7, 'a.mp4', '/v/a.mp4', 'default', 12.5, '/x/mp4_Door/vid_002/door_001_01.mp4',
    'door', 'foley', 0, '2025-01-01 10:00:00');
INSERT INTO processed VALUES (8, 'a.mp4', '/v/a.mp4', 'default', 40.0, '/x/mp4_Scan/vid_001/door_001_a1_01.mp4',
    '', '', 1, '2025-01-01 10:05:00');
INSERT INTO scan_results VALUES (3, 'a.mp4', 'default', 'MEL', 1.0, 9.0, 0.75, 1);
INSERT INTO hard_negatives VALUES (5, 'a.mp4', 'default', 33.0, '/v/a.mp4', '2025-01-02 09:00:00');
INSERT INTO hidden_files VALUES ('/v/hidden.mp4');
"""


def _write_old_db(path, extra=""):
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA + extra)
    conn.close()
    return path


def test_fresh_database_gets_current_schema_and_no_backup(tmp_path):
    with ProcessedDB(tmp_path / "foleycut.db") as db:
        assert db.schema_version == SCHEMA_VERSION
    assert not list(tmp_path.glob("*.bak"))


def test_old_schema_upgrades_with_nothing_lost(tmp_path):
    path = _write_old_db(tmp_path / "foleycut.db")

    with ProcessedDB(path) as db:
        assert db.schema_version == SCHEMA_VERSION
        [clip] = db.get_clips("a.mp4")[:1]
        assert (clip["id"], clip["start_time"], clip["label"], clip["category"]) == (7, 12.5, "door", "foley")
        assert (clip["length"], clip["marker_time"], clip["settings"]) == (8.0, 12.5, {})
        assert (clip["export_folder"], clip["vid_folder"]) == ("/x/mp4_Door", "vid_002")
        assert clip["created_at"] == "2025-01-01 10:00:00"
        assert db.get_export_folders() == ["mp4_Door"]
        assert db.get_clip_counts() == {"a.mp4": 2}
        assert db.get_vid_folder("a.mp4", "default", "/x/mp4_Door") == "vid_002"

        legacy = db.get_scan_results("a.mp4", "default")["MEL"]
        assert [(r["id"], r["score"], r["disabled"], r["scan_timestamp"]) for r in legacy] == [(3, 0.75, True, "")]
        assert db.get_scan_versions("a.mp4", "default", "MEL") == []  # legacy rows are not a named version
        new = db.save_scan_results("a.mp4", "default", "MEL", [(2.0, 10.0, 0.9)])
        assert [r["scan_timestamp"] for r in db.get_scan_results("a.mp4", "default")["MEL"]] == [new]

        assert db.get_hard_negatives() == [
            {
                "id": 5,
                "filename": "a.mp4",
                "start_time": 33.0,
                "source_path": "/v/a.mp4",
                "source_model": "",
                "region_id": None,
            }
        ]
        assert db.get_hidden_files() == ["/v/hidden.mp4"]

    [backup] = tmp_path.glob("*.bak")
    assert backup.name == "foleycut.db.v0.bak"
    conn = sqlite3.connect(backup)
    assert conn.execute("SELECT COUNT(*) FROM processed").fetchone()[0] == 2
    assert "scan_timestamp" not in {row[1] for row in conn.execute("PRAGMA table_info(scan_results)")}
    conn.close()


def test_unversioned_database_that_already_has_some_new_columns(tmp_path):
    """Older builds added columns with ALTER TABLE but never set user_version."""
    path = _write_old_db(
        tmp_path / "foleycut.db",
        "ALTER TABLE scan_results ADD COLUMN scan_timestamp TEXT NOT NULL DEFAULT '';"
        "UPDATE scan_results SET scan_timestamp = '20250101_100000_000001';",
    )

    with ProcessedDB(path) as db:
        assert [v["timestamp"] for v in db.get_scan_versions("a.mp4", "default", "MEL")] == ["20250101_100000_000001"]


def test_second_backup_never_replaces_the_first(tmp_path):
    path = _write_old_db(tmp_path / "foleycut.db")
    (tmp_path / "foleycut.db.v0.bak").write_bytes(b"earlier backup")

    ProcessedDB(path).close()

    assert (tmp_path / "foleycut.db.v0.bak").read_bytes() == b"earlier backup"
    assert (tmp_path / "foleycut.db.v0.2.bak").is_file()


def test_failed_migration_rolls_back_and_keeps_the_version(tmp_path, monkeypatch):
    path = _write_old_db(tmp_path / "foleycut.db")

    def broken(conn):
        conn.execute("ALTER TABLE scan_results ADD COLUMN half_done TEXT")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS[:2], broken, *migrations.MIGRATIONS[3:]))
    with pytest.raises(DatabaseError, match="disk I/O error"):
        ProcessedDB(path)

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert "half_done" not in {row[1] for row in conn.execute("PRAGMA table_info(scan_results)")}
    conn.close()
    monkeypatch.undo()
    with ProcessedDB(path) as db:  # the next start finishes the job
        assert db.schema_version == SCHEMA_VERSION


def test_corrupt_file_gives_a_clear_error_and_is_left_untouched(tmp_path):
    path = tmp_path / "foleycut.db"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)

    with pytest.raises(DatabaseError, match=r"Cannot read the database .*foleycut\.db.*backup"):
        ProcessedDB(path)

    assert path.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foleycut.db", "foleycut.db.lock"]  # no copy, no backup


def test_database_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "foleycut.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()

    with pytest.raises(DatabaseError, match="newer Foleycut"):
        ProcessedDB(path)


def _open_together(path, instances):
    opened, errors = [], []

    def open_db():
        try:
            opened.append(ProcessedDB(path))
        except Exception as exc:  # noqa: BLE001 - collected for the caller's assertion
            errors.append(exc)

    threads = [threading.Thread(target=open_db) for _ in range(instances)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return opened, errors


def test_instances_opening_an_old_database_together_upgrade_it_once(tmp_path):
    # Several rounds: without the opening lock, about one in fifty lost the race to switch to WAL.
    for round_ in range(10):
        (tmp_path / f"{round_}").mkdir()
        opened, errors = _open_together(_write_old_db(tmp_path / f"{round_}" / "foleycut.db"), 6)

        assert errors == [] and len(opened) == 6
        assert {db.schema_version for db in opened} == {SCHEMA_VERSION}
        assert [c["id"] for c in opened[0].get_clips("a.mp4")] == [7, 8]
        for db in opened:
            db.close()


def test_schema_13_lists_the_profiles_already_in_use_and_starts_without_tabs(tmp_path):
    path = _write_old_db(
        tmp_path / "foleycut.db", "INSERT INTO hard_negatives VALUES (6, 'b.mp4', 'steps', 1.0, '/v/b.mp4', '');"
    )

    with ProcessedDB(path) as db:
        assert db.get_profiles() == ["default", "steps"]
        assert db.get_subprofiles("default") == [] and db.get_playlist_tabs() == []
        db.rename_profile("steps", "footsteps")
        assert db.get_profiles() == ["default", "footsteps"]
        assert [n["filename"] for n in db.get_hard_negatives("footsteps")] == ["b.mp4"]


def test_a_database_whose_lock_cannot_be_made_gives_one_clear_line(tmp_path, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self.lock_file))

    monkeypatch.setattr(FileLock, "acquire", refuse)  # as a read-only folder refuses it (root ignores chmod)

    with pytest.raises(DatabaseError, match=r"could not be used .*Permission denied.*folder is writable"):
        ProcessedDB(tmp_path / "foleycut.db")
