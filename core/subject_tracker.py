"""Follow a boxed subject through a stretch of video and turn its path into crop keyframes.

The user boxes the subject once (in source pixels, on the frame at `start`); an OpenCV tracker that needs
no downloaded weights (CSRT or KCF when the contrib build is installed, else MIL, which the plain
opencv-python-headless wheel carries) follows it. Frames come from our own ffmpeg pipe, scaled down and
thinned to ANALYSIS_FPS: tracking a subject for a crop needs neither full size nor every frame, and the
same decoder as everywhere else reads every file the app can open. Each box the tracker gives is snapped
to where the subject's first look matches best nearby (MIL alone wanders by up to half a box), then the
track is smoothed and thinned to the keyframes a linear crop path needs.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.crop_path import Keyframe, simplified
from core.errors import FoleycutError
from core.ffmpeg import ffmpeg_command, file_url, last_error_line
from core.probe import probe
from core.progress import Progress, check_cancel

ANALYSIS_WIDTH = 480
ANALYSIS_FPS = 10.0
SMOOTHING = 5  # analysed frames averaged (half a second)
KEYFRAME_TOLERANCE = 0.008  # of the width: how far the crop may stray from the smoothed track
LOST_SECONDS = 1.0  # the subject out of sight this long ends the tracking
MATCH_SCORE = 0.6  # the least normalised correlation with the subject's first look that moves the box
TRACKERS = ("TrackerCSRT_create", "TrackerKCF_create", "TrackerMIL_create")  # best first


@dataclass(frozen=True)
class TrackResult:
    keyframes: tuple[Keyframe, ...]
    tracker: str  # which OpenCV tracker ran
    lost_at: float | None  # where the subject was lost (tracking stopped there); None: followed to the end


def _create_tracker():
    try:
        import cv2
    except ImportError as exc:
        raise FoleycutError(
            "Subject tracking needs OpenCV: run `pip install opencv-python-headless` "
            "(setup_env.sh installs it), then try again."
        ) from exc
    for name in TRACKERS:
        for module in (cv2, getattr(cv2, "legacy", None)):
            factory = getattr(module, name, None)
            if factory is not None:
                return factory(), name.removesuffix("_create")
    raise FoleycutError(
        f"This OpenCV build ({cv2.__version__}) has no CSRT, KCF or MIL tracker: reinstall opencv-python-headless."
    )


def _analysis_size(width: int, height: int) -> tuple[int, int]:
    w = min(ANALYSIS_WIDTH, width - width % 2)
    return w, max(2, 2 * round(height * w / width / 2))


def track_subject(
    video: Path,
    start: float,
    end: float,
    box: tuple[float, float, float, float],
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> TrackResult:
    """Keyframes of the subject's horizontal centre (0..1 of the width) from `start` to `end` seconds.

    `box` is (x, y, w, h) in source pixels on the frame at `start`."""
    media = probe(video)
    if not media.has_video or not media.width or not media.height:
        raise FoleycutError(f"{Path(video).name} has no video stream: open a video to track a subject in it.")
    end = min(end, media.duration)
    if end <= start:
        raise FoleycutError("Nothing to track: the cursor is at the end of the video; move it back first.")
    if box[2] < 4 or box[3] < 4:
        raise FoleycutError("The box around the subject is too small: drag a larger box over it.")
    tracker, name = _create_tracker()
    aw, ah = _analysis_size(media.width, media.height)
    scale = aw / media.width
    frame_bytes = aw * ah * 3
    command = ffmpeg_command(
        [
            "-ss",
            f"{start:.6f}",
            "-i",
            file_url(Path(video)),
            "-t",
            f"{end - start:.6f}",
            "-map",
            "0:v:0",
            "-an",
            "-vf",
            f"fps={ANALYSIS_FPS},scale={aw}:{ah}",
            "-pix_fmt",
            "bgr24",
            "-f",
            "rawvideo",
            "pipe:1",
        ]
    )
    points: list[Keyframe] = []
    lost_since: float | None = None
    lost_at: float | None = None
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
        assert proc.stdout is not None  # stdout=PIPE
        try:
            index = 0
            while True:
                data = proc.stdout.read(frame_bytes)
                if len(data) < frame_bytes:
                    break
                check_cancel(cancel)
                frame = np.frombuffer(data, dtype=np.uint8).reshape(ah, aw, 3)
                t = start + index / ANALYSIS_FPS
                if index == 0:
                    rect = tuple(round(v * scale) for v in box)
                    tracker.init(frame, rect)
                    template = frame[rect[1] : rect[1] + rect[3], rect[0] : rect[0] + rect[2]].copy()
                    found = True
                else:
                    found, rect = tracker.update(frame)
                    if found:
                        snapped = _snapped(frame, template, rect)
                        if max(abs(a - b) for a, b in zip(snapped, rect)) > 2:
                            tracker.init(frame, snapped)  # or MIL wanders off from where it was put back
                        rect = snapped
                if found:
                    lost_since = None
                    points.append((t, (rect[0] + rect[2] / 2) / aw))
                elif lost_since is None:
                    lost_since = t
                elif t - lost_since >= LOST_SECONDS:
                    lost_at = lost_since
                    break
                index += 1
                if progress is not None and index % 10 == 0:
                    progress(min(1.0, (t - start) / (end - start)), f"Tracking the subject: {t:.1f} s")
        finally:
            proc.kill()
            proc.wait()
        if not points:
            errors.seek(0)
            detail = last_error_line(errors.read().decode("utf-8", "replace"))
            raise FoleycutError(
                f"Could not read frames of {Path(video).name} to track ({detail}): check that the file plays."
            )
    return TrackResult(simplified(_smoothed(points), KEYFRAME_TOLERANCE), name, lost_at)


def _snapped(frame: np.ndarray, template: np.ndarray, rect) -> tuple[int, int, int, int]:
    """The tracker's box moved to where the first frame's subject matches best nearby.

    MIL's boxes wander by up to half their size around a subject (and differ from run to run: it samples
    at random); matching the subject's first look within half a box of them puts the box back on it, and
    the tracker starts again from there.
    A subject that changed its look too much to match (turned, deformed) keeps the tracker's box."""
    import cv2

    x, y, w, h = (round(float(v)) for v in rect)
    th, tw = template.shape[:2]
    x0, y0 = max(0, x - tw // 2), max(0, y - th // 2)
    x1, y1 = min(frame.shape[1], x + w + tw // 2), min(frame.shape[0], y + h + th // 2)
    if x1 - x0 < tw or y1 - y0 < th:
        return x, y, w, h
    scores = cv2.matchTemplate(frame[y0:y1, x0:x1], template, cv2.TM_CCOEFF_NORMED)
    _, best, _, (bx, by) = cv2.minMaxLoc(scores)
    if best < MATCH_SCORE:
        return x, y, w, h
    return x0 + bx + (tw - w) // 2, y0 + by + (th - h) // 2, w, h


def _smoothed(points: list[Keyframe]) -> list[Keyframe]:
    """A centred moving average: the tracker's box jitters by a pixel or two from frame to frame, which
    would shake the crop and keep a keyframe at every analysed frame."""
    centres = np.array([c for _, c in points])
    half = SMOOTHING // 2
    padded = np.pad(centres, half, mode="edge")
    averaged = np.convolve(padded, np.ones(SMOOTHING) / SMOOTHING, mode="valid")
    return [(t, float(c)) for (t, _), c in zip(points, averaged)]
