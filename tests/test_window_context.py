"""The context features: each window beside what it adds to the mean of its neighbourhood."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import window_context
from core.window_context import CONTEXT, CONTEXT_PER_VIDEO, RAW, feature_blocks, local_background, window_features


@given(st.integers(1, 60), st.sampled_from([0.25, 0.5, 1.0]))
def test_background_is_the_mean_of_the_windows_within_reach(count, hop):
    vectors = np.random.default_rng(count).standard_normal((count, 3)).astype(np.float32)
    reach = max(1, round(4.0 / hop))
    expected = [vectors[max(0, i - reach) : i + reach + 1].astype(np.float64).mean(axis=0) for i in range(count)]
    background = local_background(vectors, hop, seconds=4.0)
    assert background.dtype == np.float32
    assert np.allclose(background, expected, rtol=0, atol=1e-6)  # float32 rounding of float64 sums
    into = np.empty_like(vectors)
    assert local_background(vectors, hop, seconds=4.0, out=into) is into and np.array_equal(into, background)


def test_context_features_are_the_vector_beside_its_difference_from_the_background():
    vectors = np.random.default_rng(0).standard_normal((500, 4)).astype(np.float32)
    features = window_features(vectors, 0.25, CONTEXT)
    assert features.dtype == np.float32 and features.shape == (500, 8)
    assert np.array_equal(features[:, :4], vectors)
    assert np.allclose(features[:, 4:], vectors - local_background(vectors, 0.25), atol=1e-6)
    assert window_features(vectors, 0.25, RAW) is not None and window_features(vectors[:0], 0.25).shape == (0, 8)


@given(st.integers(0, 400), st.sampled_from([CONTEXT, CONTEXT_PER_VIDEO]), st.booleans())
def test_features_made_a_block_at_a_time_are_those_of_the_whole_file(count, feature_set, cached):
    vectors = np.random.default_rng(count).standard_normal((count, 3)).astype(np.float32)
    whole = window_features(vectors, 0.25, feature_set)
    vectors.flags.writeable = not cached  # the cache's vectors are read-only and their features kept whole
    blocks = list(feature_blocks(vectors, 0.25, feature_set))

    assert np.array_equal(np.concatenate(blocks), whole)  # the same numbers to the last bit
    assert [len(block) for block in blocks[:-1]] == [window_context.BLOCK_WINDOWS] * (len(blocks) - 1)
    assert len(blocks) == (1 if cached else max(1, -(-count // window_context.BLOCK_WINDOWS)))


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    monkeypatch.setattr(window_context, "BLOCK_WINDOWS", 64)  # files of a few hundred windows span blocks


def test_an_unknown_feature_set_is_refused():
    with pytest.raises(ValueError, match="unknown feature set"):
        window_features(np.zeros((3, 2), np.float32), 0.25, "wavelets")


def test_per_video_features_do_not_change_when_a_film_is_mixed_louder():
    vectors = np.random.default_rng(1).standard_normal((300, 5)).astype(np.float32)
    louder = vectors * 3 + 7  # every feature scaled and shifted, as a hotter mix moves log energies
    same = window_features(vectors, 0.25, CONTEXT_PER_VIDEO), window_features(louder, 0.25, CONTEXT_PER_VIDEO)
    assert np.allclose(*same, atol=1e-4)
    assert not np.allclose(window_features(vectors, 0.25, CONTEXT), window_features(louder, 0.25, CONTEXT))
    constant = window_features(np.ones((10, 2), np.float32), 0.25, CONTEXT_PER_VIDEO)
    assert np.array_equal(constant, np.zeros((10, 4), np.float32))  # no spread: no division by zero
