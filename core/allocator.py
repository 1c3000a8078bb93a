"""The C allocator told to keep block-sized arrays instead of handing each back to the system.

A scan allocates and frees arrays of a few MB for every block of audio (decoded samples, spectra, pooled
windows). glibc returns such arrays to the system as soon as they are freed (those above a threshold that
starts at 128 kB are mapped on their own, and the top of the heap is trimmed), so the next block has its
pages zeroed again: 280,000 page faults for a 30-minute MEL scan. Keeping arrays of up to 8 MB in the
heap and trimming only above 16 MB free leaves 36,000, makes the scan ~15 % faster and leaves a 3-hour
scan's peak memory where it was (bench/README.md).
"""

from __future__ import annotations

import ctypes
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
MMAP_THRESHOLD = 8 * 2**20
TRIM_THRESHOLD = 16 * 2**20


def keep_block_sized_arrays() -> bool:
    """Set the thresholds on glibc (Linux); elsewhere nothing changes. True when they were set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):  # a C library without mallopt (musl)
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
