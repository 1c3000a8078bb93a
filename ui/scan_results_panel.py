"""Review of scan results for the loaded video: one tab per embedding model, its scan history, edits.

Each model tab is a container holding a version combo (hidden while the model has a single scan) above
a Start / End / Score table. Edits (disable, resize, mark as hard negative) go through one QUndoStack;
switching to another version of a scan clears it, since its entries name rows of the version left behind.
`regions_edited` fires whenever what the timeline should show changes. Merging selected regions widens the
first to span them all and disables the others (one undo step); "Export Selected" cuts clips from the
selected enabled regions only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import QItemSelectionModel, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QShortcut, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.defaults import CLIP_HOP, CLIP_WINDOW, DEFAULT_CLIP_LENGTH
from core.export import estimate_scan_clips
from core.scanning import negative_times_for_region
from ui.scan_undo import MarkNegativeCommand, ResizeRegionCommand, SetDisabledCommand
from ui.shortcuts import key_sequences
from ui.timeline import format_time
from ui.wording import format_stamp, plural

COL_START, COL_END, COL_SCORE, COL_EXPORTED = range(4)
DISABLED_COLOR = QColor(150, 150, 150)
_TAB_COUNT_SUFFIX = re.compile(r" \(\d+\)$")


@dataclass
class ShownRegion:
    """A region as the panel shows it; `original_*` is the extent the scan found, kept to draw the trim."""

    id: int
    start: float
    end: float
    score: float
    disabled: bool
    original_start: float
    original_end: float
    exported: bool = False  # clips were already exported from it (into the chosen export folder)

    @classmethod
    def from_row(cls, row: dict) -> ShownRegion:
        return cls(
            row["id"],
            row["start_time"],
            row["end_time"],
            row["score"],
            bool(row["disabled"]),
            row.get("original_start", row["start_time"]),
            row.get("original_end", row["end_time"]),
        )

    def covers(self, t: float) -> bool:
        """Whether `t` lies in the region as shown or as the scan found it (a clip cut before a trim)."""
        return min(self.start, self.original_start) <= t <= max(self.end, self.original_end)


def version_label(version: dict) -> str:
    """The seed's '2026-04-19 14:30 (12 regions, best: 0.95)', then what tells rescans apart: the threshold
    and the classifier version when the scan recorded them."""
    when = format_stamp(version["timestamp"])
    if not version["count"]:
        label = f"{when} (no regions)"
    else:
        label = f"{when} ({plural(version['count'], 'region')}, best: {version['max_score']:.2f})"
    if version.get("threshold") is not None:
        label += f" · threshold {version['threshold']:.2f}"
    if version.get("classifier_version"):
        label += f" · classifier of {format_stamp(version['classifier_version'], '%m-%d %H:%M')}"
    return label


def version_tooltip(version: dict) -> str:
    """The item's tooltip: the whole story of one scan version."""
    parts = [f"Scanned {format_stamp(version['timestamp'])}"]
    if version.get("classifier"):
        parts.append(f"with classifier {version['classifier']}")
    if version.get("classifier_version"):
        parts.append(f"(version of {format_stamp(version['classifier_version'])})")
    if version.get("threshold") is not None:
        parts.append(f"at threshold {version['threshold']:.2f}")
    return " ".join(parts)


