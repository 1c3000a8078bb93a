"""Exporting scan regions: clips every `spread` seconds inside each region, named per area, flagged scan_export."""

from __future__ import annotations

import json

import pytest

from core import export_encode
from core.errors import FoleycutError
from core.export import ExportSettings, estimate_scan_clips, export_marker, export_scan_regions
from core.probe import probe
from tests.media_factory import make_video


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("src") / "film.mp4", 20.0, size=(64, 48), fps=10)


@pytest.fixture
def settings(tmp_path):
    return ExportSettings(
        name="door",
        export_folder=tmp_path / "out",
        length=2.0,
        spread=1.5,
        workers=2,
        encoder="libx264",
        label="door",
        category="impact",
    )


@pytest.mark.slow
def test_two_regions_become_named_clips_of_exact_length(db, source, settings):
    # region 1: 2.0–5.5 s holds clips at 2.0 and 3.5; region 2: one clip, moved back to fit before 20 s
    clips = export_scan_regions(db, source, [(2.0, 5.5), (18.5, 19.5)], settings)
    assert [c.path.name for c in clips] == ["door_001_a1_01.mp4", "door_001_a1_02.mp4", "door_001_a2_01.mp4"]
    assert [c.start for c in clips] == pytest.approx([2.0, 3.5, 18.0])
    frame = 1 / float(probe(source).fps)
    for clip in clips:
        assert clip.path.parent.name == "vid_001"
        assert abs(probe(clip.path).duration - settings.length) <= frame

    rows = db.get_clips(source.name)
    assert [r["scan_export"] for r in rows] == [True, True, True]
    assert [r["marker_time"] for r in rows] == [2.0, 2.0, 18.5]  # each area is one marker
    assert db.get_export_folders() == []  # a scan-only folder is not offered as training data by default
    assert db.get_export_folders(include_scan_exports=True) == ["out"]

    entries = json.loads((settings.export_folder / "dataset.json").read_text())
    assert [e["path"] for e in entries] == [f"vid_001/{c.path.name}" for c in clips]
    assert {(e["label"], e["category"], e["length"]) for e in entries} == {("door", "impact", 2.0)}


def test_a_region_shorter_than_a_clip_gets_a_clip_centred_on_it(db, source, settings):
    (clip,) = export_scan_regions(db, source, [(10.0, 10.4)], settings)  # a tight region around a sound
    assert clip.start == pytest.approx(9.2)  # the 2 s clip runs 9.2-11.2, the sound in its middle
    assert db.get_clips(source.name)[0]["marker_time"] == 10.0  # the region it came from


def test_scan_export_takes_the_next_counter_after_a_marker(db, source, settings):
    export_marker(db, source, 0.0, settings)
    (clip,) = export_scan_regions(db, source, [(6.0, 7.0)], settings)
    assert clip.path.name == "door_002_a1_01.mp4"


def test_estimate_matches_what_is_written(db, source, settings):
    regions = [(1.0, 6.0), (10.0, 10.5)]
    assert estimate_scan_clips(regions, settings.length, settings.spread) == 4  # 1, 2.5, 4 and 10
    assert len(export_scan_regions(db, source, regions, settings)) == 4


def test_ffmpeg_failure_leaves_no_file_and_no_row(db, source, settings, monkeypatch):
    real = export_encode.clip_command

    def second_area_fails(plan, job, settings, encoder):
        cmd = real(plan, job, settings, encoder)
        if "_a2_" in job.stem:  # an impossible option makes ffmpeg exit with an error, as a full disk would
            cmd.insert(cmd.index("-y"), "-no-such-option")
        return cmd

    monkeypatch.setattr(export_encode, "clip_command", second_area_fails)
    with pytest.raises(FoleycutError, match="ffmpeg could not encode clip door_001_a2_01"):
        export_scan_regions(db, source, [(2.0, 5.5), (10.0, 11.0)], settings)
    leftovers = (
        [p for p in settings.export_folder.rglob("*") if p.name != "dataset.json"]
        if settings.export_folder.exists()
        else []
    )
    assert leftovers == []
    assert db.get_clips(source.name) == []


@pytest.mark.parametrize(
    "regions, match",
    [
        ([], "No scan region"),
        ([(25.0, 30.0)], "does not lie inside film.mp4"),
        ([(5.0, 5.0)], "does not lie inside"),
    ],
)
def test_bad_regions_are_refused(db, source, settings, regions, match):
    with pytest.raises(FoleycutError, match=match):
        export_scan_regions(db, source, regions, settings)
    assert db.get_clips(source.name) == []
