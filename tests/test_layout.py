"""The vid_NNN layout: names round-trip, vid folders and counters agree with database and disk."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.layout import (
    ClipName,
    clip_stem,
    highest_counter,
    lowest_free_number,
    next_counter,
    parse_clip_name,
    parse_vid_folder,
    scan_export_stem,
    stem_taken,
    vid_folder_name,
    vid_folder_path,
)

names = st.text(st.characters(blacklist_characters="/\\\x00", blacklist_categories=("Cs",)), min_size=1, max_size=20)
numbers = st.integers(min_value=0, max_value=100_000)


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "exports" / "mp4_Door"


def test_names_follow_the_spec():
    assert clip_stem("door", 4, 2) == "door_004_02"
    assert scan_export_stem("door", 4, 3, 1) == "door_004_a3_01"
    assert vid_folder_name(7) == "vid_007"
    assert parse_clip_name("door_004_02.mp4") == ClipName("door", 4, 2)
    assert parse_clip_name("door_004_a3_01.wav") == ClipName("door", 4, 1, area=3)
    assert parse_clip_name("frame_0001") == parse_clip_name("notes.txt") == parse_vid_folder("clip_001") is None
    assert parse_vid_folder("vid_012") == 12


@pytest.mark.slow
@given(names, numbers, numbers, st.none() | numbers, st.sampled_from(["", ".mp4", ".wav"]))
def test_clip_names_round_trip(name, counter, sub, area, suffix):
    clip = ClipName(name, counter, sub, area)
    assert parse_clip_name(clip.stem + suffix) == clip


@given(st.integers(min_value=1, max_value=10**6))
def test_vid_folder_names_round_trip(number):
    assert parse_vid_folder(vid_folder_name(number)) == number


@given(st.sets(st.integers(min_value=1, max_value=60)))
def test_lowest_free_number_is_the_first_gap(taken):
    free = lowest_free_number(taken)
    assert free not in taken and all(n in taken for n in range(1, free))


def test_highest_counter_ignores_other_names():
    assert highest_counter(["door_002_01.mp4", "door_010_a1_03", "frame_0001.webp", "readme"]) == 10
    assert highest_counter([]) == 0


def test_counter_starts_at_one(db, folder):
    assert next_counter(db, vid_folder_path(db, "a.mp4", "default", folder)) == 1


def test_counter_follows_the_database_highest_not_the_count(db, folder):
    vid = folder / "vid_001"
    db.add("a.mp4", 1.0, vid / "door_001_01.mp4")
    db.add("a.mp4", 5.0, vid / "door_005_01.mp4")  # gap: 2..4 were deleted; never reuse them

    assert next_counter(db, vid) == 6


def test_counter_sees_files_the_database_does_not_know(db, folder):
    vid = folder / "vid_001"
    db.add("a.mp4", 1.0, vid / "door_001_01.mp4")
    vid.mkdir(parents=True)
    (vid / "door_007_02.mp4").write_bytes(b"")
    (vid / "door_009_01").mkdir()  # a WebP sequence folder
    (vid / "door_009_01.wav").write_bytes(b"")

    assert next_counter(db, vid) == 10


def test_two_videos_have_their_own_folders_and_counters(db, folder):
    db.add("a.mp4", 1.0, folder / "vid_001" / "door_004_01.mp4")
    b_vid = vid_folder_path(db, "b.mp4", "default", folder)

    assert b_vid == folder / "vid_002"
    assert next_counter(db, b_vid) == 1
    assert next_counter(db, vid_folder_path(db, "a.mp4", "default", folder)) == 5


def test_two_profiles_exporting_one_video_never_share_a_folder(db, folder):
    db.add("a.mp4", 1.0, folder / "vid_001" / "door_003_01.mp4", profile="default")
    other = vid_folder_path(db, "a.mp4", "cats", folder)

    assert other == folder / "vid_002"
    assert next_counter(db, other) == 1
    db.add("a.mp4", 1.0, other / "door_001_01.mp4", profile="cats")
    assert vid_folder_path(db, "a.mp4", "cats", folder) == other


def test_scan_exports_share_the_video_counter(db, folder):
    vid = folder / "vid_001"
    db.add("a.mp4", 1.0, vid / "door_002_01.mp4")
    db.add("a.mp4", 30.0, vid / "door_003_a1_01.mp4", scan_export=True)

    assert next_counter(db, vid) == 4


def test_stem_taken_by_any_form_of_the_clip(tmp_path):
    (tmp_path / "door_001_01.wav").write_bytes(b"")
    (tmp_path / "door_002_01").mkdir()

    assert stem_taken(tmp_path, "door_001_01") and stem_taken(tmp_path, "door_002_01")
    assert not stem_taken(tmp_path, "door_003_01")