def parse_time(text: str) -> float:
    """Seconds from '75.5', '1:15.5' or '0:01:15.5'; ValueError on anything else or a negative value."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3:
        raise ValueError(text)
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    if seconds < 0:
        raise ValueError(text)
    return seconds


class ModelTab(QWidget):
    """The container of one model's tab: version combo above the region table."""

    def __init__(self, model: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.scan_timestamp: str | None = None  # version on show
        self.regions: list[ShownRegion] = []

        self.version_combo = QComboBox()
        # Long labels (threshold, classifier version) must not widen the dock: the popup shows them whole.
        self.version_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.version_combo.setMinimumContentsLength(24)
        self.version_combo.currentIndexChanged.connect(self._explain_version)
        self.history_row = QWidget()
        history = QVBoxLayout(self.history_row)  # above the combo: the seed's label keeps the full width
        history.setContentsMargins(0, 0, 0, 0)
        history.setSpacing(2)
        history.addWidget(QLabel("Scan history:"))  # the dock's other "Version:" is the classifier's
        history.addWidget(self.version_combo)
        self.version_detail_label = QLabel()  # what the closed combo may cut: threshold, classifier version
        history.addWidget(self.version_detail_label)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Start", "End", "Score", "Exported"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(COL_EXPORTED, QHeaderView.ResizeMode.ResizeToContents)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.history_row)
        layout.addWidget(self.table)

    def _explain_version(self, index: int) -> None:
        """The chosen version's details under the combo and its whole story as the tooltip: the dock is too
        narrow for the label's tail."""
        if index >= 0:
            label = self.version_combo.itemText(index)
            self.version_combo.setToolTip(f"{label}\n{self.version_combo.itemData(index, Qt.ItemDataRole.ToolTipRole)}")
            self.version_detail_label.setText(label.partition(" · ")[2].replace(" · ", ", "))

    def fill_versions(self, versions: list[dict]) -> None:
        with QSignalBlocker(self.version_combo):
            self.version_combo.clear()
            for i, version in enumerate(versions):
                self.version_combo.addItem(version_label(version), version["timestamp"])
                self.version_combo.setItemData(i, version_tooltip(version), Qt.ItemDataRole.ToolTipRole)
            self.version_combo.setCurrentIndex(max(0, self.version_combo.findData(self.scan_timestamp)))
        self._explain_version(self.version_combo.currentIndex())
        view = self.version_combo.view()
        view.setMinimumWidth(view.sizeHintForColumn(0) + 24)
        self.history_row.setVisible(len(versions) > 1)

    def show_regions(self, rows: list[dict]) -> None:
        self.regions = sorted((ShownRegion.from_row(row) for row in rows), key=lambda r: r.start)
        self.scan_timestamp = rows[0].get("scan_timestamp") if rows else None
        with QSignalBlocker(self.table):  # itemChanged means "the user edited a cell"
            self.table.setRowCount(len(self.regions))
            for r, region in enumerate(self.regions):
                score = QTableWidgetItem(f"{region.score:.2f}")
                exported = QTableWidgetItem()
                for item in (score, exported):
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                for col, item in (
                    (COL_START, QTableWidgetItem()),
                    (COL_END, QTableWidgetItem()),
                    (COL_SCORE, score),
                    (COL_EXPORTED, exported),
                ):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    self.table.setItem(r, col, item)
                self._paint_row(r)

    def mark_exported(self, clip_starts: list[float]) -> None:
        """Flag the regions that clips were already cut from (their starts lie inside)."""
        for row, region in enumerate(self.regions):
            region.exported = any(region.covers(t) for t in clip_starts)
            self._paint_row(row)

    def row_of(self, region_id: int) -> int | None:
        return next((r for r, region in enumerate(self.regions) if region.id == region_id), None)

    def selected_rows(self) -> list[int]:
        return sorted({index.row() for index in self.table.selectionModel().selectedRows()})

    def set_disabled(self, row: int, disabled: bool) -> None:
        self.regions[row].disabled = disabled
        self._paint_row(row)

    def set_bounds(self, row: int, start: float, end: float) -> None:
        self.regions[row].start, self.regions[row].end = start, end
        self._paint_row(row)

    def _paint_row(self, row: int) -> None:
        region = self.regions[row]
        with QSignalBlocker(self.table):
            self.table.item(row, COL_START).setText(format_time(region.start))
            self.table.item(row, COL_END).setText(format_time(region.end))
            exported = self.table.item(row, COL_EXPORTED)
            exported.setText("✓" if region.exported else "")
            exported.setToolTip("Clips were exported from this region" if region.exported else "")
            for col in range(4):
                item = self.table.item(row, col)
                font = item.font()
                font.setStrikeOut(region.disabled)
                item.setFont(font)
                item.setForeground(QBrush(DISABLED_COLOR) if region.disabled else QBrush())


class ScanResultsPanel(QWidget):
    regions_edited = Signal()
    region_activated = Signal(float)  # start of the region the user picked: seek there
    export_requested = Signal(object)  # list[ShownRegion]: the enabled regions to export
    message = Signal(str)  # a short status line (e.g. why an edit was refused)
    region_selected = Signal(object)  # id of the region whose row is current, or None: the timeline marks it
    negatives_changed = Signal()  # hard negatives were stored from regions, or that was undone

    def __init__(
        self,
        db,
        profile: str,
        *,
        window_length: float = CLIP_WINDOW,
        hop: float = CLIP_HOP,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self._db = db
        self.profile = profile
        # The classifier's windows, for hard-negative times (`window` would hide QWidget.window()).
        self.window_length, self.hop = window_length, hop
        self.filename: str | None = None
        self.source_path = ""
        self.clip_length = DEFAULT_CLIP_LENGTH  # length of exported clips, for the export estimate
        self._exported_starts: list[float] = []  # starts of clips already exported from this file's scans

        self.undo_stack = QUndoStack(self)
        self.undo_action: QAction = self.undo_stack.createUndoAction(self, "Undo")
        self.undo_action.setShortcuts(key_sequences("undo"))
        self.redo_action: QAction = self.undo_stack.createRedoAction(self, "Redo")
        self.redo_action.setShortcuts(key_sequences("redo"))
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        for keys in key_sequences("toggle_region"):
            QShortcut(keys, self, self.toggle_selected_disabled, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        self.file_label = QLabel("No file loaded")
        self.tabs = QTabWidget()
        self.tabs.currentChanged.connect(self._on_tab_changed)

        self.negative_button = QPushButton("Mark as negative")
        self.negative_button.setToolTip(
            "Store the selected regions as hard negatives for the next training and disable them"
        )
        self.negative_button.clicked.connect(self.mark_selected_negative)
        self.merge_button = QPushButton("Merge")
        self.merge_button.setToolTip("Join the selected regions into one spanning them all (the others are disabled)")
        self.merge_button.clicked.connect(self.merge_selected)
        self.merge_button.setEnabled(False)

        self.spread_spin = QDoubleSpinBox()
        self.spread_spin.setRange(0.5, 600.0)
        self.spread_spin.setValue(4.0)
        self.spread_spin.setSuffix(" s")
        self.spread_spin.setToolTip("Distance between the starts of clips cut from one region")
        self.min_length_spin = QDoubleSpinBox()
        self.min_length_spin.setRange(0.0, 600.0)
        self.min_length_spin.setValue(0.0)
        self.min_length_spin.setSuffix(" s")
        self.min_length_spin.setToolTip("Regions shorter than this are not exported")
        for spin in (self.spread_spin, self.min_length_spin):
            spin.valueChanged.connect(self._update_export_count)
        self.reexport_check = QCheckBox()
        self.reexport_check.setToolTip("Regions marked ✓ already gave clips; exporting them again writes new copies")
        self.reexport_check.toggled.connect(self._update_export_count)
        self.export_button = QPushButton()
        self.export_button.clicked.connect(self._request_export)
        self.export_selected_button = QPushButton("Export Selected")
        self.export_selected_button.setToolTip("Cut clips from the selected enabled regions only, exported or not")
        self.export_selected_button.clicked.connect(self._request_selected_export)
        self.export_selected_button.setEnabled(False)

        export_form = QFormLayout()
        export_form.addRow("Spread:", self.spread_spin)
        export_form.addRow("Minimum length:", self.min_length_spin)
        buttons = QHBoxLayout()
        buttons.addWidget(self.negative_button)
        buttons.addWidget(self.merge_button)
        buttons.addStretch(1)
        export_buttons = QHBoxLayout()
        export_buttons.addWidget(self.export_button, 1)
        export_buttons.addWidget(self.export_selected_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.file_label)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        layout.addLayout(export_form)
        layout.addWidget(self.reexport_check)
        layout.addLayout(export_buttons)
        self._update_export_count()

    # --- loading ---------------------------------------------------------------------------------

    def set_profile(self, profile: str) -> None:
        self.profile = profile
        if self.filename:
            self.load_for_file(self.filename, self.source_path)

    def load_for_file(self, filename: str, source_path: str = "") -> None:
        """Show the latest scan of every model for `filename` (a video's base name)."""
        self.filename, self.source_path = filename, source_path
        self.file_label.setText(filename)
        self.tabs.blockSignals(True)
        self._remove_tabs()
        scans = self._db.get_scan_results(filename, self.profile, source_path=self.source_path or None)
        for model, rows in sorted(scans.items()):
            self._add_tab(model, rows)
        self.tabs.blockSignals(False)
        self._populate_version_combos()
        self.undo_stack.clear()
        self._on_tab_changed()

    def negatives_stored(self) -> None:
        self.negatives_changed.emit()

    def add_scan_results(self, filename: str, model: str) -> None:
        """A scan of `filename` with `model` has been saved: show it if that file is on show."""
        if filename != self.filename:
            return
        rows = self._db.get_scan_results(filename, self.profile, source_path=self.source_path or None).get(model, [])
        index = self._tab_index(model)
        if index is None:
            self._add_tab(model, rows)
            index = self.tabs.count() - 1
        else:
            self._tab(index).show_regions(rows)
            self._tab(index).mark_exported(self._exported_starts)
        self._populate_version_combos()
        # Older entries may name rows that the new scan pruned from the history.
        self.undo_stack.clear()
        if self.tabs.currentIndex() == index:
            self._on_tab_changed()
        else:
            self.tabs.setCurrentIndex(index)

    def clear(self) -> None:
        self.filename, self.source_path = None, ""
        self.file_label.setText("No file loaded")
        self._remove_tabs()
        self.undo_stack.clear()
        self._on_tab_changed()

    def _remove_tabs(self) -> None:
        while self.tabs.count():
            self.tabs.widget(0).deleteLater()
            self.tabs.removeTab(0)

    def _add_tab(self, model: str, rows: list[dict]) -> None:
        tab = ModelTab(model)
        tab.show_regions(rows)
        tab.version_combo.currentIndexChanged.connect(lambda idx, m=model: self._on_version_changed(m, idx))
        tab.table.itemChanged.connect(lambda item, t=tab: self._on_cell_edited(t, item))
        tab.table.currentCellChanged.connect(lambda row, *_rest, t=tab: self._on_row_picked(t, row))
        tab.table.itemSelectionChanged.connect(lambda t=tab: self._on_selection_changed(t))
        tab.mark_exported(self._exported_starts)
        self.tabs.addTab(tab, model)

    def _populate_version_combos(self) -> None:
        for index in range(self.tabs.count()):
            tab = self._tab(index)
            tab.fill_versions(
                self._db.get_scan_versions(self.filename, self.profile, tab.model, source_path=self.source_path or None)
            )
            self._retitle(index)

    def _on_version_changed(self, model: str, idx: int) -> None:
        index = self._tab_index(model)
        if index is None or idx < 0:
            return
        tab = self._tab(index)
        timestamp = tab.version_combo.itemData(idx)
        rows = self._db.get_scan_results(
            self.filename, self.profile, scan_timestamp=timestamp, source_path=self.source_path or None
        ).get(model, [])
        tab.show_regions(rows)
        tab.mark_exported(self._exported_starts)
        self._retitle(index)
        self.undo_stack.clear()
        self.regions_edited.emit()
        self._update_export_count()

    def _on_tab_changed(self, *_args) -> None:
        self.regions_edited.emit()
        tab = self._current_tab()
        if tab is None:
            self.region_selected.emit(None)
        else:
            self._on_selection_changed(tab)
        self._update_export_count()

    def _on_selection_changed(self, tab: ModelTab) -> None:
        if tab is not self._current_tab():
            return
        rows = tab.selected_rows()
        self.region_selected.emit(tab.regions[rows[0]].id if len(rows) == 1 else None)
        self._update_selection_buttons()

    def _update_selection_buttons(self) -> None:
        self.merge_button.setEnabled(len(self._selected_enabled()) > 1)
        self.export_selected_button.setEnabled(bool(self._selected_enabled()))

    def _selected_enabled(self) -> list[ShownRegion]:
        tab = self._current_tab()
        return [tab.regions[r] for r in tab.selected_rows() if not tab.regions[r].disabled] if tab else []

    def set_exported_clip_starts(self, starts: list[float]) -> None:
        """Starts of the scan-export clips already written from this file: their regions are marked and,
        unless "export again" is ticked, left out of the next export."""
        self._exported_starts = list(starts)
        for index in range(self.tabs.count()):
            self._tab(index).mark_exported(self._exported_starts)
        self._update_export_count()

    def _retitle(self, index: int) -> None:
        tab = self._tab(index)
        self.tabs.setTabText(index, f"{tab.model} ({len(tab.regions)})")

    # --- tab helpers -----------------------------------------------------------------------------

    def _tab(self, index: int) -> ModelTab:
        return self.tabs.widget(index)

    def _tab_index(self, model: str) -> int | None:
        return next((i for i in range(self.tabs.count()) if self._tab(i).model == model), None)

    def _current_tab(self) -> ModelTab | None:
        return self.tabs.currentWidget()

    def _tab_table(self, index: int) -> QTableWidget:
        return self._tab(index).table

    def _current_table(self) -> QTableWidget | None:
        tab = self._current_tab()
        return tab.table if tab else None

    def current_model_name(self) -> str | None:
        """The embedding model of the active tab: its title without the region count."""
        index = self.tabs.currentIndex()
        return _TAB_COUNT_SUFFIX.sub("", self.tabs.tabText(index)) if index >= 0 else None

    def current_regions(self) -> list[ShownRegion]:
        tab = self._current_tab()
        return list(tab.regions) if tab else []

    def enabled_regions(self) -> list[ShownRegion]:
        """The regions an export would cut: enabled, long enough, and not exported already (unless asked)."""
        minimum, again = self.min_length_spin.value(), self.reexport_check.isChecked()
        return [
            r
            for r in self.current_regions()
            if not r.disabled and r.end - r.start >= minimum and (again or not r.exported)
        ]

    # --- edits -----------------------------------------------------------------------------------

    def toggle_selected_disabled(self) -> None:
        """Disable the selected regions, or enable them when all of them are disabled already."""
        tab = self._current_tab()
        rows = tab.selected_rows() if tab else []
        if not rows:
            return
        before = {tab.regions[r].id: tab.regions[r].disabled for r in rows}
        self.undo_stack.push(SetDisabledCommand(self._db, self, before, not all(before.values())))

    def resize_region(self, region_id: int, start: float, end: float) -> None:
        """Give a region new bounds (from the table or a Shift+drag on the timeline), undoably."""
        found = self._find(region_id)
        if found is None:
            return
        tab, row = found
        region = tab.regions[row]
        if (start, end) != (region.start, region.end):
            self.undo_stack.push(
                ResizeRegionCommand(self._db, self, region_id, (region.start, region.end), (start, end))
            )

    def select_region(self, region_id: int) -> None:
        """Select a region's row (after a click on it in the timeline) without seeking to its start."""
        found = self._find(region_id)
        if found:
            tab, row = found
            self.tabs.setCurrentWidget(tab)
            index = tab.table.model().index(row, 0)
            tab.table.selectionModel().select(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            )
            tab.table.scrollTo(index)

    def merge_selected(self) -> None:
        """One region from the first selected enabled one to the end of the last, the rest disabled."""
        regions = self._selected_enabled()
        if len(regions) < 2:
            return
        first, others = regions[0], regions[1:]
        span = (min(r.start for r in regions), max(r.end for r in regions))
        self.undo_stack.beginMacro(f"Merge {len(regions)} regions")
        self.undo_stack.push(ResizeRegionCommand(self._db, self, first.id, (first.start, first.end), span))
        self.undo_stack.push(SetDisabledCommand(self._db, self, {r.id: False for r in others}, True))
        self.undo_stack.endMacro()
        self.message.emit(f"Merged {plural(len(regions), 'region')} into {format_time(span[0])}–{format_time(span[1])}")

    def mark_selected_negative(self) -> None:
        tab = self._current_tab()
        rows = tab.selected_rows() if tab else []
        if not rows or not self.filename:
            return
        regions = [tab.regions[r] for r in rows]
        times = {
            region.id: negative_times_for_region(region.start, region.end, self.window_length, self.hop)
            for region in regions
        }
        self.undo_stack.push(
            MarkNegativeCommand(
                self._db,
                self,
                filename=self.filename,
                profile=self.profile,
                source_path=self.source_path,
                source_model=self.current_model_name(),
                times=times,
                before={region.id: region.disabled for region in regions},
            )
        )
        count = sum(map(len, times.values()))
        self.message.emit(
            f"{plural(count, 'hard negative window')} ({self.window_length:g} s each) stored "
            f"from {plural(len(regions), 'region')}"
        )

    def _on_cell_edited(self, tab: ModelTab, item: QTableWidgetItem) -> None:
        row, col = item.row(), item.column()
        region = tab.regions[row]
        try:
            value = parse_time(item.text())
        except ValueError:
            value = None
        start, end = (value, region.end) if col == COL_START else (region.start, value)
        if value is None or start >= end:
            self.message.emit(f"'{item.text()}' is not a valid time here: the start must come before the end")
            tab.set_bounds(row, region.start, region.end)  # put the old text back
            return
        self.resize_region(region.id, start, end)

    def _on_row_picked(self, tab: ModelTab, row: int) -> None:
        if 0 <= row < len(tab.regions):
            self.region_activated.emit(tab.regions[row].start)

    # --- RegionView: the undo commands report here -----------------------------------------------

    def show_disabled(self, region_id: int, disabled: bool) -> None:
        found = self._find(region_id)
        if found:
            found[0].set_disabled(found[1], disabled)
        self.regions_edited.emit()
        self._update_export_count()
        self._update_selection_buttons()

    def show_bounds(self, region_id: int, start: float, end: float) -> None:
        found = self._find(region_id)
        if found:
            found[0].set_bounds(found[1], start, end)
        self.regions_edited.emit()
        self._update_export_count()

    def _find(self, region_id: int) -> tuple[ModelTab, int] | None:
        for index in range(self.tabs.count()):
            tab = self._tab(index)
            row = tab.row_of(region_id)
            if row is not None:
                return tab, row
        return None

    # --- export ----------------------------------------------------------------------------------

    def estimated_clip_count(self) -> int:
        return estimate_scan_clips(
            [(r.start, r.end) for r in self.enabled_regions()], self.clip_length, self.spread_spin.value()
        )

    def set_clip_length(self, seconds: float) -> None:
        self.clip_length = seconds
        self._update_export_count()

    def _update_export_count(self) -> None:
        count = self.estimated_clip_count()
        exported = sum(r.exported and not r.disabled for r in self.current_regions())
        self.reexport_check.setText(f"Export the {plural(exported, 'region')} marked ✓ again")
        self.reexport_check.setVisible(exported > 0)
        skipped = exported and not self.reexport_check.isChecked()
        self.export_button.setText(f"Export Scan Results ({plural(count, 'new clip' if skipped else 'clip')})")
        self.export_button.setEnabled(count > 0)

    def _request_export(self) -> None:
        regions = self.enabled_regions()
        if regions:
            self.export_requested.emit(regions)

    def _request_selected_export(self) -> None:
        regions = self._selected_enabled()
        if regions:
            self.export_requested.emit(regions)
