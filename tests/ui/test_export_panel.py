"""Export controls: the settings they produce, their errors, their persistence, the E preview."""

import pytest
from PySide6.QtCore import QSettings, Qt

from core.errors import FoleycutError
from ui.export_panel import ExportPanel


@pytest.fixture
def panel(qtbot):
    widget = ExportPanel()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_settings_follow_the_controls(qtbot, panel, tmp_path):
    panel.folder_edit.setText(str(tmp_path / "doors"))
    qtbot.keyClicks(panel.label_edit, "door_slam")
    qtbot.keyClicks(panel.category_edit, "doors")
    panel.format_combo.setCurrentText("webp")
    panel.short_side_spin.setValue(240)
    panel.length_spin.setValue(4.0)
    panel.count_spin.setValue(3)
    panel.spread_spin.setValue(2.0)
    panel.portrait_combo.setCurrentText("4:5")
    panel.portrait_center_slider.setValue(30)
    settings = panel.settings()
    assert (settings.export_folder, settings.label, settings.category) == (tmp_path / "doors", "door_slam", "doors")
    assert (settings.fmt, settings.short_side, settings.length, settings.count, settings.spread) == (
        "webp",
        240,
        4.0,
        3,
        2.0,
    )
    assert (settings.portrait, settings.portrait_center) == ("4:5", 0.3)


def test_defaults_are_eight_second_single_clips_at_original_size(panel, tmp_path):
    panel.folder_edit.setText(str(tmp_path))
    settings = panel.settings()
    assert (settings.name, settings.length, settings.count, settings.short_side, settings.portrait) == (
        "clip",
        8.0,
        1,
        None,
        None,
    )
    assert not panel.spread_spin.isEnabled() and not panel.portrait_center_slider.isEnabled()


def test_missing_folder_or_bad_name_is_a_clear_error(panel, tmp_path):
    with pytest.raises(FoleycutError, match="export folder"):
        panel.settings()
    panel.folder_edit.setText(str(tmp_path))
    panel.name_edit.setText("a/b")
    with pytest.raises(FoleycutError, match="clip name"):
        panel.settings()


def test_changes_are_signalled_and_state_round_trips(qtbot, panel, tmp_path):
    with qtbot.waitSignal(panel.settings_changed):
        qtbot.keyClick(panel.count_spin, Qt.Key.Key_Up)
    panel.folder_edit.setText(str(tmp_path))
    panel.portrait_combo.setCurrentText("9:16")
    store = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    panel.save_state(store)
    restored = ExportPanel()
    qtbot.addWidget(restored)
    restored.restore_state(store)
    assert restored.count_spin.value() == 2 and restored.portrait_combo.currentText() == "9:16"
    assert restored.export_folder() == tmp_path.resolve()


def test_overwrite_banner(panel):
    panel.set_overwrite_target("0:12.00 (3 clip(s))")
    assert panel.overwrite_label.isVisible() and "0:12.00" in panel.overwrite_label.text()
    panel.set_overwrite_target(None)
    assert not panel.overwrite_label.isVisible()
