"""The exemplar gate: the booster's score weighed by likeness to the training windows, then calibrated."""

import numpy as np
import pytest

from core import classifier_store, exemplar_gate
from core.errors import FoleycutError
from core.exemplar_gate import BETA, FLOOR, ExemplarGate, ExemplarGateError, calibrated, fit_calibration
from core.home import DataHome

WIDTH = 32  # context features: 32 of the window, then 32 of its foreground (random directions: nearly orthogonal)


def _windows(rng, centre, count, spread=0.05):
    foreground = centre + spread * rng.standard_normal((count, WIDTH))
    return np.hstack([rng.standard_normal((count, WIDTH)), foreground]).astype(np.float32)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def training(rng):
    """Sound windows around one point, marked negatives around another, automatic ones everywhere."""
    sound, marked = 3.0 * np.eye(WIDTH)[0], 3.0 * np.eye(WIDTH)[1]
    features = np.vstack(
        [_windows(rng, sound, 20), _windows(rng, marked, 10), _windows(rng, np.zeros(WIDTH), 200, spread=1.0)]
    )
    is_sound = np.r_[np.ones(20, bool), np.zeros(210, bool)]
    automatic = np.r_[np.zeros(30, bool), np.ones(200, bool)]
    video = np.r_[np.zeros(30, int), np.arange(200) % 2]  # two training videos
    return features, is_sound, automatic, video, sound, marked


def _fit(training, **overrides):
    features, is_sound, automatic, video, _, _ = training
    return ExemplarGate.fit(features, is_sound, automatic, video, ("a.mp4", "b.mp4"), first_column=WIDTH, **overrides)


def test_windows_like_a_marked_negative_lose_the_boosters_score(rng, training):
    *_, sound, marked = training
    gate = _fit(training)
    like_sound, like_marked = _windows(rng, sound, 5), _windows(rng, marked, 5)
    scores = gate.scores(np.full(10, 0.9), np.vstack([like_sound, like_marked]))
    assert (scores[:5] > 0.85).all()  # sigmoid(BETA x (1 - ~0)) keeps nearly all of 0.9
    assert (scores[5:] < 0.9 / (1 + np.exp(BETA * 0.5))).all()  # nearer a negative than any sound window
    # the window's own half (the first WIDTH features) plays no part
    shuffled = np.vstack([like_sound, like_marked])
    shuffled[:, :WIDTH] = rng.standard_normal((10, WIDTH))
    assert np.array_equal(gate.scores(np.full(10, 0.9), shuffled), scores)


def test_windows_the_booster_rules_out_are_not_compared(rng, training, monkeypatch):
    *_, sound, _ = training
    gate = _fit(training)
    compared = []
    real_unit = exemplar_gate._unit
    monkeypatch.setattr(
        exemplar_gate, "_unit", lambda rows, *args: compared.append(len(rows)) or real_unit(rows, *args)
    )
    balanced = np.array([FLOOR / 2, FLOOR, 0.5, 0.0])
    scores = gate.scores(balanced, _windows(rng, sound, 4))
    assert scores[0] == 0.0 and scores[3] == 0.0 and (scores[1:3] > 0).all()
    assert compared == [2]


def test_windows_whose_probability_cannot_reach_the_floor_are_not_compared(rng, training, monkeypatch):
    *_, sound, marked = training
    gate = _fit(training).with_calibration((2.0, -1.0))
    features = np.vstack([_windows(rng, sound, 100), _windows(rng, marked, 100)])
    balanced = np.linspace(0.0, 1.0, 200)
    exact = calibrated(gate.scores(balanced, features), gate.calibration)
    compared = []
    real_unit = exemplar_gate._unit
    monkeypatch.setattr(
        exemplar_gate, "_unit", lambda rows, *args: compared.append(len(rows)) or real_unit(rows, *args)
    )
    probabilities = gate.probabilities(balanced, features)
    bound = calibrated(balanced, gate.calibration)  # what a window would reach if the gate agreed fully
    assert sum(compared) == (bound >= exemplar_gate.PROBABILITY_FLOOR).sum() < (balanced >= FLOOR).sum()
    reachable = exact >= exemplar_gate.PROBABILITY_FLOOR
    assert reachable.any() and np.allclose(probabilities[reachable], exact[reachable], rtol=0, atol=1e-6)
    assert (probabilities[~reachable] < exemplar_gate.PROBABILITY_FLOOR).all()


def test_marked_negatives_are_kept_before_automatic_ones(training, monkeypatch):
    features = training[0]
    monkeypatch.setattr(exemplar_gate, "MAX_NEGATIVE_EXEMPLARS", 50)
    gate = _fit(training)
    assert gate.positives.shape == (20, WIDTH) and gate.negatives.shape == (50, WIDTH)
    marked = exemplar_gate._unit(features[20:30], WIDTH, gate.mean, gate.scale, gate.basis)
    # the same rows projected in another batch: BLAS may round the last bit differently on another CPU
    assert all(np.isclose(gate.negatives, row, rtol=0, atol=1e-6).all(axis=1).any() for row in marked)
    assert np.allclose(np.linalg.norm(gate.negatives, axis=1), 1.0)
    assert (gate.negative_video[:10] == -1).all() and set(gate.negative_video[10:]) == {0, 1}


