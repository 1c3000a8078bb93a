"""EAT's input: a 128-bin Kaldi-style log-mel filterbank (25 ms Hann window, 10 ms shift), 1024 frames,
normalised as (x + 4.268) / (4.569 * 2), and how EAT's 16 x 16 patch tokens map back to time.

torchaudio's `compliance.kaldi.fbank` computes it when torchaudio is installed (the reference the EAT
authors used); otherwise transformers' audio utilities reproduce the same Kaldi recipe (DC offset
removal, 0.97 pre-emphasis, symmetric Hann window, 512-point power spectrum, Kaldi mel scale 20 Hz–8 kHz).
"""
from __future__ import annotations

import importlib.util
import warnings
from functools import lru_cache

import numpy as np

from core.audio import SAMPLE_RATE

MEL_BINS = 128
TARGET_FRAMES = 1024
NORM_MEAN = -4.268
NORM_STD = 4.569
PATCH = 16  # EAT cuts the (time, frequency) image into 16 x 16 patches
FRAME_SHIFT_SECONDS = 0.01
FRAME_LENGTH = 400
HOP_LENGTH = 160
FFT_LENGTH = 512
_LOG_FLOOR = float(np.finfo(np.float32).eps)  # Kaldi's floor before the log
CAPACITY_SECONDS = ((TARGET_FRAMES - 1) * HOP_LENGTH + FRAME_LENGTH) / SAMPLE_RATE  # audio that fills 1024 frames


def torchaudio_available() -> bool:
    return importlib.util.find_spec("torchaudio") is not None


def fbank_torchaudio(samples: np.ndarray) -> np.ndarray:
    import torch
    import torchaudio

    waveform = torch.from_numpy(np.array(samples, dtype=np.float32)).unsqueeze(0)
    return torchaudio.compliance.kaldi.fbank(
        waveform, htk_compat=True, sample_frequency=SAMPLE_RATE, use_energy=False, window_type="hanning",
        num_mel_bins=MEL_BINS, dither=0.0, frame_shift=10).numpy()


@lru_cache(maxsize=1)
def _kaldi_mel_filters() -> np.ndarray:
    from transformers.audio_utils import mel_filter_bank

    # 128 Kaldi bins over 257 FFT bins leave the lowest filters empty, in Kaldi too: expected, not a bug
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="At least one mel filter has all zero values")
        return mel_filter_bank(num_frequency_bins=FFT_LENGTH // 2 + 1, num_mel_filters=MEL_BINS,
                               min_frequency=20.0, max_frequency=SAMPLE_RATE / 2, sampling_rate=SAMPLE_RATE,
                               norm=None, mel_scale="kaldi", triangularize_in_mel_space=True)


def fbank_transformers(samples: np.ndarray) -> np.ndarray:
    from transformers.audio_utils import spectrogram, window_function

    return spectrogram(
        np.asarray(samples, dtype=np.float64), window_function(FRAME_LENGTH, "hann", periodic=False),
        frame_length=FRAME_LENGTH, hop_length=HOP_LENGTH, fft_length=FFT_LENGTH, power=2.0, center=False,
        preemphasis=0.97, mel_filters=_kaldi_mel_filters(), log_mel="log", mel_floor=_LOG_FLOOR,
        remove_dc_offset=True).T.astype(np.float32)


def kaldi_fbank(samples: np.ndarray) -> np.ndarray:
    """(n_frames, 128) log-mel filterbank of a 16 kHz clip, with its mean removed first as EAT does."""
    samples = np.asarray(samples, dtype=np.float32)
    samples = samples - samples.mean()
    return fbank_torchaudio(samples) if torchaudio_available() else fbank_transformers(samples)


def eat_input(samples: np.ndarray) -> np.ndarray:
    """(1024, 128) normalised model input: longer audio is cut, shorter padded with zeros before normalising."""
    fbank = kaldi_fbank(samples)[:TARGET_FRAMES]
    padded = np.zeros((TARGET_FRAMES, MEL_BINS), np.float32)
    padded[: len(fbank)] = fbank
    return (padded - NORM_MEAN) / (NORM_STD * 2)


def patch_columns(tokens: np.ndarray) -> np.ndarray:
    """(n_tokens, dim) EAT output (CLS first, then patches time-major: t * 8 + f) -> (time columns, dim),
    each column the mean of its 8 frequency patches."""
    freq_patches = MEL_BINS // PATCH
    patches = tokens[1:]
    return patches.reshape(len(patches) // freq_patches, freq_patches, -1).mean(axis=1)


def column_centres(n_columns: int) -> np.ndarray:
    """Centre time (seconds) of each 16-frame time column."""
    first_frame = np.arange(n_columns) * PATCH
    return (first_frame + (PATCH - 1) / 2) * FRAME_SHIFT_SECONDS + FRAME_LENGTH / 2 / SAMPLE_RATE
