"""The headless `search` and `suggest` commands, run in-process through cli.run_cli."""

import json

import pytest

from cli import run_cli
from core.db import ProcessedDB
from core.home import DataHome
from tests.media_factory import make_video
from tests.scan_scenario import CLIP, SCENES, TRAINING, add_training_clips, clip_start, scene_videos
from tests.search_library import covers, make_library, planted


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return make_library(tmp_path_factory.mktemp("cli_search_library"))


@pytest.fixture
def home(tmp_path):
    return DataHome.resolve(tmp_path / "home")


def cli(home, *args):
    return run_cli(["--home", str(home.root), *map(str, args)])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    return err[0]


@pytest.mark.slow
def test_search_json_over_the_given_videos(home, library, capsys):
    others = [library[name] for name in "bcd"]
    assert cli(home, "search", library["a"], "--at", 20, "--in", *others, "--top", 4, "--json") == 0
    found = json.loads(capsys.readouterr().out)
    assert set(found) <= {str(p) for p in others}  # keyed by the paths as given
    assert sum(len(hits) for hits in found.values()) == 4
    for name in "bd":
        for event in planted(name):
            assert any(covers(hit["start"], hit["end"], event) for hit in found[str(library[name])])
    scores = [hit["score"] for hits in found.values() for hit in hits]
    assert all(-1.0 <= score <= 1.0 for score in scores)


@pytest.mark.slow
def test_search_defaults_to_every_video_the_database_knows(home, library, tmp_path, capsys):
    with ProcessedDB(home.db_path) as db:
        db.add(library["b"].name, 1.0, tmp_path / "mp4_X" / "vid_001" / "x_001_1.mp4", source_path=str(library["b"]))
    assert cli(home, "search", library["a"], "--at", 20, "--top", 3, "--json") == 0
    found = json.loads(capsys.readouterr().out)
    assert set(found) == {str(library["a"]), str(library["b"])}
    assert any(covers(hit["start"], hit["end"], 15.0) for hit in found[str(library["b"])])
    assert any(covers(hit["start"], hit["end"], 70.0) for hit in found[str(library["a"])])


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        (["--at", 500], "lies outside a.wav"),
        (["--at", 10, "--model", "NOPE"], "Unknown embedding model 'NOPE'"),
        (["--at", 10, "--top", 0], "--top 0 must be at least 1"),
        (["--at", 10, "--in", "/no/such.mp4"], "No such video: /no/such.mp4"),
    ],
)
def test_search_bad_input_is_one_line(home, library, capsys, args, message):
    assert cli(home, "search", library["a"], *args) == 1
    assert message in one_error_line(capsys)


def test_search_in_a_file_without_audio_is_one_line(home, tmp_path, capsys):
    silent = make_video(tmp_path / "silent.mp4", 10, audio=None, size=(32, 24), fps=2)
    assert cli(home, "search", silent, "--at", 1) == 1
    assert "silent.mp4" in one_error_line(capsys)


@pytest.mark.slow
def test_suggest_lists_a_queue_of_unlabelled_windows(tmp_path_factory, tmp_path, capsys):
    videos = scene_videos(tmp_path_factory)
    home = DataHome.resolve(tmp_path / "home")
    with ProcessedDB(home.db_path) as db:
        add_training_clips(db, tmp_path, videos)
    assert cli(home, "train", "--positive", "mp4_Tone", "--name", "tone", "--margin", "10") == 0
    capsys.readouterr()
    assert cli(home, "suggest", "--classifier", "tone", "--top", 6, "--json") == 0
    queue = json.loads(capsys.readouterr().out)
    assert [item["reason"] for item in queue[:3]] == ["broad match", "uncertain", "top hit"] and len(queue) == 6
    for item in queue:  # no window half covered by a training clip
        scene = SCENES[item["video"].rsplit("/", 1)[-1].removesuffix(".mp4")]
        clips = [clip_start(t) for t in scene.targets] if scene.name in TRAINING else []
        assert all(min(item["end"], c + CLIP) - max(item["start"], c) < CLIP / 2 for c in clips)
    assert cli(home, "suggest", "--classifier", "nope") == 1
    assert "No classifier named 'nope'" in one_error_line(capsys)


@pytest.mark.slow
def test_search_with_a_clip_file_as_the_example(home, library, tmp_path, capsys):
    from tests.media_factory import tone_burst_track, write_wav

    clip = write_wav(tmp_path / "door_001_1.wav", tone_burst_track(8.0, [3.5], freq=1200, burst=1.0, seed=7))
    assert cli(home, "search", clip, "--in", library["b"], library["c"], "--top", 2, "--json") == 0
    found = json.loads(capsys.readouterr().out)
    assert list(found) == [str(library["b"])]
    hits = found[str(library["b"])]
    assert all(any(covers(hit["start"], hit["end"], event) for hit in hits) for event in planted("b"))
