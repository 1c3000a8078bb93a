"""Finding and running ffmpeg.

The system ffmpeg is preferred (it is usually built with hardware encoders); when there is none, the
binary shipped by imageio-ffmpeg is used, so a fresh machine needs nothing else. `$FOLEYCUT_FFMPEG`
names a binary explicitly (a custom build, say).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from core.errors import FoleycutError


class FFmpegNotFound(FoleycutError):
    """No usable ffmpeg binary: the front ends show the message like any other user-facing error."""


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    explicit = os.environ.get("FOLEYCUT_FFMPEG")
    if explicit:
        if not Path(explicit).is_file():
            raise FFmpegNotFound(
                f"FOLEYCUT_FFMPEG points at {explicit}, which does not exist: point it at an ffmpeg binary or unset it."
            )
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


def file_url(path: Path) -> str:
    """How to name a local file to ffmpeg: the `file:` prefix keeps a name with a colon or a leading
    dash from being read as a protocol or an option."""
    return f"file:{Path(path)}"


def ffmpeg_command(args: list[str], loglevel: str = "error") -> list[str]:
    """The full argument list for a quiet, non-interactive ffmpeg run."""
    return [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", loglevel, *args]


def run_ffmpeg(args: list[str], loglevel: str = "error", **kwargs) -> subprocess.CompletedProcess:
    """Run ffmpeg with an argument list (never a shell), quiet and non-interactive."""
    return subprocess.run(
        ffmpeg_command(args, loglevel), capture_output=True, check=kwargs.pop("check", False), **kwargs
    )


def last_error_line(stderr: bytes | str) -> str:
    """ffmpeg's last non-empty stderr line: the one that says why it stopped."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"
