"""Probing media through `ffmpeg -i` (and ffprobe's JSON when present) and detecting H.264 encoders."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction

import numpy as np
import pytest

from core import probe as probe_mod
from core.errors import FoleycutError
from core.ffmpeg import file_url, run_ffmpeg
from core.probe import SOFTWARE_H264, MediaError, choose_h264_encoder, probe
from tests.media_factory import make_video, write_wav


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("probe_media")
    return {
        "av": make_video(root / "av.mp4", 2, size=(160, 120)),
        "silent": make_video(root / "silent.mp4", 2, audio=None),
        "wav": write_wav(root / "tone.wav", np.zeros(8000, dtype=np.float32)),
    }


def test_video_with_audio(media):
    info = probe(media["av"])
    assert info.has_video and info.has_audio
    assert info.duration == pytest.approx(2.0, abs=0.05)
    assert (info.width, info.height, info.fps) == (160, 120, Fraction(25))
    assert info.frame_duration == pytest.approx(0.04)
    assert info.audio_rate == 16000 and info.video_codec == "h264" and info.audio_codec == "aac"
    assert info.size == media["av"].stat().st_size


def test_video_without_audio(media):
    info = probe(media["silent"])
    assert info.has_video and not info.has_audio and info.audio_rate is None


def test_audio_only(media):
    info = probe(media["wav"])
    assert info.has_audio and not info.has_video
    assert info.duration == pytest.approx(0.5, abs=0.02) and info.fps is None


def test_ntsc_rate_is_exact(tmp_path):
    path = tmp_path / "ntsc.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=64x48:rate=30000/1001:duration=0.5",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            str(path),
        ],
        check=True,
    )
    assert probe(path).fps == Fraction(30000, 1001)


@pytest.mark.parametrize("name", ["with space.mp4", 'quote\'s "double".mp4', "ünïcødé 音.mp4", "-dash:colon.mp4"])
def test_awkward_names(tmp_path, media, name):
    path = tmp_path / name
    path.write_bytes(media["av"].read_bytes())
    assert probe(path).has_audio


def test_rotated_phone_video_reports_the_upright_size(tmp_path, media):
    rotated = tmp_path / "phone.mp4"
    run_ffmpeg(["-display_rotation", "90", "-i", file_url(media["av"]), "-c", "copy", file_url(rotated)], check=True)
    info = probe(rotated)
    assert (info.width, info.height) == (120, 160)


def test_missing_file(tmp_path):
    with pytest.raises(MediaError, match="does not exist"):
        probe(tmp_path / "nope.mp4")


def test_zero_byte_file(tmp_path):
    (tmp_path / "empty.mp4").touch()
    with pytest.raises(MediaError, match=r"empty \(0 bytes\)"):
        probe(tmp_path / "empty.mp4")


def test_not_a_media_file(tmp_path):
    (tmp_path / "notes.mp4").write_text("shopping list\n" * 50)
    with pytest.raises(MediaError, match="not a media file"):
        probe(tmp_path / "notes.mp4")


def test_truncated_file(tmp_path, media):
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(media["av"].read_bytes()[:4000])
    with pytest.raises(MediaError, match="truncated") as caught:
        probe(cut)
    assert "\n" not in str(caught.value)


def test_still_image_has_no_duration(tmp_path):
    png = tmp_path / "still.png"
    run_ffmpeg(["-f", "lavfi", "-i", "color=red:size=32x32", "-frames:v", "1", str(png)], check=True)
    with pytest.raises(MediaError, match="no duration"):
        probe(png)


def test_ffprobe_json_is_used_when_present(monkeypatch, tmp_path):
    video = tmp_path / "v.mkv"
    video.write_bytes(b"x")
    report = {
        "format": {"duration": "12.5"},
        "streams": [
            {"codec_type": "video", "codec_name": "mjpeg", "width": 1, "height": 1, "disposition": {"attached_pic": 1}},
            {
                "codec_type": "video",
                "codec_name": "h264",
                "width": 1920,
                "height": 1080,
                "avg_frame_rate": "24000/1001",
                "side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}],
            },
            {"codec_type": "audio", "codec_name": "opus", "sample_rate": "48000"},
        ],
    }
    monkeypatch.setattr(probe_mod, "ffprobe_exe", lambda: "ffprobe")
    monkeypatch.setattr(
        probe_mod.subprocess,
        "run",
        lambda cmd, **kw: subprocess.CompletedProcess(cmd, 0, json.dumps(report).encode(), b""),
    )
    info = probe(video)
    assert (info.duration, info.fps, info.video_codec) == (12.5, Fraction(24000, 1001), "h264")
    assert (info.width, info.height) == (1080, 1920)
    assert (info.audio_codec, info.audio_rate) == ("opus", 48000)


def test_hardware_encoders_must_list_and_encode(monkeypatch):
    listing = b" V....D libx264  H.264\n V....D h264_nvenc  NVENC\n V..... h264_qsv  QSV\n"
    tried = []

    def fake_run(cmd, **kwargs):
        codec = cmd[cmd.index("-c:v") + 1]
        tried.append(codec)
        return subprocess.CompletedProcess(cmd, 0 if codec == "h264_qsv" else 1, b"", b"no device")

    monkeypatch.setattr(probe_mod, "run_ffmpeg", lambda args, **kw: subprocess.CompletedProcess(args, 0, listing, b""))
    monkeypatch.setattr(probe_mod.subprocess, "run", fake_run)
    probe_mod.hardware_h264_encoders.cache_clear()
    try:
        assert [e.name for e in probe_mod.hardware_h264_encoders()] == ["h264_qsv"]
        assert sorted(tried) == ["h264_nvenc", "h264_qsv"]
        assert choose_h264_encoder("auto").name == "h264_qsv"
        with pytest.raises(FoleycutError, match="not available"):
            choose_h264_encoder("h264_nvenc")
    finally:
        probe_mod.hardware_h264_encoders.cache_clear()


def test_software_encoder_always_available():
    assert choose_h264_encoder("libx264") is SOFTWARE_H264
