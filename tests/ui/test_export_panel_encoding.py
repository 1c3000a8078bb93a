"""Export panel: LTX-2 mode, random crop share, hardware encoder and workers, through clicks and keys."""

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt

from ui.export_panel import ExportPanel

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def panel(qtbot, tmp_path):
    widget = ExportPanel()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    widget.folder_edit.setText(str(tmp_path / "out"))
    return widget


def click_box(qtbot, box) -> None:
    """Click a check box on its indicator (a stretched box's centre may lie past its text)."""
    qtbot.mouseClick(box, LEFT, pos=QPoint(8, box.height() // 2))


def type_into(qtbot, spin, text: str) -> None:
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def test_defaults_leave_clips_as_before(panel):
    settings = panel.settings()
    assert (settings.ltx2, settings.random_crop, settings.encoder) == (False, 0.0, "auto")
    assert not panel.ltx2_label.isVisible() and panel.random_crop_spin.text() == "off"


def test_ltx2_checkbox_sets_the_mode_and_shows_the_frames_it_writes(qtbot, panel):
    with qtbot.waitSignal(panel.settings_changed):
        click_box(qtbot, panel.ltx2_check)
    assert panel.settings().ltx2 and panel.ltx2_label.isVisible()
    assert panel.ltx2_label.text().startswith("201 frames at 25 fps = 8.04 s")
    type_into(qtbot, panel.length_spin, "2")
    assert panel.ltx2_label.text().startswith("49 frames") and panel.highlight_settings().length == 1.96
    click_box(qtbot, panel.ltx2_check)
    assert not panel.settings().ltx2 and not panel.ltx2_label.isVisible()


def test_random_crop_share_and_encoding_controls(qtbot, panel):
    type_into(qtbot, panel.random_crop_spin, "30")
    click_box(qtbot, panel.hardware_check)
    type_into(qtbot, panel.workers_spin, "3")
    settings = panel.settings()
    assert (settings.random_crop, settings.encoder, settings.workers) == (30.0, "libx264", 3)
    click_box(qtbot, panel.hardware_check)
    qtbot.keyClick(panel.workers_spin, Qt.Key.Key_Up)
    assert (panel.settings().encoder, panel.settings().workers) == ("auto", 4)


def test_new_controls_persist_with_qsettings(qtbot, panel, tmp_path):
    click_box(qtbot, panel.ltx2_check)
    click_box(qtbot, panel.hardware_check)
    type_into(qtbot, panel.random_crop_spin, "25")
    type_into(qtbot, panel.workers_spin, "2")
    store = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    panel.save_state(store, "export/profiles/ltx")
    restored = ExportPanel()
    qtbot.addWidget(restored)
    restored.restore_state(store, "export/profiles/ltx")
    assert (
        restored.ltx2_check.isChecked(),
        restored.hardware_check.isChecked(),
        restored.random_crop_spin.value(),
        restored.workers_spin.value(),
    ) == (True, False, 25, 2)
