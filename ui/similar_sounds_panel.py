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
        self.cmb_model = QComboBox()
        self.cmb_model.addItems(models)
        self.cmb_model.setToolTip("Embedding model the library is indexed with")
        self.spn_top = QSpinBox()
        self.spn_top.setRange(1, 1000)
        self.spn_top.setValue(30)
        self.spn_top.setToolTip("How many places to list, over all videos")
        self.btn_at_cursor = QPushButton("Find similar")
        self.btn_at_cursor.setToolTip(
            "Search the library for the sound under the cursor: the scan region there, "
            "else the second starting at the cursor"
        )
        self.btn_at_cursor.clicked.connect(self.search_at_cursor_requested)
        self.btn_clip = QPushButton("From clip…")
        self.btn_clip.setToolTip("Search with an exported clip file as the example")
        self.btn_clip.clicked.connect(self.search_clip_requested)
        self.btn_review = QPushButton("Review these")
        self.btn_review.setToolTip("Answer the hits one key at a time in the review queue")
        self.btn_review.clicked.connect(self.review_requested)
        self.btn_review.setEnabled(False)
        self.lbl_status = QLabel(
            "Put the cursor on a sound (or Shift+drag over it on the timeline) and press Find similar."
        )
        self.lbl_status.setWordWrap(True)

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
        form.addRow("Model:", self.cmb_model)
        form.addRow("Places:", self.spn_top)
        buttons = QHBoxLayout()
        for button in (self.btn_at_cursor, self.btn_clip, self.btn_review):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.lbl_status)
        layout.addWidget(self.table, 1)

    def model(self) -> str:
        return self.cmb_model.currentText()

    def top(self) -> int:
        return self.spn_top.value()

    def regions(self) -> list[SimilarRegion]:
        return list(self._regions)

    def set_busy(self, busy: bool, message: str = "") -> None:
        for button in (self.btn_at_cursor, self.btn_clip):
            button.setEnabled(not busy)
        self.btn_review.setEnabled(not busy and bool(self._regions))
        if message:
            self.lbl_status.setText(message)

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
        self.lbl_status.setText(
            f"{len(regions)} place(s) sound like {example}; select one to play it."
            if regions
            else f"Nothing in the library sounds like {example}: add videos."
        )
        self.btn_review.setEnabled(bool(regions))

    def _on_selection(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.hit_selected.emit(self._regions[rows[0].row()])

    @staticmethod
    def example_label(video: Path | None, start: float, end: float) -> str:
        return f"{video.name} {format_time(start)} – {format_time(end)}" if video else "the clip"
