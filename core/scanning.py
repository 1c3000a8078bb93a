"""Scanning videos with a trained classifier: window probabilities -> regions -> scan history.

Embeddings come through the cache, so a rescan (a new classifier version, another threshold) only runs the
classifier. A scan without an explicit threshold uses the operating point stored with the classifier
version. Each scan is stored as a new version of (file, profile, embedding model) by
`ProcessedDB.save_scan_results`, which keeps the newest few; the outcome also carries every window's
probability, so the window can draw the curve and re-fuse at another threshold without rescanning.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.classifier_store import LoadedClassifier, load_classifier
from core.compact_scorer import CompactScorer
from core.errors import Cancelled, FoleycutError
from core.home import DataHome
from core.progress import Progress, check_cancel
from core.regions import Region, fuse_windows
from core.training import boosting_threads, real_probabilities
from core.window_context import feature_blocks

if TYPE_CHECKING:  # both pull in more than a scan of cached files needs
    from core.audio import ReadAhead
    from core.embedding_models import FrameEmbedder

FileDone = Callable[[Path, "ScanOutcome | None", "str | None"], None]


@dataclass(frozen=True)
class ScanOutcome:
    regions: list[Region]
    scan_timestamp: str
    model: str  # embedding model
    classifier: str
    classifier_version: str
    threshold: float
    scores: WindowScores | None  # None when the file was skipped (`skipped`): nothing was scored
    skipped: bool = False  # already scanned with these settings: the stored version's enabled regions


@dataclass(frozen=True)
class WindowScores:
    """Every window's probability of holding the sound: what regions are fused from."""

    times: np.ndarray  # window starts, seconds
    probabilities: np.ndarray
    window: float
    hop: float

    def regions(self, threshold: float, min_length: float = 0.0) -> list[Region]:
        return fuse_windows(self.times, self.probabilities, self.window, threshold, min_length, hop=self.hop)


@dataclass(frozen=True)
class FileScan:
    video: Path
    outcome: ScanOutcome | None
    error: str | None  # why the file was skipped


@dataclass(frozen=True)
class ScanOptions:
    """How a scan runs: the same for one file, Scan All and Auto."""

    profile: str = "default"
    threshold: float | None = None  # None: the classifier version's own
    min_length: float = 0.0  # regions shorter than this (seconds) are dropped
    version: str | None = None  # None: the classifier's active version
    model_name: str | None = None  # when given, must be the classifier's embedding model
    skip_speech: bool = False  # regions mostly in speech are left out
    force: bool = False  # Scan All: scan again a file whose latest scan matches (else its regions are reused)


