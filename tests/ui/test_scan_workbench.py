"""ScanWorkbench wired into a window that offers the main window's public API (docs/ARCHITECTURE.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QSettings, Qt, Signal
from PySide6.QtWidgets import QApplication, QMainWindow

from core.classifier_store import active_version, save_version
from core.db import ProcessedDB
from core.embedding_models import get_spec
from core.export import ExportSettings, export_marker
from core.home import DataHome
from core.training import TrainResult, fit_balanced
from tests.media_factory import make_video, tone_burst_track
from ui.changes import Changes
from ui.export_panel import ExportPanel
from ui.hard_negatives_dialog import HardNegativesDialog
from ui.main_window import MainWindow
from ui.playlist import Playlist
from ui.scan_results_panel import COL_EXPORTED
from ui.scan_workbench import ScanWorkbench
from ui.startup import ui_settings
from ui.timeline import Timeline
from ui.train_dialog import bold_count
from ui.wording import plural


class StandInMainWindow(QMainWindow):
    """The slice of ui/main_window.MainWindow the workbench uses, recording what it is asked to do."""

    profile_changed = Signal(str)
    video_loaded = Signal(object)

    def __init__(self, db, home):
        super().__init__()
        self.db, self.home = db, home
        self.settings = QSettings(str(home.root / "ui.ini"), QSettings.Format.IniFormat)
        self._profile = "default"
        self.current_video: Path | None = None
        self.playlist = Playlist(db)
        self.timeline = Timeline()
        self.timeline.set_duration(120.0)
        self.setCentralWidget(self.timeline)
        self.scan_menu = self.menuBar().addMenu("&Scan")
        self.edit_menu = self.menuBar().addMenu("&Edit")
        self.export_panel = ExportPanel()
        self.seeks: list[float] = []
        self.errors: list[str] = []
        self.messages: list[str] = []
        self.tasks: list[str] = []
        self.changes = Changes(self)
        self.clip_refreshes = 0
        self.changes.clips.connect(self._count_clip_refresh)

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
        return self.playlist.paths()

    def seek(self, seconds: float) -> None:
        self.seeks.append(seconds)

    def show_task(self, task, label: str) -> None:
        self.tasks.append(label)

    def show_error(self, message: str) -> None:
        self.errors.append(message)

    def show_message(self, message: str) -> None:
        self.messages.append(message)

    def _count_clip_refresh(self) -> None:
        self.clip_refreshes += 1


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
    return [a.text().replace("&", "") for a in window.scan_menu.actions() if not a.isSeparator()]


def test_installs_dock_and_scan_menu(window, bench):
    assert window.dockWidgetArea(bench.dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert bench.dock.isVisible()
    assert {
        "Train classifier…",
        "Hard negatives…",
        "Scan current file",
        "Scan all files",
        "Cancel scan",
        "Roll back to the chosen version and rescan",
    } <= set(menu_texts(window))
    # no classifier trained yet: scanning is offered only once one exists
    assert not bench.controls.scan_button.isEnabled()
    assert not bench.scan_all_action.isEnabled()
    assert "train one" in bench.controls.status_label.text()


def test_loaded_video_shows_its_regions_on_the_timeline(window, bench, db):
    db.save_scan_results("film.mp4", "default", "MEL", [(10.0, 18.0, 0.9), (30.0, 38.0, 0.4)])
    window.load(Path("/videos/film.mp4"))
    assert bench.panel.current_model_name() == "MEL"
    assert [(r.start, r.end, r.score) for r in window.timeline.scan_regions()] == [(10.0, 18.0, 0.9), (30.0, 38.0, 0.4)]
    window.set_profile("other")
    assert window.timeline.scan_regions() == []


def test_shift_drag_on_the_timeline_resizes_and_ctrl_z_undoes(qtbot, window, bench, db):
    db.save_scan_results("film.mp4", "default", "MEL", [(10.0, 18.0, 0.9)])
    window.load(Path("/videos/film.mp4"))
    timeline = window.timeline
    y = round(timeline._lane_rects()[1].center().y())  # the scan-region lane
    start, end = QPoint(round(timeline.x_at(18.0)), y), QPoint(round(timeline.x_at(30.0)), y)
    qtbot.mousePress(timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, start)
    qtbot.mouseMove(timeline, end)
    qtbot.mouseRelease(timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, end)
    row = db.get_scan_results("film.mp4", "default")["MEL"][0]
    assert row["end_time"] > 25.0
    region = window.timeline.scan_regions()[0]
    assert (region.original_start, region.original_end) == (10.0, 18.0)

    qtbot.keyClick(timeline, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # focus is outside the dock
    assert db.get_scan_results("film.mp4", "default")["MEL"][0]["end_time"] == 18.0
    assert window.timeline.scan_regions()[0].end == 18.0


def test_picking_a_region_row_seeks_and_disabling_greys_it_on_the_timeline(qtbot, window, bench, db):
    db.save_scan_results("film.mp4", "default", "MEL", [(10.0, 18.0, 0.9), (40.0, 48.0, 0.8)])
    window.load(Path("/videos/film.mp4"))
    table = bench.panel._current_table()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualItemRect(table.item(1, 2)).center())
    assert window.seeks[-1] == 40.0
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert [r.disabled for r in window.timeline.scan_regions()] == [False, True]


def test_export_estimate_follows_the_export_panel_clip_length(window, bench, db):
    db.save_scan_results("film.mp4", "default", "MEL", [(10.0, 30.0, 0.9)])
    window.load(Path("/videos/film.mp4"))
    bench.panel.spread_spin.setValue(4.0)
    assert bench.panel.export_button.text() == "Export Scan Results (4 clips)"  # 8 s clips: 10, 14, 18, 22
    window.export_panel.length_spin.setValue(16.0)
    assert bench.panel.export_button.text() == "Export Scan Results (2 clips)"


@pytest.mark.slow
def test_export_button_writes_scan_clips_in_the_background(qtbot, tmp_path, window, bench, db):
    video = make_video(tmp_path / "film.mp4", 20.0, size=(64, 48), fps=5)
    db.save_scan_results("film.mp4", "default", "MEL", [(2.0, 7.0, 0.9), (10.0, 10.5, 0.8), (14.0, 17.0, 0.7)])
    window.load(video)
    window.export_panel.folder_edit.setText(str(tmp_path / "out"))
    window.export_panel.name_edit.setText("door")
    window.export_panel.length_spin.setValue(2.0)
    bench.panel.spread_spin.setValue(2.5)
    bench.panel.min_length_spin.setValue(1.0)  # the 0.5 s region is left out
    assert bench.panel.export_button.text() == "Export Scan Results (3 clips)"

    qtbot.mouseClick(bench.panel.export_button, Qt.MouseButton.LeftButton)
    assert window.tasks == ["Exporting 2 scan region(s) of film.mp4"]
    qtbot.waitUntil(lambda: bench._export_task is None, timeout=30_000)
    assert window.errors == []
    names = sorted(p.name for p in (tmp_path / "out" / "vid_001").iterdir())
    assert names == ["door_001_a1_01.mp4", "door_001_a1_02.mp4", "door_001_a2_01.mp4"]
    assert all(clip["scan_export"] for clip in db.get_clips("film.mp4"))
    assert window.messages[-1].startswith("Exported 3 clip(s) from 2 scan region(s)")
    assert window.clip_refreshes == 1  # markers and playlist counts follow
    # Exporting again would write every clip a second time: those regions are marked and skipped now.
    table = bench.panel._current_table()
    assert [table.item(r, COL_EXPORTED).text() for r in range(3)] == ["✓", "", "✓"]
    assert bench.panel.export_button.text() == "Export Scan Results (0 new clips)"
    assert not bench.panel.export_button.isEnabled()
    qtbot.mouseClick(bench.panel.reexport_check, Qt.MouseButton.LeftButton)
    assert bench.panel.export_button.text() == "Export Scan Results (3 clips)" and bench.panel.export_button.isEnabled()


def test_scan_without_a_video_explains(window, bench):
    bench.scan_current()
    bench.scan_all()
    assert window.errors == [
        "No video is loaded: open one from the playlist, then scan.",
        "The playlist is empty: add videos, then Scan All.",
    ]


# --- scanning with a real (tiny) classifier -------------------------------------------------------


def save_random_classifier(home, name="doors", seed=0, threshold=0.5):
    """A MEL classifier fitted on random features: scanning needs one, not a good one."""
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((60, get_spec("MEL").dim)).astype(np.float32)
    labels = (np.arange(60) % 3 == 0).astype(np.int8)
    return save_version(
        home,
        name,
        fit_balanced(features, labels),
        embedding_model="MEL",
        window=8.0,
        hop=1.0,
        folders={},
        counts={},
        metrics={"precision": 0.9, "recall": 0.8},
        threshold=threshold,
    )


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("media")
    return [make_video(folder / f"{name}.mp4", 20.0, size=(64, 48), fps=5) for name in ("one", "two")]


def ready_to_scan(window, bench, versions=1):
    """Classifier versions saved and listed; a threshold low enough that the random one finds regions."""
    saved = [save_random_classifier(window.home, seed=seed) for seed in range(versions)]
    bench.controls.refresh_classifiers()
    bench.controls.threshold_spin.setValue(0.01)
    return saved


def wait_idle(qtbot, bench):
    qtbot.waitUntil(lambda: bench._task is None, timeout=60_000)


@pytest.mark.slow
def test_lists_classifiers_with_versions(window, bench):
    save_random_classifier(window.home)
    second = save_random_classifier(window.home, seed=1)
    bench.controls.refresh_classifiers()
    assert bench.controls.classifier_combo.currentText() == "doors (MEL)"
    assert bench.controls.version_combo.count() == 2
    assert bench.controls.version() == second.version
    assert bench.controls.version_combo.currentText().endswith("P 0.90 R 0.80 (active)")
    assert bench.controls.scan_button.isEnabled() and bench.scan_all_action.isEnabled()


@pytest.mark.slow
def test_scan_current_file_in_background_shows_results(qtbot, window, bench, db, videos):
    ready_to_scan(window, bench)
    window.load(videos[0])
    qtbot.mouseClick(bench.controls.scan_button, Qt.MouseButton.LeftButton)
    assert bench.controls.cancel_button.isVisible()
    assert window.tasks == ["Scanning one.mp4"]
    wait_idle(qtbot, bench)
    assert bench.panel.current_model_name() == "MEL"
    assert bench.panel.current_regions()
    assert window.timeline.scan_regions()
    found = plural(len(bench.panel.current_regions()), "region")
    assert bench.controls.status_label.text() == f"Scanned with doors: {found} found."
    assert window.messages[-1] == f"Scanned with doors: {found} found."
    assert f"one.mp4: {found} found." in window.messages
    assert not bench.controls.cancel_button.isVisible()

    # The same classifier and threshold find the same regions: no second, identical version.
    qtbot.mouseClick(bench.controls.scan_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, bench)
    assert len(db.get_scan_versions("one.mp4", "default", "MEL")) == 1
    assert (
        bench.controls.status_label.text()
        == f"Scanned with doors: {found} found; the same as the latest scan, so not stored again."
    )
    assert not bench.panel._tab(0).history_row.isVisible()


@pytest.mark.slow
def test_the_score_curve_and_dragging_the_threshold_line_refuse_and_store_a_version(qtbot, window, bench, db, videos):
    save_random_classifier(window.home, threshold=0.5)
    bench.controls.refresh_classifiers()
    window.load(videos[0])
    qtbot.mouseClick(bench.controls.scan_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, bench)
    timeline = window.timeline
    scores = bench._current_scores()
    assert len(timeline._scores) == len(scores.probabilities) > 0 and timeline.threshold() == 0.5

    # drag the line down to a lower threshold: regions follow at once, letting go stores them
    low = min(float(np.quantile(scores.probabilities, 0.2)), 0.3)
    _, lane = timeline._lane_rects()
    start = QPoint(300, round(timeline._score_y(0.5, lane)))
    end = QPoint(300, round(timeline._score_y(low, lane)))
    qtbot.mousePress(timeline, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(timeline, end)
    dragged = timeline.threshold()
    assert bench.controls.threshold() == dragged < 0.5
    expected = scores.regions(dragged)
    assert [(r.start, r.end) for r in timeline.scan_regions()] == [(r.start, r.end) for r in expected]
    qtbot.mouseRelease(timeline, Qt.MouseButton.LeftButton, pos=end)
    versions = db.get_scan_versions("one.mp4", "default", "MEL")
    assert versions[0]["threshold"] == dragged and len(versions) == 2
    assert [(r.start, r.end) for r in bench.panel.current_regions()] == [(r.start, r.end) for r in expected]
    assert window.seeks == []  # grabbing the line never seeks

    # back to the trained threshold with one click
    qtbot.mouseClick(bench.controls.trained_threshold_button, Qt.MouseButton.LeftButton)
    assert bench.controls.threshold() == 0.5 and timeline.threshold() == 0.5


@pytest.mark.slow
def test_a_scanned_videos_curve_comes_back_from_the_cache(qtbot, window, bench, videos):
    save_random_classifier(window.home)
    bench.controls.refresh_classifiers()
    window.load(videos[0])
    qtbot.mouseClick(bench.controls.scan_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, bench)
    window.load(videos[1])
    assert len(window.timeline._scores) == 0  # never embedded: no curve, nothing computed
    bench._scores.clear()
    window.load(videos[0])
    qtbot.waitUntil(lambda: len(window.timeline._scores) > 0, timeout=20_000)


@pytest.mark.slow
def test_scan_all_saves_every_file_and_reports_skipped_ones(qtbot, tmp_path, window, bench, db, videos):
    ready_to_scan(window, bench)
    silent = make_video(tmp_path / "silent.mp4", 2.0, audio=None, size=(64, 48), fps=5)
    window.playlist.add_paths([videos[0], silent, videos[1]])
    shown: list[tuple[str, float]] = []
    window.playlist.set_progress = lambda path, fraction: shown.append((path.name, fraction))
    window.load(videos[1])
    landed = []
    bench._relay.file_done.connect(lambda video, outcome, error: landed.append(video.name))
    bench.scan_all_action.trigger()
    wait_idle(qtbot, bench)
    assert landed == ["one.mp4", "silent.mp4", "two.mp4"]
    assert db.get_scan_versions("one.mp4", "default", "MEL") and db.get_scan_versions("two.mp4", "default", "MEL")
    assert bench.panel.filename == "two.mp4" and bench.panel.tabs.count() == 1
    status = bench.controls.status_label.text()
    assert "Scanned 2 of 3 videos" in status and "Skipped: silent.mp4 has no audio" in status
    assert status.count("silent.mp4") == 1
    bars = [(name, fraction) for name, fraction in shown if fraction is not None]
    assert {name for name, _ in bars} <= {"one.mp4", "silent.mp4", "two.mp4"} and "two.mp4" in dict(bars)
    assert all(0.0 <= fraction <= 1.0 for _, fraction in bars)
    assert shown[-3:] == [("one.mp4", None), ("silent.mp4", None), ("two.mp4", None)]  # cleared at the end


@pytest.mark.slow
def test_cancel_stops_scan_all(qtbot, window, bench, videos):
    ready_to_scan(window, bench)
    window.playlist.add_paths(list(videos))
    window.playlist_paths = lambda: list(videos) * 5
    qtbot.mouseClick(bench.controls.scan_all_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bench.controls.cancel_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, bench)
    assert bench.controls.status_label.text() == "Scan cancelled; finished files are kept."


@pytest.mark.slow
def test_rollback_makes_the_chosen_version_active_and_rescans(qtbot, window, bench, db, videos):
    first, _second = ready_to_scan(window, bench, versions=2)
    window.load(videos[0])
    bench.controls.version_combo.setCurrentIndex(bench.controls.version_combo.findData(first.version))
    bench.rollback_action.trigger()
    assert active_version(window.home, "doors") == first.version
    assert bench.controls.version() == first.version
    assert bench.controls.version_combo.currentText().endswith("(active)")
    wait_idle(qtbot, bench)
    assert len(db.get_scan_versions("one.mp4", "default", "MEL")) == 1


@pytest.mark.slow
def test_train_dialog_from_the_menu_and_new_classifier_listed(qtbot, window, bench):
    bench.train_action.trigger()
    assert bench.train_dialog.isVisible()
    saved = save_random_classifier(window.home, name="glass")
    bench.train_dialog.trained.emit(TrainResult("glass", saved.version, saved.metrics, {}))
    assert bench.controls.classifier_name() == "glass"


def test_clicking_a_region_on_the_timeline_selects_its_row(qtbot, window, bench, db):
    db.save_scan_results("film.mp4", "default", "MEL", [(10.0, 18.0, 0.9), (40.0, 48.0, 0.8)])
    window.load(Path("/videos/film.mp4"))
    timeline = window.timeline
    y = round(timeline._lane_rects()[1].center().y())
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(round(timeline.x_at(44.0)), y))
    assert bench.panel._current_tab().selected_rows() == [1]
    assert window.seeks == []  # selecting the row does not jump back to the region's start


def test_unloading_the_video_clears_the_panel(window, bench, db):
    db.save_scan_results("film.mp4", "default", "MEL", [(10.0, 18.0, 0.9)])
    window.load(Path("/videos/film.mp4"))
    window.load(None)
    assert bench.panel.tabs.count() == 0
    assert window.timeline.scan_regions() == []


# --- the whole loop ----------------------------------------------------------------------------------


def train_through_dialog(qtbot, bench):
    bench.train_action.trigger()
    dialog = bench.train_dialog
    qtbot.waitUntil(lambda: not dialog._stats_timer.isActive())
    qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_training(), timeout=120_000)
    assert "Cross-validated" in dialog.result_label.text(), dialog.result_label.text()
    assert dialog.plot.isVisible() and dialog.plot.curve()
    return dialog


@pytest.mark.slow
def test_export_train_scan_review_negatives_retrain_compare(qtbot, tmp_path, window, bench, db):
    events = [6.0, 22.0, 38.0, 70.0, 100.0]
    video = make_video(tmp_path / "film.mp4", 120.0, audio=tone_burst_track(120.0, events), size=(64, 48), fps=5)
    settings = ExportSettings(name="door", export_folder=tmp_path / "mp4_Door", length=8.0)
    for event in events[:3]:  # the user cut three; the scan should find the other two
        export_marker(db, video, event - 3.0, settings)
    window.playlist.add_paths([video])
    window.load(video)

    dialog = train_through_dialog(qtbot, bench)
    assert dialog.positive_combo.currentText() == "mp4_Door"
    assert bench.controls.classifier_name() == "mp4_Door"

    qtbot.mouseClick(bench.controls.scan_all_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, bench)
    qtbot.waitUntil(lambda: bool(bench.panel.current_regions()), timeout=10_000)  # results land queued
    found = bench.panel.current_regions()
    assert any(r.start <= 70.3 and r.end >= 70.3 for r in found), (found, bench.controls.status_label.text())
    assert window.timeline.scan_regions()

    # a false positive: mark it, its windows become hard negatives of the MEL model
    table = bench.panel._current_table()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualItemRect(table.item(0, 2)).center())
    qtbot.mouseClick(bench.panel.negative_button, Qt.MouseButton.LeftButton)
    negatives = db.get_hard_negatives("default")
    assert negatives and {n["source_model"] for n in negatives} == {"MEL"}

    dialog = train_through_dialog(qtbot, bench)
    assert bold_count(len(negatives), "hard negative") in dialog.stats_label.text()
    assert bench.controls.version_combo.count() == 2
    qtbot.mouseClick(bench.controls.scan_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, bench)

    combo = bench.panel._current_tab().version_combo
    assert combo.isVisible() and combo.count() == 2
    combo.setCurrentIndex(1)  # compare with the first scan
    assert [r.id for r in bench.panel.current_regions()] == [r.id for r in found]


# --- in the real main window ---------------------------------------------------------------------


@pytest.mark.slow
def test_in_the_main_window_keys_reach_the_scan_panel(qtbot, tmp_path, isolated_home):
    home = DataHome.resolve(isolated_home)
    db = ProcessedDB(home.db_path)
    video = make_video(tmp_path / "film.mp4", 30.0, size=(64, 48), fps=5)
    db.save_scan_results("film.mp4", "default", "MEL", [(2.0, 10.0, 0.9), (12.0, 20.0, 0.7)])
    window = MainWindow(home, db, ui_settings(home))
    qtbot.addWidget(window)
    bench = ScanWorkbench(window)
    window.show()
    window.add_to_playlist([video])
    with qtbot.waitActive(window):  # loading the video took activation away (offscreen platform)
        window.activateWindow()
    assert bench.panel.filename == "film.mp4"
    assert len(window.timeline.scan_regions()) == 2
    assert bench.dock.isVisible() and "Scan current file" in menu_texts(window)

    table = bench.panel._current_table()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualItemRect(table.item(1, 2)).center())
    assert QApplication.focusWidget() is table
    qtbot.keyClick(table, Qt.Key.Key_Delete)  # not taken by the window's single-key shortcuts
    assert [r.disabled for r in window.timeline.scan_regions()] == [False, True]
    bench.panel.resize_region(bench.panel.current_regions()[0].id, 3.0, 9.0)  # as a Shift+drag does
    qtbot.keyClick(window.timeline, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.timeline, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [(r.start, r.disabled) for r in window.timeline.scan_regions()] == [(2.0, False), (12.0, False)]
    window.close()
    db.close()


@pytest.mark.slow
def test_choices_are_remembered_and_the_threshold_follows_the_classifier(qtbot, db, window, bench):
    save_random_classifier(window.home, name="doors", threshold=0.35)
    save_random_classifier(window.home, name="glass", threshold=0.62)
    bench.controls.refresh_classifiers(select="glass")
    assert bench.controls.threshold() == 0.62
    bench.controls.threshold_spin.setValue(0.7)
    bench.panel.spread_spin.setValue(2.5)
    bench.panel.min_length_spin.setValue(3.0)

    again = StandInMainWindow(db, window.home)
    qtbot.addWidget(again)
    restored = ScanWorkbench(again)
    assert restored.controls.threshold() == 0.62  # the version's own operating point, not the last edit
    assert restored.controls.classifier_name() == "glass"
    restored.controls.classifier_combo.setCurrentIndex(restored.controls.classifier_combo.findData("doors"))
    assert restored.controls.threshold() == 0.35
    assert (restored.panel.spread_spin.value(), restored.panel.min_length_spin.value()) == (2.5, 3.0)


def test_hard_negatives_from_the_menu(qtbot, window, bench, db):
    db.add_hard_negatives("film.mp4", "default", [3.0], source_model="MEL")
    bench.negatives_action.trigger()
    dialog = window.findChild(HardNegativesDialog)
    assert dialog.isVisible() and dialog.table.rowCount() == 1
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
