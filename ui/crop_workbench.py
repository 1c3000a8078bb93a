"""Portrait crop on the picture: the frame over the video, keyframes of a moving crop, subject tracking.

Without keyframes the crop is one centre, the export panel's slider: dragging the frame on the picture
moves the slider and the slider moves the frame. Once the video has keyframes (`C`, or a tracked subject)
the centre follows them: the frame and the slider show the interpolated centre at the playhead, and
dragging either one puts a keyframe at the playhead. Keyframes are saved per video in the data home
(core/crop_path.py) and exports follow them frame by frame.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QRectF, QTimer
from PySide6.QtGui import QAction

from core import crop_path
from core.export import output_geometry
from core.subject_tracker import track_subject
from ui.background import BackgroundTask, run_in_background
from ui.export_panel import NO_PORTRAIT
from ui.shortcuts import keys_label
from ui.timeline import format_time

REMOVE_WITHIN_S = 0.5  # Shift+C takes the nearest keyframe this close to the playhead
SAVE_AFTER_MS = 300  # a drag changes the keyframes at every mouse move: the file is written once it rests


class CropWorkbench(QObject):
    """Lives as long as the window (its child)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.view = window.player.video
        self.panel = window.export_panel
        self._video: Path | None = None
        self._keyframes: tuple[crop_path.Keyframe, ...] = ()
        self._track_task: BackgroundTask | None = None
        self._unsaved = False
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_AFTER_MS)
        self._save_timer.timeout.connect(self.save)

        self.view.crop_centre_chosen.connect(self.choose_centre)
        self.view.subject_boxed.connect(self._track)
        slider = self.panel.portrait_center_slider
        # The user's moves only (drag, keys, clicks): restoring a profile's settings sets the value too, and
        # must not put a keyframe at the playhead.
        slider.actionTriggered.connect(lambda _action: self.choose_centre(slider.sliderPosition() / 100.0))
        slider.valueChanged.connect(lambda _value: self._show())
        self.panel.portrait_combo.currentTextChanged.connect(lambda _text: self._show())
        window.player.position_changed.connect(lambda _seconds: self._show())
        window.video_loaded.connect(self._on_video_loaded)
        window.closed.connect(self.save)
        window.add_shortcut_handlers(
            {
                "crop_keyframe": self.add_keyframe,
                "remove_crop_keyframe": self.remove_keyframe,
                "track_subject": self.start_boxing,
            }
        )
        self._build_menu()
        if window.current_video is not None:
            self._on_video_loaded(window.current_video)

    def _build_menu(self) -> None:
        menu = self.window.edit_menu.addMenu("&Crop")
        for text, slot, shortcut in (
            ("Crop &keyframe at playhead", self.add_keyframe, "crop_keyframe"),
            ("&Remove crop keyframe", self.remove_keyframe, "remove_crop_keyframe"),
            ("&Track subject…", self.start_boxing, "track_subject"),
            ("&Clear crop keyframes", self.clear_keyframes, ""),
        ):
            action = QAction(f"{text}\t{keys_label(shortcut)}" if shortcut else text, self.window)
            action.triggered.connect(slot)
            menu.addAction(action)

    # ---- state ---------------------------------------------------------------------------------
    def keyframes(self) -> tuple[crop_path.Keyframe, ...]:
        return self._keyframes

    def _portrait(self) -> str | None:
        text = self.panel.portrait_combo.currentText()
        return None if text == NO_PORTRAIT else text

    def _playhead(self) -> float:
        return self.window.player.position()

    def centre(self) -> float:
        """The crop centre at the playhead."""
        default = self.panel.portrait_center_slider.value() / 100.0
        return crop_path.centre_at(self._keyframes, self._playhead(), default)

    def _on_video_loaded(self, video: Path) -> None:
        if self._track_task is not None:
            self._track_task.cancel()
        self.view.set_box_mode(False)
        self.save()  # the previous video's pending change
        self._video = Path(video)
        self._set_keyframes(crop_path.load_keyframes(self.window.home, self._video), save=False)

    def _set_keyframes(self, keyframes, save: bool = True) -> None:
        self._keyframes = crop_path.normalized(keyframes)
        if save:
            self._unsaved = True
            self._save_timer.start()
        self.panel.set_crop_keyframes(self._keyframes)
        self.window.timeline.set_crop_keyframes(self._keyframes)
        self._show()

    def save(self) -> None:
        """Write a pending keyframe change to the data home now."""
        self._save_timer.stop()
        if self._unsaved and self._video is not None:
            crop_path.save_keyframes(self.window.home, self._video, self._keyframes)
        self._unsaved = False

    def _show(self) -> None:
        """The frame on the picture and the slider, at the crop centre of the playhead."""
        portrait = self._portrait()
        size = self.view.frame_size()
        centre = self.centre()
        if self._keyframes:
            self.panel.show_crop_centre(centre)
        if portrait is None or self._video is None:
            self.view.set_crop(None)
            return
        crop, _ = output_geometry(round(size.width()), round(size.height()), portrait, centre, None)
        self.view.set_crop(crop)

    # ---- user ----------------------------------------------------------------------------------
    def choose_centre(self, centre: float) -> None:
        """The frame dragged on the picture or the slider moved: the one centre, or a keyframe at the playhead."""
        if self._keyframes:
            self._set_keyframes(crop_path.with_keyframe(self._keyframes, self._playhead(), centre))
            return
        self.panel.portrait_center_slider.setValue(round(centre * 100))  # moves the frame through valueChanged

    def add_keyframe(self) -> None:
        if self._needs_portrait():
            return
        self._set_keyframes(crop_path.with_keyframe(self._keyframes, self._playhead(), self.centre()))
        self.window.show_message(
            f"Crop keyframe at {format_time(self._playhead())}: drag the frame on the picture "
            "to move it; the crop now follows its keyframes."
        )

    def remove_keyframe(self) -> None:
        kept = crop_path.without_keyframe_near(self._keyframes, self._playhead(), REMOVE_WITHIN_S)
        if kept == self._keyframes:
            self.window.show_message(f"No crop keyframe within {REMOVE_WITHIN_S:g} s of the playhead.")
            return
        self._set_keyframes(kept)

    def clear_keyframes(self) -> None:
        self._set_keyframes(())
        self.window.show_message("Crop keyframes cleared: the crop stays at the slider's centre.")

    def _needs_portrait(self) -> bool:
        if self._video is None:
            self.window.show_message("Open a video first.")
            return True
        if self._portrait() is None:
            self.window.show_message("Choose a portrait crop (Export ▸ Picture ▸ Portrait crop) first.")
            return True
        return False

    # ---- tracking ------------------------------------------------------------------------------
    def start_boxing(self) -> None:
        """`T`: the next drag on the picture boxes the subject; the tracker then follows it. `T` again: not."""
        if self.view.box_mode():
            self.view.set_box_mode(False)
            self.window.show_message("No subject boxed: the crop keyframes are unchanged.")
            return
        if self._needs_portrait():
            return
        if self._track_task is not None:
            self.window.show_message("A subject is being tracked already: wait for it or cancel it.")
            return
        self.window.player.pause()
        self.view.set_box_mode(True)
        self.window.show_message("Drag a box around the subject on the picture (T again: never mind).")

    def tracking_span(self) -> tuple[float, float]:
        """From the playhead to the end of the clips `E` would export from there."""
        settings = self.panel.highlight_settings()
        start = self._playhead()
        return start, start + (settings.count - 1) * settings.spread + settings.length

    def _track(self, box: QRectF) -> None:
        video = self._video
        if video is None:
            return
        start, end = self.tracking_span()
        rect = (box.x(), box.y(), box.width(), box.height())

        def work(progress, cancel):
            return track_subject(video, start, end, rect, progress=progress, cancel=cancel)

        def done(result) -> None:
            if video != self._video:
                return
            kept = [k for k in self._keyframes if not start - 1e-6 <= k[0] <= end + 1e-6]
            self._set_keyframes([*kept, *result.keyframes])
            lost = f" It lost the subject at {format_time(result.lost_at)}." if result.lost_at is not None else ""
            self.window.show_message(
                f"Tracked the subject {format_time(start)}–{format_time(end)} "
                f"({result.tracker}): {len(result.keyframes)} keyframe(s).{lost}"
            )

        self._track_task = run_in_background(
            work,
            on_success=done,
            on_failure=self.window.show_error,
            on_cancelled=lambda: self.window.show_message("Tracking cancelled: the keyframes are unchanged."),
            on_finished=self._tracking_finished,
        )
        self.window.show_task(self._track_task, "Tracking the subject…")

    def _tracking_finished(self) -> None:
        self._track_task = None
