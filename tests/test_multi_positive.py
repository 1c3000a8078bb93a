"""Several positive export folders trained as one class: options, the database's records, the CLI."""

from __future__ import annotations

import pytest

from cli import run_cli
from core.classifier_store import list_versions
from core.db import ProcessedDB
from core.errors import FoleycutError
from core.home import DataHome
from core.training import TrainingOptions, preview_training
from tests.scan_scenario import SCENES, TRAINING, add_positive_clips, scene_videos


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    return scene_videos(tmp_path_factory)


def test_a_single_folder_is_still_accepted_and_becomes_a_tuple():
    assert TrainingOptions("default", "mp4_Door").positive_folder == ("mp4_Door",)
    options = TrainingOptions("default", ["mp4_Door", "mp4_Slam", "mp4_Door"])
    assert options.positive_folder == ("mp4_Door", "mp4_Slam")  # duplicates once, order kept
    assert options.classifier_name == "mp4_Door+mp4_Slam"


@pytest.mark.slow
def test_two_folders_count_as_one_class(db, tmp_path, videos):
    first, second = TRAINING[:2]
    add_positive_clips(db, tmp_path, "mp4_Door", videos[first], SCENES[first].targets)
    add_positive_clips(db, tmp_path, "mp4_Slam", videos[second], SCENES[second].targets)
    one = preview_training(db, TrainingOptions("default", "mp4_Door", margin=10.0))
    both = preview_training(db, TrainingOptions("default", ("mp4_Door", "mp4_Slam"), margin=10.0))
    assert both.positive_clips == len(SCENES[first].targets) + len(SCENES[second].targets)
    assert (one.positive_videos, both.positive_videos) == (1, 2)
    assert both.ambiguous_clips == 0  # the second folder is no longer "some other clip"
    with pytest.raises(FoleycutError, match="negative folder is the positive folder"):
        preview_training(db, TrainingOptions("default", ("mp4_Door", "mp4_Slam"), negative_folder="mp4_Slam"))
    with pytest.raises(FoleycutError, match="No positive folder chosen"):
        preview_training(db, TrainingOptions("default", ()))


@pytest.mark.slow
def test_cli_takes_repeated_positive_folders(tmp_path, videos):
    home = DataHome.resolve(tmp_path / "home")
    with ProcessedDB(home.db_path) as db:
        for folder, name in zip(("mp4_Door", "mp4_Slam"), TRAINING):
            add_positive_clips(db, tmp_path, folder, videos[name], SCENES[name].targets)
    assert (
        run_cli(
            [
                "--home",
                str(home.root),
                "train",
                "--positive",
                "mp4_Door",
                "--positive",
                "mp4_Slam",
                "--name",
                "both",
                "--margin",
                "10",
            ]
        )
        == 0
    )
    meta = list_versions(home, "both")[0]
    assert meta.folders["positives"] == ["mp4_Door", "mp4_Slam"]
    assert meta.counts["videos"] >= 2
