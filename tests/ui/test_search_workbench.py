"""Find similar and the review queue in the real main window, driven by clicks and real key presses."""

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from core.db import ProcessedDB
from core.home import DataHome
from core.scanning import negative_times_for_region
from core.training import DEFAULT_HOP, DEFAULT_WINDOW
from tests.media_factory import make_video
from tests.search_library import LIBRARY, covers, library_track, planted
from ui.main_window import MainWindow
from ui.search_workbench import SearchWorkbench
from ui.similar_sounds_panel import SimilarSoundsPanel
from ui.startup import ui_settings

TASK_MS = 60_000


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("search_videos")
    return {
        name: make_video(
            folder / f"{name}.mp4", 100, audio=library_track(targets, distractors, seed), size=(32, 24), fps=2
        )
        for seed, (name, (targets, distractors)) in enumerate(LIBRARY.items())
    }


@pytest.fixture
def home(isolated_home):
    return DataHome.resolve(isolated_home)


def open_window(qtbot, home, db, videos, export_folder: Path):
    window = MainWindow(home, db, ui_settings(home))
    workbench = SearchWorkbench(window)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.export_panel.folder_edit.setText(str(export_folder))
    window.export_panel.length_spin.setValue(8.0)
    window.export_panel.count_spin.setValue(1)
    window.add_to_playlist(list(videos.values()))
    window.load_video(videos["a"])
    return window, workbench


def search_at(qtbot, window, workbench, seconds: float):
    window.seek(seconds)
    workbench.similar.at_cursor_button.click()
    qtbot.waitUntil(lambda: workbench._search_task is None, timeout=TASK_MS)
    return workbench.similar.regions()


@pytest.mark.slow
def test_find_similar_lists_the_repeats_and_plays_a_selected_hit(qtbot, home, videos, tmp_path):
    with ProcessedDB(home.db_path) as db:
        window, workbench = open_window(qtbot, home, db, videos, tmp_path / "mp4_Tone")
        regions = search_at(qtbot, window, workbench, 20.0)
        repeats = [(videos[n].resolve(), t) for n in LIBRARY for t in planted(n) if (n, t) != ("a", 20.0)]
        top = regions[: len(repeats)]
        assert all(any(r.video == v and covers(r.start, r.end, t) for r in top) for v, t in repeats)
        assert workbench.similar.table.rowCount() == len(regions)
        workbench.similar.table.selectRow(1)
        assert window.current_video == regions[1].video
        assert window.player.position() == pytest.approx(regions[1].start)
        window.close()


@pytest.mark.slow
def test_review_keys_undo_and_persistence(qtbot, home, videos, tmp_path):
    export_folder = tmp_path / "mp4_Tone"
    with ProcessedDB(home.db_path) as db:
        window, workbench = open_window(qtbot, home, db, videos, export_folder)
        search_at(qtbot, window, workbench, 20.0)
        workbench.similar.review_button.click()
        review, session = workbench.review, workbench.session
        first, second, third = session.items[:3]
        assert window.current_video == first.video and window.player.position() == pytest.approx(first.start)

        qtbot.keyClick(review, Qt.Key.Key_A)  # accept: clips exported in the background
        qtbot.waitUntil(lambda: workbench._answer_task is None, timeout=TASK_MS)
        clips = db.get_clips(first.video.name)
        assert [c["start_time"] for c in clips] == [pytest.approx(session.anchor(first), abs=0.5)]
        assert clips[0]["start_time"] < first.start < first.end < clips[0]["start_time"] + 8  # centred on the hit
        assert Path(clips[0]["output_path"]).parent.parent == export_folder
        assert window.current_video == second.video  # the next item plays

        qtbot.keyClick(review, Qt.Key.Key_R)  # reject: the classifier's windows on the hit, as hard negatives
        windows = negative_times_for_region(second.start, second.end, DEFAULT_WINDOW, DEFAULT_HOP)
        assert [(n["filename"], n["start_time"]) for n in db.get_hard_negatives()] == [
            (second.video.name, t) for t in windows
        ]
        fourth = session.items[1]
        qtbot.keyClick(review, Qt.Key.Key_S)
        assert session.current() == fourth
        qtbot.keyClick(review, Qt.Key.Key_U)  # undo the skip
        assert (session.current().video, session.current().start) == (third.video, third.start)
        qtbot.keyClick(review, Qt.Key.Key_U)  # undo the reject
        assert db.get_hard_negatives() == []
        qtbot.keyClick(review, Qt.Key.Key_R)
        assert len(db.get_hard_negatives()) == len(windows)
        window.close()

    with ProcessedDB(home.db_path) as db:  # after a restart
        window, workbench = open_window(qtbot, home, db, videos, export_folder)
        search_at(qtbot, window, workbench, 20.0)
        workbench.similar.review_button.click()
        queued = [(item.video, item.start) for item in workbench.session.items]
        assert (first.video, first.start) not in queued and (second.video, second.start) not in queued
        assert workbench.review.undo_button.isEnabled()
        qtbot.keyClick(workbench.review, Qt.Key.Key_U)  # the reject given before the restart
        assert db.get_hard_negatives() == []
        assert (workbench.session.current().video, workbench.session.current().start) == (second.video, second.start)
        window.close()


