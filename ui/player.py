"""Video player: QMediaPlayer shown in a VideoView (crop frame over the picture), with a position the app can
always rely on, and a playback speed.

The position and duration the rest of the app reads are kept here, seeded from probe() and moved by
seeks and steps, and only followed from the media backend while it actually plays. So scrubbing, frame
steps and exports behave the same on a machine (or a test run) whose backend cannot decode the file.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Q_ARG, QLoggingCategory, QMetaObject, Qt, QUrl, Signal
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStyle, QToolButton, QVBoxLayout, QWidget

from ui.timeline import format_time
from ui.video_view import VideoView

# Qt's FFmpeg backend prints the stream table of every file it opens and each optional library it could
# not load (PipeWire, VA-API): terminal noise, not problems. Its warnings still show.
QLoggingCategory.setFilterRules("qt.multimedia.ffmpeg*.info=false\nqt.multimedia.symbolsresolver*=false")

DEFAULT_FPS = 25.0
SPEEDS = (0.5, 1.0, 2.0, 4.0)
_ARG_TYPES = {int: "qint64"}  # QMediaPlayer.setPosition takes a qint64


class Player(QWidget):
    position_changed = Signal(float)
    playing_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._path: Path | None = None
        self._position = 0.0
        self._play_origin: float | None = None  # where the last play started: K snaps back there
        self._duration = 0.0
        self._fps = DEFAULT_FPS

        self.video = VideoView(self)
        self.video.setMinimumSize(320, 180)
        self.video.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self._audio = QAudioOutput(self)
        self._media = QMediaPlayer(self)
        self._media.setAudioOutput(self._audio)
        self._media.setVideoOutput(self.video.video_item)
        self._media.positionChanged.connect(self._follow_backend)
        self._media.playbackStateChanged.connect(
            lambda state: self.playing_changed.emit(state == QMediaPlayer.PlaybackState.PlayingState)
        )

        self.play_button = QToolButton(self)
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.clicked.connect(self.toggle_play)
        self.playing_changed.connect(self._show_play_state)
        self._show_play_state(False)
        self.speed_combo = QComboBox(self)
        self.speed_combo.setObjectName("speedCombo")
        self.speed_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the player
        self.speed_combo.setToolTip("Playback speed ([ slower · ] faster)")
        for speed in SPEEDS:
            self.speed_combo.addItem(f"×{speed:g}", speed)
        self.speed_combo.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_combo.currentIndexChanged.connect(lambda index: self._media.setPlaybackRate(SPEEDS[index]))
        self.time_label = QLabel(self)
        self.time_label.setObjectName("timeLabel")
        self.file_label = QLabel(self)
        self.file_label.setObjectName("fileLabel")
        self.file_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        controls = QHBoxLayout()
        controls.setContentsMargins(6, 4, 6, 4)
        controls.addWidget(self.play_button)
        controls.addWidget(self.speed_combo)
        controls.addWidget(self.time_label)
        controls.addStretch(1)
        controls.addWidget(self.file_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.video, 1)
        layout.addLayout(controls)
        self._show_time()

    # ---- state ---------------------------------------------------------------------------------
    def load(self, path: Path, duration: float, fps: float | None, size: tuple[int, int] | None = None) -> None:
        """Open `path`; duration, fps and the upright frame size come from probe() so stepping and the crop
        frame work before playback starts."""
        self._queue("stop")
        if size and size[0] and size[1]:
            self.video.set_frame_size(*size)
        self._path = Path(path)
        self._play_origin = None
        self._duration = max(0.0, float(duration))
        self._fps = fps if fps and fps > 0 else DEFAULT_FPS
        self._position = 0.0
        self._queue("setSource", QUrl.fromLocalFile(str(self._path)))
        self._queue("pause")  # paused, not stopped: the backend shows the frame at each seek
        self.file_label.setText(self._path.name)
        self._show_time()
        self.position_changed.emit(0.0)

    def unload(self) -> None:
        self._queue("stop")
        self._queue("setSource", QUrl())
        self._path = None
        self._duration = self._position = 0.0
        self.file_label.clear()
        self._show_time()

    def _queue(self, slot: str, *args) -> None:
        """Run a QMediaPlayer slot from the event loop, where no Python code holds the GIL: called directly,
        stop() and setSource() wait for the playback threads, and the audio thread can be waiting for the
        GIL (PySide6 checks for Python overrides), a deadlock."""
        QMetaObject.invokeMethod(
            self._media,
            slot,
            Qt.ConnectionType.QueuedConnection,
            *(Q_ARG(_ARG_TYPES.get(type(arg), type(arg)), arg) for arg in args),
        )

    def path(self) -> Path | None:
        return self._path

    def position(self) -> float:
        return self._position

    def duration(self) -> float:
        return self._duration

    def fps(self) -> float:
        return self._fps

    def is_playing(self) -> bool:
        return self._media.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    # ---- transport -----------------------------------------------------------------------------
    def seek(self, seconds: float) -> None:
        if self._path is None:
            return
        self._position = min(max(0.0, float(seconds)), self._duration)
        self._queue("setPosition", round(self._position * 1000))
        self._show_time()
        self.position_changed.emit(self._position)

    def step_frames(self, frames: int) -> None:
        self.pause()
        self.seek(self._position + frames / self._fps)

    def step_seconds(self, seconds: float) -> None:
        self.seek(self._position + seconds)

    def toggle_play(self) -> None:
        if self._path is None:
            return
        if self.is_playing():
            self.pause()
        else:
            self._play_origin = self._position
            self._media.play()

    def snap_back(self) -> None:
        """`K`: pause and return to where playback last started, to listen to the same spot again."""
        self.pause()
        if self._play_origin is not None:
            self.seek(self._play_origin)

    def speed(self) -> float:
        return SPEEDS[self.speed_combo.currentIndex()]

    def change_speed(self, steps: int) -> None:
        """`[` / `]`: one speed slower or faster (×0.5 … ×4)."""
        index = min(max(0, self.speed_combo.currentIndex() + steps), len(SPEEDS) - 1)
        self.speed_combo.setCurrentIndex(index)

    def pause(self) -> None:
        if self.is_playing():
            self._media.pause()

    def _follow_backend(self, ms: int) -> None:
        if not self.is_playing():
            return  # while paused our own position is the truth; the backend lags behind seeks
        self._position = min(ms / 1000.0, self._duration)
        self._show_time()
        self.position_changed.emit(self._position)

    def _show_time(self) -> None:
        self.time_label.setText(f"{format_time(self._position)} / {format_time(self._duration)}")

    def _show_play_state(self, playing: bool) -> None:
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
