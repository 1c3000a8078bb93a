"""Fault injection with real processes: exports, trainings and scans killed with SIGKILL at random moments,
two exports racing for the same names; then the next start (any CLI command) must leave no orphan file,
no row without its file, no file without its row, and lose nothing that was finished before.

The CI run uses the trial counts below (the whole module stays well under three minutes); the same tests
with more trials run by hand with `pytest -m long_faults tests/test_fault_injection.py` (docs/DATA_SAFETY.md).
Killing the process group also kills the ffmpeg children, as a crash that takes the session down would.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.classifier_store import list_classifiers
from core.db import ProcessedDB
from core.home import DataHome
from core.recovery import recover_at_start
from tests.media_factory import make_video
from tests.scan_scenario import add_training_clips, scene_videos

MAIN = Path(__file__).resolve().parents[1] / "main.py"
ROOT = MAIN.parent
EXPORT_TRIALS, RACE_TRIALS, TRAIN_KILLS, SCAN_KILLS = 20, 20, 2, 3
TRAIN_KILL_WINDOW_S = 12.0  # a training here takes 5-20 s
LONG = {"export": 200, "race": 100, "train": 10, "scan": 20}


def trials(ci: int, long: int):
    return pytest.mark.parametrize(
        "count",
        [pytest.param(ci, id=f"{ci}-trials"), pytest.param(long, id=f"{long}-trials", marks=pytest.mark.long_faults)],
    )


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("src") / "take.mp4", 4, size=(64, 48))


def cli(home: Path, *args) -> list[str]:
    return [sys.executable, str(MAIN), "--home", str(home), *map(str, args)]


def export_args(home: Path, video: Path, folder: Path) -> list[str]:
    return cli(
        home,
        "export",
        video,
        "--at",
        "0.5",
        "--count",
        "3",
        "--length",
        "1",
        "--folder",
        folder,
        "--encoder",
        "libx264",
        "--workers",
        "2",
    )


def run(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False)


def kill_after(args: list[str], delay: float) -> None:
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, start_new_session=True
    )
    time.sleep(delay)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # it had finished
        pass
    proc.wait()


def timed(args: list[str]) -> float:
    began = time.monotonic()
    result = run(args)
    assert result.returncode == 0, result.stderr
    return time.monotonic() - began


def assert_export_folder_consistent(home: Path, folder: Path, earlier: set[int]) -> set[int]:
    """Files and rows match one to one, no temp file or journal entry is left, nothing earlier is gone,
    the one video has one vid folder and its counters have no gap."""
    with ProcessedDB(home / "foleycut.db") as db:
        assert db.pending_exports() == []
        rows = db.get_clips_in(folder)
    paths = {row["output_path"] for row in rows}
    assert all(Path(path).is_file() for path in paths)
    entries = [entry for vid in folder.iterdir() if vid.is_dir() for entry in vid.iterdir()]
    assert [e for e in entries if e.name.startswith(".")] == []
    assert {str(e) for e in entries} == paths
    assert len([vid for vid in folder.iterdir() if vid.is_dir()]) == 1
    counters = {int(Path(path).stem.split("_")[-2]) for path in paths}
    assert counters == set(range(1, len(counters) + 1))
    listed = {entry["path"] for entry in json.loads((folder / "dataset.json").read_text())}
    assert listed == {Path(path).relative_to(folder).as_posix() for path in paths}
    ids = {row["id"] for row in rows}
    assert earlier <= ids
    return ids


def assert_no_lock_files_left_once_old(home: Path) -> None:
    """An export killed after its commit leaves its liveness lock file; a start a minute later removes it."""
    old = time.time() - 120
    for lock in (home / "locks").iterdir():
        os.utime(lock, (old, old))
    with ProcessedDB(home / "foleycut.db") as db:
        recover_at_start(DataHome.resolve(home), db)
    assert [p.name for p in (home / "locks").iterdir()] == ["export.lock"]


@pytest.mark.slow
@trials(EXPORT_TRIALS, LONG["export"])
def test_export_killed_at_random_points_then_rerun(video, tmp_path, count):
    home, folder = tmp_path / "home", tmp_path / "exports" / "out"
    duration = timed(export_args(home, video, folder))
    rng = random.Random(11)
    ids = assert_export_folder_consistent(home, folder, set())
    for _ in range(count):
        kill_after(export_args(home, video, folder), rng.uniform(0.0, duration))
        assert run(export_args(home, video, folder)).returncode == 0  # the rerun recovers first
        ids = assert_export_folder_consistent(home, folder, ids)
    assert_no_lock_files_left_once_old(home)


RACING_EXPORTS = """
import random, sys, time
from core import export_journal
from cli import run_cli
place = export_journal.place
rng = random.Random(int(sys.argv[1]))
def slow_place(src, dst):
    time.sleep(rng.uniform(0, 0.1))  # the moment between choosing a name and taking it
    place(src, dst)
