"""Which ffmpeg Foleycut runs."""

import pytest

from core import ffmpeg
from core.errors import FoleycutError


@pytest.fixture(autouse=True)
def fresh_lookup():
    ffmpeg.ffmpeg_exe.cache_clear()
    ffmpeg.ffprobe_exe.cache_clear()
    yield
    ffmpeg.ffmpeg_exe.cache_clear()
    ffmpeg.ffprobe_exe.cache_clear()


def test_explicit_binary_wins(tmp_path, monkeypatch):
    custom = tmp_path / "ffmpeg"
    custom.write_bytes(b"")
    monkeypatch.setenv("FOLEYCUT_FFMPEG", str(custom))
    assert ffmpeg.ffmpeg_exe() == str(custom)


def test_missing_explicit_binary_is_a_user_error(tmp_path, monkeypatch):
    monkeypatch.setenv("FOLEYCUT_FFMPEG", str(tmp_path / "nope"))
    with pytest.raises(FoleycutError, match="FOLEYCUT_FFMPEG"):
        ffmpeg.ffmpeg_exe()


def test_bundled_binary_when_the_system_has_none(monkeypatch):
    import imageio_ffmpeg

    monkeypatch.delenv("FOLEYCUT_FFMPEG", raising=False)
    monkeypatch.setattr(ffmpeg.shutil, "which", lambda name: None)
    assert ffmpeg.ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe()
    assert ffmpeg.run_ffmpeg(["-version"]).returncode == 0
