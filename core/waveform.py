"""The waveform the timeline draws: min/max peaks at a fixed resolution, computed while streaming.

The audio goes through core.audio.iter_audio_blocks (16 kHz mono, a minute at a time), and only the
minimum and maximum of every 1/BUCKETS_PER_SECOND of a second are kept: a 2-hour film is 720 000 pairs
(under 3 MB as float16), never its 460 MB of samples. Peaks are cached in the data home per video
identity, so a video opened again shows its waveform at once.

`column_peaks` folds the peaks into one (min, max) per pixel column of the visible span, which is all a
repaint draws.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

import numpy as np

from core.atomic_write import write_atomically
from core.audio import SAMPLE_RATE, iter_audio_blocks
from core.home import DataHome
from core.progress import Progress, check_cancel
from core.video_identity import identify

BUCKETS_PER_SECOND = 100
SAMPLES_PER_BUCKET = SAMPLE_RATE // BUCKETS_PER_SECOND
CACHE_VERSION = 1


def compute_peaks(
    video: Path,
    duration: float | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> np.ndarray:
    """(n, 2) float16 array of (min, max) per bucket of SAMPLES_PER_BUCKET samples."""
    parts: list[np.ndarray] = []
    carry = np.zeros(0, dtype=np.float32)  # samples of a bucket cut by a block boundary
    done = 0.0
    for block in iter_audio_blocks(video, expected_seconds=duration):
        check_cancel(cancel)
        samples = np.concatenate([carry, block]) if len(carry) else block
        whole = len(samples) - len(samples) % SAMPLES_PER_BUCKET
        buckets = samples[:whole].reshape(-1, SAMPLES_PER_BUCKET)
        parts.append(np.stack([buckets.min(axis=1), buckets.max(axis=1)], axis=1).astype(np.float16))
        carry = samples[whole:].copy()
        done += len(block) / SAMPLE_RATE
        if progress is not None and duration:
            progress(min(1.0, done / duration), f"Waveform: {done / 60:.0f} of {duration / 60:.0f} min")
    if len(carry):
        parts.append(np.array([[carry.min(), carry.max()]], dtype=np.float16))
    return np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.float16)


def _cache_path(home: DataHome, video: Path) -> Path | None:
    identity = identify(video)
    if identity is None:
        return None
    return home.root / "cache" / "waveforms" / f"{identity.size}_{identity.fingerprint}_v{CACHE_VERSION}.npy"


def cached_peaks(home: DataHome, video: Path) -> np.ndarray | None:
    path = _cache_path(home, video)
    if path is None or not path.is_file():
        return None
    try:
        peaks = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None  # damaged: computed again
    return peaks if peaks.ndim == 2 and peaks.shape[1] == 2 else None


def load_or_compute_peaks(
    home: DataHome,
    video: Path,
    duration: float | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> np.ndarray:
    """The cached peaks, else computed and cached."""
    peaks = cached_peaks(home, video)
    if peaks is not None:
        return peaks
    peaks = compute_peaks(video, duration, progress, cancel)
    path = _cache_path(home, video)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.save(buffer, peaks, allow_pickle=False)
        write_atomically(path, buffer.getvalue())
    return peaks


def column_peaks(
    peaks: np.ndarray, view_start: float, view_span: float, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel column of a `width` px view of [view_start, view_start + view_span): (min, max, has_audio).

    A column wider than a bucket folds its buckets; a narrower one shows the bucket under it."""
    n = len(peaks)
    if n == 0 or width <= 0 or view_span <= 0:
        empty = np.zeros(max(0, width), dtype=np.float32)
        return empty, empty, np.zeros(max(0, width), dtype=bool)
    edges = np.floor((view_start + view_span * np.arange(width + 1) / width) * BUCKETS_PER_SECOND).astype(np.int64)
    has_audio = (edges[:-1] < n) & (edges[:-1] >= 0)
    index = np.clip(edges, 0, n - 1)
    index[-1] = max(index[-1], index[-2])
    # reduceat folds peaks[index[i]:index[i+1]] (or takes peaks[index[i]] where the two are equal).
    lows = np.minimum.reduceat(peaks[:, 0], index)[:width].astype(np.float32)
    highs = np.maximum.reduceat(peaks[:, 1], index)[:width].astype(np.float32)
    return lows, highs, has_audio
