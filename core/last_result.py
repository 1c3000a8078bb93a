"""A one-entry memo: the last value kept, handed back while it is asked for under the same key.

Rescanning the file on screen is what the window does most (scan, retrain, scan again; move the
threshold; open the review queue): loading its cached embeddings and computing their context features
cost as much as the classifier, and they only change when the file or its cache entry does. One entry,
and nothing above `MAX_BYTES`, bound the memory to the file at hand.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
MAX_BYTES = 128 * 2**20  # six hours of MEL context features at the default hop


class LastResult(Generic[T]):
    def __init__(self, size: Callable[[T], int]) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._key: Hashable = None
        self._value: T | None = None

    def get(self, key: Hashable) -> T | None:
        """The value kept for `key`, if it is the last one kept."""
        with self._lock:
            return self._value if self._key == key else None

    def keep(self, key: Hashable, value: T) -> None:
        """Keep `value` for `key` in place of the last one, unless it is larger than `MAX_BYTES`."""
        if self._size(value) <= MAX_BYTES:
            with self._lock:
                self._key, self._value = key, value
