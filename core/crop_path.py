"""A portrait crop whose horizontal centre moves along the video: keyframes, interpolation, ffmpeg's crop x.

A keyframe is (time in seconds, centre as a fraction 0..1 of the source width). Between keyframes the
centre moves linearly; before the first and after the last it stays put. Exports turn the keyframes a clip
spans into one ffmpeg expression of the clip's own time `t`, evaluated by the crop filter on every frame.

Keyframes are kept per source video in the data home (`crop_paths/<size>_<fingerprint>.json`), keyed by
core.video_identity so they follow a moved or renamed file.
"""

from __future__ import annotations

import bisect
import itertools
import json
from pathlib import Path

from core.atomic_write import write_atomically
from core.home import DataHome
from core.video_identity import identify

Keyframe = tuple[float, float]  # (seconds, centre 0..1)
SAME_TIME = 1e-3  # keyframes closer than this are one keyframe


def normalized(keyframes) -> tuple[Keyframe, ...]:
    """Sorted by time, centres clamped to 0..1, one keyframe per time (the last given wins)."""
    by_time: dict[float, float] = {}
    for time, centre in keyframes:
        key = next((t for t in by_time if abs(t - time) < SAME_TIME), float(time))
        by_time[key] = min(1.0, max(0.0, float(centre)))
    return tuple(sorted(by_time.items()))


def with_keyframe(keyframes, time: float, centre: float) -> tuple[Keyframe, ...]:
    """The keyframes with one at `time` added (or moved to `centre` when one is already there)."""
    kept = [k for k in keyframes if abs(k[0] - time) >= SAME_TIME]
    return normalized([*kept, (time, centre)])


def without_keyframe_near(keyframes, time: float, tolerance: float) -> tuple[Keyframe, ...]:
    """The keyframes less the one nearest `time` when it lies within `tolerance` seconds."""
    if not keyframes:
        return ()
    nearest = min(keyframes, key=lambda k: abs(k[0] - time))
    if abs(nearest[0] - time) > tolerance:
        return tuple(keyframes)
    return tuple(k for k in keyframes if k is not nearest)


def centre_at(keyframes, time: float, default: float = 0.5) -> float:
    """The centre at `time`: linear between keyframes, held before the first and after the last."""
    if not keyframes:
        return default
    times = [k[0] for k in keyframes]
    i = bisect.bisect_right(times, time)
    if i == 0:
        return keyframes[0][1]
    if i == len(keyframes):
        return keyframes[-1][1]
    (t0, c0), (t1, c1) = keyframes[i - 1], keyframes[i]
    return c0 + (c1 - c0) * (time - t0) / (t1 - t0)


def simplified(points, tolerance: float = 0.004) -> tuple[Keyframe, ...]:
    """The fewest keyframes whose interpolation stays within `tolerance` of every point (Douglas-Peucker):
    a tracker gives one point per analysed frame, the timeline and the export need only the turns."""
    points = list(normalized(points))
    if len(points) <= 2:
        return tuple(points)
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (t0, c0), (t1, c1) = points[first], points[last]
        worst, worst_error = None, tolerance
        for i in range(first + 1, last):
            t, c = points[i]
            error = abs(c - (c0 + (c1 - c0) * (t - t0) / (t1 - t0)))
            if error > worst_error:
                worst, worst_error = i, error
        if worst is not None:
            keep.add(worst)
            stack += [(first, worst), (worst, last)]
    return tuple(points[i] for i in sorted(keep))


def crop_x_expression(keyframes, clip_start: float, length: float, source_width: int, crop_width: int) -> str:
    """ffmpeg expression for the crop filter's x over a clip starting at `clip_start` (its `t` runs from 0).

    x = centre * source_width - crop_width / 2, kept inside the picture. Only the keyframes the clip spans
    (and one on each side) go in, so the expression stays short however many the video holds."""
    inside = [k for k in keyframes if clip_start < k[0] < clip_start + length]
    points = [
        (clip_start, centre_at(keyframes, clip_start)),
        *inside,
        (clip_start + length, centre_at(keyframes, clip_start + length)),
    ]
    # Built from the last segment backwards: if(lt(t,T1), seg0, if(lt(t,T2), seg1, ... segN)).
    expression = _segment(points[-2], points[-1], clip_start, source_width, crop_width)
    for a, b in reversed(list(itertools.pairwise(points[:-1]))):
        expression = (
            f"if(lt(t,{b[0] - clip_start:.6f}),{_segment(a, b, clip_start, source_width, crop_width)},{expression})"
        )
    return f"clip({expression},0,{source_width - crop_width})"


def _segment(a: Keyframe, b: Keyframe, clip_start: float, width: int, crop_width: int) -> str:
    """x along one linear piece, as `x0+slope*(t-t0)` in the clip's time."""
    x0 = a[1] * width - crop_width / 2
    x1 = b[1] * width - crop_width / 2
    span = b[0] - a[0]
    if span <= 0 or abs(x1 - x0) < 1e-9:
        return f"{x0:.3f}"
    return f"({x0:.3f}+{(x1 - x0) / span:.6f}*(t-{a[0] - clip_start:.6f}))"


# --- persistence ----------------------------------------------------------------------------------


def _store_path(home: DataHome, video: Path) -> Path | None:
    identity = identify(video)
    if identity is None:
        return None
    return home.root / "crop_paths" / f"{identity.size}_{identity.fingerprint}.json"


def load_keyframes(home: DataHome, video: Path) -> tuple[Keyframe, ...]:
    """The video's saved keyframes; none when there are none or the file cannot be read."""
    path = _store_path(home, video)
    if path is None or not path.is_file():
        return ()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return normalized((float(t), float(c)) for t, c in data["keyframes"])
    except (OSError, ValueError, KeyError, TypeError):
        return ()  # a damaged file: the user places the keyframes again rather than being blocked


def save_keyframes(home: DataHome, video: Path, keyframes) -> None:
    path = _store_path(home, video)
    if path is None:
        return
    keyframes = normalized(keyframes)
    if not keyframes:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(
        path, json.dumps({"video": Path(video).name, "keyframes": [list(k) for k in keyframes]}).encode("utf-8")
    )
