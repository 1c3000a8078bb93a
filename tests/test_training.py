import threading

import numpy as np
import pytest

from core import classifier_store
from core.db import ProcessedDB
from core.errors import Cancelled, FoleycutError
from core.home import DataHome
from core.training import (
    CANDIDATE,
    DEFAULT_HOP,
    DEFAULT_WINDOW,
    NEGATIVE,
    POSITIVE,
    UNUSED,
    LabelledWindows,
    TrainingOptions,
    choose_threshold,
    clip_windows,
    cross_validated_metrics,
    event_precision_recall,
    fit_balanced,
    label_windows,
    marked_windows,
    merged_clips,
    options_of,
    pick_sound_windows,
    preview_training,
    prior_shift,
    real_probabilities,
    sound_candidates,
    train_classifier,
)
from tests.scan_scenario import add_positive_clips, add_training_clips, scene_videos

WINDOW = 8.0
STARTS = np.arange(0, 93, 1.0)  # a 100 s video, hop 1 s


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    return scene_videos(tmp_path_factory)


@pytest.fixture
def home(tmp_path):
    return DataHome.resolve(tmp_path / "home")


@pytest.fixture
def db(home):
    return ProcessedDB(home.db_path)


def _labels_at(labels, value):
    return STARTS[labels == value].tolist()


# --------------------------------------------------------------------------- labelling rules


def test_candidate_windows_lie_inside_a_positive_clip():
    labels = label_windows(STARTS, 2.0, positives=[(40.0, 8.0)], ambiguous=[], negatives=[], margin=10)
    assert _labels_at(labels, CANDIDATE) == list(range(40, 47))  # [t, t + 2] inside [40, 48]


def test_a_clip_shorter_than_a_window_takes_the_windows_containing_it():
    starts = np.arange(0, 20, 0.5)
    assert starts[clip_windows(starts, 2.0, [(5.2, 0.5)])[0]].tolist() == [4.0, 4.5, 5.0]
    near_the_end = np.arange(0, 18, 0.5)  # the last window ends at 19.5 s
    assert clip_windows(near_the_end, 2.0, [(19.0, 0.8)])[0].tolist() == [35]  # the one covering most


def test_overlapping_clips_of_one_marker_are_one_bag():
    assert merged_clips([(12.0, 8.0), (10.0, 8.0), (11.0, 8.0), (40.0, 8.0)]) == [(10.0, 10.0), (40.0, 8.0)]


def test_a_heard_span_narrows_its_clip_to_the_windows_around_it():
    starts = np.arange(0, 60, 0.25)
    heard, cut_by_hand, merged = sound_candidates(
        starts, 0.5, [(10.0, 8.0), (30.0, 8.0), (40.0, 8.0), (44.0, 8.0)], [(13.5, 14.0), (41.0, 41.5)]
    )
    assert starts[heard].tolist() == [13.25, 13.5, 13.75]  # overlapping the span by half a window or more
    assert starts[cut_by_hand].tolist() == np.arange(30.0, 37.51, 0.25).tolist()  # no span: the whole clip
    assert len(merged) == 47  # one of its clips holds no span: the sound may lie anywhere in the bag


def _bag(rng, sound_at, length=7, dim=8):
    bag = rng.normal(size=(length, dim))
    bag[sound_at, :3] += 6.0  # the same sound, somewhere in each clip
    return bag


def test_the_windows_holding_the_sound_are_the_ones_all_clips_share():
    rng = np.random.default_rng(0)
    where = [1, 5, 3, 0, 6]
    bags = [_bag(rng, at) for at in where]
    reference = rng.normal(size=(500, 8))
    masks = pick_sound_windows(bags, reference.mean(axis=0), reference.std(axis=0))
    assert [np.flatnonzero(mask).tolist() for mask in masks] == [[at] for at in where]


def test_a_lone_clip_keeps_the_window_that_stands_out():
    rng = np.random.default_rng(1)
    (mask,) = pick_sound_windows([_bag(rng, 4)], np.zeros(8), np.ones(8))
    assert np.flatnonzero(mask).tolist() == [4]


