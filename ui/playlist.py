"""The playlist: videos to work through, their clip counts, hidden ones, and progress of long work."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QColor, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QHeaderView, QMenu, QStyle, QStyledItemDelegate, QStyleOptionProgressBar,
    QStyleOptionViewItem, QTreeWidget, QTreeWidgetItem, QWidget,
)

VIDEO_SUFFIXES = {".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".mts", ".wmv", ".flv"}
FILE_COLUMN, CLIPS_COLUMN, PROGRESS_COLUMN = range(3)
PATH_ROLE = Qt.ItemDataRole.UserRole
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1
HIDDEN_COLOUR = QColor("#6b707a")


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

    def __init__(self, db, parent: QWidget | None = None):
        super().__init__(parent)
        self._db = db
        self._hidden = {Path(p) for p in db.get_hidden_files()}
        self._show_hidden = False
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
        self.itemActivated.connect(lambda item, _column: self.file_activated.emit(item.data(FILE_COLUMN, PATH_ROLE)))
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
            item = QTreeWidgetItem([path.name, "", ""])
            item.setData(FILE_COLUMN, PATH_ROLE, path)
            item.setToolTip(FILE_COLUMN, str(path))
            item.setTextAlignment(CLIPS_COLUMN, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.addTopLevelItem(item)
            self._style_item(item)
        return added

    def all_paths(self) -> list[Path]:
        return [self.topLevelItem(i).data(FILE_COLUMN, PATH_ROLE) for i in range(self.topLevelItemCount())]

    def paths(self) -> list[Path]:
        """The videos in playlist order, hidden ones left out."""
        return [path for path in self.all_paths() if path not in self._hidden]

    def is_hidden(self, path: Path) -> bool:
        return path in self._hidden

    def current_path(self) -> Path | None:
        return self._current

    def set_current(self, path: Path | None) -> None:
        """Mark the loaded file (bold) and select it."""
        self._current = path
        for item in self._items():
            is_current = item.data(FILE_COLUMN, PATH_ROLE) == path
            font = item.font(FILE_COLUMN)
            font.setBold(is_current)
            item.setFont(FILE_COLUMN, font)
            if is_current:
                self.setCurrentItem(item)

    def next_path(self) -> Path | None:
        """The visible file after the current one (the first when none is loaded; None at the end)."""
        visible = self.paths()
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

    def selected_paths(self) -> list[Path]:
        return [item.data(FILE_COLUMN, PATH_ROLE) for item in self.selectedItems()]

    def _restyle(self) -> None:
        for item in self._items():
            self._style_item(item)

    def _style_item(self, item: QTreeWidgetItem) -> None:
        hidden = item.data(FILE_COLUMN, PATH_ROLE) in self._hidden
        item.setHidden(hidden and not self._show_hidden)
        font = item.font(FILE_COLUMN)
        font.setItalic(hidden)
        item.setFont(FILE_COLUMN, font)
        if hidden:
            item.setForeground(FILE_COLUMN, HIDDEN_COLOUR)
        else:
            item.setData(FILE_COLUMN, Qt.ItemDataRole.ForegroundRole, None)

    def _context_menu(self, pos) -> None:
        selected = self.selected_paths()
        if not selected:
            return
        menu = QMenu(self)
        to_hide = [p for p in selected if p not in self._hidden]
        to_unhide = [p for p in selected if p in self._hidden]
        if to_hide:
            menu.addAction(f"Hide {len(to_hide)} file(s)", lambda: self.hide_paths(to_hide))
        if to_unhide:
            menu.addAction(f"Unhide {len(to_unhide)} file(s)", lambda: self.unhide_paths(to_unhide))
        menu.addAction(f"Remove {len(selected)} file(s) from the playlist", lambda: self.remove_paths(selected))
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
        for item in [item for item in self._items() if item.data(FILE_COLUMN, PATH_ROLE) in set(paths)]:
            self.takeTopLevelItem(self.indexOfTopLevelItem(item))

    def remove_action(self, parent) -> QAction:
        """Edit-menu action: remove the selected files from the playlist."""
        action = QAction("Remove selected files from the playlist", parent)
        action.triggered.connect(lambda: self.remove_paths(self.selected_paths()))
        return action

    # ---- per-file figures ----------------------------------------------------------------------
    def set_clip_counts(self, counts: dict[str, int]) -> None:
        """{filename: clips} as ProcessedDB.get_clip_counts gives it for the current profile."""
        for item in self._items():
            count = counts.get(item.data(FILE_COLUMN, PATH_ROLE).name, 0)
            item.setText(CLIPS_COLUMN, str(count) if count else "")

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
