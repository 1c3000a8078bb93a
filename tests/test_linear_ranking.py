"""The review queue's broad view: a linear model of the classifier's labels that ranks a kind of the sound
no answer reached yet above the distractors, though the training took its windows for negatives."""

import numpy as np

from core.linear_ranking import fit_linear_ranking
from core.training import NEGATIVE, POSITIVE, LabelledWindows


def _sound_of_two_kinds(seed=0):
    """Labelled kind-A windows, automatic negatives holding a few kind-B windows, and unlabelled kind-B
    windows and distractors to rank. Both kinds share dimensions 0-1; kind A alone has 2-3."""
    rng = np.random.default_rng(seed)

    def windows(count, shared, own):
        x = rng.normal(size=(count, 8))
        x[:, :2] += shared
        x[:, 2:4] += own
        return x

    kind_a, buried_b, negatives = windows(40, 4.0, 3.0), windows(6, 4.0, 0.0), windows(400, 0.0, 0.0)
    features = np.vstack([kind_a, buried_b, negatives])
    labels = np.r_[np.full(40, POSITIVE), np.full(406, NEGATIVE)].astype(np.int8)
    count = len(labels)
    data = LabelledWindows(
        features, labels, np.zeros(count, int), labels == NEGATIVE, np.arange(count) * 0.25, np.full(count, -1)
    )
    return data, windows(10, 4.0, 0.0), windows(200, 0.0, 0.0)


def test_an_unreached_kind_of_the_sound_ranks_above_the_distractors():
    data, unreached, distractors = _sound_of_two_kinds()
    ranking = fit_linear_ranking(data)
    assert ranking is not None
    assert ranking.score(unreached).min() > np.quantile(ranking.score(distractors), 0.95)


def test_without_one_of_the_classes_there_is_no_ranking():
    data, _unreached, _distractors = _sound_of_two_kinds()
    only_negatives = LabelledWindows(
        data.features[40:], data.labels[40:], data.groups[40:], data.automatic[40:], data.times[40:], data.events[40:]
    )
    assert fit_linear_ranking(only_negatives) is None
