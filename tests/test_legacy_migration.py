"""Legacy `clip_NNN/` group dirs move into vid folders: complete, resumable, never losing or doubling a file."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import legacy_migration
from core.db import ProcessedDB
from core.errors import FoleycutError
from core.legacy_migration import migrate_legacy_layout, needs_legacy_migration, plan_legacy_moves

ROOT = Path(__file__).resolve().parents[1]


class Killed(BaseException):
    """Stands for the process dying: nothing after it runs, not even a `finally` that writes."""


def make_legacy_export(root: Path, db: ProcessedDB, groups: int = 4, subs: int = 3) -> Path:
    """An export folder in the legacy layout: group dirs alternating two videos, one WebP group, one group
    (the last) of another profile, a video already in the new layout, and a stray file no clip refers to."""
    folder = root / "exports" / "mp4_Door"
    db.add("c.mp4", 5.0, _write(folder / "vid_001" / "door_001_01.mp4"), source_path="/v/c.mp4")
    for group in range(1, groups + 1):
        video = "a.mp4" if group % 2 else "b.mp4"
        profile = "cats" if group == groups else "default"
        group_dir = folder / f"clip_{group:03d}"
        for sub in range(1, subs + 1):
            stem = f"clip_{group:03d}_{sub}"
            if group == 2:  # WebP sequence: a folder of frames plus the audio beside it
                _write(group_dir / stem / "frame_0001.webp")
                _write(group_dir / stem / "frame_0002.webp")
                _write(group_dir / f"{stem}.wav")
                output = group_dir / stem
            else:
                output = _write(group_dir / f"{stem}.mp4")
            db.add(video, 10.0 * group + sub, output, profile=profile, source_path=f"/v/{video}", label="door")
    _write(folder / "clip_001" / "notes.txt")
    return folder


def _write(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(path.relative_to(path.parents[2])))  # unique content: where it was first written
    return path


def _files(root: Path) -> Counter:
    """Every clip file's content under root, counted: equal before and after means none lost, none doubled
    (dataset.json, which the migration rewrites, is not a clip)."""
    return Counter(p.read_text() for p in root.rglob("*") if p.is_file() and p.name != "dataset.json")


def _assert_consistent(db: ProcessedDB, folder: Path, before: Counter) -> None:
    assert _files(folder) == before
    clips = [
        clip
        for profile in ("default", "cats")
        for name in ("a.mp4", "b.mp4", "c.mp4")
        for clip in db.get_clips(name, profile)
    ]
    assert all(Path(clip["output_path"]).exists() for clip in clips)
    assert not any(Path(clip["output_path"]).parent.name.startswith("clip_") for clip in clips)
    assert not needs_legacy_migration(db)


def test_moves_groups_into_vid_folders_and_rewrites_paths(db, tmp_path):
    folder = make_legacy_export(tmp_path, db)
    before = _files(folder)
    progress = []

    report = migrate_legacy_layout(db, progress=lambda f, msg: progress.append(f))

    _assert_consistent(db, folder, before)

    def layout(filename, profile="default"):
        return [Path(c["output_path"]).relative_to(folder).as_posix() for c in db.get_clips(filename, profile)]

    # vid_001 was taken; new vid folders go by (profile, video); a video's groups take successive counters.
    assert layout("b.mp4", "cats") == ["vid_002/clip_001_01.mp4", "vid_002/clip_001_02.mp4", "vid_002/clip_001_03.mp4"]
    assert layout("a.mp4") == [
        "vid_003/clip_001_01.mp4",
        "vid_003/clip_001_02.mp4",
        "vid_003/clip_001_03.mp4",
        "vid_003/clip_002_01.mp4",
        "vid_003/clip_002_02.mp4",
        "vid_003/clip_002_03.mp4",
    ]
    assert layout("b.mp4") == ["vid_004/clip_001_01", "vid_004/clip_001_02", "vid_004/clip_001_03"]  # WebP
    assert (folder / "vid_004" / "clip_001_01.wav").is_file()
    assert (folder / "vid_004" / "clip_001_01" / "frame_0002.webp").is_file()
    assert [m["marker_time"] for m in db.get_markers("a.mp4")] == [11.0, 31.0]  # one marker per group
    assert sorted(p.name for p in folder.iterdir()) == [
        "clip_001",
        "dataset.json",
        "vid_001",
        "vid_002",
        "vid_003",
        "vid_004",
    ]
    assert [p.name for p in (folder / "clip_001").iterdir()] == ["notes.txt"]  # a stray file stays put
    assert (report.moved, report.clips_rewritten, report.removed_dirs) == (15, 12, 3)
    assert report.backup.is_file() and report.export_folders == {folder}
    assert progress[0] == 0.0 and progress[-1] == 1.0


def test_second_run_does_nothing(db, tmp_path):
    folder = make_legacy_export(tmp_path, db)
    migrate_legacy_layout(db)
    after = _files(folder)

    report = migrate_legacy_layout(db)

    assert (report.moved, report.backup) == (0, None)
    assert _files(folder) == after


def test_groups_of_one_video_take_successive_counters_after_existing_ones(db, tmp_path):
    folder = tmp_path / "exports" / "mp4_Door"
    db.add("a.mp4", 1.0, _write(folder / "vid_001" / "door_004_01.mp4"))
    for group in (7, 3):
        db.add("a.mp4", float(group), _write(folder / f"clip_{group:03d}" / f"clip_{group:03d}_1.mp4"))

    migrate_legacy_layout(db)

    assert [Path(c["output_path"]).name for c in db.get_clips("a.mp4")] == [
        "door_004_01.mp4",
        "clip_005_01.mp4",
        "clip_006_01.mp4",
    ]


def test_clip_whose_file_is_gone_is_still_rewritten(db, tmp_path):
    folder = tmp_path / "exports" / "mp4_Door"
    db.add("a.mp4", 1.0, folder / "clip_001" / "clip_001_1.mp4")  # deleted by the user long ago
    db.add("a.mp4", 2.0, _write(folder / "clip_001" / "clip_001_2.mp4"))

    migrate_legacy_layout(db)

    assert [Path(c["output_path"]).relative_to(folder).as_posix() for c in db.get_clips("a.mp4")] == [
        "vid_001/clip_001_01.mp4",
        "vid_001/clip_001_02.mp4",
    ]
    assert not (folder / "clip_001").exists()


def test_never_overwrites_what_appeared_at_a_destination(db, tmp_path):
    make_legacy_export(tmp_path, db)
    [first, *_] = plan_legacy_moves(db)
    db.save_legacy_plan(plan_legacy_moves(db))
    intruder = _write(Path(first[1]))

    with pytest.raises(FoleycutError, match="already there"):
        migrate_legacy_layout(db)

    assert intruder.read_text() == str(intruder.relative_to(intruder.parents[2]))
    assert Path(first[0]).exists()


legacy_groups = st.lists(
    st.tuples(
        st.sampled_from(["a.mp4", "b.mp4", "c.mp4"]),
        st.sampled_from(["default", "cats"]),
        st.integers(min_value=1, max_value=4),
        st.booleans(),
    ),  # video, profile, clips, WebP
    min_size=1,
    max_size=8,
)


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(groups=legacy_groups, taken_on_disk=st.sets(st.integers(min_value=1, max_value=4), max_size=3))
def test_plan_gives_every_clip_one_free_place_in_its_own_vid_folder(groups, taken_on_disk):
    with tempfile.TemporaryDirectory() as tmp, ProcessedDB(Path(tmp) / "foleycut.db") as db:
        folder = Path(tmp) / "mp4_Door"
        for number in taken_on_disk:
            _write(folder / f"vid_{number:03d}" / "door_001_01.mp4")
        rows = {}
        for group, (video, profile, count, webp) in enumerate(groups, 1):
            for sub in range(1, count + 1):
                stem = folder / f"clip_{group:03d}" / f"clip_{group:03d}_{sub}"
                output = stem if webp else stem.with_name(stem.name + ".mp4")
                rows[db.add(video, float(group), output, profile=profile)] = (video, profile)

        moves = plan_legacy_moves(db)

        destinations = [dst for _, dst, _, _ in moves]
        assert len(set(destinations)) == len(destinations)
        assert not any(Path(dst).exists() for dst in destinations)
        rewritten = {row_id: Path(dst) for _, dst, row_id, _ in moves if row_id is not None}
        assert rewritten.keys() == rows.keys()
        vid_of = {}
        for row_id, dst in rewritten.items():
            assert dst.parent.parent == folder and dst.parent.name.startswith("vid_")
            assert vid_of.setdefault(rows[row_id], dst.parent.name) == dst.parent.name
        assert len(set(vid_of.values())) == len(vid_of)  # one vid folder per (video, profile)
        assert not {int(name[4:]) for name in vid_of.values()} & taken_on_disk


def test_unwritable_folder_gives_a_clear_error_and_the_next_start_finishes(db, tmp_path, monkeypatch):
    folder = make_legacy_export(tmp_path, db)
    before = _files(folder)
    real_move, calls = legacy_migration._move_entry, []

    def read_only_after_five(src, dst):
        calls.append(src)
        if len(calls) > 5:
            raise PermissionError(13, "Permission denied")
        real_move(src, dst)

    monkeypatch.setattr(legacy_migration, "_move_entry", read_only_after_five)
    with pytest.raises(FoleycutError, match=r"Cannot move exported clips into .*vid_0\d\d \(Permission denied\)"):
        migrate_legacy_layout(db, batch_size=100)

    # The five moves that happened are recorded: every stored path still points at its file.
    clips = [
        c
        for video, profile in (("a.mp4", "default"), ("b.mp4", "default"), ("b.mp4", "cats"))
        for c in db.get_clips(video, profile)
    ]
    assert all(Path(c["output_path"]).exists() for c in clips)
    assert sum(Path(c["output_path"]).parent.name.startswith("vid_") for c in clips) == 5
    monkeypatch.undo()
    migrate_legacy_layout(db)
    _assert_consistent(db, folder, before)


def test_two_instances_starting_together_follow_one_plan(db, tmp_path):
    folder = make_legacy_export(tmp_path, db, groups=30)
    before = _files(folder)
    with ProcessedDB(tmp_path / "foleycut.db") as second:
        assert second.save_legacy_plan(plan_legacy_moves(second))
        assert not db.save_legacy_plan(plan_legacy_moves(db))  # the first recorded plan is the only one
        second.clear_legacy_plan()
        runs = [
            threading.Thread(target=migrate_legacy_layout, args=(instance,), kwargs={"batch_size": 3})
            for instance in (db, second)
        ]
        for run in runs:
            run.start()
        for run in runs:
            run.join()
    _assert_consistent(db, folder, before)


def _interrupt_after(monkeypatch, db, moves_allowed: int) -> None:
    """Let `moves_allowed` moves happen, then die: the next move and any later database write fail."""
    real_move, real_finish = legacy_migration._move_entry, db.finish_legacy_moves
    state = {"moves": 0, "dead": False}

    def move(src, dst):
        if state["moves"] >= moves_allowed:
            state["dead"] = True
            raise Killed
        state["moves"] += 1
        real_move(src, dst)

    def finish(moves):
        if state["dead"]:
            raise Killed
        real_finish(moves)

    monkeypatch.setattr(legacy_migration, "_move_entry", move)
    monkeypatch.setattr(db, "finish_legacy_moves", finish)


@pytest.mark.slow
def test_interrupted_after_any_number_of_moves_then_rerun(tmp_path, monkeypatch):
    total = 15
    for k in range(total + 1):
        root = tmp_path / f"k{k}"
        with ProcessedDB(root / "foleycut.db") as db:
            folder = make_legacy_export(root, db)
            before = _files(folder)
            with monkeypatch.context() as patch:
                _interrupt_after(patch, db, k)
                try:
                    migrate_legacy_layout(db, batch_size=4)
                except Killed:
                    assert k < total and needs_legacy_migration(db)
            migrate_legacy_layout(db, batch_size=4)
            _assert_consistent(db, folder, before)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kills=st.lists(st.integers(min_value=0, max_value=6), max_size=4), batch_size=st.integers(min_value=1, max_value=8)
)
def test_interrupted_repeatedly_then_finished(kills, batch_size, monkeypatch):
    with tempfile.TemporaryDirectory() as tmp, ProcessedDB(Path(tmp) / "foleycut.db") as db:
        folder = make_legacy_export(Path(tmp), db, groups=5)
        before = _files(folder)
        for moves_allowed in kills:
            with monkeypatch.context() as patch:
                _interrupt_after(patch, db, moves_allowed)
                try:
                    migrate_legacy_layout(db, batch_size=batch_size)
                except Killed:
                    pass
        migrate_legacy_layout(db, batch_size=batch_size)
        _assert_consistent(db, folder, before)


_CHILD = """
import sys
from core.db import ProcessedDB
from core.legacy_migration import migrate_legacy_layout
db = ProcessedDB(sys.argv[1])
print("ready", flush=True)
migrate_legacy_layout(db, progress=lambda fraction, message: print(fraction, flush=True), batch_size=7)
"""


@pytest.mark.slow
def test_killed_with_sigkill_at_random_points(tmp_path):
    """A real process killed at a random point: after a chosen number of progress lines it keeps running
    while the signal is on its way, so kills land anywhere from planning to clean-up."""
    rng = random.Random(1234)
    killed = 0
    for trial in range(20):
        root = tmp_path / f"trial{trial}"
        with ProcessedDB(root / "foleycut.db") as db:
            folder = make_legacy_export(root, db, groups=60, subs=4)
            before = _files(folder)
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(root / "foleycut.db")], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(1 + rng.randrange(36)):  # "ready", then up to 35 progress lines
            child.stdout.readline()
        child.send_signal(signal.SIGKILL)
        child.communicate()
        killed += child.returncode == -signal.SIGKILL
        with ProcessedDB(root / "foleycut.db") as db:
            migrate_legacy_layout(db)
            _assert_consistent(db, folder, before)
    assert killed >= 15
