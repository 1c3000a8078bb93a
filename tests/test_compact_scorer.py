"""The compact scorer gives the probabilities of the scikit-learn estimator it was exported from."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from core import compact_scorer
from core.compact_scorer import CompactScorer, CompactScorerError
from core.training import boosting_threads, fit_balanced

TOLERANCE = 1e-9


def assert_same(scorer: CompactScorer, estimator, x: np.ndarray) -> None:
    expected = estimator.predict_proba(x)
    np.testing.assert_allclose(scorer.predict_proba(x), expected, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(scorer.positive_probability(x), expected[:, 1], rtol=0, atol=TOLERANCE)


def exported(estimator) -> CompactScorer:
    arrays = compact_scorer.export_arrays(estimator)
    assert arrays is not None
    return compact_scorer.from_bytes(compact_scorer.to_bytes(arrays))  # through the file form


@st.composite
def fitted_ensembles(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    samples, features = draw(st.integers(40, 160)), draw(st.integers(1, 12))
    x = rng.normal(size=(samples, features)) * draw(st.sampled_from([1e-3, 1.0, 1e4]))
    if draw(st.booleans()):
        x[rng.random(x.shape) < 0.1] = np.nan  # missing values train missing-go-left/right nodes
    if draw(st.booleans()):
        x = np.round(x, 1)  # repeated values: thresholds shared between trees
    y = np.nan_to_num(x[:, 0]) + rng.normal(scale=draw(st.sampled_from([0.1, 1.0, 10.0])), size=samples) > 0
    y[:2] = [True, False]
    booster = HistGradientBoostingClassifier(
        max_iter=draw(st.integers(1, 12)),
        max_leaf_nodes=draw(st.sampled_from([2, 3, 7, 31, 63])),
        min_samples_leaf=draw(st.integers(1, 10)),
        max_bins=draw(st.sampled_from([7, 63, 255])),
        early_stopping=False,
        random_state=0,
    )
    folds = draw(st.integers(2, 3))
    if min(y.sum(), (~y).sum()) < folds:
        y[: 2 * folds] = np.arange(2 * folds) % 2 == 0
    with boosting_threads():  # OpenMP threads spinning on a busy machine slow small fits tenfold
        estimator = CalibratedClassifierCV(booster, method="sigmoid", cv=folds).fit(x, y.astype(int))
    return estimator, x, rng


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fitted_ensembles())
def test_probabilities_equal_predict_proba_on_random_models_and_windows(case):
    estimator, x, rng = case
    scorer = exported(estimator)
    assert scorer.n_features_in_ == x.shape[1]
    assert_same(scorer, estimator, x)  # the training windows, NaN included
    assert_same(scorer, estimator, scorer.probe_windows(300, seed=int(rng.integers(1000))))  # on thresholds
    fresh = rng.normal(size=(200, x.shape[1])) * np.nanstd(x, axis=0).clip(1e-6) + np.nanmean(x, axis=0)
    assert_same(scorer, estimator, fresh.astype(np.float32))  # what scans pass: float32 windows
    assert_same(scorer, estimator, np.vstack([fresh, np.full((1, x.shape[1]), np.inf), -fresh[:3]]))


@pytest.mark.slow
def test_probabilities_equal_predict_proba_for_the_training_modules_classifier():
    """Foleycut's own estimator (calibration folds, balanced repeats), over more windows than one chunk."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(600, 24)).astype(np.float32)
    labels = (np.arange(600) % 23 == 0).astype(int)
    x[labels == 1, :3] += 2.0
    estimator = fit_balanced(x, labels)
    scorer = exported(estimator)
    windows = rng.normal(size=(9000, 24)).astype(np.float32)  # 9000: three chunks, the last one partial
    windows[::50, :3] += 2.0
    assert_same(scorer, estimator, windows)
    assert_same(scorer, estimator, windows[:1])
    assert scorer.positive_probability(windows[:0]).shape == (0,)


@pytest.mark.slow
def test_models_it_cannot_reproduce_are_not_exported():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(80, 3)), np.arange(80) % 2
    assert compact_scorer.export_arrays(LogisticRegression().fit(x, y)) is None
    isotonic = CalibratedClassifierCV(HistGradientBoostingClassifier(max_iter=3), method="isotonic", cv=2)
    assert compact_scorer.export_arrays(isotonic.fit(x, y)) is None
    three_classes = CalibratedClassifierCV(HistGradientBoostingClassifier(max_iter=3), cv=2)
    assert compact_scorer.export_arrays(three_classes.fit(x, np.arange(80) % 3)) is None


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(120, 5))
    estimator = CalibratedClassifierCV(HistGradientBoostingClassifier(max_iter=4, min_samples_leaf=3), cv=2)
    return compact_scorer.export_arrays(estimator.fit(x, x[:, 0] > 0))


@pytest.mark.parametrize(
    "damage",
    [
        lambda a: a.update(left=np.where(a["is_leaf"], a["left"], 0)),  # a child pointing back at the root
        lambda a: a.update(right=a["left"]),  # two parents for one node
        lambda a: a.update(feature=np.where(a["is_leaf"], 0, 99)),  # a feature the windows do not have
        lambda a: a.update(threshold=np.full_like(a["threshold"], np.nan)),
        lambda a: a.update(tree_nodes=a["tree_nodes"][:-1]),
        lambda a: a.update(format=np.array(99)),
        lambda a: a.pop("value"),
    ],
)
def test_malformed_arrays_are_refused(arrays, damage):
    damaged = {key: value.copy() for key, value in arrays.items()}
    damage(damaged)
    with pytest.raises(CompactScorerError):
        CompactScorer(damaged)


def test_a_file_that_is_not_arrays_is_refused():
    with pytest.raises(CompactScorerError):
        compact_scorer.from_bytes(b"PK\x03\x04 not an npz")
