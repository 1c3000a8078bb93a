"""The timeline under the video: cursor, what `E` would export, exported markers, scan regions, the
scan's per-window probability as a curve with the threshold as a line across it, and a waveform strip
carrying the moving crop's keyframes (the crop centre's path, top = left edge of the picture).

Mouse:  click / drag = seek (never edits) · Shift+drag on a region edge = resize that edge
        Shift+drag elsewhere = select a time range · right-click in it = find similar sounds to it
        drag the threshold line (up / down) = another threshold
        double-click a marker = overwrite mode for it · right-click a marker = delete it
        wheel = zoom around the pointer · Shift+wheel = pan

Painting stays fast with tens of thousands of items: markers and regions are kept as sorted numpy
arrays, only the visible slice is mapped to pixels, and items falling on the same pixel are drawn once.
The waveform's per-column peaks are folded once per view (zoom, pan, resize), not at every cursor move.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPen, QPolygonF, QWheelEvent
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolTip, QWidget

from core.waveform import column_peaks

EDGE_GRAB_PX = 6
MARKER_HIT_PX = 5
MIN_REGION_SECONDS = 0.1
MIN_VIEW_SECONDS = 2.0
SCORE_BUCKETS = 16
NICE_TICK_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)

RULER_H = 20
MARKER_LANE_H = 24
REGION_LANE_H = 40
WAVE_LANE_H = 36

BACKGROUND = QColor("#1b1d21")
LANE = QColor("#24272d")
RULER_TEXT = QColor("#9aa0aa")
TICK = QColor("#3a3f48")
CURSOR = QColor("#f5f7fa")
HIGHLIGHT = QColor(80, 160, 255, 60)
HIGHLIGHT_EDGE = QColor(80, 160, 255, 160)
MARKER = QColor("#ffb347")
MARKER_OVERWRITE = QColor("#ff5a5a")
DISABLED_REGION = QColor("#5c6068")
SPEECH = QColor(186, 120, 255, 200)  # violet: apart from the score colours and the blue export band
SPEECH_STRIP_H = 5
GHOST = QColor(140, 145, 155, 70)
SELECTED_REGION = QColor("#f5f7fa")
SCORE_CURVE = QColor(235, 240, 250, 150)
THRESHOLD_LINE = QColor("#5ec8ff")
THRESHOLD_GRAB_PX = 4
WAVEFORM = QColor("#6f9fd8")
KEYFRAME = QColor("#ffd45e")
LOCKED_CURSOR = QColor("#ff9f43")
RANGE = QColor(150, 230, 140, 55)
RANGE_EDGE = QColor(150, 230, 140, 200)
MIN_RANGE_PX = 3  # a shorter Shift+drag is a Shift+click: it seeks


def format_time(seconds: float, *, precise: bool = True) -> str:
    """12.34 -> '0:12.34'; 3723.5 -> '1:02:03.50' (hundredths only when `precise`)."""
    seconds = max(0.0, seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    sec_text = f"{secs:05.2f}" if precise else f"{int(secs):02d}"
    if hours >= 1:
        return f"{int(hours)}:{int(minutes):02d}:{sec_text}"
    return f"{int(minutes)}:{sec_text}"


@dataclass(frozen=True)
class TimelineMarker:
    """One press of `E`: the clips exported from `time` into `export_folder`."""

    time: float
    export_folder: str
    clip_count: int = 1


@dataclass(frozen=True)
class TimelineRegion:
    """A scan region; `original_*` is the extent the scan found (shown as a ghost once trimmed)."""

    id: int
    start: float
    end: float
    score: float
    disabled: bool = False
    original_start: float | None = None
    original_end: float | None = None


def score_color(score: float) -> QColor:
    """Low scores green-yellow, high scores red: the eye goes to the confident hits."""
    clamped = min(1.0, max(0.0, score))
    return QColor.fromHsvF((1.0 - clamped) * 0.25, 0.85, 0.95, 0.85)


_BUCKET_COLORS = [score_color((i + 0.5) / SCORE_BUCKETS) for i in range(SCORE_BUCKETS)]


def _column_levels(x0: np.ndarray, x1: np.ndarray, levels: np.ndarray, width: int) -> np.ndarray:
    """For each pixel column, the highest level among the spans [x0, x1) covering it (0 where none).

    One coverage count (difference array + cumsum) per level: cost grows with the number of levels
    and the widget width, never with how wide or how overlapping the regions are."""
    x0, x1 = np.clip(x0, 0, width), np.clip(x1, 0, width)
    best = np.zeros(width, dtype=np.int64)
    for level in np.unique(levels).tolist():
        chosen = levels == level
        diff = np.zeros(width + 1, dtype=np.int64)
        np.add.at(diff, x0[chosen], 1)
        np.add.at(diff, x1[chosen], -1)
        best[np.cumsum(diff[:-1]) > 0] = level
    return best


def _span_rects(x0: np.ndarray, x1: np.ndarray, top: float, height: float) -> list[QRectF]:
    """One rectangle per union of overlapping pixel spans [x0, x1): painted in one colour they look the
    same as the separate ones, and at full zoom thousands of regions collapse into a few hundred."""
    order = np.argsort(x0, kind="stable")
    x0, x1 = x0[order], x1[order]
    reach = np.maximum.accumulate(x1)
    opens = np.ones(len(x0), dtype=bool)
    opens[1:] = x0[1:] > reach[:-1]
    starts = np.flatnonzero(opens)
    lefts, rights = x0[starts], np.maximum.reduceat(x1, starts)
    return [QRectF(left, top, right - left, height) for left, right in zip(lefts.tolist(), rights.tolist())]


@dataclass
class _EdgeDrag:
    region_index: int
    edge: str  # "start" or "end"


class Timeline(QWidget):
    seek_requested = Signal(float)
    threshold_dragged = Signal(float)  # while the threshold line moves
    threshold_chosen = Signal(float)  # once, when it is let go
    region_resized = Signal(int, float, float)
    region_clicked = Signal(int)
    marker_overwrite_requested = Signal(float, str)
    marker_delete_requested = Signal(float, str)
    range_changed = Signal()  # the selected time range was drawn or cleared
    find_similar_requested = Signal(float, float)  # from the selected range's context menu

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("timeline")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # clicking here takes focus from text fields
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(RULER_H + MARKER_LANE_H + REGION_LANE_H + WAVE_LANE_H + 16)
        self._duration = 0.0
        self._cursor = 0.0
        self._view_start = 0.0
        self._view_span = 0.0
        self._review_mode = False
        self._highlight: tuple[list[float], float] = ([], 0.0)
        self._overwrite_marker: TimelineMarker | None = None
        self._dragging_seek = False
        self._edge_drag: _EdgeDrag | None = None
        self._selected_region: int | None = None  # id of the region selected in the scan table
        self._score_centres = np.zeros(0)  # window centres, seconds, ascending
        self._scores = np.zeros(0)
        self._threshold: float | None = None
        self._dragging_threshold = False
        self._speech: list[tuple[float, float]] = []  # speech spans, drawn as a strip under the regions
        self._marker_colours: dict[str, QColor] = {}  # export folder -> colour of its subprofile
        self._peaks: np.ndarray | None = None  # waveform (min, max) per bucket; None: not computed yet
        self._wave_image: tuple[tuple, QImage] | None = None  # (view key, strip) of the last fold
        self._keyframes: tuple[tuple[float, float], ...] = ()
        self._locked_cursor: float | None = None
        self._range: tuple[float, float] | None = None  # the selected time range, start < end
        self._range_anchor: float | None = None  # where a Shift+drag that selects began
        self.range_menu: QMenu | None = None  # the selected range's context menu while it is open
        self.set_markers([])
        self.set_scan_regions([])

    # ---- data in -------------------------------------------------------------------------------
    def set_duration(self, seconds: float) -> None:
        self._duration = max(0.0, float(seconds))
        self._view_start, self._view_span = 0.0, self._duration
        self.update()

    def duration(self) -> float:
        return self._duration

    def zoom_to_fit(self) -> None:
        self._set_view(0.0, self._duration)

    def set_cursor(self, seconds: float) -> None:
        self._cursor = min(max(0.0, float(seconds)), self._duration) if self._duration else max(0.0, seconds)
        self._keep_cursor_in_view()
        self.update()

    def cursor(self) -> float:
        return self._cursor

    def set_export_highlight(self, starts: list[float], length: float) -> None:
        """The clips `E` would export now: one band from the first start to the last clip's end."""
        self._highlight = (list(starts), float(length))
        self.update()

    def set_markers(self, markers: list[TimelineMarker]) -> None:
        self._markers = sorted(markers, key=lambda m: m.time)
        self._marker_times = np.array([m.time for m in self._markers], dtype=np.float64)
        self._index_marker_colours()
        if self._overwrite_marker not in self._markers:
            self._overwrite_marker = None
        self.update()

    def markers(self) -> list[TimelineMarker]:
        return list(self._markers)

    def set_marker_colours(self, colours: dict[str, QColor]) -> None:
        """{export folder: colour}: markers of those folders (subprofiles) take it, the others stay orange."""
        self._marker_colours = {os.path.normpath(folder): QColor(colour) for folder, colour in colours.items()}
        self._index_marker_colours()
        self.update()

    def marker_colour(self, marker: TimelineMarker) -> QColor:
        return self._marker_colours.get(os.path.normpath(marker.export_folder), MARKER)

    def _index_marker_colours(self) -> None:
        """Each marker's colour as an index into one palette, so painting groups them with numpy."""
        self._marker_palette = [MARKER, *self._marker_colours.values()]
        slot = {folder: i + 1 for i, folder in enumerate(self._marker_colours)}
        self._marker_colour_index = np.array(
            [slot.get(os.path.normpath(m.export_folder), 0) for m in self._markers], dtype=np.int64
        )

    def set_overwrite_marker(self, marker: TimelineMarker | None) -> None:
        self._overwrite_marker = marker
        self.update()

    def set_scan_regions(self, regions: list[TimelineRegion]) -> None:
        self._regions = sorted(regions, key=lambda r: r.start)
        self._reindex_regions()
        self.update()

    def scan_regions(self) -> list[TimelineRegion]:
        return list(self._regions)

    def set_scores(self, window_starts: np.ndarray, probabilities: np.ndarray, window: float) -> None:
        """The scan's probability for every window (drawn at the window's centre); empty: no curve."""
        order = np.argsort(window_starts, kind="stable")
        self._score_centres = np.asarray(window_starts, dtype=np.float64)[order] + window / 2
        self._scores = np.asarray(probabilities, dtype=np.float64)[order]
        self.update()

    def set_speech(self, spans: list[tuple[float, float]]) -> None:
        """Where people speak (start, end seconds): a strip along the bottom of the region lane."""
        self._speech = sorted((float(a), float(b)) for a, b in spans)
        self.update()

    def speech(self) -> list[tuple[float, float]]:
        return list(self._speech)

    def set_threshold(self, threshold: float | None) -> None:
        """Where the threshold line is drawn (None: no line)."""
        self._threshold = None if threshold is None else min(1.0, max(0.0, float(threshold)))
        self.update()

    def threshold(self) -> float | None:
        return self._threshold

    def set_waveform(self, peaks: np.ndarray | None) -> None:
        """Min/max peaks at core.waveform.BUCKETS_PER_SECOND (None: not computed yet). Drawn scaled to the
        file's loudest peak, so a quietly recorded film still shows where its sounds are."""
        if peaks is not None:
            peaks = np.asarray(peaks, dtype=np.float32)
            loudest = float(np.abs(peaks).max()) if peaks.size else 0.0
            peaks = peaks / loudest if loudest > 1e-4 else peaks
        self._peaks = peaks
        self._wave_image = None
        self.update()

    def has_waveform(self) -> bool:
        return self._peaks is not None

    def set_crop_keyframes(self, keyframes) -> None:
        """(seconds, centre 0..1) keyframes of the moving crop, drawn over the waveform."""
        self._keyframes = tuple(keyframes)
        self.update()

    def set_locked_cursor(self, seconds: float | None) -> None:
        """Where the locked cursor stays (`G`) while the playhead moves; None: not locked."""
        self._locked_cursor = seconds
        self.update()

    def set_selected_region(self, region_id: int | None) -> None:
        """Outline the region whose row is selected in the scan table (None: no outline)."""
        self._selected_region = region_id
        self.update()

    def selected_region(self) -> int | None:
        return self._selected_region

    def selected_range(self) -> tuple[float, float] | None:
        return self._range

    def set_selected_range(self, selected: tuple[float, float] | None) -> None:
        if selected is not None:
            start, end = sorted(min(max(0.0, t), self._duration) for t in selected)
            selected = (start, end) if end > start else None
        if selected != self._range:
            self._range = selected
            self.update()
            self.range_changed.emit()

    def set_review_mode(self, on: bool) -> None:
        """Review mode shows scan regions only: export markers and the export band are hidden."""
        self._review_mode = bool(on)
        self.update()

    def review_mode(self) -> bool:
        return self._review_mode

    def _reindex_regions(self) -> None:
        regions = self._regions
        self._region_starts = np.array([r.start for r in regions], dtype=np.float64)
        self._region_ends = np.array([r.end for r in regions], dtype=np.float64)
        # Regions are sorted by start but can be long: the running max of ends lets the visible slice
        # be found by binary search on both sides.
        self._region_end_prefix_max = np.maximum.accumulate(self._region_ends)
        self._region_buckets = np.array(
            [min(SCORE_BUCKETS - 1, max(0, int(r.score * SCORE_BUCKETS))) for r in regions], dtype=np.int64
        )
        self._region_disabled = np.array([r.disabled for r in regions], dtype=bool)
        trimmed = [
            (
                i,
                r.start if r.original_start is None else r.original_start,
                r.end if r.original_end is None else r.original_end,
            )
            for i, r in enumerate(regions)
            if (r.original_start is not None and r.original_start < r.start)
            or (r.original_end is not None and r.original_end > r.end)
        ]
        self._ghost_indices = np.array([i for i, _, _ in trimmed], dtype=np.int64)
        self._ghost_starts = np.array([start for _, start, _ in trimmed], dtype=np.float64)
        self._ghost_ends = np.array([end for _, _, end in trimmed], dtype=np.float64)

    # ---- geometry ------------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(800, RULER_H + MARKER_LANE_H + REGION_LANE_H + WAVE_LANE_H + 28)

    def _track_rect(self) -> QRectF:
        return QRectF(8, 0, max(1, self.width() - 16), self.height())

    def _x_of(self, seconds):
        track = self._track_rect()
        span = self._view_span or 1.0
        return track.left() + (np.asarray(seconds, dtype=np.float64) - self._view_start) / span * track.width()

    def time_at(self, x: float) -> float:
        track = self._track_rect()
        span = self._view_span or 1.0
        t = self._view_start + (x - track.left()) / track.width() * span
        return min(max(0.0, t), self._duration)

    def x_at(self, seconds: float) -> float:
        return float(self._x_of(seconds))

    def _keep_cursor_in_view(self) -> None:
        if not self._view_span or self._view_span >= self._duration:
            return
        if not self._view_start <= self._cursor <= self._view_start + self._view_span:
            self._set_view(self._cursor - self._view_span * 0.1, self._view_span)

    def _set_view(self, start: float, span: float) -> None:
        span = min(max(MIN_VIEW_SECONDS, span), self._duration or span)
        self._view_span = span
        self._view_start = min(max(0.0, start), max(0.0, self._duration - span))
        self.update()

    def _lane_rects(self) -> tuple[QRectF, QRectF]:
        track = self._track_rect()
        markers = QRectF(track.left(), RULER_H, track.width(), MARKER_LANE_H)
        regions = QRectF(
            track.left(),
            RULER_H + MARKER_LANE_H + 4,
            track.width(),
            max(8.0, self.height() - RULER_H - MARKER_LANE_H - WAVE_LANE_H - 12),
        )
        return markers, regions

    def _wave_lane(self) -> QRectF:
        track = self._track_rect()
        return QRectF(track.left(), self.height() - WAVE_LANE_H - 4, track.width(), WAVE_LANE_H)

    def _visible_region_slice(self) -> slice:
        view_end = self._view_start + self._view_span
        first = int(np.searchsorted(self._region_end_prefix_max, self._view_start, side="right"))
        last = int(np.searchsorted(self._region_starts, view_end, side="left"))
        return slice(first, max(first, last))

    # ---- painting ------------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        marker_lane, region_lane = self._lane_rects()
        painter.fillRect(region_lane, LANE)
        self._paint_ruler(painter)
        if self._duration > 0:
            if not self._review_mode:
                painter.fillRect(marker_lane, LANE)
                self._paint_export_highlight(painter)
                self._paint_markers(painter, marker_lane)
            self._paint_speech(painter, region_lane)
            self._paint_regions(painter, region_lane)
            self._paint_scores(painter, region_lane)
            self._paint_waveform(painter)
            self._paint_keyframes(painter)
            self._paint_locked_cursor(painter)
            self._paint_range(painter)
            self._paint_cursor(painter)
        else:
            painter.setPen(RULER_TEXT)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Open a video to see its timeline")
        painter.end()

    def _paint_ruler(self, painter: QPainter) -> None:
        track = self._track_rect()
        if not self._view_span:
            return
        min_step_seconds = self._view_span * 80.0 / track.width()
        step = next((s for s in NICE_TICK_STEPS if s >= min_step_seconds), NICE_TICK_STEPS[-1])
        first = np.ceil(self._view_start / step) * step
        ticks = np.arange(first, self._view_start + self._view_span + 1e-9, step)
        painter.setPen(QPen(TICK, 1))
        font = painter.font()
        font.setPointSizeF(7.5)
        painter.setFont(font)
        precise = step < 1
        label_room = painter.fontMetrics().horizontalAdvance("0:00:00.00")
        for t, x in zip(ticks, self._x_of(ticks)):
            painter.setPen(TICK)
            painter.drawLine(QLineF(x, RULER_H - 5, x, self.height()))
            if x + label_room <= self.width():
                painter.setPen(RULER_TEXT)
                painter.drawText(QPointF(x + 3, RULER_H - 7), format_time(float(t), precise=precise))

    def _paint_export_highlight(self, painter: QPainter) -> None:
        starts, length = self._highlight
        if not starts:
            return
        x0 = self.x_at(min(starts))
        x1 = self.x_at(max(starts) + length)
        band = QRectF(x0, RULER_H, max(2.0, x1 - x0), self.height() - RULER_H)
        painter.fillRect(band, HIGHLIGHT)
        painter.setPen(QPen(HIGHLIGHT_EDGE, 1))
        for start in starts:
            x = self.x_at(start)
            painter.drawLine(QLineF(x, RULER_H, x, RULER_H + 4))

    def _paint_markers(self, painter: QPainter, lane: QRectF) -> None:
        view_end = self._view_start + self._view_span
        lo = int(np.searchsorted(self._marker_times, self._view_start, side="left"))
        hi = int(np.searchsorted(self._marker_times, view_end, side="right"))
        if hi <= lo:
            return
        xs = np.round(self._x_of(self._marker_times[lo:hi])).astype(np.int64)
        colour_index = self._marker_colour_index[lo:hi]
        top, bottom = lane.top() + 2, lane.bottom()
        painter.setPen(Qt.PenStyle.NoPen)
        flags = len(np.unique(xs)) < 400  # flags only when they do not merge into a solid bar
        for index in np.unique(colour_index).tolist():  # one pass per subprofile colour
            columns = np.unique(xs[colour_index == index])
            painter.setBrush(self._marker_palette[index])
            # 2 px stems; neighbouring ones merge, so a dense stretch is one rectangle, not hundreds of lines.
            painter.drawRects(_span_rects(columns - 1, columns + 1, top + 5, bottom - top - 5))
            if flags:
                painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
                for x in columns.tolist():
                    painter.drawPolygon(QPolygonF([QPointF(x - 4, top), QPointF(x + 4, top), QPointF(x, top + 6)]))
                painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if self._overwrite_marker is not None:
            x = self.x_at(self._overwrite_marker.time)
            painter.setPen(QPen(MARKER_OVERWRITE, 3))
            painter.drawLine(QLineF(x, top, x, self.height()))

    def _paint_speech(self, painter: QPainter, lane: QRectF) -> None:
        view_end = self._view_start + self._view_span
        spans = [(a, b) for a, b in self._speech if b >= self._view_start and a <= view_end]
        if not spans:
            return
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(SPEECH)
        top = lane.bottom() - SPEECH_STRIP_H
        painter.drawRects(
            [QRectF(self.x_at(a), top, max(1.0, self.x_at(b) - self.x_at(a)), SPEECH_STRIP_H) for a, b in spans]
        )

    def _paint_regions(self, painter: QPainter, lane: QRectF) -> None:
        visible = self._visible_region_slice()
        if visible.stop <= visible.start:
            return
        top, height = lane.top() + 2, lane.height() - 4
        self._paint_ghosts(painter, visible, top, height)
        x0 = np.floor(self._x_of(self._region_starts[visible])).astype(np.int64)
        x1 = np.maximum(x0 + 1, np.ceil(self._x_of(self._region_ends[visible])).astype(np.int64))
        # Level 1 is disabled, 2.. the score buckets: where regions overlap, the best score shows.
        levels = np.where(self._region_disabled[visible], 1, self._region_buckets[visible] + 2)
        column_levels = _column_levels(x0, x1, levels, self.width())
        run_starts = np.concatenate([[0], np.flatnonzero(np.diff(column_levels)) + 1])
        run_ends = np.append(run_starts[1:], len(column_levels))
        run_levels = column_levels[run_starts]
        painter.setPen(Qt.PenStyle.NoPen)
        for level in np.unique(run_levels[run_levels > 0]).tolist():
            chosen = run_levels == level
            painter.setBrush(DISABLED_REGION if level == 1 else _BUCKET_COLORS[level - 2])
            painter.drawRects(
                [QRectF(a, top, b - a, height) for a, b in zip(run_starts[chosen].tolist(), run_ends[chosen].tolist())]
            )
        self._paint_selected_region(painter, top, height)
        if self._edge_drag is not None:
            region = self._regions[self._edge_drag.region_index]
            x = self.x_at(region.start if self._edge_drag.edge == "start" else region.end)
            painter.setPen(QPen(CURSOR, 2))
            painter.drawLine(QLineF(x, lane.top(), x, lane.bottom()))

    def _score_y(self, probability: float, lane: QRectF) -> float:
        return lane.bottom() - 2 - probability * (lane.height() - 4)

    def _paint_scores(self, painter: QPainter, lane: QRectF) -> None:
        """The curve (per pixel column the highest probability falling in it) and the threshold line."""
        if len(self._scores):
            lo, hi = np.searchsorted(self._score_centres, [self._view_start, self._view_start + self._view_span])
            lo, hi = max(0, lo - 1), min(len(self._scores), hi + 1)
            if hi > lo:
                columns = np.floor(self._x_of(self._score_centres[lo:hi])).astype(np.int64)
                firsts = np.flatnonzero(np.r_[True, np.diff(columns) != 0])
                peaks = np.maximum.reduceat(self._scores[lo:hi], firsts)
                painter.setPen(QPen(SCORE_CURVE, 1.2))
                painter.drawPolyline(
                    QPolygonF(
                        [
                            QPointF(x + 0.5, self._score_y(p, lane))
                            for x, p in zip(columns[firsts].tolist(), peaks.tolist())
                        ]
                    )
                )
        if self._threshold is not None:
            y = self._score_y(self._threshold, lane)
            painter.setPen(QPen(THRESHOLD_LINE, 2 if self._dragging_threshold else 1, Qt.PenStyle.DashLine))
            painter.drawLine(QLineF(lane.left(), y, lane.right(), y))
            painter.drawText(
                QRectF(lane.left() + 4, y - 14, 120, 13), Qt.AlignmentFlag.AlignLeft, f"threshold {self._threshold:.2f}"
            )

    def _on_threshold_line(self, y: float) -> bool:
        _, lane = self._lane_rects()
        return (
            self._threshold is not None
            and lane.top() <= y <= lane.bottom()
            and abs(y - self._score_y(self._threshold, lane)) <= THRESHOLD_GRAB_PX
        )

    def _threshold_at(self, y: float) -> float:
        _, lane = self._lane_rects()
        return round(min(0.99, max(0.01, (lane.bottom() - 2 - y) / (lane.height() - 4))), 2)

    def _paint_selected_region(self, painter: QPainter, top: float, height: float) -> None:
        region = next((r for r in self._regions if r.id == self._selected_region), None)
        if region is None:
            return
        x0, x1 = self.x_at(region.start), self.x_at(region.end)
        painter.setPen(QPen(SELECTED_REGION, 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(x0, top - 1, max(2.0, x1 - x0), height + 2))

    def _paint_ghosts(self, painter: QPainter, visible: slice, top: float, height: float) -> None:
        """The original extent of trimmed regions, under them, so the user sees what was cut away."""
        shown = (self._ghost_indices >= visible.start) & (self._ghost_indices < visible.stop)
        if not shown.any():
            return
        x0 = np.floor(self._x_of(self._ghost_starts[shown])).astype(np.int64)
        x1 = np.maximum(x0 + 1, np.ceil(self._x_of(self._ghost_ends[shown])).astype(np.int64))
        painter.setPen(QPen(GHOST.lighter(160), 1, Qt.PenStyle.DashLine))
        painter.setBrush(GHOST)
        painter.drawRects(_span_rects(x0, x1, top, height))

    def _paint_waveform(self, painter: QPainter) -> None:
        lane = self._wave_lane()
        painter.fillRect(lane, LANE)
        if self._peaks is None:
            painter.setPen(RULER_TEXT)
            painter.drawText(lane, Qt.AlignmentFlag.AlignCenter, "waveform…")
            return
        painter.drawImage(lane.topLeft(), self._waveform_image(lane))

    def _waveform_image(self, lane: QRectF) -> QImage:
        """The strip as an image, one column per pixel from its min to its max, drawn with numpy and made
        again only when the view changes (zoom, pan, resize), not at every cursor move."""
        key = (self._view_start, self._view_span, lane.width(), lane.height())
        if self._wave_image is not None and self._wave_image[0] == key:
            return self._wave_image[1]
        width, height = int(lane.width()), int(lane.height())
        lows, highs, has_audio = column_peaks(self._peaks, self._view_start, self._view_span, width)
        mid, half = height / 2, height / 2 - 1
        tops = np.floor(mid - np.clip(highs, -1, 1) * half)
        bottoms = np.maximum(tops, np.ceil(mid - np.clip(lows, -1, 1) * half))  # silence: a 1 px line
        rows = np.arange(height)[:, None]
        inside = (rows >= tops) & (rows <= bottoms) & has_audio
        pixels = np.where(inside, np.uint32(WAVEFORM.rgba()), np.uint32(0)).astype(np.uint32)
        image = QImage(pixels.tobytes(), width, height, width * 4, QImage.Format.Format_ARGB32).copy()
        self._wave_image = (key, image)
        return image

    def _paint_keyframes(self, painter: QPainter) -> None:
        """The crop centre's path through its keyframes (height in the strip = centre across the picture)."""
        if not self._keyframes:
            return
        lane = self._wave_lane()
        times = np.array([t for t, _ in self._keyframes])
        ys = lane.top() + 3 + np.array([c for _, c in self._keyframes]) * (lane.height() - 6)
        xs = self._x_of(times)
        points = [QPointF(x, y) for x, y in zip(xs.tolist(), ys.tolist())]
        points = [QPointF(lane.left(), points[0].y()), *points, QPointF(lane.right(), points[-1].y())]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(KEYFRAME, 1.2))
        painter.drawPolyline(QPolygonF(points))
        painter.setBrush(KEYFRAME)
        visible = (xs >= lane.left() - 5) & (xs <= lane.right() + 5)
        for x, y in zip(xs[visible].tolist(), ys[visible].tolist()):
            painter.drawPolygon(QPolygonF([QPointF(x, y - 4), QPointF(x + 4, y), QPointF(x, y + 4), QPointF(x - 4, y)]))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _paint_locked_cursor(self, painter: QPainter) -> None:
        if self._locked_cursor is None:
            return
        x = self.x_at(self._locked_cursor)
        painter.setPen(QPen(LOCKED_CURSOR, 2, Qt.PenStyle.DashLine))
        painter.drawLine(QLineF(x, 0, x, self.height()))
        painter.drawText(QPointF(x + 4, RULER_H + 12), "locked")

    def _paint_range(self, painter: QPainter) -> None:
        if self._range is None:
            return
        x0, x1 = self.x_at(self._range[0]), self.x_at(self._range[1])
        painter.fillRect(QRectF(x0, RULER_H, max(1.0, x1 - x0), self.height() - RULER_H), RANGE)
        painter.setPen(QPen(RANGE_EDGE, 1))
        painter.drawLine(QLineF(x0, RULER_H, x0, self.height()))
        painter.drawLine(QLineF(x1, RULER_H, x1, self.height()))

    def _paint_cursor(self, painter: QPainter) -> None:
        x = self.x_at(self._cursor)
        painter.setPen(QPen(CURSOR, 1.5))
        painter.drawLine(QLineF(x, 0, x, self.height()))
        painter.setBrush(CURSOR)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.drawPolygon(QPolygonF([QPointF(x - 5, 0), QPointF(x + 5, 0), QPointF(x, 7)]))

    # ---- hit testing ---------------------------------------------------------------------------
    def marker_at(self, x: float) -> TimelineMarker | None:
        if not self._markers or self._review_mode:
            return None
        distances = np.abs(self._x_of(self._marker_times) - x)
        nearest = int(np.argmin(distances))
        return self._markers[nearest] if distances[nearest] <= MARKER_HIT_PX else None

    def _edge_at(self, x: float) -> _EdgeDrag | None:
        visible = self._visible_region_slice()
        if visible.stop <= visible.start:
            return None
        start_dist = np.abs(self._x_of(self._region_starts[visible]) - x)
        end_dist = np.abs(self._x_of(self._region_ends[visible]) - x)
        i_start, i_end = int(np.argmin(start_dist)), int(np.argmin(end_dist))
        if min(start_dist[i_start], end_dist[i_end]) > EDGE_GRAB_PX:
            return None
        if start_dist[i_start] < end_dist[i_end]:
            return _EdgeDrag(visible.start + i_start, "start")
        return _EdgeDrag(visible.start + i_end, "end")

    def _region_index_at(self, t: float) -> int | None:
        inside = np.nonzero((self._region_starts <= t) & (self._region_ends >= t))[0]
        return int(inside[0]) if len(inside) else None

    def _in_range(self, x: float) -> bool:
        return self._range is not None and self._range[0] <= self.time_at(x) <= self._range[1]

    def tooltip_at(self, x: float) -> str:
        """What is under the pointer and what can be done with it (empty over bare track)."""
        marker = self.marker_at(x)
        if marker is not None:
            return (
                f"Marker {format_time(marker.time)} · {marker.clip_count} clip(s) in {marker.export_folder}\n"
                "Double-click: overwrite mode · Right-click: delete"
            )
        if self._in_range(x):
            start, end = self._range
            return (
                f"Selected {format_time(start)}–{format_time(end)} ({end - start:.2f} s)\n"
                "Right-click: find similar sounds · Click elsewhere: clear"
            )
        index = self._region_index_at(self.time_at(x))
        if index is None or self._duration <= 0:
            t = self.time_at(x)
            return "Speech" if any(a <= t <= b for a, b in self._speech) else ""
        region = self._regions[index]
        state = " (disabled)" if region.disabled else ""
        return (
            f"Region {format_time(region.start)}–{format_time(region.end)} · score {region.score:.2f}{state}\n"
            "Shift+drag an edge to resize"
        )

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            text = self.tooltip_at(event.pos().x())
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    # ---- mouse ---------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        x = event.position().x()
        if event.button() == Qt.MouseButton.RightButton:
            marker = self.marker_at(x)
            if marker is not None:
                self.marker_delete_requested.emit(marker.time, marker.export_folder)
            elif self._in_range(x):
                self._show_range_menu(event.globalPosition().toPoint())
            return
        if event.button() != Qt.MouseButton.LeftButton or self._duration <= 0:
            return
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self._edge_drag = self._edge_at(x)
            if self._edge_drag is not None:
                self.update()
                return
            self._range_anchor = self.time_at(x)  # a drag selects a range; a click seeks, on release
            return
        elif self._on_threshold_line(event.position().y()):
            self._dragging_threshold = True
            self.update()
            return
        self.set_selected_range(None)
        self._dragging_seek = True
        self._seek_to_x(x)
        index = self._region_index_at(self.time_at(x))
        if index is not None:
            self.region_clicked.emit(self._regions[index].id)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        x = event.position().x()
        if self._edge_drag is not None:
            self._move_edge(self.time_at(x))
        elif self._range_anchor is not None:
            if abs(x - self.x_at(self._range_anchor)) >= MIN_RANGE_PX:
                self.set_selected_range((self._range_anchor, self.time_at(x)))
        elif self._dragging_threshold:
            threshold = self._threshold_at(event.position().y())
            if threshold != self._threshold:
                self.set_threshold(threshold)
                self.threshold_dragged.emit(threshold)
        elif self._dragging_seek:
            self._seek_to_x(x)
        else:
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            resizable = shift and self._edge_at(x) is not None
            shape = (
                Qt.CursorShape.SizeHorCursor
                if resizable
                else Qt.CursorShape.SizeVerCursor
                if self._on_threshold_line(event.position().y())
                else Qt.CursorShape.ArrowCursor
            )
            self.setCursor(shape)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._edge_drag is not None and event.button() == Qt.MouseButton.LeftButton:
            region = self._regions[self._edge_drag.region_index]
            self._edge_drag = None
            self.update()
            self.region_resized.emit(region.id, region.start, region.end)
        if self._dragging_threshold and event.button() == Qt.MouseButton.LeftButton:
            self._dragging_threshold = False
            self.update()
            self.threshold_chosen.emit(self._threshold)
        if self._range_anchor is not None and event.button() == Qt.MouseButton.LeftButton:
            if abs(event.position().x() - self.x_at(self._range_anchor)) < MIN_RANGE_PX:
                self.set_selected_range(None)
                self._seek_to_x(event.position().x())
            self._range_anchor = None
        self._dragging_seek = False

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        marker = self.marker_at(event.position().x())
        if marker is not None:
            self.marker_overwrite_requested.emit(marker.time, marker.export_folder)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self._duration <= 0:
            return
        steps = event.angleDelta().y() / 120.0
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self._set_view(self._view_start - steps * self._view_span * 0.1, self._view_span)
            return
        anchor = self.time_at(event.position().x())
        span = self._view_span * (0.8**steps)
        fraction = (anchor - self._view_start) / (self._view_span or 1.0)
        self._set_view(anchor - fraction * span, span)

    def _show_range_menu(self, at) -> None:
        start, end = self._range
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addAction(
            f"Find similar sounds to {format_time(start)}–{format_time(end)}",
            lambda: self.find_similar_requested.emit(start, end),
        )
        menu.addAction("Clear the selection", lambda: self.set_selected_range(None))
        menu.aboutToHide.connect(lambda: setattr(self, "range_menu", None))
        self.range_menu = menu
        menu.popup(at)

    def _seek_to_x(self, x: float) -> None:
        t = self.time_at(x)
        self.set_cursor(t)
        self.seek_requested.emit(t)

    def _move_edge(self, t: float) -> None:
        """Live-resize the dragged edge; a region never shrinks below MIN_REGION_SECONDS or flips."""
        drag = self._edge_drag
        region = self._regions[drag.region_index]
        original_start = region.original_start if region.original_start is not None else region.start
        original_end = region.original_end if region.original_end is not None else region.end
        if drag.edge == "start":
            region = replace(region, start=min(t, region.end - MIN_REGION_SECONDS))
        else:
            region = replace(region, end=max(t, region.start + MIN_REGION_SECONDS))
        edited = replace(region, original_start=original_start, original_end=original_end)
        self._regions[drag.region_index] = edited
        # A moved start can change the sort order: re-sort and follow the dragged region.
        self._regions.sort(key=lambda r: r.start)
        drag.region_index = next(i for i, r in enumerate(self._regions) if r is edited)
        self._reindex_regions()
        self.update()
