"""What a media file holds (duration, streams, frame rate, size) and which H.264 encoders work here.

ffprobe's JSON is used when an ffprobe sits beside ffmpeg; imageio-ffmpeg ships none, so the common
case parses the stream summary that `ffmpeg -i` prints.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.errors import FoleycutError
from core.ffmpeg import ffmpeg_command, ffprobe_exe, file_url, last_error_line, run_ffmpeg


class MediaError(FoleycutError):
    """A file that cannot be used as a source: missing, empty, not media, truncated, no audio…"""


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    size: int
    duration: float
    has_video: bool
    has_audio: bool
    fps: Fraction | None = None
    width: int | None = None
    height: int | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    audio_rate: int | None = None

    @property
    def frame_duration(self) -> float | None:
        return float(1 / self.fps) if self.fps else None


def probe(path: str | Path) -> MediaInfo:
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path} does not exist or is not a file: check the path.")
    size = path.stat().st_size
    if size == 0:
        raise MediaError(f"{path.name} is empty (0 bytes): the copy or download probably failed; get the file again.")
    ffprobe = ffprobe_exe()
    fields = _probe_with_ffprobe(ffprobe, path) if ffprobe else _probe_with_ffmpeg(path)
    info = MediaInfo(path=path, size=size, **fields)
    if not (info.has_video or info.has_audio):
        raise MediaError(f"{path.name} has no audio or video stream: choose a video file.")
    if info.duration <= 0:
        raise MediaError(
            f"{path.name} has no duration (a still image or a truncated file): choose a complete video file."
        )
    return info


def _unreadable(path: Path, reason: str) -> MediaError:
    if "moov atom not found" in reason or "end of file" in reason.lower():
        return MediaError(f"{path.name} is truncated or incomplete ({reason}): get the file again.")
    return MediaError(f"{path.name} is not a media file ffmpeg can read ({reason}): choose a video file.")


# --- ffprobe -----------------------------------------------------------------------------------


def _probe_with_ffprobe(ffprobe: str, path: Path) -> dict:
    cmd = [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", file_url(path)]
    done = subprocess.run(cmd, capture_output=True, check=False)
    if done.returncode != 0:
        raise _unreadable(path, last_error_line(done.stderr))
    data = json.loads(done.stdout or b"{}")
    video = _first_stream(data, "video")
    audio = _first_stream(data, "audio")
    fields: dict[str, Any] = {
        "duration": float(data.get("format", {}).get("duration") or 0.0),
        "has_video": video is not None,
        "has_audio": audio is not None,
    }
    if video:
        rate = video.get("avg_frame_rate") or video.get("r_frame_rate") or "0/1"
        fps = Fraction(rate) if rate != "0/0" else Fraction(0)
        fields.update(
            fps=fps or None,
            video_codec=video.get("codec_name"),
            **_displayed(video.get("width"), video.get("height"), _ffprobe_rotation(video)),
        )
    if audio:
        fields.update(audio_codec=audio.get("codec_name"), audio_rate=int(audio.get("sample_rate") or 0) or None)
    return fields


def _ffprobe_rotation(stream: dict) -> float:
    for side_data in stream.get("side_data_list", []):
        if "rotation" in side_data:
            return float(side_data["rotation"])
    return float(stream.get("tags", {}).get("rotate", 0))  # ffprobe before 5.0


def _first_stream(data: dict, kind: str) -> dict | None:
    for stream in data.get("streams", []):
        if stream.get("codec_type") == kind and not stream.get("disposition", {}).get("attached_pic"):
            return stream
    return None


# --- ffmpeg -i ---------------------------------------------------------------------------------

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_STREAM = re.compile(r"^\s*Stream #\d+:\d+.*?: (Video|Audio): (.*)$", re.MULTILINE)
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_FPS = re.compile(r"([\d.]+)(k?) (?:fps|tbr)\b")
_RATE = re.compile(r"(\d+) Hz")
_STREAM_START = re.compile(r"^\s*Stream #", re.MULTILINE)
_ROTATION = re.compile(r"rotation of (-?[\d.]+) degrees", re.IGNORECASE)
# ffmpeg prints NTSC rates rounded ("29.97 fps"); the exact rational keeps frame times exact.
_NTSC = {round(n * 1000 / 1001, 2): Fraction(n * 1000, 1001) for n in (24, 30, 48, 60, 120)}


def _probe_with_ffmpeg(path: Path) -> dict:
    # Without an output ffmpeg exits 1 after printing the input summary; an unreadable input says why.
    stderr = run_ffmpeg(["-i", file_url(path)], loglevel="info").stderr.decode("utf-8", "replace")
    if not re.search(r"^Input #0", stderr, re.MULTILINE):
        raise _unreadable(path, _reason(stderr))
    duration = _DURATION.search(stderr)
    fields: dict = {
        "duration": _seconds(*duration.groups()) if duration else 0.0,
        "has_video": False,
        "has_audio": False,
    }
    for stream in _STREAM.finditer(stderr):
        kind, details = stream.groups()
        if kind == "Video" and not fields["has_video"] and "attached pic" not in details:
            fields.update(
                has_video=True,
                video_codec=details.split()[0].rstrip(","),
                **_video_details(details, _side_lines(stderr, stream.end())),
            )
        elif kind == "Audio" and not fields["has_audio"]:
            rate = _RATE.search(details)
            fields.update(
                has_audio=True,
                audio_codec=details.split()[0].rstrip(","),
                audio_rate=int(rate.group(1)) if rate else None,
            )
    return fields


def _reason(stderr: str) -> str:
    # A container guessed "with low score" from a few stray bytes is no media at all, whatever follows.
    if "moov atom not found" in stderr and "low score" not in stderr:
        return "moov atom not found"
    return last_error_line(stderr).split(": ", 1)[-1]


def _seconds(hours: str, minutes: str, seconds: str) -> float:
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _side_lines(stderr: str, start: int) -> str:
    """The metadata and side-data lines printed under a stream, up to the next stream."""
    following = _STREAM_START.search(stderr, start)
    return stderr[start : following.start() if following else len(stderr)]


def _video_details(details: str, side_lines: str) -> dict:
    size = _SIZE.search(details)
    fps = _FPS.search(details)
    rate = None
    if fps:
        value = float(fps.group(1)) * (1000 if fps.group(2) else 1)
        rate = _NTSC.get(round(value, 2)) or Fraction(value).limit_denominator(1000)
    width, height = (int(size.group(1)), int(size.group(2))) if size else (None, None)
    rotation = _ROTATION.search(side_lines)
    return {**_displayed(width, height, float(rotation.group(1)) if rotation else 0.0), "fps": rate or None}


def _displayed(width: int | None, height: int | None, rotation: float) -> dict:
    """Width and height as shown: ffmpeg turns a phone's sideways-stored frames upright before filtering,
    so crops and resizes must be planned on the turned size."""
    if round(rotation) % 180 == 90:
        width, height = height, width
    return {"width": width, "height": height}


# --- hardware H.264 encoders ---------------------------------------------------------------------


@dataclass(frozen=True)
class H264Encoder:
    """How to drive one H.264 encoder: what goes before the input, at the end of the video filter
    chain (pixel format, upload to the device), and after it (codec and quality)."""

    name: str
    codec_args: tuple[str, ...]
    pixel_filter: str = "format=yuv420p"
    input_args: tuple[str, ...] = ()
    hardware: bool = True


SOFTWARE_H264 = H264Encoder("libx264", ("-c:v", "libx264", "-preset", "veryfast", "-crf", "18"), hardware=False)

HARDWARE_H264 = (
    H264Encoder("h264_nvenc", ("-c:v", "h264_nvenc", "-preset", "p4", "-cq", "19")),
    H264Encoder("h264_videotoolbox", ("-c:v", "h264_videotoolbox", "-q:v", "65")),
    H264Encoder("h264_qsv", ("-c:v", "h264_qsv", "-global_quality", "20"), pixel_filter="format=nv12"),
    H264Encoder("h264_amf", ("-c:v", "h264_amf", "-quality", "quality", "-rc", "cqp", "-qp_i", "19", "-qp_p", "19")),
    H264Encoder(
        "h264_vaapi",
        ("-c:v", "h264_vaapi", "-qp", "19"),
        pixel_filter="format=nv12,hwupload",
        input_args=("-vaapi_device", "/dev/dri/renderD128"),
    ),
)


@lru_cache(maxsize=1)
def hardware_h264_encoders() -> tuple[H264Encoder, ...]:
    """Hardware encoders this ffmpeg lists *and* that encode a tiny frame here (a listed encoder often
    has no device or driver behind it). Asked once per process."""
    listing = run_ffmpeg(["-encoders"]).stdout.decode("utf-8", "replace")
    listed = {line.split()[1] for line in listing.splitlines() if len(line.split()) > 1}
    return tuple(enc for enc in HARDWARE_H264 if enc.name in listed and _encodes_a_frame(enc))


def _encodes_a_frame(encoder: H264Encoder) -> bool:
    args = [
        *encoder.input_args,
        "-f",
        "lavfi",
        "-i",
        "color=black:size=256x256:rate=25:duration=0.2",
        "-vf",
        encoder.pixel_filter,
        *encoder.codec_args,
        "-frames:v",
        "2",
        "-f",
        "null",
        "-",
    ]
    try:
        return subprocess.run(ffmpeg_command(args), capture_output=True, timeout=20, check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def choose_h264_encoder(name: str = "auto") -> H264Encoder:
    """`auto`: the first working hardware encoder, else libx264; otherwise the encoder of that name."""
    if name == "auto":
        working = hardware_h264_encoders()
        return working[0] if working else SOFTWARE_H264
    if name == SOFTWARE_H264.name:
        return SOFTWARE_H264
    for encoder in hardware_h264_encoders():
        if encoder.name == name:
            return encoder
    known = ", ".join(["auto", SOFTWARE_H264.name, *(e.name for e in hardware_h264_encoders())])
    raise FoleycutError(f"H.264 encoder {name!r} is not available here: choose one of {known}.")
