"""Find similar sounds and the review queue inside the main window: two docks, Scan-menu actions, wiring.

`SearchWorkbench(window)` is the only code here that knows the main window. The library searched is the
playlist plus every video the database knows. Indexing, searching, ranking, accepting (an export) and
retraining run through ui/background.py; rejects, skips and undo are instant and run on the UI thread.
Every item that becomes current is played from its start.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QInputDialog

from core.classifier_store import list_classifiers, load_classifier
from core.defaults import DEFAULT_HOP, DEFAULT_RETRAIN_EVERY, DEFAULT_WINDOW
from core.embedding_models import list_models
from core.errors import FoleycutError
from core.library_index import LibraryIndex, known_videos
from core.review_queue import ACCEPT, REJECT, ReviewSession
from core.similarity_search import (
    DEFAULT_EXAMPLE_SECONDS,
    example_from_clip,
    example_from_video,
    find_similar,
    open_index,
)
from ui.background import BackgroundTask, run_in_background
from ui.review_queue_panel import ReviewQueuePanel
from ui.similar_sounds_panel import SimilarSoundsPanel

REPLAY_SEEK_MS = 300


class SearchWorkbench(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.session: ReviewSession | None = None
        self._indexes: dict[str, LibraryIndex] = {}
        self._search_task: BackgroundTask | None = None
        self._answer_task: BackgroundTask | None = None
        self._training_task: BackgroundTask | None = None

        self.similar = SimilarSoundsPanel([model.name for model in list_models(window.home)])
        self.review = ReviewQueuePanel()
        self.review.retrain_spin.setValue(
            window.settings.value("review/retrain_every", DEFAULT_RETRAIN_EVERY, type=int)
        )
        self.similar_dock = self._dock("Similar sounds", "similarSoundsDock", self.similar)
        self.review_dock = self._dock("Review queue", "reviewQueueDock", self.review)
        window.tabifyDockWidget(self.similar_dock, self.review_dock)
        self.similar_dock.raise_()
        self._add_menu_actions(window.scan_menu)
        self._connect()

    def _dock(self, title: str, name: str, widget) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)  # lets QMainWindow.saveState remember where it sits
        dock.setWidget(widget)
        self.window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock

    def _add_menu_actions(self, menu) -> None:
        menu.addSeparator()
        self.find_action = QAction("Find si&milar sounds", self.window)
        self.find_action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        self.find_action.triggered.connect(self.search_at_cursor)
        self.find_clip_action = QAction("Find similar to a c&lip…", self.window)
        self.find_clip_action.triggered.connect(self.search_clip)
        self.review_queue_action = QAction("Re&view queue from a classifier…", self.window)
        self.review_queue_action.triggered.connect(self.review_with_classifier)
        self.index_action = QAction("&Index the library for search", self.window)
        self.index_action.setToolTip(
            "Embed every video of the playlist and the database now, in the background, so the first search is quick"
        )
        self.index_action.triggered.connect(self.index_library)
        for act in (self.find_action, self.find_clip_action, self.review_queue_action, self.index_action):
            menu.addAction(act)
        for dock, text in ((self.similar_dock, "Show similar-sounds panel"), (self.review_dock, "Show review queue")):
            toggle = dock.toggleViewAction()
            toggle.setText(text)
            menu.addAction(toggle)

    def _connect(self) -> None:
        self.similar.search_at_cursor_requested.connect(self.search_at_cursor)
        self.window.timeline.find_similar_requested.connect(self.search_range)
        self.similar.search_clip_requested.connect(self.search_clip)
        self.similar.review_requested.connect(self.review_hits)
        self.similar.hit_selected.connect(lambda region: self.play(region.video, region.start))
        self.review.answered.connect(self.answer)
        self.review.undo_requested.connect(self.undo)
        self.review.replay_requested.connect(self._play_current)
        self.review.retrain_every_changed.connect(self._set_retrain_every)

    # --- the library -------------------------------------------------------------------------------

    def library(self) -> list[Path]:
        window = self.window
        videos = [*window.playlist_paths(), *known_videos(window.db, window.profile)]
        if window.current_video is not None:
            videos.append(window.current_video)
        return list(dict.fromkeys(Path(v).resolve() for v in videos))

    def _index(self, model: str) -> LibraryIndex:
        if model not in self._indexes:  # kept open: reloading a large index costs a disk read per search
            self._indexes[model] = open_index(self.window.home, model)
        return self._indexes[model]

    def index_library(self) -> None:
        if self._search_task is not None:
            return
        index, library = self._index(self.similar.model()), self.library()
        self.similar.set_busy(True, f"Indexing {len(library)} video(s)…")
        self._search_task = run_in_background(
            lambda progress, cancel: index.sync(library, progress, cancel),
            on_success=lambda report: self.similar.status_label.setText(
                f"Library indexed: {len(index)} windows of {len(index.files())} file(s)"
                + (f"; {len(report.failed)} skipped" if report.failed else "")
                + "."
            ),
            on_failure=self.window.show_error,
            on_finished=self._on_search_finished,
        )
        self.window.show_task(self._search_task, "Indexing the library for search")

    # --- find similar ------------------------------------------------------------------------------

    def example_span(self) -> tuple[float, float]:
        """The time range selected on the timeline, else the enabled scan region under the cursor, else the
        sound starting at the cursor."""
        selected = self.window.timeline.selected_range()
        if selected is not None:
            return selected
        cursor = self.window.player.position()
        for region in self.window.timeline.scan_regions():
            if not region.disabled and region.start <= cursor <= region.end:
                return region.start, region.end
        return cursor, cursor + DEFAULT_EXAMPLE_SECONDS

    def search_at_cursor(self) -> None:
        self.search_range(*self.example_span())

    def search_range(self, start: float, end: float) -> None:
        video = self.window.current_video
        if video is None:
            self.window.show_error("No video loaded: open one and put the cursor on the sound to look for.")
            return
        model, home = self.similar.model(), self.window.home
        self._search(
            lambda progress, cancel: example_from_video(
                home, video, start, end - start, model, progress=progress, cancel=cancel
            ),
            SimilarSoundsPanel.example_label(Path(video), start, end),
            model,
        )

    def search_clip(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window,
            "Find sounds like this clip",
            "",
            "Clips (*.mp4 *.wav *.mov *.mkv *.m4a *.mp3 *.flac);;All files (*)",
        )
        if path:
            self.search_with_clip(Path(path))

    def search_with_clip(self, clip: Path) -> None:
        model, home = self.similar.model(), self.window.home
        self._search(lambda _progress, _cancel: example_from_clip(home, clip, model), clip.name, model)

    def _search(self, make_example, label: str, model: str) -> None:
        if self._search_task is not None:
            return
        index, library, top = self._index(model), self.library(), self.similar.top()

        def work(progress, cancel):
            example = make_example(progress, cancel)
            report = index.sync(library, progress, cancel)
            return find_similar(index, example, top, only=library), report.failed

        self.similar.set_busy(True, f"Searching the library for {label}…")
        self.similar_dock.raise_()
        self._search_task = run_in_background(
            work,
            on_success=lambda result: self._on_searched(result, label),
            on_failure=lambda message: (self.similar.set_busy(False, message), self.window.show_error(message)),
            on_cancelled=lambda: self.similar.set_busy(False, "Search cancelled."),
            on_finished=self._on_search_finished,
        )
        self.window.show_task(self._search_task, "Finding similar sounds")

    def _on_searched(self, result, label: str) -> None:
        regions, failed = result
        self.similar.show_results(regions, label)
        if failed:
            self.similar.status_label.setText(
                self.similar.status_label.text()
                + f" {len(failed)} file(s) skipped: "
                + "; ".join(f"{path.name}: {why}" for path, why in failed[:3])
            )

    def _on_search_finished(self) -> None:
        self._search_task = None
        self.similar.set_busy(False)

    # --- the review queue --------------------------------------------------------------------------

    def _new_session(self, model: str, window_length: float, hop: float, classifier: str | None) -> bool:
        try:
            settings = self.window.export_panel.settings()
        except FoleycutError as exc:
            self.window.show_error(f"{exc} Accepting exports clips there, as E does.")
            return False
        self.session = ReviewSession(
            self.window.db,
            self.window.home,
            self.window.profile,
            settings,
            model,
            window_length,
            hop,
            self.review.retrain_spin.value(),
            classifier,
        )
        return True

    def review_hits(self) -> None:
        """The similar-sounds hits as a queue: the first training happens after the first N answers."""
        regions = self.similar.regions()
        if not regions or not self._new_session(self.similar.model(), DEFAULT_WINDOW, DEFAULT_HOP, None):
            return
        self.session.rank_hits(regions)
        self._show_queue(f"From the search; the first classifier trains after {self.session.retrain_every} answers.")
        self._start_reviewing()

    def review_with_classifier(self) -> None:
        names = [info.name for info in list_classifiers(self.window.home)]
        if not names:
            self.window.show_error("No classifier yet: review search hits first, or train one (Scan ▸ Train).")
            return
        name, ok = QInputDialog.getItem(self.window, "Review queue", "Rank the library with:", names, 0, False)
        if ok:
            self.review_with(name)

    def review_with(self, name: str) -> None:
        try:
            meta = load_classifier(self.window.home, name).meta
        except FoleycutError as exc:
            self.window.show_error(str(exc))
            return
        if self._new_session(meta.embedding_model, meta.window, meta.hop, name):
            self._rerank(f"Ranking the library with {name}…")

    def _rerank(self, message: str) -> None:
        session, library = self.session, self.library()
        self._show_queue(message)

        def work(progress, cancel):
            session.rank_with_classifier(library, progress=progress, cancel=cancel)

        task = run_in_background(
            work, on_success=lambda _none: self._on_ranked(session), on_failure=self.window.show_error
        )
        self.window.show_task(task, "Ranking the review queue")

    def _on_ranked(self, session: ReviewSession) -> None:
        if session is self.session:
            self._show_queue(
                f"Ranked with {session.classifier}: broad matches, uncertain windows and top hits, in turn."
            )
            self._start_reviewing()

    def _start_reviewing(self) -> None:
        self.review_dock.raise_()
        self.review.setFocus()
        self._play_current()

    def answer(self, kind: str) -> None:
        session = self.session
        if session is None or self._answer_task is not None:
            return
        if kind != ACCEPT:
            try:
                session.answer(kind)
            except FoleycutError as exc:
                self.window.show_error(str(exc))
            else:
                if kind == REJECT:  # a rejected hit is stored as hard negatives
                    self.window.changes.negatives.emit()
            self._after_answer()
            return

        def work(progress, cancel):
            return session.answer(ACCEPT, progress, cancel)

        self.review.set_busy(True)
        self._answer_task = run_in_background(
            work,
            on_success=lambda _answer: (self.window.changes.clips.emit(), self._after_answer()),
            on_failure=self.window.show_error,
            on_finished=self._on_answer_finished,
        )
        self.window.show_task(self._answer_task, "Exporting the accepted clip(s)")

    def _on_answer_finished(self) -> None:
        self._answer_task = None
        self.review.set_busy(False)

    def undo(self) -> None:
        if self.session is None or self._answer_task is not None:
            return
        try:
            answer = self.session.undo()
        except FoleycutError as exc:
            self.window.show_error(str(exc))
            return
        if answer is not None:
            self.window.changes.clips.emit()
            self.window.changes.negatives.emit()
            self._show_queue(f"Took back {answer.answer} of {Path(answer.video).name}.")
            self._play_current()

    def _after_answer(self) -> None:
        self._show_queue("")
        self._play_current()
        if self.session.due_for_training() and self._training_task is None:
            self._retrain()

    def _retrain(self) -> None:
        session, library = self.session, self.library()

        def work(progress, cancel):
            result = session.retrain(progress, cancel)
            session.rank_with_classifier(library, progress=progress, cancel=cancel)
            return result

        self._training_task = run_in_background(
            work,
            on_success=lambda result: self._on_retrained(session, result),
            on_failure=lambda message: self._show_queue(f"Retraining failed: {message}"),
            on_finished=lambda: setattr(self, "_training_task", None),
        )
        self.window.show_task(self._training_task, "Retraining from your answers")
        self._show_queue("Retraining in the background; keep answering.")

    def _on_retrained(self, session: ReviewSession, result) -> None:
        if session is not self.session:
            return
        metrics = result.metrics
        self._show_queue(
            f"Retrained {result.name} (precision {metrics['precision']:.2f}, recall "
            f"{metrics['recall']:.2f}); the queue is re-ranked."
        )
        self._play_current()

    def _set_retrain_every(self, value: int) -> None:
        self.window.settings.setValue("review/retrain_every", value)
        if self.session is not None:
            self.session.retrain_every = value

    def _show_queue(self, status: str) -> None:
        session = self.session
        items = [] if session is None else list(session.items)
        answered = 0 if session is None else len(session.log.answers)
        self.review.show_queue(items, answered, status, can_undo=answered > 0)

    # --- playing -----------------------------------------------------------------------------------

    def _play_current(self) -> None:
        item = None if self.session is None else self.session.current()
        if item is not None:
            self.play(item.video, item.start)

    def play(self, video: Path, start: float) -> None:
        window = self.window
        if window.current_video is None or Path(window.current_video).resolve() != Path(video).resolve():
            window.load_video(Path(video))
        window.seek(start)
        # The player runs its backend calls from the event loop (ui/player.py), and a backend still opening a
        # file drops seeks: start playing after the queued load, and seek again once it has had time to open.
        QTimer.singleShot(0, self._start_playing)
        QTimer.singleShot(REPLAY_SEEK_MS, lambda: self._seek_if_elsewhere(Path(video), start))

    def _start_playing(self) -> None:
        if self.window.current_video is not None and not self.window.player.is_playing():
            self.window.player.toggle_play()

    def _seek_if_elsewhere(self, video: Path, start: float) -> None:
        window = self.window
        if (
            window.current_video is not None
            and Path(window.current_video).resolve() == video.resolve()
            and not start <= window.player.position() <= start + REPLAY_SEEK_MS / 1000 + 0.5
        ):
            window.seek(start)
