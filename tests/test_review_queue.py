"""The review queue's answers: accept exports as E does, reject stores a hard negative, skip records;
undo removes exactly what an answer wrote; answers survive a restart; labelled items leave the queue."""

from pathlib import Path

import pytest

from core.export import ExportSettings
from core.home import DataHome
from core.review_queue import ACCEPT, REJECT, SKIP, ReviewItem, ReviewSession, _in_turn, heard_spans
from core.similarity_search import SimilarRegion
from core.training import POSITIVE, TrainingOptions, labelled_training_windows
from tests.media_factory import make_video, tone_burst_track
from tests.search_library import LIBRARY, library_track


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    folder = tmp_path_factory.mktemp("review_video")
    return make_video(folder / "film.mp4", 40, audio=tone_burst_track(40, [5, 25]), size=(32, 24), fps=5)


@pytest.fixture
def home(tmp_path):
    return DataHome.resolve(tmp_path / "home")


def session(db, home, tmp_path, **kwargs):
    settings = ExportSettings(name="door", export_folder=tmp_path / "mp4_Door", length=8.0, count=2, spread=1.0)
    return ReviewSession(db, home, "default", settings, "MEL", **kwargs)


def hits(video):
    return [
        SimilarRegion(video.resolve(), start, start + 8, score)
        for start, score in ((1.0, 0.9), (21.0, 0.8), (12.0, 0.3))
    ]


def test_accept_reject_skip_write_what_they_say(db, home, tmp_path, video):
    queue = session(db, home, tmp_path)
    queue.rank_hits(hits(video))
    accepted = queue.answer(ACCEPT)
    assert [c["start_time"] for c in db.get_clips("film.mp4")] == [1.0, 2.0]
    assert Path(db.get_clips("film.mp4")[0]["output_path"]).is_file()
    rejected = queue.answer(REJECT)
    # every half-second classifier window centred inside the 8 s hit (not on its edges), as Mark as negative
    # stores a region
    negatives = db.get_hard_negatives()
    assert {n["source_model"] for n in negatives} == {"MEL"} and len(negatives) == len(rejected.negative_ids) == 31
    assert (negatives[0]["start_time"], negatives[-1]["start_time"]) == (21.0, 28.5)
    queue.answer(SKIP)
    assert queue.current() is None
    assert [a.answer for a in queue.log.answers] == [ACCEPT, REJECT, SKIP]
    assert accepted.marker_time == 1.0 and rejected.negative_ids
    assert queue.answers_since_training == 2


def test_undo_removes_what_each_answer_wrote_and_requeues_the_item(db, home, tmp_path, video):
    queue = session(db, home, tmp_path)
    queue.rank_hits(hits(video))
    queue.answer(ACCEPT)
    clip_paths = [Path(c["output_path"]) for c in db.get_clips("film.mp4")]
    queue.answer(REJECT)
    assert queue.undo().answer == REJECT
    assert db.get_hard_negatives() == [] and queue.current().start == 21.0
    assert queue.undo().answer == ACCEPT
    assert db.get_clips("film.mp4") == [] and not any(p.exists() for p in clip_paths)
    assert queue.current().start == 1.0 and queue.undo() is None


def test_answers_survive_a_restart_and_answered_items_stay_out(db, home, tmp_path, video):
    first = session(db, home, tmp_path)
    first.rank_hits(hits(video))
    first.answer(REJECT)
    first.answer(SKIP)
    again = session(db, home, tmp_path)
    again.rank_hits(hits(video))
    assert [item.start for item in again.items] == [12.0]
    assert again.undo().answer == SKIP  # undo reaches answers given before the restart
    assert again.current().start == 21.0


def test_already_exported_windows_are_not_queued(db, home, tmp_path, video):
    queue = session(db, home, tmp_path)
    queue.rank_hits(hits(video))
    queue.answer(ACCEPT)
    queue.rank_hits(hits(video) + [SimilarRegion(video.resolve(), 3.0, 11.0, 0.5)])
    assert [item.start for item in queue.items] == [21.0, 12.0]


def test_an_answer_covers_its_whole_occurrence_not_only_its_window(db, home, tmp_path, video):
    """A voice line rejected at one half-second window is not asked again at the next one."""
    queue = session(db, home, tmp_path)
    short = [SimilarRegion(video.resolve(), t, t + 0.5, 0.9) for t in (10.0, 30.0)]
    queue.rank_hits(short)
    queue.answer(REJECT)
    queue.answer(SKIP)
    neighbours = [SimilarRegion(video.resolve(), t, t + 0.5, 0.8) for t in (10.5, 10.75, 11.9, 12.0, 28.25, 32.5)]
    queue.rank_hits(neighbours)
    assert [item.start for item in queue.items] == [12.0, 32.5]


