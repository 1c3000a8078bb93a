"""Training a classifier on window embeddings of the clips already exported.

The classifier hears short windows (`DEFAULT_WINDOW`, one every `DEFAULT_HOP` seconds), not whole clips:
an 8 s clip holds a 1 s door knock and 7 s of film, and a window of clip length describes mostly the film.
Each window is described by its own statistics beside what it adds to the surrounding 20 s
(core.window_context), so a sound is recognised by itself rather than by the scenes it was cut from.

Labels per window:
- sound (positive): a clip is a bag that holds the sound somewhere. Every window lying inside a positive
  clip is a candidate; in each clip the candidates most like the other clips' candidates are kept (mean,
  over the other clips, of the best cosine similarity of standardised features), within
  `AGREEMENT_SLACK` of that clip's best. A lone clip keeps its windows that stand out most from the
  video's windows. The rest of the clip is left out: it may or may not hold the sound. A clip the review
  queue's accept exported offers only the windows around the span the user heard the sound in
  (`sound_candidates`): on the real-sound benchmark's `class` scenario, with the same 41 answers, all 35
  picked windows then lay on a sound, against 34 of 46 picked anywhere in the 8 s clips.
- explicit negative: the window nearest to a negative-folder clip or a hard negative (never a candidate);
- automatic negative: it lies at least `margin` seconds from every clip of that video, whatever its folder,
  in a video holding positives (a video seen only through its negatives was never searched for the sound);
- anything else (near a marker without being a candidate) is left out: its label is unknown.
Measured on real recordings (bench/detection_bench.py), windows overlapping a clip by half (the old rule)
labelled mostly film as sound: a third of every held-out video was flagged.

The model is a HistGradientBoostingClassifier wrapped in a sigmoid-calibrated CalibratedClassifierCV.
Classes are balanced by repeating each positive window (the weighted binning HistGradientBoosting does
with sample weights costs ~20x the whole fit here); the copies of one window share a cross-validation
group so calibration never scores a window the booster trained on. Its balanced probability is weighed
by the exemplar gate (core.exemplar_gate: is the window more like a training sound than like the nearest
negatives?), and a sigmoid fitted on the out-of-fold gate scores at the training windows' real class
balance turns the result into a probability. (Versions saved before the gate divide the booster's odds
by the number of repeats instead: `prior_shift` = log r.)

Metrics come from an outer cross-validation, grouped by video when two or more videos hold positives,
else by blocks of a few windows' length. Its out-of-fold probabilities also choose the operating point
stored with the classifier, counted as a scan is judged (event_precision_recall: a clip's sound found or
not, false regions rather than false windows): from the lowest threshold whose precision reaches the
target (`DEFAULT_TARGET_PRECISION`, 0.9: nine regions in ten hold the sound, so listening to every region
pays) up to the highest that still finds as many events, the highest; where no threshold reaches the
target, the one with the best F0.5 (precision weighs double: every false region costs the user a listen,
a missed event is found by the next round). The highest of that stretch, because the final fit sees a
third more examples than each fold, so its sounds score higher than the folds' did, while sounds no fold
met (a voice line, a click) are what a margin guards against: on the real-sound benchmark the lowest
threshold of the stretch let three such regions through on `distinct`, the highest none.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from core import classifier_store
from core.defaults import DEFAULT_HOP, DEFAULT_MARGIN, DEFAULT_TARGET_PRECISION, DEFAULT_THRESHOLD, DEFAULT_WINDOW
from core.embedding_models import DEFAULT_MODEL, get_spec
from core.errors import Cancelled, FoleycutError
from core.exemplar_gate import ExemplarGate, calibrated, fit_calibration
from core.home import DataHome
from core.progress import Progress, check_cancel
from core.store.training_data import TrainingVideo
from core.window_context import CONTEXT, CONTEXT_PER_VIDEO, window_features

POSITIVE = 1
NEGATIVE = 0
UNUSED = -1
CANDIDATE = 2  # inside a positive clip: may hold the sound (see pick_sound_windows)
AGREEMENT_SLACK = 0.05
MAX_BAGS_COMPARED = 64  # other clips a candidate is compared with (a fixed sample beyond)
PRECISION_WEIGHT = 0.5  # the beta of the F-score that picks the threshold when no target is reached
CURVE_POINTS = 40  # precision/recall points kept for the Train dialog's plot
THRESHOLD_SMOOTHING = 5  # grid steps either side averaged before the best F0.5 is picked
MIN_SOUND_WINDOWS = 2  # a clip may give one: two clips are enough to start from
MIN_NEGATIVE_WINDOWS = 5
MAX_AUTOMATIC_NEGATIVES = 20_000  # a random sample beyond this: neighbouring windows repeat each other
MAX_CV_FOLDS = 5
CV_BLOCK_WINDOWS = 4  # one-video cross-validation groups windows into blocks this many windows long
EMBEDDING_SHARE = 0.8  # of the progress bar: embedding dominates, fitting is the rest
SEED = 0


@dataclass(frozen=True)
class TrainingOptions:
    profile: str
    positive_folder: str | tuple[str, ...]  # one export folder or several, trained as one class
    negative_folder: str | None = None
    model_name: str = DEFAULT_MODEL
    name: str = ""  # classifier name; empty: the positive folder's name
    margin: float = DEFAULT_MARGIN
    use_hard_negatives: bool = True
    include_scan_exports: bool = False
    window: float = DEFAULT_WINDOW
    hop: float = DEFAULT_HOP
    target_precision: float | None = DEFAULT_TARGET_PRECISION  # None: the threshold with the best F0.5
    normalise_per_video: bool = False  # z-score each video's windows first (core.window_context)

    def __post_init__(self) -> None:
        folders = self.positive_folder
        folders = (folders,) if isinstance(folders, str) else tuple(dict.fromkeys(folders))
        object.__setattr__(self, "positive_folder", folders)  # frozen: normalised once, here

    @property
    def classifier_name(self) -> str:
        return self.name or "+".join(self.positive_folder)

    @property
    def feature_set(self) -> str:
        return CONTEXT_PER_VIDEO if self.normalise_per_video else CONTEXT


@dataclass(frozen=True)
class TrainingPreview:
    """What the options would train on, from the database alone (no decoding)."""

    videos: int
    positive_clips: int
    negative_clips: int  # clips of the negative folder
    hard_negatives: int  # 0 when hard negatives are switched off
    ambiguous_clips: int  # clips near which no automatic negative is drawn
    positive_videos: int = 0  # of `videos`, those holding positive clips (the others give negatives only)


class SkippedVideo(NamedTuple):
    """A training video that could not be embedded, and why."""

    source_path: str
    reason: str


@dataclass(frozen=True)
class TrainResult:
    name: str
    version: str
    metrics: dict[str, Any]
    counts: dict[str, int]
    skipped: list[SkippedVideo] = field(default_factory=list)  # not used for training


@dataclass
class LabelledWindows:
    features: np.ndarray  # (n, dim)
    labels: np.ndarray  # (n,) POSITIVE / NEGATIVE
    groups: np.ndarray  # (n,) video index
    automatic: np.ndarray  # (n,) bool: negative drawn automatically
    times: np.ndarray  # (n,) window start, seconds
    events: np.ndarray  # (n,) the positive clip a sound window was picked from (-1: not a sound window)


# ------------------------------------------------------------------------------------ training data


def preview_training(db, options: TrainingOptions) -> TrainingPreview:
    records = _training_records(db, options)
    hard = 0
    if options.use_hard_negatives:
        without_hard = _training_records(db, options, use_hard_negatives=False, require_videos=False)
        hard = _count_negatives(records) - _count_negatives(without_hard)
    return TrainingPreview(
        videos=len(records),
        positive_clips=sum(len(record.positives) for record in records),
        negative_clips=_count_negatives(records) - hard,
        hard_negatives=hard,
        ambiguous_clips=sum(len(record.ambiguous) for record in records),
        positive_videos=sum(1 for record in records if record.positives),
    )


def _count_negatives(records: list[TrainingVideo]) -> int:
    return sum(len(record.negatives) for record in records)


def _training_records(
    db, options: TrainingOptions, use_hard_negatives: bool | None = None, require_videos: bool = True
) -> list[TrainingVideo]:
    folders = db.get_export_folders(options.profile, include_scan_exports=options.include_scan_exports)
    if not options.positive_folder:
        raise FoleycutError("No positive folder chosen: pick at least one export folder holding the sound.")
    for folder in filter(None, (*options.positive_folder, options.negative_folder)):
        if folder not in folders:
            raise FoleycutError(
                f"Export folder '{folder}' has no clips in profile '{options.profile}': "
                f"export some first or pick one of: {', '.join(folders) or '(none yet)'}."
            )
    if options.negative_folder in options.positive_folder:
        raise FoleycutError("The negative folder is the positive folder: pick another one or none.")
    records = db.get_training_data(
        options.profile,
        options.positive_folder,
        options.negative_folder,
        include_scan_exports=options.include_scan_exports,
        use_hard_negatives=options.use_hard_negatives if use_hard_negatives is None else use_hard_negatives,
    )
    if require_videos and not any(record.positives for record in records):
        raise FoleycutError(
            f"None of the source videos of '{' + '.join(options.positive_folder)}' is on disk: "
            "reconnect the drive holding them or re-add them."
        )
    return records


def label_windows(
    starts: np.ndarray,
    window: float,
    positives: list[tuple[float, float]],
    ambiguous: list[tuple[float, float]],
    negatives: list[float],
    margin: float,
) -> np.ndarray:
    """CANDIDATE, NEGATIVE or UNUSED for each window start (rules in the module docstring)."""
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
    for inside in clip_windows(starts, window, positives):
        labels[inside] = CANDIDATE
    return labels


def clip_windows(starts: np.ndarray, window: float, clips: list[tuple[float, float]]) -> list[np.ndarray]:
    """For each (start, length) clip, the indices of the windows lying inside it (of those containing it,
    for a clip shorter than a window); else the one window covering most of it."""
    starts = np.asarray(starts, dtype=float)
    out = []
    for clip_start, length in clips:
        clip_end = clip_start + length
        if length >= window:
            inside = (starts >= clip_start - 1e-6) & (starts + window <= clip_end + 1e-6)
        else:
            inside = (starts <= clip_start + 1e-6) & (starts + window >= clip_end - 1e-6)
        indices = np.flatnonzero(inside)
        if len(indices) == 0 and len(starts):
            overlap = np.minimum(starts + window, clip_end) - np.maximum(starts, clip_start)
            indices = np.flatnonzero(overlap == overlap.max())[:1] if overlap.max() > 0 else indices
        out.append(indices)
    return out


def merged_clips(clips: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Overlapping (start, length) clips joined into one: the clips of one marker (count > 1) are one bag,
    not several that would agree with each other on the very same windows."""
    merged: list[list[float]] = []
    for start, length in sorted(clips):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], start + length)
        else:
            merged.append([start, start + length])
    return [(start, end - start) for start, end in merged]


