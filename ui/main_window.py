"""The main window: player and timeline in the middle, playlist and export controls docked beside them.

Public surface other parts build on (the scan tools add their dock and Scan-menu actions through it):
`db`, `home`, `changes` (the change hub: ui/changes.py), `profile` + `profile_changed`,
`current_video` + `video_loaded`, `playlist_paths()`,
`timeline`, `player`, `export_panel`, `edit_menu`, `scan_menu`, `seek()`, `show_task()`, `show_error()`,
`cursor_time()` (where `E` exports: the `G`-locked cursor or the playhead), `add_shortcut_handlers()`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core import layout
from core.errors import FoleycutError
from core.export import clip_starts, delete_marker, export_marker
from core.home import DataHome
from core.probe import MediaInfo, probe
from ui.background import BackgroundTask, cancel_all_and_wait, run_in_background
from ui.changelog_dialog import show_full_changelog
from ui.changes import Changes
from ui.export_panel import SETTINGS_GROUP as EXPORT_SETTINGS_GROUP
from ui.export_panel import ExportPanel
from ui.player import Player
from ui.playlist import VIDEO_SUFFIXES, Playlist
from ui.playlist_tabs import PlaylistTabs
from ui.profiles import ProfileSelector, export_group
from ui.shortcuts import ShortcutRouter, ShortcutsDialog, is_routed, is_text_entry, key_sequences, keys_label
from ui.subprofiles import SubprofileBar
from ui.timeline import Timeline, TimelineMarker, format_time

STATUS_MESSAGE_MS = 8000
MARKER_EPSILON = 1e-3


class TaskIndicator(QWidget):
    """Status-bar progress of the most recent long task, with its cancel button."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 1000)
        self.bar.setFixedWidth(200)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton(self)
        self.cancel_button.setText("Cancel")
        self.cancel_button.clicked.connect(self._cancel)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 4, 0)
        row.addWidget(self.label)
        row.addWidget(self.bar)
        row.addWidget(self.cancel_button)
        self._task: BackgroundTask | None = None
        self.hide()

    def track(self, task: BackgroundTask, label: str) -> None:
        self._task = task
        self.label.setText(label)
        self.bar.setValue(0)
        self.cancel_button.setEnabled(True)
        self.show()
        task.progressed.connect(lambda fraction, message: self._progress(task, fraction, message))
        task.finished.connect(lambda: self._finished(task))

    def _progress(self, task: BackgroundTask, fraction: float, message: str) -> None:
        if task is self._task:
            self.bar.setValue(round(fraction * 1000))
            self.bar.setToolTip(message)

    def _finished(self, task: BackgroundTask) -> None:
        if task is self._task:
            self._task = None
            self.hide()

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.cancel_button.setEnabled(False)
            self.label.setText("Cancelling…")


