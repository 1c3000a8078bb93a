"""The scan dock's Scan All skip ("Rescan scanned files"), fuse gap and Auto button, with real clicks."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from tests.ui.test_scan_workbench import (
    bench,
    ready_to_scan,
    videos,
    wait_idle,
    window,
)


def tick(qtbot, checkbox):
    qtbot.mouseClick(checkbox, Qt.MouseButton.LeftButton, pos=QPoint(6, checkbox.height() // 2))


@pytest.mark.slow
def test_a_second_scan_all_skips_and_rescan_forces(qtbot, window, bench, db, videos):
    ready_to_scan(window, bench)
    window.playlist.add_paths(list(videos))
    qtbot.mouseClick(bench.controls.scan_all_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, bench)
    assert "Scanned 2 of 2 videos" in bench.controls.status_label.text()
    first = len(db.get_scan_versions("one.mp4", "default", "MEL"))

    qtbot.mouseClick(bench.controls.scan_all_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, bench)
    status = bench.controls.status_label.text()
    assert "Scanned 0 of 2 videos" in status and "2 videos already scanned with these settings" in status
    assert "one.mp4: already scanned with these settings, skipped." in window.messages

    tick(qtbot, bench.controls.force_check)
    assert bench.controls.force_check.isChecked()
    qtbot.mouseClick(bench.controls.scan_all_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, bench)
    assert "Scanned 2 of 2 videos" in bench.controls.status_label.text()
    assert len(db.get_scan_versions("one.mp4", "default", "MEL")) == first  # same regions: not stored twice


@pytest.mark.slow
def test_auto_scans_merges_and_exports_the_playlist(qtbot, tmp_path, window, bench, db, videos):
    ready_to_scan(window, bench)
    window.playlist.add_paths(list(videos))
    window.export_panel.folder_edit.setText(str(tmp_path / "out"))
    window.export_panel.name_edit.setText("door")
    window.export_panel.length_spin.setValue(2.0)
    spin = bench.controls.merge_gap_spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "3")
    qtbot.keyClick(spin, Qt.Key.Key_Enter)
    assert spin.value() == 3.0
    assert window.settings.value("scan/merge_gap", type=float) == 3.0

    qtbot.mouseClick(bench.controls.auto_button, Qt.MouseButton.LeftButton)
    assert window.tasks[-1] == "Auto: scanning and exporting 2 videos"
    wait_idle(qtbot, bench)
    assert window.errors == []
    status = bench.controls.status_label.text()
    assert status.startswith("Auto with doors: ") and "exported from" in status
    written = sorted(p.name for p in (tmp_path / "out").rglob("*.mp4"))
    assert written and all(name.startswith("door_") for name in written)
    assert window.clip_refreshes == 1

    qtbot.mouseClick(bench.controls.auto_button, Qt.MouseButton.LeftButton)  # again: nothing scanned or written twice
    wait_idle(qtbot, bench)
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.mp4")) == written
    assert "0 clips exported" in bench.controls.status_label.text()
    assert "2 videos already scanned" in bench.controls.status_label.text()


@pytest.mark.slow
def test_auto_with_an_empty_playlist_explains(qtbot, window, bench):
    ready_to_scan(window, bench)
    qtbot.mouseClick(bench.controls.auto_button, Qt.MouseButton.LeftButton)
    assert window.errors == ["The playlist is empty: add videos, then run Auto."]


@pytest.mark.slow
def test_n_in_the_results_table_opens_the_next_file(qtbot, tmp_path, isolated_home):
    from core.db import ProcessedDB
    from core.home import DataHome
    from tests.media_factory import make_video
    from ui.main_window import MainWindow
    from ui.scan_workbench import ScanWorkbench
    from ui.startup import ui_settings

    home = DataHome.resolve(isolated_home)
    db = ProcessedDB(home.db_path)
    first, second = (make_video(tmp_path / f"{name}.mp4", 10.0, size=(64, 48), fps=5) for name in ("a", "b"))
    db.save_scan_results("a.mp4", "default", "MEL", [(2.0, 4.0, 0.9)], source_path=first)
    window = MainWindow(home, db, ui_settings(home))
    qtbot.addWidget(window)
    bench = ScanWorkbench(window)
    window.show()
    window.add_to_playlist([first, second])
    with qtbot.waitActive(window):
        window.activateWindow()
    assert bench.panel.filename == "a.mp4"
    table = bench.panel._current_table()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualItemRect(table.item(0, 2)).center())
    qtbot.keyClick(table, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: bench.panel.filename == "b.mp4", timeout=10_000)
    window.close()
    db.close()


@pytest.mark.slow
def test_mark_speech_draws_the_strip_and_leave_speech_out_reaches_the_scan(qtbot, monkeypatch, window, bench, videos):
    from core.speech import SpeechSegment
    from ui import scan_workbench

    monkeypatch.setattr(
        scan_workbench, "detect_speech", lambda video, home, progress=None, cancel=None: [SpeechSegment(2.0, 5.0, 0.9)]
    )
    window.load(videos[0])
    assert window.timeline.speech() == []
    tick(qtbot, bench.controls.show_speech_check)
    qtbot.waitUntil(lambda: window.timeline.speech() == [(2.0, 5.0)], timeout=10_000)
    assert window.settings.value("scan/show_speech", type=bool)
    tick(qtbot, bench.controls.show_speech_check)
    assert window.timeline.speech() == []

    asked = []
    monkeypatch.setattr(
        scan_workbench,
        "scan_file",
        lambda *args, **kwargs: (
            asked.append(args[4].skip_speech) or (_ for _ in ()).throw(scan_workbench.FoleycutError("stop here"))
        ),
    )
    ready_to_scan(window, bench)
    tick(qtbot, bench.controls.skip_speech_check)
    qtbot.mouseClick(bench.controls.scan_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, bench)
    assert asked == [True]
