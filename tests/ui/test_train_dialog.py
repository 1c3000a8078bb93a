"""TrainDialog: folders without ghosts, model list, live debounced stats, hard-negative toggle, training."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.classifier_store import list_versions
from core.db import ProcessedDB
from core.embedding_models import model_folders
from core.home import DataHome
from tests.media_factory import make_video, tone_burst_track
from tests.tiny_models import save_tiny_hubert
from ui.train_dialog import AUTO_ONLY, ERROR_COLOR, STATS_DELAY_MS, TrainDialog, describe_preview, describe_result

EVENTS = [6.0, 22.0, 38.0]  # tone bursts in the training video: the "door slams" the clips hold


@pytest.fixture
def home(isolated_home):
    return DataHome.resolve(isolated_home)


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp("media") / "film.mp4"
    return make_video(path, 120.0, audio=tone_burst_track(120.0, EVENTS), size=(64, 48), fps=5)


@pytest.fixture
def db(tmp_path, video):
    """Clips of 8 s around each event in mp4_Door, one clip in mp4_Wind, one scan-only folder."""
    db = ProcessedDB(tmp_path / "foleycut.db")
    exports = tmp_path / "exports"
    for n, event in enumerate(EVENTS, start=1):
        db.add(
            "film.mp4", event - 3.0, exports / "mp4_Door" / "vid_001" / f"door_{n:03d}_1.mp4", source_path=str(video)
        )
    db.add("film.mp4", 46.0, exports / "mp4_Wind" / "vid_001" / "wind_001_1.mp4", source_path=str(video))
    db.add(
        "film.mp4",
        54.0,
        exports / "mp4_ScanOnly" / "vid_001" / "door_001_a1_1.mp4",
        source_path=str(video),
        scan_export=True,
    )
    db.add_hard_negatives("film.mp4", "default", [45.0, 46.0], source_path=str(video), source_model="MEL")
    return db


@pytest.fixture
def dialog(qtbot, db, home):
    dlg = TrainDialog(db, home, "default")
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def tick(qtbot, checkbox):
    """Click a check box on its indicator (a stretched box does not react to clicks past its text)."""
    qtbot.mouseClick(checkbox, Qt.MouseButton.LeftButton, pos=QPoint(6, checkbox.height() // 2))


def combo_texts(combo):
    return [combo.itemText(i) for i in range(combo.count())]


def wait_for_stats(qtbot, dialog):
    qtbot.waitUntil(lambda: not dialog._stats_timer.isActive(), timeout=STATS_DELAY_MS * 10)


@pytest.mark.slow
def test_folders_exclude_scan_only_ghosts(dialog):
    assert combo_texts(dialog.positive_combo) == ["mp4_Door", "mp4_Wind"]
    assert combo_texts(dialog.negative_combo) == [AUTO_ONLY, "mp4_Door", "mp4_Wind"]
    assert dialog.negative_combo.currentData() is None


def test_models_not_downloaded_are_marked(dialog):
    texts = combo_texts(dialog.model_combo)
    assert dialog.model_combo.currentText() == "MEL"
    assert "HUBERT_BASE (download)" in texts
    assert dialog.options().model_name == "MEL"


def test_hard_negatives_toggle_sits_beside_manage_and_is_on_by_default(dialog):
    assert dialog.hard_negatives_check.text() == "Use hard negatives in training"
    assert dialog.hard_negatives_check.isChecked()
    assert dialog.manage_button.text() == "Manage..."
    assert dialog.hard_negatives_check.parentWidget() is dialog.manage_button.parentWidget()
    assert abs(dialog.hard_negatives_check.y() - dialog.manage_button.y()) < dialog.manage_button.height()


def test_stats_preview_follows_options_after_a_debounce(qtbot, dialog):
    assert "<b>3</b> positive clips" in dialog.stats_label.text()
    assert "<b>2</b> hard negatives" in dialog.stats_label.text()

    tick(qtbot, dialog.hard_negatives_check)  # toggle off: negatives excluded
    assert dialog._stats_timer.isActive()
    assert "<b>2</b> hard negatives" in dialog.stats_label.text()  # not yet: the preview waits
    wait_for_stats(qtbot, dialog)
    assert "<b>0</b> hard negatives" in dialog.stats_label.text()
    assert dialog.options().use_hard_negatives is False
    assert dialog.options().feature_set == "context"
    tick(qtbot, dialog.per_video_check)
    assert dialog.options().normalise_per_video and dialog.options().feature_set == "context_per_video"

    dialog.negative_combo.setCurrentText("mp4_Wind")
    wait_for_stats(qtbot, dialog)
    assert "<b>1</b> negative-folder clip," in dialog.stats_label.text()


CHANGES = {
    "positive": lambda qtbot, d: d.positive_combo.setCurrentIndex(1),
    "negative": lambda qtbot, d: d.negative_combo.setCurrentIndex(1),
    "model": lambda qtbot, d: d.model_combo.setCurrentIndex(d.model_combo.currentIndex() ^ 1),
    "margin": lambda qtbot, d: d.margin_spin.setValue(12.0),
    "scan exports": lambda qtbot, d: tick(qtbot, d.scan_exports_check),
    "hard negatives": lambda qtbot, d: tick(qtbot, d.hard_negatives_check),
}


@pytest.mark.slow
@pytest.mark.parametrize("option", CHANGES)
def test_every_option_restarts_the_debounce(qtbot, dialog, option):
    dialog._stats_timer.stop()
    CHANGES[option](qtbot, dialog)
    assert dialog._stats_timer.isActive()


def test_a_bad_choice_shows_why_in_the_stats(qtbot, dialog):
    dialog.negative_combo.setCurrentText("mp4_Door")  # same as the positive folder
    wait_for_stats(qtbot, dialog)
    assert "negative folder is the positive folder" in dialog.stats_label.text()


def test_classifier_name_follows_the_folder_until_typed(qtbot, dialog):
    assert dialog.name_edit.text() == "mp4_Door"
    dialog.positive_combo.setCurrentText("mp4_Wind")
    assert dialog.name_edit.text() == "mp4_Wind"
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, "doors")
    dialog.positive_combo.setCurrentText("mp4_Door")
    assert dialog.options().name == "doors"


def test_manage_opens_hard_negatives_and_closing_refreshes_stats(qtbot, monkeypatch, dialog):
    qtbot.mouseClick(dialog.manage_button, Qt.MouseButton.LeftButton)
    negatives = dialog.negatives_dialog
    assert negatives.isVisible()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(negatives.clear_button, Qt.MouseButton.LeftButton)
    assert "<b>2</b> hard negatives" in dialog.stats_label.text()
    qtbot.mouseClick(negatives.close_button, Qt.MouseButton.LeftButton)
    assert "<b>0</b> hard negatives" in dialog.stats_label.text()


def test_no_export_folders_explains_and_disables_train(qtbot, tmp_path, home):
    dlg = TrainDialog(ProcessedDB(tmp_path / "empty.db"), home, "default")
    qtbot.addWidget(dlg)
    assert not dlg.train_button.isEnabled()
    assert "export some clips" in dlg.stats_label.text()


@pytest.mark.slow
def test_train_runs_in_background_and_shows_cv_metrics(qtbot, dialog, home):
    trained = []
    dialog.trained.connect(trained.append)
    qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
    assert dialog.cancel_button.isVisible() and not dialog.train_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.is_training(), timeout=120_000)
    assert trained, dialog.result_label.text()
    assert [v.version for v in list_versions(home, "mp4_Door")] == [trained[0].version]
    assert trained[0].counts["marked_negative_windows"] > 0  # the two hard negatives
    text = dialog.result_label.text()
    assert "Cross-validated" in text and "precision" in text and "recall" in text
    assert dialog.train_button.isEnabled() and not dialog.cancel_button.isVisible()

    tick(qtbot, dialog.hard_negatives_check)  # off: the retrained version leaves them out, they stay stored
    qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_training(), timeout=120_000)
    assert trained[1].counts["marked_negative_windows"] == 0
    assert list_versions(home, "mp4_Door")[0].folders["use_hard_negatives"] is False
    assert len(dialog._db.get_hard_negatives("default")) == 2


def test_training_failure_is_shown(qtbot, dialog, home):
    dialog.margin_spin.setValue(3600.0)  # no automatic negatives anywhere: too few to train
    tick(qtbot, dialog.hard_negatives_check)
    qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_training(), timeout=120_000)
    assert "Training failed: Too few examples" in dialog.result_label.text()
    assert ERROR_COLOR in dialog.result_label.text()  # light red, readable on the dark grey
    # The failure lays out like a success: the wrapped message gets its full height below the form.
    label = dialog.result_label
    assert label.height() >= label.heightForWidth(label.width())
    assert label.geometry().top() >= dialog.stats_label.geometry().bottom()
    assert dialog.positive_combo.height() >= dialog.positive_combo.minimumSizeHint().height()


def test_cancel_stops_training_without_saving(qtbot, dialog, home):
    qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_training(), timeout=120_000)
    assert dialog.result_label.text() == "Training cancelled."
    assert not (home.models_dir / "mp4_Door").exists()


def test_model_folder_button_saves_the_folder_and_drops_the_download_mark(qtbot, monkeypatch, dialog, home, tmp_path):
    assert not dialog.model_folder_button.isEnabled()  # MEL is built in
    dialog.model_combo.setCurrentIndex(dialog.model_combo.findData("HUBERT_BASE"))
    folder = save_tiny_hubert(tmp_path / "hubert")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(folder))
    qtbot.mouseClick(dialog.model_folder_button, Qt.MouseButton.LeftButton)
    assert dialog.model_combo.currentText() == "HUBERT_BASE"
    assert model_folders(home) == {"HUBERT_BASE": folder.resolve()}


def test_model_folder_without_weights_warns_and_keeps_the_mark(qtbot, monkeypatch, dialog, home, tmp_path):
    warnings = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(tmp_path))
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    dialog.model_combo.setCurrentIndex(dialog.model_combo.findData("AST"))
    qtbot.mouseClick(dialog.model_folder_button, Qt.MouseButton.LeftButton)
    assert len(warnings) == 1 and "config.json is missing" in warnings[0]
    assert dialog.model_combo.currentText() == "AST (download)"


@pytest.mark.slow
def test_negative_folder_equal_to_positive_disables_train(qtbot, dialog):
    assert dialog.train_button.isEnabled()
    dialog.negative_combo.setFocus()
    qtbot.keyClicks(dialog.negative_combo, "mp4_Door")  # typed selection, as a keyboard user picks
    assert dialog.negative_combo.currentText() == "mp4_Door"
    assert not dialog.train_button.isEnabled()  # at once, not after the debounce
    wait_for_stats(qtbot, dialog)
    assert not dialog.train_button.isEnabled() and "negative folder is the positive folder" in dialog.stats_label.text()
    dialog.negative_combo.setCurrentText(AUTO_ONLY)
    wait_for_stats(qtbot, dialog)
    assert dialog.train_button.isEnabled()


def test_preview_counts_the_videos_that_hold_positives():
    from core.training import TrainingPreview

    preview = TrainingPreview(
        videos=3, positive_clips=7, negative_clips=2, hard_negatives=0, ambiguous_clips=0, positive_videos=2
    )
    assert describe_preview(preview).startswith(
        "<b>7</b> positive clips in <b>2</b> videos (and 1 more with negatives only)"
    )


def test_result_names_the_version_as_a_date_and_each_skipped_file_once():
    from core.training import TrainResult

    result = TrainResult(
        "doors",
        "20261130_202335_520926",
        {
            "folds": 3,
            "grouped_by": "video",
            "precision": 0.9,
            "recall": 0.8,
            "average_precision": 0.85,
            "threshold": 0.62,
            "threshold_rule": "best F0.5",
        },
        {
            "positive_windows": 5,
            "negative_windows": 9,
            "marked_negative_windows": 2,
            "automatic_negative_windows": 7,
            "videos": 2,
        },
        skipped=[("/v/broken_e.mp4", "broken_e.mp4 is not a readable video: re-encode it")],
    )
    text = describe_result(result)
    assert "(version of 2026-11-30 20:23)" in text and "20261130_202335" not in text
    assert "at the threshold <b>0.62</b> (best F0.5) precision <b>0.90</b>" in text
    assert "Skipped: broken_e.mp4 is not a readable video" in text


def test_ticking_another_folder_trains_both_as_one_class(qtbot, dialog):
    listing = dialog.also_positive_list
    rows = {listing.item(r).text(): listing.item(r) for r in range(listing.count())}
    assert rows["mp4_Door"].isHidden() and not rows["mp4_Wind"].isHidden()  # the main folder is not offered
    wind = rows["mp4_Wind"]
    rect = listing.visualItemRect(wind)
    qtbot.mouseClick(listing.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.left() + 10, rect.center().y()))
    assert wind.checkState() == Qt.CheckState.Checked
    assert dialog.positive_folders() == ("mp4_Door", "mp4_Wind")
    assert dialog.name_edit.text() == "mp4_Door+mp4_Wind"
    wait_for_stats(qtbot, dialog)
    assert "<b>4</b> positive clips" in dialog.stats_label.text()
    assert dialog.options().positive_folder == ("mp4_Door", "mp4_Wind")
    dialog.positive_combo.setCurrentText("mp4_Wind")  # the ticked folder becomes the main one: listed once
    assert dialog.positive_folders() == ("mp4_Wind",)


def test_missing_videos_offer_a_relink_and_details_list_each_folder(qtbot, tmp_path, db, home, video, monkeypatch):
    import shutil

    from ui.training_details_dialog import TrainingDetailsDialog

    moved_from = tmp_path / "drive"
    moved_from.mkdir()
    film = shutil.copy(video, moved_from / "film.mp4")
    db.add("film.mp4", 10.0, tmp_path / "exports" / "mp4_Slam" / "vid_002" / "slam_001_1.mp4", source_path=film)
    new_home = tmp_path / "new_drive" / "films"
    new_home.mkdir(parents=True)
    shutil.move(film, new_home / "film.mp4")

    dialog = TrainDialog(db, home, "default")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.positive_combo.setCurrentText("mp4_Slam")
    wait_for_stats(qtbot, dialog)
    assert not dialog.train_button.isEnabled() and "None of the source videos" in dialog.stats_label.text()
    assert dialog.relink_button.isVisible() and "1 training video not found" in dialog.missing_label.text()

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path / "new_drive"))
    qtbot.mouseClick(dialog.relink_button, Qt.MouseButton.LeftButton)
    assert dialog.result_label.text() == "Relinked 1 video."
    assert not dialog.relink_button.isVisible() and dialog.train_button.isEnabled()
    assert "<b>1</b> positive clip" in dialog.stats_label.text()

    qtbot.mouseClick(dialog.details_button, Qt.MouseButton.LeftButton)
    details = dialog.details_dialog
    assert isinstance(details, TrainingDetailsDialog) and details.isVisible()
    rows = [[details.table.item(r, c).text() for c in range(5)] for r in range(details.table.rowCount())]
    assert rows == [
        ["mp4_Door", "3", "1", "0", "2"],
        ["mp4_Slam", "1", "1", "0", "0"],
        ["mp4_Wind", "1", "1", "0", "2"],
    ]
    qtbot.keyClick(details, Qt.Key.Key_Escape)
    assert not details.isVisible()
