"""The crop on the picture, crop keyframes, subject tracking, the cursor lock, playback keys and the waveform
strip, driven like a user: clicks and drags on the picture and the timeline, keys."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from core.crop_path import centre_at, load_keyframes
from core.db import ProcessedDB
from core.home import DataHome
from core.waveform import cached_peaks
from tests.moving_subject import HEIGHT, SQUARE, WIDTH, make_moving_square, square_centre_x
from ui.crop_workbench import CropWorkbench
from ui.main_window import MainWindow
from ui.startup import ui_settings
from ui.waveform_loader import WaveformLoader

LEFT = Qt.MouseButton.LeftButton
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture(scope="module")
def square_video(tmp_path_factory):
    return make_moving_square(tmp_path_factory.mktemp("crop") / "square.mp4", textured=True)


@pytest.fixture
def home(isolated_home):
    return DataHome.resolve(isolated_home)


@pytest.fixture
def window(qtbot, home, tmp_path, square_video):
    db = ProcessedDB(home.db_path)
    win = MainWindow(home, db, ui_settings(home))
    win.crop = CropWorkbench(win)
    win.waveform = WaveformLoader(win)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    win.export_panel.folder_edit.setText(str(tmp_path / "export"))
    win.export_panel.length_spin.setValue(1.0)
    win.add_to_playlist([square_video])
    yield win
    win.close()
    db.close()


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window.timeline, key, modifier)


def picture_point(window, x: float, y: float = HEIGHT / 2) -> QPoint:
    return window.player.video.scene_point(x, y)


def crop_centre_px(window) -> float:
    return window.player.video.overlay.crop().center().x()


def test_no_frame_without_a_portrait_crop(window):
    assert window.player.video.overlay.crop() is None


def test_clicking_or_dragging_the_picture_moves_the_crop_and_the_slider(qtbot, window):
    window.export_panel.portrait_combo.setCurrentText("9:16")
    view = window.player.video
    assert crop_centre_px(window) == pytest.approx(WIDTH / 2, abs=2)
    qtbot.mouseClick(view.viewport(), LEFT, pos=picture_point(window, 100))
    assert window.export_panel.portrait_center_slider.value() == round(100 / WIDTH * 100)
    assert crop_centre_px(window) == pytest.approx(100, abs=2)
    qtbot.mousePress(view.viewport(), LEFT, pos=picture_point(window, 150))
    qtbot.mouseMove(view.viewport(), picture_point(window, 250))
    qtbot.mouseRelease(view.viewport(), LEFT, pos=picture_point(window, 250))
    assert window.export_panel.portrait_center_slider.value() == round(250 / WIDTH * 100)
    window.export_panel.portrait_center_slider.setValue(50)  # the slider moves the frame back
    assert crop_centre_px(window) == pytest.approx(WIDTH / 2, abs=2)
    assert window.export_panel.settings().crop_keyframes == ()


def test_keyframes_placed_with_c_and_drags_follow_the_playhead_and_persist(qtbot, window, home, square_video):
    window.export_panel.portrait_combo.setCurrentText("9:16")
    view = window.player.video
    window.player.seek(0.5)
    press(qtbot, window, Qt.Key.Key_C)  # the current centre (0.5) at 0.5 s
    window.player.seek(2.5)
    qtbot.mouseClick(view.viewport(), LEFT, pos=picture_point(window, 240))  # a keyframe at 2.5 s
    keys = window.crop.keyframes()
    assert [t for t, _ in keys] == pytest.approx([0.5, 2.5], abs=0.01)
    assert keys[1][1] == pytest.approx(240 / WIDTH, abs=0.01)
    window.player.seek(1.5)  # halfway: the frame and the slider show the interpolated centre
    assert crop_centre_px(window) == pytest.approx((160 + 240) / 2, abs=2)
    assert window.export_panel.portrait_center_slider.value() == pytest.approx((0.5 + 240 / WIDTH) / 2 * 100, abs=1)
    assert window.export_panel.settings().crop_keyframes == keys
    qtbot.waitUntil(lambda: load_keyframes(home, square_video) == keys)  # written once the drag rests
    window.player.seek(2.4)
    press(qtbot, window, Qt.Key.Key_C, SHIFT)  # the nearest keyframe goes
    assert [t for t, _ in window.crop.keyframes()] == pytest.approx([0.5], abs=0.01)
    window.load_video(square_video)  # loaded again: the keyframes come back from the data home
    assert [t for t, _ in window.crop.keyframes()] == pytest.approx([0.5], abs=0.01)


def test_slider_keys_move_a_keyframe_but_restored_settings_do_not(qtbot, window):
    window.export_panel.portrait_combo.setCurrentText("9:16")
    window.player.seek(1.0)
    press(qtbot, window, Qt.Key.Key_C)
    slider = window.export_panel.portrait_center_slider
    slider.setValue(80)  # as restoring a profile's settings does: not the user's choice
    assert window.crop.keyframes() == ((1.0, 0.5),)
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)  # the user's: the keyframe at the playhead moves
    assert window.crop.keyframes() == ((1.0, pytest.approx(0.6)),)
    assert crop_centre_px(window) == pytest.approx(0.6 * WIDTH, abs=2)


@pytest.mark.slow
def test_t_then_a_box_tracks_the_subject_into_keyframes(qtbot, window):
    window.export_panel.portrait_combo.setCurrentText("9:16")
    window.export_panel.length_spin.setValue(3.0)
    view = window.player.video
    press(qtbot, window, Qt.Key.Key_T)
    assert view.box_mode()
    press(qtbot, window, Qt.Key.Key_T)  # changed my mind
    assert not view.box_mode()
    press(qtbot, window, Qt.Key.Key_T)
    top = (HEIGHT - SQUARE) / 2
    qtbot.mousePress(view.viewport(), LEFT, pos=picture_point(window, 20, top))
    qtbot.mouseMove(view.viewport(), picture_point(window, 20 + SQUARE, top + SQUARE))
    qtbot.mouseRelease(view.viewport(), LEFT, pos=picture_point(window, 20 + SQUARE, top + SQUARE))
    assert not view.box_mode()
    qtbot.waitUntil(lambda: len(window.crop.keyframes()) >= 2, timeout=20000)
    keys = window.crop.keyframes()
    assert centre_at(keys, 2.0) * WIDTH == pytest.approx(square_centre_x(2.0), abs=12)
    window.player.seek(2.0)  # the frame on the picture follows
    assert crop_centre_px(window) == pytest.approx(centre_at(keys, 2.0) * WIDTH, abs=2)


def test_g_locks_the_cursor_while_scrubbing_and_k_returns_to_it(qtbot, window, tmp_path):
    window.player.seek(1.0)
    press(qtbot, window, Qt.Key.Key_G)
    assert window.lock_action.isChecked()
    qtbot.mouseClick(window.timeline, LEFT, pos=QPoint(round(window.timeline.x_at(3.0)), 30))
    assert window.player.position() == pytest.approx(3.0, abs=0.05)  # the playhead moved
    assert window.cursor_time() == pytest.approx(1.0)  # the cursor did not
    assert window.timeline._highlight[0] == pytest.approx([1.0], abs=0.05)
    press(qtbot, window, Qt.Key.Key_K)
    assert window.player.position() == pytest.approx(1.0)
    window.player.seek(2.0)
    press(qtbot, window, Qt.Key.Key_E)
    qtbot.waitUntil(lambda: bool(window.timeline.markers()), timeout=20000)
    assert window.timeline.markers()[0].time == pytest.approx(1.0)
    press(qtbot, window, Qt.Key.Key_G)
    assert window.cursor_time() == pytest.approx(2.0)


def test_p_plays_and_pauses_and_brackets_change_the_speed(qtbot, window):
    assert window.player.speed() == 1.0
    press(qtbot, window, Qt.Key.Key_BracketRight)
    press(qtbot, window, Qt.Key.Key_BracketRight)
    press(qtbot, window, Qt.Key.Key_BracketRight)  # ×4 is the top: stays there
    assert window.player.speed() == 4.0
    assert window.player.speed_combo.currentText() == "×4"
    for _ in range(4):
        press(qtbot, window, Qt.Key.Key_BracketLeft)
    assert window.player.speed() == 0.5
    press(qtbot, window, Qt.Key.Key_P)
    qtbot.waitUntil(window.player.is_playing, timeout=5000)
    press(qtbot, window, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: not window.player.is_playing(), timeout=5000)


def test_the_waveform_is_computed_in_the_background_and_cached(qtbot, window, home, square_video):
    qtbot.waitUntil(window.timeline.has_waveform, timeout=20000)
    assert cached_peaks(home, square_video) is not None
    window.load_video(square_video)
    assert window.timeline.has_waveform()  # from the cache, at once


def test_the_waveform_strip_draws_the_loud_columns_and_follows_zoom(qtbot):
    import numpy as np
    from PySide6.QtGui import QImage

    from ui.timeline import WAVEFORM, Timeline

    timeline = Timeline()
    qtbot.addWidget(timeline)
    timeline.resize(816, 160)
    timeline.set_duration(10.0)
    peaks = np.full((1000, 2), (-0.01, 0.01), dtype=np.float16)
    peaks[400:420] = (-0.9, 0.9)  # a sound at 4.0–4.2 s
    timeline.set_waveform(peaks)
    timeline.set_crop_keyframes([(2.0, 0.2), (8.0, 0.8)])

    def strip_height(seconds: float) -> int:
        image = QImage(timeline.size(), QImage.Format.Format_ARGB32)
        timeline.render(image)
        x = round(timeline.x_at(seconds))
        return sum(image.pixelColor(x, y) == WAVEFORM for y in range(image.height()))

    assert strip_height(4.1) > 25 and strip_height(6.0) <= 4  # quiet: a line
    timeline._set_view(3.9, 2.0)  # zoomed in: the sound spans many columns, still drawn
    assert strip_height(4.0) > 25 and strip_height(4.3) <= 4
