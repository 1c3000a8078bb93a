import os
from pathlib import Path

import numpy as np
import pytest

from core import embedding_cache
from core.embedding_cache import CacheKey
from core.home import DataHome
from core.window_embeddings import cached_embeddings, embed_file
from tests.media_factory import tone_burst_track, write_wav


@pytest.fixture
def home():
    return DataHome.resolve()


@pytest.fixture
def video(tmp_path):
    return write_wav(tmp_path / "scene.wav", tone_burst_track(12.0, [3.0, 7.0]))


def _entry(home, video):
    return embedding_cache.entry_path(home, CacheKey.for_file(video, "MEL", 8.0, 1.0))


def test_hit_returns_what_was_stored(home, video):
    key = CacheKey.for_file(video, "MEL", 8.0, 1.0)
    times, vectors = np.arange(5.0), np.random.default_rng(0).random((5, 3), dtype=np.float32)
    embedding_cache.save(home, key, times, vectors, 12.0)
    entry = embedding_cache.load(home, key)
    assert np.array_equal(entry.times, times) and np.array_equal(entry.vectors, vectors)
    assert entry.duration == 12.0


def test_model_window_and_hop_each_have_their_own_entry(home, video):
    keys = [
        CacheKey.for_file(video, m, w, h) for m, w, h in [("MEL", 8, 1), ("AST", 8, 1), ("MEL", 4, 1), ("MEL", 8, 2)]
    ]
    assert len({key.entry_name() for key in keys}) == 4


def test_changed_mtime_misses_and_the_entry_is_overwritten(home, video):
    first = embed_file(video, "MEL", home)
    stat = video.stat()
    os.utime(video, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert cached_embeddings(video, "MEL", home) is None
    embed_file(video, "MEL", home)
    assert np.array_equal(cached_embeddings(video, "MEL", home).vectors, first.vectors)
    assert len(list(home.embeddings_cache_dir.iterdir())) == 1  # replaced, not piled up


def test_changed_size_misses(home, video):
    embed_file(video, "MEL", home)
    write_wav(video, tone_burst_track(13.0, [3.0]))
    assert cached_embeddings(video, "MEL", home) is None


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "bad_shape"])
def test_corrupt_entry_is_detected_and_recomputed(home, video, damage):
    first = embed_file(video, "MEL", home)
    entry = _entry(home, video)
    if damage == "garbage":
        entry.write_bytes(b"not an npz at all")
    elif damage == "truncated":
        entry.write_bytes(entry.read_bytes()[:300])
    elif damage == "empty":
        entry.write_bytes(b"")
    else:
        key = CacheKey.for_file(video, "MEL", 8.0, 1.0)
        embedding_cache.save(home, key, first.times[:2], first.vectors, first.duration)
    assert cached_embeddings(video, "MEL", home) is None
    assert not entry.exists()  # removed, so the next scan rewrites it
    again = embed_file(video, "MEL", home)
    assert np.array_equal(again.vectors, first.vectors)
    assert cached_embeddings(video, "MEL", home) is not None


def test_write_is_atomic_a_failed_save_leaves_the_old_entry(home, video, monkeypatch):
    first = embed_file(video, "MEL", home)
    key = CacheKey.for_file(video, "MEL", 8.0, 1.0)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(embedding_cache.np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        embedding_cache.save(home, key, first.times, first.vectors * 0, first.duration)
    assert [p.name for p in home.embeddings_cache_dir.iterdir()] == [_entry(home, video).name]  # no temp left
    assert np.array_equal(cached_embeddings(video, "MEL", home).vectors, first.vectors)


def test_entry_goes_through_a_temp_file_and_a_rename(home, video, monkeypatch):
    renames = []
    real_replace = os.replace
    from core import atomic_write

    monkeypatch.setattr(atomic_write.os, "replace", lambda a, b: renames.append((a, b)) or real_replace(a, b))
    embed_file(video, "MEL", home)
    [(source, target)] = renames
    assert str(source).endswith(".tmp") and target == _entry(home, video)


def test_cache_files_follow_the_umask_like_every_other_file(tmp_path):
    from core.atomic_write import FILE_MODE

    home = DataHome.resolve(tmp_path / "home")
    media = tmp_path / "a.wav"
    media.write_bytes(b"x")
    key = embedding_cache.CacheKey.for_file(media, "MEL", 1.0, 0.5)
    path = embedding_cache.save(home, key, np.zeros(2), np.zeros((2, 4), np.float32), 2.0)
    assert Path(path).stat().st_mode & 0o777 == FILE_MODE
    assert embedding_cache.load(home, key).duration == 2.0
