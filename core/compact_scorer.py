"""A trained classifier as plain arrays, scored with numpy alone: no scikit-learn, no pickle.

Foleycut's classifier is scikit-learn's sigmoid-calibrated ensemble of gradient-boosted trees: per calibration
fold one booster (a baseline plus ~100 trees) and one sigmoid, the folds' probabilities averaged. Loading it
through skops imports scikit-learn (seconds on a busy machine), and scikit-learn walks every tree for one
window at a time. `export_arrays` writes the same model as arrays (each tree's nodes, each fold's baseline
and sigmoid); `CompactScorer` scores all the windows of a file with them, 64 windows per machine word:

1. each (feature, threshold) pair the trees test becomes a bit set over the windows: those that go right;
2. level by level, a node's windows are its parent's ANDed with that set or its complement, down to the
   leaves, so each leaf holds the windows that end in it;
3. each tree's leaf number per window is read back from bit planes (an 8 x 8 bit transpose); the numbers of
   a few trees (12 bits together) index a table of their summed leaf values; the sums per fold go through
   the fold's sigmoid.

On a 2-core machine this scores 28,800 windows with 300 trees in ~60 ms of CPU (full 31-leaf trees: ~130),
where scikit-learn's predict_proba takes ~2 s (bench/scan_bench.py, rescan).

The comparisons and leaves are scikit-learn's, so probabilities equal `predict_proba` to rounding (only the
order of the additions differs); `export_arrays` checks that on probe windows before anything is written.
"""

from __future__ import annotations

import io
import os
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np

FORMAT_VERSION = 1
_NODE_FIELDS = ("feature", "threshold", "left", "right", "value", "is_leaf", "missing_go_to_left")
_CHUNK = 4096  # windows scored at once (a multiple of 64): a chunk's node sets stay in the CPU caches
_THREADS = min(2, os.cpu_count() or 1)
_INDEX_BITS = 12  # leaf numbers of trees together index a table of up to 4096 sums (32 kB: cache-sized)
_ALL = np.uint64(0xFFFF_FFFF_FFFF_FFFF)


class _Fold(NamedTuple):
    """One cross-validation fold of the ensemble: its booster's start value, sigmoid and trees."""

    baseline: float
    calibrator: Any  # sklearn's _SigmoidCalibration (fitted a_, b_)
    trees: list[np.ndarray]


class CompactScorerError(ValueError):
    """The arrays do not describe a model this module can score."""


def export_arrays(estimator) -> dict[str, np.ndarray] | None:
    """The arrays of a fitted sigmoid-calibrated `HistGradientBoostingClassifier` ensemble, or None for any
    other estimator (or one the arrays would not reproduce): that one is scored through scikit-learn."""
    from sklearn.calibration import CalibratedClassifierCV, _SigmoidCalibration
    from sklearn.ensemble import HistGradientBoostingClassifier

    if not (isinstance(estimator, CalibratedClassifierCV) and len(estimator.classes_) == 2):
        return None
    folds: list[_Fold] = []
    for calibrated in estimator.calibrated_classifiers_:
        booster, calibrators = calibrated.estimator, calibrated.calibrators
        if not (
            isinstance(booster, HistGradientBoostingClassifier)
            and calibrated.method == "sigmoid"
            and len(calibrators) == 1
            and type(calibrators[0]) is _SigmoidCalibration
            and booster.n_trees_per_iteration_ == 1
            and list(booster.classes_) == list(estimator.classes_)
            and booster.n_features_in_ == estimator.n_features_in_
        ):
            return None
        trees = [predictor.nodes for (predictor,) in booster._predictors]
        if any(tree["is_categorical"].any() for tree in trees):
            return None
        folds.append(_Fold(float(np.ravel(booster._baseline_prediction)[0]), calibrators[0], trees))
    trees = [tree for fold in folds for tree in fold.trees]
    nodes = np.concatenate(trees)
    arrays = {
        "format": np.array(FORMAT_VERSION),
        "n_features": np.array(estimator.n_features_in_),
        "baseline": np.array([fold.baseline for fold in folds]),
        "sigmoid_a": np.array([float(fold.calibrator.a_) for fold in folds]),
        "sigmoid_b": np.array([float(fold.calibrator.b_) for fold in folds]),
        "fold_trees": np.array([len(fold.trees) for fold in folds]),
        "tree_nodes": np.array([len(tree) for tree in trees]),
        "feature": nodes["feature_idx"].astype(np.int64),
        "threshold": nodes["num_threshold"].astype(np.float64),
        "left": nodes["left"].astype(np.int64),
        "right": nodes["right"].astype(np.int64),
        "value": nodes["value"].astype(np.float64),
        "is_leaf": nodes["is_leaf"].astype(bool),
        "missing_go_to_left": nodes["missing_go_to_left"].astype(bool),
    }
    try:
        scorer = CompactScorer(arrays)
    except CompactScorerError:
        return None
    probe = scorer.probe_windows()
    if not np.allclose(scorer.predict_proba(probe), estimator.predict_proba(probe), rtol=0, atol=1e-9):
        return None  # scikit-learn's internals moved on: keep to skops rather than score differently
    return arrays


