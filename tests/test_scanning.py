import shutil
import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.dummy import DummyClassifier

from core import classifier_store, window_embeddings
from core.classifier_store import load_classifier
from core.db import ProcessedDB
from core.errors import Cancelled, FoleycutError
from core.home import DataHome
from core.scanning import ScanOptions, negative_times_for_region, scan_file, scan_files, score_file
from core.training import DEFAULT_HOP, DEFAULT_WINDOW, TrainingOptions, train_classifier
from tests.media_factory import make_video, tone_burst_track
from tests.scan_scenario import BURST, SCENES, add_training_clips, covers, scene_videos

OPTIONS = TrainingOptions(profile="default", positive_folder="mp4_Tone", name="tone", margin=10.0)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    return scene_videos(tmp_path_factory)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, videos):
    """A home holding the clips of the training videos and a classifier trained on them (read-only)."""
    root = tmp_path_factory.mktemp("trained")
    home = DataHome.resolve(root / "home")
    db = ProcessedDB(home.db_path)
    add_training_clips(db, root, videos)
    train_classifier(db, home, OPTIONS)
    db.close()
    return home


@pytest.fixture
def home(trained, tmp_path):
    """A private copy of the trained home: its database, classifier and embedding cache."""
    return DataHome.resolve(shutil.copytree(trained.root, tmp_path / "home"))


@pytest.fixture
def db(home):
    return ProcessedDB(home.db_path)


def _covered(regions, events):
    return [event for event in events if any(covers(region, event) for region in regions)]


@pytest.mark.slow
def test_held_out_events_are_found_and_nothing_else(db, home, videos):
    scene = SCENES["held_out"]
    outcome = scan_file(db, home, videos["held_out"], "tone")
    assert _covered(outcome.regions, scene.targets) == scene.targets  # recall 1
    assert all(_covered([region], scene.targets) for region in outcome.regions)  # precision 1
    assert all(region.score >= 0.5 for region in outcome.regions)

    stored = db.get_scan_results("held_out.mp4", "default")["MEL"]
    assert [(r["start_time"], r["end_time"], r["classifier"]) for r in stored] == [
        (r.start, r.end, "tone") for r in outcome.regions
    ]
    assert stored[0]["scan_timestamp"] == outcome.scan_timestamp


@pytest.mark.slow
def test_hard_negatives_remove_a_chosen_false_positive(db, home, videos):
    # The chords share the target's 1200 Hz band; the exemplar gate already keeps them below the
    # operating point, so they are looked for, and marked, far below it.
    low = ScanOptions(threshold=0.02)
    chords = SCENES["chords_held_out"]
    before = scan_file(db, home, videos["chords_held_out"], "tone", low).regions
    assert _covered(before, chords.chords) == chords.chords  # the chord is mistaken for the target

    for region in scan_file(db, home, videos["chords"], "tone", low).regions:
        if _covered([region], SCENES["chords"].chords):
            db.add_hard_negatives(
                "chords.mp4",
                "default",
                negative_times_for_region(region.start, region.end, DEFAULT_WINDOW, DEFAULT_HOP),
                source_path=str(videos["chords"]),
                source_model="MEL",
            )
    result = train_classifier(db, home, OPTIONS)
    assert result.counts["marked_negative_windows"] > 0

    after = scan_file(db, home, videos["chords_held_out"], "tone", low).regions
    assert _covered(after, chords.chords) == []  # the marked chords and their near-duplicates are gone
    # (the target that shares the chords' 1200 Hz band, in the same video, is not promised yet: with six
    # clips it is sometimes lost with them; bench/README.md, detection, tracks the real-sound figures)
    # and the held-out targets still rank above every other sound of their video (that the operating point
    # keeps all of them after such a round is what bench/README.md, detection, measures on real sounds)
    scores = score_file(home, videos["held_out"], load_classifier(home, "tone"))
    near = [
        (scores.times + scores.window > event) & (scores.times < event + BURST) for event in SCENES["held_out"].targets
    ]
    elsewhere = ~np.logical_or.reduce(near)
    assert min(scores.probabilities[mask].max() for mask in near) > scores.probabilities[elsewhere].max()


