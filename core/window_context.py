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

BACKGROUND_SECONDS = 10.0
RAW = "raw"  # the window's vector alone (classifiers trained before context existed)
CONTEXT = "context"  # [vector, vector - local background mean]
CONTEXT_PER_VIDEO = "context_per_video"  # the same, of vectors z-scored over their file's windows
FEATURE_SETS = (RAW, CONTEXT, CONTEXT_PER_VIDEO)


def local_background(vectors: np.ndarray, hop: float, seconds: float = BACKGROUND_SECONDS) -> np.ndarray:
    """Mean of the windows within `seconds` of each window (fewer at the ends of the file)."""
    vectors = np.asarray(vectors)
    count, reach = len(vectors), max(1, round(seconds / hop))
    sums = np.zeros((count + 1, vectors.shape[1]))
    np.cumsum(vectors, axis=0, dtype=np.float64, out=sums[1:])
    background = np.empty((count, vectors.shape[1]))
    # rows whose whole neighbourhood lies in the file: one subtraction of two views (a 2-hour file's
    # features are 44 MB a copy, so no gathered temporaries)
    if count > 2 * reach:
        inner = background[reach : count - reach]
        np.subtract(sums[2 * reach + 1 :], sums[: count - 2 * reach], out=inner)
        inner /= 2 * reach + 1
    edges = np.r_[0 : min(reach, count), max(reach, count - reach) : count]
    lo, hi = np.maximum(edges - reach, 0), np.minimum(edges + reach + 1, count)
    background[edges] = (sums[hi] - sums[lo]) / (hi - lo)[:, None]
    return background


def window_features(vectors: np.ndarray, hop: float, feature_set: str = CONTEXT) -> np.ndarray:
    """The classifier's input for a file's windows (in time order, one every `hop` seconds)."""
    vectors = np.asarray(vectors, dtype=np.float32)
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
    np.subtract(vectors, local_background(vectors, hop), out=features[:, width:], casting="same_kind")
    return features
