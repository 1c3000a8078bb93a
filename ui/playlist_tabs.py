"""Playlist tabs: several named playlists over one list widget, each with its own export folder.

Switching tabs swaps the files the playlist shows and sets the export folder to the tab's (the tab follows
the folder chosen while it is active). When the loaded video is not one of the active tab's, a warning says
where E would put its clips. Tabs, their files and separators are stored in the database on every change.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QTabBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import FoleycutError
from core.playlist_tabs import (
    DEFAULT_TAB_NAME,
    Entry,
    Tab,
    copy_name,
    delete_video_file,
    destination_warning,
    load_tabs,
    save_tabs,
)
from ui.playlist import Playlist


class PlaylistTabs(QWidget):
    """A tab bar, the tab's options (hide exported, its export folder) and the one `Playlist` it drives."""

    tab_folder_chosen = Signal(str)  # a tab was switched to: export into its folder ('' = none yet)
    deleting_files = Signal(object)  # list[Path]: about to be deleted from disk (unload them now)
    files_deleted = Signal(object)  # list[Path]
    failed = Signal(str)

    def __init__(self, db, playlist: Playlist, parent: QWidget | None = None):
        super().__init__(parent)
        self._db = db
        self.playlist = playlist
        self._tabs: list[Tab] = []
        self._loaded: Path | None = None
        self._shown: int | None = None  # the tab whose entries the list widget holds
        self.tab_bar = QTabBar(self)
        self.tab_bar.setObjectName("playlistTabBar")
        self.tab_bar.setExpanding(False)
        self.tab_bar.setMovable(True)
        self.tab_bar.setDocumentMode(True)
        self.tab_bar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tab_bar.customContextMenuRequested.connect(self._tab_menu)
        self.new_tab_button = QToolButton(self)
        self.new_tab_button.setText("+")
        self.new_tab_button.setToolTip("New playlist tab")
        self.new_tab_button.clicked.connect(self.ask_new_tab)
        self.hide_exported_box = QCheckBox("Hide exported", self)
        self.hide_exported_box.setToolTip("Leave out the files that already have clips in this profile")
        self.hide_exported_box.toggled.connect(self._set_hide_exported)
        self.folder_label = QLabel(self)
        self.folder_label.setObjectName("tabFolderLabel")
        self.warning_label = QLabel(self)
        self.warning_label.setObjectName("tabWarningLabel")
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet("color: #ffb347")
        self.warning_label.hide()

        bar_row = QHBoxLayout()
        bar_row.setContentsMargins(0, 0, 0, 0)
        bar_row.addWidget(self.tab_bar, 1)
        bar_row.addWidget(self.new_tab_button)
        options = QHBoxLayout()
        options.setContentsMargins(4, 0, 4, 0)
        options.addWidget(self.hide_exported_box)
        options.addStretch(1)
        options.addWidget(self.folder_label)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(bar_row)
        column.addLayout(options)
        column.addWidget(self.warning_label)
        column.addWidget(playlist, 1)

        self.tab_bar.currentChanged.connect(self._on_tab_changed)
        self.tab_bar.tabMoved.connect(self._on_tab_moved)
        playlist.contents_changed.connect(self._on_contents_changed)
        playlist.delete_requested.connect(self.ask_delete_files)

    # ---- tabs ----------------------------------------------------------------------------------
    def restore(self, legacy_paths: list[Path] = ()) -> None:
        """The tabs as last left; on the first start with tabs, one tab with the old single playlist."""
        self._tabs = load_tabs(self._db) or [Tab(DEFAULT_TAB_NAME, entries=[Entry(p) for p in legacy_paths])]
        self.tab_bar.blockSignals(True)
        while self.tab_bar.count():
            self.tab_bar.removeTab(0)
        for tab in self._tabs:
            self.tab_bar.addTab(tab.name)
        self.tab_bar.setCurrentIndex(0)
        self.tab_bar.blockSignals(False)
        self._show(0, follow_folder=False)
        self._save()

    def current_tab(self) -> Tab:
        return self._tabs[self.tab_bar.currentIndex()]

    def add_tab(self, name: str, tab: Tab | None = None) -> None:
        """A new tab (empty, or `tab`'s copy) after the current one, switched to."""
        self._store_current()
        index = self.tab_bar.currentIndex() + 1
        self._tabs.insert(index, tab.copy(name) if tab else Tab(name, self._current_folder()))
        self.tab_bar.insertTab(index, name)
        self.tab_bar.setCurrentIndex(index)
        self._save()

    def duplicate_tab(self, index: int) -> None:
        self._store_current()
        self.tab_bar.setCurrentIndex(index)
        source = self._tabs[index]
        self.add_tab(copy_name(source.name, [t.name for t in self._tabs]), source)

    def rename_tab(self, index: int, name: str) -> None:
        name = name.strip()
        if name:
            self._tabs[index].name = name
            self.tab_bar.setTabText(index, name)
            self._save()

    def close_tab(self, index: int) -> None:
        """Remove a tab (never the last one); its files stay on disk and in the other tabs."""
        if self.tab_bar.count() < 2:
            self.failed.emit("This is the only playlist tab: add another before closing this one.")
            return
        self._store_current()
        del self._tabs[index]
        self.tab_bar.blockSignals(True)
        self.tab_bar.removeTab(index)
        self.tab_bar.blockSignals(False)
        self._show(self.tab_bar.currentIndex(), follow_folder=True)
        self._save()

    def ask_new_tab(self) -> None:
        name, ok = QInputDialog.getText(
            self, "New playlist tab", "Name of the tab:", text=f"Playlist {len(self._tabs) + 1}"
        )
        if ok and name.strip():
            self.add_tab(name.strip())

    def _tab_menu(self, pos) -> None:
        index = self.tab_bar.tabAt(pos)
        if index < 0:
            return
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self._ask_rename(index))
        menu.addAction("Duplicate", lambda: self.duplicate_tab(index))
        menu.addSeparator()
        menu.addAction("Close tab", lambda: self.close_tab(index))
        menu.exec(self.tab_bar.mapToGlobal(pos))

    def _ask_rename(self, index: int) -> None:
        name, ok = QInputDialog.getText(self, "Rename tab", "Name of the tab:", text=self._tabs[index].name)
        if ok:
            self.rename_tab(index, name)

    # ---- export folder and the loaded video ------------------------------------------------------
    def set_export_folder(self, folder: Path | None) -> None:
        """The export folder chosen while this tab is active becomes the tab's."""
        if not self._tabs:
            return
        text = str(folder) if folder else ""
        if self.current_tab().export_folder != text:
            self.current_tab().export_folder = text
            self._save()
        self._show_folder()
        self._show_warning()

    def set_loaded_video(self, video: Path | None) -> None:
        self._loaded = video
        self._show_warning()

    def warning(self) -> str | None:
        return self.warning_label.text() if not self.warning_label.isHidden() else None

    def _current_folder(self) -> str:
        return self.current_tab().export_folder if self._tabs else ""

    # ---- deleting files from disk ------------------------------------------------------------------
    def ask_delete_files(self, paths: list[Path]) -> None:
        names = ", ".join(p.name for p in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        answer = QMessageBox.question(
            self,
            "Delete from disk",
            f"Delete {names} from disk?\nThe video file(s) are removed for good; "
            "clips already exported from them stay.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_files(paths)

    def delete_files(self, paths: list[Path]) -> None:
        """Delete the files from disk and from every tab; stops at the first that cannot be deleted."""
        self.deleting_files.emit(paths)
        deleted = []
        try:
            for path in paths:
                delete_video_file(path)
                deleted.append(path)
        except FoleycutError as exc:
            self.failed.emit(str(exc))
        self._store_current()
        for tab in self._tabs:
            tab.entries = [e for e in tab.entries if e.is_separator or e.path not in deleted]
        self.playlist.set_entries(self.current_tab().entries)
        self._save()
        if deleted:
            self.files_deleted.emit(deleted)

    # ---- internals -----------------------------------------------------------------------------
    def _store_current(self) -> None:
        """The list widget holds the active tab's entries: copy them back into its Tab."""
        index = self._shown
        if index is not None and 0 <= index < len(self._tabs):
            self._tabs[index].entries = self.playlist.entries()

    def _on_tab_changed(self, index: int) -> None:
        if index < 0:
            return
        self._store_current()
        self._show(index, follow_folder=True)
        self._save()

    def _on_tab_moved(self, src: int, dst: int) -> None:
        self._tabs.insert(dst, self._tabs.pop(src))
        if self._shown == src:
            self._shown = dst
        elif src < self._shown <= dst:
            self._shown -= 1
        elif dst <= self._shown < src:
            self._shown += 1
        self._save()

    def _show(self, index: int, follow_folder: bool) -> None:
        self._shown = index
        tab = self._tabs[index]
        self.playlist.set_entries(tab.entries)
        self.hide_exported_box.blockSignals(True)
        self.hide_exported_box.setChecked(tab.hide_exported)
        self.hide_exported_box.blockSignals(False)
        self.playlist.set_hide_exported(tab.hide_exported)
        self._show_folder()
        if follow_folder and tab.export_folder:
            self.tab_folder_chosen.emit(tab.export_folder)
        self._show_warning()

    def _show_folder(self) -> None:
        folder = self._current_folder()
        self.folder_label.setText(f"→ {Path(folder).name}" if folder else "no export folder yet")
        self.folder_label.setToolTip(folder or "Choose an export folder while this tab is active: the tab keeps it")

    def _show_warning(self) -> None:
        if not self._tabs:
            return
        self._store_current()
        text = destination_warning(self.current_tab(), self._loaded)
        self.warning_label.setText(f"⚠ {text}" if text else "")
        self.warning_label.setVisible(bool(text))

    def _on_contents_changed(self) -> None:
        self._save()
        self._show_warning()

    def _set_hide_exported(self, hide: bool) -> None:
        self.current_tab().hide_exported = hide
        self.playlist.set_hide_exported(hide)
        self._save()

    def _save(self) -> None:
        if not self._tabs:
            return
        self._store_current()
        try:
            save_tabs(self._db, self._tabs)
        except FoleycutError as exc:
            self.failed.emit(str(exc))
