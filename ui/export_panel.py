"""Export controls: what `E` writes (names, folder, format, size, length, count, spread, portrait crop, random
crop share, LTX-2 mode) and how it encodes (hardware encoder, parallel workers)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.defaults import DEFAULT_CLIP_LENGTH
from core.errors import FoleycutError
from core.export import FORMATS, PORTRAIT_RATIOS, ExportSettings, default_workers
from core.ltx2 import ltx2_frames, ltx2_length

NO_PORTRAIT = "none"
MAX_WORKERS = 16
SETTINGS_GROUP = "export"


class ExportPanel(QWidget):
    settings_changed = Signal()
    export_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("exportPanel")

        self.folder_edit = QLineEdit(self)
        self.folder_edit.setPlaceholderText("Choose where clips go…")
        self.browse_button = QToolButton(self)
        self.browse_button.setText("Browse…")
        self.browse_button.clicked.connect(self._browse)
        self.name_edit = QLineEdit("clip", self)
        self.label_edit = QLineEdit(self)
        self.label_edit.setPlaceholderText("e.g. door_slam")
        self.category_edit = QLineEdit(self)
        self.category_edit.setPlaceholderText("e.g. doors")

        self.format_combo = QComboBox(self)
        self.format_combo.addItems(FORMATS)
        self.short_side_spin = QSpinBox(self)
        self.short_side_spin.setRange(0, 4320)
        self.short_side_spin.setSingleStep(16)
        self.short_side_spin.setSpecialValueText("original")
        self.short_side_spin.setSuffix(" px")
        self.length_spin = self._seconds_spin(0.5, 120.0, DEFAULT_CLIP_LENGTH)
        self.count_spin = QSpinBox(self)
        self.count_spin.setRange(1, 100)
        self.spread_spin = self._seconds_spin(0.04, 60.0, 1.0)
        self.portrait_combo = QComboBox(self)
        self.portrait_combo.addItems([NO_PORTRAIT, *PORTRAIT_RATIOS])
        self.portrait_center_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.portrait_center_slider.setRange(0, 100)
        self.portrait_center_slider.setValue(50)
        self.portrait_center_slider.setToolTip("Portrait crop's horizontal centre (or drag its frame on the video)")
        self._crop_keyframes: tuple[tuple[float, float], ...] = ()  # a moving crop's, set by the crop tools
        self.random_crop_spin = QSpinBox(self)
        self.random_crop_spin.setRange(0, 100)
        self.random_crop_spin.setSuffix(" %")
        self.random_crop_spin.setSpecialValueText("off")
        self.random_crop_spin.setToolTip(
            "Share of each batch's clips given a random portrait or square crop, "
            "drawn from the clip's name (a re-export draws the same)"
        )
        self.ltx2_check = QCheckBox("LTX-2 mode", self)
        self.ltx2_check.setToolTip(
            "Clips of 8k+1 frames (nearest the length) at 25 fps, width and height "
            "centre-cropped to multiples of 32, for LTX-2 video-to-audio training"
        )
        self.ltx2_label = QLabel(self)
        self.ltx2_label.setObjectName("ltx2Label")
        self.ltx2_label.setWordWrap(True)  # must not widen the dock

        self.hardware_check = QCheckBox("Hardware encoder when available", self)
        self.hardware_check.setChecked(True)
        self.hardware_check.setToolTip("Off: always encode with libx264 on the CPU (slower, same on every machine)")
        self.workers_spin = QSpinBox(self)
        self.workers_spin.setRange(1, MAX_WORKERS)
        self.workers_spin.setValue(default_workers())
        self.workers_spin.setToolTip("Clips encoded in parallel (at most 2 on a hardware encoder)")

        self.destination_label = QLabel("No video loaded", self)
        self.destination_label.setObjectName("destinationLabel")
        self.destination_label.setWordWrap(True)  # a long hint must not widen the dock
        self.overwrite_label = QLabel(self)
        self.overwrite_label.setObjectName("overwriteLabel")
        self.overwrite_label.hide()
        self.export_button = QPushButton("Export at cursor  (E)", self)
        self.export_button.setObjectName("exportButton")
        self.export_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.export_button.clicked.connect(self.export_requested)

        self._build_layout()
        for signal in (
            self.folder_edit.textChanged,
            self.name_edit.textChanged,
            self.format_combo.currentIndexChanged,
            self.short_side_spin.valueChanged,
            self.length_spin.valueChanged,
            self.count_spin.valueChanged,
            self.spread_spin.valueChanged,
            self.portrait_combo.currentIndexChanged,
            self.portrait_center_slider.valueChanged,
            self.random_crop_spin.valueChanged,
            self.ltx2_check.toggled,
            self.hardware_check.toggled,
            self.workers_spin.valueChanged,
        ):
            signal.connect(self.settings_changed)
        self.ltx2_check.toggled.connect(self._show_ltx2_length)
        self.length_spin.valueChanged.connect(self._show_ltx2_length)
        self._show_ltx2_length()
        self.portrait_combo.currentTextChanged.connect(self._enable_portrait_center)
        self.count_spin.valueChanged.connect(lambda count: self.spread_spin.setEnabled(count > 1))
        self._enable_portrait_center(self.portrait_combo.currentText())
        self.spread_spin.setEnabled(False)

    def _seconds_spin(self, low: float, high: float, value: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(self)
        spin.setRange(low, high)
        spin.setDecimals(2)
        spin.setSingleStep(0.5)
        spin.setSuffix(" s")
        spin.setValue(value)
        return spin

    def _build_layout(self) -> None:
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)

        destination = self._form("Destination")
        destination.layout().addRow("Folder", folder_row)
        destination.layout().addRow("Name", self.name_edit)
        destination.layout().addRow("Label", self.label_edit)
        destination.layout().addRow("Category", self.category_edit)
        destination.layout().addRow("", self.destination_label)

        clips = self._form("Clips")
        clips.layout().addRow("Length", self.length_spin)
        clips.layout().addRow("Count", self.count_spin)
        clips.layout().addRow("Spread", self.spread_spin)

        picture = self._form("Picture")
        picture.layout().addRow("Format", self.format_combo)
        picture.layout().addRow("Short side", self.short_side_spin)
        picture.layout().addRow("Portrait crop", self.portrait_combo)
        picture.layout().addRow("Crop centre", self.portrait_center_slider)
        picture.layout().addRow("Random crop", self.random_crop_spin)
        picture.layout().addRow("", self.ltx2_check)
        picture.layout().addRow("", self.ltx2_label)

        encoding = self._form("Encoding")
        encoding.layout().addRow("", self.hardware_check)
        encoding.layout().addRow("Workers", self.workers_spin)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(10)
        for group in (destination, clips, picture, encoding):
            layout.addWidget(group)
        layout.addWidget(self.overwrite_label)
        layout.addWidget(self.export_button)
        layout.addStretch(1)

    def _form(self, title: str) -> QGroupBox:
        group = QGroupBox(title, self)
        form = QFormLayout(group)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        return group

    def _show_ltx2_length(self) -> None:
        """What LTX-2 mode makes of the clip length, so the user sees the frames it writes."""
        length = self.length_spin.value()
        self.ltx2_label.setVisible(self.ltx2_check.isChecked())
        self.ltx2_label.setText(f"{ltx2_frames(length)} frames at 25 fps = {ltx2_length(length):.2f} s; sides ÷ 32")

    def _enable_portrait_center(self, portrait: str) -> None:
        self.portrait_center_slider.setEnabled(portrait != NO_PORTRAIT)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export folder", self.folder_edit.text() or str(Path.home()))
        if folder:
            self.folder_edit.setText(folder)

    # ---- values --------------------------------------------------------------------------------
    def export_folder(self) -> Path | None:
        text = self.folder_edit.text().strip()
        return Path(text).expanduser().resolve() if text else None

    def settings(self) -> ExportSettings:
        """The settings `E` would use now; FoleycutError names what is missing or wrong."""
        folder = self.export_folder()
        if folder is None:
            raise FoleycutError("No export folder chosen: pick one under Destination → Folder, then try again.")
        portrait = self.portrait_combo.currentText()
        settings = ExportSettings(
            name=self.name_edit.text().strip(),
            export_folder=folder,
            label=self.label_edit.text().strip(),
            category=self.category_edit.text().strip(),
            fmt=self.format_combo.currentText(),
            short_side=self.short_side_spin.value() or None,
            length=self.length_spin.value(),
            count=self.count_spin.value(),
            spread=self.spread_spin.value(),
            portrait=None if portrait == NO_PORTRAIT else portrait,
            portrait_center=self.portrait_center_slider.value() / 100.0,
            crop_keyframes=self._crop_keyframes,
            random_crop=float(self.random_crop_spin.value()),
            ltx2=self.ltx2_check.isChecked(),
            encoder="auto" if self.hardware_check.isChecked() else "libx264",
            workers=self.workers_spin.value(),
        )
        settings.check()
        return settings

    def show_crop_centre(self, centre: float) -> None:
        """Move the slider to the crop centre shown on the picture, without it counting as the user's choice."""
        self.portrait_center_slider.blockSignals(True)
        self.portrait_center_slider.setValue(round(centre * 100))
        self.portrait_center_slider.blockSignals(False)

    def set_crop_keyframes(self, keyframes) -> None:
        """The loaded video's moving-crop keyframes: exports follow them instead of the slider."""
        self._crop_keyframes = tuple(keyframes)

    def highlight_settings(self) -> ExportSettings:
        """Length (as LTX-2 mode writes it), count and spread for the timeline preview and the audio slice,
        valid even before a folder is chosen."""
        return ExportSettings(
            name="preview",
            export_folder=Path(),
            length=self.length_spin.value(),
            count=self.count_spin.value(),
            spread=self.spread_spin.value(),
            ltx2=self.ltx2_check.isChecked(),
        ).for_encoding()

    def set_destination_info(self, text: str) -> None:
        self.destination_label.setText(text)

    def set_overwrite_target(self, description: str | None) -> None:
        """Show (or clear) the overwrite-mode banner: the next `E` replaces that marker's clips."""
        self.overwrite_label.setVisible(description is not None)
        self.overwrite_label.setText(
            f"Overwriting the marker at {description}\nE replaces its clips · Esc cancels" if description else ""
        )

    def set_busy(self, busy: bool) -> None:
        self.export_button.setEnabled(not busy)

    # ---- persistence ---------------------------------------------------------------------------
    def save_state(self, settings: QSettings, group: str = SETTINGS_GROUP) -> None:
        settings.beginGroup(group)
        for key, value in self._state().items():
            settings.setValue(key, value)
        settings.endGroup()

    @staticmethod
    def has_state(settings: QSettings, group: str) -> bool:
        settings.beginGroup(group)
        found = bool(settings.childKeys())
        settings.endGroup()
        return found

    def clear_destination(self) -> None:
        """A fresh profile: no folder, label or category yet (the clip and picture settings stay)."""
        for edit in (self.folder_edit, self.label_edit, self.category_edit):
            edit.clear()

    def restore_state(self, settings: QSettings, group: str = SETTINGS_GROUP) -> None:
        settings.beginGroup(group)
        for key, value in self._state().items():
            stored = settings.value(key, value, type=type(value))
            self._apply(key, stored)
        settings.endGroup()

    def _state(self) -> dict:
        return {
            "folder": self.folder_edit.text(),
            "name": self.name_edit.text(),
            "label": self.label_edit.text(),
            "category": self.category_edit.text(),
            "format": self.format_combo.currentText(),
            "short_side": self.short_side_spin.value(),
            "length": self.length_spin.value(),
            "count": self.count_spin.value(),
            "spread": self.spread_spin.value(),
            "portrait": self.portrait_combo.currentText(),
            "portrait_center": self.portrait_center_slider.value(),
            "random_crop": self.random_crop_spin.value(),
            "ltx2": self.ltx2_check.isChecked(),
            "hardware_encoder": self.hardware_check.isChecked(),
            "workers": self.workers_spin.value(),
        }

    def _apply(self, key: str, value) -> None:
        setters = {
            "folder": self.folder_edit.setText,
            "name": self.name_edit.setText,
            "label": self.label_edit.setText,
            "category": self.category_edit.setText,
            "format": self.format_combo.setCurrentText,
            "short_side": self.short_side_spin.setValue,
            "length": self.length_spin.setValue,
            "count": self.count_spin.setValue,
            "spread": self.spread_spin.setValue,
            "portrait": self.portrait_combo.setCurrentText,
            "portrait_center": self.portrait_center_slider.setValue,
            "random_crop": self.random_crop_spin.setValue,
            "ltx2": self.ltx2_check.setChecked,
            "hardware_encoder": self.hardware_check.setChecked,
            "workers": self.workers_spin.setValue,
        }
        setters[key](value)
