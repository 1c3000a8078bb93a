"""What each export folder trains on: clips, source videos (how many are missing) and hard negatives."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from core.relink import folder_details

COLUMNS = ("Export folder", "Clips", "Videos", "Missing videos", "Hard negatives")


class TrainingDetailsDialog(QDialog):
    def __init__(self, db, profile: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Training data details")
        self.setMinimumWidth(520)
        details = folder_details(db, profile)
        self.table = QTableWidget(len(details), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for row, entry in enumerate(details):
            values = (entry.folder, entry.clips, entry.videos, entry.missing_videos, entry.hard_negatives)
            for col, value in enumerate(values):
                item = QTableWidgetItem(str(value))
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        note = QLabel(
            "Hard negatives are counted on the videos holding each folder's clips; a missing video "
            "trains nothing until it is relinked."
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(note)
        layout.addWidget(buttons)
