"""A second opinion on the booster: does the window sound more like a training sound than like anything else?

With a few dozen sound windows the booster learns a few cuts on a few features that set them apart from the
training videos, and on new videos other short sounds pass the same cuts: on the real-sound benchmark's
`class` scenario (droplets and a splash) clicks and kisses scored above half the droplets, whatever the
threshold. A window that holds the sound also lies nearer to one of the sound windows than to the
negatives around it. The gate keeps the training windows (their foreground: the context half of the
features, what a window adds to its background; standardised over the training windows, projected on the
`DIMENSIONS` directions along which they vary most, and scaled to unit length) and compares each scanned
window with them:

    s+ = the highest cosine with a sound window, s- = the mean of the `TOP_NEGATIVES` highest with negatives
    score = balanced booster probability x sigmoid(BETA (s+ - s-))

Windows the booster gives less than `FLOOR` are not compared (score 0), nor, once calibrated, those that
could not reach `PROBABILITY_FLOOR` even if the gate agreed fully (calibration rises with the score and the
gate only lowers it, so the calibrated balanced probability bounds the result): their probability is 0.
On a 2-hour real-sound film that skips 85 % of the windows, where `FLOOR` alone skips none (balancing the
classes lifts every balanced probability above it). A marked hard negative becomes an
exemplar itself, so its near-duplicates lose their score at once. Automatic negatives are a guess (windows
far from every clip are taken not to hold the sound) and may hold occurrences nobody cut yet: a video's
windows are never judged by its own automatic negatives, or scanning a training video would only repeat
the guess; cross-validation judges each video by the other videos' windows in the same way. The scores
are not probabilities; a sigmoid fitted on the out-of-fold scores of the training windows (Platt scaling,
at their own class balance) makes them so.

On the real-sound benchmark (bench/detection_bench.py, bench/README.md), after one round of hard negatives,
held-out recall / precision went from 1.00 / 1.00, 0.94 / 1.00 and 0.94 / 0.45 (distinct, confusable,
class) to 1.00 / 1.00, 1.00 / 1.00 and 1.00 / 0.95.
"""

from __future__ import annotations

import io
import math
import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

FORMAT_VERSION = 1
BETA = 10.0
TOP_NEGATIVES = 3
FLOOR = 0.02
PROBABILITY_FLOOR = 0.001  # a tenth of the lowest threshold the window offers: shown as 0 anyway
DIMENSIONS = 32  # principal components compared: a sixth of the cost of MEL's 192, as good on the benchmark
MAX_NEGATIVE_EXEMPLARS = 5000  # marked negatives first, then a sample of the automatic ones
_CHUNK = 256  # windows compared at once: their 256 x 5000 similarities (5 MB) stay in the CPU's caches
_THREADS = min(2, os.cpu_count() or 1)
_BASIS_SAMPLE = 4000  # training windows the principal directions are found from


class ExemplarGateError(ValueError):
    """The arrays do not describe a gate."""


