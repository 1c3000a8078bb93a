import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.regions import Region, fuse_windows

WINDOW = 8.0


@st.composite
def scored_windows(draw):
    """Distinct window starts on a 0.5 s grid with a probability each, in any order."""
    steps = draw(st.lists(st.integers(0, 400), unique=True, max_size=60))
    probs = draw(st.lists(st.floats(0, 1), min_size=len(steps), max_size=len(steps)))
    return [step * 0.5 for step in steps], probs


def _hits(times, probs, threshold):
    return [(t, p) for t, p in zip(times, probs) if p >= threshold]


def test_overlapping_windows_fuse_and_far_ones_stay_apart():
    times = [0, 1, 2, 3, 20, 40]
    probs = [0.1, 0.7, 0.9, 0.6, 0.8, 0.2]
    assert fuse_windows(times, probs, WINDOW, 0.5) == [Region(1, 11, 0.9), Region(20, 28, 0.8)]


def test_touching_windows_fuse_and_merge_gap_bridges_small_gaps():
    assert fuse_windows([0, 8], [1, 1], WINDOW, 0.5) == [Region(0, 16, 1)]
    assert len(fuse_windows([0, 10], [1, 1], WINDOW, 0.5)) == 2
    assert fuse_windows([0, 10], [1, 1], WINDOW, 0.5, merge_gap=2) == [Region(0, 18, 1)]


def test_min_length_drops_short_regions():
    regions = fuse_windows([0, 1, 2, 30], [1, 1, 1, 1], WINDOW, 0.5, min_length=9)
    assert regions == [Region(0, 10, 1)]


def test_mismatched_inputs_are_rejected():
    with pytest.raises(ValueError):
        fuse_windows([0, 1], [0.5], WINDOW, 0.5)


@given(scored_windows(), st.floats(0, 1), st.floats(0, 5))
def test_regions_are_sorted_disjoint_and_separated(windows, threshold, merge_gap):
    regions = fuse_windows(*windows, WINDOW, threshold, merge_gap=merge_gap)
    for before, after in zip(regions, regions[1:]):
        assert before.end + merge_gap < after.start
    assert all(region.start < region.end for region in regions)


@given(scored_windows(), st.floats(0, 1))
def test_every_window_above_threshold_is_covered(windows, threshold):
    regions = fuse_windows(*windows, WINDOW, threshold)
    for start, _ in _hits(*windows, threshold):
        assert any(r.start <= start and start + WINDOW <= r.end for r in regions)


@given(scored_windows(), st.floats(0, 1))
def test_region_is_exactly_the_span_and_best_score_of_its_windows(windows, threshold):
    hits = _hits(*windows, threshold)
    for region in fuse_windows(*windows, WINDOW, threshold):
        inside = [(t, p) for t, p in hits if region.start <= t and t + WINDOW <= region.end]
        assert region.start == min(t for t, _ in inside)
        assert region.end == max(t for t, _ in inside) + WINDOW
        assert region.score == max(p for _, p in inside)


@given(scored_windows(), st.floats(0, 1), st.floats(0, 40))
def test_min_length_only_removes_regions_shorter_than_it(windows, threshold, min_length):
    everything = fuse_windows(*windows, WINDOW, threshold)
    kept = fuse_windows(*windows, WINDOW, threshold, min_length=min_length)
    assert kept == [region for region in everything if region.length >= min_length]