def test_automatic_negatives_keep_the_margin_from_every_clip_of_any_folder():
    labels = label_windows(STARTS, WINDOW, positives=[(40.0, 8.0)], ambiguous=[(80.0, 8.0)], negatives=[], margin=10)
    negatives = _labels_at(labels, NEGATIVE)
    assert negatives == list(range(23)) + list(range(58, 63))  # gap >= 10 s to [40, 48] and [80, 88]
    assert labels[(STARTS > 22) & (STARTS < 36)].tolist() == [UNUSED] * 13  # near a marker: label unknown


def test_marked_negatives_count_even_near_markers_but_never_override_positives():
    labels = label_windows(STARTS, WINDOW, positives=[(40.0, 8.0)], ambiguous=[], negatives=[30.2, 40.0], margin=10)
    assert labels[30] == NEGATIVE
    assert labels[40] == CANDIDATE


def test_videos_without_positives_only_give_their_marked_negatives():
    labels = label_windows(STARTS, WINDOW, positives=[], ambiguous=[(10.0, 8.0)], negatives=[50.0], margin=10)
    assert _labels_at(labels, NEGATIVE) == [50.0]
    assert (labels != NEGATIVE).sum() == len(STARTS) - 1


def test_marked_negatives_outside_the_audio_are_ignored():
    assert marked_windows(STARTS, WINDOW, [500.0]).sum() == 0
    assert marked_windows(STARTS, WINDOW, [92.4]).tolist()[-1]


# --------------------------------------------------------------------------- the model on arrays


def _blobs(videos=3, per_video=60, positives_per_video=8, seed=0):
    rng = np.random.default_rng(seed)
    features, labels, groups, times = [], [], [], []
    for video in range(videos):
        label = np.r_[np.ones(positives_per_video), np.zeros(per_video - positives_per_video)].astype(np.int8)
        x = rng.normal(size=(per_video, 6))  # as context features: 3 of the window, 3 of its foreground
        x[label == 1, :2] += 3.0
        x[label == 1, 3:5] += 3.0
        features.append(x)
        labels.append(label)
        groups.append(np.full(per_video, video))
        times.append(rng.permutation(per_video).astype(float))  # positives spread over the video
    labels = np.concatenate(labels)
    events = np.where(labels == POSITIVE, np.arange(len(labels)), -1)  # each positive window its own event
    return LabelledWindows(
        np.vstack(features), labels, np.concatenate(groups), labels == NEGATIVE, np.concatenate(times), events
    )


@pytest.mark.slow
def test_cross_validation_is_grouped_by_video_and_reports_precision_recall_ap():
    metrics = cross_validated_metrics(_blobs(), WINDOW)
    assert metrics["grouped_by"] == "video" and metrics["folds"] == 3
    assert metrics["precision"] > 0.8 and metrics["recall"] > 0.8 and metrics["average_precision"] > 0.9


@pytest.mark.slow
def test_one_video_falls_back_to_folds_over_time_blocks():
    metrics = cross_validated_metrics(_blobs(videos=1, per_video=200, positives_per_video=20), WINDOW)
    assert metrics["grouped_by"] == "time block" and metrics["folds"] == 5  # 200 s in blocks of 32 s
    assert metrics["average_precision"] > 0.9


def test_threshold_is_the_best_f05_or_the_highest_keeping_the_recall_at_the_target_precision():
    thresholds = np.array([0.2, 0.4, 0.6, 0.8])
    precision = np.array([0.5, 0.7, 0.9, 1.0])
    recall = np.array([1.0, 1.0, 0.9, 0.5])
    # F0.5: 0.56, 0.74, 0.90, 0.83
    assert choose_threshold(precision, recall, thresholds) == 0.6
    assert choose_threshold(precision, recall, thresholds, target_precision=0.95) == 0.8
    assert choose_threshold(precision, recall, thresholds, target_precision=0.6) == 0.4  # 0.6 loses recall
    # where recall holds above the lowest threshold reaching the target, the highest such threshold
    assert choose_threshold(np.array([0.5, 0.95, 1.0, 1.0]), np.array([1.0, 1.0, 1.0, 0.5]), thresholds, 0.9) == 0.6
    # a target no threshold reaches: the best F0.5 (F0.5 0.56, 0.74, 0.82, 0.75)
    assert choose_threshold(np.array([0.5, 0.7, 0.8, 0.85]), recall, thresholds, target_precision=0.9) == 0.6
    # averaged with a neighbour each side, the broad stretch 0.6-0.8 beats the lone peak at 0.6
    assert choose_threshold(precision, recall, thresholds, smoothing=1) == 0.8
    # perfectly separated classes tie everywhere: the middle of the tie, not the lowest threshold
    assert choose_threshold(np.ones(5), np.ones(5), np.array([0.1, 0.3, 0.5, 0.7, 0.9])) == 0.5


