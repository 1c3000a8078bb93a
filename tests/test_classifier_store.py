import hashlib
import json
import operator

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.preprocessing import FunctionTransformer

from core import classifier_store as store
from core.compact_scorer import CompactScorer
from core.errors import FoleycutError
from core.home import DataHome


@pytest.fixture
def home(tmp_path):
    return DataHome.resolve(tmp_path / "home")


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    y = (x[:, 0] > 0).astype(int)
    return CalibratedClassifierCV(HistGradientBoostingClassifier(max_iter=5), cv=2).fit(x, y), x


def _save(home, estimator, name="door", model="MEL", auc=0.5):
    return store.save_version(
        home,
        name,
        estimator,
        embedding_model=model,
        window=8.0,
        hop=1.0,
        folders={"positive": "mp4_Door"},
        counts={"positive": 3},
        metrics={"average_precision": auc},
    )


@pytest.mark.slow
def test_saved_version_loads_back_with_its_metadata_and_predictions(home, fitted):
    estimator, x = fitted
    saved = _save(home, estimator)
    loaded = store.load_classifier(home, "door")
    assert loaded.meta == saved
    assert loaded.meta.embedding_model == "MEL" and loaded.meta.folders == {"positive": "mp4_Door"}
    np.testing.assert_allclose(loaded.estimator.predict_proba(x), estimator.predict_proba(x))
    assert not list(home.models_dir.rglob("*.tmp"))


@pytest.mark.slow
def test_versions_are_listed_newest_first_and_rollback_keeps_them_all(home, fitted):
    first = _save(home, fitted[0], auc=0.1)
    second = _save(home, fitted[0], auc=0.2)
    assert [v.version for v in store.list_versions(home, "door")] == [second.version, first.version]
    assert store.load_classifier(home, "door").meta.version == second.version

    store.rollback(home, "door", first.version)
    assert store.load_classifier(home, "door").meta.metrics == {"average_precision": 0.1}
    assert store.load_classifier(home, "door", second.version).meta.version == second.version
    assert len(store.list_versions(home, "door")) == 2

    [info] = store.list_classifiers(home)
    assert (info.name, info.latest_version, info.active_version, info.version_count) == (
        "door",
        second.version,
        first.version,
        2,
    )


@pytest.mark.slow
def test_list_classifiers_covers_every_name(home, fitted):
    _save(home, fitted[0], name="door")
    _save(home, fitted[0], name="glass", model="HUBERT_BASE")
    (home.models_dir / "not a classifier").mkdir()
    (home.models_dir / "empty").mkdir()
    assert [(i.name, i.embedding_model) for i in store.list_classifiers(home)] == [
        ("door", "MEL"),
        ("glass", "HUBERT_BASE"),
    ]


def test_unknown_names_and_versions_are_clear_errors(home, fitted):
    with pytest.raises(FoleycutError, match="No classifier named 'nope'"):
        store.load_classifier(home, "nope")
    _save(home, fitted[0])
    with pytest.raises(FoleycutError, match="no version 1999"):
        store.rollback(home, "door", "1999")
    with pytest.raises(FoleycutError, match="not usable"):
        store.validate_name("../evil")


def test_damaged_files_are_clear_errors(home, fitted):
    saved = _save(home, fitted[0])
    folder = home.models_dir / "door"
    (folder / f"{saved.version}.npz").unlink()  # else scans never read the skops file
    (folder / f"{saved.version}.skops").write_bytes(b"not a zip")
    with pytest.raises(FoleycutError, match="damaged"):
        store.load_classifier(home, "door")
    (folder / f"{saved.version}.json").write_text("{broken")
    with pytest.raises(FoleycutError, match="metadata .* damaged"):
        store.load_classifier(home, "door")


def test_file_with_types_foleycut_never_writes_is_refused(home, fitted):
    saved = _save(home, FunctionTransformer(func=operator.neg))
    with pytest.raises(FoleycutError, match="_operator.neg"):
        store.load_classifier(home, "door", saved.version)


def test_stale_active_pointer_falls_back_to_newest(home, fitted):
    saved = _save(home, fitted[0])
    (home.models_dir / "door" / store.ACTIVE_FILE).write_text("20000101_000000_000000")
    assert store.active_version(home, "door") == saved.version


def test_a_loaded_estimator_is_reused_until_its_file_changes(home, fitted):
    estimator, x = fitted
    saved = _save(home, estimator)
    (home.models_dir / "door" / f"{saved.version}.npz").unlink()  # as saved before the compact form
    first = store.load_classifier(home, "door").estimator
    assert store.load_classifier(home, "door").estimator is first  # no second parse in this process
    path = home.models_dir / "door" / f"{saved.version}.skops"
    other = CalibratedClassifierCV(HistGradientBoostingClassifier(max_iter=3), cv=2).fit(x, x[:, 1] > 0)
    path.write_bytes(store._skops_io().dumps(other))
    replaced = store.load_classifier(home, "door").estimator
    assert replaced is not first
    np.testing.assert_allclose(replaced.predict_proba(x), other.predict_proba(x))


@pytest.fixture(scope="module")
def splitting():
    """A calibrated booster whose trees split (the `fitted` one's leaves hold too few samples to)."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 6))
    estimator = CalibratedClassifierCV(HistGradientBoostingClassifier(max_iter=10, min_samples_leaf=3), cv=3)
    return estimator.fit(x, x[:, 0] + x[:, 1] > 0), x


def test_a_version_is_saved_with_its_compact_scorer_which_scans_load(home, splitting):
    estimator, x = splitting
    saved = _save(home, estimator)
    compact = home.models_dir / "door" / f"{saved.version}.npz"
    assert saved.scorer_sha256 == hashlib.sha256(compact.read_bytes()).hexdigest()
    loaded = store.load_classifier(home, "door")
    assert loaded.meta == saved and isinstance(loaded.estimator, CompactScorer)
    assert loaded.estimator.n_features_in_ == 6
    np.testing.assert_allclose(loaded.estimator.predict_proba(x), estimator.predict_proba(x), rtol=0, atol=1e-9)
    assert store.load_classifier(home, "door").estimator is loaded.estimator


@pytest.mark.slow
def test_versions_without_an_intact_compact_scorer_load_the_skops_estimator(home, splitting):
    estimator, x = splitting
    damaged, missing = _save(home, estimator), _save(home, estimator)
    folder = home.models_dir / "door"
    data = bytearray((folder / f"{damaged.version}.npz").read_bytes())
    data[-40] ^= 1
    (folder / f"{damaged.version}.npz").write_bytes(bytes(data))
    (folder / f"{missing.version}.npz").unlink()
    legacy = json.loads((folder / f"{missing.version}.json").read_text())
    del legacy["scorer_sha256"]  # metadata as versions before the compact form wrote it
    (folder / f"{missing.version}.json").write_text(json.dumps(legacy))
    for version in (damaged.version, missing.version):
        loaded = store.load_classifier(home, "door", version)
        assert isinstance(loaded.estimator, CalibratedClassifierCV)
        np.testing.assert_allclose(loaded.estimator.predict_proba(x), estimator.predict_proba(x))
