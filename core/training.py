"""Training a classifier on window embeddings of the clips already exported.

Labels per window (window = the positive clips' length unless given, one every hop seconds):
- positive: it overlaps a clip of the positive folder by at least half its length;
- explicit negative: the window nearest to a negative-folder clip or a hard negative (never a positive);
- automatic negative: it lies at least `margin` seconds from every clip of that video, whatever its folder,
  in a video holding positives (a video seen only through its negatives was never searched for the sound);
- anything else (near a marker without being a positive) is left out: its label is unknown.

The model is a HistGradientBoostingClassifier wrapped in a sigmoid-calibrated CalibratedClassifierCV.
Classes are balanced by repeating each positive window (the weighted binning HistGradientBoosting does
with sample weights costs ~20x the whole fit here); the copies of one window share a cross-validation
group so calibration never scores a window the booster trained on. Precision, recall and average
precision come from an outer cross-validation, grouped by video when two or more videos hold positives,
else by blocks of a few windows' length (overlapping neighbours must not land on both sides of a split).
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field, fields
from typing import Any, Callable

import numpy as np

from core import classifier_store
from core.embedding_models import DEFAULT_MODEL, get_spec
from core.errors import Cancelled, FoleycutError
from core.home import DataHome

Progress = Callable[[float, str], None]

POSITIVE = 1
NEGATIVE = 0
UNUSED = -1
POSITIVE_OVERLAP = 0.5  # share of a window a positive clip must cover
MIN_WINDOWS_PER_CLASS = 5
MAX_AUTOMATIC_NEGATIVES = 20_000  # a random sample beyond this: neighbouring windows repeat each other
MAX_CV_FOLDS = 5
CV_BLOCK_WINDOWS = 4  # one-video cross-validation groups windows into blocks this many windows long
EMBEDDING_SHARE = 0.8  # of the progress bar: embedding dominates, fitting is the rest
SEED = 0


@dataclass(frozen=True)
class TrainingOptions:
    profile: str
    positive_folder: str
    negative_folder: str | None = None
    model_name: str = DEFAULT_MODEL
    name: str = ""  # classifier name; empty: the positive folder's name
    margin: float = 30.0
    use_hard_negatives: bool = True
    include_scan_exports: bool = False
    window: float | None = None  # seconds; None: the positive clips' (most common) length
    hop: float = 1.0

    @property
    def classifier_name(self) -> str:
        return self.name or self.positive_folder


@dataclass(frozen=True)
class TrainingPreview:
    """What the options would train on, from the database alone (no decoding)."""
    videos: int
    positive_clips: int
    negative_clips: int  # clips of the negative folder
    hard_negatives: int  # 0 when hard negatives are switched off
    ambiguous_clips: int  # clips near which no automatic negative is drawn
    positive_videos: int = 0  # of `videos`, those holding positive clips (the others give negatives only)


@dataclass(frozen=True)
class TrainResult:
    name: str
    version: str
    metrics: dict[str, Any]
    counts: dict[str, int]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (video, why) not used for training


@dataclass
class LabelledWindows:
    features: np.ndarray  # (n, dim)
    labels: np.ndarray  # (n,) POSITIVE / NEGATIVE
    groups: np.ndarray  # (n,) video index
    automatic: np.ndarray  # (n,) bool: negative drawn automatically
    times: np.ndarray  # (n,) window start, seconds


# ------------------------------------------------------------------------------------ training data


def preview_training(db, options: TrainingOptions) -> TrainingPreview:
    records = _training_records(db, options)
    hard = 0
    if options.use_hard_negatives:
        without_hard = _training_records(db, options, use_hard_negatives=False, require_videos=False)
        hard = _count_negatives(records) - _count_negatives(without_hard)
    return TrainingPreview(
        videos=len(records),
        positive_clips=sum(len(positives) for _, positives, _, _ in records),
        negative_clips=_count_negatives(records) - hard,
        hard_negatives=hard,
        ambiguous_clips=sum(len(ambiguous) for _, _, ambiguous, _ in records),
        positive_videos=sum(1 for _, positives, _, _ in records if positives),
    )


def _count_negatives(records) -> int:
    return sum(len(negatives) for *_, negatives in records)


def _training_records(db, options: TrainingOptions, use_hard_negatives: bool | None = None,
                      require_videos: bool = True) -> list:
    folders = db.get_export_folders(options.profile, include_scan_exports=options.include_scan_exports)
    for folder in filter(None, (options.positive_folder, options.negative_folder)):
        if folder not in folders:
            raise FoleycutError(f"Export folder '{folder}' has no clips in profile '{options.profile}': "
                                f"export some first or pick one of: {', '.join(folders) or '(none yet)'}.")
    if options.negative_folder == options.positive_folder:
        raise FoleycutError("The negative folder is the positive folder: pick another one or none.")
    records = db.get_training_data(
        options.profile, options.positive_folder, options.negative_folder,
        include_scan_exports=options.include_scan_exports,
        use_hard_negatives=options.use_hard_negatives if use_hard_negatives is None else use_hard_negatives)
    if require_videos and not any(positives for _, positives, _, _ in records):
        raise FoleycutError(f"None of the source videos of '{options.positive_folder}' is on disk: "
                            "reconnect the drive holding them or re-add them.")
    return records


def clip_length(records) -> float:
    """The most common length of the positive clips (to 0.1 s): the window the classifier sees."""
    lengths, counts = np.unique([round(length, 1) for _, positives, _, _ in records for _, length in positives],
                                return_counts=True)
    return float(lengths[counts.argmax()])


def label_windows(starts: np.ndarray, window: float, positives: list[tuple[float, float]],
                  ambiguous: list[tuple[float, float]], negatives: list[float], margin: float) -> np.ndarray:
    """POSITIVE, NEGATIVE or UNUSED for each window start (rules in the module docstring)."""
    starts = np.asarray(starts, dtype=float)
    labels = np.full(len(starts), UNUSED, dtype=np.int8)
    if len(starts) == 0:
        return labels
    ends = starts + window

    if positives:
        markers = np.array(list(positives) + list(ambiguous), dtype=float).reshape(-1, 2)
        marker_starts, marker_ends = markers[:, 0], markers[:, 0] + markers[:, 1]
        gaps = np.maximum(marker_starts[None, :] - ends[:, None], starts[:, None] - marker_ends[None, :])
        labels[gaps.min(axis=1) >= margin] = NEGATIVE

    labels[marked_windows(starts, window, negatives)] = NEGATIVE

    clips = np.array(positives, dtype=float).reshape(-1, 2)
    if len(clips):
        overlap = (np.minimum(ends[:, None], (clips[:, 0] + clips[:, 1])[None, :])
                   - np.maximum(starts[:, None], clips[:, 0][None, :]))
        labels[overlap.max(axis=1) >= POSITIVE_OVERLAP * window - 1e-9] = POSITIVE
    return labels


def marked_windows(starts: np.ndarray, window: float, negatives: list[float]) -> np.ndarray:
    """Boolean mask of the windows nearest to the marked negative times (within half a window)."""
    starts = np.asarray(starts, dtype=float)
    marked = np.zeros(len(starts), dtype=bool)
    if len(starts) and len(negatives):
        distance = np.abs(starts[:, None] - np.asarray(negatives, dtype=float)[None, :])
        nearest = distance.argmin(axis=0)
        marked[nearest[distance[nearest, np.arange(len(negatives))] <= window / 2]] = True
    return marked


# ------------------------------------------------------------------------------------ the model


def _make_estimator(calibration_folds: int):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedGroupKFold

    # Small leaves let a handful of hard negatives form their own leaf (the default 20 swallowed them);
    # 63 bins halve the fit time and lose nothing measurable on pooled embedding statistics. No early
    # stopping: its random validation split would hold copies of training positives.
    booster = HistGradientBoostingClassifier(max_bins=63, min_samples_leaf=5, l2_regularization=1.0,
                                             early_stopping=False, random_state=SEED)
    return CalibratedClassifierCV(booster, method="sigmoid",
                                  cv=StratifiedGroupKFold(calibration_folds, shuffle=True, random_state=SEED))


def fit_balanced(features: np.ndarray, labels: np.ndarray):
    """A calibrated classifier fitted with each positive repeated up to the number of negatives."""
    import sklearn

    positives = np.flatnonzero(labels == POSITIVE)
    repeats = max(1, round((len(labels) - len(positives)) / max(1, len(positives))))
    rows = np.concatenate([np.arange(len(labels)), np.repeat(positives, repeats - 1)])
    estimator = _make_estimator(min(3, len(positives)))
    with sklearn.config_context(enable_metadata_routing=True), boosting_threads():
        estimator.fit(features[rows], labels[rows], groups=rows)
    return estimator


def boosting_threads():
    """Context limiting OpenMP to half the cores: on a busy machine its spinning threads slowed boosting
    (fit and predict) four- to tenfold in our measurements, and the UI and decoder need the rest."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(max(1, (os.cpu_count() or 2) // 2))


