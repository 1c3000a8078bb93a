"""Edit-menu tools beside export: extract an audio slice at the cursor, re-export a video's or the export
folder's clips with the current settings. Added to the main window through its public surface, like the
scan tools (ui/app.py builds it after the window)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.audio_slice import AudioSlice, extract_audio
from core.errors import FoleycutError
from core.reexport import clips_of_folder, clips_of_video, reexport_clips
from ui.background import BackgroundTask, run_in_background
from ui.shortcuts import key_sequences
from ui.timeline import format_time

AUDIO_DIR_KEY = "cut_tools/audio_dir"


class CutTools(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._task: BackgroundTask | None = None
        menu = window.edit_menu
        menu.addSeparator()
        self.extract_audio_action = self._action(
            "E&xtract audio at cursor…", self.extract_audio_at_cursor, "extract_audio"
        )
        self.reexport_video_action = self._action("&Re-export this video's clips…", self.reexport_video)
        self.reexport_folder_action = self._action("Re-export the whole export &folder…", self.reexport_folder)
        for action in (self.extract_audio_action, self.reexport_video_action, self.reexport_folder_action):
            menu.addAction(action)

    def _action(self, text: str, slot, shortcut: str | None = None) -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcuts(key_sequences(shortcut))
        action.triggered.connect(slot)
        return action

    def _busy(self) -> bool:
        if self._task is not None:
            self.window.show_message("A re-export or audio extraction is still running: wait for it or cancel it.")
            return True
        return False

    # ---- extract audio -------------------------------------------------------------------------
    def extract_audio_at_cursor(self) -> None:
        """Save the clip length's worth of sound from the cursor as a WAV file the user names."""
        video = self.window.current_video
        if video is None:
            self.window.show_error("No video loaded: open one (File → Open videos…) before extracting audio.")
            return
        if self._busy():
            return
        at = self.window.player.position()
        length = self.window.export_panel.highlight_settings().length
        folder = self.window.settings.value(AUDIO_DIR_KEY, str(video.parent), type=str)
        suggested = Path(folder) / f"{video.stem}_{at:.2f}s.wav"
        chosen, _ = QFileDialog.getSaveFileName(
            self.window, f"Extract {length:g} s of audio from {format_time(at)}", str(suggested), "WAV audio (*.wav)"
        )
        if not chosen:
            return
        out = Path(chosen) if Path(chosen).suffix.lower() == ".wav" else Path(chosen + ".wav")
        self.window.settings.setValue(AUDIO_DIR_KEY, str(out.parent))
        self._start(
            lambda _progress, _cancel: extract_audio(video, at, length, out),
            self._on_extracted,
            f"Extracting audio to {out.name}…",
        )

    def _on_extracted(self, result: AudioSlice) -> None:
        self.window.show_message(
            f"Saved {result.samples} samples ({result.length:g} s at {result.rate} Hz) to {result.path}"
        )

    # ---- re-export -----------------------------------------------------------------------------
    def reexport_video(self) -> None:
        video = self.window.current_video
        if video is None:
            self.window.show_error("No video loaded: open the video whose clips you want to re-export.")
            return
        settings = self._settings()
        if settings is not None:
            rows = clips_of_video(self.window.db, video, self.window.profile, settings.export_folder)
            self._reexport(rows, settings, f"{video.name}'s clip(s) in {settings.export_folder}")

    def reexport_folder(self) -> None:
        settings = self._settings()
        if settings is not None:
            self._reexport(
                clips_of_folder(self.window.db, settings.export_folder),
                settings,
                f"clip(s) in {settings.export_folder} (every video and profile)",
            )

    def _settings(self):
        try:
            return self.window.export_panel.settings()
        except FoleycutError as exc:
            self.window.show_error(str(exc))
            return None

    def _reexport(self, rows: list[dict], settings, what: str) -> None:
        if self._busy():
            return
        if not rows:
            self.window.show_error(
                f"No {what.replace('clip(s)', 'clips', 1)} to re-export: export some first, or "
                "choose the export folder they are in."
            )
            return
        answer = QMessageBox.question(
            self.window,
            "Re-export clips",
            f"Re-encode the {len(rows)} {what} with the current picture and encoding settings?\n"
            "File names, starts and database rows are kept; the old files are replaced "
            "(all of them, or none if anything fails).",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        db = self.window.db
        self._start(
            lambda progress, cancel: reexport_clips(db, rows, settings, progress, cancel),
            lambda count: self.window.show_message(f"Re-encoded {count} clip(s); names and rows kept."),
            f"Re-exporting {len(rows)} clip(s)…",
            refresh=True,
        )

    def _start(self, work, on_success, label: str, refresh: bool = False) -> None:
        def finished() -> None:
            self._task = None
            if refresh:
                self.window.changes.clips.emit()

        self._task = run_in_background(
            work,
            on_success=on_success,
            on_failure=self.window.show_error,
            on_finished=finished,
            on_cancelled=lambda: self.window.show_message("Cancelled: nothing was changed."),
        )
        self.window.show_task(self._task, label)
