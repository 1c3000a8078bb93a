"""The review queue: the library's windows most worth a human answer, answered with one key each.

Ranking with a classifier: every window of the library is scored; per file, a window starting closer to a
better one than `SEPARATION` (search's rule) belongs to the same occurrence, so each occurrence is one item
at its best window. An answer covers its whole occurrence the same way: on the real-sound benchmark a
voice line or a kiss rejected at one half-second window came back at its neighbour, and a fifth of the
rejects were the same sound asked twice.
Windows already labelled (covered half by an exported clip, near a hard negative, or answered here) are
left out. The queue takes one occurrence from each of three lists in turn: the broad matches
(core.linear_ranking: kinds of the sound no answer has reached yet, which the classifier learnt as
negatives; first, as on the real-sound benchmark they were the list most often accepted), the most uncertain
(best-window probability closest to the classifier's threshold: the answers that move its decision
boundary most) and the most confident unlabelled hits (confirming them adds positives fast; rejecting them
removes the false positives a scan would show first). Without a classifier (from a search) the items are
the search hits in similarity order.

Answers: accept exports clips with the given export settings, exactly as `E` does, from the clip-length
window centred on the item (a search hit is a short window on the sound: the clip is centred on it), and
the item's span tells training where in that clip the sound is (`heard_spans`);
reject stores the classifier's windows centred on the item as hard negatives (as *Mark as negative* does
for a scan region); skip only records the skip. Every answer, with what
it wrote, goes to `<home>/review/<profile>.json` (rewritten atomically), so answered items stay out of
the queue after a restart and undo can remove exactly what an answer wrote. After every `retrain_every`
answers `due_for_training()` says so; `retrain()` trains a new classifier version on the export folder.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.atomic_write import write_json_atomically
from core.defaults import DEFAULT_HOP, DEFAULT_RETRAIN_EVERY, DEFAULT_WINDOW
from core.errors import Cancelled, FoleycutError
from core.home import DataHome
from core.library_index import WindowHit
from core.progress import Progress, check_cancel
from core.similarity_search import SEPARATION, SimilarRegion, fuse_hits

if TYPE_CHECKING:
    from core.classifier_store import ClassifierVersion
    from core.linear_ranking import LinearRanking

ACCEPT, REJECT, SKIP = "accept", "reject", "skip"
DEFAULT_QUEUE_LENGTH = 50


@dataclass(frozen=True)
class ReviewItem:
    video: Path
    start: float
    end: float
    score: float  # classifier probability, or similarity for search hits
    reason: str  # "broad match", "uncertain", "top hit" or "similar"


@dataclass
class Answer:
    video: str
    start: float
    end: float
    answer: str
    marker_time: float | None = None  # accept: the exported marker
    export_folder: str | None = None
    negative_ids: list[int] = field(default_factory=list)  # reject: the hard negatives stored
    at: str = ""


class AnswerLog:
    """The answers of one profile, oldest first, on disk as JSON."""

    def __init__(self, home: DataHome, profile: str):
        self.path = answer_log_path(home, profile)
        self.answers: list[Answer] = []
        if self.path.is_file():
            try:
                self.answers = [Answer(**entry) for entry in json.loads(self.path.read_text(encoding="utf-8"))]
            except (OSError, ValueError, TypeError) as exc:
                raise FoleycutError(
                    f"The review answers in {self.path} cannot be read ({exc.__class__.__name__}): "
                    "move the file aside to start afresh."
                ) from exc

    def append(self, answer: Answer) -> None:
        self.answers.append(answer)
        self._save()

    def pop(self) -> Answer | None:
        if not self.answers:
            return None
        answer = self.answers.pop()
        self._save()
        return answer

    def covers(self, video: Path, start: float, end: float) -> bool:
        """Whether an answer was given on this span's occurrence (`same_occurrence`)."""
        video = Path(video).resolve()
        return any(Path(a.video) == video and same_occurrence(a.start, a.end, start, end) for a in self.answers)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomically(self.path, [asdict(a) for a in self.answers], indent=1)


