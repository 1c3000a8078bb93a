"""EAT's input: a 128-bin Kaldi-style log-mel filterbank (Hann window, see core.fbank) of the clip with its mean
removed, cut or zero-padded to 1024 frames, normalised as (x + 4.268) / (4.569 * 2); and how EAT's 16 x 16
patch tokens map back to time.
"""

from __future__ import annotations

import numpy as np

from core import fbank
from core.audio import SAMPLE_RATE

MEL_BINS = fbank.MEL_BINS
TARGET_FRAMES = 1024
NORM_MEAN = -4.268
NORM_STD = 4.569
PATCH = 16  # EAT cuts the (time, frequency) image into 16 x 16 patches
FRAME_SHIFT_SECONDS = fbank.FRAME_SHIFT_SECONDS
CAPACITY_SECONDS = ((TARGET_FRAMES - 1) * fbank.HOP_LENGTH + fbank.FRAME_LENGTH) / SAMPLE_RATE  # fills 1024 frames


def kaldi_fbank(samples: np.ndarray) -> np.ndarray:
    """(n_frames, 128) log-mel filterbank of a 16 kHz clip, with its mean removed first as EAT does."""
    samples = np.asarray(samples, dtype=np.float32)
    return fbank.kaldi_fbank(samples - samples.mean(), window="hanning")


def eat_input(samples: np.ndarray) -> np.ndarray:
    """(1024, 128) normalised model input: longer audio is cut, shorter padded with zeros before normalising."""
    features = kaldi_fbank(samples)[:TARGET_FRAMES]
    padded = np.zeros((TARGET_FRAMES, MEL_BINS), np.float32)
    padded[: len(features)] = features
    return (padded - NORM_MEAN) / (NORM_STD * 2)


def patch_columns(tokens: np.ndarray, prefix_tokens: int = 1) -> np.ndarray:
    """(n_tokens, dim) patch-grid output (`prefix_tokens` such as CLS first, then patches time-major:
    t * 8 + f) -> (time columns, dim), each column the mean of its 8 frequency patches."""
    freq_patches = MEL_BINS // PATCH
    patches = tokens[prefix_tokens:]
    return patches.reshape(len(patches) // freq_patches, freq_patches, -1).mean(axis=1)


def column_centres(n_columns: int) -> np.ndarray:
    """Centre time (seconds) of each 16-frame time column."""
    return fbank.patch_column_centres(n_columns, PATCH)
