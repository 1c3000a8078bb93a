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

from core.defaults import DEFAULT_MARGIN
from core.embedding_models import DEFAULT_MODEL, get_spec, list_models, set_model_folder
from core.errors import FoleycutError
from core.relink import missing_videos, relink_folder
from core.training import DEFAULT_TARGET_PRECISION, TrainingOptions, preview_training, train_classifier
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
        self.cmb_positive = QComboBox()
        self.cmb_positive.addItems(folders)
        # Further folders trained as the same class: ticked rows, the main folder's own row hidden.
        self.lst_also_positive = QListWidget()
        self.lst_also_positive.setToolTip("Tick other export folders holding the same sound: they train as one class")
        for folder in folders:
            item = QListWidgetItem(folder)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Unchecked)
            self.lst_also_positive.addItem(item)
        self.lst_also_positive.setMaximumHeight(
            self.lst_also_positive.sizeHintForRow(0) * min(4, max(1, len(folders))) + 6 if folders else 30
        )
        self.lst_also_positive.itemChanged.connect(self._on_also_positive_changed)
        self.cmb_negative = QComboBox()
        self.cmb_negative.addItem(AUTO_ONLY, None)
        for folder in folders:
            self.cmb_negative.addItem(folder, folder)
        self.cmb_model = QComboBox()
        for model in list_models(home):
            self.cmb_model.addItem(model_label(model), model.name)
        self.cmb_model.setCurrentIndex(max(0, self.cmb_model.findData(DEFAULT_MODEL)))
        self.btn_model_folder = QPushButton("Model folder...")
        self.btn_model_folder.setToolTip("Load the chosen model from a folder holding its config.json and weights")
        self.btn_model_folder.clicked.connect(self._choose_model_folder)
        self.cmb_model.currentIndexChanged.connect(self._update_model_folder_button)
        self._update_model_folder_button()
        model_row = QHBoxLayout()
        model_row.addWidget(self.cmb_model, 1)
        model_row.addWidget(self.btn_model_folder)
        self.edt_name = QLineEdit()
        self.edt_name.textEdited.connect(self._on_name_edited)
        self.spn_margin = QDoubleSpinBox()
        self.spn_margin.setRange(0.0, 3600.0)
        self.spn_margin.setValue(DEFAULT_MARGIN)
        self.spn_margin.setSuffix(" s")
        self.spn_margin.setToolTip("Automatic negatives are taken at least this far from any exported clip")
        self.spn_target = QDoubleSpinBox()
        self.spn_target.setRange(0.0, 1.0)
        self.spn_target.setSingleStep(0.05)
        self.spn_target.setSpecialValueText("best balance (F0.5)")
        self.spn_target.setValue(DEFAULT_TARGET_PRECISION)
        self.spn_target.setToolTip(
            "Scans use the lowest threshold whose cross-validated precision reaches this, "
            "else (and at 'best balance') the one with the best F0.5 "
            "(precision weighs double)"
        )
        self.chk_scan_exports = QCheckBox("Include scan exports")
        self.chk_scan_exports.setToolTip("Also train on clips exported from scan results")
        self.chk_per_video = QCheckBox("Normalise each video")
        self.chk_per_video.setToolTip(
            "Z-score every video's windows before training and scanning, for films mixed very differently "
            "(off by default: it lowered recall on real recordings)"
        )
        self.chk_hard_negatives = QCheckBox("Use hard negatives in training")
        self.chk_hard_negatives.setChecked(True)
        self.btn_manage = QPushButton("Manage...")
        self.btn_manage.clicked.connect(self._open_hard_negatives)
        negatives_row = QHBoxLayout()
        negatives_row.addWidget(self.chk_hard_negatives)
        negatives_row.addWidget(self.btn_manage)
        negatives_row.addStretch(1)

        self.lbl_stats = QLabel()
        self.lbl_stats.setTextFormat(Qt.RichText)
        self.lbl_stats.setWordWrap(True)
        # Videos that moved (another drive letter, a renamed folder): found again by name and size.
        self.lbl_missing = QLabel()
        self.lbl_missing.setWordWrap(True)
        self.btn_relink = QPushButton("Relink folder...")
        self.btn_relink.setToolTip(
            "Pick the folder the missing videos are in now: they are matched by file name and size, in sub-folders too"
        )
        self.btn_relink.clicked.connect(self._relink)
        self.btn_details = QPushButton("Details...")
        self.btn_details.setToolTip("Clips, videos and hard negatives per export folder")
        self.btn_details.clicked.connect(self._open_details)
        self.details_dialog: TrainingDetailsDialog | None = None
        missing_row = QHBoxLayout()
        missing_row.addWidget(self.lbl_missing, 1)
        missing_row.addWidget(self.btn_relink)
        missing_row.addWidget(self.btn_details)
        self.lbl_result = QLabel()
        self.lbl_result.setTextFormat(Qt.RichText)
        self.lbl_result.setWordWrap(True)
        self.lbl_result.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.plot = PrecisionRecallPlot()
        self.plot.setToolTip(
            "Cross-validated precision and recall at every threshold; the dashed line is the operating point scans use"
        )
        self.plot.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.lbl_progress = QLabel()

        self.btn_train = QPushButton("Train")
        self.btn_train.setDefault(True)
        self.btn_train.clicked.connect(self.start_training)
        self.btn_cancel = QPushButton("Cancel")
        self.btn_cancel.clicked.connect(self._cancel_training)
        self.btn_cancel.hide()
        self.btn_close = QPushButton("Close")
        self.btn_close.clicked.connect(self.reject)

        form = QFormLayout()
        form.addRow("Positive folder:", self.cmb_positive)
        form.addRow("Also positive:", self.lst_also_positive)
        form.addRow("Negative folder:", self.cmb_negative)
        form.addRow("Embedding model:", model_row)
        form.addRow("Classifier name:", self.edt_name)
        form.addRow("Auto-negative margin:", self.spn_margin)
        form.addRow("Target precision:", self.spn_target)
        form.addRow("", self.chk_scan_exports)
        form.addRow("", self.chk_per_video)
        form.addRow("", negatives_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.lbl_progress, 1)
        buttons.addWidget(self.btn_train)
        buttons.addWidget(self.btn_cancel)
        buttons.addWidget(self.btn_close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.lbl_stats)
        layout.addLayout(missing_row)
        layout.addWidget(self.progress)
        layout.addWidget(self.lbl_result)
        layout.addWidget(self.plot)
        layout.addStretch(1)
        layout.addLayout(buttons)

        self._stats_timer = QTimer(self)
        self._stats_timer.setSingleShot(True)
        self._stats_timer.setInterval(STATS_DELAY_MS)
        self._stats_timer.timeout.connect(self._update_stats)
        for signal in (
            self.cmb_positive.currentIndexChanged,
            self.cmb_negative.currentIndexChanged,
            self.cmb_model.currentIndexChanged,
            self.spn_margin.valueChanged,
            self.chk_scan_exports.toggled,
            self.chk_hard_negatives.toggled,
        ):
            signal.connect(self._schedule_stats)
        self.changes.negatives.connect(self._schedule_stats)
        self.trained.connect(lambda result: self.changes.classifiers.emit(result.name))
        self.cmb_positive.currentTextChanged.connect(self._on_main_positive_changed)

        self._on_main_positive_changed(self.cmb_positive.currentText())
        self.btn_train.setEnabled(bool(folders))
        if folders:
            self._update_stats()
        else:
            self.lbl_stats.setText("No export folders in this profile yet: export some clips (E) first.")

    # --- options and live stats ------------------------------------------------------------------

    def options(self) -> TrainingOptions:
        return TrainingOptions(
            profile=self.profile,
            positive_folder=self.positive_folders(),
            negative_folder=self.cmb_negative.currentData(),
            model_name=self.cmb_model.currentData(),
            name=self.edt_name.text().strip(),
            margin=self.spn_margin.value(),
            use_hard_negatives=self.chk_hard_negatives.isChecked(),
            include_scan_exports=self.chk_scan_exports.isChecked(),
            normalise_per_video=self.chk_per_video.isChecked(),
            target_precision=self.spn_target.value() or None,
        )

    def positive_folders(self) -> tuple[str, ...]:
        """The main folder, then the ticked ones."""
        main = self.cmb_positive.currentText()
        ticked = [
            self.lst_also_positive.item(row).text()
            for row in range(self.lst_also_positive.count())
            if not self.lst_also_positive.item(row).isHidden()
            and self.lst_also_positive.item(row).checkState() == Qt.Checked
        ]
        return tuple(folder for folder in (main, *ticked) if folder)

    def _on_main_positive_changed(self, folder: str) -> None:
        for row in range(self.lst_also_positive.count()):
            item = self.lst_also_positive.item(row)
            item.setHidden(item.text() == folder)
        self._suggest_name()

    def _on_also_positive_changed(self, _item) -> None:
        self._suggest_name()
        self._schedule_stats()

    def _schedule_stats(self, *_args) -> None:
        # The same folder on both sides is refused at once; the preview's own checks follow the debounce.
        if self.cmb_negative.currentData() in self.positive_folders():
            self._show_invalid("The negative folder is the positive folder: pick another one or none.")
        self._stats_timer.start()  # restarts: one preview after the last change

    def _update_missing(self) -> None:
        missing = missing_videos(self._db, self.profile)
        self.lbl_missing.setText(
            error_html(
                f"{plural(len(missing), 'training video')} not found where "
                "last seen (moved, or on a drive not connected)."
            )
            if missing
            else ""
        )
        self.btn_relink.setVisible(bool(missing))

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
        self.lbl_result.setText(escape(" ".join(parts)))
        self._update_stats()

    def _open_details(self) -> None:
        self.details_dialog = TrainingDetailsDialog(self._db, self.profile, self)
        self.details_dialog.open()

    def _update_stats(self) -> None:
        self._update_missing()
        if not self.cmb_positive.currentText():
            return
        try:
            preview = preview_training(self._db, self.options())
        except FoleycutError as exc:
            self._show_invalid(str(exc))
            return
        self._options_valid = True
        self.btn_train.setEnabled(self._task is None)
        self.lbl_stats.setText(describe_preview(preview))

    def _show_invalid(self, why: str) -> None:
        """Options that cannot train: say why, and Train waits until they are fixed."""
        self._options_valid = False
        self.btn_train.setEnabled(False)
        self.lbl_stats.setText(error_html(why))

    def _suggest_name(self, *_args) -> None:
        if not self._name_edited:
            self.edt_name.setText("+".join(self.positive_folders()))

    def _on_name_edited(self, text: str) -> None:
        self._name_edited = bool(text)

    def _update_model_folder_button(self, *_args) -> None:
        self.btn_model_folder.setEnabled(not get_spec(self.cmb_model.currentData()).builtin)

    def _choose_model_folder(self) -> None:
        name = self.cmb_model.currentData()
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
            self.cmb_model.setItemText(self.cmb_model.findData(model.name), model_label(model))

    def _open_hard_negatives(self) -> None:
        self.negatives_dialog = HardNegativesDialog(self._db, self.profile, self, changes=self.changes)
        self.negatives_dialog.finished.connect(self._update_stats)
        self.negatives_dialog.open()

    # --- training --------------------------------------------------------------------------------

    def start_training(self) -> None:
        options = self.options()
        db, home = self._db, self._home
        self._set_running(True)
        self.lbl_result.clear()
        self.plot.hide()
        self._task = run_in_background(
            lambda progress, cancel: train_classifier(db, home, options, progress=progress, cancel=cancel),
            on_success=self._on_trained,
            on_failure=self._on_failed,
            on_progress=self._on_progress,
            on_cancelled=lambda: self.lbl_result.setText("Training cancelled."),
            on_finished=lambda: self._set_running(False),
        )

    def is_training(self) -> bool:
        return self._task is not None

    def _cancel_training(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.lbl_progress.setText("Cancelling...")

    def _set_running(self, running: bool) -> None:
        if not running:
            self._task = None
            self.lbl_progress.clear()
        for widget in (self.btn_close, self.btn_manage):
            widget.setEnabled(not running)
        self.btn_train.setEnabled(not running and self._options_valid)
        self.btn_cancel.setVisible(running)
        self.progress.setVisible(running)
        self.progress.setValue(0)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.lbl_progress.setText(message)

    def _on_failed(self, message: str) -> None:
        self.lbl_result.setText(error_html(f"Training failed: {message}"))
        self._fit_result()

    def _on_trained(self, result) -> None:
        self.lbl_result.setText(describe_result(result))
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
