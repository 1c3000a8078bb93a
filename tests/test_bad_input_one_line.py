"""Bad input anywhere gives one line saying what to do, never a traceback, and writes nothing."""

from __future__ import annotations

import json

import pytest

from cli import run_cli
from core.changelog import read_changelog
from core.classifier_store import list_classifiers, load_classifier
from core.errors import FoleycutError
from core.export import ExportSettings, export_marker
from core.home import DataHome
from tests.media_factory import make_video


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("src") / "take.mp4", 4, size=(64, 48))


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--length", "nan"], "clip length nan s must be a positive number"),
        (["--length", "inf"], "clip length inf s must be a positive number"),
        (["--count", "2", "--spread", "nan"], "spread nan s must be a number"),
        (["--name", "n" * 250], "clip name is 250 bytes long"),
        (["--count", "101"], "clip count 101 must be between 1 and 100"),
        (["--portrait", "1:1", "--portrait-center", "nan"], "portrait centre nan"),
    ],
)
def test_export_settings_that_cannot_work(video, tmp_path, capsys, args, message):
    out = tmp_path / "out"
    code = run_cli(["--home", str(tmp_path / "home"), "export", str(video), "--at", "0", "--folder", str(out), *args])
    assert code == 1 and message in one_error_line(capsys)
    assert not out.exists()


def test_empty_export_folder_is_refused(video, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_cli(["--home", str(tmp_path / "home"), "export", str(video), "--at", "0", "--folder", ""]) == 1
    assert "--folder is empty" in one_error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


@pytest.mark.parametrize("where", ["file", "file/below"])
def test_home_that_is_not_a_folder(tmp_path, capsys, where):
    (tmp_path / "file").write_text("not a folder")
    assert run_cli(["--home", str(tmp_path / where), "models", "list"]) == 1
    assert "as the data home" in one_error_line(capsys)


def _write_version(home: DataHome, name: str, version: str, **changes) -> None:
    folder = home.models_dir / name
    folder.mkdir(exist_ok=True)
    meta = {
        "embedding_model": "MEL",
        "window": 8.0,
        "hop": 1.0,
        "created": "2026-01-01T00:00:00",
        "folders": {},
        "counts": {"positive_clips": 3},
        "metrics": {"precision": 1.0},
    } | changes
    (folder / f"{version}.json").write_text(json.dumps(meta))
    (folder / f"{version}.skops").write_bytes(b"not loaded by a listing")


@pytest.mark.parametrize(
    "changes",
    [
        {"counts": None},
        {"window": 0},
        {"hop": "1"},
        {"metrics": []},
        {"metrics": {"precision": None}},
        {"window": float("nan")},
    ],
    ids=["counts-null", "window-0", "hop-text", "metrics-list", "precision-null", "window-nan"],
)
def test_odd_classifier_metadata_is_one_line_and_spares_the_others(tmp_path, capsys, changes):
    home = DataHome.resolve(tmp_path / "home")
    _write_version(home, "good", "20260101_000000_000000")
    _write_version(home, "odd", "20260101_000000_000000", **changes)
    _write_version(home, "mixed", "20260101_000000_000000")
    _write_version(home, "mixed", "20260102_000000_000000", **changes)

    assert [(info.name, info.damaged) for info in list_classifiers(home)] == [
        ("good", ()),
        ("mixed", ("20260102_000000_000000",)),
    ]
    with pytest.raises(FoleycutError, match="metadata .* is damaged") as caught:
        load_classifier(home, "odd")
    assert "\n" not in str(caught.value)

    assert run_cli(["--home", str(home.root), "models", "list"]) == 0
    printed = capsys.readouterr().out
    assert "good (MEL)" in printed and "! 20260102_000000_000000  metadata damaged" in printed


def test_changelog_that_is_not_utf8_still_shows(tmp_path):
    path = tmp_path / "CHANGELOG.md"
    path.write_bytes("## 1.2.0 - 2026-01-01\n- Caf\u00e9 fix\n".encode("latin-1"))
    [entry] = read_changelog(path)
    assert entry.version == "1.2.0" and entry.body.startswith("- Caf")


def test_webp_export_with_percent_in_name_and_folder(db, video, tmp_path):
    settings = ExportSettings(
        name="100%_door", export_folder=tmp_path / "mp4 50%d", fmt="webp", length=1.0, encoder="libx264"
    )
    [clip] = export_marker(db, video, 0.0, settings)
    assert clip.path.name == "100%_door_001_01"
    assert len(list(clip.path.glob("frame_*.webp"))) == 25
    assert clip.path.with_name(clip.path.name + ".wav").is_file()
