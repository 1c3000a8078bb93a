"""Subject tracking (OpenCV, no weights) and the streaming waveform peaks with their cache."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from core.crop_path import centre_at
from core.errors import Cancelled
from core.home import DataHome
from core.subject_tracker import track_subject
from core.waveform import BUCKETS_PER_SECOND, cached_peaks, column_peaks, compute_peaks, load_or_compute_peaks
from tests.media_factory import make_video, tone_burst_track
from tests.moving_subject import HEIGHT, SQUARE, WIDTH, make_moving_square, square_centre_x


@pytest.fixture(scope="module")
def moving_square(tmp_path_factory):
    return make_moving_square(tmp_path_factory.mktemp("moving") / "square.mp4", textured=True)


@pytest.mark.slow
def test_tracker_follows_the_moving_square(moving_square):
    box = (20, (HEIGHT - SQUARE) / 2, SQUARE, SQUARE)  # the square on the first frame
    result = track_subject(moving_square, 0.0, 3.5, box)
    assert result.lost_at is None
    assert 2 <= len(result.keyframes) < 20  # simplified: a straight glide needs few keyframes
    for t in (0.5, 1.5, 2.5, 3.3):
        # within 12 px of the subject's centre: the 40 px subject stays well inside a 102 px wide 9:16 crop
        assert centre_at(result.keyframes, t) * WIDTH == pytest.approx(square_centre_x(t), abs=12)


def test_tracking_rejects_a_tiny_box_and_cancels(moving_square):
    with pytest.raises(Exception, match="too small"):
        track_subject(moving_square, 0.0, 1.0, (10, 10, 2, 2))
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        track_subject(moving_square, 0.0, 3.0, (20, 70, 40, 40), cancel=cancel)


@pytest.fixture(scope="module")
def burst_video(tmp_path_factory):
    track = tone_burst_track(5.0, [2.0], noise=0.001)
    return make_video(tmp_path_factory.mktemp("wave") / "burst.mp4", 5.0, audio=track)


def test_peaks_show_the_burst_and_are_cached(burst_video, tmp_path):
    home = DataHome.resolve(tmp_path / "home")
    assert cached_peaks(home, burst_video) is None
    peaks = load_or_compute_peaks(home, burst_video, duration=5.0)
    assert len(peaks) == pytest.approx(5 * BUCKETS_PER_SECOND, abs=5)
    loud = np.flatnonzero(peaks[:, 1].astype(np.float32) > 0.2) / BUCKETS_PER_SECOND
    assert 1.95 < loud.min() and loud.max() < 2.7
    assert np.array_equal(cached_peaks(home, burst_video), peaks)


def test_column_peaks_fold_buckets_per_pixel():
    peaks = np.zeros((1000, 2), dtype=np.float16)  # 10 s
    peaks[500] = (-0.5, 0.9)
    lows, highs, has_audio = column_peaks(peaks, 0.0, 20.0, 100)  # 0.2 s a column; half the view has audio
    assert highs[25] == pytest.approx(0.9, abs=1e-3) and lows[25] == pytest.approx(-0.5, abs=1e-3)
    assert highs[24] == 0 and highs[26] == 0
    assert has_audio[:50].all() and not has_audio[50:].any()
    lows, highs, _ = column_peaks(peaks, 4.99, 0.05, 50)  # zoomed past one bucket a column
    assert highs.max() == pytest.approx(0.9, abs=1e-3)


def test_compute_peaks_cancels(burst_video):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        compute_peaks(burst_video, cancel=cancel)