def scan_file(
    db,
    home: DataHome,
    video,
    classifier_name: str,
    options: ScanOptions | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ScanOutcome:
    """Scan one video with classifier `classifier_name` (`options.force` does not apply: it always scans)."""
    options = options or ScanOptions()
    classifier = load_classifier(home, classifier_name, options.version)
    _check_model(classifier, options.model_name)
    return _scan_with(db, home, Path(video), classifier, options, progress, cancel)


def scan_files(
    db,
    home: DataHome,
    videos: Sequence,
    classifier_name: str,
    options: ScanOptions | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    on_file_done: FileDone | None = None,
) -> list[FileScan]:
    """Scan many videos in order; a file that cannot be scanned is reported and skipped, not fatal.

    Without `options.force`, a file whose latest scan came from this classifier version at this threshold (so the
    same model, window and hop) is not scanned again: its outcome is that version's enabled regions,
    flagged `skipped`. The embedding model is loaded once for the run, and the next file to scan is
    embedded (MEL) or decoded (other models) while the current one is embedded.
    """
    from core.classifier_store import active_version, list_versions
    from core.window_embeddings import stop_embedding_ahead

    options = options or ScanOptions()
    videos = [Path(video) for video in videos]
    ahead = _Ahead(home)
    try:
        chosen = options.version or active_version(home, classifier_name)
        meta = next((v for v in list_versions(home, classifier_name) if v.version == chosen), None)
        wanted = None if meta is None else (meta.threshold if options.threshold is None else options.threshold)
        stored = (
            {}
            if options.force or meta is None or wanted is None
            else {
                index: found
                for index, video in enumerate(videos)
                if (found := stored_scan(db, video, options.profile, meta, wanted, options.min_length)) is not None
            }
        )
        to_scan = [index for index in range(len(videos)) if index not in stored]
        # the first video embeds while the classifier loads (importing scikit-learn takes seconds)
        if to_scan and meta is not None and options.model_name in (None, meta.embedding_model):
            ahead.start(videos[to_scan[0]], meta, _file_progress(progress, to_scan[0], videos))
        classifier = load_classifier(home, classifier_name, options.version)
        _check_model(classifier, options.model_name)
        meta = classifier.meta
        embedder = _SharedEmbedder(meta.embedding_model, home)
        results = []
        for index, video in enumerate(videos):
            check_cancel(cancel)
            outcome, error = stored.get(index), None
            if outcome is None:
                later = [i for i in to_scan if i > index]
                if later:  # the next video to scan embeds or decodes while this one is scanned
                    ahead.start(videos[later[0]], meta)
                try:
                    outcome = _scan_with(
                        db,
                        home,
                        video,
                        classifier,
                        options,
                        _file_progress(progress, index, videos),
                        cancel,
                        embedder=embedder.for_file(video, meta),
                        audio=ahead.take(video),
                    )
                except Cancelled:
                    raise
                except FoleycutError as exc:
                    error = str(exc)
            results.append(FileScan(video, outcome, error))
            if on_file_done is not None:
                on_file_done(video, outcome, error)
    finally:
        ahead.stop()
        stop_embedding_ahead()
    if progress is not None:
        progress(1.0, "Scan finished")
    return results


def stored_scan(db, video: Path, profile: str, meta, threshold: float, min_length: float = 0.0) -> ScanOutcome | None:
    """The latest scan of `video` when it came from classifier version `meta` at `threshold` (so the same
    embedding model, window and hop): its enabled regions, as edited since, at least `min_length` long."""
    model = meta.embedding_model
    try:
        versions = db.get_scan_versions(video.name, profile, model, source_path=video)
    except FoleycutError:
        return None  # an unreadable or ambiguous file: scanning it says why
    if not versions:
        return None
    latest = versions[0]
    if (
        (latest["classifier"], latest["classifier_version"]) != (meta.name, meta.version)
        or latest["threshold"] is None
        or abs(latest["threshold"] - threshold) > 1e-9
    ):
        return None
    rows = db.get_scan_results(video.name, profile, scan_timestamp=latest["timestamp"], source_path=video).get(
        model, []
    )
    regions = [
        Region(row["start_time"], row["end_time"], row["score"])
        for row in rows
        if not row["disabled"] and row["end_time"] - row["start_time"] >= min_length
    ]
    return ScanOutcome(regions, latest["timestamp"], model, meta.name, meta.version, threshold, None, skipped=True)


def _is_cached(video: Path, meta, home: DataHome) -> bool:
    """Whether the video's embeddings are in the cache (a missing file counts as cached: nothing to load
    for it, and `embed_file` says it is missing)."""
    from core import embedding_cache

    try:
        key = embedding_cache.CacheKey.for_file(video, meta.embedding_model, meta.window, meta.hop)
    except OSError:
        return True
    return embedding_cache.entry_path(home, key).is_file()


class _SharedEmbedder:
    """The run's one embedder, loaded when the first file needs embedding (none when all are cached)."""

    def __init__(self, model: str, home: DataHome):
        self._model, self._home = model, home
        self._embedder: FrameEmbedder | None = None

    def for_file(self, video: Path, meta):
        from core.embedding_models import load_embedder

        if _is_cached(video, meta, self._home):
            return None
        if self._embedder is None:
            self._embedder = load_embedder(self._model, self._home)
        return self._embedder


class _Ahead:
    """The next file of a Scan All, prepared while the current one is scanned: MEL embeds it whole
    (`embed_ahead`, cheap on the CPU); a torch model would need a second copy, so its audio is decoded
    (`decode_ahead`) for the one shared model to take next."""

    def __init__(self, home: DataHome):
        self._home = home
        self._decoding: dict[Path, ReadAhead] = {}  # not taken yet

    def start(self, video: Path, meta, progress: Progress | None = None) -> None:
        from core.embedding_models import get_spec
        from core.window_embeddings import decode_ahead, embed_ahead

        if get_spec(meta.embedding_model).builtin:
            embed_ahead(video, meta.embedding_model, self._home, meta.window, meta.hop, progress)
            return
        if video in self._decoding or _is_cached(video, meta, self._home):
            return
        try:
            self._decoding[video] = decode_ahead(video)
        except (OSError, FoleycutError):
            pass  # the scan of that file reports it

    def take(self, video: Path):
        return self._decoding.pop(video, None)

    def stop(self) -> None:
        while self._decoding:
            self._decoding.popitem()[1].close()


def _file_progress(progress: Progress | None, index: int, videos: list[Path]) -> Progress | None:
    """The progress of the whole Scan All, as the file at `index` reports its own."""
    if progress is None:
        return None
    video = videos[index]
    return lambda fraction, message: progress(
        (index + fraction) / len(videos), f"{video.name} ({index + 1}/{len(videos)}): {message}"
    )


def negative_times_for_region(start: float, end: float, window: float, hop: float) -> list[float]:
    """Starts of the scan windows whose centres lie inside (start, end), to store as hard negatives: the
    windows whose firing made the region (core.regions). Windows start on the hop grid. A centre on the
    edge is outside: a review hit spans exactly one window, whose neighbours are centred on its edges and
    may hold the very sound the hit only touched. A region narrower than the hop gives the one grid window
    centred closest on it."""
    first = max(0, math.floor(round((start - window / 2) / hop, 6)) + 1)
    last = math.ceil(round((end - window / 2) / hop, 6)) - 1
    if last >= first:
        return [round(k * hop, 6) for k in range(first, last + 1)]
    centred = max(0.0, (start + end - window) / 2)
    return [round(round(centred / hop) * hop, 6)]


def window_probabilities(classifier: LoadedClassifier, embeddings, video) -> np.ndarray:
    """The classifier's probability for each window of `video`'s embeddings (in time order)."""
    meta = classifier.meta
    blocks = feature_blocks(embeddings.vectors, meta.hop, meta.feature_set)
    resolved = str(Path(video).resolve())  # the gate knows its training videos by resolved path
    return np.concatenate([_feature_probabilities(classifier, block, resolved) for block in blocks])


def _feature_probabilities(classifier: LoadedClassifier, features: np.ndarray, video: str) -> np.ndarray:
    """The same, for one block of the windows' features."""
    meta = classifier.meta
    expected = classifier.estimator.n_features_in_
    if features.shape[1] != expected:
        raise FoleycutError(
            f"Classifier '{meta.name}' expects {expected} features but {meta.embedding_model} gives "
            f"{features.shape[1]}: retrain it with the current {meta.embedding_model} model."
        )
    if len(features) == 0:
        return np.zeros(0)
    if isinstance(classifier.estimator, CompactScorer):  # numpy only: no OpenMP threads to limit
        balanced = classifier.estimator.positive_probability(features)
    else:  # a version saved before the compact form: scikit-learn's estimator
        with boosting_threads():
            balanced = classifier.estimator.predict_proba(features)[:, 1]
    if classifier.gate is not None:
        return classifier.gate.probabilities(balanced, features, video)
    return real_probabilities(balanced, meta.prior_shift)


def score_file(
    home: DataHome,
    video,
    classifier: LoadedClassifier,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    embedder=None,
    audio=None,
) -> WindowScores:
    """Every window's probability for one video (embeddings from the cache when current; `embedder` and
    `audio` as `embed_file` takes them)."""
    from core.window_embeddings import embed_file

    meta = classifier.meta
    embeddings = embed_file(
        video,
        meta.embedding_model,
        home,
        meta.window,
        meta.hop,
        progress=progress,
        cancel=cancel,
        embedder=embedder,
        audio=audio,
    )
    check_cancel(cancel)
    return WindowScores(embeddings.times, window_probabilities(classifier, embeddings, video), meta.window, meta.hop)


def _scan_with(
    db,
    home: DataHome,
    video: Path,
    classifier: LoadedClassifier,
    options: ScanOptions,
    progress: Progress | None,
    cancel: threading.Event | None,
    embedder=None,
    audio=None,
) -> ScanOutcome:
    meta = classifier.meta
    scores = score_file(home, video, classifier, progress, cancel, embedder, audio)
    threshold = meta.threshold if options.threshold is None else options.threshold
    regions = scores.regions(threshold, options.min_length)
    if options.skip_speech:
        from core.speech import detect_speech, without_speech

        regions = without_speech(regions, detect_speech(video, home, cancel=cancel))
    timestamp = db.save_scan_results(
        video.name,
        options.profile,
        meta.embedding_model,
        regions,
        classifier=meta.name,
        source_path=video,
        classifier_version=meta.version,
        threshold=threshold,
    )
    if progress is not None:
        progress(1.0, f"{len(regions)} region{'s' * (len(regions) != 1)} found")
    return ScanOutcome(regions, timestamp, meta.embedding_model, meta.name, meta.version, threshold, scores)


def _check_model(classifier: LoadedClassifier, model_name: str | None) -> None:
    if model_name is not None and model_name != classifier.meta.embedding_model:
        raise FoleycutError(
            f"Classifier '{classifier.meta.name}' was trained on {classifier.meta.embedding_model} embeddings, "
            f"not {model_name}: pick a classifier trained on {model_name}, or retrain on it."
        )
