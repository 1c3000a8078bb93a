"""The headless train / scan / negatives / models commands, run in-process through cli.run_cli."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli import run_cli
from core.classifier_store import list_versions, load_classifier
from core.db import ProcessedDB
from core.home import DataHome
from core.scanning import negative_times_for_region
from core.training import DEFAULT_HOP, DEFAULT_WINDOW
from tests.scan_scenario import BURST, SCENES, add_training_clips, scene_videos

pytestmark = pytest.mark.slow  # every test here trains or scans a classifier (module fixtures)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    return scene_videos(tmp_path_factory)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, videos):
    """A home whose database holds the training clips, with classifier 'tone' trained through the CLI."""
    root = tmp_path_factory.mktemp("cli_trained")
    home = DataHome.resolve(root / "home")
    with ProcessedDB(home.db_path) as db:
        add_training_clips(db, root, videos)
    assert (
        run_cli(["--home", str(home.root), "train", "--positive", "mp4_Tone", "--name", "tone", "--margin", "10"]) == 0
    )
    return home


@pytest.fixture
def home(trained, tmp_path):
    return DataHome.resolve(shutil.copytree(trained.root, tmp_path / "home"))


def cli(home, *args):
    return run_cli(["--home", str(home.root), *map(str, args)])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def scan_rows(home, filename):
    with ProcessedDB(home.db_path) as db:
        return db.get_scan_results(filename, "default")


# --------------------------------------------------------------------------- train


def test_train_prints_counts_and_metrics(home, capsys):
    assert cli(home, "train", "--positive", "mp4_Tone", "--name", "tone", "--margin", "10", "--no-hard-negatives") == 0
    out = capsys.readouterr().out
    assert "Trained 'tone' version" in out and "on MEL embeddings" in out
    assert "videos 3, positive clips 6" in out
    assert "cross-validated (3 folds by video): average precision" in out
    assert re.search(r"operating point \((precision 0.9 reached|best F0.5)\): threshold 0\.\d+, precision", out)


def test_a_classifier_trained_per_video_normalised_scans_the_same_way(home, videos, capsys):
    assert cli(home, "train", "--positive", "mp4_Tone", "--name", "z", "--margin", "10", "--normalise-per-video") == 0
    capsys.readouterr()
    assert load_classifier(home, "z").meta.feature_set == "context_per_video"
    held_out = str(videos["held_out"])
    assert cli(home, "scan", held_out, "--classifier", "z", "--json") == 0
    found = json.loads(capsys.readouterr().out)[held_out]
    for event in SCENES["held_out"].targets:
        assert any(r["start"] < event + BURST and event < r["end"] for r in found)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--positive", "mp4_Empty", "--name", "x"], "Export folder 'mp4_Empty' has no clips"),
        (["--positive", "mp4_Tone", "--name", "x", "--model", "NOPE"], "Unknown embedding model 'NOPE'"),
        (["--positive", "mp4_Tone", "--name", "a/b"], "Classifier name 'a/b' is not usable"),
        (["--positive", "mp4_Tone", "--name", "x", "--negative", "mp4_Tone"], "negative folder is the positive"),
        (["--positive", "mp4_Tone", "--name", "x", "--target-precision", "1.5"], "is not a precision"),
        (["--positive", "mp4_Tone", "--name", "x", "--margin", "nan"], "is not a distance"),
    ],
)
def test_train_bad_input_is_one_line_and_writes_nothing(home, capsys, args, message):
    before = sorted(p.name for p in home.models_dir.iterdir())
    assert cli(home, "train", *args) == 1
    assert message in one_error_line(capsys)
    assert sorted(p.name for p in home.models_dir.iterdir()) == before


# --------------------------------------------------------------------------- scan


def test_scan_json_is_regions_per_video_path_as_given(home, videos, capsys):
    held_out = str(videos["held_out"])
    assert cli(home, "scan", held_out, "--classifier", "tone", "--json") == 0
    found = json.loads(capsys.readouterr().out)
    assert list(found) == [held_out]
    assert all(set(region) == {"start", "end", "score"} for region in found[held_out])
    for event in SCENES["held_out"].targets:
        assert any(r["start"] < event + BURST and event < r["end"] for r in found[held_out])
    assert len(found[held_out]) == len(SCENES["held_out"].targets)
    assert len(scan_rows(home, "held_out.mp4")["MEL"]) == len(found[held_out])


def test_scan_text_output_and_min_length(home, videos, capsys):
    assert cli(home, "scan", videos["held_out"], "--classifier", "tone", "--min-length", "100") == 0
    assert capsys.readouterr().out.splitlines() == [f"{videos['held_out']}: 0 region(s)"]


def test_scan_reports_a_bad_file_and_still_scans_the_others(home, videos, tmp_path, capsys):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"garbage")
    assert cli(home, "scan", broken, videos["held_out"], "--classifier", "tone", "--json") == 1
    captured = capsys.readouterr()
    assert list(json.loads(captured.out)) == [str(videos["held_out"])]
    assert captured.err.startswith(f"error: {broken}: ") and captured.err.count("\n") == 1
    assert scan_rows(home, "broken.mp4") == {}


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.mp4", "--classifier", "tone"], "No such video: missing.mp4"),
        (["{held_out}", "--classifier", "nope"], "No classifier named 'nope'"),
        (["{held_out}", "--classifier", "tone", "--threshold", "2"], "is not a probability"),
        (["{held_out}", "--classifier", "tone", "--version", "1999"], "has no version 1999"),
    ],
)
def test_scan_bad_input_is_one_line_and_writes_nothing(home, videos, capsys, args, message):
    args = [a.format(held_out=videos["held_out"]) for a in args]
    assert cli(home, "scan", *args) == 1
    assert message in one_error_line(capsys)
    assert scan_rows(home, "held_out.mp4") == {}


# --------------------------------------------------------------------------- negatives and models


def test_negatives_add_list_delete(home, videos, capsys):
    assert cli(home, "negatives", "add", videos["chords"], "--at", "60", "--at", "61.5", "--model", "MEL") == 0
    assert "Added 2 hard negative(s) to chords.mp4" in capsys.readouterr().out
    assert cli(home, "negatives", "list") == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[-1] == "2 hard negative(s) in profile 'default'"
    assert "61.5 s" in listed[1] and "MEL" in listed[1] and "chords.mp4" in listed[1]
    first_id = listed[0].split()[0]
    assert cli(home, "negatives", "delete", first_id) == 0
    assert cli(home, "negatives", "list") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 hard negative(s) in profile 'default'"


def test_negatives_add_region_stores_the_windows_the_window_would(home, videos, capsys):
    assert (
        cli(
            home,
            "negatives",
            "add",
            videos["chords"],
            "--region",
            "40.1",
            "41.3",
            "--region",
            "70",
            "70.5",
            "--at",
            "90",
        )
        == 0
    )
    expected = sorted(
        negative_times_for_region(40.1, 41.3, DEFAULT_WINDOW, DEFAULT_HOP)
        + negative_times_for_region(70, 70.5, DEFAULT_WINDOW, DEFAULT_HOP)
        + [90.0]
    )
    assert f"Added {len(expected)} hard negative(s) to chords.mp4" in capsys.readouterr().out
    with ProcessedDB(home.db_path) as db:
        assert sorted(row["start_time"] for row in db.get_hard_negatives("default")) == expected


@pytest.mark.parametrize(
    "args, message",
    [
        (["add", "{chords}", "--at", "500"], "500 s lies outside chords.mp4"),
        (["add", "{chords}", "--region", "50", "40"], "--region 50-40 ends before it starts"),
        (["add", "{chords}", "--region", "100", "130"], "130 s lies outside chords.mp4"),
        (["add", "{chords}"], "Nothing to add: give --at T or --region START END"),
        (["add", "{chords}", "--at", "5", "--model", "NOPE"], "Unknown embedding model 'NOPE'"),
        (["add", "missing.mp4", "--at", "5"], "No such video: missing.mp4"),
        (["delete", "12345"], "No hard negative with id 12345"),
    ],
)
def test_negatives_bad_input_is_one_line_and_writes_nothing(home, videos, capsys, args, message):
    args = [a.format(chords=videos["chords"]) for a in args]
    assert cli(home, "negatives", *args) == 1
    assert message in one_error_line(capsys)
    with ProcessedDB(home.db_path) as db:
        assert db.get_hard_negatives("default") == []


def test_models_list_and_rollback(home, capsys):
    assert cli(home, "train", "--positive", "mp4_Tone", "--name", "tone", "--margin", "10") == 0
    capsys.readouterr()
    assert cli(home, "models", "list") == 0
    out = capsys.readouterr().out
    assert "MEL             dim   192  built in" in out
    assert "HUBERT_BASE" in out and "not downloaded" in out
    assert "tone (MEL), 2 version(s)" in out
    newest, oldest = (meta.version for meta in list_versions(home, "tone"))
    assert f"* {newest}" in out and f"  {oldest}" in out  # the newest is active after training

    assert cli(home, "models", "rollback", "tone", oldest) == 0
    assert f"now scans with version {oldest}" in capsys.readouterr().out
    assert cli(home, "models", "list") == 0
    assert f"* {oldest}" in capsys.readouterr().out
    assert cli(home, "models", "rollback", "tone", "1999") == 1
    assert "has no version 1999" in one_error_line(capsys)


# --------------------------------------------------------------------------- scan --force / --export


def test_a_second_scan_is_skipped_unless_forced(home, videos, capsys):
    video = videos["held_out"]
    assert cli(home, "scan", video, "--classifier", "tone", "--json") == 0
    first = json.loads(capsys.readouterr().out)
    assert cli(home, "scan", video, "--classifier", "tone") == 0
    assert "already scanned with these settings" in capsys.readouterr().err
    assert cli(home, "scan", video, "--classifier", "tone", "--json") == 0
    assert json.loads(capsys.readouterr().out) == first  # the stored regions, same shape
    assert cli(home, "scan", video, "--classifier", "tone", "--force") == 0
    assert "already scanned" not in capsys.readouterr().err


def test_scan_export_merges_drops_short_and_exports(home, videos, tmp_path, capsys):
    folder = tmp_path / "mp4_Auto"
    assert (
        cli(
            home,
            "scan",
            videos["held_out"],
            "--classifier",
            "tone",
            "--export",
            "--folder",
            folder,
            "--length",
            "0.5",
            "--merge-gap",
            "1",
            "--json",
        )
        == 0
    )
    found = json.loads(capsys.readouterr().out)[str(videos["held_out"])]
    assert found and all(region["clips"] for region in found)
    assert all(path.startswith(str(folder)) for region in found for path in region["clips"])
    assert (
        cli(home, "scan", videos["held_out"], "--classifier", "tone", "--export", "--folder", folder, "--length", "600")
        == 0
    )  # every region shorter than a clip: nothing exported
    assert "0 region(s) exported" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--export"], "--export needs --folder"),
        (["--export", "--folder", "x", "--merge-gap", "-1"], "--merge-gap -1 is not a length"),
        (["--folder", "x"], "--folder is for --export"),
    ],
)
def test_bad_auto_options_are_one_line(home, videos, capsys, args, message):
    assert cli(home, "scan", videos["held_out"], "--classifier", "tone", *args) == 1
    assert message in one_error_line(capsys)


def test_the_cli_imports_only_the_sub_command_it_runs():
    probe = (
        "import sys; from cli import build_parser; build_parser(sys.argv[1:]); "
        "print(sorted(m for m in ('cli.export_cmd', 'cli.search_cmd', 'cli.scan_cmd', 'core.export', "
        "'core.similarity_search') if m in sys.modules))"
    )

    def imported(*argv):
        done = subprocess.run(
            [sys.executable, "-c", probe, *argv], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    assert imported("--home", "scan", "scan", "v.mp4", "--classifier", "x") == "['cli.scan_cmd']"
    assert "cli.export_cmd" in imported("--help-me")  # no sub-command named: every parser, for the help