def sound_candidates(
    starts: np.ndarray, window: float, clips: list[tuple[float, float]], heard: list[tuple[float, float]]
) -> list[np.ndarray]:
    """Per bag (`merged_clips`), the indices of its candidate windows: the windows inside it, or, where
    each of its clips holds a (start, end) span the user heard the sound in (a review queue accept), the
    windows overlapping those spans by half a window or more: 3 of an 8 s clip's 29 for a 0.5 s hit."""
    bags = merged_clips(clips)
    out = []
    for inside, (start, length) in zip(clip_windows(starts, window, bags), bags):
        members = [(s, s + n) for s, n in clips if start - 1e-6 <= s <= start + length]
        spans = [(s, e) for s, e in heard if start - 1e-6 <= s and e <= start + length + 1e-6]
        if spans and all(any(c0 - 1e-6 <= s and e <= c1 + 1e-6 for s, e in spans) for c0, c1 in members):
            padded = [(s - window / 2, e - s + window) for s, e in spans]
            near = np.intersect1d(inside, np.concatenate(clip_windows(starts, window, padded)))
            inside = near if len(near) else inside
        out.append(inside)
    return out


def pick_sound_windows(bags: list[np.ndarray], mean: np.ndarray, scale: np.ndarray) -> list[np.ndarray]:
    """For each bag (the feature rows of one positive clip's candidate windows), a boolean mask of the
    windows that hold the sound: those most like the other bags (rule in the module docstring). `mean`
    and `scale` (of all windows of the training videos) standardise the features, so what is common in
    the videos weighs little and what stands out weighs much."""
    standardised = [(bag - mean) / scale for bag in bags]
    units = [z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-9) for z in standardised]
    rng = np.random.default_rng(SEED)
    masks = []
    for index, z in enumerate(standardised):
        others = [j for j in range(len(bags)) if j != index and len(bags[j])]
        if len(z) == 0:
            masks.append(np.zeros(0, bool))
        elif others:
            if len(others) > MAX_BAGS_COMPARED:
                others = sorted(rng.choice(others, MAX_BAGS_COMPARED, replace=False).tolist())
            agreement = np.mean([(units[index] @ units[j].T).max(axis=1) for j in others], axis=0)
            masks.append(agreement >= agreement.max() - AGREEMENT_SLACK)
        else:  # a lone clip: the windows that stand out most from the videos
            salience = np.linalg.norm(z, axis=1)
            masks.append(salience >= salience.max() * (1 - 2 * AGREEMENT_SLACK))
    return masks


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
    # stopping: its random validation split would hold copies of training positives. Trees two splits
    # deep: with a few dozen sound windows, deeper trees learn the training videos' particular sounds. On
    # the real-sound benchmarks the review queue's retrainings then move the operating point less, and
    # reach the bar on `class` in 71 answers where 31-leaf trees did not in 80; one clip per event plus a
    # round of hard negatives scores the same (bench/README.md).
    booster = HistGradientBoostingClassifier(
        max_depth=2, max_bins=63, min_samples_leaf=5, l2_regularization=1.0, early_stopping=False, random_state=SEED
    )
    return CalibratedClassifierCV(
        booster, method="sigmoid", cv=StratifiedGroupKFold(calibration_folds, shuffle=True, random_state=SEED)
    )


