"""Clip export: lengths, streams, frame accuracy, names and vid folders, dataset.json, formats, overwrite, delete."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st

from core import dataset_json, export_encode
from core.audio import iter_audio_blocks
from core.errors import Cancelled
from core.export import (
    PORTRAIT_RATIOS,
    ExportSettings,
    clip_starts,
    delete_marker,
    export_marker,
    output_geometry,
    plan_marker,
)
from core.ffmpeg import ffmpeg_command, file_url, run_ffmpeg
from core.probe import MediaInfo, probe
from tests.media_factory import make_video, tone_burst_track

FPS = 25
FRAME = 1 / FPS
BURST_AT = 3.0


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """6 s, 160x120 test pattern whose audio has one tone burst at BURST_AT."""
    path = tmp_path_factory.mktemp("src") / "source video.mp4"
    return make_video(path, 6, audio=tone_burst_track(6, [BURST_AT], noise=0.001), fps=FPS)


@pytest.fixture
def settings(tmp_path):
    return ExportSettings(
        name="door",
        export_folder=tmp_path / "out",
        label="door",
        category="foley",
        length=2.0,
        workers=2,
        encoder="libx264",
    )


def frame_count(path: Path) -> int:
    stderr = run_ffmpeg(
        ["-i", file_url(path), "-map", "0:v:0", "-c", "copy", "-f", "null", "-"], loglevel="info"
    ).stderr.decode()
    return int(re.findall(r"frame=\s*(\d+)", stderr)[-1])


def frame_size(path: Path) -> tuple[int, int]:
    stderr = run_ffmpeg(["-i", file_url(path)], loglevel="info").stderr.decode()
    width, height = re.search(r"Video: .*?(\d{2,5})x(\d{2,5})", stderr).groups()
    return int(width), int(height)


def gray_frames(path: Path, count: int) -> np.ndarray:
    raw = subprocess.run(
        ffmpeg_command(["-i", file_url(path), "-frames:v", str(count), "-pix_fmt", "gray", "-f", "rawvideo", "pipe:1"]),
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, 120, 160).astype(np.float32)


def test_clips_are_exact_length_h264_with_pcm(db, source, settings):
    settings.count, settings.spread = 3, 0.4
    clips = export_marker(db, source, 1.0, settings)
    assert [c.start for c in clips] == pytest.approx([1.0, 1.4, 1.8])
    for clip in clips:
        info = probe(clip.path)
        assert (info.video_codec, info.audio_codec) == ("h264", "pcm_s16le")
        assert info.duration == pytest.approx(2.0, abs=FRAME)
        assert frame_count(clip.path) == 50
        assert clip.length == 2.0


def test_default_length_is_eight_seconds(db, tmp_path):
    video = make_video(tmp_path / "long.mp4", 9, size=(64, 48))
    (clip,) = export_marker(db, video, 0.5, ExportSettings(name="x", export_folder=tmp_path / "out", workers=1))
    assert probe(clip.path).duration == pytest.approx(8.0, abs=FRAME)
    assert frame_count(clip.path) == 200


@pytest.mark.slow
@pytest.mark.parametrize("marker, frame", [(0.52, 13), (2.0, 50), (3.24, 81)])
def test_clip_starts_on_the_wanted_frame_and_sample(db, source, settings, marker, frame):
    (clip,) = export_marker(db, source, marker, settings)
    source_frames = gray_frames(source, 150)
    first = gray_frames(clip.path, 1)[0]
    assert int(np.argmin(np.abs(source_frames - first).mean(axis=(1, 2)))) == frame
    clip_audio = np.concatenate(list(iter_audio_blocks(clip.path)))
    source_audio = np.concatenate(list(iter_audio_blocks(source)))
    n, at = len(clip_audio), round(marker * 16000)
    errors = [np.mean((clip_audio - source_audio[at + shift : at + shift + n]) ** 2) for shift in range(-80, 81)]
    assert abs(int(np.argmin(errors)) - 80) <= 1  # within a sample (of 16 kHz) of the frame's time


def test_marker_between_frames_starts_with_the_frame_on_screen(db, source, settings):
    (clip,) = export_marker(db, source, 1.035, settings)
    assert clip.start == pytest.approx(1.0)
    assert frame_count(clip.path) == 50


@pytest.mark.slow
def test_paths_counters_and_db_rows(db, source, settings, tmp_path):
    settings.count = 2
    first = export_marker(db, source, 0.0, settings)
    second = export_marker(db, source, 3.0, settings)
    vid = tmp_path / "out" / "vid_001"
    assert [c.path for c in first] == [vid / "door_001_01.mp4", vid / "door_001_02.mp4"]
    assert [c.path for c in second] == [vid / "door_002_01.mp4", vid / "door_002_02.mp4"]
    rows = {row["id"]: row for row in db.get_clips(source.name)}
    for clip in first + second:
        row = rows[clip.row_id]
        assert Path(row["output_path"]) == clip.path and clip.path.is_file()
        assert (row["label"], row["category"], row["source_path"]) == ("door", "foley", str(source))
        assert row["length"] == 2.0
    assert {m["marker_time"] for m in db.get_markers(source.name)} == {0.0, 3.0}
    assert not [p for p in vid.iterdir() if p.name.startswith(".")]


def test_each_video_gets_its_own_vid_folder(db, source, settings, tmp_path):
    other = make_video(tmp_path / "other.mp4", 3, size=(64, 48))
    export_marker(db, source, 0.0, settings)
    (clip,) = export_marker(db, other, 0.0, settings)
    assert clip.path == tmp_path / "out" / "vid_002" / "door_001_01.mp4"
    (again,) = export_marker(db, source, 1.0, settings)
    assert again.path.parent.name == "vid_001"


def test_counter_skips_files_the_database_does_not_know(db, source, settings, tmp_path):
    (first,) = export_marker(db, source, 0.0, settings)
    stray = first.path.with_name("door_007_01.mp4")
    stray.write_bytes(b"someone else's clip")
    (clip,) = export_marker(db, source, 1.0, settings)
    assert clip.path == first.path.with_name("door_008_01.mp4")
    assert stray.read_bytes() == b"someone else's clip"


def test_vid_folder_on_disk_unknown_to_the_database_is_not_reused(db, source, settings, tmp_path):
    (tmp_path / "out" / "vid_001").mkdir(parents=True)
    (clip,) = export_marker(db, source, 0.0, settings)
    assert clip.path.parent.name == "vid_002"


@pytest.mark.slow
def test_dataset_json_lists_every_clip(db, source, settings, tmp_path):
    settings.count = 2
    export_marker(db, source, 0.0, settings)
    settings.label, settings.category = "knock", "impact"
    export_marker(db, source, 2.4, settings)
    written = json.loads((tmp_path / "out" / "dataset.json").read_text())
    assert written == [
        {
            "path": f"vid_001/door_00{n}_0{s}.mp4",
            "label": label,
            "category": category,
            "source": str(source),
            "start": start,
            "length": 2.0,
        }
        for n, label, category, starts in ((1, "door", "foley", (0.0, 1.0)), (2, "knock", "impact", (2.4, 3.4)))
        for s, start in enumerate(starts, 1)
    ]
    assert not list((tmp_path / "out").glob(".dataset*"))


def test_webp_sequence_with_wav(db, source, settings):
    settings.fmt = "webp"
    (clip,) = export_marker(db, source, 1.0, settings)
    frames = sorted(clip.path.iterdir())
    assert clip.path.is_dir() and len(frames) == 50
    assert frames[0].name == "frame_0001.webp" and frames[-1].name == "frame_0050.webp"
    wav = clip.path.with_name(clip.path.name + ".wav")
    assert probe(wav).audio_codec == "pcm_s16le"
    assert probe(wav).duration == pytest.approx(2.0, abs=FRAME)
    (entry,) = dataset_json.entries(db, settings.export_folder)
    assert (entry["path"], entry["audio"]) == ("vid_001/door_001_01", "vid_001/door_001_01.wav")


def test_short_side_resize(db, source, settings):
    settings.short_side = 60
    (clip,) = export_marker(db, source, 0.0, settings)
    assert frame_size(clip.path) == (80, 60)


@pytest.mark.parametrize("ratio, size", [("9:16", (68, 120)), ("4:5", (96, 120)), ("1:1", (120, 120))])
def test_portrait_crop(db, source, settings, ratio, size):
    settings.portrait = ratio
    (clip,) = export_marker(db, source, 0.0, settings)
    assert frame_size(clip.path) == size


def test_portrait_crop_with_resize_webp(db, source, settings):
    settings.fmt, settings.portrait, settings.short_side = "webp", "1:1", 32
    (clip,) = export_marker(db, source, 0.0, settings)
    assert frame_size(clip.path / "frame_0001.webp") == (32, 32)


def test_portrait_geometry_follows_centre():
    assert output_geometry(1920, 1080, "9:16", 0.5, None) == ((608, 1080, 656, 0), (608, 1080))
    assert output_geometry(1920, 1080, "9:16", 0.0, None)[0] == (608, 1080, 0, 0)
    assert output_geometry(1920, 1080, "9:16", 1.0, None)[0] == (608, 1080, 1312, 0)
    assert output_geometry(1080, 1920, "1:1", 0.5, 540)[0] == (1080, 1080, 0, 420)
    assert output_geometry(1080, 1920, "1:1", 0.5, 540)[1] == (540, 540)
    assert output_geometry(160, 120, None, 0.5, None) == (None, (160, 120))
    assert output_geometry(161, 121, None, 0.5, None) == ((160, 120, 0, 0), (160, 120))


@pytest.mark.slow
def test_clips_past_the_end_are_clamped(db, source, settings):
    settings.count, settings.spread = 4, 1.0
    plan = plan_marker(db, source, 3.4, settings)
    assert plan.starts == pytest.approx([3.4, 4.0])
    assert "moved to start at 4.000 s" in plan.warnings[0] and "2 duplicate(s) dropped" in plan.warnings[0]
    clips = export_marker(db, source, 3.4, settings)
    assert [c.start for c in clips] == pytest.approx([3.4, 4.0])
    assert all(frame_count(c.path) == 50 for c in clips)


def test_plan_writes_nothing(db, source, settings, tmp_path):
    plan = plan_marker(db, source, 1.0, settings)
    assert plan.clip_paths == [tmp_path / "out" / "vid_001" / "door_001_01.mp4"]
    assert plan.counter == 1 and plan.warnings == [] and plan.frame_size == (160, 120)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_overwrite_reencodes_to_the_original_paths(db, source, settings):
    settings.count = 3
    original = export_marker(db, source, 1.0, settings)
    export_marker(db, source, 0.0, settings)
    settings.count, settings.short_side, settings.label = 2, 60, "slam"
    redone = export_marker(db, source, 1.0, settings, overwrite=True)
    assert [c.path for c in redone] == [c.path for c in original[:2]]
    assert not original[2].path.exists()
    assert all(frame_size(c.path) == (80, 60) for c in redone)
    marker = next(m for m in db.get_markers(source.name) if m["marker_time"] == 1.0)
    assert sorted(c["id"] for c in marker["clips"]) == sorted(c.row_id for c in redone)
    assert {c["label"] for c in marker["clips"]} == {"slam"}
    assert len(dataset_json.entries(db, settings.export_folder)) == 5


def test_overwrite_without_existing_marker_exports_normally(db, source, settings):
    (clip,) = export_marker(db, source, 1.0, settings, overwrite=True)
    assert clip.path.name == "door_001_01.mp4"


@pytest.mark.slow
def test_overwrite_webp_replaces_frame_folder(db, source, settings):
    settings.fmt = "webp"
    (first,) = export_marker(db, source, 1.0, settings)
    settings.short_side = 60
    (second,) = export_marker(db, source, 1.0, settings, overwrite=True)
    assert second.path == first.path
    assert frame_size(second.path / "frame_0001.webp") == (80, 60)
    assert not [p for p in second.path.parent.iterdir() if p.name.startswith(".")]


def test_delete_marker_removes_files_rows_and_entries(db, source, settings):
    settings.count = 2
    gone = export_marker(db, source, 0.0, settings)
    kept = export_marker(db, source, 3.0, settings)
    folder = settings.export_folder
    assert delete_marker(db, source.name, "default", 0.0, folder) == 2
    assert not any(c.path.exists() for c in gone) and all(c.path.exists() for c in kept)
    assert [m["marker_time"] for m in db.get_markers(source.name)] == [3.0]
    assert [e["path"] for e in json.loads((folder / "dataset.json").read_text())] == [
        "vid_001/door_002_01.mp4",
        "vid_001/door_002_02.mp4",
    ]


def test_delete_webp_marker(db, source, settings):
    settings.fmt = "webp"
    (clip,) = export_marker(db, source, 0.0, settings)
    assert delete_marker(db, source.name, "default", 0.0, settings.export_folder) == 1
    assert list(clip.path.parent.iterdir()) == []


def test_delete_unknown_marker_is_zero(db, source, settings):
    export_marker(db, source, 0.0, settings)
    assert delete_marker(db, source.name, "other-profile", 0.0, settings.export_folder) == 0


def test_profiles_keep_separate_markers(db, source, settings):
    export_marker(db, source, 0.0, settings, profile="a")
    (clip,) = export_marker(db, source, 0.0, settings, profile="b")
    assert clip.path.parent.name == "vid_002"
    assert len(db.get_clips(source.name, "a")) == len(db.get_clips(source.name, "b")) == 1


def test_progress_reports_each_clip(db, source, settings):
    settings.count = 3
    seen = []
    export_marker(db, source, 0.0, settings, progress=lambda f, m: seen.append(f))
    assert seen[-1] == 1.0 and sorted(seen) == seen and len(seen) == 4


def test_cancel_writes_nothing(db, source, settings):
    settings.count = 3
    cancel = threading.Event()

    def cancel_after_first(fraction, message):
        cancel.set()

    with pytest.raises(Cancelled):
        export_marker(db, source, 0.0, settings, progress=cancel_after_first, cancel=cancel)
    assert db.get_clips(source.name) == []
    assert not (settings.export_folder / "vid_001").exists()


def test_overwrite_keeps_the_markers_original_name(db, source, settings):
    (first,) = export_marker(db, source, 1.0, settings)
    settings.name = "renamed"
    (again,) = export_marker(db, source, 1.0, settings, overwrite=True)
    assert again.path == first.path


def export_together(db, monkeypatch, jobs):
    """Run exports in threads that all plan before any of them creates its vid folder."""
    barrier = threading.Barrier(len(jobs))
    prepare = export_encode.prepare_folder
    monkeypatch.setattr(export_encode, "prepare_folder", lambda folder: barrier.wait() is None or prepare(folder))
    results = [None] * len(jobs)

    def run(index, video, marker, settings):
        results[index] = export_marker(db, video, marker, settings)

    threads = [threading.Thread(target=run, args=(i, *job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [clips[0].path for clips in results]


def test_exports_of_one_video_finishing_together_take_different_counters(db, source, settings, monkeypatch):
    paths = export_together(db, monkeypatch, [(source, 0.0, settings), (source, 2.0, settings)])
    vid = settings.export_folder / "vid_001"
    assert sorted(paths) == [vid / "door_001_01.mp4", vid / "door_002_01.mp4"]
    assert sorted(p.name for p in settings.export_folder.iterdir()) == ["dataset.json", "vid_001"]
    assert len(dataset_json.entries(db, settings.export_folder)) == 2


def test_two_new_videos_finishing_together_get_their_own_vid_folders(db, source, settings, monkeypatch, tmp_path):
    other = tmp_path / "other.mp4"
    shutil.copy(source, other)
    paths = export_together(db, monkeypatch, [(source, 0.0, settings), (other, 0.0, settings)])
    assert sorted(p.parent.name for p in paths) == ["vid_001", "vid_002"]
    assert {p.name for p in paths} == {"door_001_01.mp4"}


def test_delete_after_the_export_folder_was_removed(db, source, settings):
    export_marker(db, source, 0.0, settings)
    shutil.rmtree(settings.export_folder)
    assert delete_marker(db, source.name, "default", 0.0, settings.export_folder) == 1
    assert db.get_clips(source.name) == []


def test_ntsc_rate_clip(db, settings, tmp_path):
    video = tmp_path / "ntsc.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=64x48:rate=30000/1001:duration=5",
            "-f",
            "lavfi",
            "-i",
            "sine=duration=5",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-shortest",
            str(video),
        ],
        check=True,
    )
    (clip,) = export_marker(db, video, 45 * 1001 / 30000, settings)
    assert clip.start == pytest.approx(1.5015)
    assert frame_count(clip.path) == 60  # round(2 s x 29.97)
    assert probe(clip.path).duration == pytest.approx(2.0, abs=1001 / 30000)


def test_variable_frame_rate_source_gives_evenly_timed_frames(db, settings, tmp_path):
    video = tmp_path / "vfr.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=64x48:rate=25:duration=6",
            "-f",
            "lavfi",
            "-i",
            "sine=duration=6.5",
            "-vf",
            r"setpts=PTS+if(gt(N\,50)\,0.5/TB\,0)",
            "-fps_mode",
            "vfr",  # a 0.5 s hole after 2 s
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            str(video),
        ],
        check=True,
    )
    rate = probe(video).fps
    (clip,) = export_marker(db, video, 1.0, settings)
    assert frame_count(clip.path) == round(2 * rate)
    assert probe(clip.path).duration == pytest.approx(2.0, abs=float(1 / rate))


@settings_hypothesis(max_examples=300, deadline=None)
@given(
    width=st.integers(16, 4096),
    height=st.integers(16, 4096),
    portrait=st.sampled_from([None, *PORTRAIT_RATIOS]),
    center=st.floats(0, 1),
    short_side=st.one_of(st.none(), st.integers(16, 2160)),
)
def test_geometry_is_even_inside_the_frame_and_keeps_the_ratio(width, height, portrait, center, short_side):
    crop, (out_w, out_h) = output_geometry(width, height, portrait, center, short_side)
    assert out_w % 2 == 0 and out_h % 2 == 0 and out_w >= 2 and out_h >= 2
    if crop:
        w, h, x, y = crop
        assert 0 <= x <= width - w and 0 <= y <= height - h and w % 2 == 0 and h % 2 == 0
    if portrait:
        w, h = crop[:2]
        assert w / h == pytest.approx(float(PORTRAIT_RATIOS[portrait]), abs=2.5 / min(w, h))
    if short_side:
        assert min(out_w, out_h) == pytest.approx(short_side, abs=1)


@settings_hypothesis(max_examples=300, deadline=None)
@given(
    duration=st.floats(2.0, 7200),
    marker=st.floats(0, 1),
    count=st.integers(1, 12),
    spread=st.floats(0.04, 4),
    fps=st.sampled_from([Fraction(25), Fraction(30000, 1001), Fraction(60)]),
)
def test_clip_starts_fit_in_the_video_on_frame_times(duration, marker, count, spread, fps):
    media = MediaInfo(path=Path("v.mp4"), size=1, duration=duration, has_video=True, has_audio=True, fps=fps)
    settings = ExportSettings(name="x", export_folder=Path("out"), length=2.0, count=count, spread=spread)
    starts, warnings = clip_starts(media, marker * duration, settings)
    assert starts == sorted(set(starts)) and 1 <= len(starts) <= count
    last_frame = math.floor((Fraction(duration) - 2) * fps + Fraction(1, 1000))  # clip_starts' own slack
    assert all(0 <= round(start * fps) <= last_frame for start in starts)
    assert all(abs(start * fps - round(start * fps)) < 1e-6 for start in starts)
    assert bool(warnings) == (len(starts) < count or starts[-1] < marker * duration + (count - 1) * spread - 1 / fps)


@pytest.mark.parametrize(
    "portrait, short_side, size", [(None, None, (120, 160)), ("9:16", None, (90, 160)), (None, 60, (60, 80))]
)
def test_rotated_phone_video_is_cropped_upright(db, source, settings, tmp_path, portrait, short_side, size):
    phone = tmp_path / "phone.mp4"
    run_ffmpeg(["-display_rotation", "90", "-i", file_url(source), "-c", "copy", file_url(phone)], check=True)
    settings.portrait, settings.short_side = portrait, short_side
    (clip,) = export_marker(db, phone, 0.0, settings)
    assert frame_size(clip.path) == size
    assert (probe(clip.path).width, probe(clip.path).height) == size
