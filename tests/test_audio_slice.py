"""Extract audio: exact sample counts, the right place in the track, clear errors."""

from __future__ import annotations

import wave

import numpy as np
import pytest
import soundfile as sf

from core.audio_slice import extract_audio, slice_samples
from core.errors import FoleycutError
from tests.media_factory import SR, make_video, tone_burst_track

BURST_AT = 2.0


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return make_video(
        tmp_path_factory.mktemp("src") / "film.mp4", 5, audio=tone_burst_track(5, [BURST_AT], noise=0.001), fps=25
    )


@pytest.mark.parametrize(
    "at, length, rate", [(0.0, 1.0, None), (1.234, 0.3333, None), (2.5, 2.5, 16000), (0.7, 1.0, 44100)]
)
def test_slice_holds_exactly_round_length_times_rate_samples(source, tmp_path, at, length, rate):
    out = tmp_path / "slice.wav"
    result = extract_audio(source, at, length, out, rate)
    expected_rate = rate or SR
    with wave.open(str(out), "rb") as wav:
        assert (wav.getframerate(), wav.getnframes()) == (expected_rate, round(length * expected_rate))
    assert (result.rate, result.samples) == (expected_rate, slice_samples(length, expected_rate))


def test_slice_starts_where_asked(source, tmp_path):
    """A slice from 1.5 s matches the whole track from sample 1.5 * rate, around the burst at 2.0 s."""
    whole, rate = sf.read(extract_audio(source, 0.0, 5.0, tmp_path / "whole.wav").path)
    part, _ = sf.read(extract_audio(source, 1.5, 1.0, tmp_path / "part.wav").path)
    reference = whole[int(1.5 * rate) - 100 : int(2.5 * rate) + 100]
    lags = [np.abs(reference[100 + lag : 100 + lag + len(part)] - part).sum() for lag in range(-100, 101)]
    assert int(np.argmin(lags)) - 100 == 0


def test_slice_past_the_end_or_without_audio_is_refused(source, tmp_path):
    with pytest.raises(FoleycutError, match="does not fit"):
        extract_audio(source, 4.5, 1.0, tmp_path / "late.wav")
    silent = make_video(tmp_path / "silent.mp4", 2, audio=None)
    with pytest.raises(FoleycutError, match="no audio"):
        extract_audio(silent, 0.0, 1.0, tmp_path / "none.wav")
    assert not list(tmp_path.glob("*.wav")) and not list(tmp_path.glob(".*"))
