"""Test media made on the fly with ffmpeg (lavfi sources) and numpy; nothing binary is committed.

`make_video(path, seconds, audio=...)` writes a small H.264 + AAC video whose audio track is either a
numpy array (16 kHz mono float32, e.g. from `tone_burst_track`), a lavfi sine, or absent.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from core.ffmpeg import ffmpeg_exe

SR = 16000


def tone_burst_track(
    seconds: float,
    events: list[float],
    *,
    freq: float = 1200.0,
    burst: float = 0.6,
    noise: float = 0.02,
    seed: int = 0,
    sr: int = SR,
) -> np.ndarray:
    """Quiet noise with a short windowed tone burst at each event time (seconds)."""
    rng = np.random.default_rng(seed)
    track = (rng.standard_normal(int(seconds * sr)) * noise).astype(np.float32)
    n = int(burst * sr)
    t = np.arange(n) / sr
    shape = np.hanning(n).astype(np.float32)
    tone = (0.5 * np.sin(2 * np.pi * freq * t) * shape).astype(np.float32)
    for start in events:
        i = int(start * sr)
        seg = track[i : i + n]
        seg += tone[: len(seg)]
    return track


def write_wav(path: Path, samples: np.ndarray, sr: int = SR) -> Path:
    sf.write(str(path), samples, sr, subtype="PCM_16")
    return path


def make_video(
    path: Path,
    seconds: float,
    *,
    audio: np.ndarray | str | None = "sine",
    size: tuple[int, int] = (160, 120),
    fps: int = 25,
    sr: int = SR,
) -> Path:
    """A test-pattern video of `seconds`; audio: numpy samples, "sine", or None for no audio stream."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    args = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={size[0]}x{size[1]}:rate={fps}:duration={seconds}",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        if isinstance(audio, np.ndarray):
            args += ["-i", str(write_wav(Path(tmp) / "a.wav", audio, sr))]
        elif audio == "sine":
            args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={sr}:duration={seconds}"]
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(fps)]
        if audio is not None:
            args += ["-c:a", "aac", "-b:a", "64k", "-shortest"]
        args += ["-t", str(seconds), str(path)]
        subprocess.run(args, check=True, capture_output=True)
    return path