def balance_repeats(labels: np.ndarray) -> int:
    """How many times each positive is repeated so both classes weigh about the same."""
    positives = int((labels == POSITIVE).sum())
    return max(1, round((len(labels) - positives) / max(1, positives)))


def prior_shift(labels: np.ndarray) -> float:
    """The log-odds that balancing adds to the calibrated probabilities (see `real_probabilities`)."""
    return math.log(balance_repeats(labels))


def real_probabilities(balanced: np.ndarray, shift: float) -> np.ndarray:
    """Probabilities calibrated on balanced data, brought back to the real class balance."""
    p = np.clip(np.asarray(balanced, dtype=np.float64), 1e-12, 1 - 1e-12)
    return 1.0 / (1.0 + np.exp(shift - np.log(p / (1 - p))))


def fit_balanced(features: np.ndarray, labels: np.ndarray):
    """A calibrated classifier fitted with each positive repeated up to the number of negatives; its
    probabilities hold for balanced classes (`real_probabilities` brings them back)."""
    import sklearn

    positives = np.flatnonzero(labels == POSITIVE)
    rows = np.concatenate([np.arange(len(labels)), np.repeat(positives, balance_repeats(labels) - 1)])
    estimator = _make_estimator(min(3, len(positives)))
    with sklearn.config_context(enable_metadata_routing=True), boosting_threads():
        estimator.fit(features[rows], labels[rows], groups=rows)
    return estimator