export_journal.place = slow_place
for _ in range(int(sys.argv[2])):
    time.sleep(rng.uniform(0, 0.1))  # so the two processes meet at ever different points
    if run_cli(sys.argv[3:]) != 0:
        sys.exit(1)
"""


@pytest.mark.slow
@trials(RACE_TRIALS, LONG["race"])
def test_two_processes_exporting_the_same_video_at_once(video, tmp_path, count):
    """Two processes each export the same marker `count` times, racing for the same names (the CLI's
    start-up runs once: a trial is one pair of exports overlapping)."""
    home, folder = tmp_path / "home", tmp_path / "exports" / "out"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACING_EXPORTS, str(seed), str(count), *export_args(home, video, folder)[2:]],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for seed in (1, 2)
    ]
    for racer in racers:
        _out, err = racer.communicate(timeout=600)
        assert racer.returncode == 0, err
    ids = assert_export_folder_consistent(home, folder, set())
    assert len(ids) == 2 * 3 * count  # every clip of every export, none shared
    assert_no_lock_files_left_once_old(home)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A data home with training clips and one classifier version, trained through the CLI."""
    videos = scene_videos(tmp_path_factory)
    root = tmp_path_factory.mktemp("trained")
    home = DataHome.resolve(root / "home")
    with ProcessedDB(home.db_path) as db:
        add_training_clips(db, root, videos)
    assert run(train_args(home)).returncode == 0
    return home, videos


@pytest.fixture
def trained_home(trained, tmp_path):
    home, videos = trained
    return DataHome.resolve(shutil.copytree(home.root, tmp_path / "home")), videos


def train_args(home: DataHome) -> list[str]:
    return cli(home.root, "train", "--positive", "mp4_Tone", "--name", "tone", "--margin", "10")


def assert_home_consistent(home: DataHome) -> None:
    """After the next start's clean-up (everything is stale once no process runs): no temp file, every
    classifier version whole, every scan version whole."""
    with ProcessedDB(home.db_path) as db:
        recover_at_start(home, db, stale_after=0)
        orphans = db._store.conn.execute("""SELECT COUNT(*) FROM scan_results s
                                      WHERE s.scan_timestamp != '' AND NOT EXISTS
                                      (SELECT 1 FROM scan_versions v WHERE v.filename = s.filename
                                       AND v.scan_timestamp = s.scan_timestamp)""").fetchone()[0]
        assert orphans == 0
    assert list(home.root.rglob("*.tmp")) == [] and list(home.root.rglob("*.part")) == []
    for folder in (p for p in home.models_dir.iterdir() if p.is_dir()):
        assert {p.stem for p in folder.glob("*.skops")} == {p.stem for p in folder.glob("*.json")}
    list_classifiers(home)  # readable


@pytest.mark.slow
@trials(TRAIN_KILLS, LONG["train"])
def test_training_killed_at_random_points_then_rerun(trained_home, count):
    home, _videos = trained_home
    rng = random.Random(3)
    for _ in range(count):
        kill_after(train_args(home), rng.uniform(0.5, TRAIN_KILL_WINDOW_S))
        assert_home_consistent(home)
    assert run(train_args(home)).returncode == 0
    assert_home_consistent(home)
    assert list_classifiers(home)[0].version_count >= 2  # the version finished before the kills is kept


@pytest.mark.slow
@trials(SCAN_KILLS, LONG["scan"])
def test_scan_killed_at_random_points_then_rerun(trained_home, count):
    home, videos = trained_home
    scan = cli(home.root, "scan", videos["train_a"], videos["held_out"], "--classifier", "tone")
    rng = random.Random(7)
    duration = timed(scan)
    for _ in range(count):
        kill_after(scan, rng.uniform(0.0, duration))
        assert_home_consistent(home)
    # at another threshold, so the rerun is a version of its own (an identical rescan is not stored again)
    assert run(scan + ["--threshold", "0.3"]).returncode == 0
    assert_home_consistent(home)
    with ProcessedDB(home.db_path) as db:
        assert len(db.get_scan_versions("train_a.mp4", "default", "MEL")) >= 2  # earlier scans kept
