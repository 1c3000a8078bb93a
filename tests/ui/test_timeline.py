"""Timeline mouse behaviour through real mouse events: seek, Shift+drag resize, marker actions, painting."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from ui.timeline import Timeline, TimelineMarker, TimelineRegion, _column_levels, _span_rects, format_time

SHIFT = Qt.KeyboardModifier.ShiftModifier
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def timeline(qtbot):
    widget = Timeline()
    qtbot.addWidget(widget)
    widget.resize(1016, 80)  # track is 1000 px wide: 1 px = 0.1 s over 100 s
    widget.set_duration(100.0)
    widget.set_scan_regions([TimelineRegion(7, 40.0, 50.0, 0.9)])
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def point(timeline, seconds, y=60):
    return QPoint(round(timeline.x_at(seconds)), y)


def test_click_seeks_and_moves_cursor(qtbot, timeline):
    with qtbot.waitSignal(timeline.seek_requested) as sought:
        qtbot.mouseClick(timeline, LEFT, pos=point(timeline, 25.0))
    assert sought.args[0] == pytest.approx(25.0, abs=0.1)
    assert timeline.cursor() == pytest.approx(25.0, abs=0.1)


def test_plain_drag_from_region_edge_seeks_and_never_edits(qtbot, timeline):
    resized = []
    timeline.region_resized.connect(lambda *args: resized.append(args))
    qtbot.mousePress(timeline, LEFT, pos=point(timeline, 50.0))
    qtbot.mouseMove(timeline, point(timeline, 60.0))
    qtbot.mouseRelease(timeline, LEFT, pos=point(timeline, 60.0))
    region = timeline.scan_regions()[0]
    assert (region.start, region.end) == (40.0, 50.0)
    assert resized == []
    assert timeline.cursor() == pytest.approx(60.0, abs=0.1)


def test_shift_drag_resizes_edge_once_and_keeps_ghost_of_original(qtbot, timeline):
    resized = []
    timeline.region_resized.connect(lambda *args: resized.append(args))
    qtbot.mousePress(timeline, LEFT, SHIFT, point(timeline, 50.0))
    qtbot.mouseMove(timeline, point(timeline, 47.0))
    qtbot.mouseMove(timeline, point(timeline, 45.0))
    qtbot.mouseRelease(timeline, LEFT, SHIFT, point(timeline, 45.0))
    assert len(resized) == 1
    region_id, start, end = resized[0]
    assert region_id == 7 and start == 40.0 and end == pytest.approx(45.0, abs=0.1)
    region = timeline.scan_regions()[0]
    assert (region.original_start, region.original_end) == (40.0, 50.0)
    assert timeline.cursor() == 0.0  # a resize is not a seek


def test_shift_drag_start_edge_cannot_cross_the_end(qtbot, timeline):
    qtbot.mousePress(timeline, LEFT, SHIFT, point(timeline, 40.0))
    qtbot.mouseMove(timeline, point(timeline, 70.0))
    qtbot.mouseRelease(timeline, LEFT, SHIFT, point(timeline, 70.0))
    region = timeline.scan_regions()[0]
    assert region.start < region.end == 50.0


def test_double_click_and_right_click_on_marker(qtbot, timeline):
    marker = TimelineMarker(20.0, "mp4_Door", 3)
    timeline.set_markers([marker])
    with qtbot.waitSignal(timeline.marker_overwrite_requested) as overwrite:
        qtbot.mouseDClick(timeline, LEFT, pos=point(timeline, 20.0, y=28))
    assert overwrite.args == [20.0, "mp4_Door"]
    with qtbot.waitSignal(timeline.marker_delete_requested) as delete:
        qtbot.mouseClick(timeline, Qt.MouseButton.RightButton, pos=point(timeline, 20.0, y=28))
    assert delete.args == [20.0, "mp4_Door"]


def test_tooltips_name_the_item_and_its_gestures(timeline):
    timeline.set_markers([TimelineMarker(20.0, "mp4_Door", 2)])
    assert "2 clip(s) in mp4_Door" in timeline.tooltip_at(timeline.x_at(20.0))
    assert "score 0.90" in timeline.tooltip_at(timeline.x_at(45.0))
    assert "Shift+drag" in timeline.tooltip_at(timeline.x_at(45.0))
    assert timeline.tooltip_at(timeline.x_at(80.0)) == ""


def test_review_mode_hides_markers_from_hits(qtbot, timeline):
    timeline.set_markers([TimelineMarker(20.0, "mp4_Door")])
    timeline.set_review_mode(True)
    assert timeline.marker_at(timeline.x_at(20.0)) is None


def test_wheel_zoom_keeps_point_under_pointer(qtbot, timeline):
    anchor = timeline.x_at(30.0)
    QApplication.sendEvent(timeline, _wheel(anchor, 240))
    assert timeline.time_at(anchor) == pytest.approx(30.0, abs=0.2)
    assert timeline.x_at(40.0) - timeline.x_at(30.0) > 100
    timeline.zoom_to_fit()
    assert timeline.x_at(40.0) - timeline.x_at(30.0) == pytest.approx(100)


def test_paints_many_items_and_ghosts(qtbot, timeline):
    timeline.set_markers([TimelineMarker(i * 0.01, "f") for i in range(10_000)])
    timeline.set_scan_regions(
        [
            TimelineRegion(
                i, i * 0.02, i * 0.02 + 0.5, (i % 10) / 10, disabled=i % 7 == 0, original_start=i * 0.02 - 0.1
            )
            for i in range(5_000)
        ]
    )
    timeline.set_export_highlight([10.0, 11.0, 12.0], 8.0)
    image = timeline.grab().toImage()
    assert not image.isNull()


def test_format_time():
    assert format_time(12.345) == "0:12.35"
    assert format_time(3723.5) == "1:02:03.50"
    assert format_time(65, precise=False) == "1:05"


def _wheel(x, delta):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent

    pos = QPointF(x, 40)
    return QWheelEvent(
        pos,
        pos,
        QPoint(0, 0),
        QPoint(0, delta),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )


@given(st.lists(st.tuples(st.integers(-20, 120), st.integers(1, 60), st.integers(1, 18)), max_size=40))
def test_column_levels_show_the_best_region_covering_each_pixel(spans):
    width = 100
    x0 = np.array([a for a, _, _ in spans], dtype=np.int64)
    x1 = x0 + np.array([w for _, w, _ in spans], dtype=np.int64)
    levels = np.array([level for _, _, level in spans], dtype=np.int64)
    expected = [max((lv for a, b, lv in zip(x0, x1, levels) if a <= column < b), default=0) for column in range(width)]
    assert _column_levels(x0, x1, levels, width).tolist() == expected


def test_span_rects_merge_overlapping_and_touching_spans():
    rects = _span_rects(np.array([5, 0, 2, 10]), np.array([7, 3, 5, 11]), 0.0, 4.0)
    assert [(r.left(), r.right()) for r in rects] == [(0, 7), (10, 11)]


# --- the score curve and the threshold line ---------------------------------------------------------


def threshold_point(timeline, threshold, seconds=20.0):
    _, lane = timeline._lane_rects()
    return QPoint(round(timeline.x_at(seconds)), round(timeline._score_y(threshold, lane)))


def test_dragging_the_threshold_line_reports_thresholds_and_does_not_seek(qtbot, timeline):
    timeline.set_scores(np.arange(0, 99, 0.5), np.linspace(0, 1, 198), 1.0)
    timeline.set_threshold(0.5)
    dragged, chosen, sought = [], [], []
    timeline.threshold_dragged.connect(dragged.append)
    timeline.threshold_chosen.connect(chosen.append)
    timeline.seek_requested.connect(sought.append)
    qtbot.mousePress(timeline, LEFT, pos=threshold_point(timeline, 0.5))
    qtbot.mouseMove(timeline, threshold_point(timeline, 0.8))
    qtbot.mouseRelease(timeline, LEFT, pos=threshold_point(timeline, 0.8))
    assert dragged and dragged[-1] == pytest.approx(0.8, abs=0.05)
    assert chosen == [timeline.threshold()] and timeline.threshold() == dragged[-1]
    assert sought == []


def test_a_click_away_from_the_threshold_line_still_seeks(qtbot, timeline):
    timeline.set_threshold(0.5)
    with qtbot.waitSignal(timeline.seek_requested):
        qtbot.mouseClick(timeline, LEFT, pos=threshold_point(timeline, 0.9, seconds=30.0))


def test_no_threshold_no_line_to_grab(qtbot, timeline):
    with qtbot.waitSignal(timeline.seek_requested):
        qtbot.mouseClick(timeline, LEFT, pos=threshold_point(timeline, 0.5))


def test_curve_paints_with_many_windows(qtbot, timeline):
    timeline.set_scores(np.arange(0, 99, 0.25), np.random.default_rng(0).random(396), 1.0)
    timeline.set_threshold(0.3)
    image = timeline.grab().toImage()
    assert not image.isNull()
    timeline.set_scores([], [], 0.0)
    assert len(timeline._scores) == 0


def test_shift_drag_on_bare_track_selects_a_range_without_seeking_or_resizing(qtbot, timeline):
    sought, resized = [], []
    timeline.seek_requested.connect(sought.append)
    timeline.region_resized.connect(lambda *args: resized.append(args))
    with qtbot.waitSignal(timeline.range_changed):
        qtbot.mousePress(timeline, LEFT, SHIFT, point(timeline, 20.0))
        qtbot.mouseMove(timeline, point(timeline, 26.0))
        qtbot.mouseMove(timeline, point(timeline, 24.0))
        qtbot.mouseRelease(timeline, LEFT, SHIFT, point(timeline, 24.0))
    start, end = timeline.selected_range()
    assert start == pytest.approx(20.0, abs=0.1) and end == pytest.approx(24.0, abs=0.1)
    assert sought == [] and resized == [] and timeline.cursor() == 0.0
    assert "Right-click: find similar" in timeline.tooltip_at(timeline.x_at(22.0))
    image = timeline.grab().toImage()
    inside, outside = image.pixelColor(point(timeline, 22.0, y=30)), image.pixelColor(point(timeline, 30.0, y=30))
    assert inside != outside  # the range is painted

    qtbot.mousePress(timeline, LEFT, SHIFT, point(timeline, 30.0))  # dragged backwards: the same range kind
    qtbot.mouseMove(timeline, point(timeline, 28.0))
    qtbot.mouseRelease(timeline, LEFT, SHIFT, point(timeline, 28.0))
    assert timeline.selected_range() == pytest.approx((28.0, 30.0), abs=0.1)


def test_a_click_or_shift_click_clears_the_range_and_seeks(qtbot, timeline):
    timeline.set_selected_range((20.0, 24.0))
    with qtbot.waitSignal(timeline.seek_requested):
        qtbot.mouseClick(timeline, LEFT, SHIFT, point(timeline, 60.0))  # no drag: a seek, as before
    assert timeline.selected_range() is None and timeline.cursor() == pytest.approx(60.0, abs=0.1)
    timeline.set_selected_range((20.0, 24.0))
    qtbot.mouseClick(timeline, LEFT, pos=point(timeline, 22.0))
    assert timeline.selected_range() is None and timeline.cursor() == pytest.approx(22.0, abs=0.1)


def test_right_click_in_the_range_offers_find_similar(qtbot, timeline):
    timeline.set_selected_range((20.0, 24.0))
    qtbot.mouseClick(timeline, Qt.MouseButton.RightButton, pos=point(timeline, 70.0))  # outside: no menu
    assert timeline.range_menu is None
    qtbot.mouseClick(timeline, Qt.MouseButton.RightButton, pos=point(timeline, 22.0))
    menu = timeline.range_menu
    assert menu is not None and menu.isVisible()
    find = menu.actions()[0]
    assert "Find similar sounds" in find.text()
    with qtbot.waitSignal(timeline.find_similar_requested) as requested:
        qtbot.mouseClick(menu, LEFT, pos=menu.actionGeometry(find).center())
    assert requested.args == [pytest.approx(20.0), pytest.approx(24.0)]
    assert timeline.selected_range() == (20.0, 24.0)  # kept: the user may search again with another model


def test_a_range_does_not_get_in_the_way_of_the_threshold_line(qtbot, timeline):
    timeline.set_scores(np.arange(0, 99, 0.5), np.linspace(0, 1, 198), 1.0)
    timeline.set_threshold(0.5)
    timeline.set_selected_range((20.0, 40.0))
    chosen = []
    timeline.threshold_chosen.connect(chosen.append)
    qtbot.mousePress(timeline, LEFT, pos=threshold_point(timeline, 0.5, seconds=30.0))
    qtbot.mouseMove(timeline, threshold_point(timeline, 0.8, seconds=30.0))
    qtbot.mouseRelease(timeline, LEFT, pos=threshold_point(timeline, 0.8, seconds=30.0))
    assert chosen and chosen[-1] == pytest.approx(0.8, abs=0.05)
    assert timeline.selected_range() == (20.0, 40.0)