def cross_validated_metrics(data: LabelledWindows, window: float, threshold: float = 0.5,
                            cancel: threading.Event | None = None,
                            progress: Progress | None = None) -> dict[str, Any]:
    """Out-of-fold precision, recall (at `threshold`) and average precision."""
    from sklearn.metrics import average_precision_score, precision_score, recall_score
    from sklearn.model_selection import StratifiedGroupKFold

    labels = data.labels
    by_video = len(np.unique(data.groups[labels == POSITIVE])) >= 2
    if by_video:
        groups = data.groups
    else:
        blocks = np.floor(data.times / (CV_BLOCK_WINDOWS * window)).astype(np.int64)
        groups = np.unique(np.c_[data.groups, blocks], axis=0, return_inverse=True)[1].ravel()
    folds = min(MAX_CV_FOLDS, len(np.unique(groups[labels == POSITIVE])))
    splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=SEED)

    scores = np.full(len(labels), np.nan)
    for fold, (train, test) in enumerate(splitter.split(data.features, labels, groups)):
        _check_cancel(cancel)
        if progress is not None:
            progress(fold / folds, f"Cross-validating ({fold + 1}/{folds})")
        if np.bincount(labels[train], minlength=2).min() < 2:
            continue  # a fold the booster cannot learn from; its windows stay unscored
        scores[test] = fit_balanced(data.features[train], labels[train]).predict_proba(data.features[test])[:, 1]
    scored = ~np.isnan(scores)
    predicted = scores[scored] >= threshold
    truth = labels[scored] == POSITIVE
    return {
        "precision": float(precision_score(truth, predicted, zero_division=0.0)),
        "recall": float(recall_score(truth, predicted, zero_division=0.0)),
        "average_precision": float(average_precision_score(truth, scores[scored])) if truth.any() else 0.0,
        "folds": folds,
        "grouped_by": "video" if by_video else "time block",
        "threshold": threshold,
    }


