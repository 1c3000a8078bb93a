"""Train a classifier from an export folder: options, a live preview of the training data, background run.

Every option change restarts a short single-shot timer; when it fires, `preview_training` counts what the
options would train on, so the stats follow the user's choices without a query per keystroke.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from core.defaults import DEFAULT_MARGIN, DEFAULT_TARGET_PRECISION
from core.embedding_models import DEFAULT_MODEL, get_spec, list_models, set_model_folder
from core.errors import FoleycutError
from core.relink import missing_videos, relink_folder
from core.training import TrainingOptions, preview_training, train_classifier
from ui.background import run_in_background
from ui.changes import Changes
from ui.hard_negatives_dialog import HardNegativesDialog
from ui.precision_recall_plot import PrecisionRecallPlot
from ui.training_details_dialog import TrainingDetailsDialog
from ui.wording import format_stamp, plural, skipped

AUTO_ONLY = "(auto only)"
STATS_DELAY_MS = 250
ERROR_COLOR = "#ff8a80"  # light red: readable on the dark theme's grey


class TrainDialog(QDialog):
    trained = Signal(object)  # core.training.TrainResult

    def __init__(self, db, home, profile: str, parent=None, changes: Changes | None = None):
        super().__init__(parent)
        self.changes = changes if changes is not None else Changes(self)  # the window's hub, or one of its own
        self.setWindowTitle("Train Classifier")
        self.setMinimumWidth(520)
        self._db, self._home, self.profile = db, home, profile
        self._task = None
        self._name_edited = False  # once the user names the classifier, the folder stops naming it
        self._options_valid = False  # the last preview accepted the options
        self.negatives_dialog: HardNegativesDialog | None = None

        folders = db.get_export_folders(profile)
        self.positive_combo = QComboBox()
        self.positive_combo.addItems(folders)
        # Further folders trained as the same class: ticked rows, the main folder's own row hidden.
        self.also_positive_list = QListWidget()
        self.also_positive_list.setToolTip("Tick other export folders holding the same sound: they train as one class")
        for folder in folders:
            item = QListWidgetItem(folder)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.also_positive_list.addItem(item)
        self.also_positive_list.setMaximumHeight(
            self.also_positive_list.sizeHintForRow(0) * min(4, max(1, len(folders))) + 6 if folders else 30
        )
        self.also_positive_list.itemChanged.connect(self._on_also_positive_changed)
        self.negative_combo = QComboBox()
        self.negative_combo.addItem(AUTO_ONLY, None)
        for folder in folders:
            self.negative_combo.addItem(folder, folder)
        self.model_combo = QComboBox()
        for model in list_models(home):
            self.model_combo.addItem(model_label(model), model.name)
        self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(DEFAULT_MODEL)))
        self.model_folder_button = QPushButton("Model folder...")
        self.model_folder_button.setToolTip("Load the chosen model from a folder holding its config.json and weights")
        self.model_folder_button.clicked.connect(self._choose_model_folder)
        self.model_combo.currentIndexChanged.connect(self._update_model_folder_button)
        self._update_model_folder_button()
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_combo, 1)
        model_row.addWidget(self.model_folder_button)
        self.name_edit = QLineEdit()
        self.name_edit.textEdited.connect(self._on_name_edited)
        self.margin_spin = QDoubleSpinBox()
        self.margin_spin.setRange(0.0, 3600.0)
        self.margin_spin.setValue(DEFAULT_MARGIN)
        self.margin_spin.setSuffix(" s")
        self.margin_spin.setToolTip("Automatic negatives are taken at least this far from any exported clip")
        self.target_spin = QDoubleSpinBox()
        self.target_spin.setRange(0.0, 1.0)
        self.target_spin.setSingleStep(0.05)
        self.target_spin.setSpecialValueText("best balance (F0.5)")
        self.target_spin.setValue(DEFAULT_TARGET_PRECISION)
        self.target_spin.setToolTip(
            "Scans use the lowest threshold whose cross-validated precision reaches this, "
            "else (and at 'best balance') the one with the best F0.5 "
            "(precision weighs double)"
        )
        self.scan_exports_check = QCheckBox("Include scan exports")
        self.scan_exports_check.setToolTip("Also train on clips exported from scan results")
        self.per_video_check = QCheckBox("Normalise each video")
        self.per_video_check.setToolTip(
            "Z-score every video's windows before training and scanning, for films mixed very differently "
            "(off by default: it lowered recall on real recordings)"
        )
        self.hard_negatives_check = QCheckBox("Use hard negatives in training")
        self.hard_negatives_check.setChecked(True)
        self.manage_button = QPushButton("Manage...")
        self.manage_button.clicked.connect(self._open_hard_negatives)
        negatives_row = QHBoxLayout()
        negatives_row.addWidget(self.hard_negatives_check)
        negatives_row.addWidget(self.manage_button)
        negatives_row.addStretch(1)

        self.stats_label = QLabel()
        self.stats_label.setTextFormat(Qt.TextFormat.RichText)
        self.stats_label.setWordWrap(True)
        # Videos that moved (another drive letter, a renamed folder): found again by name and size.
        self.missing_label = QLabel()
        self.missing_label.setWordWrap(True)
        self.relink_button = QPushButton("Relink folder...")
        self.relink_button.setToolTip(
            "Pick the folder the missing videos are in now: they are matched by file name and size, in sub-folders too"
        )
        self.relink_button.clicked.connect(self._relink)
        self.details_button = QPushButton("Details...")
        self.details_button.setToolTip("Clips, videos and hard negatives per export folder")
        self.details_button.clicked.connect(self._open_details)
        self.details_dialog: TrainingDetailsDialog | None = None
        missing_row = QHBoxLayout()
        missing_row.addWidget(self.missing_label, 1)
        missing_row.addWidget(self.relink_button)
        missing_row.addWidget(self.details_button)
        self.result_label = QLabel()
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plot = PrecisionRecallPlot()
        self.plot.setToolTip(
            "Cross-validated precision and recall at every threshold; the dashed line is the operating point scans use"
        )
        self.plot.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.progress_label = QLabel()

        self.train_button = QPushButton("Train")
        self.train_button.setDefault(True)
        self.train_button.clicked.connect(self.start_training)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._cancel_training)
        self.cancel_button.hide()
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)

        form = QFormLayout()
        form.addRow("Positive folder:", self.positive_combo)
        form.addRow("Also positive:", self.also_positive_list)
        form.addRow("Negative folder:", self.negative_combo)
        form.addRow("Embedding model:", model_row)
        form.addRow("Classifier name:", self.name_edit)
        form.addRow("Auto-negative margin:", self.margin_spin)
        form.addRow("Target precision:", self.target_spin)
        form.addRow("", self.scan_exports_check)
        form.addRow("", self.per_video_check)
        form.addRow("", negatives_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress_label, 1)
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.stats_label)
        layout.addLayout(missing_row)
        layout.addWidget(self.progress)
        layout.addWidget(self.result_label)
        layout.addWidget(self.plot)
        layout.addStretch(1)
        layout.addLayout(buttons)

        self._stats_timer = QTimer(self)
        self._stats_timer.setSingleShot(True)
        self._stats_timer.setInterval(STATS_DELAY_MS)
        self._stats_timer.timeout.connect(self._update_stats)
        for signal in (
            self.positive_combo.currentIndexChanged,
            self.negative_combo.currentIndexChanged,
            self.model_combo.currentIndexChanged,
            self.margin_spin.valueChanged,
            self.scan_exports_check.toggled,
            self.hard_negatives_check.toggled,
        ):
            signal.connect(self._schedule_stats)
        self.changes.negatives.connect(self._schedule_stats)
        self.trained.connect(lambda result: self.changes.classifiers.emit(result.name))
        self.positive_combo.currentTextChanged.connect(self._on_main_positive_changed)

        self._on_main_positive_changed(self.positive_combo.currentText())
        self.train_button.setEnabled(bool(folders))
        if folders:
            self._update_stats()
        else:
            self.stats_label.setText("No export folders in this profile yet: export some clips (E) first.")

    # --- options and live stats ------------------------------------------------------------------

    def options(self) -> TrainingOptions:
        return TrainingOptions(
            profile=self.profile,
            positive_folder=self.positive_folders(),
            negative_folder=self.negative_combo.currentData(),
            model_name=self.model_combo.currentData(),
            name=self.name_edit.text().strip(),
            margin=self.margin_spin.value(),
            use_hard_negatives=self.hard_negatives_check.isChecked(),
            include_scan_exports=self.scan_exports_check.isChecked(),
            normalise_per_video=self.per_video_check.isChecked(),
            target_precision=self.target_spin.value() or None,
        )

    def positive_folders(self) -> tuple[str, ...]:
        """The main folder, then the ticked ones."""
        main = self.positive_combo.currentText()
        ticked = [
            self.also_positive_list.item(row).text()
            for row in range(self.also_positive_list.count())
            if not self.also_positive_list.item(row).isHidden()
            and self.also_positive_list.item(row).checkState() == Qt.CheckState.Checked
        ]
        return tuple(folder for folder in (main, *ticked) if folder)

    def _on_main_positive_changed(self, folder: str) -> None:
        for row in range(self.also_positive_list.count()):
            item = self.also_positive_list.item(row)
            item.setHidden(item.text() == folder)
        self._suggest_name()

    def _on_also_positive_changed(self, _item) -> None:
        self._suggest_name()
        self._schedule_stats()

    def _schedule_stats(self, *_args) -> None:
        # The same folder on both sides is refused at once; the preview's own checks follow the debounce.
        if self.negative_combo.currentData() in self.positive_folders():
            self._show_invalid("The negative folder is the positive folder: pick another one or none.")
        self._stats_timer.start()  # restarts: one preview after the last change

    def _update_missing(self) -> None:
        missing = missing_videos(self._db, self.profile)
        self.missing_label.setText(
            error_html(
                f"{plural(len(missing), 'training video')} not found where "
                "last seen (moved, or on a drive not connected)."
            )
            if missing
            else ""
        )
        self.relink_button.setVisible(bool(missing))

    def _relink(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder holding the moved videos")
        if not folder:
            return
        result = relink_folder(self._db, folder, self.profile)
        parts = [f"Relinked {plural(len(result.relinked), 'video')}."]
        if result.not_found:
            parts.append(
                f"{plural(len(result.not_found), 'video')} not found there: "
                + ", ".join(Path(path).name for path in result.not_found[:5])
                + "."
            )
        if result.ambiguous:
            parts.append(
                f"{plural(len(result.ambiguous), 'video')} found more than once, left as they were: "
                + ", ".join(Path(path).name for path in result.ambiguous[:5])
                + "."
            )
        self.result_label.setText(escape(" ".join(parts)))
        self._update_stats()

    def _open_details(self) -> None:
        self.details_dialog = TrainingDetailsDialog(self._db, self.profile, self)
        self.details_dialog.open()

    def _update_stats(self) -> None:
        self._update_missing()
        if not self.positive_combo.currentText():
            return
        try:
            preview = preview_training(self._db, self.options())
        except FoleycutError as exc:
            self._show_invalid(str(exc))
            return
        self._options_valid = True
        self.train_button.setEnabled(self._task is None)
        self.stats_label.setText(describe_preview(preview))

    def _show_invalid(self, why: str) -> None:
        """Options that cannot train: say why, and Train waits until they are fixed."""
        self._options_valid = False
        self.train_button.setEnabled(False)
        self.stats_label.setText(error_html(why))

    def _suggest_name(self, *_args) -> None:
        if not self._name_edited:
            self.name_edit.setText("+".join(self.positive_folders()))

    def _on_name_edited(self, text: str) -> None:
        self._name_edited = bool(text)

    def _update_model_folder_button(self, *_args) -> None:
        self.model_folder_button.setEnabled(not get_spec(self.model_combo.currentData()).builtin)

    def _choose_model_folder(self) -> None:
        name = self.model_combo.currentData()
        folder = QFileDialog.getExistingDirectory(self, f"Folder holding the {name} weights")
        if not folder:
            return
        try:
            set_model_folder(self._home, name, folder)
        except FoleycutError as exc:
            QMessageBox.warning(self, "Model folder", str(exc))
            return
        self._refresh_model_labels()

    def _refresh_model_labels(self) -> None:
        for model in list_models(self._home):
            self.model_combo.setItemText(self.model_combo.findData(model.name), model_label(model))

    def _open_hard_negatives(self) -> None:
        self.negatives_dialog = HardNegativesDialog(self._db, self.profile, self, changes=self.changes)
        self.negatives_dialog.finished.connect(self._update_stats)
        self.negatives_dialog.open()

    # --- training --------------------------------------------------------------------------------

    def start_training(self) -> None:
        options = self.options()
        db, home = self._db, self._home
        self._set_running(True)
        self.result_label.clear()
        self.plot.hide()
        self._task = run_in_background(
            lambda progress, cancel: train_classifier(db, home, options, progress=progress, cancel=cancel),
            on_success=self._on_trained,
            on_failure=self._on_failed,
            on_progress=self._on_progress,
            on_cancelled=lambda: self.result_label.setText("Training cancelled."),
            on_finished=lambda: self._set_running(False),
        )

    def is_training(self) -> bool:
        return self._task is not None

    def _cancel_training(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.progress_label.setText("Cancelling...")

    def _set_running(self, running: bool) -> None:
        if not running:
            self._task = None
            self.progress_label.clear()
        for widget in (self.close_button, self.manage_button):
            widget.setEnabled(not running)
        self.train_button.setEnabled(not running and self._options_valid)
        self.cancel_button.setVisible(running)
        self.progress.setVisible(running)
        self.progress.setValue(0)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.progress_label.setText(message)

    def _on_failed(self, message: str) -> None:
        self.result_label.setText(error_html(f"Training failed: {message}"))
        self._fit_result()

    def _on_trained(self, result) -> None:
        self.result_label.setText(describe_result(result))
        self.plot.set_metrics(result.metrics)
        self._fit_result()
        self.trained.emit(result)

    def _fit_result(self) -> None:
        """Grow to the wrapped result (several lines, success or failure) instead of squeezing the form."""
        self.layout().activate()
        needed = self.layout().totalHeightForWidth(self.width())
        self.resize(self.width(), max(self.height(), needed))

    def reject(self) -> None:
        if self._task is None:  # Esc must not walk away from a running training
            super().reject()


def error_html(message: str) -> str:
    return f"<span style='color:{ERROR_COLOR}'>{escape(message)}</span>"


def model_label(model) -> str:
    """A combo entry: the model's name, flagged when its weights are not on this machine yet."""
    return model.name if model.builtin or model.downloaded else f"{model.name} (download)"


