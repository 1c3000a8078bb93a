"""HardNegativesDialog: filter by source model, filter-aware Delete Selected and Clear All."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from core.db import ProcessedDB
from tests.ui.menus import press_enter_on_message_box_soon
from ui.hard_negatives_dialog import COL_ID, COL_MODEL, COL_TIME, HardNegativesDialog


@pytest.fixture
def db(tmp_path):
    db = ProcessedDB(tmp_path / "foleycut.db")
    db.add_hard_negatives("a.mp4", "default", [12.34, 20.0], source_path="/v/a.mp4", source_model="MEL")
    db.add_hard_negatives("b.mp4", "default", [5.0], source_path="/v/b.mp4", source_model="HUBERT_BASE")
    db.add_hard_negatives("c.mp4", "other", [1.0], source_model="MEL")  # another profile: never shown
    return db


@pytest.fixture
def dialog(qtbot, db):
    dlg = HardNegativesDialog(db, "default")
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def shown_files(dlg) -> list[str]:
    return [dlg.table.item(r, 0).text() for r in range(dlg.table.rowCount()) if not dlg.table.isRowHidden(r)]


def answer(monkeypatch, reply) -> list[str]:
    asked: list[str] = []

    def question(_parent, _title, text, *args, **kwargs):
        asked.append(text)
        return reply

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def test_lists_negatives_with_time_model_and_hidden_id(dialog, db):
    assert [dialog.filter_combo.itemText(i) for i in range(dialog.filter_combo.count())] == [
        "(all)",
        "HUBERT_BASE",
        "MEL",
    ]
    assert dialog.summary_label.text() == "<b>3</b> hard negatives"
    assert dialog.table.isColumnHidden(COL_ID)
    times = sorted(dialog.table.item(r, COL_TIME).text() for r in range(3))
    assert times == ["12.3s", "20.0s", "5.0s"]
    ids = {int(dialog.table.item(r, COL_ID).text()) for r in range(3)}
    assert ids == {row["id"] for row in db.get_hard_negatives("default")}


def test_filter_shows_one_model(qtbot, dialog):
    dialog.filter_combo.setCurrentText("MEL")
    assert sorted(shown_files(dialog)) == ["a.mp4", "a.mp4"]
    assert dialog.summary_label.text() == "<b>2</b> hard negatives"
    assert {dialog.table.item(r, COL_MODEL).text() for r in range(3) if not dialog.table.isRowHidden(r)} == {"MEL"}


def test_delete_selected_skips_rows_hidden_by_the_filter(qtbot, dialog, db):
    dialog.table.selectAll()  # selects every row, also the ones the filter will hide
    dialog.filter_combo.setCurrentText("HUBERT_BASE")
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    assert sorted(row["source_model"] for row in db.get_hard_negatives("default")) == ["MEL", "MEL"]
    assert dialog.table.rowCount() == 2
    assert dialog.filter_combo.currentText() == "(all)"  # HUBERT_BASE has none left


def test_delete_selected_removes_only_the_chosen_rows(qtbot, dialog, db):
    first = dialog.table.visualItemRect(dialog.table.item(0, 0)).center()
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=first)
    deleted_id = int(dialog.table.item(0, COL_ID).text())
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    remaining = {row["id"] for row in db.get_hard_negatives("default")}
    assert len(remaining) == 2 and deleted_id not in remaining
    assert dialog.summary_label.text() == "<b>2</b> hard negatives"


def test_clear_all_with_a_filter_deletes_only_that_model(qtbot, monkeypatch, dialog, db):
    asked = answer(monkeypatch, QMessageBox.StandardButton.Yes)
    dialog.filter_combo.setCurrentText("MEL")
    qtbot.mouseClick(dialog.clear_button, Qt.MouseButton.LeftButton)
    assert "2 hard negatives from model MEL" in asked[0]
    assert [row["source_model"] for row in db.get_hard_negatives("default")] == ["HUBERT_BASE"]
    assert db.get_hard_negatives("other")  # other profiles untouched


def test_clear_all_unfiltered_deletes_everything_after_confirmation(qtbot, monkeypatch, dialog, db):
    asked = answer(monkeypatch, QMessageBox.StandardButton.No)
    qtbot.mouseClick(dialog.clear_button, Qt.MouseButton.LeftButton)
    assert len(db.get_hard_negatives("default")) == 3  # declined: nothing deleted

    asked = answer(monkeypatch, QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(dialog.clear_button, Qt.MouseButton.LeftButton)
    assert "all 3 hard negatives" in asked[0]
    assert db.get_hard_negatives("default") == []
    assert dialog.summary_label.text() == "<b>0</b> hard negatives"


def test_reload_keeps_filter_and_fires_no_filter_changes(qtbot, dialog):
    dialog.filter_combo.setCurrentText("MEL")
    changes: list[int] = []
    dialog.filter_combo.currentIndexChanged.connect(changes.append)
    dialog._load()
    assert changes == []
    assert dialog.filter_combo.currentText() == "MEL"
    assert dialog.summary_label.text() == "<b>2</b> hard negatives"


def test_close_button_closes(qtbot, dialog):
    with qtbot.waitSignal(dialog.finished):
        qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_summary_counts_the_regions_the_windows_came_from(qtbot, db):
    """One marked region gives one negative per window: the summary and the tooltips say so."""
    db.add_hard_negatives("d.mp4", "default", [30.0, 31.0, 32.0, 33.0, 34.0], source_model="MEL", region_id=7)
    dlg = HardNegativesDialog(db, "default")
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.summary_label.text() == "<b>8</b> hard negatives (5 from <b>1</b> scan region)"
    dlg.filter_combo.setCurrentText("MEL")
    assert dlg.summary_label.text() == "<b>7</b> hard negatives (5 from <b>1</b> scan region)"
    row = next(r for r in range(dlg.table.rowCount()) if dlg.table.item(r, 0).text() == "d.mp4")
    assert dlg.table.item(row, COL_TIME).text() == "30.0s"  # the seed's {:.1f}s
    assert "gave 5 window(s)" in dlg.table.item(row, COL_TIME).toolTip()


def test_clear_all_defaults_to_no(qtbot, dialog, db):
    """Enter on the confirmation keeps the negatives: destructive answers are never the default."""

    press_enter_on_message_box_soon(qtbot)
    qtbot.mouseClick(dialog.clear_button, Qt.MouseButton.LeftButton)
    assert len(db.get_hard_negatives("default")) == 3