# ------------------------------------------------------------------------------------ end to end


def train_classifier(db, home: DataHome, options: TrainingOptions, progress: Progress | None = None,
                     cancel: threading.Event | None = None) -> TrainResult:
    """Embed every training video (cache first), label its windows, fit, cross-validate, save a version."""
    from core.window_embeddings import embed_file

    name = classifier_store.validate_name(options.classifier_name)
    get_spec(options.model_name)
    records = _training_records(db, options)
    window = options.window or clip_length(records)
    report = progress or (lambda fraction, message: None)

    parts: list[LabelledWindows] = []
    skipped: list[tuple[str, str]] = []
    for index, (source, positives, ambiguous, negatives) in enumerate(records):
        _check_cancel(cancel)
        share = EMBEDDING_SHARE / len(records)
        label = f"Embedding {index + 1}/{len(records)}"
        try:
            embeddings = embed_file(source, options.model_name, home, window, options.hop,
                                    progress=lambda f, _m: report(share * (index + f), label), cancel=cancel)
        except Cancelled:
            raise
        except FoleycutError as exc:
            skipped.append((source, str(exc)))
            continue
        labels = label_windows(embeddings.times, window, positives, ambiguous, negatives, options.margin)
        used = labels != UNUSED
        automatic = (labels == NEGATIVE) & ~marked_windows(embeddings.times, window, negatives)
        parts.append(LabelledWindows(embeddings.vectors[used], labels[used], np.full(used.sum(), index),
                                     automatic[used], embeddings.times[used]))
    data = _thin_automatic_negatives(_concatenate(parts, get_spec(options.model_name).dim))
    skipped_sources = {source for source, _ in skipped}
    counts = _counts(data, [record for record in records if record[0] not in skipped_sources])
    _check_enough(counts, skipped)

    final_fit_from = EMBEDDING_SHARE + (1 - EMBEDDING_SHARE) * 0.8  # the final fit costs about one fold
    report(EMBEDDING_SHARE, "Cross-validating")
    metrics = cross_validated_metrics(
        data, window, cancel=cancel,
        progress=lambda f, message: report(EMBEDDING_SHARE + (final_fit_from - EMBEDDING_SHARE) * f, message))
    _check_cancel(cancel)
    report(final_fit_from, "Fitting the final classifier")
    estimator = fit_balanced(data.features, data.labels)
    saved = classifier_store.save_version(
        home, name, estimator, embedding_model=options.model_name, window=window, hop=options.hop,
        folders={"positive": options.positive_folder, "negative": options.negative_folder,
                 "profile": options.profile, "margin": options.margin,
                 "use_hard_negatives": options.use_hard_negatives,
                 "include_scan_exports": options.include_scan_exports},
        counts=counts, metrics=metrics)
    report(1.0, "Done")
    return TrainResult(name, saved.version, metrics, counts, skipped)


