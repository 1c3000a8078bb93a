"""Moving portrait crop: keyframes, interpolation, the ffmpeg expression, persistence, and an export whose
crop follows a moving bright square frame by frame."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from core.crop_path import (
    centre_at,
    crop_x_expression,
    load_keyframes,
    normalized,
    save_keyframes,
    simplified,
    with_keyframe,
    without_keyframe_near,
)
from core.export import ExportSettings, export_marker
from core.ffmpeg import ffmpeg_command, file_url
from core.home import DataHome
from tests.moving_subject import FPS, HEIGHT, WIDTH, bright_column, make_moving_square, square_centre_x


def test_centre_is_linear_between_keyframes_and_held_outside():
    keys = ((1.0, 0.2), (3.0, 0.6))
    assert centre_at(keys, 0.0) == 0.2
    assert centre_at(keys, 2.0) == pytest.approx(0.4)
    assert centre_at(keys, 9.0) == 0.6
    assert centre_at((), 5.0, default=0.3) == 0.3


def test_keyframes_are_added_replaced_and_removed_near_a_time():
    keys = with_keyframe((), 2.0, 0.5)
    keys = with_keyframe(keys, 1.0, 0.1)
    keys = with_keyframe(keys, 2.0, 0.9)  # same time: moved, not doubled
    assert keys == ((1.0, 0.1), (2.0, 0.9))
    assert without_keyframe_near(keys, 2.05, tolerance=0.1) == ((1.0, 0.1),)
    assert without_keyframe_near(keys, 1.5, tolerance=0.1) == keys
    assert normalized([(1.0, 1.7), (0.5, -1)]) == ((0.5, 0.0), (1.0, 1.0))


def test_simplified_keeps_only_the_turns():
    line = [(t / 10, 0.1 + t / 100) for t in range(50)] + [(5 + t / 10, 0.6 - t / 100) for t in range(50)]
    kept = simplified(line)
    assert len(kept) == 3
    assert all(abs(centre_at(kept, t) - c) < 0.005 for t, c in line)


def _evaluate(expression: str, t: float) -> float:
    """The expression as ffmpeg would evaluate it, in Python (`if` renamed: it is a Python keyword)."""
    return eval(
        expression.replace("if(", "if_("),
        {
            "if_": lambda c, a, b: a if c else b,
            "lt": lambda a, b: a < b,
            "clip": lambda v, lo, hi: min(max(v, lo), hi),
            "t": t,
        },
    )


def test_expression_follows_the_keyframes_in_clip_time():
    keys = ((0.0, 0.2), (2.0, 0.8), (4.0, 0.5))
    expression = crop_x_expression(keys, clip_start=1.0, length=2.0, source_width=1000, crop_width=200)
    for t in (0.0, 0.5, 1.0, 1.7, 2.0):
        want = min(max(centre_at(keys, 1.0 + t) * 1000 - 100, 0), 800)
        assert _evaluate(expression, t) == pytest.approx(want, abs=1e-3)


def test_keyframes_persist_per_video_identity(tmp_path):
    home = DataHome.resolve(tmp_path / "home")
    video = tmp_path / "a.bin"
    video.write_bytes(b"x" * 1000)
    save_keyframes(home, video, [(2.0, 0.7), (1.0, 0.3)])
    moved = video.rename(tmp_path / "renamed.bin")
    assert load_keyframes(home, moved) == ((1.0, 0.3), (2.0, 0.7))
    save_keyframes(home, moved, [])
    assert load_keyframes(home, moved) == ()


@pytest.fixture(scope="module")
def moving_square(tmp_path_factory):
    return make_moving_square(tmp_path_factory.mktemp("moving") / "square.mp4")


def test_export_crop_follows_the_keyframes_frame_by_frame(db, moving_square, tmp_path):
    keys = ((0.0, square_centre_x(0.0) / WIDTH), (4.0, square_centre_x(4.0) / WIDTH))
    settings = ExportSettings(
        name="sq",
        export_folder=tmp_path / "out",
        length=2.0,
        workers=1,
        encoder="libx264",
        portrait="9:16",
        crop_keyframes=keys,
    )
    clip = export_marker(db, moving_square, 1.0, settings)[0].path
    raw = subprocess.run(
        ffmpeg_command(["-i", file_url(clip), "-pix_fmt", "gray", "-f", "rawvideo", "pipe:1"]),
        capture_output=True,
        check=True,
    ).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, HEIGHT, 102)
    assert len(frames) == 2 * FPS
    columns = [bright_column(frame) for frame in frames]
    # The square crosses 120 px in these 2 s; followed, it stays in the middle of the 102 px crop.
    assert max(abs(c - 51) for c in columns) < 4, columns
