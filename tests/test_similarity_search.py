"""Library index and find-similar: planted repeats found above distractors, invalidation, corruption."""

import os

import numpy as np
import pytest

from core.errors import FoleycutError
from core.home import DataHome
from core.similarity_search import (
    SEARCH_HOP,
    SEARCH_WINDOW,
    example_from_clip,
    example_from_video,
    find_similar,
    open_index,
)
from core.window_embeddings import window_starts
from tests.media_factory import tone_burst_track, write_wav
from tests.search_library import BURST, LIBRARY, covers, library_track, make_library, planted


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return make_library(tmp_path_factory.mktemp("search_library"))


@pytest.fixture
def home(tmp_path):
    return DataHome.resolve(tmp_path / "home")


def indexed(home, paths):
    index = open_index(home, "MEL")
    report = index.sync(list(paths))
    assert not report.failed
    return index


@pytest.mark.slow
def test_search_lists_the_planted_repeats_above_every_distractor(home, library):
    index = indexed(home, library.values())
    example = example_from_video(home, library["a"], 20.0 + BURST / 2 - 4, 8.0, "MEL")
    regions = find_similar(index, example, top=10)
    repeats = [(library[name].resolve(), t) for name in LIBRARY for t in planted(name) if (name, t) != ("a", 20.0)]
    top = regions[: len(repeats)]
    assert all(any(r.video == video and covers(r.start, r.end, t) for r in top) for video, t in repeats)
    assert all(r.score > regions[len(repeats)].score for r in top)
    assert not any(r.video == library["a"].resolve() and r.start < 21 and r.end > 16 for r in regions)  # the example


@pytest.mark.slow
def test_search_from_a_clip_file_finds_the_repeats(home, library, tmp_path):
    index = indexed(home, library.values())
    clip = write_wav(tmp_path / "clip.wav", tone_burst_track(8.0, [3.5], freq=1200, burst=BURST, seed=9))
    regions = find_similar(index, example_from_clip(home, clip, "MEL"), top=5)
    found = sum(
        any(r.video == library[name].resolve() and covers(r.start, r.end, t) for r in regions)
        for name in LIBRARY
        for t in planted(name)
    )
    assert found == 5


@pytest.mark.slow
def test_search_restricted_to_some_videos(home, library):
    index = indexed(home, library.values())
    example = example_from_video(home, library["a"], 16.5, 8.0, "MEL")
    regions = find_similar(index, example, top=3, only=[library["b"]])
    assert {r.video for r in regions} == {library["b"].resolve()}
    assert all(any(covers(r.start, r.end, t) for r in regions[:2]) for t in planted("b"))


@pytest.mark.slow
def test_a_changed_file_is_never_searched_stale_and_is_reindexed(home, tmp_path):
    folder = tmp_path / "lib"
    lib = make_library(folder)
    index = indexed(home, lib.values())
    example = example_from_video(home, lib["a"], 16.5, 8.0, "MEL")
    # d's target moves from 35 s to 85 s: same name, new content (and a new mtime)
    write_wav(lib["d"], library_track([85.0], LIBRARY["d"][1], seed=3))
    stat = lib["d"].stat()
    os.utime(lib["d"], ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert all(r.video != lib["d"].resolve() for r in find_similar(index, example, top=20))
    report = index.sync(list(lib.values()))
    assert report.removed == [lib["d"].resolve()] and report.added == [lib["d"].resolve()]
    regions = [r for r in find_similar(index, example, top=20) if r.video == lib["d"].resolve()]
    assert covers(regions[0].start, regions[0].end, 85.0)
    lib["c"].unlink()
    assert index.sync([]).removed == [lib["c"].resolve()]
    assert {f.path for f in open_index(home, "MEL").files()} == {str(lib[n].resolve()) for n in "abd"}


@pytest.mark.slow
def test_adding_a_file_is_incremental_and_survives_a_reload(home, library):
    index = indexed(home, [library["a"], library["b"], library["c"]])
    before = len(index)
    report = index.sync(list(library.values()))
    assert report.added == [library["d"].resolve()] and not report.rebuilt
    reopened = open_index(home, "MEL")
    assert len(reopened) == before + len(window_starts(100.0, SEARCH_WINDOW, SEARCH_HOP))
    assert not reopened.was_discarded


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["index", "manifest"])
def test_a_corrupt_index_is_discarded_and_rebuilt(home, library, damage):
    index = indexed(home, library.values())
    target = next(index.folder.glob("index.*.faiss")) if damage == "index" else index.folder / "manifest.json"
    target.write_bytes(b"not an index")
    reopened = open_index(home, "MEL")
    assert reopened.was_discarded and len(reopened) == 0
    reopened.sync(list(library.values()))
    example = example_from_video(home, library["a"], 16.5, 8.0, "MEL")
    best = find_similar(reopened, example, top=1)[0]
    assert any(
        best.video == library[name].resolve() and covers(best.start, best.end, t)
        for name in LIBRARY
        for t in planted(name)
    )


def test_bad_examples_are_one_clear_line(home, library, tmp_path):
    with pytest.raises(FoleycutError, match="lies outside a.wav"):
        example_from_video(home, library["a"], 150.0, 8.0, "MEL")
    with pytest.raises(FoleycutError, match="No such clip"):
        example_from_clip(home, tmp_path / "missing.wav", "MEL")
    assert np.isfinite(example_from_video(home, library["a"], 96.0, 8.0, "MEL").vectors).all()  # near the end
