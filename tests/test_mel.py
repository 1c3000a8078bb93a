import shutil
import subprocess

import numpy as np
import pytest

from core.audio import SAMPLE_RATE, decode_audio
from core.mel import N_MELS, MelEmbedder, frame_centres, log_mel_frames, mel_filter_bank
from core.window_embeddings import embed_stream
from tests.media_factory import tone_burst_track


def test_filter_bank_has_64_nonempty_ascending_filters():
    bank = mel_filter_bank()
    assert bank.shape == (257, N_MELS)
    assert (bank.max(axis=0) > 0).all()
    assert (np.diff(bank.argmax(axis=0)) >= 0).all()


def test_frames_every_10ms_with_centres():
    frames = log_mel_frames(np.zeros(SAMPLE_RATE, np.float32))
    assert frames.shape == (98, N_MELS) and frames.dtype == np.float32
    assert np.allclose(frame_centres(3), [0.0125, 0.0225, 0.0325])
    assert log_mel_frames(np.zeros(399, np.float32)).shape == (0, N_MELS)


def test_a_tone_lights_up_the_band_holding_its_frequency():
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    for freq in (300.0, 1200.0, 4000.0):
        loudest = log_mel_frames(np.sin(2 * np.pi * freq * t).astype(np.float32)).mean(axis=0).argmax()
        assert abs(mel_filter_bank()[:, loudest].argmax() * SAMPLE_RATE / 512 - freq) < 0.1 * freq


def _reference_log_mel(samples: np.ndarray) -> np.ndarray:
    """The definition in float64 with numpy alone: Hann-windowed 25 ms frames every 10 ms, power spectrum,
    dense mel projection, natural log."""
    frames = np.lib.stride_tricks.sliding_window_view(samples.astype(np.float64), 400)[::160]
    power = np.abs(np.fft.rfft(frames * np.hanning(400), n=512, axis=1)) ** 2
    return np.log(power @ mel_filter_bank().astype(np.float64) + 1e-6)


def test_fast_frames_match_the_float64_definition():
    """scipy.fft in single precision and the sparse mel projection change nothing beyond float32 rounding:
    log energies agree within 1e-3 (absolute, in natural-log units) on noise, tones and silence."""
    rng = np.random.default_rng(3)
    t = np.arange(3 * SAMPLE_RATE) / SAMPLE_RATE
    for samples in (
        (rng.standard_normal(3 * SAMPLE_RATE) * 0.1).astype(np.float32),
        (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32),
        np.zeros(SAMPLE_RATE, np.float32),
    ):
        fast = log_mel_frames(samples)
        np.testing.assert_allclose(fast, _reference_log_mel(samples), rtol=0, atol=1e-3)
        assert fast.dtype == np.float32 and fast.flags.c_contiguous


def _speech_wav(text: str) -> bytes:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        pytest.skip("espeak-ng not installed")
    return subprocess.run([espeak, "--stdout", text], capture_output=True, check=True).stdout


def _event_windows(kind: str, seed: int, tmp_path) -> np.ndarray:
    """Ten 8 s windows of quiet noise, each holding one event of `kind` at a random place."""
    rng = np.random.default_rng(seed)
    audio = (rng.standard_normal(80 * SAMPLE_RATE) * 0.02).astype(np.float32)
    for k in range(10):
        start = (8 * k + rng.uniform(0.5, 5.5)) * SAMPLE_RATE
        if kind == "tone":
            event = tone_burst_track(1.0, [0.1], freq=rng.uniform(1000, 1500), noise=0.0, seed=seed)
        elif kind == "noise":
            event = (rng.standard_normal(SAMPLE_RATE // 2) * 0.3 * np.hanning(SAMPLE_RATE // 2)).astype(np.float32)
        else:
            wav = tmp_path / f"speech{k}.wav"
            wav.write_bytes(_speech_wav(["hello there", "open the door", "one two three"][k % 3]))
            event = decode_audio(wav)[: 2 * SAMPLE_RATE] * 0.5
        audio[int(start) : int(start) + len(event)] += event
    return embed_stream([audio], MelEmbedder(), "MEL", window=8.0, hop=8.0).vectors


@pytest.mark.slow
def test_mel_windows_separate_tone_noise_speech_and_background(tmp_path):
    """Leave-one-out nearest class centre on standardised MEL vectors: every window finds its own kind."""
    kinds = ["tone", "noise", "speech", "background"]
    vectors = {}
    for i, kind in enumerate(kinds):
        if kind == "background":
            quiet = (np.random.default_rng(9).standard_normal(80 * SAMPLE_RATE) * 0.02).astype(np.float32)
            vectors[kind] = embed_stream([quiet], MelEmbedder(), "MEL", window=8.0, hop=8.0).vectors
        else:
            vectors[kind] = _event_windows(kind, i, tmp_path)
    everything = np.vstack(list(vectors.values()))
    mean, std = everything.mean(axis=0), everything.std(axis=0) + 1e-6
    scaled = {kind: (v - mean) / std for kind, v in vectors.items()}
    for kind, windows in scaled.items():
        for i, window in enumerate(windows):
            centres = {
                other: np.delete(v, i, axis=0).mean(axis=0) if other == kind else v.mean(axis=0)
                for other, v in scaled.items()
            }
            nearest = min(centres, key=lambda other: np.linalg.norm(window - centres[other]))
            assert nearest == kind, f"a {kind} window looks like {nearest}"
