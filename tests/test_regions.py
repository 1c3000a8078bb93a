import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.regions import Region, fuse_windows

WINDOW = 8.0
HOP = 0.5  # the grid of scored_windows


@st.composite
def scored_windows(draw):
    """Distinct window starts on a 0.5 s grid with a probability each, in any order."""
    steps = draw(st.lists(st.integers(0, 400), unique=True, max_size=60))
    probs = draw(st.lists(st.floats(0, 1), min_size=len(steps), max_size=len(steps)))
    return [step * 0.5 for step in steps], probs


def _hits(times, probs, threshold):
    return [(t, p) for t, p in zip(times, probs) if p >= threshold]


def test_overlapping_windows_fuse_into_a_region_around_their_centres():
    times = [0, 1, 2, 3, 20, 40]
    probs = [0.1, 0.7, 0.9, 0.6, 0.8, 0.2]
    # centres 5, 6, 7 and 24, widened by half the 1 s hop
    assert fuse_windows(times, probs, WINDOW, 0.5) == [Region(4.5, 7.5, 0.9), Region(23.5, 24.5, 0.8)]


def test_a_short_sound_gets_a_region_where_it_is_not_where_the_windows_are():
    times = [t / 4 for t in range(40)]  # 1 s windows every 0.25 s; a 0.3 s sound at 5.0 s
    probs = [1.0 if t <= 5.0 and t + 1 >= 5.3 else 0.0 for t in times]
    (region,) = fuse_windows(times, probs, 1.0, 0.5)
    assert (region.start, region.end) == (4.875, 5.625)  # around 5.0-5.3; the union was 4.5-6.0


def test_touching_windows_fuse_and_merge_gap_bridges_small_gaps():
    assert fuse_windows([0, 8], [1, 1], WINDOW, 0.5, hop=1) == [Region(3.5, 12.5, 1)]
    assert len(fuse_windows([0, 10], [1, 1], WINDOW, 0.5)) == 2
    assert fuse_windows([0, 10], [1, 1], WINDOW, 0.5, merge_gap=2, hop=1) == [Region(3.5, 14.5, 1)]


def test_min_length_drops_short_regions():
    regions = fuse_windows([0, 1, 2, 30], [1, 1, 1, 1], WINDOW, 0.5, min_length=2)
    assert regions == [Region(3.5, 6.5, 1)]


def test_mismatched_inputs_are_rejected():
    with pytest.raises(ValueError):
        fuse_windows([0, 1], [0.5], WINDOW, 0.5)


@given(scored_windows(), st.floats(0, 1), st.floats(0, 5))
def test_regions_are_sorted_disjoint_and_separated(windows, threshold, merge_gap):
    regions = fuse_windows(*windows, WINDOW, threshold, merge_gap=merge_gap, hop=HOP)
    for before, after in itertools.pairwise(regions):
        assert before.end + merge_gap < after.start
    assert all(region.start < region.end for region in regions)


@given(scored_windows(), st.floats(0, 1))
def test_every_window_above_threshold_has_its_centre_in_a_region(windows, threshold):
    regions = fuse_windows(*windows, WINDOW, threshold, hop=HOP)
    for start, _ in _hits(*windows, threshold):
        assert any(r.start <= start + WINDOW / 2 <= r.end for r in regions)


@given(scored_windows(), st.floats(0, 1))
def test_region_spans_its_windows_centres_and_has_their_best_score(windows, threshold):
    hits = _hits(*windows, threshold)
    for region in fuse_windows(*windows, WINDOW, threshold, hop=HOP):
        inside = [(t, p) for t, p in hits if region.start <= t + WINDOW / 2 <= region.end]
        assert region.start == max(0.0, min(t for t, _ in inside) + WINDOW / 2 - HOP / 2)
        assert region.end == max(t for t, _ in inside) + WINDOW / 2 + HOP / 2
        assert region.score == max(p for _, p in inside)


@given(scored_windows(), st.floats(0, 1), st.floats(0, 40))
def test_min_length_only_removes_regions_shorter_than_it(windows, threshold, min_length):
    everything = fuse_windows(*windows, WINDOW, threshold, hop=HOP)
    kept = fuse_windows(*windows, WINDOW, threshold, min_length=min_length, hop=HOP)
    assert kept == [region for region in everything if region.length >= min_length]