def bold_count(count: int, word: str) -> str:
    """'<b>1</b> video', '<b>3</b> videos'."""
    return f"<b>{count}</b> {word}{'' if count == 1 else 's'}"


def describe_preview(preview) -> str:
    """The live stats line: what the current options would train on."""
    videos = bold_count(preview.positive_videos, "video")
    others = preview.videos - preview.positive_videos
    if others:
        videos += f" (and {others} more with negatives only)"
    parts = [
        bold_count(preview.positive_clips, "positive clip") + f" in {videos}",
        bold_count(preview.negative_clips, "negative-folder clip"),
        bold_count(preview.hard_negatives, "hard negative"),
    ]
    if preview.ambiguous_clips:
        parts.append(f"{plural(preview.ambiguous_clips, 'other clip')} kept clear of automatic negatives")
    return ", ".join(parts) + "; automatic negatives are drawn beyond the margin."


def describe_result(result) -> str:
    """Summary shown after training: version, cross-validated metrics, what it learned from."""
    metrics, counts = result.metrics, result.counts
    lines = [
        f"Trained <b>{escape(result.name)}</b> (version of {format_stamp(result.version)}).",
        (
            f"Cross-validated ({metrics['folds']} folds by {metrics['grouped_by']}): at the threshold "
            f"<b>{metrics['threshold']:.2f}</b> ({metrics.get('threshold_rule', 'fixed')}) precision "
            f"<b>{metrics['precision']:.2f}</b>, recall <b>{metrics['recall']:.2f}</b>; average precision "
            f"<b>{metrics['average_precision']:.2f}</b>."
        ),
        (
            f"{counts['positive_windows']} positive and {counts['negative_windows']} negative windows "
            f"({counts['marked_negative_windows']} marked, {counts['automatic_negative_windows']} automatic) "
            f"from {counts['videos']} video(s)."
        ),
    ]
    lines += [escape(skipped(Path(video).name, why)) for video, why in result.skipped]
    return "<br>".join(lines)
