import itertools
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import embedding_cache
from core import window_embeddings as we
from core.audio import SAMPLE_RATE, AudioDecodeError
from core.devices import Device
from core.embedding_models import EatEmbedder, load_embedder
from core.errors import Cancelled
from core.ffmpeg import run_ffmpeg
from core.home import DataHome
from core.mel import MelEmbedder, frame_centres, log_mel_frames
from core.window_embeddings import AudioTooShort, embed_file, embed_stream, embed_windows_directly, window_starts
from tests.media_factory import make_video, tone_burst_track, write_wav
from tests.tiny_models import save_tiny_ast, save_tiny_hubert, save_tiny_wav2vec2, tiny_eat_model

CPU = Device("cpu", half=False, free_bytes=8 << 30)


def _scene(seconds: float = 40.0) -> np.ndarray:
    """Two kinds of events over quiet noise, so windows differ from one another."""
    return tone_burst_track(seconds, [4.0, 15.5, 27.2], seed=0) + tone_burst_track(
        seconds, [9.0, 33.0], freq=300.0, noise=0.0
    )


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_window_starts_examples():
    assert window_starts(10.0, 8.0, 1.0).tolist() == [0.0, 1.0, 2.0]
    assert window_starts(8.0, 8.0, 1.0).tolist() == [0.0]
    assert window_starts(7.99, 8.0, 1.0).size == 0
    assert window_starts(9.0, 8.0, 0.5).tolist() == [0.0, 0.5, 1.0]


@given(
    duration=st.floats(0, 4000),
    window=st.sampled_from([2.0, 4.0, 8.0, 10.0]),
    hop=st.sampled_from([0.25, 0.5, 1.0, 2.0]),
)
def test_windows_fit_and_nothing_more_fits(duration, window, hop):
    starts = window_starts(duration, window, hop)
    if len(starts):
        assert starts[0] == 0 and np.allclose(np.diff(starts), hop)
        assert starts[-1] + window <= duration + 1e-6
    assert (starts[-1] if len(starts) else -hop) + hop + window > duration - 1e-6


@settings(max_examples=40, deadline=None)
@given(
    total=st.integers(1, 200_000),
    block=st.integers(500, 70_000),
    chunk=st.sampled_from([0.5, 1.0, 3.0]),
    context=st.sampled_from([0.0, 0.03, 0.4]),
)
def test_chunks_tile_the_audio_exactly(total, block, chunk, context):
    audio = np.arange(total, dtype=np.float32)
    blocks = [audio[i : i + block] for i in range(0, total, block)]
    chunks = list(we._chunks(blocks, chunk, context))
    # the kept ranges cover [0, end) once each, in order
    assert chunks[0].keep_from == 0 and chunks[-1].keep_to == total / SAMPLE_RATE
    assert all(a.keep_to == b.keep_from for a, b in itertools.pairwise(chunks))
    for c in chunks:
        first = round(c.offset * SAMPLE_RATE)
        assert np.array_equal(c.samples, audio[first : first + len(c.samples)])  # the right samples
        assert c.offset <= c.keep_from and c.keep_to <= c.offset + len(c.samples) / SAMPLE_RATE + 1e-9
    if total >= round((chunk + 2 * context) * SAMPLE_RATE):  # long enough: all chunks batch together
        assert len({len(c.samples) for c in chunks}) == 1


def test_mel_pooled_windows_equal_direct_ones():
    audio = _scene()
    pooled = embed_stream([audio[i : i + 70_000] for i in range(0, len(audio), 70_000)], MelEmbedder(), "MEL")
    direct = embed_windows_directly(audio, MelEmbedder(), "MEL")
    assert pooled.vectors.shape == direct.vectors.shape == (33, 192)
    assert np.array_equal(pooled.times, direct.times)
    # pooled windows take frames by centre, direct ones every frame inside: a few edge frames differ, and
    # an edge frame may be the loudest of a window
    assert np.abs(pooled.vectors[:, :128] - direct.vectors[:, :128]).max() < 0.1
    assert np.median(np.abs(pooled.vectors[:, 128:] - direct.vectors[:, 128:])) < 0.01
    centred = direct.vectors.mean(axis=0)
    assert _cosines(pooled.vectors - centred, direct.vectors - centred).min() > 0.99


