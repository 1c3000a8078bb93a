"""`export --ltx2 / --random-crop`, `extract-audio` and `reexport`, run as `main.py …` would run them."""

from __future__ import annotations

import wave

import pytest

from cli import run_cli
from core.db import ProcessedDB
from core.home import DataHome
from tests.media_factory import make_video
from tests.test_ltx2_export import ffmpeg_facts


def test_export_ltx2_from_the_command_line(tmp_path, capsys):
    video = make_video(tmp_path / "clap.mp4", 3, size=(200, 150), fps=30)
    out = tmp_path / "ltx"
    assert (
        run_cli(
            [
                "export",
                str(video),
                "--at",
                "0.5",
                "--length",
                "2",
                "--folder",
                str(out),
                "--ltx2",
                "--encoder",
                "libx264",
            ]
        )
        == 0
    )
    (clip,) = out.rglob("*.mp4")
    assert ffmpeg_facts(clip) == (49, "25/1", 192, 128)


def test_extract_audio_command_writes_exact_samples_and_keeps_existing_files(tmp_path, capsys):
    video = make_video(tmp_path / "door.mp4", 3)
    out = tmp_path / "slices" / "door.wav"
    assert (
        run_cli(["extract-audio", str(video), "--at", "0.25", "--length", "1.5", "--out", str(out), "--rate", "22050"])
        == 0
    )
    with wave.open(str(out), "rb") as wav:
        assert (wav.getframerate(), wav.getnframes()) == (22050, round(1.5 * 22050))
    assert "33075 samples at 22050 Hz" in capsys.readouterr().out
    assert run_cli(["extract-audio", str(video), "--at", "0", "--length", "1", "--out", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert run_cli(["extract-audio", str(video), "--at", "0", "--length", "1", "--out", str(out), "--force"]) == 0


@pytest.mark.slow
def test_reexport_command_resizes_a_folder_keeping_names(tmp_path, capsys):
    video = make_video(tmp_path / "car.mp4", 3)
    out = tmp_path / "cars"
    assert (
        run_cli(
            [
                "export",
                str(video),
                "--at",
                "0.2",
                "--at",
                "1.0",
                "--length",
                "1",
                "--folder",
                str(out),
                "--encoder",
                "libx264",
            ]
        )
        == 0
    )
    names = sorted(p.name for p in out.rglob("*.mp4"))
    assert (
        run_cli(["reexport", "--folder", str(out), "--short-side", "60", "--random-crop", "0", "--encoder", "libx264"])
        == 0
    )
    assert "Re-encoded 2 clip(s)" in capsys.readouterr().out
    assert sorted(p.name for p in out.rglob("*.mp4")) == names
    assert {ffmpeg_facts(p)[2:] for p in out.rglob("*.mp4")} == {(80, 60)}
    assert (
        run_cli(["reexport", "--folder", str(out), "--video", str(video), "--short-side", "32", "--encoder", "libx264"])
        == 0
    )
    with ProcessedDB(DataHome.resolve(None).db_path) as db:
        assert {row["settings"]["short_side"] for row in db.get_clips_in(out.resolve())} == {32}
    assert run_cli(["reexport", "--folder", str(tmp_path / "empty")]) == 1
    assert "No clips" in capsys.readouterr().err
