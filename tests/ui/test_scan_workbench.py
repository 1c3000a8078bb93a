"""ScanWorkbench wired into a window that offers the main window's public API (docs/ARCHITECTURE.md)."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QMainWindow

from core.db import ProcessedDB
from core.home import DataHome
from ui.scan_workbench import ScanWorkbench
from ui.timeline import Timeline


class StandInMainWindow(QMainWindow):
    """The slice of ui/main_window.MainWindow the workbench uses, recording what it is asked to do."""

    profile_changed = Signal(str)
    video_loaded = Signal(object)

    def __init__(self, db, home):
        super().__init__()
        self.db, self.home = db, home
        self._profile = "default"
        self.current_video: Path | None = None
        self.playlist: list[Path] = []
        self.timeline = Timeline()
        self.timeline.set_duration(120.0)
        self.setCentralWidget(self.timeline)
        self.menu_scan = self.menuBar().addMenu("&Scan")
        self.seeks: list[float] = []
        self.errors: list[str] = []
        self.tasks: list[str] = []

    @property
    def profile(self) -> str:
        return self._profile

    def set_profile(self, profile: str) -> None:
        self._profile = profile
        self.profile_changed.emit(profile)

    def load(self, path: Path) -> None:
        self.current_video = path
        self.video_loaded.emit(path)

    def playlist_paths(self) -> list[Path]:
        return list(self.playlist)

    def seek(self, seconds: float) -> None:
        self.seeks.append(seconds)

    def show_task(self, task, label: str) -> None:
        self.tasks.append(label)

    def show_error(self, message: str) -> None:
        self.errors.append(message)


@pytest.fixture
def db(tmp_path):
    return ProcessedDB(tmp_path / "foleycut.db")


@pytest.fixture
def window(qtbot, db, isolated_home):
    win = StandInMainWindow(db, DataHome.resolve(isolated_home))
    qtbot.addWidget(win)
    win.resize(1000, 600)
    win.show()
    return win


@pytest.fixture
def bench(window):
    return ScanWorkbench(window)


def menu_texts(window):
    return [a.text() for a in window.menu_scan.actions() if not a.isSeparator()]


def test_installs_dock_and_scan_menu(window, bench):
    assert window.dockWidgetArea(bench.dock) == Qt.RightDockWidgetArea
    assert bench.dock.isVisible()
    assert {"Train Classifier...", "Hard Negatives...", "Scan Current File", "Scan All Files", "Cancel Scan",
            "Roll Back to Chosen Version and Rescan"} <= set(menu_texts(window))
    # no classifier trained yet: scanning is offered only once one exists
    assert not bench.controls.btn_scan.isEnabled()
    assert not bench.act_scan_all.isEnabled()
    assert "train one" in bench.controls.lbl_status.text()


def test_loaded_video_shows_its_regions_on_the_timeline(window, bench, db):
    db.save_scan_results("film.mp4", "default", "MEL", [(10.0, 18.0, 0.9), (30.0, 38.0, 0.4)])
    window.load(Path("/videos/film.mp4"))
    assert bench.panel.current_model_name() == "MEL"
    assert [(r.start, r.end, r.score) for r in window.timeline.scan_regions()] == [(10.0, 18.0, 0.9),
                                                                                  (30.0, 38.0, 0.4)]
    window.set_profile("other")
    assert window.timeline.scan_regions() == []


def test_shift_drag_on_the_timeline_resizes_and_ctrl_z_undoes(qtbot, window, bench, db):
    db.save_scan_results("film.mp4", "default", "MEL", [(10.0, 18.0, 0.9)])
    window.load(Path("/videos/film.mp4"))
    timeline = window.timeline
    y = round(timeline._lane_rects()[1].center().y())  # the scan-region lane
    start, end = QPoint(round(timeline.x_at(18.0)), y), QPoint(round(timeline.x_at(30.0)), y)
    qtbot.mousePress(timeline, Qt.LeftButton, Qt.ShiftModifier, start)
    qtbot.mouseMove(timeline, end)
    qtbot.mouseRelease(timeline, Qt.LeftButton, Qt.ShiftModifier, end)
    row = db.get_scan_results("film.mp4", "default")["MEL"][0]
    assert row["end_time"] > 25.0
    region = window.timeline.scan_regions()[0]
    assert (region.original_start, region.original_end) == (10.0, 18.0)

    qtbot.keyClick(timeline, Qt.Key_Z, Qt.ControlModifier)  # focus is outside the dock
    assert db.get_scan_results("film.mp4", "default")["MEL"][0]["end_time"] == 18.0
    assert window.timeline.scan_regions()[0].end == 18.0


def test_picking_a_region_row_seeks_and_disabling_greys_it_on_the_timeline(qtbot, window, bench, db):
    db.save_scan_results("film.mp4", "default", "MEL", [(10.0, 18.0, 0.9), (40.0, 48.0, 0.8)])
    window.load(Path("/videos/film.mp4"))
    table = bench.panel._current_table()
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=table.visualItemRect(table.item(1, 2)).center())
    assert window.seeks[-1] == 40.0
    qtbot.keyClick(table, Qt.Key_Delete)
    assert [r.disabled for r in window.timeline.scan_regions()] == [False, True]


def test_scan_without_a_video_explains(window, bench):
    bench.scan_current()
    bench.scan_all()
    assert window.errors == ["No video is loaded: open one from the playlist, then scan.",
                             "The playlist is empty: add videos, then Scan All."]
