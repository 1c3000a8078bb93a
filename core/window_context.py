"""What a window adds to its scene: each window's vector beside its difference from the local background.

A short sound in a film sits on top of music, room tone or speech that changes from scene to scene and
from film to film. A classifier given only the window's own statistics learns the backgrounds of the
training videos along with the sound. Giving it also the window minus the mean of the windows around it
(`BACKGROUND_SECONDS` either side) describes the sound by what it adds, which carries over to other
videos. Training and scanning apply the same transform; classifiers store which one they were fitted on.

Per-video normalisation (`CONTEXT_PER_VIDEO`, a training option) first z-scores every feature over the
file's own windows, so a film mixed louder or brighter than the training films looks the same to the
classifier; on the real-sound benchmark it did not help (bench/README.md), so it is not the default.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from core.last_result import LastResult

BACKGROUND_SECONDS = 10.0
_COLUMNS = 16  # features whose running sums are taken at once
# Windows whose features are made together when a file's are not kept: one chunk of the compact scorer,
# which then scores a block on one thread (a 3-hour scan peaks 112 MB above idle; 8192: 145 MB)
BLOCK_WINDOWS = 4096
RAW = "raw"  # the window's vector alone (classifiers trained before context existed)
CONTEXT = "context"  # [vector, vector - local background mean]
CONTEXT_PER_VIDEO = "context_per_video"  # the same, of vectors z-scored over their file's windows
FEATURE_SETS = (RAW, CONTEXT, CONTEXT_PER_VIDEO)


def _reach(hop: float, seconds: float = BACKGROUND_SECONDS) -> int:
    """Windows either side that make a window's background."""
    return max(1, round(seconds / hop))


def local_background(
    vectors: np.ndarray, hop: float, seconds: float = BACKGROUND_SECONDS, out: np.ndarray | None = None
) -> np.ndarray:
    """Mean of the windows within `seconds` of each window (fewer at the ends of the file), in float32
    (written into `out` when given)."""
    vectors = np.asarray(vectors, np.float32)
    count, width = vectors.shape
    reach = _reach(hop, seconds)
    background = np.empty((count, width), np.float32) if out is None else out
    # Running sums in float64 along time, a few features at a time laid out contiguously: 1.5x faster than
    # one cumulative sum down all 28,800 x 192 rows, and a 3-hour file's temporaries stay a few MB
    sums = np.zeros((_COLUMNS, count + 1))
    inner = np.empty((_COLUMNS, max(0, count - 2 * reach)))  # rows whose whole neighbourhood is in the file
    edges = np.r_[0 : min(reach, count), max(reach, count - reach) : count]
    lo, hi = np.maximum(edges - reach, 0), np.minimum(edges + reach + 1, count)
    for first in range(0, width, _COLUMNS):
        columns = min(_COLUMNS, width - first)
        np.cumsum(vectors[:, first : first + columns].T, axis=1, dtype=np.float64, out=sums[:columns, 1:])
        block = background[:, first : first + columns]
        if count > 2 * reach:
            np.subtract(sums[:columns, 2 * reach + 1 :], sums[:columns, : count - 2 * reach], out=inner[:columns])
            inner[:columns] /= 2 * reach + 1
            block[reach : count - reach] = inner[:columns].T
        block[edges] = ((sums[:columns, hi] - sums[:columns, lo]) / (hi - lo)).T
    return background


def window_features(vectors: np.ndarray, hop: float, feature_set: str = CONTEXT) -> np.ndarray:
    """The classifier's input for a file's windows (in time order, one every `hop` seconds). For read-only
    vectors (the embedding cache's) the last features are kept: read-only too, as they are shared."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if feature_set == RAW or vectors.flags.writeable:
        return _features(vectors, hop, feature_set)
    key = (id(vectors), hop, feature_set)  # the kept entry holds `vectors`: no other array can take its id
    kept = _last_features.get(key)
    if kept is None:
        kept = (vectors, _read_only(_features(vectors, hop, feature_set)))
        _last_features.keep(key, kept)
    return kept[1]


def feature_blocks(vectors: np.ndarray, hop: float, feature_set: str = CONTEXT) -> Iterator[np.ndarray]:
    """The same features in time order, in blocks whose concatenation equals `window_features`. A freshly
    embedded file's are made `BLOCK_WINDOWS` at a time and never held whole (3 hours of MEL: 66 MB); the
    cache's come whole, as they are kept for the next rescan."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if feature_set == RAW or not vectors.flags.writeable or len(vectors) <= BLOCK_WINDOWS:
        yield window_features(vectors, hop, feature_set)
        return
    for _rows, block in _blocks(vectors, hop, feature_set):
        yield block


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _features(vectors: np.ndarray, hop: float, feature_set: str) -> np.ndarray:
    if feature_set == RAW:
        return vectors
    features = np.empty((len(vectors), 2 * vectors.shape[1]), np.float32)
    for rows, block in _blocks(vectors, hop, feature_set):
        features[rows] = block
    return features


def _blocks(vectors: np.ndarray, hop: float, feature_set: str) -> Iterator[tuple[slice, np.ndarray]]:
    """Features of `BLOCK_WINDOWS` windows at a time, each from its windows and the neighbours their
    background reaches: every way of taking a file's features adds the same numbers in the same order."""
    if feature_set not in (CONTEXT, CONTEXT_PER_VIDEO):
        raise ValueError(f"unknown feature set {feature_set!r}")
    count, width = vectors.shape
    if feature_set == CONTEXT_PER_VIDEO and count:
        mean = vectors.mean(axis=0, dtype=np.float64)
        spread = vectors.std(axis=0, dtype=np.float64)
        spread = np.where(spread > 0, spread, 1.0)
    reach = _reach(hop)
    for start in range(0, count, BLOCK_WINDOWS):
        stop = min(count, start + BLOCK_WINDOWS)
        first, last = max(0, start - reach), min(count, stop + reach)
        around = vectors[first:last]
        if feature_set == CONTEXT_PER_VIDEO:
            around = ((around - mean) / spread).astype(np.float32)
        inside = slice(start - first, stop - first)
        block = np.empty((stop - start, 2 * width), np.float32)
        block[:, :width] = around[inside]
        np.subtract(around[inside], local_background(around, hop)[inside], out=block[:, width:])
        yield slice(start, stop), block


_last_features: LastResult[tuple[np.ndarray, np.ndarray]] = LastResult(lambda kept: kept[1].nbytes)
