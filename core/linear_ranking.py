"""A broad view of the library for the review queue: a linear model of the classifier's own labels.

The classifier (shallow boosted trees weighed by the exemplar gate, core.training) learns narrow cuts
around the sounds it was shown, and every unlabelled window far from a clip is one of its negatives. So
a kind of the sound that no answer has reached yet, which lies among those negatives, scores low: on the
real-sound benchmark's `class` scenario (three droplet recordings and a rubber-duck splash, searched
from one droplet), after 36 answers that had found only droplets the classifier ranked the library's
splashes 19th, 24th and 43rd among its unlabelled occurrences. A logistic regression on the same
windows and labels, regularised hard (`C`), can only learn the broad direction that sets the sound
apart, which the splashes share: it ranked them 4th, 15th and 16th (bench/README.md). Its ranking
feeds the queue's third list; its scores are never shown as probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.training import NEGATIVE, POSITIVE, LabelledWindows

C = 0.01  # inverse regularisation strength: 0.1 ranked the splashes lower (10th-21st at the state above)
MAX_ITERATIONS = 1000


@dataclass(frozen=True)
class LinearRanking:
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def score(self, features: np.ndarray) -> np.ndarray:
        """A ranking score per window (the model's log-odds): higher is more like the sound."""
        return ((np.asarray(features, np.float32) - self.mean) / self.scale) @ self.weights + self.bias


def fit_linear_ranking(data: LabelledWindows) -> LinearRanking | None:
    """The model of `data`'s labels, classes weighed equally; None when one class has no window."""
    from sklearn.linear_model import LogisticRegression

    counts = np.bincount(data.labels.astype(np.int64), minlength=2)
    if counts[POSITIVE] == 0 or counts[NEGATIVE] == 0:
        return None
    mean = data.features.mean(axis=0)
    scale = data.features.std(axis=0) + 1e-6
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=MAX_ITERATIONS)
    model.fit((data.features - mean) / scale, data.labels == POSITIVE)
    return LinearRanking(
        mean.astype(np.float32), scale.astype(np.float32), model.coef_[0].astype(np.float32), float(model.intercept_[0])
    )
