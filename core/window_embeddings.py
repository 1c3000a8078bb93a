"""Window embeddings: one vector per `window`-second window, one window every `hop` seconds.

The model runs once over long chunks of the audio (with a little context on each side whose frames are
thrown away); every frame feature is summed into the `cell` (gcd of window and hop, 1 s by default) its
centre falls in, and a window's vector is the mean (for MEL also the std and the maximum) of the frames of
its cells.
So the cost grows with the audio length, not with length x window / hop: an 8 s window with a 1 s hop
would otherwise embed every second eight times. `embed_windows_directly` is that naive path, kept to
measure how close the pooled vectors come to it (tests) and how much faster pooling is (bench).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core import embedding_cache
from core.audio import SAMPLE_RATE, AudioDecodeError, ReadAhead, audio_duration, iter_audio_blocks
from core.defaults import CLIP_HOP, CLIP_WINDOW
from core.embedding_models import FrameEmbedder, get_spec, load_embedder
from core.errors import FoleycutError
from core.home import DataHome
from core.last_result import LastResult
from core.progress import Progress, check_cancel

_EPS = 1e-6
# Decoded audio waits for the embedder in at most this many blocks of this length (2.5 MB): enough to keep
# ffmpeg busy through the embedder's uneven pace, little enough to stop it at once on cancel.
READ_AHEAD_BLOCK_SECONDS = 10.0
READ_AHEAD_BLOCKS = 4
DECODE_AHEAD_SECONDS = 600.0  # of the next file, decoded during Scan All while this one embeds (38 MB)
POOLINGS = ("mean", "mean_std", "mean_std_max")  # statistics of a window's frames, in this order


class AudioTooShort(FoleycutError):
    """The audio is shorter than one window."""


@dataclass
class WindowEmbeddings:
    times: np.ndarray  # window start, seconds
    vectors: np.ndarray  # (n, dim) float32
    model: str
    window: float
    hop: float
    duration: float  # seconds of audio decoded


def window_starts(duration: float, window: float, hop: float) -> np.ndarray:
    """Starts of the windows that fit entirely in `duration` (none when the audio is shorter than one)."""
    if window <= 0 or hop <= 0:
        raise ValueError("window and hop must be positive")
    if duration + _EPS < window:
        return np.zeros(0)
    count = math.floor((duration - window) / hop + _EPS) + 1
    return np.round(np.arange(count) * hop, 6)


def cell_seconds(window: float, hop: float) -> float:
    """The largest step (in whole milliseconds) that divides both window and hop."""
    return math.gcd(round(window * 1000), round(hop * 1000)) / 1000


@dataclass(frozen=True)
class _Chunk:
    offset: float  # seconds from the start of the audio to chunk sample 0
    samples: np.ndarray
    keep_from: float  # frames whose centre lies in [keep_from, keep_to) belong to this chunk
    keep_to: float


def _chunks(blocks: Iterable[np.ndarray], chunk_seconds: float, context_seconds: float) -> Iterator[_Chunk]:
    """Cut a stream of sample blocks into chunks of `chunk_seconds` plus context on both sides.

    Only about one chunk of samples is buffered. Every chunk has the same length when the audio allows
    (the first takes its context on the right, the last reaches back to the left), so they batch together.
    """
    core, context = round(chunk_seconds * SAMPLE_RATE), round(context_seconds * SAMPLE_RATE)
    buffer, buffer_start, next_core = np.zeros(0, np.float32), 0, 0

    def cut(lo: int, hi: int, keep_to: int) -> _Chunk:
        return _Chunk(
            lo / SAMPLE_RATE,
            buffer[lo - buffer_start : hi - buffer_start],
            next_core / SAMPLE_RATE,
            keep_to / SAMPLE_RATE,
        )

    for block in blocks:
        buffer = np.concatenate([buffer, block]) if len(buffer) else block
        while True:
            lo = max(0, next_core - context)
            hi = lo + core + 2 * context  # the first chunk takes its missing left context on the right
            if buffer_start + len(buffer) < hi:
                break
            yield cut(lo, hi, next_core + core)
            next_core += core
            # keep a full chunk's worth behind the next core, for the tail chunk to reach back into
            drop = max(0, next_core - core - 2 * context) - buffer_start
            buffer, buffer_start = buffer[drop:], buffer_start + drop
    end = buffer_start + len(buffer)
    while next_core < end:
        lo = max(0, min(next_core - context, end - core - 2 * context))
        yield cut(lo, end, min(end, next_core + core))
        next_core += core


def _batches(chunks: Iterable[_Chunk], size: int) -> Iterator[list[_Chunk]]:
    """Consecutive chunks of equal length, `size` at a time (the model takes a rectangular batch)."""
    batch: list[_Chunk] = []
    for chunk in chunks:
        if batch and (len(batch) == size or len(chunk.samples) != len(batch[0].samples)):
            yield batch
            batch = []
        batch.append(chunk)
    if batch:
        yield batch


class _CellPooler:
    """Per-cell sums (and sums of squares, and maxima) of frame features; a window pools its cells.

    Cells hold float32 (a few dozen frames each, summed in float64 first): a 3-hour film at 1 s cells
    and 768 features is 33 MB. Windows are pooled a slice at a time, so no full-size temporaries.
    """

    _SLICE = 1024  # windows pooled at once

    def __init__(self, cell: float, frame_dim: int, pooling: str, expected_seconds: float | None = None):
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}")
        self.cell, self.with_std, self.with_max = cell, "std" in pooling, pooling.endswith("max")
        self.sums = np.zeros((0, frame_dim), np.float32)
        self.squares = np.zeros((0, frame_dim), np.float32) if self.with_std else None
        # a cell without frames keeps -inf, and a window of such cells pools to 0 as its mean does
        self.maxima = np.zeros((0, frame_dim), np.float32) if self.with_max else None
        self.counts = np.zeros(0, np.int64)
        if expected_seconds:
            self._grow(math.ceil(expected_seconds / cell) + 1)

    def _grow(self, cells: int) -> None:
        if cells <= len(self.counts):
            return
        pad = max(cells, len(self.counts) * 5 // 4) - len(self.counts)
        self.sums = np.pad(self.sums, ((0, pad), (0, 0)))
        if self.squares is not None:
            self.squares = np.pad(self.squares, ((0, pad), (0, 0)))
        if self.maxima is not None:
            self.maxima = np.pad(self.maxima, ((0, pad), (0, 0)), constant_values=-np.inf)
        self.counts = np.pad(self.counts, (0, pad))

    def add(self, centres: np.ndarray, features: np.ndarray) -> None:
        if len(centres) == 0:
            return
        cells = np.floor(centres / self.cell + _EPS).astype(np.int64)  # sorted: frames come in time order
        self._grow(int(cells[-1]) + 1)
        firsts = np.flatnonzero(np.r_[True, np.diff(cells) != 0])
        self.sums[cells[firsts]] += np.add.reduceat(features, firsts, axis=0, dtype=np.float64)
        if self.squares is not None:
            squares = np.square(features, dtype=np.float64)
            self.squares[cells[firsts]] += np.add.reduceat(squares, firsts, axis=0)
        if self.maxima is not None:  # a cell may get frames from two chunks
            touched = cells[firsts]
            self.maxima[touched] = np.maximum(self.maxima[touched], np.maximum.reduceat(features, firsts, axis=0))
        self.counts[cells[firsts]] += np.diff(np.r_[firsts, len(cells)])

    def pool(self, starts: np.ndarray, window: float) -> np.ndarray:
        span = round(window / self.cell)
        first = np.round(starts / self.cell).astype(np.int64)
        self._grow(int(first[-1]) + span if len(first) else 0)
        parts = 1 + self.with_std + self.with_max
        out = np.empty((len(first), self.sums.shape[1] * parts), np.float32)
        for lo in range(0, len(first), self._SLICE):
            cells = first[lo : lo + self._SLICE, None] + np.arange(span)  # (windows, span) cell indices
            counts = np.maximum(self.counts[cells].sum(axis=1), 1)[:, None]
            mean = self.sums[cells].sum(axis=1, dtype=np.float64) / counts
            pooled = [mean]
            if self.squares is not None:
                variance = self.squares[cells].sum(axis=1, dtype=np.float64) / counts - mean * mean
                pooled.append(np.sqrt(np.maximum(variance, 0)))
            if self.maxima is not None:
                maxima = self.maxima[cells].max(axis=1)
                pooled.append(np.where(np.isfinite(maxima), maxima, 0.0))
            out[lo : lo + len(cells)] = np.hstack(pooled)
        return out


def embed_stream(
    blocks: Iterable[np.ndarray],
    embedder: FrameEmbedder,
    model: str,
    window: float = CLIP_WINDOW,
    hop: float = CLIP_HOP,
    expected_seconds: float | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> WindowEmbeddings:
    """Pooled window embeddings of a stream of 16 kHz blocks (the chunked path)."""
    pooler = _CellPooler(cell_seconds(window, hop), embedder.frame_dim, embedder.pooling, expected_seconds)
    duration = 0.0

    def pool(batch: list[_Chunk], frames: Future) -> None:
        nonlocal duration
        for chunk, (centres, features) in zip(batch, frames.result()):
            centres = centres + chunk.offset
            kept = slice(*np.searchsorted(centres, [chunk.keep_from, chunk.keep_to]))  # centres ascend
            pooler.add(centres[kept], features[kept])
        duration = batch[-1].keep_to
        if progress is not None:
            progress(duration / max(expected_seconds or 0.0, duration), f"Embedding with {model}")

    # the model works on the next batch (GPU, or torch's own threads) while this thread pools the last one
    with ThreadPoolExecutor(max_workers=1) as worker:
        pending = None
        for batch in _batches(_chunks(blocks, embedder.chunk_seconds, embedder.context_seconds), embedder.batch_size):
            check_cancel(cancel)
            running = (batch, worker.submit(embedder.frames, [chunk.samples for chunk in batch]))
            if pending is not None:
                pool(*pending)
            pending = running
        if pending is not None:
            pool(*pending)
    check_cancel(cancel)
    starts = window_starts(duration, window, hop)
    if len(starts) == 0:
        raise AudioTooShort(
            f"The audio is {duration:.1f} s long, shorter than one {window:g} s window; "
            f"use a longer file or a shorter window."
        )
    return WindowEmbeddings(starts, pooler.pool(starts, window), model, window, hop, duration)


def embed_windows_directly(
    samples: np.ndarray, embedder: FrameEmbedder, model: str, window: float = CLIP_WINDOW, hop: float = CLIP_HOP
) -> WindowEmbeddings:
    """Each window embedded on its own, all its frames pooled (the slow path pooling replaces)."""
    duration = len(samples) / SAMPLE_RATE
    starts = window_starts(duration, window, hop)
    length = round(window * SAMPLE_RATE)
    vectors = []
    for first in range(0, len(starts), embedder.batch_size):
        batch = [samples[round(t * SAMPLE_RATE) :][:length] for t in starts[first : first + embedder.batch_size]]
        for _centres, features in embedder.frames(batch):
            pooler = _CellPooler(window, embedder.frame_dim, embedder.pooling)
            pooler.add(np.zeros(len(features)), features)  # all frames in one cell: the whole window
            vectors.append(pooler.pool(np.zeros(1), window)[0])
    return WindowEmbeddings(
        starts, np.array(vectors, np.float32).reshape(len(starts), embedder.dim), model, window, hop, duration
    )


def cached_embeddings(
    path, model: str, home: DataHome, window: float = CLIP_WINDOW, hop: float = CLIP_HOP
) -> WindowEmbeddings | None:
    """The cached embeddings of `path`, if present and current (None for a missing file); nothing is decoded."""
    if not Path(path).is_file():
        return None
    return _from_cache(home, embedding_cache.CacheKey.for_file(path, model, window, hop))


def _from_cache(home: DataHome, key: embedding_cache.CacheKey) -> WindowEmbeddings | None:
    """The entry's embeddings; the last ones loaded are kept (read-only) while the entry file is the same."""
    path = embedding_cache.entry_path(home, key)
    try:
        stat = path.stat()
    except OSError:
        return None
    identity = (key, str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    embeddings = _last_loaded.get(identity)
    if embeddings is None:
        embeddings = _load(home, key)
        if embeddings is not None:
            _last_loaded.keep(identity, embeddings)
    return embeddings


def _load(home: DataHome, key: embedding_cache.CacheKey) -> WindowEmbeddings | None:
    entry = embedding_cache.load(home, key)
    if entry is None or entry.vectors.shape[1:] != (get_spec(key.model).dim,):
        return None  # absent, or written by a version that pooled this model's frames differently
    entry.times.flags.writeable = entry.vectors.flags.writeable = False  # shared through `_last_loaded`
    return WindowEmbeddings(entry.times, entry.vectors, key.model, key.window, key.hop, entry.duration)


_last_loaded: LastResult[WindowEmbeddings] = LastResult(lambda embeddings: embeddings.vectors.nbytes)


def embed_file(
    path,
    model_name: str,
    home: DataHome,
    window: float = CLIP_WINDOW,
    hop: float = CLIP_HOP,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    embedder: FrameEmbedder | None = None,
    audio: ReadAhead | None = None,
) -> WindowEmbeddings:
    """Window embeddings of a media file's audio, from the cache when current, else computed and cached.
    `audio`: the file's blocks already being decoded (`decode_ahead`), used instead of starting ffmpeg."""
    path = Path(path)
    if not path.is_file():
        if audio is not None:
            audio.close()
        raise AudioDecodeError(f"Cannot read audio: {path} does not exist; check the path.")
    key = embedding_cache.CacheKey.for_file(path, model_name, window, hop)
    cached = _from_cache(home, key)
    if cached is not None:
        if audio is not None:
            audio.close()
        if progress is not None:
            progress(1.0, f"{model_name} embeddings from cache")
        return cached
    ahead = _embedding_ahead().pop(key, None)
    if ahead is not None:
        result = ahead.result(cancel)
        if progress is not None:
            progress(1.0, f"{model_name} embeddings ready")
        return result
    try:
        expected = audio_duration(path)
    except FoleycutError:
        if audio is not None:
            audio.close()
        raise
    if audio is None:
        audio = ReadAhead(
            iter_audio_blocks(path, READ_AHEAD_BLOCK_SECONDS, expected_seconds=expected), READ_AHEAD_BLOCKS
        )
    with audio as blocks:  # leaving it stops ffmpeg, on cancel or error too
        if progress is not None:
            progress(0.0, f"Loading {model_name}")
        embedder = embedder or load_embedder(model_name, home)
        result = embed_stream(blocks, embedder, model_name, window, hop, expected, progress, cancel)
    embedding_cache.save(home, key, result.times, result.vectors, result.duration)
    return result


class _EmbeddingAhead:
    """One `embed_file` running in its own thread until the caller that wants its result comes."""

    def __init__(self, path, model_name: str, home: DataHome, window: float, hop: float, progress: Progress | None):
        self._stop = threading.Event()  # its own: the caller's cancel is only looked at while waiting
        self._future: Future = Future()
        self._thread = threading.Thread(
            target=self._run, args=(path, model_name, home, window, hop, progress), name="embed-ahead", daemon=True
        )
        self._thread.start()

    def _run(self, path, model_name: str, home: DataHome, window: float, hop: float, progress: Progress | None) -> None:
        try:
            self._future.set_result(embed_file(path, model_name, home, window, hop, progress, cancel=self._stop))
        except BaseException as exc:  # noqa: BLE001 - raised again by result()
            self._future.set_exception(exc)

    def result(self, cancel: threading.Event | None) -> WindowEmbeddings:
        try:
            while not self._future.done():
                check_cancel(cancel)
                wait([self._future], timeout=0.1)
            return self._future.result()
        finally:
            self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


_ahead = threading.local()  # per thread: {CacheKey: _EmbeddingAhead} started by embed_ahead


def _embedding_ahead() -> dict:
    if not hasattr(_ahead, "pending"):
        _ahead.pending = {}
    return _ahead.pending


def embed_ahead(
    path,
    model_name: str,
    home: DataHome,
    window: float = CLIP_WINDOW,
    hop: float = CLIP_HOP,
    progress: Progress | None = None,
) -> None:
    """Start `embed_file` on `path` in a background thread; a later `embed_file` call with the same
    arguments in this thread waits for that result instead of starting over.

    A scan calls it for its first video before loading the classifier (importing scikit-learn takes
    seconds, and the embedding runs meanwhile) and, in Scan All, for the next video before scanning the
    current one. Nothing starts when the embeddings are cached or the file cannot be read (`embed_file`
    will say why), nor for a transformers model: each `embed_file` loads its own copy, and two copies
    would share the GPU's memory with batch sizes meant for one. `stop_embedding_ahead()` stops and
    forgets what was started and never asked for.
    """
    try:
        if not get_spec(model_name).builtin:
            return
        key = embedding_cache.CacheKey.for_file(path, model_name, window, hop)
    except (OSError, FoleycutError):
        return
    if key not in _embedding_ahead() and not embedding_cache.entry_path(home, key).is_file():
        _embedding_ahead()[key] = _EmbeddingAhead(path, model_name, home, window, hop, progress)


def decode_ahead(path, seconds: float = DECODE_AHEAD_SECONDS) -> ReadAhead:
    """Start decoding `path` now, up to `seconds` of audio held in memory until `embed_file(audio=...)`
    takes it: Scan All decodes the next file while the current one is embedded. Close it if unused."""
    expected = audio_duration(path)
    return ReadAhead(
        iter_audio_blocks(path, READ_AHEAD_BLOCK_SECONDS, expected_seconds=expected),
        max(READ_AHEAD_BLOCKS, math.ceil(seconds / READ_AHEAD_BLOCK_SECONDS)),
    )


def stop_embedding_ahead() -> None:
    pending = _embedding_ahead()
    while pending:
        pending.popitem()[1].stop()