@pytest.mark.slow
def test_scan_history_grows_to_five_versions_then_prunes_the_oldest(db, home, videos, monkeypatch):
    first = scan_file(db, home, videos["held_out"], "tone")

    def no_model(*_args, **_kwargs):
        raise AssertionError("a rescan must come from the embedding cache")

    monkeypatch.setattr(window_embeddings, "load_embedder", no_model)
    stamps = [first.scan_timestamp] + [
        scan_file(db, home, videos["held_out"], "tone", ScanOptions(threshold=t)).scan_timestamp
        for t in (0.6, 0.7, 0.8, 0.9, 0.95)
    ]
    versions = db.get_scan_versions("held_out.mp4", "default", "MEL")
    assert [v["timestamp"] for v in versions] == stamps[::-1][:5]
    assert first.scan_timestamp not in [v["timestamp"] for v in versions]


@pytest.mark.slow
def test_scan_many_reports_and_skips_bad_files(db, home, videos, tmp_path):
    silent = make_video(tmp_path / "silent.mp4", 20, audio=None, size=(32, 24), fps=2)
    short = make_video(tmp_path / "short.mp4", 0.3, audio=tone_burst_track(0.3, []), size=(32, 24), fps=10)
    done, updates = [], []
    results = scan_files(
        db,
        home,
        [silent, videos["held_out"], short],
        "tone",
        progress=lambda f, m: updates.append(f),
        on_file_done=lambda *a: done.append(a),
    )

    assert [r.video for r in results] == [silent, videos["held_out"], short]
    assert results[0].outcome is None and "audio" in results[0].error.lower()
    assert results[1].error is None and len(results[1].outcome.regions) == 2
    assert results[2].outcome is None and "shorter than one" in results[2].error
    assert [d[2] is None for d in done] == [False, True, False]
    assert updates[-1] == 1.0 and updates == sorted(updates)
    assert set(db.get_scan_results("silent.mp4", "default")) == set()


@pytest.mark.slow
def test_classifier_of_another_embedding_model_is_refused(db, home, videos):
    with pytest.raises(FoleycutError, match="trained on MEL embeddings, not HUBERT_BASE"):
        scan_file(db, home, videos["held_out"], "tone", ScanOptions(model_name="HUBERT_BASE"))
    with pytest.raises(FoleycutError, match="trained on MEL embeddings, not AST"):
        scan_files(db, home, [videos["held_out"]], "tone", ScanOptions(model_name="AST"))

    odd = DummyClassifier().fit(np.zeros((4, 3)), [0, 1, 0, 1])
    classifier_store.save_version(
        home, "odd", odd, embedding_model="MEL", window=8.0, hop=1.0, folders={}, counts={}, metrics={}
    )
    with pytest.raises(FoleycutError, match="expects 3 features but MEL gives 192"):
        scan_file(db, home, videos["held_out"], "odd")
    assert db.get_scan_results("held_out.mp4", "default") == {}


@pytest.mark.slow
def test_cancelled_scan_stores_nothing(db, home, videos):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        scan_files(db, home, [videos["held_out"]], "tone", cancel=cancel)
    assert db.get_scan_results("held_out.mp4", "default") == {}


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (10.0, 20.0, [7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]),  # centres inside, not on the edges
        (10.5, 14.0, [7.0, 8.0, 9.0]),  # starts on the hop grid only
        (10.1, 10.6, [6.0]),  # narrower than the hop: the grid window centred closest on it
        (0.0, 5.0, [0.0]),  # never before the start of the file
    ],
)
def test_negative_times_for_a_region(start, end, expected):
    assert negative_times_for_region(start, end, 8.0, 1.0) == expected


def test_a_review_hit_of_one_window_marks_that_window_and_not_its_neighbours():
    # a half-second hit that only touches a sound: the neighbour centred on its end holds the sound
    assert negative_times_for_region(179.5, 180.0, 0.5, 0.25) == [179.5]


@given(st.floats(0, 500), st.floats(0.1, 60), st.sampled_from([0.5, 1.0, 2.0]))
def test_negative_times_lie_on_the_hop_grid_and_are_the_windows_centred_in_the_region(start, length, hop):
    window, end = 8.0, start + length
    times = negative_times_for_region(start, end, window, hop)
    assert times and all(t >= 0 and abs(t / hop - round(t / hop)) < 1e-6 for t in times)
    centred_inside = [t for t in times if start < t + window / 2 < end]
    if centred_inside != times:  # only a region narrower than the hop, or one reaching back past 0 s
        assert len(times) == 1 and (length < hop or start < window / 2)
