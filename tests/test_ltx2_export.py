"""LTX-2 mode (8k+1 frames, 25 fps, sides divisible by 32) and the random crop per batch."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from core.errors import FoleycutError
from core.export import ExportSettings, export_marker, plan_marker
from core.ffmpeg import file_url, run_ffmpeg
from core.ltx2 import ltx2_frames, ltx2_length, ltx2_size
from core.random_crop import RANDOM_RATIOS, random_crop
from tests.media_factory import make_video


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """30 fps, 200x150: neither the rate nor the size suits LTX-2 as it is."""
    return make_video(tmp_path_factory.mktemp("src") / "street.mp4", 4, size=(200, 150), fps=30)


@pytest.fixture
def settings(tmp_path):
    return ExportSettings(
        name="door", export_folder=tmp_path / "out", length=1.0, workers=2, encoder="libx264", ltx2=True
    )


def ffprobe_facts(path: Path) -> tuple[int, str, int, int]:
    """(frames counted by decoding, r_frame_rate, width, height) as ffprobe reports them."""
    done = subprocess.run(
        [
            shutil.which("ffprobe"),
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames,r_frame_rate,width,height",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        check=True,
    )
    stream = json.loads(done.stdout)["streams"][0]
    return int(stream["nb_read_frames"]), stream["r_frame_rate"], stream["width"], stream["height"]


def ffmpeg_facts(path: Path) -> tuple[int, str, int, int]:
    """The same facts from `ffmpeg -i` and a decode, where no ffprobe is installed."""
    stderr = run_ffmpeg(["-i", file_url(path), "-map", "0:v:0", "-f", "null", "-"], loglevel="info").stderr.decode()
    width, height, fps = re.search(r"Video: .*?(\d{2,5})x(\d{2,5}).*?(\d+(?:\.\d+)?) fps", stderr).groups()
    frames = int(re.findall(r"frame=\s*(\d+)", stderr)[-1])
    return frames, f"{fps}/1", int(width), int(height)


@pytest.mark.parametrize("length, frames", [(0.1, 9), (1.0, 25), (2.0, 49), (8.0, 201), (8.2, 209), (10.0, 249)])
def test_frame_count_is_the_nearest_8k_plus_1(length, frames):
    assert ltx2_frames(length) == frames and frames % 8 == 1
    assert ltx2_length(length) == frames / 25
    assert ltx2_frames(ltx2_length(length)) == frames  # stable: a re-export keeps the length


def test_sizes_divide_by_32_and_tiny_frames_are_refused():
    assert ltx2_size(1920, 1080) == (1920, 1056) and ltx2_size(200, 150) == (192, 128)
    with pytest.raises(FoleycutError, match="LTX-2"):
        ltx2_size(160, 24)


@pytest.mark.parametrize(
    "facts",
    [
        pytest.param(
            ffprobe_facts, marks=pytest.mark.skipif(not shutil.which("ffprobe"), reason="no ffprobe installed")
        ),
        ffmpeg_facts,
    ],
)
def test_ltx2_clip_is_frame_exact_at_25_fps_and_divisible_by_32(db, source, settings, facts):
    (clip,) = export_marker(db, source, 1.0, settings)
    assert facts(clip.path) == (25, "25/1", 192, 128)
    assert clip.length == 1.0 and db.get_clips(source.name)[0]["settings"]["ltx2"] is True


def test_ltx2_after_portrait_crop_and_resize(db, source, settings):
    """200x150 → 4:5 crop 120x150 → short side 100: 100x124 → centre crop 96x96."""
    settings.portrait, settings.short_side, settings.length = "4:5", 100, 0.4
    plan = plan_marker(db, source, 0.5, settings)
    assert (plan.frame_size, plan.out_size, plan.frames) == ((100, 124), (96, 96), 9)
    (clip,) = export_marker(db, source, 0.5, settings)
    assert ffmpeg_facts(clip.path) == (9, "25/1", 96, 96)


def test_random_crop_is_seeded_by_the_clip_name():
    picks = [random_crop(f"door_001_{i:02d}", 50) for i in range(200)]
    assert picks == [random_crop(f"door_001_{i:02d}", 50) for i in range(200)]
    assert 70 < sum(pick is not None for pick in picks) < 130
    assert {pick[0] for pick in picks if pick} == set(RANDOM_RATIOS)
    assert all(random_crop(f"x{i}", 0) is None for i in range(50))
    assert all(random_crop(f"x{i}", 100) is not None for i in range(50))


@pytest.mark.slow
def test_random_crop_share_crops_the_drawn_clips_and_records_them(db, source, tmp_path):
    settings = ExportSettings(
        name="door",
        export_folder=tmp_path / "out",
        length=0.5,
        count=6,
        spread=0.4,
        workers=2,
        encoder="libx264",
        random_crop=50,
    )
    clips = export_marker(db, source, 0.2, settings)
    rows = {Path(row["output_path"]).stem: row["settings"] for row in db.get_clips(source.name)}
    cropped = 0
    for clip in clips:
        drawn = random_crop(clip.path.stem, 50)
        width, height = ffmpeg_facts(clip.path)[2:]
        assert rows[clip.path.stem]["portrait"] == (drawn[0] if drawn else None)
        if drawn:
            cropped += 1
            assert height == 150 and width < 200
        else:
            assert (width, height) == (200, 150)
    assert 0 < cropped < len(clips)  # the names door_001_01…06 draw both kinds at 50 %


def test_random_crop_share_is_checked(tmp_path):
    with pytest.raises(FoleycutError, match="random crop"):
        ExportSettings(name="a", export_folder=tmp_path, random_crop=120).check()
