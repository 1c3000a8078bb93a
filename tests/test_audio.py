import threading
import time

import numpy as np
import pytest

from core.audio import (
    SAMPLE_RATE,
    AudioDecodeError,
    ReadAhead,
    audio_duration,
    decode_audio,
    iter_audio_blocks,
    truncation_tolerance,
)
from core.ffmpeg import run_ffmpeg
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


@pytest.mark.parametrize(
    ("source", "rate"),
    [
        ("sine=f=440:d=4.3,aformat=channel_layouts=stereo", 44100),
        ("sine=f=300:d=3.1,pan=5.1|c0=c0|c1=0.5*c0|c2=c0|c3=c0|c4=c0|c5=c0", 48000),
    ],
)
@pytest.mark.parametrize(("start", "duration"), [(0.0, None), (1.3, 1.1)])
def test_decoded_samples_are_ffmpegs_own_downmix_and_resampling(tmp_path, source, rate, start, duration):
    # the decoder regroups ffmpeg's frames for speed: the samples must be those of the plain command
    media = tmp_path / "m.m4a"
    assert run_ffmpeg(["-y", "-f", "lavfi", "-i", source, "-ar", str(rate), "-c:a", "aac", str(media)]).returncode == 0
    plain = tmp_path / "plain.f32"
    window = (["-ss", str(start)] if start else []) + ["-i", str(media)] + (["-t", str(duration)] if duration else [])
    args = ["-y", *window, "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", str(plain)]
    assert run_ffmpeg(args).returncode == 0

    decoded = decode_audio(media, start=start, duration=duration)

    assert len(decoded) > SAMPLE_RATE and np.array_equal(decoded, np.fromfile(plain, np.float32))


@pytest.mark.parametrize("name", ["a b,c;[d]'e:f=g%h ü.m4a", "-x\\y.m4a", "http:z.m4a"])
def test_a_whole_track_decodes_whatever_characters_its_name_holds(tmp_path, name):
    # a whole track goes through a filtergraph, where `,;[]:'\` would otherwise split or end the name
    media = tmp_path / name
    made = run_ffmpeg(["-y", "-f", "lavfi", "-i", "sine=f=440:d=1.5", "-c:a", "aac", "-f", "mp4", f"file:{media}"])
    assert made.returncode == 0
    plain = tmp_path / "plain.f32"
    args = ["-y", "-i", f"file:{media}", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", str(plain)]
    assert run_ffmpeg(args).returncode == 0

    assert np.array_equal(decode_audio(media), np.fromfile(plain, np.float32))


def test_start_and_duration_select_a_part(wav):
    path, samples = wav
    part = decode_audio(path, start=1.0, duration=0.5)
    assert len(part) == SAMPLE_RATE // 2
    assert np.max(np.abs(part - samples[SAMPLE_RATE : SAMPLE_RATE * 3 // 2])) < 1e-3


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


def cut_short(source, target, fraction=0.3):
    """The first `fraction` of the bytes of `source`, as an interrupted copy or download leaves them."""
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


@pytest.fixture(params=["mkv", "mp4_faststart"])
def truncated(request, tmp_path):
    """A 20 s video cut at 30 % of its bytes whose header still announces 20 s: Matroska, and MP4 with the
    index at the front (`+faststart`), both decode without an error up to the cut."""
    whole = make_video(tmp_path / "whole.mp4", 20.0)
    if request.param == "mkv":
        copy = tmp_path / "whole.mkv"
        run_ffmpeg(["-i", str(whole), "-c", "copy", str(copy)], check=True)
    else:
        copy = tmp_path / "whole_faststart.mp4"
        run_ffmpeg(["-i", str(whole), "-c", "copy", "-movflags", "+faststart", str(copy)], check=True)
    return cut_short(copy, tmp_path / f"cut{copy.suffix}")


@pytest.mark.slow
def test_audio_ending_before_the_announced_duration_is_a_truncated_file(truncated):
    expected = audio_duration(truncated)
    assert expected > 19
    with pytest.raises(AudioDecodeError) as info:
        list(iter_audio_blocks(truncated, expected_seconds=expected))
    message = str(info.value)
    assert "\n" not in message and truncated.name in message and "truncated" in message


@pytest.mark.slow
def test_a_complete_file_decodes_to_its_announced_duration(tmp_path):
    video = make_video(tmp_path / "v.mp4", 20.0)
    expected = audio_duration(video)
    decoded = sum(map(len, iter_audio_blocks(video, expected_seconds=expected))) / SAMPLE_RATE
    assert abs(decoded - expected) < truncation_tolerance(expected)


def _numbered(count, fail_after=None, closed=None):
    try:
        for i in range(count):
            if i == fail_after:
                raise AudioDecodeError("broken")
            yield np.full(3, i, np.float32)
    finally:
        if closed is not None:
            closed.set()


def test_read_ahead_yields_every_block_in_order():
    with ReadAhead(_numbered(50), max_blocks=2) as blocks:
        assert [int(b[0]) for b in blocks] == list(range(50))


def test_read_ahead_raises_the_decoders_error_after_the_good_blocks():
    got = []
    with pytest.raises(AudioDecodeError, match="broken"), ReadAhead(_numbered(10, fail_after=4)) as blocks:
        got.extend(int(b[0]) for b in blocks)
    assert got == [0, 1, 2, 3]


def test_read_ahead_stays_bounded_and_closing_stops_the_decoder():
    produced, closed = [], threading.Event()

    def counting():
        for block in _numbered(1000, closed=closed):
            produced.append(block)
            yield block

    reader = ReadAhead(counting(), max_blocks=3)
    next(reader)
    time.sleep(0.2)
    assert len(produced) <= 1 + 3 + 1  # the consumed one, a full queue, one waiting to be put
    reader.close()
    assert closed.is_set()


def test_read_ahead_stops_ffmpeg_when_closed_early(wav):
    path, _ = wav
    reader = ReadAhead(iter_audio_blocks(path, block_seconds=0.1), max_blocks=1)
    assert len(next(reader)) == SAMPLE_RATE // 10
    reader.close()  # returns only once the decoder thread closed the pipe and reaped ffmpeg