def test_a_video_is_not_judged_by_its_own_automatic_negatives(rng, training):
    """An uncut occurrence in a training video was taken as an automatic negative: scanning that video must
    still find it, while the other videos' copy of that window and the marked negatives still count."""
    features, is_sound, automatic, video, sound, _ = training
    uncut = _windows(rng, sound, 3)  # the sound, three times in b.mp4, never cut
    gate = ExemplarGate.fit(
        np.vstack([features, uncut]),
        np.r_[is_sound, False, False, False],
        np.r_[automatic, True, True, True],
        np.r_[video, 1, 1, 1],
        ("a.mp4", "b.mp4"),
        first_column=WIDTH,
    )
    own, other = gate.scores([0.9], uncut[:1], "b.mp4"), gate.scores([0.9], uncut[:1], "a.mp4")
    assert own[0] > 0.8 and other[0] < 0.5 * own[0]
    assert gate.scores([0.9], uncut[:1], "elsewhere.mp4")[0] == other[0]


def test_calibration_turns_scores_into_probabilities_that_rise_with_the_score(rng):
    truth = rng.random(4000) < 0.1
    scores = np.clip(np.where(truth, rng.beta(5, 2, 4000), rng.beta(2, 5, 4000)), 0, 1)
    calibration = fit_calibration(scores, truth)
    probabilities = calibrated(scores, calibration)
    assert calibration[0] > 0 and np.all(np.diff(probabilities[np.argsort(scores)]) >= 0)
    assert probabilities.mean() == pytest.approx(truth.mean(), abs=0.01)  # the training balance is kept
    flat = fit_calibration(rng.random(200), rng.random(200) < 0.5)  # no signal: flat, never reversed
    assert flat[0] >= 1e-3


def test_a_gate_survives_the_round_trip_and_damage_is_refused(training):
    gate = _fit(training).with_calibration((2.0, -1.0))
    again = ExemplarGate.from_bytes(gate.to_bytes())
    assert again.calibration == (2.0, -1.0) and again.first_column == WIDTH and again.videos == ("a.mp4", "b.mp4")
    assert np.array_equal(again.negative_video, gate.negative_video)
    assert np.array_equal(again.negatives, gate.negatives) and np.array_equal(again.positives, gate.positives)
    with pytest.raises(ExemplarGateError):
        ExemplarGate.from_bytes(b"not an array file")
    with pytest.raises(ExemplarGateError, match="sizes"):
        broken = ExemplarGate(
            WIDTH,
            gate.mean,
            gate.scale,
            gate.basis,
            gate.positives[:, :2],
            gate.negatives,
            gate.negative_video,
            gate.videos,
        )
        ExemplarGate.from_bytes(broken.to_bytes())


def test_a_version_keeps_its_gate_and_a_damaged_one_asks_for_retraining(training, tmp_path):
    from core.training import fit_balanced

    features, is_sound = training[:2]
    home = DataHome.resolve(tmp_path / "home")
    gate = _fit(training)
    saved = classifier_store.save_version(
        home,
        "drops",
        fit_balanced(features, is_sound.astype(int)),
        embedding_model="MEL",
        window=0.5,
        hop=0.25,
        folders={},
        counts={},
        metrics={},
        gate=gate,
    )
    loaded = classifier_store.load_classifier(home, "drops")
    assert saved.gate_sha256 and np.array_equal(loaded.gate.negatives, gate.negatives)
    gate_file = home.models_dir / "drops" / f"{saved.version}.gate.npz"
    gate_file.write_bytes(gate_file.read_bytes()[:-10])
    with pytest.raises(FoleycutError, match="damaged.*train it again"):
        classifier_store.load_classifier(home, "drops")


def test_wide_windows_are_compared_along_their_main_directions(rng):
    """MEL's 192-number foreground is compared in DIMENSIONS principal directions of the training windows."""
    wide = 2 * exemplar_gate.DIMENSIONS
    sound = np.zeros(wide)
    sound[:4] = 3.0
    features = np.hstack([np.zeros((300, wide)), rng.standard_normal((300, wide))]).astype(np.float32)
    features[:30, wide:] += sound
    is_sound, automatic = np.arange(300) < 30, np.arange(300) >= 30
    gate = ExemplarGate.fit(features, is_sound, automatic, np.zeros(300, int), ("a.mp4",), first_column=wide)
    assert gate.basis.shape == (wide, exemplar_gate.DIMENSIONS) and gate.negatives.shape[1] == exemplar_gate.DIMENSIONS
    probe = np.hstack([np.zeros((2, wide)), np.vstack([sound, np.zeros(wide)]) + 0.1 * rng.standard_normal((2, wide))])
    scores = gate.scores([0.9, 0.9], probe.astype(np.float32))
    assert scores[0] > 0.8 > scores[1]
