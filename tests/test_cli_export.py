"""The headless `export` command, driven through an argument parser as `main.py export …` would be."""

from __future__ import annotations

import argparse
import json
from types import SimpleNamespace

import pytest

from cli import export_cmd, run_cli
from core.errors import FoleycutError
from core.probe import probe
from tests.media_factory import make_video


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("src") / "street scene.mp4", 10, size=(64, 48))


def run_export(db, argv: list[str], profile: str = "default") -> int:
    parser = argparse.ArgumentParser(prog="main.py")
    export_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["export", *argv])
    return args.func(args, SimpleNamespace(db=db, profile=profile))


def test_export_writes_eight_second_clips_into_vid_001(db, video, tmp_path, capsys):
    out = tmp_path / "mp4_Door"
    assert (
        run_export(
            db,
            [
                str(video),
                "--at",
                "0.4",
                "--folder",
                str(out),
                "--label",
                "door",
                "--category",
                "foley",
                "--encoder",
                "libx264",
            ],
        )
        == 0
    )
    clip = out / "vid_001" / "mp4_Door_001_01.mp4"
    assert probe(clip).duration == pytest.approx(8.0, abs=0.04)
    (row,) = db.get_clips(video.name)
    assert (row["output_path"], row["label"], row["category"], row["start_time"]) == (str(clip), "door", "foley", 0.4)
    assert json.loads((out / "dataset.json").read_text()) == [
        {
            "path": "vid_001/mp4_Door_001_01.mp4",
            "label": "door",
            "category": "foley",
            "source": str(video),
            "start": 0.4,
            "length": 8.0,
        }
    ]
    printed = capsys.readouterr().out
    assert str(clip) in printed and "Wrote 1 clip(s)" in printed


def test_several_markers_with_options(db, video, tmp_path, capsys):
    out = tmp_path / "out"
    argv = [
        str(video),
        "--at",
        "0",
        "--at",
        "4",
        "--folder",
        str(out),
        "--name",
        "knock",
        "--count",
        "2",
        "--spread",
        "0.5",
        "--length",
        "2",
        "--format",
        "webp",
        "--short-side",
        "32",
        "--portrait",
        "1:1",
        "--workers",
        "2",
    ]
    assert run_export(db, argv, profile="p2") == 0
    names = sorted(p.name for p in (out / "vid_001").iterdir())
    assert names == [
        "knock_001_01",
        "knock_001_01.wav",
        "knock_001_02",
        "knock_001_02.wav",
        "knock_002_01",
        "knock_002_01.wav",
        "knock_002_02",
        "knock_002_02.wav",
    ]
    assert len(list((out / "vid_001" / "knock_002_02").glob("frame_*.webp"))) == 50
    assert [m["marker_time"] for m in db.get_markers(video.name, "p2")] == [0.0, 4.0]
    assert "Wrote 4 clip(s)" in capsys.readouterr().out


def test_clamping_near_the_end_warns(db, video, tmp_path, capsys):
    assert run_export(db, [str(video), "--at", "9", "--folder", str(tmp_path / "o"), "--length", "2"]) == 0
    captured = capsys.readouterr()
    assert "warning: 1 clip(s) would run past the end" in captured.err
    assert "start 8.000 s" in captured.out


@pytest.mark.slow
def test_overwrite_flag_reuses_the_marker_names(db, video, tmp_path, capsys):
    argv = [str(video), "--at", "1", "--folder", str(tmp_path / "o"), "--length", "1"]
    run_export(db, argv)
    run_export(db, [*argv, "--overwrite", "--label", "new"])
    (row,) = db.get_clips(video.name)
    assert row["label"] == "new" and row["output_path"].endswith("o_001_01.mp4")


def test_bad_marker_writes_nothing(db, video, tmp_path):
    out = tmp_path / "o"
    with pytest.raises(FoleycutError, match="outside street scene.mp4"):
        run_export(db, [str(video), "--at", "1", "--at", "99", "--folder", str(out)])
    assert db.get_clips(video.name) == [] and not out.exists()


def test_bad_media_writes_nothing(db, tmp_path):
    fake = tmp_path / "fake.mp4"
    fake.write_text("nope")
    with pytest.raises(FoleycutError, match="not a media file"):
        run_export(db, [str(fake), "--at", "0", "--folder", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists()


def test_argument_errors_exit_nonzero(db, video, tmp_path):
    with pytest.raises(SystemExit) as caught:
        run_export(db, [str(video), "--at", "soon", "--folder", str(tmp_path)])
    assert caught.value.code == 2


def test_through_main_entry(video, tmp_path, capsys):
    """Exit status and the one-line error through the real command line."""
    home = tmp_path / "home"
    out = tmp_path / "out"
    assert run_cli(["--home", str(home), "export", str(video), "--at", "1", "--folder", str(out), "--length", "1"]) == 0
    assert (out / "vid_001" / "out_001_01.mp4").is_file()
    assert run_cli(["--home", str(home), "export", str(video), "--at", "50", "--folder", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Marker at 50.00 s") and err.count("\n") == 1
