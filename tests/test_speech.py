"""Speech marking: Silero VAD's packaged ONNX weights run through onnxruntime, no torch, sane segments."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

from core.home import DataHome
from core.regions import Region
from core.speech import (
    FRAME_SECONDS,
    SpeechModel,
    SpeechSegment,
    detect_speech,
    model_path,
    segments_from_probabilities,
    speech_overlap,
    without_speech,
)
from tests.media_factory import make_video

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def frames(*spans, total=20.0, level=0.9):
    """Frame probabilities: `level` inside the (start, end) spans, 0.05 elsewhere."""
    times = np.arange(int(total / FRAME_SECONDS)) * FRAME_SECONDS
    probs = np.full(len(times), 0.05)
    for start, end in spans:
        probs[(times >= start) & (times < end)] = level
    return probs


def test_segments_follow_the_probabilities_with_padding_and_minimum_lengths():
    segments = segments_from_probabilities(frames((2, 5), (5.1, 6), (10, 10.1), (14, 16)))
    assert [(round(s.start, 1), round(s.end, 1)) for s in segments] == [(1.9, 6.1), (13.9, 16.1)]
    assert all(s.score == 0.9 for s in segments)  # a 0.1 s dip does not split; a 0.1 s blip is no speech
    assert segments_from_probabilities(frames()) == []
    assert segments_from_probabilities(frames((18, 20)), duration=20.0)[-1].end == 20.0


def test_regions_mostly_in_speech_are_left_out():
    speech = [SpeechSegment(10, 20, 0.9)]
    assert speech_overlap(15, 25, speech) == 0.5
    regions = [Region(12, 14, 0.9), Region(18, 30, 0.8), Region(40, 41, 0.7)]
    assert without_speech(regions, speech) == regions[1:]


@pytest.mark.slow
def test_noise_has_no_speech_and_results_are_cached(tmp_path):
    home = DataHome.resolve(tmp_path / "home")
    video = make_video(tmp_path / "noise.mp4", 12.0, size=(32, 24), fps=2)
    assert detect_speech(video, home) == []
    assert list((home.root / "cache" / "speech").glob("*.json"))
    assert detect_speech(video, home) == []
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.2, 16000 * 20).astype(np.float32)
    probs = SpeechModel().probabilities([noise[:70000], noise[70000:]])  # blocks of any length
    assert len(probs) == int(np.ceil(len(noise) / 512)) and probs.max() < 0.5


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng makes the speech (apt install espeak-ng)")
def test_synthesised_speech_is_found_where_it_is(tmp_path):
    import soundfile as sf
    from scipy.signal import resample_poly

    wav = tmp_path / "speech.wav"
    subprocess.run(
        [
            "espeak-ng",
            "-w",
            str(wav),
            "The quick brown fox jumps over the lazy dog, and then it runs away into the forest.",
        ],
        check=True,
    )
    voice, rate = sf.read(wav, dtype="float32")
    voice = resample_poly(voice, 16000, rate).astype(np.float32)
    rng = np.random.default_rng(1)
    track = np.concatenate([rng.normal(0, 0.01, 16000 * 6), voice, rng.normal(0, 0.01, 16000 * 8)])
    video = make_video(tmp_path / "talk.mp4", len(track) / 16000, audio=track.astype(np.float32), size=(32, 24), fps=2)
    segments = detect_speech(video)
    voice_end = 6 + len(voice) / 16000
    assert len(segments) >= 1
    assert 5.5 <= segments[0].start <= 6.5 and voice_end - 1.0 <= segments[-1].end <= voice_end + 0.6


def test_the_weights_come_from_the_package_and_torch_is_never_imported(tmp_path):
    assert model_path().name.endswith(".onnx") and "silero_vad" in str(model_path())
    video = make_video(tmp_path / "v.mp4", 3.0, size=(32, 24), fps=2)
    code = (
        "import sys; sys.path.insert(0, '.'); from core.speech import detect_speech; "
        f"detect_speech({str(video)!r}); print('torch' in sys.modules, 'silero_vad' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
