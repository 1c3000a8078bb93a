"""How long work reports and stops: one shape for every scan, training, index, export and migration.

Work takes `progress: Progress | None` (called with the fraction done, 0..1, and a line to show) and
`cancel: threading.Event | None` (set by the front end when the user stops it), and calls `check_cancel`
between steps, which raises `Cancelled`; front ends show that as a stop, not a failure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from core.errors import Cancelled

Progress = Callable[[float, str], None]


def check_cancel(cancel: threading.Event | None, message: str | None = None) -> None:
    """Raise `Cancelled` (with `message` when given) once the user has asked the work to stop."""
    if cancel is not None and cancel.is_set():
        raise Cancelled() if message is None else Cancelled(message)
