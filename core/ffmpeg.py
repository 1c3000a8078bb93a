"""Finding and running ffmpeg.

The system ffmpeg is preferred (it is usually built with hardware encoders); when there is none, the
binary shipped by imageio-ffmpeg is used, so a fresh machine needs nothing else. `$FOLEYCUT_FFMPEG`
names a binary explicitly (tests use it to exercise the bundled one).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path


class FFmpegNotFound(RuntimeError):
    pass


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    explicit = os.environ.get("FOLEYCUT_FFMPEG")
    if explicit:
        if not Path(explicit).is_file():
            raise FFmpegNotFound(f"FOLEYCUT_FFMPEG points at {explicit}, which does not exist.")
        return explicit
    system = shutil.which("ffmpeg")
    if system:
        return system
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - it is in requirements.txt
        raise FFmpegNotFound("ffmpeg not found: install ffmpeg or run setup_env.sh again.") from exc
    return imageio_ffmpeg.get_ffmpeg_exe()


@lru_cache(maxsize=1)
def ffprobe_exe() -> str | None:
    """ffprobe next to the chosen ffmpeg, if there is one (imageio-ffmpeg ships none)."""
    sibling = Path(ffmpeg_exe()).with_name("ffprobe" + Path(ffmpeg_exe()).suffix)
    if sibling.is_file():
        return str(sibling)
    return None


def run_ffmpeg(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run ffmpeg with an argument list (never a shell), quiet and non-interactive."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *args]
    return subprocess.run(cmd, capture_output=True, **kwargs)
