"""Scanning videos with a trained classifier: window probabilities -> regions -> scan history.

Embeddings come through the cache, so a rescan (a new classifier version, another threshold) only runs the
classifier. Each scan is stored as a new version of (file, profile, embedding model) by
`ProcessedDB.save_scan_results`, which keeps the newest few.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from core.classifier_store import LoadedClassifier, load_classifier
from core.errors import Cancelled, FoleycutError
from core.home import DataHome
from core.regions import Region, fuse_windows
from core.training import boosting_threads

Progress = Callable[[float, str], None]
FileDone = Callable[[Path, "ScanOutcome | None", "str | None"], None]


@dataclass(frozen=True)
class ScanOutcome:
    regions: list[Region]
    scan_timestamp: str
    model: str  # embedding model
    classifier: str
    classifier_version: str


@dataclass(frozen=True)
class FileScan:
    video: Path
    outcome: ScanOutcome | None
    error: str | None  # why the file was skipped


def scan_file(db, home: DataHome, video, classifier_name: str, profile: str = "default",
              threshold: float = 0.5, min_length: float = 0.0, version: str | None = None,
              progress: Progress | None = None, cancel: threading.Event | None = None,
              model_name: str | None = None) -> ScanOutcome:
    """Scan one video; `model_name`, when given, must be the classifier's embedding model."""
    classifier = load_classifier(home, classifier_name, version)
    _check_model(classifier, model_name)
    return _scan_with(db, home, Path(video), classifier, profile, threshold, min_length, progress, cancel)


def scan_files(db, home: DataHome, videos: Sequence, classifier_name: str, profile: str = "default",
               threshold: float = 0.5, min_length: float = 0.0, version: str | None = None,
               progress: Progress | None = None, cancel: threading.Event | None = None,
               model_name: str | None = None, on_file_done: FileDone | None = None) -> list[FileScan]:
    """Scan many videos in order; a file that cannot be scanned is reported and skipped, not fatal."""
    from core.classifier_store import active_version, list_versions
    from core.window_embeddings import embed_ahead, stop_embedding_ahead

    videos = [Path(video) for video in videos]
    try:
        # the first video embeds while the classifier loads (importing scikit-learn takes seconds)
        chosen = version or active_version(home, classifier_name)
        meta = next((v for v in list_versions(home, classifier_name) if v.version == chosen), None)
        if videos and meta is not None and model_name in (None, meta.embedding_model):
            embed_ahead(videos[0], meta.embedding_model, home, meta.window, meta.hop,
                        _file_progress(progress, 0, videos))
        classifier = load_classifier(home, classifier_name, version)
        _check_model(classifier, model_name)
        meta = classifier.meta
        results = []
        for index, video in enumerate(videos):
            _check_cancel(cancel)
            if index + 1 < len(videos):  # the next video embeds while this one is scanned
                embed_ahead(videos[index + 1], meta.embedding_model, home, meta.window, meta.hop)
            outcome, error = None, None
            try:
                outcome = _scan_with(db, home, video, classifier, profile, threshold, min_length,
                                     _file_progress(progress, index, videos), cancel)
            except Cancelled:
                raise
            except FoleycutError as exc:
                error = str(exc)
            results.append(FileScan(video, outcome, error))
            if on_file_done is not None:
                on_file_done(video, outcome, error)
    finally:
        stop_embedding_ahead()
    if progress is not None:
        progress(1.0, "Scan finished")
    return results


def _file_progress(progress: Progress | None, index: int, videos: list[Path]) -> Progress | None:
    """The progress of the whole Scan All, as the file at `index` reports its own."""
    if progress is None:
        return None
    video = videos[index]
    return lambda fraction, message: progress((index + fraction) / len(videos),
                                              f"{video.name} ({index + 1}/{len(videos)}): {message}")


def negative_times_for_region(start: float, end: float, window: float, hop: float) -> list[float]:
    """Starts of the scan windows lying inside [start, end], to store as hard negatives.

    Windows start on the hop grid. A region shorter than one window (trimmed by the user) gives the one
    grid window centred closest on it.
    """
    first = math.ceil(round(start / hop, 6))
    last = math.floor(round((end - window) / hop, 6))
    if last >= first:
        return [round(k * hop, 6) for k in range(first, last + 1)]
    centred = max(0.0, (start + end - window) / 2)
    return [round(round(centred / hop) * hop, 6)]


def _scan_with(db, home: DataHome, video: Path, classifier: LoadedClassifier, profile: str, threshold: float,
               min_length: float, progress: Progress | None, cancel: threading.Event | None) -> ScanOutcome:
    from core.window_embeddings import embed_file

    meta = classifier.meta
    embeddings = embed_file(video, meta.embedding_model, home, meta.window, meta.hop,
                            progress=progress, cancel=cancel)
    expected = classifier.estimator.n_features_in_
    if embeddings.vectors.shape[1] != expected:
        raise FoleycutError(
            f"Classifier '{meta.name}' expects {expected} features but {meta.embedding_model} gives "
            f"{embeddings.vectors.shape[1]}: retrain it with the current {meta.embedding_model} model.")
    _check_cancel(cancel)
    with boosting_threads():
        probabilities = classifier.estimator.predict_proba(embeddings.vectors)[:, 1]
    regions = fuse_windows(embeddings.times, probabilities, meta.window, threshold, min_length)
    timestamp = db.save_scan_results(video.name, profile, meta.embedding_model, regions,
                                     classifier=meta.name)
    if progress is not None:
        progress(1.0, f"{len(regions)} regions found")
    return ScanOutcome(regions, timestamp, meta.embedding_model, meta.name, meta.version)


def _check_model(classifier: LoadedClassifier, model_name: str | None) -> None:
    if model_name is not None and model_name != classifier.meta.embedding_model:
        raise FoleycutError(
            f"Classifier '{classifier.meta.name}' was trained on {classifier.meta.embedding_model} embeddings, "
            f"not {model_name}: pick a classifier trained on {model_name}, or retrain on it.")


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()