def test_accepts_say_where_the_sound_was_heard_until_undone(db, home, tmp_path, video):
    queue = session(db, home, tmp_path)
    queue.rank_hits([SimilarRegion(video.resolve(), t, t + 0.5, 0.9) for t in (5.0, 25.0, 15.0)])
    queue.answer(ACCEPT)
    queue.answer(REJECT)
    queue.answer(ACCEPT)
    assert heard_spans(home, "default", ["mp4_Door"]) == {video.resolve(): [(5.0, 5.5), (15.0, 15.5)]}
    assert heard_spans(home, "default", ["mp4_Other"]) == {}
    queue.undo()
    assert heard_spans(home, "default", ["mp4_Door"]) == {video.resolve(): [(5.0, 5.5)]}


def test_retraining_is_due_every_n_answers_skips_not_counted(db, home, tmp_path, video):
    queue = session(db, home, tmp_path, retrain_every=2)
    queue.rank_hits(hits(video))
    queue.answer(SKIP)
    queue.answer(REJECT)
    assert not queue.due_for_training()
    queue.answer(REJECT)
    assert queue.due_for_training()


def test_the_queue_takes_its_lists_in_turn_without_repeating_an_occurrence():
    v = Path("/v.mp4")
    unsure = [ReviewItem(v, t, t + 8, 0.5, "uncertain") for t in (0.0, 30.0, 60.0)]
    top = [ReviewItem(v, t, t + 8, 0.9, "top hit") for t in (31.0, 90.0)]
    broad = [ReviewItem(v, t, t + 8, 0.2, "broad match") for t in (1.0, 120.0, 150.0)]
    queue = _in_turn([unsure, top, broad], 10)
    assert [(i.start, i.reason) for i in queue] == [
        (0.0, "uncertain"),
        (31.0, "top hit"),
        (120.0, "broad match"),
        (60.0, "uncertain"),
        (90.0, "top hit"),
        (150.0, "broad match"),
    ]


@pytest.mark.slow
def test_retrain_trains_on_the_answers_and_the_new_classifier_ranks_the_library(db, home, tmp_path):
    video = make_video(tmp_path / "long.mp4", 100, audio=library_track(*LIBRARY["b"], seed=1), size=(32, 24), fps=2)
    queue = session(db, home, tmp_path, retrain_every=7)
    queue.settings.count = 1
    answers = [(11.0, ACCEPT), (49.0, ACCEPT)] + [(t, REJECT) for t in (25.0, 60.0, 70.0, 84.0, 90.0)]
    queue.rank_hits([SimilarRegion(video.resolve(), t, t + 8, 1.0) for t, _kind in answers])
    for _t, kind in answers:
        queue.answer(kind)
    assert queue.due_for_training()
    result = queue.retrain()
    assert result.name == "mp4_Door" and queue.classifier == "mp4_Door" and not queue.due_for_training()
    queue.rank_with_classifier([video], length=6)
    assert queue.items and {item.reason for item in queue.items} <= {"uncertain", "top hit", "broad match"}
    # no answered occurrence comes back (an answer covers its 8 s item)
    assert not any(item.start < t + 8 and item.end > t for item in queue.items for t, _kind in answers)


def test_training_looks_for_an_accepted_sound_where_it_was_heard(db, home, tmp_path):
    """Of an accepted 8 s clip, only the windows around the half second the user heard are sound candidates."""
    video = make_video(tmp_path / "long.mp4", 100, audio=library_track(*LIBRARY["b"], seed=1), size=(32, 24), fps=2)
    queue = session(db, home, tmp_path)
    queue.settings.count = 1
    heard = (15.25, 50.25)  # the planted bursts start at 15 and 50 s
    queue.rank_hits([SimilarRegion(video.resolve(), t, t + 0.5, 1.0) for t in heard])
    queue.answer(ACCEPT)
    queue.answer(ACCEPT)
    data = labelled_training_windows(db, home, TrainingOptions("default", "mp4_Door", model_name="MEL"))
    sound = data.times[data.labels == POSITIVE]
    assert len(sound) and all(any(t - 0.25 <= start <= t + 0.25 for t in heard) for start in sound)
