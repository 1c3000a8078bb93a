"""Bad input to clip export: a clear one-line error, no partial clip under a final name, no row without a file."""

from __future__ import annotations

import threading
from pathlib import Path

import psutil
import pytest

from core import export_encode
from core.errors import Cancelled, FoleycutError
from core.export import ExportSettings, export_marker
from core.ffmpeg import ffmpeg_command, file_url, run_ffmpeg
from tests.media_factory import make_video


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("src") / "source.mp4", 4, size=(64, 48))


@pytest.fixture
def settings(tmp_path):
    return ExportSettings(
        name="door", export_folder=tmp_path / "out", length=1.0, count=3, workers=2, encoder="libx264"
    )


def fails_cleanly(db, video, settings, match, marker=0.0) -> str:
    """Export must raise a one-line FoleycutError and leave no clip, temp file, row or dataset entry behind."""
    with pytest.raises(FoleycutError, match=match) as caught:
        export_marker(db, video, marker, settings)
    message = str(caught.value)
    assert "\n" not in message
    leftovers = (
        [p for p in settings.export_folder.rglob("*") if p.name != "dataset.json"]
        if settings.export_folder.exists()
        else []
    )
    assert leftovers == []
    assert db.get_clips(Path(video).name) == []
    return message


def test_not_a_media_file(db, settings, tmp_path):
    fake = tmp_path / "holiday.mp4"
    fake.write_text("not a video\n" * 100)
    fails_cleanly(db, fake, settings, "not a media file")


def test_video_without_audio(db, settings, tmp_path):
    silent = make_video(tmp_path / "silent.mp4", 2, audio=None, size=(64, 48))
    fails_cleanly(db, silent, settings, "no audio track")


def test_audio_without_video(db, settings, tmp_path):
    wav = tmp_path / "sound.wav"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=duration=2", str(wav)], check=True)
    fails_cleanly(db, wav, settings, "no video stream")


def test_zero_byte_file(db, settings, tmp_path):
    (tmp_path / "empty.mp4").touch()
    fails_cleanly(db, tmp_path / "empty.mp4", settings, "empty")


def test_missing_file(db, settings, tmp_path):
    fails_cleanly(db, tmp_path / "gone.mp4", settings, "does not exist")


def test_truncated_file(db, settings, source, tmp_path):
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    fails_cleanly(db, cut, settings, "truncated")


def test_truncated_file_with_index_up_front(db, settings, source, tmp_path):
    """The index survives, so probing succeeds, but the media data ends early: the clip would come out short."""
    whole = tmp_path / "faststart.mp4"
    run_ffmpeg(["-i", file_url(source), "-c", "copy", "-movflags", "+faststart", file_url(whole)], check=True)
    cut = tmp_path / "cut fast.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    settings.count = 1
    fails_cleanly(db, cut, settings, "cut fast.mp4", marker=2.9)


@pytest.mark.parametrize("name", ["my clips 'final' \"cut\"", "ünïcødé 音"])
def test_awkward_paths_work(db, settings, source, tmp_path, name):
    video = tmp_path / f"{name}.mp4"
    video.write_bytes(source.read_bytes())
    settings.export_folder = tmp_path / name / "out put"
    settings.count = 1
    (clip,) = export_marker(db, video, 0.0, settings)
    assert clip.path.is_file() and clip.path.parent.parent == settings.export_folder
    assert db.get_clips(video.name)[0]["source_path"] == str(video)


def test_unwritable_export_folder(db, settings, source, tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("in the way")
    settings.export_folder = blocker / "out"
    with pytest.raises(FoleycutError, match="Cannot write to .*choose an export folder"):
        export_marker(db, source, 0.0, settings)
    assert db.get_clips(source.name) == []


def test_ffmpeg_failing_on_the_second_clip(db, settings, source, monkeypatch):
    real = export_encode.clip_command

    def second_clip_fails(plan, job, settings, encoder):
        cmd = real(plan, job, settings, encoder)
        if job.stem.endswith("_02"):  # an impossible option makes ffmpeg exit with an error, as a full disk would
            cmd.insert(cmd.index("-y"), "-no-such-option")
        return cmd

    monkeypatch.setattr(export_encode, "clip_command", second_clip_fails)
    message = fails_cleanly(db, source, settings, "ffmpeg could not encode clip door_001_02")
    assert "check free space" in message
    monkeypatch.setattr(export_encode, "clip_command", real)
    clips = export_marker(db, source, 0.0, settings)  # the failed attempt used up nothing
    assert [c.path.name for c in clips] == ["door_001_01.mp4", "door_001_02.mp4", "door_001_03.mp4"]


def test_existing_clips_survive_a_failed_export(db, settings, source, monkeypatch):
    kept = export_marker(db, source, 0.0, settings)
    monkeypatch.setattr(export_encode, "clip_command", lambda *a: ["false"])
    with pytest.raises(FoleycutError):
        export_marker(db, source, 1.0, settings)
    assert all(c.path.is_file() for c in kept)
    assert sorted(r["id"] for r in db.get_clips(source.name)) == sorted(c.row_id for c in kept)
    assert not [p for p in kept[0].path.parent.iterdir() if p.name.startswith(".")]


def test_video_shorter_than_one_clip(db, settings, source):
    settings.length = 8.0
    fails_cleanly(db, source, settings, "shorter than one 8 s clip: nothing was written")


def test_marker_outside_the_video(db, settings, source):
    fails_cleanly(db, source, settings, "outside source.mp4", marker=10.0)


@pytest.mark.parametrize(
    "change, match",
    [
        ({"fmt": "gif"}, "format 'gif' is unknown"),
        ({"count": 0}, "count 0"),
        ({"length": 0}, "length 0"),
        ({"portrait": "2:1"}, "portrait crop '2:1'"),
        ({"portrait_center": 1.5}, "centre 1.5"),
        ({"name": "a/b"}, "clip name 'a/b'"),
        ({"name": " "}, "clip name"),
        ({"short_side": 4}, "short side 4"),
        ({"encoder": "h264_imaginary"}, "not available"),
    ],
)
def test_bad_settings(db, settings, source, change, match):
    for key, value in change.items():
        setattr(settings, key, value)
    fails_cleanly(db, source, settings, match)


def endless_ffmpeg() -> list[str]:
    """An ffmpeg that never finishes on its own (an endless silent source into nowhere)."""
    return ffmpeg_command(["-re", "-f", "lavfi", "-i", "anullsrc", "-f", "null", "-"])


def ffmpeg_children() -> list:
    return [p for p in psutil.Process().children(recursive=True) if "ffmpeg" in p.name()]


@pytest.mark.slow
def test_cancel_kills_running_ffmpeg(db, settings, source, monkeypatch):
    monkeypatch.setattr(export_encode, "clip_command", lambda *args: endless_ffmpeg())
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    with pytest.raises(Cancelled):
        export_marker(db, source, 0.0, settings, cancel=cancel)
    assert ffmpeg_children() == []
    assert db.get_clips(source.name) == [] and not (settings.export_folder / "vid_001").exists()


def test_a_failing_clip_stops_the_others(db, settings, source, monkeypatch):
    real = export_encode.clip_command
    monkeypatch.setattr(
        export_encode,
        "clip_command",
        lambda plan, job, *rest: (
            endless_ffmpeg() if job.stem.endswith("_01") else [*real(plan, job, *rest), "-no-such-option"]
        ),
    )
    with pytest.raises(FoleycutError, match="could not encode clip door_001_02"):
        export_marker(db, source, 0.0, settings)
    assert ffmpeg_children() == []
    assert db.get_clips(source.name) == []
