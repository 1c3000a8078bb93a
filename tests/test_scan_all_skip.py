"""Scan All that does not redo work: skipping files already scanned with the same settings, the one
embedder per run, the next file decoded ahead, and Auto (scan, merge, drop short, export)."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import numpy as np
import pytest

from core import scanning
from core.audio import decode_audio
from core.auto_export import auto_export
from core.db import ProcessedDB
from core.export import ExportSettings
from core.home import DataHome
from core.regions import Region, merge_regions, regions_for_export
from core.scanning import ScanOptions, scan_files
from core.training import TrainingOptions, train_classifier
from core.window_embeddings import decode_ahead, embed_file
from tests.scan_scenario import SCENES, add_training_clips, scene_videos

pytestmark = pytest.mark.slow  # every test here trains or scans a classifier (module fixtures)

PLAYLIST = ("held_out", "chords_held_out", "train_a")


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    return scene_videos(tmp_path_factory)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, videos):
    root = tmp_path_factory.mktemp("trained_skip")
    home = DataHome.resolve(root / "home")
    with ProcessedDB(home.db_path) as db:
        add_training_clips(db, root, videos)
        train_classifier(db, home, TrainingOptions("default", "mp4_Tone", name="tone", margin=10.0))
    return home


@pytest.fixture
def home(trained, tmp_path):
    return DataHome.resolve(shutil.copytree(trained.root, tmp_path / "home"))


@pytest.fixture
def db(home):
    with ProcessedDB(home.db_path) as database:
        yield database


@pytest.fixture
def scored(monkeypatch):
    """The videos whose windows were scored (embedded or read from the cache, then classified)."""
    calls = []
    real = scanning.score_file

    def counting(home, video, *args, **kwargs):
        calls.append(video.name)
        return real(home, video, *args, **kwargs)

    monkeypatch.setattr(scanning, "score_file", counting)
    return calls


def test_an_unforced_scan_all_skips_what_a_forced_one_scans_again(db, home, videos, scored):
    playlist = [videos[name] for name in PLAYLIST]
    first = scan_files(db, home, playlist, "tone")
    assert len(scored) == 3 and not any(result.outcome.skipped for result in first)

    again = scan_files(db, home, playlist, "tone")
    assert len(scored) == 3  # nothing scored a second time
    assert all(result.outcome.skipped for result in again)
    assert [r.outcome.regions for r in again] == [r.outcome.regions for r in first]

    forced = scan_files(db, home, playlist, "tone", ScanOptions(force=True))
    assert len(scored) == 6 and not any(result.outcome.skipped for result in forced)


def test_another_threshold_or_edits_are_respected(db, home, videos, scored):
    video = videos["held_out"]
    first = scan_files(db, home, [video], "tone")[0].outcome
    assert first.regions
    stored = db.get_scan_results(video.name, "default", source_path=video)["MEL"]
    db.set_scan_region_disabled([stored[0]["id"]], True)  # the user's edit since the scan
    skipped = scan_files(db, home, [video], "tone")[0].outcome
    assert skipped.skipped and skipped.regions == first.regions[1:]
    other = scan_files(db, home, [video], "tone", ScanOptions(threshold=0.9))[0].outcome
    assert not other.skipped and len(scored) == 2


def test_a_file_that_cannot_be_scanned_is_still_reported(db, home, videos, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"no video here")
    results = scan_files(db, home, [broken, videos["held_out"]], "tone")
    assert results[0].error and results[1].outcome is not None


def test_the_embedding_model_loads_once_per_run_and_not_for_cached_files(monkeypatch, home, videos):
    loads = []
    monkeypatch.setattr("core.embedding_models.load_embedder", lambda name, home: loads.append(name) or object())
    meta = SimpleNamespace(embedding_model="HUBERT_BASE", window=0.5, hop=0.25)
    shared = scanning._SharedEmbedder("HUBERT_BASE", home)
    first, second = (shared.for_file(videos[name], meta) for name in ("held_out", "train_a"))
    assert first is second and loads == ["HUBERT_BASE"]
    embed_file(videos["train_b"], "MEL", home, 0.5, 0.25)  # cached: nothing to load for it
    assert (
        scanning._SharedEmbedder("MEL", home).for_file(
            videos["train_b"], SimpleNamespace(embedding_model="MEL", window=0.5, hop=0.25)
        )
        is None
    )


def test_audio_decoded_ahead_embeds_like_a_fresh_decode(home, videos):
    video = videos["held_out"]
    ahead = decode_ahead(video)
    assert np.array_equal(np.concatenate(list(ahead)), decode_audio(video))
    direct = embed_file(video, "MEL", DataHome.resolve(home.root / "a"), 0.5, 0.25)
    prefetched = embed_file(video, "MEL", DataHome.resolve(home.root / "b"), 0.5, 0.25, audio=decode_ahead(video))
    assert np.array_equal(direct.vectors, prefetched.vectors)


def test_scan_all_decodes_the_next_file_ahead_for_torch_models(monkeypatch, home, videos):
    started = []
    monkeypatch.setattr(
        "core.window_embeddings.decode_ahead",
        lambda path: started.append(path.name) or SimpleNamespace(close=lambda: started.append("closed")),
    )
    ahead = scanning._Ahead(home)
    meta = SimpleNamespace(embedding_model="HUBERT_BASE", window=0.5, hop=0.25)
    ahead.start(videos["held_out"], meta)
    ahead.start(videos["held_out"], meta)  # once per file
    assert started == ["held_out.mp4"] and ahead.take(videos["held_out"]) is not None
    ahead.start(videos["train_a"], meta)
    ahead.stop()  # never taken: closed
    assert started == ["held_out.mp4", "train_a.mp4", "closed"]


def test_merging_regions_across_a_gap_and_dropping_short_ones():
    regions = [Region(10, 11, 0.6), Region(11.5, 12, 0.9), Region(20, 21, 0.7), Region(30, 40, 0.8)]
    assert merge_regions(regions, 1.0) == [Region(10, 12, 0.9), Region(20, 21, 0.7), Region(30, 40, 0.8)]
    assert merge_regions(regions, 0.0) == regions
    assert merge_regions([Region(5, 9, 0.5), Region(6, 7, 0.9)], 0.0) == [Region(5, 9, 0.9)]
    assert regions_for_export(regions, 10.0, 8.0) == [Region(10, 40, 0.9)]
    assert regions_for_export(regions, 1.0, 2.0) == [Region(10, 12, 0.9), Region(30, 40, 0.8)]


def test_auto_exports_merged_regions_once(db, home, videos, tmp_path):
    settings = ExportSettings(
        name="tone", export_folder=tmp_path / "exports" / "mp4_Found", length=0.5, spread=4.0, workers=1
    )
    playlist = [videos["held_out"], videos["chords_held_out"]]
    results = auto_export(db, home, playlist, "tone", settings, merge_gap=1.0)
    assert all(result.error is None for result in results)
    assert sum(len(result.clips) for result in results) >= len(SCENES["held_out"].targets)
    assert all(clip.path.is_file() for result in results for clip in result.clips)
    again = auto_export(db, home, playlist, "tone", settings, merge_gap=1.0)
    assert all(result.outcome.skipped and not result.clips for result in again)  # nothing redone


def test_skip_speech_leaves_out_regions_in_speech(monkeypatch, db, home, videos):
    from core import speech
    from core.speech import SpeechSegment

    video = videos["held_out"]
    found = scan_files(db, home, [video], "tone", ScanOptions(force=True))[0].outcome.regions
    assert found
    talk = [SpeechSegment(found[0].start - 1, found[0].end + 1, 0.9)]  # someone speaks over the first
    monkeypatch.setattr(speech, "detect_speech", lambda path, home=None, progress=None, cancel=None: talk)
    kept = scan_files(db, home, [video], "tone", ScanOptions(force=True, skip_speech=True))[0].outcome.regions
    assert kept == found[1:]