def test_mel_window_maximum_is_the_loudest_frame_of_its_cells_across_chunk_edges():
    audio = _scene()
    # 70,000-sample blocks cut cells in two: a cell's maximum must join both halves
    pooled = embed_stream(
        [audio[i : i + 70_000] for i in range(0, len(audio), 70_000)], MelEmbedder(), "MEL", window=0.5, hop=0.25
    )
    frames = log_mel_frames(audio)
    cells = np.floor(frame_centres(len(frames)) / 0.25 + 1e-6).astype(int)
    for row in (0, 7, 40, len(pooled.times) - 1):
        first = round(pooled.times[row] / 0.25)
        inside = (cells >= first) & (cells < first + 2)
        assert np.allclose(pooled.vectors[row, 128:], frames[inside].max(axis=0), atol=1e-5)
        assert np.allclose(pooled.vectors[row, :64], frames[inside].mean(axis=0), atol=1e-4)


def test_a_cache_entry_pooled_another_way_is_embedded_again(tmp_path):
    path = write_wav(tmp_path / "scene.wav", _scene())
    home = DataHome.resolve()
    key = embedding_cache.CacheKey.for_file(path, "MEL", 8.0, 1.0)
    embedding_cache.save(home, key, np.arange(33.0), np.zeros((33, 128), np.float32), 40.0)  # before max
    assert we.cached_embeddings(path, "MEL", home) is None
    assert embed_file(path, "MEL", home).vectors.shape == (33, 192)
    assert we.cached_embeddings(path, "MEL", home).vectors.shape == (33, 192)


@pytest.mark.filterwarnings("ignore:At least one mel filter has all zero values")  # ASTFeatureExtractor's own
@pytest.mark.parametrize(
    "name, save, bound",
    [
        # wav2vec2-large style (layer-norm feature encoder): only the attention context differs
        ("WAV2VEC2_LARGE", save_tiny_wav2vec2, 0.99),
        # HuBERT base normalises its first conv layer over the whole input (GroupNorm over time), so a
        # 32 s chunk and an 8 s window see different statistics: close, but visibly less so
        ("HUBERT_BASE", save_tiny_hubert, 0.9),
        ("AST", save_tiny_ast, 0.98),
    ],
)
@pytest.mark.slow
def test_tiny_transformers_pooled_windows_come_close_to_direct_ones(tmp_path, name, save, bound):
    """Measure: mean cosine similarity between each pooled window vector and the same window embedded on
    its own (tiny random models; a trained model's windows differ more from one another, not less)."""
    embedder = load_embedder(name, DataHome.resolve(), device=CPU, local_dir=save(tmp_path / name))
    audio = _scene()
    pooled = embed_stream([audio], embedder, name)
    direct = embed_windows_directly(audio, embedder, name)
    assert pooled.vectors.shape == direct.vectors.shape == (33, 32)
    assert _cosines(pooled.vectors, direct.vectors).mean() > bound


@pytest.mark.slow
def test_eat_shaped_pooled_windows_come_close_to_direct_ones():
    embedder = EatEmbedder("EAT", tiny_eat_model(), CPU)
    audio = _scene()
    pooled, direct = embed_stream([audio], embedder, "EAT"), embed_windows_directly(audio, embedder, "EAT")
    assert _cosines(pooled.vectors, direct.vectors).mean() > 0.99


def test_too_short_audio_is_a_clear_error():
    with pytest.raises(AudioTooShort, match="shorter than one 8 s window"):
        embed_stream([np.zeros(5 * SAMPLE_RATE, np.float32)], MelEmbedder(), "MEL")


def test_embed_file_reports_progress_and_caches(tmp_path, monkeypatch):
    path = write_wav(tmp_path / "scene.wav", _scene())
    home = DataHome.resolve()
    reports = []
    first = embed_file(path, "MEL", home, progress=lambda f, msg: reports.append(f))
    assert first.vectors.shape == (33, 192) and first.model == "MEL" and first.duration == 40.0
    assert reports[0] == 0.0 and reports[-1] == 1.0 and reports == sorted(reports)

    monkeypatch.setattr(we, "iter_audio_blocks", lambda *a, **k: pytest.fail("decoded despite the cache"))
    reports.clear()
    again = embed_file(path, "MEL", home, progress=lambda f, msg: reports.append(f))
    assert reports == [1.0]
    assert np.array_equal(again.vectors, first.vectors) and np.array_equal(again.times, first.times)
    assert we.cached_embeddings(path, "MEL", home).duration == 40.0
    assert we.cached_embeddings(path, "MEL", home, hop=2.0) is None  # another hop is another entry


