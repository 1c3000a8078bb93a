"""Scanning and training inside the main window: the scan dock, the Scan menu, and the wiring between them.

`ScanWorkbench(window)` is the only code that knows the main window. It docks the scan controls and the
ScanResultsPanel, adds the Scan menu actions, and connects: loaded video -> panel, panel edits -> timeline,
Shift+drag on the timeline -> undoable resize, picked region -> seek. Scans and exports run through
ui/background.py; Scan All shows each file's results as soon as that file is done, and skips files already
scanned with the same classifier version and threshold unless "Rescan scanned files" is ticked. Auto
scans the playlist the same way, merges each file's regions across the fuse gap, drops those shorter than
a clip and exports the rest at the dock's spread (core/auto_export.py).

The threshold starts at the operating point stored with the chosen classifier version. The current
video's per-window probabilities (from its last scan, else from the embedding cache) are drawn on the
timeline; moving the threshold (its field, or dragging its line on the timeline) re-fuses them at once,
and letting go stores the result as a new scan version, without embedding anything again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.auto_export import auto_export
from core.classifier_store import (
    ClassifierVersion,
    active_version,
    list_classifiers,
    list_versions,
    load_classifier,
    rollback,
)
from core.defaults import DEFAULT_MERGE_GAP, DEFAULT_THRESHOLD
from core.errors import FoleycutError
from core.export import export_scan_regions
from core.scanning import ScanOptions, WindowScores, scan_file, scan_files, window_probabilities
from core.speech import detect_speech
from core.window_embeddings import cached_embeddings
from ui.background import BackgroundTask, run_in_background
from ui.hard_negatives_dialog import HardNegativesDialog
from ui.scan_results_panel import ScanResultsPanel
from ui.shortcuts import key_sequences
from ui.timeline import TimelineRegion
from ui.train_dialog import TrainDialog
from ui.wording import VERSION_ID_FORMAT, plural, skipped

DOCK_WIDTH = 380  # px: a version label "2026-04-19 14:30 (12 regions, best: 0.95)" fits whole


def classifier_version_label(meta, active: str) -> str:
    """'2026-04-19 14:30 · P 0.91 R 0.84 (active)' from a ClassifierVersion."""
    when = meta.created.replace("T", " ")[:16]
    metrics = meta.metrics
    scores = (
        f" · P {metrics['precision']:.2f} R {metrics['recall']:.2f}"
        if "precision" in metrics and "recall" in metrics
        else ""
    )
    return f"{when}{scores}{' (active)' if meta.version == active else ''}"


class ScanControls(QWidget):
    """Which classifier (and version) to scan with, the threshold, Scan / Scan All / Cancel, progress."""

    scan_requested = Signal()
    threshold_chosen = Signal(float)  # the user settled on another threshold (not when a classifier sets it)
    scan_all_requested = Signal()
    auto_requested = Signal()
    cancel_requested = Signal()
    selection_changed = Signal()  # another classifier or version was chosen (or none is left)

    def __init__(self, home, parent: QWidget | None = None):
        super().__init__(parent)
        self._home = home
        self._versions: dict[str, ClassifierVersion] = {}  # of the chosen classifier, by version
        self.classifier_combo = QComboBox()
        self.classifier_combo.currentIndexChanged.connect(self._fill_versions)
        self.version_combo = QComboBox()
        self.version_combo.currentIndexChanged.connect(self._on_version_chosen)
        self.version_combo.setToolTip("Scan with an older version; 'Roll Back' makes it the active one")
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.01, 0.99)
        self.threshold_spin.setSingleStep(0.05)
        self.threshold_spin.setValue(DEFAULT_THRESHOLD)
        self.threshold_spin.setToolTip(
            "Windows scoring at least this much become regions; it starts at the "
            "classifier version's own (chosen in training). Drag the line on the "
            "timeline to try others."
        )
        self.threshold_spin.editingFinished.connect(lambda: self.threshold_chosen.emit(self.threshold()))
        self.trained_threshold_button = QToolButton()
        self.trained_threshold_button.setText("Trained")
        self.trained_threshold_button.setToolTip("Back to the threshold chosen when this version was trained")
        self.trained_threshold_button.clicked.connect(self._use_trained_threshold)
        self.scan_button = QPushButton("Scan")
        self.scan_button.setToolTip("Scan the current video")
        self.scan_button.clicked.connect(self.scan_requested)
        self.scan_all_button = QPushButton("Scan All")
        self.scan_all_button.setToolTip("Scan every video in the playlist")
        self.scan_all_button.clicked.connect(self.scan_all_requested)
        self.auto_button = QPushButton("Auto")
        self.auto_button.setToolTip(
            "Scan every video in the playlist, merge regions closer than the fuse gap, "
            "drop those shorter than a clip and export the rest at the spread"
        )
        self.auto_button.clicked.connect(self.auto_requested)
        self.force_check = QCheckBox("Rescan scanned files")
        self.force_check.setToolTip(
            "Scan All and Auto skip files whose latest scan used this classifier version "
            "and threshold; tick to scan them again"
        )
        self.show_speech_check = QCheckBox("Mark speech")
        self.show_speech_check.setToolTip(
            "Find where people speak in the loaded video (Silero VAD, offline) and "
            "mark it with a violet strip on the timeline"
        )
        self.skip_speech_check = QCheckBox("Leave speech out of scans")
        self.skip_speech_check.setToolTip("Scans drop regions that lie mostly in speech")
        self.merge_gap_spin = QDoubleSpinBox()
        self.merge_gap_spin.setRange(0.0, 600.0)
        self.merge_gap_spin.setSingleStep(0.5)
        self.merge_gap_spin.setValue(DEFAULT_MERGE_GAP)
        self.merge_gap_spin.setSuffix(" s")
        self.merge_gap_spin.setToolTip("Auto fuses regions less than this far apart before exporting")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.cancel_button.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Classifier:", self.classifier_combo)
        form.addRow("Version:", self.version_combo)
        threshold_row = QHBoxLayout()
        threshold_row.addWidget(self.threshold_spin, 1)
        threshold_row.addWidget(self.trained_threshold_button)
        form.addRow("Threshold:", threshold_row)
        form.addRow("Fuse gap:", self.merge_gap_spin)
        form.addRow("", self.force_check)
        speech_row = QHBoxLayout()
        speech_row.addWidget(self.show_speech_check)
        speech_row.addWidget(self.skip_speech_check)
        speech_row.addStretch(1)
        form.addRow("Speech:", speech_row)
        buttons = QHBoxLayout()
        for button in (self.scan_button, self.scan_all_button, self.auto_button, self.cancel_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        self.refresh_classifiers()

    def refresh_classifiers(self, select: str | None = None) -> None:
        chosen = select or self.classifier_name()
        infos = list_classifiers(self._home)
        self.classifier_combo.blockSignals(True)
        self.classifier_combo.clear()
        for info in infos:
            self.classifier_combo.addItem(f"{info.name} ({info.embedding_model})", info.name)
        self.classifier_combo.setCurrentIndex(max(0, self.classifier_combo.findData(chosen)))
        self.classifier_combo.blockSignals(False)
        self._fill_versions()

    def _fill_versions(self, *_args) -> None:
        name = self.classifier_name()
        self._versions = {meta.version: meta for meta in list_versions(self._home, name)} if name else {}
        with QSignalBlocker(self.version_combo):
            self.version_combo.clear()
            if name:
                active = active_version(self._home, name)
                for meta in self._versions.values():
                    self.version_combo.addItem(classifier_version_label(meta, active), meta.version)
                self.version_combo.setCurrentIndex(max(0, self.version_combo.findData(active)))
        self.set_busy(False)
        self._on_version_chosen()

    def _on_version_chosen(self, *_args) -> None:
        meta = self.chosen_meta()
        if meta is not None:
            with QSignalBlocker(self.threshold_spin):
                self.threshold_spin.setValue(meta.threshold)
            self.trained_threshold_button.setToolTip(
                f"Back to {meta.threshold:.2f}, the threshold chosen when this version was trained"
            )
        self.selection_changed.emit()

    def _use_trained_threshold(self) -> None:
        meta = self.chosen_meta()
        if meta is not None and abs(meta.threshold - self.threshold()) > 1e-9:
            self.set_threshold(meta.threshold)
            self.threshold_chosen.emit(self.threshold())

    def set_threshold(self, threshold: float) -> None:
        """Show another threshold without it counting as the user's edit (threshold_chosen is not sent)."""
        with QSignalBlocker(self.threshold_spin):
            self.threshold_spin.setValue(threshold)

    def classifier_name(self) -> str | None:
        return self.classifier_combo.currentData()

    def version(self) -> str | None:
        return self.version_combo.currentData()

    def chosen_meta(self) -> ClassifierVersion | None:
        return self._versions.get(self.version())

    def threshold(self) -> float:
        return self.threshold_spin.value()

    def set_busy(self, busy: bool) -> None:
        ready = not busy and self.classifier_name() is not None
        self.scan_button.setEnabled(ready)
        self.scan_all_button.setEnabled(ready)
        self.auto_button.setEnabled(ready)
        self.trained_threshold_button.setEnabled(ready)
        self.cancel_button.setVisible(busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setValue(0)
        elif self.classifier_name() is None:
            self.status_label.setText("No classifier yet: train one (Scan ▸ Train classifier…).")

    def show_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.status_label.setText(message)


class _FileDoneRelay(QObject):
    """Carries Scan All's per-file outcomes from the worker thread to the UI thread (queued signal)."""

    file_done = Signal(object, object, object)  # video Path, ScanOutcome or None, error or None


class ScanWorkbench(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._task: BackgroundTask | None = None
        self._export_task: BackgroundTask | None = None  # apart from scans: both may run at once
        self._skipped: list[str] = []  # Scan All: files that could not be scanned, with why
        self._up_to_date = 0  # Scan All: files already scanned with these settings, not scanned again
        self._found: list[str] = []  # per scanned file: how many regions, and whether it was a new version
        self._scan_started = ""
        self._scores: dict[str, tuple[ClassifierVersion, WindowScores]] = {}  # by video path
        self.train_dialog: TrainDialog | None = None

        self.controls = ScanControls(window.home)
        self.panel = ScanResultsPanel(window.db, window.profile)
        dock_body = QWidget()
        body = QVBoxLayout(dock_body)
        body.addWidget(self.controls)
        body.addWidget(self.panel, 1)
        self.dock = QDockWidget("Scan", window)
        self.dock.setObjectName("scan_dock")  # lets QMainWindow.saveState remember where it sits
        self.dock.setWidget(dock_body)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        # A dock already on the right (export controls) would leave the region table a few rows high:
        # stand beside it at full height instead of below it.
        neighbour = next(
            (
                d
                for d in window.findChildren(QDockWidget)
                if d is not self.dock and window.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea
            ),
            None,
        )
        if neighbour is not None:
            window.splitDockWidget(neighbour, self.dock, Qt.Orientation.Horizontal)
        window.resizeDocks([self.dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)

        self._relay = _FileDoneRelay(self)
        self._relay.file_done.connect(self._on_file_scanned)
        self._add_menu_actions(window.scan_menu)
        self._keep_choices(window.settings)
        self._connect(window)
        if window.current_video is not None:
            self._on_video_loaded(window.current_video)

    def _add_menu_actions(self, menu) -> None:
        def action(text: str, slot, shortcut: str | None = None) -> QAction:
            act = QAction(text, self.window)
            if shortcut:
                act.setShortcuts(key_sequences(shortcut))
            act.triggered.connect(slot)
            menu.addAction(act)
            return act

        self.train_action = action("&Train classifier…", self.open_train_dialog, "train")
        self.negatives_action = action("&Hard negatives…", self.open_hard_negatives)
        menu.addSeparator()
        self.scan_action = action("&Scan current file", self.scan_current, "scan")
        self.scan_all_action = action("Scan &all files", self.scan_all, "scan_all")
        self.auto_action = action("A&uto: scan all and export", self.auto)
        self.cancel_action = action("&Cancel scan", self.cancel_scan)
        self.rollback_action = action("&Roll back to the chosen version and rescan", self.rollback_and_rescan)
        self.toggle_dock_action = self.dock.toggleViewAction()
        self.toggle_dock_action.setText("Show scan &panel")
        menu.addAction(self.toggle_dock_action)
        # Undo / Redo lead the Edit menu; Ctrl+Z must reach the scan edits also after a Shift+drag on the
        # timeline, outside the dock.
        edit_menu = self.window.edit_menu
        first = edit_menu.actions()[0] if edit_menu.actions() else None
        for act in (self.panel.undo_action, self.panel.redo_action):
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            edit_menu.insertAction(first, act)
        edit_menu.insertSeparator(first)
        self._set_busy(False)

    def _keep_choices(self, settings) -> None:
        """Classifier and export spread/minimum length as the user last left them (the threshold follows
        the classifier version)."""
        remembered = (
            (self.panel.spread_spin, "scan/export_spread"),
            (self.panel.min_length_spin, "scan/export_min_length"),
            (self.controls.merge_gap_spin, "scan/merge_gap"),
        )
        for spin, key in remembered:
            spin.setValue(settings.value(key, spin.value(), type=float))
            spin.valueChanged.connect(lambda value, key=key: settings.setValue(key, value))
        for box, key in (
            (self.controls.show_speech_check, "scan/show_speech"),
            (self.controls.skip_speech_check, "scan/skip_speech"),
        ):
            box.setChecked(settings.value(key, False, type=bool))
            box.toggled.connect(lambda on, key=key: settings.setValue(key, on))
        last = settings.value("scan/classifier", "", type=str)
        if last:
            self.controls.refresh_classifiers(select=last)
        self.controls.selection_changed.connect(
            lambda: settings.setValue("scan/classifier", self.controls.classifier_name() or "")
        )

    def _connect(self, window) -> None:
        window.changes.clips.connect(self._mark_exported_regions)
        window.changes.scans.connect(self.panel.add_scan_results)
        window.changes.classifiers.connect(lambda name: self.controls.refresh_classifiers(select=name))
        self.panel.negatives_changed.connect(window.changes.negatives)
        window.video_loaded.connect(self._on_video_loaded)
        window.profile_changed.connect(self.panel.set_profile)
        window.profile_changed.connect(self._mark_exported_regions)
        window.export_panel.folder_edit.textChanged.connect(self._mark_exported_regions)
        self.panel.region_selected.connect(window.timeline.set_selected_region)
        window.timeline.region_resized.connect(self.panel.resize_region)
        window.timeline.region_clicked.connect(self.panel.select_region)
        self.panel.regions_edited.connect(self._show_regions_on_timeline)
        self.panel.region_activated.connect(window.seek)
        self.panel.export_requested.connect(self.export_regions)
        self.panel.message.connect(lambda text: window.statusBar().showMessage(text, 5000))
        self.controls.scan_requested.connect(self.scan_current)
        self.controls.scan_all_requested.connect(self.scan_all)
        self.controls.auto_requested.connect(self.auto)
        self.controls.show_speech_check.toggled.connect(self._show_speech)
        self.controls.cancel_requested.connect(self.cancel_scan)
        self.controls.selection_changed.connect(self._on_classifier_chosen)
        self.controls.threshold_spin.valueChanged.connect(self._preview_threshold)
        self.controls.threshold_chosen.connect(self._store_threshold)
        window.timeline.threshold_dragged.connect(self._on_threshold_dragged)
        window.timeline.threshold_chosen.connect(self._on_threshold_dropped)
        window.export_panel.settings_changed.connect(self._follow_clip_length)
        self._follow_clip_length()

    # --- panel <-> window ------------------------------------------------------------------------

    def _on_video_loaded(self, path) -> None:
        if path is None:
            self.panel.clear()
            self._show_scores()
            self.window.timeline.set_speech([])
            return
        video = Path(path)
        self.panel.load_for_file(video.name, str(video))
        self._mark_exported_regions()
        self._show_scores()
        self._load_scores(video)
        self._show_speech()

    def _mark_exported_regions(self, *_args) -> None:
        """Tell the panel which scan-export clips of this video already lie in the chosen export folder."""
        video, folder = self.window.current_video, self.window.export_panel.export_folder()
        clips = (
            [] if video is None or folder is None else self.window.db.get_clips(Path(video).name, self.window.profile)
        )
        self.panel.set_exported_clip_starts(
            [  # a scan-export clip's marker time is its region's start
                clip["marker_time"]
                for clip in clips
                if clip["scan_export"] and Path(clip["export_folder"]).name == folder.name
            ]
        )

    def _follow_clip_length(self) -> None:
        """Scan exports cut clips of the export panel's length: the estimate on the button uses it too."""
        self.panel.set_clip_length(self.window.export_panel.highlight_settings().length)

    def _show_regions_on_timeline(self) -> None:
        self.window.timeline.set_scan_regions(
            [
                TimelineRegion(r.id, r.start, r.end, r.score, r.disabled, r.original_start, r.original_end)
                for r in self.panel.current_regions()
            ]
        )

    # --- speech ------------------------------------------------------------------------------------

    def _show_speech(self, *_args) -> None:
        """The loaded video's speech on the timeline while "Mark speech" is ticked (found in the background,
        cached per file in the data home)."""
        video, home = self.window.current_video, self.window.home
        self.window.timeline.set_speech([])
        if video is None or not self.controls.show_speech_check.isChecked():
            return

        def shown(segments) -> None:
            if self.window.current_video == video and self.controls.show_speech_check.isChecked():
                self.window.timeline.set_speech([(s.start, s.end) for s in segments])
                self.window.show_message(f"{Path(video).name}: {plural(len(segments), 'speech segment')}.")

        run_in_background(
            lambda progress, cancel: detect_speech(video, home, progress=progress, cancel=cancel),
            on_success=shown,
            on_failure=self.window.show_error,
        )

    # --- the score curve and the threshold ---------------------------------------------------------

    def _current_scores(self) -> WindowScores | None:
        """The current video's window probabilities, if they are those of the chosen classifier version."""
        video, meta = self.window.current_video, self.controls.chosen_meta()
        entry = self._scores.get(str(video)) if video is not None else None
        if entry is None or meta is None or (entry[0].name, entry[0].version) != (meta.name, meta.version):
            return None
        return entry[1]

    def _show_scores(self) -> None:
        scores = self._current_scores()
        timeline = self.window.timeline
        if scores is None:
            timeline.set_scores([], [], 0.0)
            timeline.set_threshold(None)
        else:
            timeline.set_scores(scores.times, scores.probabilities, scores.window)
            timeline.set_threshold(self.controls.threshold())

    def _load_scores(self, video: Path) -> None:
        """The curve of a video scanned before (or embedded for training): from the embedding cache, so
        only the classifier runs; nothing is shown for a video never embedded with this model."""
        meta, home = self.controls.chosen_meta(), self.window.home
        if meta is None or str(video) in self._scores and self._scores[str(video)][0] == meta:
            return

        def work(_progress, _cancel):
            embeddings = cached_embeddings(video, meta.embedding_model, home, meta.window, meta.hop)
            if embeddings is None:
                return None
            classifier = load_classifier(home, meta.name, meta.version)
            probabilities = window_probabilities(classifier, embeddings, video)
            return WindowScores(embeddings.times, probabilities, meta.window, meta.hop)

        def loaded(scores) -> None:
            if scores is not None:
                self._scores[str(video)] = (meta, scores)
                self._show_scores()

        run_in_background(work, on_success=loaded)  # a failure only means no curve: the scan says why

    def _preview_threshold(self, threshold: float) -> None:
        """Regions at another threshold, on the timeline only, at once (nothing stored yet)."""
        scores = self._current_scores()
        if scores is None:
            return
        self.window.timeline.set_threshold(threshold)
        self.window.timeline.set_scan_regions(
            [
                TimelineRegion(-index, region.start, region.end, region.score)
                for index, region in enumerate(scores.regions(threshold), start=1)
            ]
        )

    def _on_threshold_dragged(self, threshold: float) -> None:
        self.controls.set_threshold(threshold)
        self._preview_threshold(threshold)

    def _on_threshold_dropped(self, threshold: float) -> None:
        self.controls.set_threshold(threshold)
        self._store_threshold(threshold)

    def _store_threshold(self, threshold: float) -> None:
        """Keep the regions at the chosen threshold as the video's newest scan version."""
        scores, video, meta = self._current_scores(), self.window.current_video, self.controls.chosen_meta()
        if scores is None or self._task is not None:
            return
        regions = scores.regions(threshold)
        self.window.timeline.set_threshold(threshold)
        self.window.db.save_scan_results(
            Path(video).name,
            self.window.profile,
            meta.embedding_model,
            regions,
            classifier=meta.name,
            source_path=video,
            classifier_version=meta.version,
            threshold=threshold,
        )
        self.panel.add_scan_results(Path(video).name, meta.embedding_model)
        self.window.show_message(f"{Path(video).name}: {plural(len(regions), 'region')} at threshold {threshold:.2f}.")

    # --- exporting scan regions --------------------------------------------------------------------

    def export_regions(self, regions) -> None:
        """Cut clips from the enabled regions (the panel already dropped those under its minimum length)
        with the export panel's settings and the scan dock's spread."""
        video = self.window.current_video
        if video is None or self._export_task is not None:
            return
        try:
            settings = replace(self.window.export_panel.settings(), spread=self.panel.spread_spin.value())
        except FoleycutError as exc:
            self.window.show_error(str(exc))
            return
        db, profile = self.window.db, self.window.profile
        spans = [(region.start, region.end) for region in regions]

        def work(progress, cancel):
            return export_scan_regions(db, video, spans, settings, profile, progress=progress, cancel=cancel)

        self.panel.export_button.setEnabled(False)
        self._export_task = run_in_background(
            work,
            on_success=lambda clips: self._on_exported(clips, len(spans)),
            on_failure=self.window.show_error,
            on_cancelled=lambda: self.window.show_message("Scan export cancelled: nothing was written."),
            on_finished=self._on_export_finished,
        )
        self.window.show_task(self._export_task, f"Exporting {len(spans)} scan region(s) of {Path(video).name}")

    def _on_exported(self, clips, region_count: int) -> None:
        self.window.changes.clips.emit()
        self.window.show_message(
            f"Exported {len(clips)} clip(s) from {region_count} scan region(s) to {clips[0].path.parent}"
        )

    def _on_export_finished(self) -> None:
        self._export_task = None
        self.panel.export_button.setEnabled(self.panel.estimated_clip_count() > 0)

    # --- dialogs ---------------------------------------------------------------------------------

    def open_train_dialog(self) -> None:
        self.train_dialog = TrainDialog(
            self.window.db, self.window.home, self.window.profile, self.window, changes=self.window.changes
        )
        self.train_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.train_dialog.open()

    def open_hard_negatives(self) -> None:
        dialog = HardNegativesDialog(self.window.db, self.window.profile, self.window, changes=self.window.changes)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # --- scanning --------------------------------------------------------------------------------

    def scan_current(self) -> None:
        video = self.window.current_video
        if video is None:
            self.window.show_error("No video is loaded: open one from the playlist, then scan.")
            return
        self._scan([Path(video)])

    def scan_all(self) -> None:
        videos = [Path(p) for p in self.window.playlist_paths()]
        if not videos:
            self.window.show_error("The playlist is empty: add videos, then Scan All.")
            return
        self._scan(videos, all_files=True)

    def auto(self) -> None:
        """Scan the playlist (skipping what is scanned already), then export each file's merged regions that
        are at least a clip long, with the export panel's settings and the dock's spread."""
        videos = [Path(p) for p in self.window.playlist_paths()]
        if not videos:
            self.window.show_error("The playlist is empty: add videos, then run Auto.")
            return
        try:
            settings = replace(self.window.export_panel.settings(), spread=self.panel.spread_spin.value())
        except FoleycutError as exc:
            self.window.show_error(str(exc))
            return
        self._scan(videos, all_files=True, export=settings)

    def _scan(self, videos: list[Path], all_files: bool = False, export=None) -> None:
        """Scan `videos`; `all_files`: as Scan All (skips files scanned already unless forced), `export`:
        the export settings Auto cuts clips with."""
        name = self.controls.classifier_name()
        if name is None or self._task is not None:
            return
        db, home = self.window.db, self.window.home
        options = ScanOptions(
            profile=self.window.profile,
            threshold=self.controls.threshold(),
            version=self.controls.version(),
            skip_speech=self.controls.skip_speech_check.isChecked(),
            force=self.controls.force_check.isChecked(),
        )
        merge_gap = self.controls.merge_gap_spin.value()
        relay = self._relay

        def work(progress, cancel):
            if export is not None:
                return auto_export(
                    db,
                    home,
                    videos,
                    name,
                    export,
                    options,
                    merge_gap=merge_gap,
                    progress=progress,
                    cancel=cancel,
                    on_file_done=relay.file_done.emit,
                )
            if not all_files:
                outcome = scan_file(
                    db,
                    home,
                    videos[0],
                    name,
                    options,
                    progress=progress,
                    cancel=cancel,
                )
                relay.file_done.emit(videos[0], outcome, None)
            else:
                scan_files(
                    db,
                    home,
                    videos,
                    name,
                    options,
                    progress=progress,
                    cancel=cancel,
                    on_file_done=relay.file_done.emit,
                )
            return len(videos)

        self._up_to_date = 0
        self._skipped = []
        self._found = []
        self._scan_started = datetime.now().strftime(VERSION_ID_FORMAT)  # older versions: a rescan not stored
        self._set_busy(True)
        label = f"Scanning {videos[0].name}" if len(videos) == 1 else f"Scanning {len(videos)} videos"
        if export is not None:
            label = f"Auto: scanning and exporting {plural(len(videos), 'video')}"
        self._task = run_in_background(
            work,
            on_success=lambda done: (
                self._on_auto_done(done, name) if export is not None else self._on_scan_done(done, name)
            ),
            on_failure=self._on_scan_failed,
            on_progress=lambda fraction, message: self._on_progress(videos, fraction, message),
            on_cancelled=lambda: self.controls.status_label.setText("Scan cancelled; finished files are kept."),
            on_finished=lambda: self._on_scan_finished(videos),
        )
        self.window.show_task(self._task, label)

    def cancel_scan(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def rollback_and_rescan(self) -> None:
        name, version = self.controls.classifier_name(), self.controls.version()
        if name is None or version is None or self._task is not None:
            return
        rollback(self.window.home, name, version)
        self.window.changes.classifiers.emit(name)
        self.scan_current()

    def _on_progress(self, videos: list[Path], fraction: float, message: str) -> None:
        """Overall progress in the dock; the file being scanned gets its own bar in the playlist."""
        self.controls.show_progress(fraction, message)
        index = min(int(fraction * len(videos)), len(videos) - 1)
        self.window.playlist.set_progress(videos[index], fraction * len(videos) - index)

    def _on_scan_finished(self, videos: list[Path]) -> None:
        for video in videos:
            self.window.playlist.set_progress(video, None)
        self._set_busy(False)

    def _on_file_scanned(self, video: Path, outcome, error: str | None) -> None:
        self.window.playlist.set_progress(Path(video), None)
        if outcome is None:
            self._skipped.append(skipped(Path(video).name, error or ""))
            return
        if outcome.skipped:
            self._up_to_date += 1
            self.window.show_message(f"{Path(video).name}: already scanned with these settings, skipped.")
            return
        meta = self.controls.chosen_meta()
        if meta is not None and (meta.name, meta.version) == (outcome.classifier, outcome.classifier_version):
            self._scores[str(video)] = (meta, outcome.scores)
            self._show_scores()
        found = f"{plural(len(outcome.regions), 'region')} found"
        if outcome.scan_timestamp < self._scan_started:
            found += "; the same as the latest scan, so not stored again"
        self._found.append(found)
        self.window.changes.scans.emit(Path(video).name, outcome.model)
        self.window.show_message(f"{Path(video).name}: {found}.")

    def _on_scan_done(self, count: int, classifier: str) -> None:
        scanned = count - len(self._skipped)
        if count == 1 and self._found:
            done = f"Scanned with {classifier}: {self._found[0]}."
        else:
            done = f"Scanned {scanned - self._up_to_date} of {plural(count, 'video')} with {classifier}."
            if self._up_to_date:
                done += (
                    f" {plural(self._up_to_date, 'video')} already scanned with these settings, skipped "
                    "(tick 'Rescan scanned files' to scan them again)."
                )
        self.controls.status_label.setText(" ".join([done, *self._skipped]))
        self.window.show_message(done)

    def _on_auto_done(self, results, classifier: str) -> None:
        clips = sum(len(result.clips) for result in results)
        regions = sum(len(result.exported_regions) for result in results)
        done = (
            f"Auto with {classifier}: {plural(clips, 'clip')} exported from {plural(regions, 'region')} "
            f"in {plural(len(results), 'video')}."
        )
        if self._up_to_date:
            done += f" {plural(self._up_to_date, 'video')} already scanned, not scanned again."
        problems = [
            skipped(result.video.name, result.error)
            for result in results
            if result.error and result.outcome is not None
        ]  # scan failures are listed already
        self.controls.status_label.setText(" ".join([done, *self._skipped, *problems]))
        self.window.show_message(done)
        if clips:
            self.window.changes.clips.emit()

    def _on_scan_failed(self, message: str) -> None:
        self.controls.status_label.setText(message)
        self.window.show_error(message)

    def _on_classifier_chosen(self) -> None:
        meta = self.controls.chosen_meta()
        if meta is not None:  # hard negatives are stored on the grid of the windows the classifier saw
            self.panel.window_length, self.panel.hop = meta.window, meta.hop
        self._set_busy(self._task is not None)
        self._show_scores()
        if self.window.current_video is not None:
            self._load_scores(Path(self.window.current_video))

    def _set_busy(self, busy: bool) -> None:
        if not busy:
            self._task = None
        self.controls.set_busy(busy)
        ready = not busy and self.controls.classifier_name() is not None
        for act in (self.scan_action, self.scan_all_action, self.auto_action, self.rollback_action):
            act.setEnabled(ready)
        self.cancel_action.setEnabled(busy)