def to_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    # numpy's stub lets **arrays bind savez's allow_pickle: bool; these keys are array names only
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def from_bytes(data: bytes) -> CompactScorer:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise CompactScorerError(f"not a readable array file ({exc.__class__.__name__})") from exc
    return CompactScorer(arrays)


class CompactScorer:
    """Scores windows as the exported estimator's `predict_proba` does."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        try:
            self._build(arrays)
        except (KeyError, TypeError, IndexError, ValueError) as exc:
            if isinstance(exc, CompactScorerError):
                raise
            raise CompactScorerError(f"malformed arrays ({exc.__class__.__name__}: {exc})") from exc

    # ------------------------------------------------------------------------------------------ scoring

    def predict_proba(self, features) -> np.ndarray:
        positive = self.positive_probability(features)
        return np.column_stack([1.0 - positive, positive])

    def positive_probability(self, features) -> np.ndarray:
        """The probability of the positive class, averaged over the calibration folds."""
        x = np.asarray(features)
        if x.dtype != np.float32:
            x = x.astype(np.float64)  # what scikit-learn compares in; float32 compares exactly as is
        if x.ndim != 2 or x.shape[1] != self.n_features_in_:
            raise ValueError(f"expected windows of {self.n_features_in_} features, got shape {x.shape}")
        n = len(x)
        raw = np.empty((len(self._baseline), n))

        def score(start: int) -> None:
            raw[:, start : start + _CHUNK] = self._raw_chunk(x[start : start + _CHUNK])

        starts = range(0, n, _CHUNK)
        if len(starts) > 1 and _THREADS > 1:  # numpy lets go of the GIL in its loops: chunks run side by side
            with ThreadPoolExecutor(_THREADS) as pool:
                list(pool.map(score, starts))
        else:
            for start in starts:
                score(start)
        mean = np.zeros(n)
        for fold in range(len(raw)):  # scikit-learn's _SigmoidCalibration and CalibratedClassifierCV
            mean += 1.0 / (1.0 + np.exp(self._sigmoid_a[fold] * raw[fold] + self._sigmoid_b[fold]))
        return mean / len(raw)

    def _raw_chunk(self, x: np.ndarray) -> np.ndarray:
        """Each fold's booster output (baseline + trees) for up to `_CHUNK` windows."""
        sums = self._group_sums(self._threshold_bits(x), self._missing_bits(x))[:, : len(x)]
        return np.stack(
            [self._baseline[fold] + sums[groups].sum(axis=0) for fold, groups in enumerate(self._fold_groups)]
        )

    def _threshold_bits(self, x: np.ndarray) -> np.ndarray:
        """(threshold row, word) bit sets: window w goes right at row r when bit w is set."""
        columns = np.empty(x.shape[::-1], x.dtype)
        for start in range(0, len(x), 256):  # in blocks that stay in cache: twice as fast as one transpose
            columns[:, start : start + 256] = x[start : start + 256].T
        thresholds = self._thresholds32 if x.dtype == np.float32 else self._thresholds
        words = -(-len(x) // 64)
        bits = np.zeros((len(thresholds), words * 8), np.uint8)
        for feature in self._tested_features:
            rows = slice(self._feature_rows[feature], self._feature_rows[feature + 1])
            bits[rows, : -(-len(x) // 8)] = np.packbits(
                columns[feature] > thresholds[rows, None], axis=1, bitorder="little"
            )
        return bits.view(np.uint64)

    def _missing_bits(self, x: np.ndarray) -> np.ndarray | None:
        """(feature, word) bit sets of NaN values (which go where each node says), or None without any."""
        missing = np.isnan(x)
        if not missing.any():
            return None
        words = -(-len(x) // 64)
        bits = np.zeros((x.shape[1], words * 8), np.uint8)
        bits[:, : -(-len(x) // 8)] = np.packbits(missing.T, axis=1, bitorder="little")
        return bits.view(np.uint64)

    def _group_sums(self, goes_right: np.ndarray, missing: np.ndarray | None) -> np.ndarray:
        """Summed leaf values per tree group (rows) for one chunk of windows (64 per word)."""
        words = goes_right.shape[1]
        reach = np.empty((self._level_starts[-1], words), np.uint64)
        reach[: self._level_starts[1]] = _ALL  # every window starts at every root
        for level, (internal, rows, features, missing_right) in enumerate(self._levels):
            parents = reach[self._level_starts[level] + internal]
            right = goes_right[rows]
            if missing is not None:
                right |= missing[features] & missing_right[:, None]
            first = self._level_starts[level + 1]
            np.bitwise_and(parents, ~right, out=reach[first : first + len(internal)])
            np.bitwise_and(parents, right, out=reach[first + len(internal) : first + 2 * len(internal)])
        planes = np.zeros((len(self._group_tables) * 16, words), np.uint64)
        for rows, leaves in self._plane_passes:
            planes[rows] |= reach[leaves]
        # Sixteen planes per group -> one 16-bit table index per window: transpose 8 x 8 bit blocks.
        blocks = planes.view(np.uint8).reshape(-1, 2, 8, words * 8).transpose(0, 1, 3, 2).copy().view(np.uint64)
        for shift, mask in ((7, 0x00AA00AA00AA00AA), (14, 0x0000CCCC0000CCCC), (28, 0x00000000F0F0F0F0)):
            shift, mask = np.uint64(shift), np.uint64(mask)
            swap = (blocks ^ (blocks >> shift)) & mask
            blocks ^= swap ^ (swap << shift)
        halves = blocks.view(np.uint8).reshape(-1, 2, words * 64)
        index = np.stack([halves[:, 0], halves[:, 1]], axis=-1).view(np.uint16)[..., 0].astype(np.int32)
        index += self._group_tables[:, None]
        return self._table_values[index]

    # ------------------------------------------------------------------------------------------ building

    def _build(self, arrays: dict[str, np.ndarray]) -> None:
        if sys.byteorder != "little":
            raise CompactScorerError("the bit transpose assumes a little-endian machine")
        if int(arrays["format"]) != FORMAT_VERSION:
            raise CompactScorerError(f"format {int(arrays['format'])} is not {FORMAT_VERSION}")
        self.n_features_in_ = int(arrays["n_features"])
        self._baseline, self._sigmoid_a, self._sigmoid_b = (
            np.asarray(arrays[key], np.float64).reshape(-1) for key in ("baseline", "sigmoid_a", "sigmoid_b")
        )
        fold_trees = np.asarray(arrays["fold_trees"], np.int64).reshape(-1)
        tree_nodes = np.asarray(arrays["tree_nodes"], np.int64).reshape(-1)
        feature, threshold, left, right, value, is_leaf, missing_left = (
            np.asarray(arrays[key]).reshape(-1) for key in _NODE_FIELDS
        )
        nodes = len(feature)
        if not (
            len(self._baseline) == len(self._sigmoid_a) == len(self._sigmoid_b) == len(fold_trees) >= 1
            and (fold_trees >= 1).all()
            and fold_trees.sum() == len(tree_nodes)
            and (tree_nodes >= 1).all()
            and tree_nodes.sum() == nodes
            and all(len(a) == nodes for a in (threshold, left, right, value, is_leaf, missing_left))
            and is_leaf.dtype == bool
            and missing_left.dtype == bool
            and self.n_features_in_ >= 1
            and np.isfinite(np.concatenate([self._baseline, self._sigmoid_a, self._sigmoid_b])).all()
        ):
            raise CompactScorerError("array sizes do not agree")
        tree_start = np.concatenate([[0], np.cumsum(tree_nodes)[:-1]])
        tree_of = np.repeat(np.arange(len(tree_nodes)), tree_nodes)
        internal = ~is_leaf
        feature, left, right = feature.astype(np.int64), left.astype(np.int64), right.astype(np.int64)
        own = np.arange(nodes) - tree_start[tree_of]
        # A tree: children come after their parent within the tree, every node but the root has one parent.
        if not (
            (feature[internal] >= 0).all()
            and (feature[internal] < self.n_features_in_).all()
            and (left[internal] > own[internal]).all()
            and (right[internal] > own[internal]).all()
            and (left[internal] < tree_nodes[tree_of[internal]]).all()
            and (right[internal] < tree_nodes[tree_of[internal]]).all()
            and not np.isnan(threshold[internal]).any()
        ):
            raise CompactScorerError("a node points outside its tree or tests an unknown feature")
        left = np.where(internal, left + tree_start[tree_of], -1)
        right = np.where(internal, right + tree_start[tree_of], -1)
        parents = np.bincount(np.concatenate([left[internal], right[internal]]), minlength=nodes)
        roots = np.zeros(nodes, bool)
        roots[tree_start] = True
        if not ((parents[~roots] == 1).all() and (parents[roots] == 0).all()):
            raise CompactScorerError("the nodes do not form trees")

        # Threshold rows: the distinct (feature, threshold) pairs, ordered by feature.
        tested = np.flatnonzero(internal)
        order = np.lexsort((threshold[tested], feature[tested]))
        pairs = np.stack([feature[tested][order].astype(np.float64), threshold[tested][order]])
        new_pair = np.concatenate([[True], (pairs[:, 1:] != pairs[:, :-1]).any(axis=0)])[: len(tested)]
        row_of = np.empty(nodes, np.int64)
        row_of[tested[order]] = np.cumsum(new_pair) - 1
        row_feature = feature[tested][order][new_pair]
        self._thresholds = threshold[tested][order][new_pair]
        # For float32 windows x: x > t exactly when x > the largest float32 not above t.
        self._thresholds32 = self._thresholds.astype(np.float32)
        above = self._thresholds32.astype(np.float64) > self._thresholds
        self._thresholds32[above] = np.nextafter(self._thresholds32[above], np.float32(-np.inf))
        self._feature_rows = np.searchsorted(row_feature, np.arange(self.n_features_in_ + 1))
        self._tested_features = np.flatnonzero(np.diff(self._feature_rows))

        # Levels in breadth-first order over all trees: level d + 1 holds the left children of level d's
        # internal nodes, then their right children, in the same order.
        level_nodes, self._levels = [tree_start], []
        while True:
            current = level_nodes[-1]
            inner = np.flatnonzero(internal[current])
            if not len(inner):
                break
            splitting = current[inner]
            self._levels.append(
                (inner, row_of[splitting], feature[splitting], np.where(missing_left[splitting], np.uint64(0), _ALL))
            )
            level_nodes.append(np.concatenate([left[splitting], right[splitting]]))
        self._level_starts = np.cumsum([0] + [len(level) for level in level_nodes])
        order = np.concatenate(level_nodes)
        leaf_position = np.flatnonzero(is_leaf[order])
        leaf_node = order[leaf_position]

        # Leaf numbers within each tree, and groups of trees (within a fold) whose numbers fit one index.
        by_tree = np.lexsort((leaf_node, tree_of[leaf_node]))
        leaf_position, leaf_node = leaf_position[by_tree], leaf_node[by_tree]
        leaf_tree = tree_of[leaf_node]
        leaf_counts = np.bincount(leaf_tree, minlength=len(tree_nodes))
        leaf_number = np.arange(len(leaf_node)) - np.concatenate([[0], np.cumsum(leaf_counts)[:-1]])[leaf_tree]
        tree_bits = np.array([int(count - 1).bit_length() for count in leaf_counts])  # 0: a one-leaf tree
        if tree_bits.max() > 16:
            raise CompactScorerError(f"a tree with {leaf_counts.max()} leaves is more than this scorer handles")
        # Trees of one fold, in order, share a group while their leaf numbers fit _INDEX_BITS together.
        group_of_tree, offset_of_tree = np.zeros_like(tree_bits), np.zeros_like(tree_bits)
        group_bits: list[int] = []
        self._fold_groups = []
        for first_tree, count in zip(np.cumsum(fold_trees) - fold_trees, fold_trees):
            first_group = len(group_bits)
            for tree in range(first_tree, first_tree + count):
                if len(group_bits) == first_group or group_bits[-1] + tree_bits[tree] > _INDEX_BITS:
                    group_bits.append(0)
                group_of_tree[tree], offset_of_tree[tree] = len(group_bits) - 1, group_bits[-1]
                group_bits[-1] += tree_bits[tree]
            self._fold_groups.append(slice(first_group, len(group_bits)))

        # Plane p of group g (row 16 g + p) holds the windows whose index has bit p set. A plane is the union
        # of a few leaves of one tree; OR-ing them in passes, the j-th leaf of every plane in pass j, keeps
        # each pass's rows distinct (a fancy-indexed |= applies a row once).
        has_bit = [(leaf_number >> k) & 1 == 1 for k in range(tree_bits.max())]
        plane_row = np.concatenate(
            [(group_of_tree * 16 + offset_of_tree + k)[leaf_tree[has]] for k, has in enumerate(has_bit)]
            + [np.zeros(0, np.int64)]
        )
        plane_leaf = np.concatenate([leaf_position[has] for has in has_bit] + [np.zeros(0, np.int64)])
        by_plane = np.argsort(plane_row, kind="stable")
        plane_row, plane_leaf = plane_row[by_plane], plane_leaf[by_plane]
        starts = np.flatnonzero(np.concatenate([[True], np.diff(plane_row) != 0]))
        rank = np.arange(len(plane_row)) - np.repeat(starts, np.diff(np.append(starts, len(plane_row))))
        self._plane_passes = [(plane_row[rank == j], plane_leaf[rank == j]) for j in range(rank.max(initial=-1) + 1)]

        # Tables: a group's summed leaf values for every index.
        leaf_start = np.concatenate([[0], np.cumsum(leaf_counts)])
        leaf_values = value[leaf_node]
        tables = [np.zeros(1 << bits) for bits in group_bits]
        for tree, (group, offset) in enumerate(zip(group_of_tree, offset_of_tree)):
            number = (np.arange(len(tables[group])) >> offset) & ((1 << tree_bits[tree]) - 1)
            values = np.zeros(1 << tree_bits[tree])
            values[: leaf_counts[tree]] = leaf_values[leaf_start[tree] : leaf_start[tree + 1]]
            tables[group] += values[number]
        self._table_values = np.concatenate(tables)
        self._group_tables = np.concatenate([[0], np.cumsum([len(table) for table in tables])[:-1]]).astype(np.int32)

    def probe_windows(self, count: int = 512, seed: int = 0) -> np.ndarray:
        """Windows whose features sit on, just above and just below the tested thresholds (and some NaN):
        where a scorer that compared differently would disagree."""
        rng = np.random.default_rng(seed)
        probe = rng.standard_normal((count, self.n_features_in_))
        for feature in self._tested_features:
            chosen = rng.choice(self._thresholds[self._feature_rows[feature] : self._feature_rows[feature + 1]], count)
            nudged = np.nextafter(chosen, rng.choice([-np.inf, np.inf], count))
            probe[:, feature] = np.where(rng.random(count) < 0.5, chosen, nudged)
        probe[rng.random(probe.shape) < 0.02] = np.nan
        return probe