def boosting_threads():
    """Context limiting OpenMP to half the cores: on a busy machine its spinning threads slowed boosting
    (fit and predict) four- to tenfold in our measurements, and the UI and decoder need the rest."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(max(1, (os.cpu_count() or 2) // 2))


def out_of_fold_probabilities(
    data: LabelledWindows, window: float, cancel: threading.Event | None = None, progress: Progress | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """Each window's probability from a classifier (booster and exemplar gate) that never saw its video (or
    its time block); NaN where a fold could not be learnt. Also how the folds were made, and the gate
    scores' calibration fitted on these windows (at their real class balance)."""
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
        check_cancel(cancel)
        if progress is not None:
            progress(fold / folds, f"Cross-validating ({fold + 1}/{folds})")
        if np.bincount(labels[train], minlength=2).min() < 2:
            continue  # a fold the booster cannot learn from; its windows stay unscored
        balanced = fit_balanced(data.features[train], labels[train]).predict_proba(data.features[test])[:, 1]
        gate = fit_gate(data, train)
        for video in np.unique(data.groups[test]):  # as a scan of that video would weigh them
            own = data.groups[test] == video
            scores[test[own]] = gate.scores(balanced[own], data.features[test[own]], str(video))
    scored = ~np.isnan(scores)
    sound = labels[scored] == POSITIVE
    calibration = fit_calibration(scores[scored], sound) if 0 < sound.sum() < len(sound) else (1.0, 0.0)
    scores[scored] = calibrated(scores[scored], calibration)
    grouped_by = "video" if by_video else "time block"
    return scores, {"folds": folds, "grouped_by": grouped_by, "calibration": list(calibration)}


