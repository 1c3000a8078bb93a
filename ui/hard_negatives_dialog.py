"""View and remove the hard negatives of a profile, optionally narrowed to one source model.

Marking one scan region stores one negative per classifier window inside it, so a region gives several rows:
the summary also counts the regions they came from, and each row's tooltip names its siblings.

Opened from the Train dialog's "Manage..." button; closing it makes the Train dialog refresh its stats
(the Train dialog listens to `finished`).
"""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from ui.changes import Changes

ALL_MODELS = "(all)"
UNKNOWN_MODEL = "(unknown)"  # negatives marked before source models were recorded
COL_FILE, COL_TIME, COL_MODEL, COL_ID = range(4)


def _region_key(row: dict) -> tuple:
    """Negatives marked from one scan region share a key; older ones (no region recorded) stand alone."""
    return (row["filename"], row["region_id"]) if row["region_id"] is not None else ("", -row["id"])


def summary(rows: list[dict]) -> str:
    """'<b>5</b> hard negatives from <b>1</b> scan region' (the seed's count, and where they came from)."""
    text = f"<b>{len(rows)}</b> hard negatives"
    marked = [row for row in rows if row["region_id"] is not None]
    regions = len({_region_key(row) for row in marked})
    if not regions:
        return text
    source = f"<b>{regions}</b> scan region{'' if regions == 1 else 's'}"
    return f"{text} from {source}" if len(marked) == len(rows) else f"{text} ({len(marked)} from {source})"


class HardNegativesDialog(QDialog):
    def __init__(self, db, profile: str, parent=None, changes: Changes | None = None):
        super().__init__(parent)
        self._changes = changes
        self.setWindowTitle("Hard Negatives")
        self.resize(620, 420)
        self._db = db
        self._profile = profile
        self._rows: list[dict] = []

        self.filter_combo = QComboBox()
        self.filter_combo.currentIndexChanged.connect(self._apply_filter)
        self.summary_label = QLabel()
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)

        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["File", "Time", "Source Model", "ID"])
        self.table.setColumnHidden(COL_ID, True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_FILE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_TIME, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_MODEL, QHeaderView.ResizeMode.ResizeToContents)

        self.delete_button = QPushButton("Delete Selected")
        self.delete_button.clicked.connect(self._delete_selected)
        self.clear_button = QPushButton("Clear All")
        self.clear_button.clicked.connect(self._clear_all)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.accept)

        top = QHBoxLayout()
        top.addWidget(QLabel("Source model:"))
        top.addWidget(self.filter_combo, 1)
        top.addStretch(1)
        top.addWidget(self.summary_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self._load()

    # --- loading and filtering -------------------------------------------------------------------

    def _load(self) -> None:
        """Re-read the negatives, keeping the chosen filter when its model still has any."""
        self._rows = self._db.get_hard_negatives(self._profile)
        chosen = self._filter_model()
        models = sorted({row["source_model"] for row in self._rows})
        # Rebuilding the combo would fire a filter change per item; one explicit apply follows instead.
        self.filter_combo.blockSignals(True)
        self.filter_combo.clear()
        self.filter_combo.addItem(ALL_MODELS, None)
        for model in models:
            self.filter_combo.addItem(model or UNKNOWN_MODEL, model)
        self.filter_combo.setCurrentIndex(max(0, self.filter_combo.findData(chosen)) if chosen is not None else 0)
        self.filter_combo.blockSignals(False)

        siblings = Counter(_region_key(row) for row in self._rows)
        self.table.setRowCount(len(self._rows))
        for r, row in enumerate(self._rows):
            values = (
                row["filename"],
                f"{row['start_time']:.1f}s",
                row["source_model"] or UNKNOWN_MODEL,
                str(row["id"]),
            )
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                if col == COL_TIME:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    if row["region_id"] is not None:
                        item.setToolTip(
                            f"One window of a scan region marked as negative; that region gave "
                            f"{siblings[_region_key(row)]} window(s)"
                        )
                self.table.setItem(r, col, item)
        self._apply_filter()

    def _filter_model(self) -> str | None:
        """The source model the view is narrowed to, or None for (all)."""
        return self.filter_combo.currentData()

    def _apply_filter(self) -> None:
        model = self._filter_model()
        for r, row in enumerate(self._rows):
            self.table.setRowHidden(r, model is not None and row["source_model"] != model)
        self.summary_label.setText(summary([self._rows[r] for r in self._shown_rows()]))

    def _shown_rows(self) -> list[int]:
        return [r for r in range(self.table.rowCount()) if not self.table.isRowHidden(r)]

    def _row_id(self, r: int) -> int:
        return int(self.table.item(r, COL_ID).text())

    # --- deleting --------------------------------------------------------------------------------

    def _delete_selected(self) -> None:
        # A selection can outlive a filter change; rows the user cannot see are never deleted.
        selected = {index.row() for index in self.table.selectionModel().selectedRows()}
        ids = [self._row_id(r) for r in sorted(selected) if not self.table.isRowHidden(r)]
        if ids:
            self._db.delete_hard_negatives_by_ids(ids)
            self._load()
            if self._changes is not None:
                self._changes.negatives.emit()

    def _clear_all(self) -> None:
        ids = [self._row_id(r) for r in self._shown_rows()]
        if not ids:
            return
        model = self._filter_model()
        if model is None:
            question = f"Delete all {len(ids)} hard negatives of profile '{self._profile}'?"
        else:
            question = f"Delete the {len(ids)} hard negatives from model {model or UNKNOWN_MODEL}?"
        answer = QMessageBox.question(
            self,
            "Clear hard negatives",
            question + " This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._db.delete_hard_negatives_by_ids(ids)
            self._load()
            if self._changes is not None:
                self._changes.negatives.emit()
