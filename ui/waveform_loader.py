"""Gives the timeline the loaded video's waveform: from the cache at once, else computed in the background."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject

from core.waveform import cached_peaks, load_or_compute_peaks
from ui.background import BackgroundTask, run_in_background


class WaveformLoader(QObject):
    """Lives as long as the window (its child)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._task: BackgroundTask | None = None
        window.video_loaded.connect(self.load)
        if window.current_video is not None:
            self.load(window.current_video)

    def load(self, video: Path) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        timeline, home = self.window.timeline, self.window.home
        peaks = cached_peaks(home, video)
        timeline.set_waveform(peaks)
        if peaks is not None:
            return
        duration = timeline.duration()

        def done(result) -> None:
            if self.window.current_video == video:
                timeline.set_waveform(result)

        def failed(message: str) -> None:  # a file without sound: an empty strip, and why
            if self.window.current_video == video:
                timeline.set_waveform(np.zeros((0, 2), dtype=np.float32))
                self.window.show_message(f"No waveform: {message}")

        def finished() -> None:
            if self._task is task:
                self._task = None

        def work(progress, cancel):
            return load_or_compute_peaks(home, video, duration, progress, cancel)

        task = run_in_background(work, on_success=done, on_failure=failed, on_finished=finished)
        self._task = task
