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

import numpy as np

from core.last_result import LastResult

BACKGROUND_SECONDS = 10.0
RAW = "raw"  # the window's vector alone (classifiers trained before context existed)
CONTEXT = "context"  # [vector, vector - local background mean]
CONTEXT_PER_VIDEO = "context_per_video"  # the same, of vectors z-scored over their file's windows
FEATURE_SETS = (RAW, CONTEXT, CONTEXT_PER_VIDEO)


def local_background(vectors: np.ndarray, hop: float, seconds: float = BACKGROUND_SECONDS) -> np.ndarray:
    """Mean of the windows within `seconds` of each window (fewer at the ends of the file), in float32."""
    from scipy.ndimage import uniform_filter1d  # 45 ms to import: only where features are computed

    vectors = np.asarray(vectors, np.float32)
    count, reach = len(vectors), max(1, round(seconds / hop))
    # A running sum (scipy keeps it in float64) down the time axis, zeros beyond the ends: twice as fast
    # as a cumulative sum of 28,800 x 192 floats, strided (bench/README.md)
    background = uniform_filter1d(vectors, 2 * reach + 1, axis=0, mode="constant", cval=0.0, output=np.float32)
    edges = np.r_[0 : min(reach, count), max(reach, count - reach) : count]
    within = np.minimum(edges + reach + 1, count) - np.maximum(edges - reach, 0)
    background[edges] *= ((2 * reach + 1) / within)[:, None].astype(np.float32)
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


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _features(vectors: np.ndarray, hop: float, feature_set: str) -> np.ndarray:
    if feature_set == RAW or len(vectors) == 0:
        return vectors if feature_set == RAW else np.zeros((0, 2 * vectors.shape[1]), np.float32)
    if feature_set == CONTEXT_PER_VIDEO:
        spread = vectors.std(axis=0, dtype=np.float64)
        vectors = ((vectors - vectors.mean(axis=0, dtype=np.float64)) / np.where(spread > 0, spread, 1.0)).astype(
            np.float32
        )
    elif feature_set != CONTEXT:
        raise ValueError(f"unknown feature set {feature_set!r}")
    width = vectors.shape[1]
    features = np.empty((len(vectors), 2 * width), np.float32)
    features[:, :width] = vectors
    np.subtract(vectors, local_background(vectors, hop), out=features[:, width:])
    return features


_last_features: LastResult[tuple[np.ndarray, np.ndarray]] = LastResult(lambda kept: kept[1].nbytes)
