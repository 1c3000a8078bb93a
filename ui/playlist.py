"""The playlist: videos to work through, separators between them, their clip counts, hidden, exported and
missing ones, and progress of long work. Its tabs (ui/playlist_tabs.py) swap what it lists."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QColor, QDragEnterEvent, QDropEvent, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QInputDialog,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from core.playlist_tabs import Entry

VIDEO_SUFFIXES = {".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".mts", ".wmv", ".flv"}
FILE_COLUMN, CLIPS_COLUMN, PROGRESS_COLUMN = range(3)
PATH_ROLE = Qt.ItemDataRole.UserRole
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1
SEPARATOR_ROLE = Qt.ItemDataRole.UserRole + 2  # a separator row's label (its PATH_ROLE is None)
HIDDEN_COLOUR = QColor("#6b707a")
MISSING_COLOUR = QColor("#ff6b6b")
SEPARATOR_COLOUR = QColor("#9aa0aa")


def video_files(paths: list[Path]) -> list[Path]:
    """Video files among `paths`; a folder contributes the videos directly inside it, sorted by name."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file()))
        elif path.suffix.lower() in VIDEO_SUFFIXES:
            found.append(path)
    return [p.resolve() for p in found]


def not_videos(paths: list[Path]) -> list[Path]:
    """The files among `paths` that are no video (folders are searched, not judged)."""
    return [path for path in paths if not path.is_dir() and path.suffix.lower() not in VIDEO_SUFFIXES]