def fit_gate(
    data: LabelledWindows, rows: np.ndarray | slice = slice(None), videos: list[str] | None = None
) -> ExemplarGate:
    """The exemplar gate of these training windows (the foreground: the context half of the features);
    `videos` names each group (default: its number, as out-of-fold scoring names them)."""
    names = videos if videos is not None else [str(group) for group in range(int(data.groups.max(initial=-1)) + 1)]
    return ExemplarGate.fit(
        data.features[rows],
        data.labels[rows] == POSITIVE,
        data.automatic[rows],
        data.groups[rows],
        tuple(names),
        first_column=data.features.shape[1] // 2,
        seed=SEED,
    )


def event_precision_recall(
    scores: np.ndarray, data: LabelledWindows, window: float, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall as a scan would give them, per threshold, from out-of-fold probabilities:
    an event (a positive clip) is found when one of its sound windows reaches the threshold; every run of
    negative windows reaching it (fused as scan regions fuse: overlapping windows of one video) is one
    false region. A user counts regions, not windows: window-level figures miscount both."""
    scored = ~np.isnan(scores)
    sound = scored & (data.labels == POSITIVE)
    best = np.full(int(data.events[sound].max()) + 1 if sound.any() else 0, -np.inf)
    np.maximum.at(best, data.events[sound], scores[sound])
    best = best[np.isfinite(best)]
    negative = scored & (data.labels == NEGATIVE)
    order = np.lexsort((data.times[negative], data.groups[negative]))
    times, groups = data.times[negative][order], data.groups[negative][order]
    negative_scores = scores[negative][order]
    precision, recall = np.ones(len(thresholds)), np.zeros(len(thresholds))
    for index, threshold in enumerate(thresholds):
        found = int((best >= threshold).sum())
        hits = negative_scores >= threshold
        t, g = times[hits], groups[hits]
        false_regions = int(len(t) and 1 + ((g[1:] != g[:-1]) | (np.diff(t) > window)).sum())
        recall[index] = found / max(1, len(best))
        precision[index] = found / (found + false_regions) if found + false_regions else 1.0
    return precision, recall


def choose_threshold(
    precision: np.ndarray,
    recall: np.ndarray,
    thresholds: np.ndarray,
    target_precision: float | None = None,
    smoothing: int = 0,
) -> float:
    """The operating point (module docstring): best F0.5 (averaged over `smoothing` thresholds either
    side), or the highest threshold that keeps the recall of the lowest one reaching the target."""
    if target_precision is not None:
        reaching = (precision >= target_precision) & (recall > 0)
        if reaching.any():
            last = first = int(np.flatnonzero(reaching)[0])
            while last + 1 < len(thresholds) and reaching[last + 1] and recall[last + 1] >= recall[first]:
                last += 1
            return float(thresholds[last])
    beta2 = PRECISION_WEIGHT**2
    f_score = (1 + beta2) * precision * recall / np.maximum(beta2 * precision + recall, 1e-12)
    # a few dozen events make a jagged curve: the middle of a broad good stretch holds on new videos
    # better than a narrow peak
    reach = min(smoothing, (len(f_score) - 1) // 2)
    smoothed = np.convolve(np.pad(f_score, reach, mode="edge"), np.ones(2 * reach + 1) / (2 * reach + 1), "valid")
    best = np.flatnonzero(smoothed >= smoothed.max() - 1e-9)
    return float(thresholds[best[len(best) // 2]])  # classes that separate cleanly: the middle of the tie


# Where the operating point is looked for. Never below 0.1: that would flag windows the classifier itself
# finds 90 % likely not to hold the sound, which out-of-fold curves of a few events sometimes favour.
THRESHOLDS = np.round(np.linspace(0.10, 0.99, 90), 2)


def threshold_metrics(
    scores: np.ndarray, data: LabelledWindows, window: float, target_precision: float | None = None
) -> dict[str, Any]:
    """The operating point with event-level precision and recall there, window-level average precision,
    and the precision/recall curve at about `CURVE_POINTS` thresholds ([threshold, precision, recall])."""
    from sklearn.metrics import average_precision_score

    precision, recall = event_precision_recall(scores, data, window, THRESHOLDS)
    if not recall.any():  # too few examples for any fold to score a sound window: no evidence to choose by
        return {
            "precision": 0.0,
            "recall": 0.0,
            "average_precision": 0.0,
            "threshold": DEFAULT_THRESHOLD,
            "threshold_rule": "default",
            "curve": [],
        }
    threshold = choose_threshold(precision, recall, THRESHOLDS, target_precision, THRESHOLD_SMOOTHING)
    chosen = int(np.flatnonzero(THRESHOLDS == threshold)[0])
    scored = ~np.isnan(scores)
    truth = data.labels[scored] == POSITIVE
    step = max(1, len(THRESHOLDS) // CURVE_POINTS)
    curve = [
        [float(t), round(float(p), 4), round(float(r), 4)]
        for t, p, r in zip(THRESHOLDS[::step], precision[::step], recall[::step])
    ]
    return {
        "precision": float(precision[chosen]),
        "recall": float(recall[chosen]),
        "average_precision": float(average_precision_score(truth, scores[scored])) if truth.any() else 0.0,
        "threshold": threshold,
        "threshold_rule": (
            f"precision {target_precision:g} reached"
            if target_precision is not None and ((precision >= target_precision) & (recall > 0)).any()
            else "best F0.5"
        ),
        "curve": curve if truth.any() else [],
    }


def cross_validated_metrics(
    data: LabelledWindows,
    window: float,
    target_precision: float | None = None,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Out-of-fold metrics at the operating point chosen from the same out-of-fold probabilities."""
    scores, folds = out_of_fold_probabilities(data, window, cancel, progress)
    return {**threshold_metrics(scores, data, window, target_precision), **folds, "target_precision": target_precision}


# ------------------------------------------------------------------------------------ end to end


def train_classifier(
    db,
    home: DataHome,
    options: TrainingOptions,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> TrainResult:
    """Embed every training video (cache first), label its windows, fit, cross-validate, save a version."""
    name = classifier_store.validate_name(options.classifier_name)
    get_spec(options.model_name)
    records = _training_records(db, options)
    report = progress or (lambda fraction, message: None)

    videos, skipped = _embed_and_label(home, records, options, report, cancel)
    data = _training_windows(videos, options)
    skipped_sources = {video.source_path for video in skipped}
    counts = _counts(data, [record for record in records if record.source_path not in skipped_sources])
    _check_enough(counts, skipped)

    final_fit_from = EMBEDDING_SHARE + (1 - EMBEDDING_SHARE) * 0.8  # the final fit costs about one fold
    report(EMBEDDING_SHARE, "Cross-validating")
    metrics = cross_validated_metrics(
        data,
        options.window,
        options.target_precision,
        cancel=cancel,
        progress=lambda f, message: report(EMBEDDING_SHARE + (final_fit_from - EMBEDDING_SHARE) * f, message),
    )
    check_cancel(cancel)
    report(final_fit_from, "Fitting the final classifier")
    estimator = fit_balanced(data.features, data.labels)
    sources = [str(Path(record.source_path).resolve()) for record in records]
    gate = fit_gate(data, videos=sources).with_calibration(tuple(metrics["calibration"]))
    saved = classifier_store.save_version(
        home,
        name,
        estimator,
        embedding_model=options.model_name,
        window=options.window,
        hop=options.hop,
        folders=_folders_record(options),
        counts=counts,
        metrics=metrics,
        threshold=metrics["threshold"],
        feature_set=options.feature_set,
        prior_shift=prior_shift(data.labels),
        gate=gate,
    )
    report(1.0, "Done")
    return TrainResult(name, saved.version, metrics, counts, skipped)


def labelled_training_windows(
    db, home: DataHome, options: TrainingOptions, cancel: threading.Event | None = None
) -> LabelledWindows:
    """The windows and labels a training with `options` learns from now (embeddings from the cache)."""
    videos, _skipped = _embed_and_label(home, _training_records(db, options), options, lambda f, m: None, cancel)
    return _training_windows(videos, options)


def _folders_record(options: TrainingOptions) -> dict[str, Any]:
    """What a saved version records of the labels it learnt from (`options_of` reads it back)."""
    return {
        "positive": " + ".join(options.positive_folder),
        "positives": list(options.positive_folder),
        "negative": options.negative_folder,
        "profile": options.profile,
        "margin": options.margin,
        "use_hard_negatives": options.use_hard_negatives,
        "include_scan_exports": options.include_scan_exports,
    }


def options_of(version: classifier_store.ClassifierVersion) -> TrainingOptions:
    """The options a saved classifier version was trained with, from its metadata."""
    folders = version.folders
    return TrainingOptions(
        profile=folders.get("profile", "default"),
        positive_folder=tuple(folders.get("positives") or [folders.get("positive", "")]),
        negative_folder=folders.get("negative"),
        model_name=version.embedding_model,
        name=version.name,
        margin=folders.get("margin", DEFAULT_MARGIN),
        use_hard_negatives=folders.get("use_hard_negatives", True),
        include_scan_exports=folders.get("include_scan_exports", False),
        window=version.window,
        hop=version.hop,
        normalise_per_video=version.feature_set == CONTEXT_PER_VIDEO,
    )


@dataclass
class _VideoWindows:
    """One training video's used windows, before the sound windows of its clips are picked."""

    data: LabelledWindows
    bags: list[np.ndarray]  # per positive clip: row indices into data of its candidate windows
    sums: np.ndarray  # feature sums and sums of squares over all the video's windows, and their count
    squares: np.ndarray
    count: int


def _embedding_part(report: Progress, share: float, index: int, label: str) -> Progress:
    """`report` for embedding the `index`th of the records, each `share` of the whole, under one label."""
    return lambda f, _m: report(share * (index + f), label)


def _embed_and_label(
    home: DataHome,
    records: list[TrainingVideo],
    options: TrainingOptions,
    report: Progress,
    cancel: threading.Event | None,
) -> tuple[list[_VideoWindows], list[SkippedVideo]]:
    from core.review_queue import heard_spans
    from core.window_embeddings import embed_file

    window, hop = options.window, options.hop
    heard = heard_spans(home, options.profile, options.positive_folder)
    automatic_per_video = math.ceil(MAX_AUTOMATIC_NEGATIVES / max(1, len(records)))
    rng = np.random.default_rng(SEED)
    videos: list[_VideoWindows] = []
    skipped: list[SkippedVideo] = []
    for index, (source, positives, ambiguous, negatives) in enumerate(records):
        check_cancel(cancel)
        share = EMBEDDING_SHARE / len(records)
        label = f"Embedding {index + 1}/{len(records)}"
        try:
            embeddings = embed_file(
                source,
                options.model_name,
                home,
                window,
                hop,
                progress=_embedding_part(report, share, index, label),
                cancel=cancel,
            )
        except Cancelled:
            raise
        except FoleycutError as exc:
            skipped.append(SkippedVideo(source, str(exc)))
            continue
        features = window_features(embeddings.vectors, hop, options.feature_set)
        labels = label_windows(embeddings.times, window, positives, ambiguous, negatives, options.margin)
        automatic = (labels == NEGATIVE) & ~marked_windows(embeddings.times, window, negatives)
        # memory stays bounded by sampling automatic negatives per video (they are thinned again later)
        surplus = np.flatnonzero(automatic)
        if len(surplus) > automatic_per_video:
            dropped = rng.choice(surplus, len(surplus) - automatic_per_video, replace=False)
            labels[dropped], automatic[dropped] = UNUSED, False
        used = np.flatnonzero(labels != UNUSED)
        row_of = np.full(len(labels), -1)
        row_of[used] = np.arange(len(used))
        heard_here = heard.get(Path(source).resolve(), [])
        bags = [row_of[inside] for inside in sound_candidates(embeddings.times, window, positives, heard_here)]
        videos.append(
            _VideoWindows(
                LabelledWindows(
                    features[used],
                    labels[used],
                    np.full(len(used), index),
                    automatic[used],
                    embeddings.times[used],
                    np.full(len(used), -1),
                ),
                bags,
                features.sum(axis=0, dtype=np.float64),
                np.square(features, dtype=np.float64).sum(axis=0),
                len(features),
            )
        )
    return videos, skipped


def _training_windows(videos: list[_VideoWindows], options: TrainingOptions) -> LabelledWindows:
    return _thin_automatic_negatives(_with_sound_windows(videos, get_spec(options.model_name).dim))


def _with_sound_windows(videos: list[_VideoWindows], dim: int) -> LabelledWindows:
    """All videos' windows, each clip's candidates labelled POSITIVE where they hold the sound, else
    left out (pick_sound_windows)."""
    if not videos:
        return _concatenate([], 2 * dim)
    # standardised over the videos holding clips: a video seen only through its negatives must not
    # change which windows of the clips are the sound
    with_clips = [video for video in videos if video.bags] or videos
    count = sum(video.count for video in with_clips)
    mean = np.asarray(sum(video.sums for video in with_clips)) / count
    scale = np.sqrt(np.maximum(sum(video.squares for video in with_clips) / count - mean**2, 0)) + 1e-6
    bags = [(video, rows) for video in videos for rows in video.bags]
    masks = pick_sound_windows([video.data.features[rows] for video, rows in bags], mean, scale)
    for event, ((video, rows), holds_sound) in enumerate(zip(bags, masks)):
        video.data.labels[rows] = np.where(holds_sound, POSITIVE, UNUSED)
        video.data.events[rows[holds_sound]] = event
    parts = []
    for video in videos:
        keep = video.data.labels != UNUSED
        parts.append(LabelledWindows(*(getattr(video.data, f.name)[keep] for f in fields(LabelledWindows))))
    return _concatenate(parts, 2 * dim)


def _concatenate(parts: list[LabelledWindows], dim: int) -> LabelledWindows:
    if not parts:
        return LabelledWindows(
            np.zeros((0, dim), np.float32),
            np.zeros(0, np.int8),
            np.zeros(0, int),
            np.zeros(0, bool),
            np.zeros(0),
            np.zeros(0, int),
        )
    return LabelledWindows(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(LabelledWindows)))


def _thin_automatic_negatives(data: LabelledWindows) -> LabelledWindows:
    automatic = np.flatnonzero(data.automatic)
    if len(automatic) <= MAX_AUTOMATIC_NEGATIVES:
        return data
    dropped = np.random.default_rng(SEED).choice(automatic, len(automatic) - MAX_AUTOMATIC_NEGATIVES, replace=False)
    keep = np.ones(len(data.labels), dtype=bool)
    keep[dropped] = False
    return LabelledWindows(*(getattr(data, f.name)[keep] for f in fields(LabelledWindows)))


def _counts(data: LabelledWindows, used_records: list[TrainingVideo]) -> dict[str, int]:
    negative = data.labels == NEGATIVE
    return {
        "videos": len(used_records),
        "positive_clips": sum(len(record.positives) for record in used_records),
        "positive_windows": int((data.labels == POSITIVE).sum()),
        "negative_windows": int(negative.sum()),
        "marked_negative_windows": int((negative & ~data.automatic).sum()),
        "automatic_negative_windows": int(data.automatic.sum()),
    }


def _check_enough(counts: dict[str, int], skipped: list[SkippedVideo]) -> None:
    if counts["videos"] == 0 and skipped:
        raise FoleycutError(f"No training video could be read ({skipped[0].reason}).")
    positives, negatives = counts["positive_windows"], counts["negative_windows"]
    if positives < MIN_SOUND_WINDOWS or negatives < MIN_NEGATIVE_WINDOWS:
        raise FoleycutError(
            f"Too few examples to train: {positives} positive and {negatives} negative windows "
            f"(at least {MIN_SOUND_WINDOWS} and {MIN_NEGATIVE_WINDOWS} needed); export more clips, add a "
            "negative folder, or lower the margin."
        )