def test_scan_like_precision_counts_events_found_and_false_regions():
    # two events (clips) of two sound windows each; negatives: a run of three windows, and a lone one
    labels = np.array([POSITIVE] * 4 + [NEGATIVE] * 4)
    data = LabelledWindows(
        np.zeros((8, 1)),
        labels,
        np.zeros(8, int),
        labels == NEGATIVE,
        np.array([10, 10.25, 50, 50.25, 80, 80.25, 80.5, 95]),
        np.array([0, 0, 1, 1, -1, -1, -1, -1]),
    )
    scores = np.array([0.9, 0.3, 0.2, 0.6, 0.7, 0.75, 0.65, 0.4])
    precision, recall = event_precision_recall(scores, data, 1.0, np.array([0.35, 0.62, 0.8]))
    assert recall.tolist() == [1.0, 0.5, 0.5]  # the second event's best window scores 0.6
    assert precision.tolist() == [2 / 4, 1 / 2, 1.0]  # the run is one false region, the lone window another


@pytest.mark.slow
def test_probabilities_hold_for_the_real_class_balance():
    data = _blobs(videos=1, per_video=2000, positives_per_video=40, seed=3)
    signal = [0, 1, 3, 4]
    data.features[:, signal] = np.random.default_rng(4).normal(size=(2000, 4))  # classes now overlap: p < 1
    data.features[np.ix_(data.labels == POSITIVE, signal)] += 1.0
    balanced = fit_balanced(data.features, data.labels).predict_proba(data.features)[:, 1]
    real = real_probabilities(balanced, prior_shift(data.labels))
    base_rate = (data.labels == POSITIVE).mean()
    assert balanced.mean() > 5 * base_rate  # balancing inflates the positives' prior ...
    assert real.mean() == pytest.approx(base_rate, rel=0.5)  # ... and the shift takes it back off


def test_balanced_fit_scores_rare_positives_high_and_is_calibrated_to_probabilities():
    data = _blobs(videos=1, per_video=300, positives_per_video=10)
    probabilities = fit_balanced(data.features, data.labels).predict_proba(data.features)[:, 1]
    assert probabilities[data.labels == POSITIVE].mean() > 0.7
    assert probabilities[data.labels == NEGATIVE].mean() < 0.2
    assert ((0 <= probabilities) & (probabilities <= 1)).all()


# --------------------------------------------------------------------------- with the database


def _options(**overrides):
    return TrainingOptions(**{"profile": "default", "positive_folder": "mp4_Tone", "margin": 10.0, **overrides})


def _add_training_clips(db, tmp_path, videos):
    add_training_clips(db, tmp_path, videos)


def test_preview_counts_videos_clips_and_switchable_hard_negatives(db, tmp_path, videos):
    _add_training_clips(db, tmp_path, videos)
    add_positive_clips(db, tmp_path, "mp4_Other", videos["train_a"], [50])
    db.add_hard_negatives("chords.mp4", "default", [40.0, 41.0], source_path=str(videos["chords"]))

    preview = preview_training(db, _options())
    assert (
        preview.videos,
        preview.positive_clips,
        preview.negative_clips,
        preview.hard_negatives,
        preview.ambiguous_clips,
    ) == (4, 6, 0, 2, 1)
    without = preview_training(db, _options(use_hard_negatives=False))
    assert (without.videos, without.hard_negatives) == (3, 0)
    assert len(db.get_hard_negatives("default")) == 2  # switching off deletes nothing

    with_negative_folder = preview_training(db, _options(negative_folder="mp4_Other"))
    assert (with_negative_folder.negative_clips, with_negative_folder.ambiguous_clips) == (1, 0)