class MainWindow(QMainWindow):
    profile_changed = Signal(str)
    video_loaded = Signal(object)  # Path
    closed = Signal()

    def __init__(self, home: DataHome, db, settings: QSettings):
        super().__init__()
        self.home = home
        self.db = db
        self.settings = settings
        self.changes = Changes(self)
        self._media: MediaInfo | None = None
        self._overwrite: TimelineMarker | None = None
        self._export_task: BackgroundTask | None = None
        self._locked_cursor: float | None = None  # `G`: the cursor stays here while the playhead moves
        self.setWindowTitle("Foleycut")
        self.setObjectName("mainWindow")
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)

        self.player = Player(self)
        self.timeline = Timeline(self)
        self.playlist = Playlist(db, self)
        self.playlist_tabs = PlaylistTabs(db, self.playlist, self)
        self.export_panel = ExportPanel(self)
        self.profiles = ProfileSelector(settings, db, home, self)
        self._export_profile = self.profiles.current()  # whose export settings the panel holds
        self.subprofiles = SubprofileBar(db, self)
        self.subprofiles.set_profile(self.profile)
        self.task_indicator = TaskIndicator(self)

        self._build_central()
        self._build_docks()
        self._build_menus()
        self._build_toolbar()
        self.statusBar().addPermanentWidget(self.task_indicator)
        self._connect()
        self._handlers = self._shortcut_handlers()
        self._router = ShortcutRouter(self, self._handlers)
        QApplication.instance().installEventFilter(self._router)
        self._restore_state()

    # ---- public surface ------------------------------------------------------------------------
    @property
    def profile(self) -> str:
        return self.profiles.current()

    @property
    def current_video(self) -> Path | None:
        return self.player.path()

    def playlist_paths(self) -> list[Path]:
        return self.playlist.paths()

    def seek(self, seconds: float) -> None:
        self.player.seek(seconds)

    def cursor_time(self) -> float:
        """Where `E` exports: the locked cursor when `G` locked it, else the playhead."""
        return self.player.position() if self._locked_cursor is None else self._locked_cursor

    def toggle_cursor_lock(self) -> None:
        """`G`: freeze the cursor where it is, so scrubbing (to place crop keyframes) leaves it alone."""
        self._locked_cursor = None if self._locked_cursor is not None else self.player.position()
        self.timeline.set_locked_cursor(self._locked_cursor)
        self.lock_action.setChecked(self._locked_cursor is not None)
        self._refresh_highlight()
        self.show_message(
            "Cursor locked: scrubbing moves the playhead only; G unlocks."
            if self._locked_cursor is not None
            else "Cursor unlocked: it follows the playhead again."
        )

    def snap_back(self) -> None:
        """`K`: pause and go back to the locked cursor, or to where playback started."""
        self.player.snap_back()
        if self._locked_cursor is not None:
            self.player.seek(self._locked_cursor)

    def add_shortcut_handlers(self, handlers: dict) -> None:
        """Tools attached to the window (the crop tools) handle their SHORTCUTS entries through this."""
        self._handlers.update(handlers)

    def show_task(self, task: BackgroundTask, label: str) -> None:
        """Progress and a cancel button in the status bar for a task started with run_in_background."""
        self.task_indicator.track(task, label)

    def show_error(self, message: str) -> None:
        self.statusBar().showMessage(message, STATUS_MESSAGE_MS)
        QMessageBox.warning(self, "Foleycut", message)

    def show_message(self, message: str) -> None:
        self.statusBar().showMessage(message, STATUS_MESSAGE_MS)

    # ---- construction --------------------------------------------------------------------------
    def _build_central(self) -> None:
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.player, 1)
        column.addWidget(self.timeline)
        self.setCentralWidget(central)

    def _build_docks(self) -> None:
        self.playlist_dock = self._dock(
            "Playlist", "playlistDock", self.playlist_tabs, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.playlist.setMinimumWidth(280)
        scroller = QScrollArea(self)
        scroller.setWidget(self.export_panel)
        scroller.setWidgetResizable(True)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroller.setMinimumWidth(self.export_panel.sizeHint().width() + 24)
        # Playlist above export controls on the left, so the video keeps the width and the right side is
        # free for the scan tools.
        self.export_dock = self._dock("Export", "exportDock", scroller, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.splitDockWidget(self.playlist_dock, self.export_dock, Qt.Orientation.Vertical)
        self.resizeDocks([self.playlist_dock, self.export_dock], [240, 560], Qt.Orientation.Vertical)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, slot, shortcut: str = "", checkable: bool = False) -> QAction:
        """A menu action with the keys of SHORTCUTS entry `shortcut`: single keys are only displayed (they go
        through ShortcutRouter), the others become the action's own shortcuts."""
        action = QAction(text, self)
        if shortcut and is_routed(shortcut):
            action.setText(f"{text}\t{keys_label(shortcut)}")
        elif shortcut:
            action.setShortcuts(key_sequences(shortcut))
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slot)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._action("&Open videos…", self.open_files, "open")
        file_menu.addAction(self.open_action)
        file_menu.addAction(self._action("Add &folder…", self.open_folder))
        file_menu.addAction(self._action("&Next file", self.next_file, "next_file"))
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, "quit"))

        # The scan tools put Undo / Redo of region edits at the top of this menu.
        self.edit_menu = edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self._action("&Export at cursor", self.export_at_cursor, "export"))
        edit_menu.addAction(self._action("Leave &overwrite mode", self.leave_overwrite_mode, "cancel_overwrite"))
        edit_menu.addSeparator()
        edit_menu.addAction(self.playlist.hide_action(self))
        edit_menu.addAction(self.playlist.remove_action(self))

        self.scan_menu = bar.addMenu("&Scan")

        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.playlist_dock.toggleViewAction())
        view_menu.addAction(self.export_dock.toggleViewAction())
        view_menu.addSeparator()
        self.review_action = self._action("&Review mode", self.timeline.set_review_mode, checkable=True)
        self.review_action.setToolTip("Review mode: the timeline shows scan regions only")
        view_menu.addAction(self.review_action)
        self.show_hidden_action = self._action("Show &hidden files", self.playlist.set_show_hidden, checkable=True)
        view_menu.addAction(self.show_hidden_action)
        view_menu.addAction(self._action("&Zoom timeline to fit", self.timeline.zoom_to_fit))
        view_menu.addSeparator()
        view_menu.addAction(self._action("Play s&lower", lambda: self.player.change_speed(-1), "slower"))
        view_menu.addAction(self._action("Play &faster", lambda: self.player.change_speed(+1), "faster"))
        self.lock_action = QAction(f"&Lock cursor\t{keys_label('lock_cursor')}", self, checkable=True)
        self.lock_action.triggered.connect(self.toggle_cursor_lock)  # the check mark follows the lock itself
        view_menu.addAction(self.lock_action)
        view_menu.addSeparator()
        view_menu.addAction(self._action("Next &marker", lambda: self.jump_to_marker(+1), "next_marker"))
        view_menu.addAction(self._action("&Previous marker", lambda: self.jump_to_marker(-1), "previous_marker"))
        view_menu.addAction(self._action("Next &scan region", self.next_scan_region, "next_region"))

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&Keyboard shortcuts", self.show_shortcuts, "help"))
        help_menu.addAction(self._action("&What's new", lambda: show_full_changelog(self)))
        help_menu.addAction(self._action("&About Foleycut", self._about))

    def _build_toolbar(self) -> None:
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.addAction(self.open_action)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel("Profile", self))
        toolbar.addWidget(self.profiles)
        toolbar.addWidget(QLabel(" Subprofile", self))
        toolbar.addWidget(self.subprofiles)
        toolbar.addSeparator()
        toolbar.addAction(self.review_action)

    def _connect(self) -> None:
        self.player.position_changed.connect(self._on_position)
        self.timeline.seek_requested.connect(self.player.seek)
        self.timeline.marker_overwrite_requested.connect(self.enter_overwrite_mode)
        self.timeline.marker_delete_requested.connect(self.delete_marker)
        self.playlist.file_activated.connect(self.load_video)
        self.playlist.files_rejected.connect(self._report_rejected)
        self.export_panel.export_requested.connect(self.export_at_cursor)
        self.export_panel.settings_changed.connect(self._refresh_highlight)
        self.export_panel.folder_edit.editingFinished.connect(self._refresh_destination)
        self.export_panel.folder_edit.textChanged.connect(self._refresh_destination)
        self.profiles.profile_changed.connect(self._on_profile_changed)
        self.profiles.state_needed.connect(
            lambda: self.export_panel.save_state(self.settings, export_group(self._export_profile))
        )
        self.profiles.profile_renamed.connect(self._on_profile_renamed)
        self.profiles.failed.connect(self.show_error)
        self.subprofiles.folder_chosen.connect(self.export_panel.folder_edit.setText)
        self.subprofiles.colours_changed.connect(self.timeline.set_marker_colours)
        self.subprofiles.failed.connect(self.show_message)
        self.export_panel.folder_edit.textChanged.connect(self._on_folder_changed)
        self.playlist_tabs.tab_folder_chosen.connect(self.export_panel.folder_edit.setText)
        self.playlist_tabs.deleting_files.connect(self._unload_if_deleting)
        self.playlist_tabs.files_deleted.connect(
            lambda paths: self.show_message(f"Deleted {len(paths)} file(s) from disk.")
        )
        self.playlist_tabs.failed.connect(self.show_error)
        self.changes.clips.connect(self._on_clips_changed)

    def _shortcut_handlers(self) -> dict:
        return {
            "play_pause": self.player.toggle_play,
            "snap_back": self.snap_back,
            "slower": lambda: self.player.change_speed(-1),
            "faster": lambda: self.player.change_speed(+1),
            "lock_cursor": self.toggle_cursor_lock,
            "next_region": self.next_scan_region,
            "frame_back": lambda: self.player.step_frames(-1),
            "frame_forward": lambda: self.player.step_frames(1),
            "second_back": lambda: self.player.step_seconds(-1.0),
            "second_forward": lambda: self.player.step_seconds(1.0),
            "export": self.export_at_cursor,
            "next_marker": lambda: self.jump_to_marker(+1),
            "previous_marker": lambda: self.jump_to_marker(-1),
            "next_file": self.next_file,
            "cancel_overwrite": self.leave_overwrite_mode,
            "help": self.show_shortcuts,
            "subprofile": self.subprofiles.choose,
        }

    # ---- files ---------------------------------------------------------------------------------
    def open_files(self) -> None:
        patterns = " ".join(f"*{suffix}" for suffix in sorted(VIDEO_SUFFIXES))
        files, _ = QFileDialog.getOpenFileNames(
            self, "Open videos", self._last_dir(), f"Videos ({patterns});;All files (*)"
        )
        self.add_to_playlist([Path(f) for f in files])

    def open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add the videos of a folder", self._last_dir())
        if folder:
            self.add_to_playlist([Path(folder)])

    def _last_dir(self) -> str:
        return self.settings.value("session/last_dir", str(Path.home()), type=str)

    def add_to_playlist(self, paths: list[Path]) -> None:
        if not paths:
            return
        self.settings.setValue("session/last_dir", str(paths[0].parent if paths[0].is_file() else paths[0]))
        added = self.playlist.add_paths(paths)
        self.playlist.set_clip_counts(self.db.get_clip_counts(self.profile))
        if added and self.current_video is None:
            self.load_video(added[0])

    def load_video(self, path: Path) -> None:
        """Open a video: probe it, show it, and recompute its markers, vid folder and counter."""
        try:
            media = probe(path)
        except FoleycutError as exc:
            self.show_error(str(exc))
            return
        self.leave_overwrite_mode()
        if self._locked_cursor is not None:
            self.toggle_cursor_lock()  # a lock belongs to the video it was set on
        self._media = media
        self.player.load(
            media.path, media.duration, float(media.fps) if media.fps else None, (media.width, media.height)
        )
        self.timeline.set_duration(media.duration)
        self.timeline.set_cursor(0.0)
        self.playlist.set_current(media.path)
        self.playlist_tabs.set_loaded_video(media.path)
        self.setWindowTitle(f"{media.path.name} — Foleycut")
        self._refresh_markers()
        self._refresh_destination()
        self._refresh_highlight()
        self.video_loaded.emit(media.path)

    def _report_rejected(self, paths: list[Path]) -> None:
        names = ", ".join(path.name for path in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        self.show_message(f"Not a video, left out: {names}")

    def next_file(self) -> None:
        path = self.playlist.next_path()
        if path is None:
            self.show_message("This is the last file in the playlist.")
        else:
            self.load_video(path)

    # ---- position ------------------------------------------------------------------------------
    def _on_position(self, seconds: float) -> None:
        self.timeline.set_cursor(seconds)
        self._refresh_highlight()

    def jump_to_marker(self, direction: int) -> None:
        now = self.player.position()
        times = [m.time for m in self.timeline.markers()]
        if direction > 0:
            target = next((t for t in times if t > now + MARKER_EPSILON), None)
        else:
            target = next((t for t in reversed(times) if t < now - MARKER_EPSILON), None)
        if target is None:
            self.show_message("No further marker in this direction.")
        else:
            self.player.seek(target)

    def next_scan_region(self) -> None:
        """`S`: the next scan region after the cursor, selected in the scan table as if clicked."""
        now = self.player.position()
        region = min(
            (r for r in self.timeline.scan_regions() if r.start > now + MARKER_EPSILON),
            key=lambda r: r.start,
            default=None,
        )
        if region is None:
            self.show_message("No further scan region after the cursor.")
            return
        self.player.seek(region.start)
        self.timeline.region_clicked.emit(region.id)

    # ---- export --------------------------------------------------------------------------------
    def export_at_cursor(self) -> None:
        """`E`: export the clips at the cursor in the background; in overwrite mode, redo that marker."""
        video = self.current_video
        if video is None:
            self.show_error("No video loaded: open one (File → Open videos…) before exporting.")
            return
        if self._export_task is not None:
            self.show_message("An export is still running: wait for it or cancel it in the status bar.")
            return
        if self.timeline.review_mode():  # markers are hidden there: a new one would be written unseen
            self.show_message("Review mode hides markers: leave it (View ▸ Review mode) to export at the cursor.")
            return
        try:
            settings = self.export_panel.settings()
        except FoleycutError as exc:
            self.show_error(str(exc))
            return
        overwrite = self._overwrite
        if overwrite is not None and Path(overwrite.export_folder) != settings.export_folder:
            self.show_error(
                f"The marker being overwritten lives in {overwrite.export_folder}: set that export "
                "folder again, or press Esc to leave overwrite mode."
            )
            return
        marker_time = overwrite.time if overwrite else self.cursor_time()
        profile, db = self.profile, self.db

        def work(progress, cancel):
            return export_marker(
                db,
                video,
                marker_time,
                settings,
                profile,
                overwrite=overwrite is not None,
                progress=progress,
                cancel=cancel,
            )

        self.export_panel.set_busy(True)
        self.playlist.set_progress(video, 0.0)
        self._export_task = run_in_background(
            work,
            on_success=self._on_exported,
            on_failure=self.show_error,
            on_progress=lambda fraction, _message: self.playlist.set_progress(video, fraction),
            on_cancelled=lambda: self.show_message("Export cancelled: nothing was written."),
            on_finished=lambda: self._on_export_finished(video),
        )
        self.show_task(self._export_task, f"Exporting at {format_time(marker_time)}…")

    def _on_exported(self, clips) -> None:
        self.leave_overwrite_mode()
        if clips:
            self.show_message(f"Exported {len(clips)} clip(s) to {clips[0].path.parent}")

    def _on_export_finished(self, video: Path) -> None:
        self._export_task = None
        self.playlist.set_progress(video, None)
        self.export_panel.set_busy(False)
        # Whatever the outcome: clips written before a dataset.json failure are markers too.
        self.changes.clips.emit()

    def enter_overwrite_mode(self, marker_time: float, export_folder: str) -> None:
        marker = next(
            (m for m in self.timeline.markers() if m.time == marker_time and m.export_folder == export_folder), None
        )
        if marker is None:
            return
        self._overwrite = marker
        self.timeline.set_overwrite_marker(marker)
        self.export_panel.set_overwrite_target(f"{format_time(marker_time)} ({marker.clip_count} clips)")
        self.player.seek(marker_time)

    def leave_overwrite_mode(self) -> None:
        self._overwrite = None
        self.timeline.set_overwrite_marker(None)
        self.export_panel.set_overwrite_target(None)

    def delete_marker(self, marker_time: float, export_folder: str) -> None:
        video = self.current_video
        if video is None:
            return
        answer = QMessageBox.question(
            self,
            "Delete marker",
            f"Delete the clips exported at {format_time(marker_time)} into {export_folder}?\n"
            "Their files are removed from disk.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            removed = delete_marker(self.db, video.name, self.profile, marker_time, Path(export_folder), video)
        except FoleycutError as exc:
            self.show_error(str(exc))
            return
        if self._overwrite is not None and self._overwrite.time == marker_time:
            self.leave_overwrite_mode()
        self.changes.clips.emit()
        self.show_message(f"Deleted {removed} clip(s) of the marker at {format_time(marker_time)}.")

    # ---- refreshes -----------------------------------------------------------------------------
    def _on_clips_changed(self) -> None:
        """Markers, clip counts and the next destination, after clips were written or removed anywhere."""
        self._refresh_markers()
        self._refresh_destination()

    def _refresh_markers(self) -> None:
        video = self.current_video
        markers = (
            []
            if video is None
            else [
                TimelineMarker(m["marker_time"], m["export_folder"], len(m["clips"]))
                for m in self.db.get_markers(video.name, self.profile, video)
            ]
        )
        self.timeline.set_markers(markers)
        self.playlist.set_clip_counts(self.db.get_clip_counts(self.profile))

    def _refresh_destination(self) -> None:
        """Show where the next `E` writes: the video's vid folder and its next counter."""
        video, folder = self.current_video, self.export_panel.export_folder()
        if video is None or folder is None:
            self.export_panel.set_destination_info("Open a video first" if video is None else "Choose an export folder")
            return
        vid_folder = layout.vid_folder_path(self.db, video.name, self.profile, folder, video)
        counter = layout.next_counter(self.db, vid_folder)
        self.export_panel.set_destination_info(f"→ {vid_folder.name}, next {counter:03d}")

    def _refresh_highlight(self) -> None:
        if self._media is None:
            self.timeline.set_export_highlight([], 0.0)
            return
        settings = self.export_panel.highlight_settings()
        try:  # the same frame-snapped, end-clamped starts that E will export
            starts, _ = clip_starts(self._media, self.cursor_time(), settings)
        except FoleycutError:  # not even one clip fits
            starts = []
        self.timeline.set_export_highlight(starts, settings.length)

    def _on_folder_changed(self) -> None:
        folder = self.export_panel.export_folder()
        self.subprofiles.set_current_folder(folder)
        self.playlist_tabs.set_export_folder(folder)

    def _unload_if_deleting(self, paths: list[Path]) -> None:
        """A video about to be deleted from disk is closed first (Windows cannot delete an open file)."""
        if self.current_video in paths:
            self.player.unload()
            QCoreApplication.processEvents()
            self._media = None
            self.timeline.set_duration(0.0)
            self.timeline.set_markers([])
            self.playlist_tabs.set_loaded_video(None)
            self.setWindowTitle("Foleycut")

    def _on_profile_renamed(self, old: str, new: str) -> None:
        # The settings group moved with the profile: store into the new one from now on.
        if self._export_profile == old:
            self._export_profile = new

    def _on_profile_changed(self, profile: str) -> None:
        # Each profile keeps its own export folder, label and the rest; a new one starts without a destination.
        self.export_panel.save_state(self.settings, export_group(self._export_profile))
        if ExportPanel.has_state(self.settings, export_group(profile)):
            self.export_panel.restore_state(self.settings, export_group(profile))
        else:
            self.export_panel.clear_destination()
        self._export_profile = profile
        self.subprofiles.set_profile(profile)
        self._on_folder_changed()
        self.leave_overwrite_mode()
        self._refresh_markers()
        self._refresh_destination()
        self.show_message(f"Profile “{profile}”: its own markers and clip counts.")
        self.profile_changed.emit(profile)

    # ---- dialogs -------------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        ShortcutsDialog(self).exec()

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About Foleycut",
            "<b>Foleycut</b><br>Cut sound-event clips from video, train a classifier on them, "
            f"and scan for more.<br><br>Data home: {self.home.root}",
        )

    # ---- persistence ---------------------------------------------------------------------------
    def restore_layout(self) -> None:
        """Size, position and dock layout as last left; call once every dock (the scan tools' too) is added."""
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)

    def _restore_state(self) -> None:
        self.resize(1440, 900)
        group = export_group(self.profile)  # before profiles, one set of export settings for all of them
        self.export_panel.restore_state(
            self.settings, group if ExportPanel.has_state(self.settings, group) else EXPORT_SETTINGS_GROUP
        )
        self.review_action.setChecked(self.settings.value("view/review_mode", False, type=bool))
        self.show_hidden_action.setChecked(self.settings.value("view/show_hidden", False, type=bool))
        # Before playlist tabs the one playlist lived in the settings: it becomes the first tab once.
        self.playlist_tabs.restore([Path(p) for p in self.settings.value("session/playlist", [], type=list) or []])
        self._on_folder_changed()  # the active tab and subprofile follow the folder the panel restored
        self.playlist.set_clip_counts(self.db.get_clip_counts(self.profile))
        last = self.settings.value("session/current_video", "", type=str)
        if last and Path(last).is_file():
            self.load_video(Path(last))
        else:
            self.statusBar().showMessage("Open videos (Ctrl+O) or drop them on the playlist; press ? for shortcuts.")

    def save_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.export_panel.save_state(self.settings, export_group(self.profile))
        self.settings.setValue("view/review_mode", self.review_action.isChecked())
        self.settings.setValue("view/show_hidden", self.show_hidden_action.isChecked())
        self.settings.setValue("session/current_video", str(self.current_video or ""))
        self.settings.sync()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if is_text_entry(self.focusWidget()) or self.focusWidget() is None:
            self.timeline.setFocus()  # single-key shortcuts work from the start, not typed into a field

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        # Exports, scans and scan exports write to the database: all of them stop before the caller closes it.
        cancel_all_and_wait()
        self.player.unload()
        QCoreApplication.processEvents()  # runs the queued stop now, before the player is destroyed
        super().closeEvent(event)
        self.closed.emit()