@pytest.mark.slow
def test_retraining_starts_after_n_answers(qtbot, home, videos, tmp_path, monkeypatch):
    trained = []
    with ProcessedDB(home.db_path) as db:
        window, workbench = open_window(qtbot, home, db, videos, tmp_path / "mp4_Tone")
        workbench.review.retrain_spin.setValue(2)
        search_at(qtbot, window, workbench, 20.0)
        workbench.similar.review_button.click()
        monkeypatch.setattr(workbench, "_retrain", lambda: trained.append(workbench.session.answers_since_training))
        qtbot.keyClick(workbench.review, Qt.Key.Key_R)
        qtbot.keyClick(workbench.review, Qt.Key.Key_S)
        assert trained == []
        qtbot.keyClick(workbench.review, Qt.Key.Key_R)
        assert trained == [2]
        window.close()


@pytest.mark.slow
def test_indexing_the_library_from_the_menu(qtbot, home, videos, tmp_path):
    with ProcessedDB(home.db_path) as db:
        window, workbench = open_window(qtbot, home, db, videos, tmp_path / "mp4_Tone")
        workbench.index_action.trigger()
        qtbot.waitUntil(lambda: workbench._search_task is None, timeout=TASK_MS)
        index = workbench._index(workbench.similar.model())
        assert {f.path for f in index.files()} == {str(v.resolve()) for v in videos.values()}
        assert "Library indexed" in workbench.similar.status_label.text()
        window.close()


@pytest.mark.slow
def test_find_similar_from_a_range_selected_on_the_timeline(qtbot, home, videos, tmp_path):
    """Shift+drag over the sound on the timeline, right-click, Find similar: the range is the example."""
    with ProcessedDB(home.db_path) as db:
        window, workbench = open_window(qtbot, home, db, videos, tmp_path / "mp4_Tone")
        timeline = window.timeline
        window.seek(5.0)  # the cursor elsewhere: the range, not the cursor, is searched

        def at(seconds):
            return QPoint(round(timeline.x_at(seconds)), timeline.height() - 12)

        qtbot.mousePress(timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, at(19.8))
        qtbot.mouseMove(timeline, at(21.2))
        qtbot.mouseRelease(timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, at(21.2))
        start, end = timeline.selected_range()
        assert start == pytest.approx(19.8, abs=0.3) and end == pytest.approx(21.2, abs=0.3)
        qtbot.mouseClick(timeline, Qt.MouseButton.RightButton, pos=at(20.5))
        menu = timeline.range_menu
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(menu.actions()[0]).center())
        qtbot.waitUntil(lambda: workbench._search_task is None, timeout=TASK_MS)
        assert SimilarSoundsPanel.example_label(videos["a"], start, end) in workbench.similar.status_label.text()
        regions = workbench.similar.regions()
        repeats = [(videos[n].resolve(), t) for n in LIBRARY for t in planted(n) if (n, t) != ("a", 20.0)]
        assert all(any(r.video == v and covers(r.start, r.end, t) for r in regions[: len(repeats)]) for v, t in repeats)

        workbench.find_action.trigger()  # the Scan menu's Find similar searches the selected range too
        qtbot.waitUntil(lambda: workbench._search_task is None, timeout=TASK_MS)
        assert SimilarSoundsPanel.example_label(videos["a"], start, end) in workbench.similar.status_label.text()
        window.close()
