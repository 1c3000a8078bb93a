"""Kaldi-style log-mel filterbank, the input of the spectrogram transformers (EAT, BEATs): 25 ms frames every
10 ms (snip edges), DC offset removed per frame, 0.97 pre-emphasis, a Hann or Povey window, 512-point power
spectrum, 128 triangles on Kaldi's mel scale from 20 Hz to 8 kHz, natural log.

torchaudio's `compliance.kaldi.fbank` (the reference both model families were trained with) computes it when
torchaudio is installed; otherwise transformers' audio utilities reproduce the same recipe in numpy.
"""

from __future__ import annotations

import importlib.util
import warnings
from functools import lru_cache

import numpy as np

from core.audio import SAMPLE_RATE

MEL_BINS = 128
FRAME_LENGTH = 400  # samples: 25 ms
HOP_LENGTH = 160  # samples: 10 ms
FRAME_SHIFT_SECONDS = HOP_LENGTH / SAMPLE_RATE
FFT_LENGTH = 512
_LOG_FLOOR = float(np.finfo(np.float32).eps)  # Kaldi's floor before the log
WINDOWS = {"hanning": "hann", "povey": "povey"}  # Kaldi's window names -> transformers' names


def torchaudio_available() -> bool:
    return importlib.util.find_spec("torchaudio") is not None


def fbank_torchaudio(samples: np.ndarray, window: str = "hanning") -> np.ndarray:
    import torch
    import torchaudio

    waveform = torch.from_numpy(np.array(samples, dtype=np.float32)).unsqueeze(0)
    return torchaudio.compliance.kaldi.fbank(
        waveform,
        htk_compat=True,
        sample_frequency=SAMPLE_RATE,
        use_energy=False,
        window_type=window,
        num_mel_bins=MEL_BINS,
        dither=0.0,
        frame_shift=10,
    ).numpy()


@lru_cache(maxsize=1)
def _kaldi_mel_filters() -> np.ndarray:
    from transformers.audio_utils import mel_filter_bank

    # 128 Kaldi bins over 257 FFT bins leave the lowest filters empty, in Kaldi too: expected, not a bug
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="At least one mel filter has all zero values")
        return mel_filter_bank(
            num_frequency_bins=FFT_LENGTH // 2 + 1,
            num_mel_filters=MEL_BINS,
            min_frequency=20.0,
            max_frequency=SAMPLE_RATE / 2,
            sampling_rate=SAMPLE_RATE,
            norm=None,
            mel_scale="kaldi",
            triangularize_in_mel_space=True,
        )


def fbank_transformers(samples: np.ndarray, window: str = "hanning") -> np.ndarray:
    from transformers.audio_utils import spectrogram, window_function

    return spectrogram(
        np.asarray(samples, dtype=np.float64),
        window_function(FRAME_LENGTH, WINDOWS[window], periodic=False),
        frame_length=FRAME_LENGTH,
        hop_length=HOP_LENGTH,
        fft_length=FFT_LENGTH,
        power=2.0,
        center=False,
        preemphasis=0.97,
        mel_filters=_kaldi_mel_filters(),
        log_mel="log",
        mel_floor=_LOG_FLOOR,
        remove_dc_offset=True,
    ).T.astype(np.float32)


def kaldi_fbank(samples: np.ndarray, window: str = "hanning") -> np.ndarray:
    """(n_frames, 128) log-mel filterbank of a 16 kHz clip; n_frames = 1 + (len - 400) // 160."""
    samples = np.asarray(samples, dtype=np.float32)
    return fbank_torchaudio(samples, window) if torchaudio_available() else fbank_transformers(samples, window)


def frame_count(n_samples: int) -> int:
    return max(0, 1 + (n_samples - FRAME_LENGTH) // HOP_LENGTH)


def patch_column_centres(n_columns: int, patch: int) -> np.ndarray:
    """Centre time (seconds) of each `patch`-frame time column of a patch grid over the fbank."""
    first_frame = np.arange(n_columns) * patch
    return (first_frame + (patch - 1) / 2) * FRAME_SHIFT_SECONDS + FRAME_LENGTH / 2 / SAMPLE_RATE
