"""The "Similar sounds" list: hits of a find-similar search (file, time, similarity), one per row.

Selecting a row asks for that hit to be played (`hit_selected`); the buttons ask the workbench to search
from the cursor or from a clip file, and to turn the hits into a review queue. The panel holds no logic
beyond showing what it is given.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.similarity_search import SimilarRegion
from ui.timeline import format_time

COLUMNS = ("File", "Time", "Similarity")


class SimilarSoundsPanel(QWidget):
    search_at_cursor_requested = Signal()
    search_clip_requested = Signal()
    review_requested = Signal()
    hit_selected = Signal(object)  # SimilarRegion

    def __init__(self, models: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self._regions: list[SimilarRegion] = []
        self.model_combo = QComboBox()
        self.model_combo.addItems(models)
        self.model_combo.setToolTip("Embedding model the library is indexed with")
        self.top_spin = QSpinBox()
        self.top_spin.setRange(1, 1000)
        self.top_spin.setValue(30)
        self.top_spin.setToolTip("How many places to list, over all videos")
        self.at_cursor_button = QPushButton("Find similar")
        self.at_cursor_button.setToolTip(
            "Search the library for the sound under the cursor: the scan region there, "
            "else the second starting at the cursor"
        )
        self.at_cursor_button.clicked.connect(self.search_at_cursor_requested)
        self.clip_button = QPushButton("From clip…")
        self.clip_button.setToolTip("Search with an exported clip file as the example")
        self.clip_button.clicked.connect(self.search_clip_requested)
        self.review_button = QPushButton("Review these")
        self.review_button.setToolTip("Answer the hits one key at a time in the review queue")
        self.review_button.clicked.connect(self.review_requested)
        self.review_button.setEnabled(False)
        self.status_label = QLabel(
            "Put the cursor on a sound (or Shift+drag over it on the timeline) and press Find similar."
        )
        self.status_label.setWordWrap(True)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._on_selection)

        form = QFormLayout()
        form.addRow("Model:", self.model_combo)
        form.addRow("Places:", self.top_spin)
        buttons = QHBoxLayout()
        for button in (self.at_cursor_button, self.clip_button, self.review_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status_label)
        layout.addWidget(self.table, 1)

    def model(self) -> str:
        return self.model_combo.currentText()

    def top(self) -> int:
        return self.top_spin.value()

    def regions(self) -> list[SimilarRegion]:
        return list(self._regions)

    def set_busy(self, busy: bool, message: str = "") -> None:
        for button in (self.at_cursor_button, self.clip_button):
            button.setEnabled(not busy)
        self.review_button.setEnabled(not busy and bool(self._regions))
        if message:
            self.status_label.setText(message)

    def show_results(self, regions: list[SimilarRegion], example: str) -> None:
        self._regions = list(regions)
        self.table.setRowCount(len(regions))
        for row, region in enumerate(regions):
            cells = (
                region.video.name,
                f"{format_time(region.start)} – {format_time(region.end)}",
                f"{region.score:.3f}",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 0:
                    item.setToolTip(str(region.video))
                if column == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.status_label.setText(
            f"{len(regions)} place(s) sound like {example}; select one to play it."
            if regions
            else f"Nothing in the library sounds like {example}: add videos."
        )
        self.review_button.setEnabled(bool(regions))

    def _on_selection(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.hit_selected.emit(self._regions[rows[0].row()])

    @staticmethod
    def example_label(video: Path | None, start: float, end: float) -> str:
        return f"{video.name} {format_time(start)} – {format_time(end)}" if video else "the clip"
