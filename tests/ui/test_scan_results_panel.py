"""ScanResultsPanel: model tabs, scan history versions, undoable edits, hard negatives, export estimate."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLabel

from core.db import ProcessedDB
from ui.scan_results_panel import COL_END, COL_EXPORTED, COL_START, ScanResultsPanel, parse_time, version_label

FILE = "film.mp4"


@pytest.fixture
def db(tmp_path):
    db = ProcessedDB(tmp_path / "foleycut.db")
    db.save_scan_results(FILE, "default", "MEL", [(10.0, 18.0, 0.9), (40.0, 52.0, 0.7), (90.0, 98.0, 0.6)])
    db.save_scan_results(FILE, "default", "MEL", [(10.0, 19.0, 0.95), (70.0, 80.0, 0.8)])
    db.save_scan_results(FILE, "default", "HUBERT_BASE", [(12.0, 20.0, 0.66)])
    return db


@pytest.fixture
def panel(qtbot, db):
    widget = ScanResultsPanel(db, "default")
    qtbot.addWidget(widget)
    widget.resize(420, 520)
    widget.show()
    widget.load_for_file(FILE, "/videos/film.mp4")
    widget.tabs.setCurrentIndex(widget._tab_index("MEL"))
    return widget


def latest_mel_rows(db):
    return sorted(db.get_scan_results(FILE, "default")["MEL"], key=lambda row: row["start_time"])


def click_row(qtbot, table, row, modifier=Qt.KeyboardModifier.NoModifier):
    rect = table.visualItemRect(table.item(row, 2))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def tab_titles(panel):
    return [panel.tabs.tabText(i) for i in range(panel.tabs.count())]


def test_one_tab_per_model_titled_with_its_region_count(panel):
    assert tab_titles(panel) == ["HUBERT_BASE (1)", "MEL (2)"]
    assert panel.current_model_name() == "MEL"
    table = panel._current_table()
    assert [table.horizontalHeaderItem(c).text() for c in range(3)] == ["Start", "End", "Score"]
    assert [table.item(r, 2).text() for r in range(table.rowCount())] == ["0.95", "0.80"]
    assert panel._tab_table(panel._tab_index("HUBERT_BASE")).rowCount() == 1


def test_version_combo_hidden_with_a_single_version(panel):
    assert not panel._tab(panel._tab_index("HUBERT_BASE")).version_combo.isVisible()
    combo = panel._tab(panel._tab_index("MEL")).version_combo
    assert combo.isVisible()
    assert combo.count() == 2
    assert combo.itemText(0).endswith("(2 regions, best: 0.95)")
    assert combo.itemText(1).endswith("(3 regions, best: 0.90)")


def test_version_labels_read_timestamps_and_survive_odd_ones():
    assert (
        version_label({"timestamp": "20260419_143022_123456", "count": 12, "max_score": 0.951})
        == "2026-04-19 14:30 (12 regions, best: 0.95)"
    )
    assert version_label({"timestamp": "yesterday", "count": 1, "max_score": 0.5}) == "yesterday (1 region, best: 0.50)"
    assert (
        version_label({"timestamp": "20260419_143022_123456", "count": 0, "max_score": None})
        == "2026-04-19 14:30 (no regions)"
    )


def test_switching_version_repopulates_clears_undo_and_refreshes_timeline(qtbot, panel, db):
    table = panel._current_table()
    click_row(qtbot, table, 0)
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert panel.undo_stack.count() == 1

    combo = panel._tab(panel._tab_index("MEL")).version_combo
    with qtbot.waitSignal(panel.regions_edited):
        combo.setCurrentIndex(1)
    assert panel._current_table() is table  # repopulated in place
    assert [r.start for r in panel.current_regions()] == [10.0, 40.0, 90.0]
    assert panel.tabs.tabText(panel.tabs.currentIndex()) == "MEL (3)"
    assert panel.undo_stack.count() == 0
    # both versions are still stored; the latest stays the default
    assert len(db.get_scan_versions(FILE, "default", "MEL")) == 2
    assert len(latest_mel_rows(db)) == 2


def test_tab_switch_refreshes_timeline_and_export_count(qtbot, panel):
    with qtbot.waitSignal(panel.regions_edited):
        panel.tabs.setCurrentIndex(panel._tab_index("HUBERT_BASE"))
    assert [r.score for r in panel.current_regions()] == [0.66]
    assert panel.export_button.text() == "Export Scan Results (1 clip)"


def test_delete_and_backspace_toggle_disabled_and_ctrl_z_undoes(qtbot, panel, db):
    table = panel._current_table()
    click_row(qtbot, table, 0)
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert [row["disabled"] for row in latest_mel_rows(db)] == [1, 0]
    assert panel.current_regions()[0].disabled
    qtbot.keyClick(table, Qt.Key.Key_Backspace)
    assert [row["disabled"] for row in latest_mel_rows(db)] == [0, 0]
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    qtbot.keyClick(table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [row["disabled"] for row in latest_mel_rows(db)] == [0, 0]
    assert not panel.current_regions()[0].disabled


def test_toggle_applies_to_a_multi_selection(qtbot, panel, db):
    table = panel._current_table()
    click_row(qtbot, table, 0)
    click_row(qtbot, table, 1, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert [row["disabled"] for row in latest_mel_rows(db)] == [1, 1]
    assert panel.enabled_regions() == []
    assert not panel.export_button.isEnabled()


def edit_cell(qtbot, table, row, col, text):
    rect = table.visualItemRect(table.item(row, col))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: table.state() == QAbstractItemView.State.EditingState)
    editor = QApplication.focusWidget()
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.state() != QAbstractItemView.State.EditingState)


def test_double_click_edits_start_and_end_undoably(qtbot, panel, db):
    table = panel._current_table()
    edit_cell(qtbot, table, 1, COL_START, "72.5")
    edit_cell(qtbot, table, 1, COL_END, "1:19")
    row = latest_mel_rows(db)[1]
    assert (row["start_time"], row["end_time"]) == (72.5, 79.0)
    region = panel.current_regions()[1]
    assert (region.start, region.end, region.original_start, region.original_end) == (72.5, 79.0, 70.0, 80.0)
    assert table.item(1, COL_START).text() == "1:12.50"

    qtbot.keyClick(table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    row = latest_mel_rows(db)[1]
    assert (row["start_time"], row["end_time"]) == (70.0, 80.0)
    assert table.item(1, COL_END).text() == "1:20.00"


def test_invalid_edit_is_refused_and_reverted(qtbot, panel, db):
    table = panel._current_table()
    with qtbot.waitSignal(panel.message):
        edit_cell(qtbot, table, 0, COL_START, "25")  # after the region's end (19 s)
    assert latest_mel_rows(db)[0]["start_time"] == 10.0
    assert table.item(0, COL_START).text() == "0:10.00"
    assert panel.undo_stack.count() == 0


def test_timeline_resize_is_undoable(qtbot, panel, db):
    region_id = panel.current_regions()[0].id
    with qtbot.waitSignal(panel.regions_edited):
        panel.resize_region(region_id, 11.0, 17.0)
    assert latest_mel_rows(db)[0]["start_time"] == 11.0
    qtbot.keyClick(panel._current_table(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert latest_mel_rows(db)[0]["start_time"] == 10.0


def test_mark_as_negative_stores_the_tab_model_and_undo_removes_them(qtbot, panel, db):
    table = panel._current_table()
    click_row(qtbot, table, 1)  # 70-80 s
    qtbot.mouseClick(panel.negative_button, Qt.MouseButton.LeftButton)
    negatives = db.get_hard_negatives("default")
    assert negatives, "no hard negatives stored"
    assert {(n["filename"], n["source_model"], n["source_path"]) for n in negatives} == {
        (FILE, "MEL", "/videos/film.mp4")
    }
    assert all(70.0 <= n["start_time"] + 4.0 <= 80.0 for n in negatives)  # the 8 s windows centred inside
    assert latest_mel_rows(db)[1]["disabled"] == 1

    qtbot.keyClick(table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert db.get_hard_negatives("default") == []
    assert latest_mel_rows(db)[1]["disabled"] == 0


def test_negatives_from_another_tab_carry_that_model(qtbot, panel, db):
    panel.tabs.setCurrentIndex(panel._tab_index("HUBERT_BASE"))
    click_row(qtbot, panel._current_table(), 0)
    qtbot.mouseClick(panel.negative_button, Qt.MouseButton.LeftButton)
    assert {n["source_model"] for n in db.get_hard_negatives("default")} == {"HUBERT_BASE"}


def test_new_scan_adds_a_version_and_shows_it(qtbot, panel, db):
    db.save_scan_results(FILE, "default", "MEL", [(5.0, 13.0, 0.99)])
    with qtbot.waitSignal(panel.regions_edited):
        panel.add_scan_results(FILE, "MEL")
    assert tab_titles(panel) == ["HUBERT_BASE (1)", "MEL (1)"]
    assert panel._tab(panel._tab_index("MEL")).version_combo.count() == 3
    panel.add_scan_results("other.mp4", "MEL")  # results of another file wait until it is loaded
    assert tab_titles(panel) == ["HUBERT_BASE (1)", "MEL (1)"]


def test_new_model_gets_its_own_tab(qtbot, panel, db):
    db.save_scan_results(FILE, "default", "AST", [(1.0, 9.0, 0.7)])
    panel.add_scan_results(FILE, "AST")
    assert panel.current_model_name() == "AST"
    assert "AST (1)" in tab_titles(panel)


def test_export_button_counts_clips_and_sends_enabled_regions(qtbot, panel):
    panel.set_clip_length(8.0)
    panel.spread_spin.setValue(1.0)
    # 10-19 s -> 2 clips, 70-80 s -> 3 clips
    assert panel.export_button.text() == "Export Scan Results (5 clips)"
    panel.min_length_spin.setValue(9.5)
    assert panel.export_button.text() == "Export Scan Results (3 clips)"
    with qtbot.waitSignal(panel.export_requested) as sent:
        qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    assert [(r.start, r.end) for r in sent.args[0]] == [(70.0, 80.0)]


def test_profile_switch_and_empty_file(qtbot, panel):
    panel.set_profile("other")
    assert panel.tabs.count() == 0
    assert panel.current_model_name() is None
    assert panel.export_button.text() == "Export Scan Results (0 clips)"


@pytest.mark.parametrize("text, seconds", [("75.5", 75.5), ("1:15.5", 75.5), ("1:00:00", 3600.0)])
def test_parse_time(text, seconds):
    assert parse_time(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "-3", "1:2:3:4"])
def test_parse_time_rejects(text):
    with pytest.raises(ValueError):
        parse_time(text)


def test_version_label_tells_threshold_and_classifier_version_apart(qtbot, db):
    version = {
        "timestamp": "20260419_143022_123456",
        "count": 12,
        "max_score": 0.951,
        "classifier": "door",
        "classifier_version": "20260418_091500_000001",
        "threshold": 0.5,
    }
    assert (
        version_label(version)
        == "2026-04-19 14:30 (12 regions, best: 0.95) · threshold 0.50 · classifier of 04-18 09:15"
    )
    db.save_scan_results(
        FILE,
        "default",
        "AST",
        [(1.0, 9.0, 0.7)],
        classifier="door",
        classifier_version="20260418_091500_000001",
        threshold=0.5,
    )
    db.save_scan_results(
        FILE,
        "default",
        "AST",
        [(1.0, 9.0, 0.7)],
        classifier="door",
        classifier_version="20260418_091500_000001",
        threshold=0.6,
    )
    panel = ScanResultsPanel(db, "default")
    qtbot.addWidget(panel)
    panel.show()
    panel.load_for_file(FILE)
    tab = panel._tab(panel._tab_index("AST"))
    assert tab.history_row.isVisible()
    assert tab.history_row.findChild(QLabel).text() == "Scan history:"
    labels = [tab.version_combo.itemText(i) for i in range(tab.version_combo.count())]
    assert [label.split(" · ")[1] for label in labels] == ["threshold 0.60", "threshold 0.50"]
    assert "with classifier door" in tab.version_combo.itemData(0, Qt.ItemDataRole.ToolTipRole)
    assert tab.version_combo.toolTip().startswith(labels[0])  # the dock may cut the label: the tooltip has it whole
    assert tab.version_detail_label.text() == "threshold 0.60, classifier of 04-18 09:15"
    tab.version_combo.setFocus()
    qtbot.keyClick(tab.version_combo, Qt.Key.Key_Down)  # the older scan, chosen by key
    assert tab.version_detail_label.text() == "threshold 0.50, classifier of 04-18 09:15"


def test_a_trimmed_region_keeps_its_ghost_after_a_reload(qtbot, panel, db):
    panel.resize_region(panel.current_regions()[0].id, 12.0, 17.0)
    panel.load_for_file(FILE, "/videos/film.mp4")  # as after a restart or a version switch
    panel.tabs.setCurrentIndex(panel._tab_index("MEL"))
    region = panel.current_regions()[0]
    assert (region.start, region.end, region.original_start, region.original_end) == (12.0, 17.0, 10.0, 19.0)


def test_exported_regions_are_marked_and_skipped_unless_asked(qtbot, panel):
    panel.set_clip_length(8.0)
    panel.spread_spin.setValue(1.0)
    panel.set_exported_clip_starts([10.0, 11.0])  # clips cut from 10-19 s earlier
    table = panel._current_table()
    assert [table.item(r, COL_EXPORTED).text() for r in range(2)] == ["✓", ""]
    assert panel.export_button.text() == "Export Scan Results (3 new clips)"
    assert panel.reexport_check.isVisible() and panel.reexport_check.text() == "Export the 1 region marked ✓ again"
    with qtbot.waitSignal(panel.export_requested) as sent:
        qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    assert [(r.start, r.end) for r in sent.args[0]] == [(70.0, 80.0)]
    qtbot.mouseClick(panel.reexport_check, Qt.MouseButton.LeftButton)
    assert panel.export_button.text() == "Export Scan Results (5 clips)"


def test_selecting_a_row_names_the_region_for_the_timeline(qtbot, panel):
    table = panel._current_table()
    with qtbot.waitSignal(panel.region_selected) as picked:
        click_row(qtbot, table, 1)
    assert picked.args == [panel.current_regions()[1].id]


def test_marking_a_region_says_how_many_windows_it_gave(qtbot, panel, db):
    messages = []
    panel.message.connect(messages.append)
    click_row(qtbot, panel._current_table(), 0)  # 10-19 s, 8 s windows every 1 s: centres 11..18 (not on the edges)
    qtbot.mouseClick(panel.negative_button, Qt.MouseButton.LeftButton)
    assert messages == ["8 hard negative windows (8 s each) stored from 1 region"]
    assert {n["region_id"] for n in db.get_hard_negatives("default")} == {panel.current_regions()[0].id}


def test_merge_joins_the_selected_regions_in_one_undo_step(qtbot, panel, db):
    table = panel._current_table()
    assert not panel.merge_button.isEnabled()
    click_row(qtbot, table, 0)
    click_row(qtbot, table, 1, Qt.KeyboardModifier.ControlModifier)
    assert panel.merge_button.isEnabled()
    qtbot.mouseClick(panel.merge_button, Qt.MouseButton.LeftButton)
    rows = latest_mel_rows(db)
    assert [(r["start_time"], r["end_time"], r["disabled"]) for r in rows] == [(10.0, 80.0, False), (70.0, 80.0, True)]
    assert [(r.start, r.end, r.disabled) for r in panel.current_regions()] == [(10.0, 80.0, False), (70.0, 80.0, True)]
    assert not panel.merge_button.isEnabled()  # one enabled region left in the selection
    qtbot.keyClick(table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [(r["start_time"], r["end_time"], r["disabled"]) for r in latest_mel_rows(db)] == [
        (10.0, 19.0, False),
        (70.0, 80.0, False),
    ]


def test_export_selected_sends_only_the_selected_enabled_regions(qtbot, panel):
    sent = []
    panel.export_requested.connect(sent.append)
    table = panel._current_table()
    assert not panel.export_selected_button.isEnabled()
    click_row(qtbot, table, 1)
    qtbot.mouseClick(panel.export_selected_button, Qt.MouseButton.LeftButton)
    assert [(r.start, r.end) for r in sent[-1]] == [(70.0, 80.0)]
    panel.set_exported_clip_starts([70.0])  # already exported: still sent when picked by hand
    click_row(qtbot, table, 1)
    qtbot.mouseClick(panel.export_selected_button, Qt.MouseButton.LeftButton)
    assert table.item(1, COL_EXPORTED).text() == "✓" and [(r.start, r.end) for r in sent[-1]] == [(70.0, 80.0)]
