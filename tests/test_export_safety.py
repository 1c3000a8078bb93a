"""A marker's export is one unit: when the database refuses the rows after the clips got their names, the
files go; a killed export is undone at the next start; names are never taken over; stale temp files are
swept; dataset.json and classifier files follow the umask."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time

import pytest

from core import dataset_json, export_commit, export_encode, export_journal
from core.atomic_write import write_atomically
from core.db import DatabaseError
from core.errors import FoleycutError
from core.export import DatasetJsonError, ExportSettings, export_marker
from core.home import DataHome
from core.recovery import recover_at_start
from tests.media_factory import make_video


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("src") / "source.mp4", 4, size=(64, 48))


@pytest.fixture
def settings(tmp_path):
    return ExportSettings(
        name="door", export_folder=tmp_path / "exports" / "out", length=1.0, count=2, workers=2, encoder="libx264"
    )


def entries_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def assert_nothing_written(db, settings, source):
    assert entries_under(settings.export_folder.parent) == []
    assert db.get_clips(source.name) == []
    assert db.pending_exports() == []


def test_database_refusing_the_rows_takes_the_renamed_clips_back(db, source, settings, monkeypatch):
    real_add = db.add
    calls = []

    def add_then_fail(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:  # after both clips carry their final names and the first row went in
            raise DatabaseError("The database is busy (another Foleycut is writing to it): try again.")
        return real_add(*args, **kwargs)

    monkeypatch.setattr(db, "add", add_then_fail)
    with pytest.raises(DatabaseError, match="busy"):
        export_marker(db, source, 0.0, settings)
    assert_nothing_written(db, settings, source)

    monkeypatch.undo()
    clips = export_marker(db, source, 0.0, settings)  # the retry: same vid folder, same counter
    assert [c.path.relative_to(settings.export_folder).as_posix() for c in clips] == [
        "vid_001/door_001_01.mp4",
        "vid_001/door_001_02.mp4",
    ]


def test_read_only_database_writes_nothing_and_leaves_no_export_folder(db, source, settings):
    db._store.conn.execute("PRAGMA query_only = ON")
    with pytest.raises(DatabaseError, match="could not be used"):
        export_marker(db, source, 0.0, settings)
    db._store.conn.execute("PRAGMA query_only = OFF")
    assert_nothing_written(db, settings, source)


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["read-only", "full"])
def test_database_read_only_or_full_mid_export(db, source, settings, monkeypatch, fault):
    """The database turns read-only, or its disk fills, once the first clip has its final name."""
    real_place, real_add = export_journal.place, db.add

    def place_then_break(src, dst):
        real_place(src, dst)
        if fault == "read-only":
            db._store.conn.execute("PRAGMA query_only = ON")
        else:
            monkeypatch.setattr(
                db,
                "add",
                lambda *a, **k: (_ for _ in ()).throw(
                    db._store.error(sqlite3.OperationalError("database or disk is full"))
                ),
            )

    monkeypatch.setattr(export_journal, "place", place_then_break)
    with pytest.raises(DatabaseError, match="could not be used"):
        export_marker(db, source, 0.0, settings)
    assert list(settings.export_folder.rglob("*.mp4")) == []
    db._store.conn.execute("PRAGMA query_only = OFF")
    monkeypatch.setattr(db, "add", real_add)
    monkeypatch.setattr(export_journal, "place", real_place)
    recover_at_start(DataHome.resolve(), db)  # the journal entry the read-only database kept
    assert_nothing_written(db, settings, source)
    assert [c.path.name for c in export_marker(db, source, 0.0, settings)] == ["door_001_01.mp4", "door_001_02.mp4"]


def test_killed_export_is_undone_at_the_next_start(db, source, settings, monkeypatch):
    """As if the process died inside the commit: journal entry recorded, clips moved, no rows."""

    def die(*_args, **_kwargs):
        raise KeyboardInterrupt  # stands in for the kill; undo must not run for a real kill, so skip it

    monkeypatch.setattr(export_journal, "undo_moves", lambda db, moves: None)
    monkeypatch.setattr(export_commit, "add_rows", die)
    monkeypatch.setattr(export_journal.PendingExport, "close", lambda self, finished: self._release())
    with pytest.raises(KeyboardInterrupt):
        export_marker(db, source, 0.0, settings)
    monkeypatch.undo()
    assert len(list(settings.export_folder.rglob("door_*.mp4"))) == 2 and len(db.pending_exports()) == 1

    report = recover_at_start(DataHome.resolve(), db)
    assert report.exports_undone == 1
    assert_nothing_written(db, settings, source)


def test_a_running_export_is_left_alone_by_another_start(db, source, settings):
    pending = export_journal.PendingExport(db, [settings.export_folder / "vid_001" / ".x.part0123456789ab.mp4"], [])
    try:
        assert recover_at_start(DataHome.resolve(), db).exports_undone == 0
        assert len(db.pending_exports()) == 1
    finally:
        pending.close(finished=False)
    assert db.pending_exports() == []


def test_an_existing_name_is_never_taken_over(tmp_path):
    src, dst = tmp_path / "new.mp4", tmp_path / "taken.mp4"
    src.write_text("new")
    dst.write_text("old")
    with pytest.raises(FileExistsError):
        export_journal.place(src, dst)
    assert (src.read_text(), dst.read_text()) == ("new", "old")
    frames, claimed = tmp_path / "frames", tmp_path / "claimed"
    frames.mkdir()
    claimed.mkdir()
    (claimed / "frame_0001.webp").write_text("old")
    with pytest.raises(OSError):
        export_journal.place(frames, claimed)
    assert (claimed / "frame_0001.webp").read_text() == "old"


def test_a_clip_appearing_under_the_final_name_is_kept_and_the_export_fails_cleanly(db, source, settings, monkeypatch):
    real_encode = export_encode.encode_all

    def encode_then_collide(plan, jobs, *args):
        real_encode(plan, jobs, *args)
        (plan.vid_folder / f"{plan.stems[1]}.mp4").write_text("someone else's")

    monkeypatch.setattr(export_encode, "encode_all", encode_then_collide)
    monkeypatch.setattr(export_commit, "recheck_names", lambda db, plan, profile: plan)  # as if it raced past
    with pytest.raises(FoleycutError, match="was taken by another file.*nothing was replaced"):
        export_marker(db, source, 0.0, settings)
    assert entries_under(settings.export_folder) == ["vid_001", "vid_001/door_001_02.mp4"]
    assert (settings.export_folder / "vid_001" / "door_001_02.mp4").read_text() == "someone else's"
    assert db.get_clips(source.name) == [] and db.pending_exports() == []


def test_dataset_json_failure_after_the_commit_is_one_line_and_keeps_the_clips(db, source, settings, monkeypatch):
    def refuse(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dataset_json, "rebuild", refuse)
    with pytest.raises(DatasetJsonError, match="2 clip.s. were written and recorded.*No space left") as caught:
        export_marker(db, source, 0.0, settings)
    assert "\n" not in str(caught.value)
    assert [c.row_id for c in caught.value.clips] == [c["id"] for c in db.get_clips(source.name)]
    assert all(c.path.is_file() for c in caught.value.clips)


@pytest.mark.slow
def test_cli_dataset_json_failure_does_not_skip_later_markers(db, source, tmp_path, monkeypatch, capsys):
    from tests.test_cli_export import run_export

    monkeypatch.setattr(dataset_json, "rebuild", lambda *_: (_ for _ in ()).throw(OSError(13, "Permission denied")))
    code = run_export(db, [str(source), "--at", "0", "--at", "2", "--folder", str(tmp_path / "o"), "--length", "1"])
    assert code == 1
    assert [m["marker_time"] for m in db.get_markers(source.name)] == [0.0, 2.0]
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and all(line.startswith("error: 1 clip(s) were written") for line in errors)


def test_stale_temp_files_are_swept_at_start(db, source, settings, isolated_home):
    export_marker(db, source, 0.0, settings)
    vid = settings.export_folder / "vid_001"
    home = DataHome.resolve()
    old = time.time() - 3600
    stale = [
        vid / ".door_002_01.part0123456789ab.mp4",
        vid / ".door_002_01.part0123456789ab.wav",
        vid / ".door_001_01.mp4.old0123456789ab",
        settings.export_folder / ".dataset.json.k2j3.tmp",
        home.embeddings_cache_dir / "MEL" / "abcd.npz12345.tmp",
        home.models_dir / "door" / ".ACTIVE.x1.tmp",
        home.models_dir / "door" / "20260101_000000_000000.skops",
        db.path.parent / "foleycut.db.abc.part",
    ]
    (vid / ".door_003_01.part0123456789ab").mkdir()  # a WebP frame folder
    stale.append(vid / ".door_003_01.part0123456789ab")
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text("x")
        os.utime(path, (old, old))
    fresh = home.embeddings_cache_dir / "MEL" / "efgh.npz67890.tmp"  # being written by a running scan
    fresh.write_text("x")
    kept = [vid / "door_001_01.mp4", vid / "door_001_02.mp4", settings.export_folder / "dataset.json", fresh]

    report = recover_at_start(home, db)
    assert [path for path in stale if path.exists()] == []
    assert report.files_removed == len(stale)
    assert all(path.exists() for path in kept)


def test_written_files_follow_the_umask(db, source, settings, tmp_path):
    previous = os.umask(0o022)
    try:
        export_marker(db, source, 0.0, settings)
        written = write_atomically(tmp_path / "meta.json", b"{}")
    finally:
        os.umask(previous)
    for path in (settings.export_folder / "dataset.json", written):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_failed_first_export_leaves_no_export_folder(db, source, settings, monkeypatch):
    def fail(*_args):
        raise FoleycutError("ffmpeg could not encode clip door_001_01: check free space.")

    monkeypatch.setattr(export_encode, "encode_all", fail)
    with pytest.raises(FoleycutError, match="ffmpeg"):
        export_marker(db, source, 0.0, settings)
    assert not settings.export_folder.parent.exists()
    assert db.pending_exports() == []


def test_dataset_json_is_rebuilt_when_a_legacy_migration_stopped_before_it(db, tmp_path, monkeypatch):
    from core.legacy_migration import migrate_legacy_layout

    folder = tmp_path / "old"
    clip = folder / "clip_001" / "clip_001_01.mp4"
    clip.parent.mkdir(parents=True)
    clip.write_text("x")
    db.add("a.mp4", 1.0, clip, source_path="/v/a.mp4")
    real_rebuild = dataset_json.rebuild
    monkeypatch.setattr(dataset_json, "rebuild", lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        migrate_legacy_layout(db)
    monkeypatch.setattr(dataset_json, "rebuild", real_rebuild)

    migrate_legacy_layout(db)
    assert [e["path"] for e in json.loads((folder / "dataset.json").read_text())] == ["vid_001/clip_001_01.mp4"]


def test_journal_survives_reopening(tmp_path):
    """The journal lives in the database file, so a new process sees what a dead one left."""
    from core.db import ProcessedDB

    with ProcessedDB(tmp_path / "f.db") as first:
        first.begin_export("export-dead.lock", ["/x/.a.part0123456789ab.mp4"], ["/x"])
    with ProcessedDB(tmp_path / "f.db") as second:
        assert [e["owner"] for e in second.pending_exports()] == ["export-dead.lock"]
    assert sqlite3.connect(tmp_path / "f.db").execute("SELECT COUNT(*) FROM export_journal").fetchone()[0] == 1


def test_clean_up_that_cannot_write_is_reported_not_raised(db, monkeypatch):
    def refuse(_db):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(export_journal, "recover", refuse)
    report = recover_at_start(DataHome.resolve(), db)
    assert "Permission denied" in report.problem and "\n" not in report.problem


def test_dataset_json_left_behind_by_a_killed_run_is_rewritten_at_the_next_start(db, source, settings, monkeypatch):
    real_rebuild = dataset_json.rebuild
    monkeypatch.setattr(dataset_json, "rebuild", lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):  # killed after the commit, before dataset.json
        export_marker(db, source, 0.0, settings)
    monkeypatch.setattr(dataset_json, "rebuild", real_rebuild)
    assert not (settings.export_folder / "dataset.json").exists()

    recover_at_start(DataHome.resolve(), db)
    listed = json.loads((settings.export_folder / "dataset.json").read_text())
    assert [entry["path"] for entry in listed] == ["vid_001/door_001_01.mp4", "vid_001/door_001_02.mp4"]
    assert db.stale_datasets() == []
