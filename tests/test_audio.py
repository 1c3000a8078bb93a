import numpy as np
import pytest

from core.audio import SAMPLE_RATE, AudioDecodeError, audio_duration, decode_audio, iter_audio_blocks
from tests.media_factory import make_video, tone_burst_track, write_wav


@pytest.fixture
def wav(tmp_path):
    samples = tone_burst_track(5.0, [1.0, 3.0], seed=1)
    return write_wav(tmp_path / "a.wav", samples), samples


def test_decode_wav_has_16k_length_and_matches_samples(wav):
    path, samples = wav
    decoded = decode_audio(path)
    assert decoded.dtype == np.float32
    assert len(decoded) == len(samples) == 5 * SAMPLE_RATE
    assert np.max(np.abs(decoded - samples)) < 1e-3  # PCM16 quantisation only


def test_streaming_blocks_concatenate_to_the_whole(wav):
    path, _ = wav
    blocks = list(iter_audio_blocks(path, block_seconds=0.7))
    assert all(len(b) == int(0.7 * SAMPLE_RATE) for b in blocks[:-1])
    assert np.array_equal(np.concatenate(blocks), decode_audio(path))


def test_video_audio_is_resampled_to_16k(tmp_path):
    video = make_video(tmp_path / "v.mp4", 2.0, audio="sine")
    decoded = decode_audio(video)
    assert abs(len(decoded) / SAMPLE_RATE - 2.0) < 0.05
    assert abs(audio_duration(video) - 2.0) < 0.1


def test_start_and_duration_select_a_part(wav):
    path, samples = wav
    part = decode_audio(path, start=1.0, duration=0.5)
    assert len(part) == SAMPLE_RATE // 2
    assert np.max(np.abs(part - samples[SAMPLE_RATE: SAMPLE_RATE * 3 // 2])) < 1e-3


def test_stopping_early_does_not_hang(wav):
    path, _ = wav
    first = next(iter_audio_blocks(path, block_seconds=0.1))
    assert len(first) == SAMPLE_RATE // 10


@pytest.mark.parametrize("kind", ["missing", "empty", "garbage", "no_audio", "truncated"])
def test_bad_inputs_give_one_line_errors(tmp_path, kind):
    path = tmp_path / "bad.mp4"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "garbage":
        path.write_bytes(b"this is not a media file" * 100)
    elif kind == "no_audio":
        make_video(path, 1.0, audio=None)
    elif kind == "truncated":
        whole = make_video(tmp_path / "whole.mp4", 2.0).read_bytes()
        path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(AudioDecodeError) as info:
        decode_audio(path)
    message = str(info.value)
    assert "\n" not in message and path.name in message
    with pytest.raises(AudioDecodeError):
        audio_duration(path)


def test_no_audio_message_says_so(tmp_path):
    path = make_video(tmp_path / "silent.mp4", 1.0, audio=None)
    with pytest.raises(AudioDecodeError, match="no audio track"):
        decode_audio(path)