def heard_spans(home: DataHome, profile: str, folders: Sequence[str]) -> dict[Path, list[tuple[float, float]]]:
    """Where the user heard the sound: per video, the (start, end) of each item accepted into one of
    `folders`. Training looks for the sound there rather than anywhere in the clip (core.training)."""
    heard: dict[Path, list[tuple[float, float]]] = {}
    for answer in AnswerLog(home, profile).answers:
        if answer.answer == ACCEPT and Path(answer.export_folder or "").name in folders:
            heard.setdefault(Path(answer.video), []).append((answer.start, answer.end))
    return heard


def same_occurrence(start: float, end: float, other_start: float, other_end: float) -> bool:
    """Two spans of one file hold the same occurrence when their centres lie closer than the longer span
    or `SEPARATION` (how search and ranking fuse hits)."""
    reach = max(end - start, other_end - other_start, SEPARATION)
    return abs((start + end) - (other_start + other_end)) / 2 < reach - 1e-6


def answer_log_path(home: DataHome, profile: str) -> Path:
    """Where a profile's answers are kept (a profile rename moves the file: core/profiles.py)."""
    return home.root / "review" / f"{_safe(profile)}.json"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "default"


class ReviewSession:
    """A ranked queue and the answers given to it. Answers and undo run on the caller's thread."""

    def __init__(
        self,
        db,
        home: DataHome,
        profile: str,
        export_settings,
        model: str,
        window: float = DEFAULT_WINDOW,
        hop: float = DEFAULT_HOP,
        retrain_every: int = DEFAULT_RETRAIN_EVERY,
        classifier: str | None = None,
    ):
        """`window` and `hop` are the classifier's (training's defaults for a new one); accepted clips are
        `export_settings.length` long."""
        self.db, self.home, self.profile, self.settings = db, home, profile, export_settings
        self.model, self.window, self.hop = model, window, hop
        self.retrain_every = retrain_every
        self.classifier = classifier  # name trained / ranked with; None until the first training
        self.log = AnswerLog(home, profile)
        self.items: list[ReviewItem] = []
        self.answers_since_training = 0
        self._lock = threading.RLock()

    # ---- ranking --------------------------------------------------------------------------------

    def rank_hits(self, regions: Sequence[SimilarRegion]) -> None:
        """Search hits, in their similarity order, as the queue (labelled ones left out)."""
        labelled = self._labelled()
        items = [
            ReviewItem(r.video, r.start, r.end, r.score, "similar")
            for r in regions
            if not labelled(r.video, r.start, r.end)
        ]
        with self._lock:
            self.items = items

    def rank_with_classifier(
        self,
        videos: Sequence,
        length: int = DEFAULT_QUEUE_LENGTH,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """Score the library with `self.classifier` and queue broad matches, uncertain windows and top hits in turn."""
        if self.classifier is None:
            raise FoleycutError("There is no classifier to rank the library with yet: train one first.")
        items = rank_library(self.db, self.home, self.classifier, videos, self._labelled(), length, progress, cancel)
        with self._lock:  # answers given while ranking ran are not asked again
            self.items = [item for item in items if not self.log.covers(item.video, item.start, item.end)]

    def _labelled(self) -> Callable[[Path, float, float], bool]:
        return labelled_check(self.db, self.log, self.profile, Path(self.settings.export_folder).name, self.window)

    def anchor(self, item: ReviewItem) -> float:
        """Start of the clip-length window centred on the item: where accept exports and reject marks."""
        return max(0.0, round((item.start + item.end) / 2 - self.settings.length / 2, 3))

    # ---- answering ------------------------------------------------------------------------------

    def current(self) -> ReviewItem | None:
        with self._lock:
            return self.items[0] if self.items else None

    def answer(self, kind: str, progress: Progress | None = None, cancel: threading.Event | None = None) -> Answer:
        """Answer the current item: ACCEPT (export clips there), REJECT (hard negatives) or SKIP."""
        from core.export import export_marker
        from core.scanning import negative_times_for_region

        with self._lock:
            item = self.current()
            if item is None:
                raise FoleycutError("The review queue is empty: search or train to fill it.")
            if kind not in (ACCEPT, REJECT, SKIP):
                raise ValueError(kind)
            answer = Answer(
                str(item.video.resolve()), item.start, item.end, kind, at=datetime.now().isoformat(timespec="seconds")
            )
            if kind == ACCEPT:
                export_marker(
                    self.db,
                    item.video,
                    self.anchor(item),
                    self.settings,
                    self.profile,
                    progress=progress,
                    cancel=cancel,
                )
                answer.marker_time = self.anchor(item)
                answer.export_folder = str(Path(self.settings.export_folder).resolve())
            elif kind == REJECT:
                windows = negative_times_for_region(item.start, item.end, self.window, self.hop)
                answer.negative_ids = self.db.add_hard_negatives(
                    item.video.name,
                    self.profile,
                    windows,
                    source_path=str(item.video.resolve()),
                    source_model=self.model,
                )
            self.log.append(answer)
            self.items.pop(0)
            if kind != SKIP:
                self.answers_since_training += 1
            return answer

    def undo(self) -> Answer | None:
        """Take the last answer back (its clips or hard negative removed); its item is current again."""
        from core.export import delete_marker

        with self._lock:
            answer = self.log.answers[-1] if self.log.answers else None
            if answer is None:
                return None
            if answer.answer == ACCEPT:
                assert answer.marker_time is not None and answer.export_folder is not None  # an accept records both
                delete_marker(
                    self.db,
                    Path(answer.video).name,
                    self.profile,
                    answer.marker_time,
                    Path(answer.export_folder),
                    source_path=answer.video,
                )
            elif answer.answer == REJECT:
                self.db.delete_hard_negatives_by_ids(answer.negative_ids)
            self.log.pop()
            self.items.insert(
                0, ReviewItem(Path(answer.video), answer.start, answer.end, float("nan"), "answered before")
            )
            if answer.answer != SKIP:
                self.answers_since_training = max(0, self.answers_since_training - 1)
            return answer

    # ---- training -------------------------------------------------------------------------------

    def due_for_training(self) -> bool:
        return self.retrain_every > 0 and self.answers_since_training >= self.retrain_every

    def retrain(self, progress: Progress | None = None, cancel: threading.Event | None = None):
        """A new classifier version on the export folder the accepts went to (hard negatives included);
        it becomes the queue's classifier."""
        from core.training import TrainingOptions, train_classifier

        folder = Path(self.settings.export_folder).name
        options = TrainingOptions(
            profile=self.profile,
            positive_folder=folder,
            model_name=self.model,
            name=self.classifier or folder,
            window=self.window,
            hop=self.hop,
        )
        result = train_classifier(self.db, self.home, options, progress=progress, cancel=cancel)
        with self._lock:
            self.classifier = result.name
            self.answers_since_training = 0
        return result


def labelled_check(
    db, log: AnswerLog, profile: str, positive_folder: str, window: float
) -> Callable[[Path, float, float], bool]:
    """Whether a span [start, end] of a video is labelled already: half covered by a clip of
    `positive_folder`, centred inside the `window`-long window of a hard negative, or answered in the
    review queue."""
    positives: dict[Path, list[tuple[float, float]]] = {}
    if positive_folder in db.get_export_folders(profile, include_scan_exports=True):
        for video in db.get_training_data(profile, positive_folder, include_scan_exports=True):
            positives[Path(video.source_path).resolve()] = video.positives
    negatives: dict[Path, list[float]] = {}
    for row in db.get_hard_negatives(profile):
        if row["source_path"]:
            negatives.setdefault(Path(row["source_path"]).resolve(), []).append(row["start_time"])

    def labelled(video: Path, start: float, end: float) -> bool:
        video, centre = Path(video).resolve(), (start + end) / 2
        covered = any(
            min(end, s + length) - max(start, s) >= (end - start) / 2 for s, length in positives.get(video, [])
        )
        near_negative = any(t <= centre <= t + window for t in negatives.get(video, []))
        return covered or near_negative or log.covers(video, start, end)

    return labelled


def _video_part(progress: Progress, number: int, count: int, name: str) -> Progress:
    """`progress` for embedding the `number`th of `count` videos, named."""
    return lambda f, m: progress((number + f) / count, f"{name}: {m}")


def rank_library(
    db,
    home: DataHome,
    classifier_name: str,
    videos: Sequence,
    labelled: Callable[[Path, float, float], bool],
    length: int = DEFAULT_QUEUE_LENGTH,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> list[ReviewItem]:
    """Broad matches, uncertain windows and top hits of `classifier_name` over `videos`, in turn (module
    docstring)."""
    from core.classifier_store import load_classifier
    from core.scanning import window_probabilities
    from core.window_context import window_features
    from core.window_embeddings import embed_file

    classifier = load_classifier(home, classifier_name)
    meta = classifier.meta
    linear = _linear_ranking(db, home, meta, cancel)
    scored: list[WindowHit] = []
    broad: list[WindowHit] = []
    for number, video in enumerate(map(Path, videos)):
        check_cancel(cancel)
        try:
            embeddings = embed_file(
                video,
                meta.embedding_model,
                home,
                meta.window,
                meta.hop,
                cancel=cancel,
                progress=None if progress is None else _video_part(progress, number, len(videos), video.name),
            )
        except Cancelled:
            raise
        except FoleycutError:
            continue  # a file that cannot be embedded has nothing to review
        probabilities = window_probabilities(classifier, embeddings, video)
        resolved = video.resolve()
        unlabelled = np.array(
            [not labelled(resolved, float(t), float(t) + meta.window) for t in embeddings.times], dtype=bool
        )
        times = embeddings.times[unlabelled].tolist()
        scored += [WindowHit(resolved, t, float(p)) for t, p in zip(times, probabilities[unlabelled])]
        if linear is not None:
            features = window_features(embeddings.vectors, meta.hop, meta.feature_set)[unlabelled]
            broad += [WindowHit(resolved, t, float(s)) for t, s in zip(times, linear.score(features))]
    # One item per occurrence, at its best window: a peak of the probabilities lies on the sound, where an
    # arbitrary window scoring near the threshold often holds only its edge (and an accept there would
    # teach the classifier the neighbouring sounds as positives).
    peaks = fuse_hits(scored, meta.window, separation=SEPARATION)
    top_hits = [ReviewItem(r.video, r.start, r.end, r.score, "top hit") for r in peaks]
    unsure = [
        ReviewItem(r.video, r.start, r.end, r.score, "uncertain")
        for r in sorted(peaks, key=lambda r: abs(r.score - meta.threshold))
    ]
    probability = {(hit.path, hit.start): hit.score for hit in scored}
    broad_matches = [
        ReviewItem(r.video, r.start, r.end, probability[r.video, r.start], "broad match")
        for r in fuse_hits(broad, meta.window, separation=SEPARATION)
    ]
    return _in_turn([broad_matches, unsure, top_hits], length)


def _linear_ranking(
    db, home: DataHome, meta: ClassifierVersion, cancel: threading.Event | None
) -> LinearRanking | None:
    """The broad view (core.linear_ranking) of the labels `meta`'s classifier would learn from now; None
    where they cannot be gathered (its export folder emptied meanwhile, say): the queue then has two lists."""
    from core.linear_ranking import fit_linear_ranking
    from core.training import labelled_training_windows, options_of

    try:
        return fit_linear_ranking(labelled_training_windows(db, home, options_of(meta), cancel))
    except Cancelled:
        raise
    except FoleycutError:
        return None


def _in_turn(lists: list[list[ReviewItem]], limit: int) -> list[ReviewItem]:
    """One item from each list in turn, an occurrence another list gave already left out."""
    queue: list[ReviewItem] = []
    sources = [iter(items) for items in lists]
    turn = 0
    while len(queue) < limit and sources:
        source = sources[turn % len(sources)]
        item = next(source, None)
        if item is None:
            sources.remove(source)
            continue
        if any(q.video == item.video and same_occurrence(q.start, q.end, item.start, item.end) for q in queue):
            continue  # another list gave this occurrence
        queue.append(item)
        turn += 1
    return queue
