"""Trained classifiers on disk, one folder per name, one file pair per version.

    <models_dir>/<name>/<version>.skops    the fitted estimator (skops: loading never runs code)
    <models_dir>/<name>/<version>.npz      the same model as plain arrays (core.compact_scorer), which
                                           scans load and score without scikit-learn; its SHA-256 is in
                                           the metadata. Versions saved before it have none: skops then.
    <models_dir>/<name>/<version>.gate.npz the exemplars that weigh the booster's scores (core.exemplar_gate),
                                           SHA-256 in the metadata; versions saved before it have none
    <models_dir>/<name>/<version>.json     what it was trained on: embedding model, window, hop,
                                           folders, counts, metrics, created
    <models_dir>/<name>/ACTIVE             the version scans use (absent: the newest)

A version is its creation timestamp (`%Y%m%d_%H%M%S_%f`), so names sort by age. Saving makes the new
version active; rolling back only moves the ACTIVE pointer, so no version is ever lost.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from core import compact_scorer
from core.atomic_write import write_atomically
from core.defaults import DEFAULT_THRESHOLD
from core.errors import FoleycutError
from core.exemplar_gate import ExemplarGate, ExemplarGateError
from core.home import DataHome
from core.window_context import FEATURE_SETS

VERSION_FORMAT = "%Y%m%d_%H%M%S_%f"
ACTIVE_FILE = "ACTIVE"
_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")

# Types a calibrated HistGradientBoostingClassifier holds beyond those skops trusts by default. Anything
# else in a file means it was not written by Foleycut, and it is refused rather than loaded.
ALLOWED_TYPES = frozenset(
    {
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.model_selection._split.StratifiedGroupKFold",
    }
)


@dataclass(frozen=True)
class ClassifierVersion:
    name: str
    version: str
    embedding_model: str
    window: float
    hop: float
    created: str
    folders: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)  # precision, recall, average_precision, …
    # How scans use it (core.scanning.window_probabilities); the defaults are those of classifiers
    # trained before these were stored.
    threshold: float = DEFAULT_THRESHOLD  # the operating point chosen from out-of-fold probabilities
    feature_set: str = "raw"  # core.window_context
    prior_shift: float = 0.0  # log-odds added by class balancing, taken off again when scoring
    scorer_sha256: str = ""  # of <version>.npz; empty: the version has none (saved before it existed)
    gate_sha256: str = ""  # of <version>.gate.npz; empty: scored by the booster alone (saved before it existed)


@dataclass(frozen=True)
class ClassifierInfo:
    name: str
    latest_version: str
    active_version: str
    embedding_model: str
    metrics: dict[str, Any]
    version_count: int
    damaged: tuple[str, ...] = ()  # versions whose metadata cannot be read: left out, named here


@dataclass(frozen=True)
class LoadedClassifier:
    estimator: Any
    meta: ClassifierVersion
    gate: ExemplarGate | None = None


def validate_name(name: str) -> str:
    if not _NAME_PATTERN.fullmatch(name or ""):
        raise FoleycutError(f"Classifier name {name!r} is not usable: use letters, digits, '_', '-' or '.' only.")
    return name


def save_version(
    home: DataHome,
    name: str,
    estimator: Any,
    *,
    embedding_model: str,
    window: float,
    hop: float,
    folders: dict[str, Any],
    counts: dict[str, int],
    metrics: dict[str, Any],
    threshold: float = DEFAULT_THRESHOLD,
    feature_set: str = "raw",
    prior_shift: float = 0.0,
    gate: ExemplarGate | None = None,
) -> ClassifierVersion:
    skops_io = _skops_io()
    arrays = compact_scorer.export_arrays(estimator)
    compact = None if arrays is None else compact_scorer.to_bytes(arrays)
    gate_bytes = None if gate is None else gate.to_bytes()

    folder = home.models_dir / validate_name(name)
    folder.mkdir(exist_ok=True)
    version = _new_version(folder)
    meta = ClassifierVersion(
        name,
        version,
        embedding_model,
        float(window),
        float(hop),
        created=datetime.now().isoformat(timespec="seconds"),
        folders=folders,
        counts=counts,
        metrics=metrics,
        threshold=float(threshold),
        feature_set=feature_set,
        prior_shift=float(prior_shift),
        scorer_sha256="" if compact is None else hashlib.sha256(compact).hexdigest(),
        gate_sha256="" if gate_bytes is None else hashlib.sha256(gate_bytes).hexdigest(),
    )
    # The model files go first: a version only exists once its metadata does.
    write_atomically(folder / f"{version}.skops", skops_io.dumps(estimator))
    if compact is not None:
        write_atomically(folder / f"{version}.npz", compact)
    if gate_bytes is not None:
        write_atomically(folder / f"{version}.gate.npz", gate_bytes)
    meta_fields = {key: value for key, value in vars(meta).items() if key not in ("name", "version")}
    write_atomically(folder / f"{version}.json", json.dumps(meta_fields, indent=2).encode())
    write_atomically(folder / ACTIVE_FILE, version.encode())
    return meta


def list_versions(home: DataHome, name: str) -> list[ClassifierVersion]:
    """Every readable version of `name`, newest first (a version whose metadata cannot be read is left out)."""
    return _scan_versions(home, name)[0]


def _scan_versions(home: DataHome, name: str) -> tuple[list[ClassifierVersion], list[str]]:
    folder = _existing_folder(home, name)
    stems = sorted((p.stem for p in folder.glob("*.json") if p.with_suffix(".skops").is_file()), reverse=True)
    readable, damaged = [], []
    for stem in stems:
        try:
            readable.append(_read_meta(folder, name, stem))
        except FoleycutError:
            damaged.append(stem)
    return readable, damaged


def active_version(home: DataHome, name: str) -> str:
    folder = _existing_folder(home, name)
    pointer = folder / ACTIVE_FILE
    if pointer.is_file():
        chosen = pointer.read_text(encoding="utf-8", errors="replace").strip()
        if (folder / f"{chosen}.json").is_file():
            return chosen
    versions, damaged = _scan_versions(home, name)
    if not versions and damaged:
        _read_meta(folder, name, damaged[0])  # raises, saying what is wrong with it
    if not versions:
        raise FoleycutError(f"Classifier '{name}' has no saved version: train it again.")
    return versions[0].version


def list_classifiers(home: DataHome) -> list[ClassifierInfo]:
    infos = []
    for folder in sorted(p for p in home.models_dir.iterdir() if p.is_dir() and _NAME_PATTERN.fullmatch(p.name)):
        versions, damaged = _scan_versions(home, folder.name)
        if not versions:
            continue
        active = active_version(home, folder.name)
        current = next((v for v in versions if v.version == active), versions[0])
        infos.append(
            ClassifierInfo(
                folder.name,
                versions[0].version,
                current.version,
                current.embedding_model,
                current.metrics,
                len(versions),
                tuple(damaged),
            )
        )
    return infos


def load_classifier(home: DataHome, name: str, version: str | None = None) -> LoadedClassifier:
    """The given version of `name`, else its active one."""
    folder = _existing_folder(home, name)
    version = version or active_version(home, name)
    meta = _read_meta(folder, name, version)
    estimator = _load_estimator(folder / f"{version}.skops", meta.scorer_sha256)
    return LoadedClassifier(estimator, meta, _load_gate(folder / f"{version}.gate.npz", meta.gate_sha256))


def _load_gate(path: Path, sha256: str) -> ExemplarGate | None:
    if not sha256:
        return None

    def parse(data: bytes) -> ExemplarGate:
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ExemplarGateError("the file does not match its metadata")
        return ExemplarGate.from_bytes(data)

    try:
        return _load_once(path, parse)
    except (OSError, ExemplarGateError) as exc:
        raise FoleycutError(f"Classifier file {path} is missing or damaged ({exc}): train it again.") from exc


def _load_estimator(path: Path, scorer_sha256: str = "") -> Any:
    """The version's compact scorer when it has one and it is intact (no scikit-learn import, no pickle),
    else the skops estimator. Both score alike: `predict_proba`, `n_features_in_`."""
    compact = path.with_suffix(".npz")
    if scorer_sha256 and compact.is_file():
        try:
            return _load_once(compact, lambda data: _parse_compact(data, scorer_sha256))
        except compact_scorer.CompactScorerError:
            pass  # damaged or edited by hand: the skops file holds the same model, with its own checks
    return _load_once(path, lambda data: _parse_skops(path, data))


# Models this process loaded, by file identity: a rescan in the window (another threshold, the next video)
# skips the parse (skops: 0.3-0.6 s on a 2-core machine). Versions are never rewritten; size and mtime
# still catch a file replaced by hand. Models are only read (predict_proba), so sharing one is safe.
_LOADED_ESTIMATORS = 8  # files: a classifier's scorer and its gate are two
_loaded: dict[tuple[str, int, int], Any] = {}
_loaded_lock = threading.Lock()


def _load_once(path: Path, parse) -> Any:
    stat = path.stat()
    identity = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _loaded_lock:
        if identity in _loaded:
            return _loaded[identity]
    model = parse(path.read_bytes())
    with _loaded_lock:
        _loaded[identity] = model
        while len(_loaded) > _LOADED_ESTIMATORS:
            del _loaded[next(iter(_loaded))]  # the oldest: dicts keep insertion order
    return model


def _parse_compact(data: bytes, sha256: str) -> compact_scorer.CompactScorer:
    if hashlib.sha256(data).hexdigest() != sha256:
        raise compact_scorer.CompactScorerError("the file does not match its metadata")
    return compact_scorer.from_bytes(data)


def _parse_skops(path: Path, data: bytes) -> Any:
    skops_io = _skops_io()
    try:
        untrusted = set(skops_io.get_untrusted_types(data=data))
    except Exception as exc:  # any failure to parse means a damaged file
        raise FoleycutError(f"Classifier file {path} is damaged ({exc.__class__.__name__}): train it again.") from exc
    unexpected = untrusted - ALLOWED_TYPES
    if unexpected:
        raise FoleycutError(
            f"Classifier file {path} holds types Foleycut never writes ({', '.join(sorted(unexpected))}): "
            "refusing to load it; train the classifier again."
        )
    try:
        return skops_io.loads(data, trusted=sorted(untrusted))
    except Exception as exc:
        raise FoleycutError(f"Classifier file {path} is damaged ({exc.__class__.__name__}): train it again.") from exc


# On import, skops lists scikit-learn's estimators by importing every scikit-learn package, among them
# the array-API shims for torch, CuPy and Dask, which import those libraries when installed: torch alone
# costs 3 s and 350 MB in a process that only runs MEL. The walk also imports scikit-learn's test helpers,
# which import pytest when installed (0.2 s, 6 MB). The walk skips a package that fails to import, the
# helpers do without pytest, and no estimator lives in either place, so blocking them while skops loads
# leaves its trusted-type list as it was (checked when this was written: the same 10 kB of names).
_BLOCKED_WHILE_SKOPS_LOADS = (
    *(f"sklearn.externals.array_api_compat.{lib}" for lib in ("torch", "cupy", "dask")),
    "pytest",
)
_skops_import_lock = threading.Lock()


def _skops_io():
    """`skops.io`, imported without pulling in torch (or CuPy, Dask, pytest)."""
    with _skops_import_lock:
        if "skops.io" not in sys.modules:
            blocked = [name for name in _BLOCKED_WHILE_SKOPS_LOADS if name not in sys.modules]
            for name in blocked:
                # None in sys.modules: importing it raises ImportError (typeshed's dict type leaves None out)
                sys.modules[name] = None  # type: ignore[assignment]
            try:
                import skops.io
            finally:
                for name in blocked:
                    if sys.modules.get(name, ...) is None:
                        del sys.modules[name]
    import skops.io

    return skops.io


def rollback(home: DataHome, name: str, version: str) -> ClassifierVersion:
    """Make `version` the one scans use; newer versions stay on disk."""
    folder = _existing_folder(home, name)
    meta = _read_meta(folder, name, version)
    write_atomically(folder / ACTIVE_FILE, version.encode())
    return meta


def _existing_folder(home: DataHome, name: str) -> Path:
    folder = home.models_dir / validate_name(name)
    if not folder.is_dir():
        raise FoleycutError(f"No classifier named '{name}': train one first, or pick one from `models list`.")
    return folder


def _read_meta(folder: Path, name: str, version: str) -> ClassifierVersion:
    path = folder / f"{version}.json"
    if not path.is_file() or not path.with_suffix(".skops").is_file():
        raise FoleycutError(f"Classifier '{name}' has no version {version}: pick one from `models list`.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return _checked(ClassifierVersion(name=name, version=version, **data))
    except (ValueError, TypeError) as exc:  # not JSON, not UTF-8, unknown or missing fields, odd values
        raise FoleycutError(
            f"Classifier metadata {path} is damaged ({exc}): roll back to another version "
            "or train the classifier again."
        ) from exc


def _checked(meta: ClassifierVersion) -> ClassifierVersion:
    """Refuse metadata Foleycut never writes (`counts: null`, `window: 0`, …) before anything relies on it."""
    for field_name in ("window", "hop"):
        value = getattr(meta, field_name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
            raise ValueError(f"{field_name} {value!r} is not a positive number of seconds")
    for field_name in ("folders", "counts", "metrics"):
        if not isinstance(getattr(meta, field_name), dict):
            raise TypeError(f"{field_name} is not a mapping")
    if not isinstance(meta.embedding_model, str) or not meta.embedding_model:
        raise ValueError("no embedding model is named")
    if (
        isinstance(meta.threshold, bool)
        or not isinstance(meta.threshold, (int, float))
        or not 0.0 <= meta.threshold <= 1.0
    ):
        raise ValueError(f"threshold {meta.threshold!r} is not a number between 0 and 1")
    if meta.feature_set not in FEATURE_SETS:
        raise ValueError(f"feature set {meta.feature_set!r} is not one Foleycut writes")
    if not isinstance(meta.prior_shift, (int, float)) or not abs(meta.prior_shift) < float("inf"):
        raise ValueError(f"prior_shift {meta.prior_shift!r} is not a finite number")
    for field_name in ("scorer_sha256", "gate_sha256"):
        value = getattr(meta, field_name)
        if not isinstance(value, str) or not re.fullmatch(r"([0-9a-f]{64})?", value):
            raise ValueError(f"{field_name} {value!r} is not a SHA-256 in hex")
    for key in ("precision", "recall", "average_precision", "threshold"):
        value = meta.metrics.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise ValueError(f"metric {key} {value!r} is not a number between 0 and 1")
    return meta


def _new_version(folder: Path) -> str:
    version = datetime.now().strftime(VERSION_FORMAT)
    while (folder / f"{version}.json").exists():  # two saves within one clock tick: wait for the next
        version = datetime.now().strftime(VERSION_FORMAT)
    return version