def test_cancel_stops_embedding(tmp_path):
    path = write_wav(tmp_path / "scene.wav", _scene())
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        embed_file(path, "MEL", DataHome.resolve(), cancel=cancel)
    assert we.cached_embeddings(path, "MEL", DataHome.resolve()) is None


@pytest.mark.slow
def test_truncated_file_is_an_error_and_nothing_is_cached(tmp_path):
    whole = make_video(tmp_path / "whole.mp4", 20.0)
    mkv = tmp_path / "whole.mkv"
    run_ffmpeg(["-i", str(whole), "-c", "copy", str(mkv)], check=True)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(mkv.read_bytes()[: mkv.stat().st_size * 3 // 10])
    with pytest.raises(AudioDecodeError, match="cut.mkv looks truncated"):
        embed_file(cut, "MEL", DataHome.resolve())
    assert we.cached_embeddings(cut, "MEL", DataHome.resolve()) is None


def test_missing_file_is_a_decode_error(tmp_path):
    with pytest.raises(AudioDecodeError, match="does not exist"):
        embed_file(tmp_path / "gone.mp4", "MEL", DataHome.resolve())
    assert we.cached_embeddings(tmp_path / "gone.mp4", "MEL", DataHome.resolve()) is None


def test_embedding_ahead_feeds_the_next_embed_file_call(tmp_path, monkeypatch):
    path = write_wav(tmp_path / "scene.wav", _scene())
    home = DataHome.resolve()
    reports = []
    we.embed_ahead(path, "MEL", home, progress=lambda f, msg: reports.append(f))
    [pending] = we._embedding_ahead().values()
    pending._future.result(timeout=60)
    monkeypatch.setattr(we, "audio_duration", lambda *a: pytest.fail("embedded again despite embed_ahead"))
    ahead = embed_file(path, "MEL", home)
    monkeypatch.undo()
    assert reports[0] == 0.0 and reports[-1] == 1.0
    np.testing.assert_array_equal(ahead.vectors, embed_file(path, "MEL", DataHome.resolve(tmp_path / "h2")).vectors)
    assert we.cached_embeddings(path, "MEL", home) is not None  # the thread ahead wrote the cache


def test_embedding_ahead_raises_its_error_to_the_caller(tmp_path):
    cut = tmp_path / "cut.wav"
    cut.write_bytes(write_wav(tmp_path / "whole.wav", _scene()).read_bytes()[:2000])
    we.embed_ahead(cut, "MEL", DataHome.resolve())
    with pytest.raises(AudioTooShort):
        embed_file(cut, "MEL", DataHome.resolve())


@pytest.mark.slow
def test_embedding_ahead_skips_cached_files_and_stops_unused_work(tmp_path):
    home = DataHome.resolve()
    cached = write_wav(tmp_path / "cached.wav", _scene())
    embed_file(cached, "MEL", home)
    unused = write_wav(tmp_path / "unused.wav", _scene(600.0))
    we.embed_ahead(cached, "MEL", home)
    we.embed_ahead(unused, "MEL", home)
    we.embed_ahead(tmp_path / "gone.wav", "MEL", home)  # embed_file reports the missing file, not this
    pending = list(we._embedding_ahead().values())
    assert len(pending) == 1
    we.stop_embedding_ahead()
    assert not we._embedding_ahead() and not pending[0]._thread.is_alive()
    assert we.cached_embeddings(unused, "MEL", home) is None  # stopped before the end: nothing cached


@pytest.mark.slow
def test_cancel_while_waiting_for_the_embedding_ahead(tmp_path):
    path = write_wav(tmp_path / "long.wav", _scene(600.0))
    we.embed_ahead(path, "MEL", DataHome.resolve())
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        embed_file(path, "MEL", DataHome.resolve(), cancel=cancel)
    assert not we._embedding_ahead()


def test_transformer_models_are_not_embedded_ahead(tmp_path):
    path = write_wav(tmp_path / "scene.wav", _scene())
    we.embed_ahead(path, "HUBERT_BASE", DataHome.resolve())
    assert not we._embedding_ahead()
