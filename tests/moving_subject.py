"""A test video whose subject moves: a bright square gliding left to right over black, with a tone."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from core.ffmpeg import ffmpeg_exe

WIDTH, HEIGHT, SQUARE, FPS = 320, 180, 40, 25
SPEED = 60.0  # px per second


def square_centre_x(seconds: float) -> float:
    """Where the square's centre is at `seconds`, in pixels."""
    return 20 + SPEED * seconds + SQUARE / 2


def make_moving_square(path: Path, seconds: float = 4.0, textured: bool = False) -> Path:
    """`textured`: the square carries a test pattern, as a real subject carries detail for a tracker to hold
    on to (a plain white square looks alike under a box half over it)."""
    source = "smptebars=" if textured else "color=c=white:"
    box = f"{source}s={SQUARE}x{SQUARE}:r={FPS}:d={seconds}"
    graph = (
        f"color=c=black:s={WIDTH}x{HEIGHT}:r={FPS}:d={seconds}[bg];{box}[sq];"
        f"[bg][sq]overlay=x='20+{SPEED}*t':y={(HEIGHT - SQUARE) // 2}[v]"
    )
    subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-filter_complex",
            graph,
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:sample_rate=16000:d={seconds}",
            "-map",
            "[v]",
            "-map",
            "0:a",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-g",
            str(FPS),
            "-c:a",
            "aac",
            "-t",
            str(seconds),
            str(path),
        ],
        check=True,
        capture_output=True,
    )
    return path


def bright_column(frame: np.ndarray) -> float:
    """The mean x of the bright pixels of a grey frame."""
    xs = np.nonzero(frame > 128)[1]
    return float(xs.mean()) if len(xs) else float("nan")