def _concatenate(parts: list[LabelledWindows], dim: int) -> LabelledWindows:
    if not parts:
        return LabelledWindows(np.zeros((0, dim), np.float32), np.zeros(0, np.int8), np.zeros(0, int),
                               np.zeros(0, bool), np.zeros(0))
    return LabelledWindows(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(LabelledWindows)))


def _thin_automatic_negatives(data: LabelledWindows) -> LabelledWindows:
    automatic = np.flatnonzero(data.automatic)
    if len(automatic) <= MAX_AUTOMATIC_NEGATIVES:
        return data
    dropped = np.random.default_rng(SEED).choice(automatic, len(automatic) - MAX_AUTOMATIC_NEGATIVES,
                                                 replace=False)
    keep = np.ones(len(data.labels), dtype=bool)
    keep[dropped] = False
    return LabelledWindows(*(getattr(data, f.name)[keep] for f in fields(LabelledWindows)))


def _counts(data: LabelledWindows, used_records) -> dict[str, int]:
    negative = data.labels == NEGATIVE
    return {
        "videos": len(used_records),
        "positive_clips": sum(len(positives) for _, positives, _, _ in used_records),
        "positive_windows": int((data.labels == POSITIVE).sum()),
        "negative_windows": int(negative.sum()),
        "marked_negative_windows": int((negative & ~data.automatic).sum()),
        "automatic_negative_windows": int(data.automatic.sum()),
    }


def _check_enough(counts: dict[str, int], skipped: list[tuple[str, str]]) -> None:
    if counts["videos"] == 0 and skipped:
        raise FoleycutError(f"No training video could be read ({skipped[0][1]}).")
    positives, negatives = counts["positive_windows"], counts["negative_windows"]
    if min(positives, negatives) < MIN_WINDOWS_PER_CLASS:
        raise FoleycutError(
            f"Too few examples to train: {positives} positive and {negatives} negative windows "
            f"(at least {MIN_WINDOWS_PER_CLASS} of each needed); export more clips, add a negative folder, "
            "or lower the margin.")


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()