class _ProgressDelegate(QStyledItemDelegate):
    """Paints a progress bar in a row whose long work is under way; nothing otherwise."""

    def paint(self, painter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        fraction = index.data(PROGRESS_ROLE)
        if fraction is None:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum, bar.maximum = 0, 100
        bar.progress = round(float(fraction) * 100)
        bar.text = f"{bar.progress}%"
        bar.textVisible = True
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class Playlist(QTreeWidget):
    """Rows are videos; hidden files (kept in the database) are left out unless `show_hidden` is on."""

    file_activated = Signal(object)  # Path
    files_rejected = Signal(object)  # list[Path]: files offered (dropped, opened) that are no video
    delete_requested = Signal(object)  # list[Path]: the user asked to delete these files from disk
    contents_changed = Signal()  # files or separators added or removed

    def __init__(self, db, parent: QWidget | None = None):
        super().__init__(parent)
        self._db = db
        self._hidden = {Path(p) for p in db.get_hidden_files()}
        self._show_hidden = False
        self._hide_exported = False
        self._counts: dict[str, int] = {}
        self._current: Path | None = None
        self.setObjectName("playlist")
        self.setColumnCount(3)
        self.setHeaderLabels(["File", "Clips", "Progress"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setItemDelegateForColumn(PROGRESS_COLUMN, _ProgressDelegate(self))
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(FILE_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CLIPS_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(PROGRESS_COLUMN, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(PROGRESS_COLUMN, 80)
        self.itemActivated.connect(self._activate)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)

    # ---- contents ------------------------------------------------------------------------------
    def add_paths(self, paths: list[Path]) -> list[Path]:
        """Add videos (folders give their videos); returns those newly added, hidden ones included.
        Files that are no video are left out and reported through `files_rejected`."""
        rejected = not_videos(paths)
        if rejected:
            self.files_rejected.emit(rejected)
        known = set(self.all_paths())
        added = [path for path in dict.fromkeys(video_files(paths)) if path not in known]
        for path in added:
            self.addTopLevelItem(self._file_item(path))
        if added:
            self.contents_changed.emit()
        return added

    def _file_item(self, path: Path) -> QTreeWidgetItem:
        item = QTreeWidgetItem([path.name, "", ""])
        item.setData(FILE_COLUMN, PATH_ROLE, path)
        item.setTextAlignment(CLIPS_COLUMN, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._style_item(item)
        return item

    def _separator_item(self, label: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([f"── {label} ──", "", ""])
        item.setData(FILE_COLUMN, PATH_ROLE, None)
        item.setData(FILE_COLUMN, SEPARATOR_ROLE, label)
        item.setFirstColumnSpanned(True)
        item.setForeground(FILE_COLUMN, SEPARATOR_COLOUR)
        font = item.font(FILE_COLUMN)
        font.setBold(True)
        item.setFont(FILE_COLUMN, font)
        item.setToolTip(FILE_COLUMN, "Separator (right-click to rename or remove)")
        return item

    def all_paths(self) -> list[Path]:
        return [path for item in self._items() if (path := item.data(FILE_COLUMN, PATH_ROLE)) is not None]

    # ---- entries (what a tab holds) --------------------------------------------------------------
    def entries(self) -> list[Entry]:
        """Files and separators in order, as a playlist tab stores them."""
        return [
            Entry(None, label)
            if (label := item.data(FILE_COLUMN, SEPARATOR_ROLE)) is not None
            else Entry(item.data(FILE_COLUMN, PATH_ROLE))
            for item in self._items()
        ]

    def set_entries(self, entries: list[Entry]) -> None:
        """Show another tab's files and separators (missing files included, flagged)."""
        self.clear()
        for entry in entries:
            self.addTopLevelItem(
                self._separator_item(entry.separator) if entry.is_separator else self._file_item(entry.path)
            )
        self.set_clip_counts(self._counts)
        self.set_current(self._current)

    def insert_separator(self, row: int, label: str) -> None:
        """A separator above row `row` (at the end when past the last row)."""
        self.insertTopLevelItem(min(max(0, row), self.topLevelItemCount()), self._separator_item(label.strip()))
        self.contents_changed.emit()

    def ask_separator(self) -> None:
        rows = sorted(self.indexOfTopLevelItem(item) for item in self.selectedItems())
        label, ok = QInputDialog.getText(self, "Insert separator", "Label of the separator:")
        if ok and label.strip():
            self.insert_separator(rows[0] if rows else self.topLevelItemCount(), label)

    def _rename_separator(self, item: QTreeWidgetItem) -> None:
        label, ok = QInputDialog.getText(
            self, "Rename separator", "Label of the separator:", text=item.data(FILE_COLUMN, SEPARATOR_ROLE)
        )
        if ok and label.strip():
            item.setData(FILE_COLUMN, SEPARATOR_ROLE, label.strip())
            item.setText(FILE_COLUMN, f"── {label.strip()} ──")
            self.contents_changed.emit()

    def _remove_items(self, items: list[QTreeWidgetItem]) -> None:
        for item in items:
            self.takeTopLevelItem(self.indexOfTopLevelItem(item))
        if items:
            self.contents_changed.emit()

    def _activate(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        path = item.data(FILE_COLUMN, PATH_ROLE)
        if path is not None:  # a separator opens nothing
            self._style_item(item)  # flag it if it went missing since it was listed
            self.file_activated.emit(path)

    def paths(self) -> list[Path]:
        """The videos in playlist order, hidden ones left out."""
        return [path for path in self.all_paths() if path not in self._hidden]

    def is_hidden(self, path: Path) -> bool:
        return path in self._hidden

    def set_current(self, path: Path | None) -> None:
        """Mark the loaded file (bold) and select it."""
        self._current = path
        for item in self._items():
            if item.data(FILE_COLUMN, SEPARATOR_ROLE) is not None:
                continue
            is_current = item.data(FILE_COLUMN, PATH_ROLE) == path
            font = item.font(FILE_COLUMN)
            font.setBold(is_current)
            item.setFont(FILE_COLUMN, font)
            if is_current:
                self.setCurrentItem(item)

    def next_path(self) -> Path | None:
        """The visible file after the current one (the first when none is loaded; None at the end)."""
        visible = [path for path in self.paths() if not self._is_left_out(path)]
        if not visible:
            return None
        if self._current not in visible:
            return visible[0]
        index = visible.index(self._current) + 1
        return visible[index] if index < len(visible) else None

    # ---- hiding --------------------------------------------------------------------------------
    def hide_paths(self, paths: list[Path]) -> None:
        for path in paths:
            self._db.hide_file(path)
            self._hidden.add(path)
        self._restyle()

    def unhide_paths(self, paths: list[Path]) -> None:
        for path in paths:
            self._db.unhide_file(path)
            self._hidden.discard(path)
        self._restyle()

    def set_show_hidden(self, show: bool) -> None:
        self._show_hidden = show
        self._restyle()

    def set_hide_exported(self, hide: bool) -> None:
        """Leave out the files that already have clips in the current profile."""
        self._hide_exported = hide
        self._restyle()

    def selected_paths(self) -> list[Path]:
        return [path for item in self.selectedItems() if (path := item.data(FILE_COLUMN, PATH_ROLE)) is not None]

    def _is_left_out(self, path: Path) -> bool:
        return self._hide_exported and self._counts.get(path.name, 0) > 0

    def _restyle(self) -> None:
        for item in self._items():
            self._style_item(item)

    def _style_item(self, item: QTreeWidgetItem) -> None:
        path = item.data(FILE_COLUMN, PATH_ROLE)
        if path is None:  # a separator
            return
        hidden = path in self._hidden
        item.setHidden((hidden and not self._show_hidden) or self._is_left_out(path))
        font = item.font(FILE_COLUMN)
        font.setItalic(hidden)
        item.setFont(FILE_COLUMN, font)
        missing = not path.exists()  # moved, deleted, or on a drive not plugged in
        item.setIcon(
            FILE_COLUMN, self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning) if missing else QIcon()
        )
        item.setToolTip(
            FILE_COLUMN,
            f"File not found: {path}\nReconnect its drive, or remove it from the playlist." if missing else str(path),
        )
        if missing:
            item.setForeground(FILE_COLUMN, MISSING_COLOUR)
        elif hidden:
            item.setForeground(FILE_COLUMN, HIDDEN_COLOUR)
        else:
            item.setData(FILE_COLUMN, Qt.ItemDataRole.ForegroundRole, None)

    def _context_menu(self, pos) -> None:
        selected = self.selected_paths()
        clicked = self.itemAt(pos)
        menu = QMenu(self)
        if clicked is not None and clicked.data(FILE_COLUMN, SEPARATOR_ROLE) is not None:
            menu.addAction("Rename separator…", lambda: self._rename_separator(clicked))
            menu.addAction("Remove separator", lambda: self._remove_items([clicked]))
            menu.addSeparator()
        to_hide = [p for p in selected if p not in self._hidden]
        to_unhide = [p for p in selected if p in self._hidden]
        if to_hide:
            menu.addAction(f"Hide {len(to_hide)} file(s)", lambda: self.hide_paths(to_hide))
        if to_unhide:
            menu.addAction(f"Unhide {len(to_unhide)} file(s)", lambda: self.unhide_paths(to_unhide))
        if selected:
            menu.addAction(f"Remove {len(selected)} file(s) from the playlist", lambda: self.remove_paths(selected))
        menu.addAction("Insert separator…", self.ask_separator)
        if selected:
            menu.addSeparator()
            menu.addAction(f"Delete {len(selected)} file(s) from disk…", lambda: self.delete_requested.emit(selected))
        menu.exec(self.viewport().mapToGlobal(pos))

    def hide_action(self, parent) -> QAction:
        """Edit-menu action: hide the selected files (Delete key while the playlist has focus)."""
        action = QAction("Hide selected files", parent)
        action.setShortcut(Qt.Key.Key_Delete)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda: self.hide_paths(self.selected_paths()))
        self.addAction(action)
        return action

    def remove_paths(self, paths: list[Path]) -> None:
        """Take files off the playlist (hiding, by contrast, is remembered for every session)."""
        self._remove_items([item for item in self._items() if item.data(FILE_COLUMN, PATH_ROLE) in set(paths)])

    def remove_action(self, parent) -> QAction:
        """Edit-menu action: remove the selected files from the playlist."""
        action = QAction("Remove selected files from the playlist", parent)
        action.triggered.connect(lambda: self.remove_paths(self.selected_paths()))
        return action

    # ---- per-file figures ----------------------------------------------------------------------
    def set_clip_counts(self, counts: dict[str, int]) -> None:
        """{filename: clips} as ProcessedDB.get_clip_counts gives it for the current profile."""
        self._counts = dict(counts)
        for item in self._items():
            path = item.data(FILE_COLUMN, PATH_ROLE)
            count = counts.get(path.name, 0) if path is not None else 0
            item.setText(CLIPS_COLUMN, str(count) if count else "")
        if self._hide_exported:
            self._restyle()

    def set_progress(self, path: Path, fraction: float | None) -> None:
        """Show a progress bar in the file's row (None removes it)."""
        for item in self._items():
            if item.data(FILE_COLUMN, PATH_ROLE) == path:
                item.setData(PROGRESS_COLUMN, PROGRESS_ROLE, fraction)

    def _items(self):
        return (self.topLevelItem(i) for i in range(self.topLevelItemCount()))

    # ---- drag and drop -------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if not paths:
            return
        event.acceptProposedAction()
        added = self.add_paths(paths)
        if added and self._current is None:
            self.file_activated.emit(added[0])
