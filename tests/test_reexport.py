"""Re-export: the clips of a video or export folder re-encoded with new settings, names and rows kept, all or none."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core.errors import Cancelled, FoleycutError
from core.export import ExportSettings, export_marker
from core.random_crop import random_crop
from core.reexport import clips_of_folder, clips_of_video, reexport_clips
from tests.media_factory import make_video
from tests.test_ltx2_export import ffmpeg_facts


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("src")
    return [make_video(folder / f"{name}.mp4", 3, size=(160, 120), fps=25) for name in ("door", "car")]


@pytest.fixture
def exported(db, videos, tmp_path):
    """Two markers of 'door' (one webp) and one of 'car' in the same export folder, at full size."""
    settings = ExportSettings(
        name="hit", export_folder=tmp_path / "out", length=1.2, count=2, spread=0.5, workers=2, encoder="libx264"
    )
    export_marker(db, videos[0], 0.2, settings)
    export_marker(db, videos[0], 1.2, ExportSettings(**{**settings.__dict__, "fmt": "webp", "count": 1}))
    export_marker(db, videos[1], 0.5, settings)
    return settings


def sizes(rows) -> dict[str, tuple[int, int]]:
    def one(path: Path):
        return ffmpeg_facts(path if path.suffix == ".mp4" else path / "frame_0001.webp")[2:]

    return {row["output_path"]: one(Path(row["output_path"])) for row in rows}


@pytest.mark.slow
def test_reexport_of_a_video_keeps_names_and_rows_and_applies_the_resize(db, videos, exported):
    before = clips_of_video(db, videos[0], "default")
    car_before = sizes(clips_of_video(db, videos[1], "default"))
    assert (
        reexport_clips(
            db, before, ExportSettings(name="x", export_folder=exported.export_folder, short_side=60, encoder="libx264")
        )
        == 3
    )
    after = clips_of_video(db, videos[0], "default")
    assert [(r["id"], r["output_path"], r["start_time"], r["length"]) for r in after] == [
        (r["id"], r["output_path"], r["start_time"], r["length"]) for r in before
    ]
    assert set(sizes(after).values()) == {(80, 60)}
    assert all(row["settings"]["short_side"] == 60 and row["settings"]["fmt"] in ("mp4", "webp") for row in after)
    assert sizes(clips_of_video(db, videos[1], "default")) == car_before  # another video is left alone
    assert not [p for p in exported.export_folder.rglob(".*") if p.name != "dataset.json"]


@pytest.mark.slow
def test_reexport_of_a_folder_in_ltx2_mode(db, videos, exported):
    rows = clips_of_folder(db, exported.export_folder)
    reexport_clips(
        db,
        rows,
        ExportSettings(name="x", export_folder=exported.export_folder, ltx2=True, encoder="libx264", workers=3),
    )
    after = clips_of_folder(db, exported.export_folder)
    assert len(after) == 5 and {row["length"] for row in after} == {1.32}  # 30 frames → 33 at 25 fps
    mp4 = [row for row in after if row["output_path"].endswith(".mp4")]
    assert {ffmpeg_facts(Path(row["output_path"])) for row in mp4} == {(33, "25/1", 160, 96)}


@pytest.mark.slow
def test_random_crop_reexport_is_reproducible(db, videos, exported):
    rows = clips_of_folder(db, exported.export_folder)
    settings = ExportSettings(name="x", export_folder=exported.export_folder, random_crop=60, encoder="libx264")
    reexport_clips(db, rows, settings)
    first = sizes(clips_of_folder(db, exported.export_folder))
    reexport_clips(db, clips_of_folder(db, exported.export_folder), settings)
    assert sizes(clips_of_folder(db, exported.export_folder)) == first
    for path, size in first.items():
        drawn = random_crop(Path(path).stem if path.endswith(".mp4") else Path(path).name, 60)
        assert (size == (160, 120)) == (drawn is None)


@pytest.mark.slow
def test_a_failure_or_cancel_changes_nothing(db, videos, exported, monkeypatch):
    rows = clips_of_folder(db, exported.export_folder)
    before = sizes(rows)
    contents = {row["output_path"]: _read(Path(row["output_path"])) for row in rows}
    new = ExportSettings(name="x", export_folder=exported.export_folder, short_side=60, encoder="libx264")
    cancel = threading.Event()
    with pytest.raises(Cancelled):
        reexport_clips(db, rows, new, progress=lambda f, _m: cancel.set() if f > 0.3 else None, cancel=cancel)
    real_update = db.update_clip_encoding
    calls = []

    def fail_on_third(*args):
        calls.append(args)
        if len(calls) == 3:
            raise FoleycutError("disk full")
        real_update(*args)

    monkeypatch.setattr(db, "update_clip_encoding", fail_on_third)
    with pytest.raises(FoleycutError, match="disk full"):
        reexport_clips(db, rows, new)
    assert clips_of_folder(db, exported.export_folder) == rows
    assert {row["output_path"]: _read(Path(row["output_path"])) for row in rows} == contents
    assert sizes(rows) == before
    assert not [p for p in exported.export_folder.rglob(".*") if p.name != "dataset.json"]
    assert db.pending_exports() == []


def test_missing_source_or_nothing_to_do_is_a_clear_error(db, videos, exported, tmp_path):
    with pytest.raises(FoleycutError, match="No clips"):
        reexport_clips(db, [], exported)
    rows = [dict(row, source_path=str(tmp_path / "gone.mp4")) for row in clips_of_folder(db, exported.export_folder)]
    with pytest.raises(FoleycutError, match="missing"):
        reexport_clips(db, rows, exported)


def _read(path: Path) -> bytes:
    if path.is_dir():
        return b"".join(p.read_bytes() for p in sorted(path.iterdir()))
    return path.read_bytes()


def test_ltx2_lengthening_past_the_end_is_refused_up_front(db, tmp_path):
    video = make_video(tmp_path / "short.mp4", 2)
    settings = ExportSettings(name="end", export_folder=tmp_path / "out", length=1.2, encoder="libx264")
    (clip,) = export_marker(db, video, 0.8, settings)  # 0.8–2.0 s: LTX-2 would make it 1.32 s
    before = clip.path.read_bytes()
    with pytest.raises(FoleycutError, match="past its end.*LTX-2"):
        reexport_clips(db, clips_of_video(db, video, "default"), ExportSettings(**{**settings.__dict__, "ltx2": True}))
    assert clip.path.read_bytes() == before and db.pending_exports() == []
