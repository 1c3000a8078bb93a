"""The one-entry memo that makes rescanning the file on screen cost only the classifier."""

import numpy as np
import pytest

from core import embedding_cache, last_result
from core.embedding_cache import CacheKey
from core.home import DataHome
from core.last_result import LastResult
from core.window_context import CONTEXT, window_features
from core.window_embeddings import embed_file
from tests.media_factory import tone_burst_track, write_wav


def test_only_the_last_value_is_kept():
    memo = LastResult(len)
    assert memo.get("a") is None
    memo.keep("a", "first")
    assert memo.get("a") == "first"
    memo.keep("b", "second")
    assert memo.get("a") is None and memo.get("b") == "second"


def test_nothing_larger_than_the_limit_is_kept(monkeypatch):
    monkeypatch.setattr(last_result, "MAX_BYTES", 3)
    memo = LastResult(len)
    memo.keep("k", "abc")
    memo.keep("l", "long")
    assert memo.get("l") is None and memo.get("k") == "abc"


@pytest.fixture
def cached_video(tmp_path):
    """A file whose MEL embeddings are in the cache of a fresh data home."""
    home = DataHome.resolve()
    video = write_wav(tmp_path / "scene.wav", tone_burst_track(30.0, [5.0, 20.0]))
    embed_file(video, "MEL", home, 0.5, 0.25)
    return home, video


def test_a_cached_file_is_loaded_once_while_its_entry_stays_the_same(cached_video, monkeypatch):
    home, video = cached_video
    loads = []
    real_load = embedding_cache.load
    monkeypatch.setattr(embedding_cache, "load", lambda *args: loads.append(1) or real_load(*args))
    first = embed_file(video, "MEL", home, 0.5, 0.25)
    assert embed_file(video, "MEL", home, 0.5, 0.25) is first and len(loads) == 1
    assert not first.vectors.flags.writeable and not first.times.flags.writeable  # shared: nobody may edit

    key = CacheKey.for_file(video, "MEL", 0.5, 0.25)  # the entry is written anew (another process, say)
    embedding_cache.save(home, key, first.times, first.vectors * 2, first.duration)
    again = embed_file(video, "MEL", home, 0.5, 0.25)
    assert len(loads) == 2 and np.array_equal(again.vectors, first.vectors * 2)


def test_the_features_of_the_cached_embeddings_are_computed_once(cached_video):
    home, video = cached_video
    vectors = embed_file(video, "MEL", home, 0.5, 0.25).vectors
    features = window_features(vectors, 0.25, CONTEXT)
    assert window_features(vectors, 0.25, CONTEXT) is features and not features.flags.writeable
    assert np.array_equal(features, window_features(vectors.copy(), 0.25, CONTEXT))  # same numbers as computed
    assert window_features(vectors, 0.5, CONTEXT) is not features  # another hop: another background


def test_writable_vectors_are_never_taken_from_the_memo():
    vectors = np.random.default_rng(0).standard_normal((100, 4)).astype(np.float32)
    features = window_features(vectors, 0.25, CONTEXT)
    vectors += 1  # the caller owns them and may change them
    assert not np.array_equal(window_features(vectors, 0.25, CONTEXT), features)