@dataclass(frozen=True)
class ExemplarGate:
    first_column: int  # the foreground's first feature
    mean: np.ndarray  # standardisation of the foreground over the training windows
    scale: np.ndarray
    basis: np.ndarray  # (width, DIMENSIONS) its principal directions
    positives: np.ndarray  # (p, DIMENSIONS) unit vectors, projected on `basis`
    negatives: np.ndarray  # (n, DIMENSIONS) unit vectors
    negative_video: np.ndarray  # (n,) index into `videos` of an automatic negative's video; -1: a marked one
    videos: tuple[str, ...]  # the training videos (resolved paths)
    calibration: tuple[float, float] = (1.0, 0.0)  # Platt's a, b: p = sigmoid(a logit(score) + b)

    @classmethod
    def fit(
        cls,
        features: np.ndarray,
        sound: np.ndarray,
        automatic: np.ndarray,
        video: np.ndarray,
        videos: tuple[str, ...],
        first_column: int,
        seed: int = 0,
    ) -> ExemplarGate:
        """Exemplars from training windows: `sound` marks the sound windows, the rest are negatives, of which
        the `automatic` ones are sampled down when there are too many; `video` indexes `videos`."""
        foreground = np.asarray(features, np.float32)[:, first_column:]
        mean = foreground.mean(axis=0, dtype=np.float64).astype(np.float32)
        scale = (foreground.std(axis=0, dtype=np.float64) + 1e-6).astype(np.float32)
        rng = np.random.default_rng(seed)
        sample = rng.choice(len(foreground), min(len(foreground), _BASIS_SAMPLE), replace=False)
        directions = np.linalg.svd((foreground[sample] - mean) / scale, full_matrices=False)[2]
        basis = np.ascontiguousarray(directions[:DIMENSIONS].T, np.float32)
        negatives = np.flatnonzero(~sound)
        marked, drawn = negatives[~automatic[negatives]], negatives[automatic[negatives]]
        if len(marked) >= MAX_NEGATIVE_EXEMPLARS:
            kept = rng.choice(marked, MAX_NEGATIVE_EXEMPLARS, replace=False)
        else:
            room = min(len(drawn), MAX_NEGATIVE_EXEMPLARS - len(marked))
            kept = np.concatenate([marked, rng.choice(drawn, room, replace=False)])
        kept = np.sort(kept)
        return cls(
            first_column,
            mean,
            scale,
            basis,
            _unit(features[sound], first_column, mean, scale, basis),
            _unit(features[kept], first_column, mean, scale, basis),
            np.where(automatic[kept], np.asarray(video)[kept], -1).astype(np.int64),
            tuple(videos),
        )

    def with_calibration(self, calibration: tuple[float, float]) -> ExemplarGate:
        return replace(self, calibration=calibration)

    def scores(
        self, balanced: np.ndarray, features: np.ndarray, video: str | None = None, floor: float = FLOOR
    ) -> np.ndarray:
        """The booster's balanced probabilities of `video`'s windows weighed by their likeness to the
        exemplars (none of that video's own automatic negatives among them); 0 below `floor`."""
        balanced = np.asarray(balanced, np.float64)
        scores = np.zeros(len(balanced))
        near = np.flatnonzero(balanced >= floor)
        if len(near) == 0:
            return scores
        own = self.videos.index(video) if video in self.videos else None
        negatives = self.negatives if own is None else self.negatives[self.negative_video != own]

        def compare(start: int) -> None:
            rows = near[start : start + _CHUNK]
            z = _unit(features[rows], self.first_column, self.mean, self.scale, self.basis)
            best_sound = (z @ self.positives.T).max(axis=1)
            scores[rows] = balanced[rows] / (1.0 + np.exp(-BETA * (best_sound - _nearest_mean(z @ negatives.T))))

        if len(near) <= _CHUNK:  # one chunk: setting up threads and BLAS limits (~2 ms) would cost more
            compare(0)
            return scores
        # Chunks side by side on one BLAS thread each: 1.4x faster than BLAS's own threads on small products
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(_THREADS) as pool:
            list(pool.map(compare, range(0, len(near), _CHUNK)))
        return scores

    def probabilities(self, balanced: np.ndarray, features: np.ndarray, video: str | None = None) -> np.ndarray:
        """Calibrated scores; a window whose bound stays under `PROBABILITY_FLOOR` is not compared."""
        return calibrated(self.scores(balanced, features, video, max(FLOOR, self._score_reaching())), self.calibration)

    def _score_reaching(self) -> float:
        """The score whose calibrated probability is `PROBABILITY_FLOOR` (calibration's inverse)."""
        a, b = self.calibration
        logit = (math.log(PROBABILITY_FLOOR / (1 - PROBABILITY_FLOOR)) - b) / a
        return 1.0 / (1.0 + math.exp(-min(max(logit, -700.0), 700.0)))

    # ------------------------------------------------------------------------------------ on disk

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(
            buffer,
            format=np.array(FORMAT_VERSION),
            first_column=np.array(self.first_column),
            mean=self.mean,
            scale=self.scale,
            basis=self.basis,
            positives=self.positives,
            negatives=self.negatives,
            negative_video=self.negative_video,
            videos=np.array(self.videos, dtype=np.str_),
            calibration=np.array(self.calibration, np.float64),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ExemplarGate:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as stored:
                arrays = {key: stored[key] for key in stored.files}
            if int(arrays["format"]) != FORMAT_VERSION:
                raise ExemplarGateError(f"format {int(arrays['format'])} is not {FORMAT_VERSION}")
            gate = cls(
                int(arrays["first_column"]),
                arrays["mean"].astype(np.float32),
                arrays["scale"].astype(np.float32),
                arrays["basis"].astype(np.float32),
                arrays["positives"].astype(np.float32),
                arrays["negatives"].astype(np.float32),
                arrays["negative_video"].astype(np.int64),
                tuple(str(name) for name in arrays["videos"].reshape(-1)),
                (float(arrays["calibration"][0]), float(arrays["calibration"][1])),
            )
        except ExemplarGateError:
            raise
        except (OSError, ValueError, KeyError, IndexError, EOFError, zipfile.BadZipFile) as exc:
            raise ExemplarGateError(f"not a readable gate ({exc.__class__.__name__})") from exc
        width = len(gate.mean)
        if not (
            gate.first_column >= 0
            and gate.scale.shape == (width,)
            and gate.basis.ndim == 2
            and gate.basis.shape[0] == width
            and gate.positives.ndim == gate.negatives.ndim == 2
            and len(gate.positives) >= 1
            and gate.positives.shape[1] == gate.negatives.shape[1] == gate.basis.shape[1]
            and gate.negative_video.shape == (len(gate.negatives),)
            and ((gate.negative_video >= -1) & (gate.negative_video < len(gate.videos))).all()
            and (gate.scale > 0).all()
            and np.isfinite(gate.calibration).all()
        ):
            raise ExemplarGateError("array sizes do not agree")
        return gate


def _nearest_mean(similarities: np.ndarray) -> np.ndarray:
    """Per row, the mean of the `TOP_NEGATIVES` highest values (0 without any): picked by repeated maxima,
    three times faster than np.partition over rows of thousands."""
    rows = np.arange(len(similarities))
    total = np.zeros(len(similarities))
    top = min(TOP_NEGATIVES, similarities.shape[1])
    for _ in range(top):
        best = similarities.argmax(axis=1)
        total += similarities[rows, best]
        similarities[rows, best] = -np.inf
    return total / max(top, 1)


def _unit(
    features: np.ndarray, first_column: int, mean: np.ndarray, scale: np.ndarray, basis: np.ndarray
) -> np.ndarray:
    z = ((np.asarray(features, np.float32)[:, first_column:] - mean) / scale) @ basis
    return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-6)


def fit_calibration(scores: np.ndarray, sound: np.ndarray) -> tuple[float, float]:
    """Platt scaling of gate scores: the a, b of sigmoid(a logit(score) + b) that fit the labels best."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e6).fit(_logit(scores)[:, None], sound.astype(int))
    # a higher score never means less likely: a fit without signal gets a flat, not a reversed, curve
    return max(float(model.coef_[0, 0]), 1e-3), float(model.intercept_[0])


def calibrated(scores: np.ndarray, calibration: tuple[float, float]) -> np.ndarray:
    a, b = calibration
    return 1.0 / (1.0 + np.exp(-(a * _logit(scores) + b)))


def _logit(scores: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(scores, np.float64), 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))