def test_unknown_or_empty_positive_folder_is_a_clear_error(db, tmp_path, videos):
    with pytest.raises(FoleycutError, match="'mp4_Tone' has no clips .* \\(none yet\\)"):
        preview_training(db, _options())
    add_positive_clips(db, tmp_path, "mp4_Other", videos["train_a"], [50])
    with pytest.raises(FoleycutError, match="pick one of: mp4_Other"):
        train_classifier(db, DataHome.resolve(tmp_path / "h"), _options())


def test_source_videos_missing_from_disk_is_a_clear_error(db, tmp_path):
    db.add(
        "gone.mp4",
        10.0,
        tmp_path / "mp4_Tone" / "vid_001" / "gone_001_1.mp4",
        source_path=str(tmp_path / "gone.mp4"),
        length=8.0,
    )
    with pytest.raises(FoleycutError, match="None of the source videos of 'mp4_Tone' is on disk"):
        preview_training(db, _options())


@pytest.mark.slow
def test_too_few_examples_is_a_clear_error_and_saves_nothing(db, home, tmp_path, videos):
    _add_training_clips(db, tmp_path, videos)
    with pytest.raises(FoleycutError, match=r"Too few examples to train: \d+ positive and 0 negative"):
        train_classifier(db, home, _options(margin=500.0))
    assert classifier_store.list_classifiers(home) == []


@pytest.mark.slow
def test_training_saves_a_version_and_skips_unreadable_videos(db, home, tmp_path, videos):
    _add_training_clips(db, tmp_path, videos)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    db.add(
        "broken.mp4", 10.0, tmp_path / "mp4_Tone" / "vid_009" / "broken_001_1.mp4", source_path=str(broken), length=8.0
    )
    updates = []
    result = train_classifier(db, home, _options(name="tone"), progress=lambda f, m: updates.append(f))

    assert [video.source_path for video in result.skipped] == [str(broken)]
    assert result.counts["videos"] == 3 and result.counts["positive_clips"] == 6
    # per clip, the one to three half-second windows its 0.6 s burst fills, not the other 8 s of the clip
    assert 6 <= result.counts["positive_windows"] <= 18
    assert result.counts["automatic_negative_windows"] > 100
    assert result.metrics["grouped_by"] == "video" and result.metrics["average_precision"] > 0.9
    meta = classifier_store.load_classifier(home, "tone").meta
    assert (meta.version, meta.embedding_model, meta.window, meta.hop) == (
        result.version,
        "MEL",
        DEFAULT_WINDOW,
        DEFAULT_HOP,
    )
    assert meta.threshold == result.metrics["threshold"] and 0 < meta.threshold < 1
    assert meta.feature_set == "context" and meta.prior_shift > 0
    # tones separate cleanly: the default target precision is reached, and its point is chosen
    assert result.metrics["curve"] and result.metrics["threshold_rule"] == "precision 0.9 reached"
    reaching = [r for t, p, r in result.metrics["curve"] if p >= 0.9 and r > 0]
    assert result.metrics["precision"] >= 0.9 and result.metrics["recall"] >= max(reaching)
    # scored through its exemplar gate, whose calibration is the one cross-validation fitted
    gate = classifier_store.load_classifier(home, "tone").gate
    assert meta.gate_sha256 and list(gate.calibration) == result.metrics["calibration"]
    assert meta.folders["positive"] == "mp4_Tone" and meta.counts == result.counts
    assert options_of(meta) == _options(name="tone")  # what the review queue relabels with
    assert updates == sorted(updates) and updates[-1] == 1.0


def test_cancelled_training_saves_nothing(db, home, tmp_path, videos):
    _add_training_clips(db, tmp_path, videos)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        train_classifier(db, home, _options(), cancel=cancel)
    assert classifier_store.list_classifiers(home) == []
