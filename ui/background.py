"""Run core work off the UI thread and hear back on the main thread.

    task = run_in_background(fn, on_success=..., on_failure=..., on_progress=...)
    task.cancel()
    cancel_all_and_wait()   # before closing what the tasks use (the database)

`fn(progress, cancel)` runs on the global QThreadPool. `progress(fraction, message)` and the outcome are
delivered through Qt signals of an object living on the main thread, so every callback runs there.
`cancel` is a threading.Event that core functions poll; they raise `Cancelled` when it is set.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from core.errors import Cancelled, FoleycutError
from core.progress import Progress

Work = Callable[[Progress, threading.Event], Any]


class BackgroundTask(QObject):
    progressed = Signal(float, str)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, work: Work):
        super().__init__()
        self._work = work
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def _run(self) -> None:
        try:
            result = self._work(lambda f, msg="": self.progressed.emit(float(f), msg), self._cancel)
        except Cancelled:
            self.cancelled.emit()
        except FoleycutError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - an unexpected bug must reach the user, not vanish
            traceback.print_exc()
            self.failed.emit(f"Unexpected error: {exc.__class__.__name__}: {exc}")
        else:
            self.succeeded.emit(result)
        finally:
            self.finished.emit()


class _Runnable(QRunnable):
    def __init__(self, task: BackgroundTask):
        super().__init__()
        self._task = task

    def run(self) -> None:
        self._task._run()


_live: set[BackgroundTask] = set()  # keeps tasks alive until they finish


def run_in_background(
    work: Work,
    *,
    on_success: Callable[[Any], None] | None = None,
    on_failure: Callable[[str], None] | None = None,
    on_progress: Progress | None = None,
    on_cancelled: Callable[[], None] | None = None,
    on_finished: Callable[[], None] | None = None,
) -> BackgroundTask:
    task = BackgroundTask(work)
    for signal, slot in (
        (task.succeeded, on_success),
        (task.failed, on_failure),
        (task.progressed, on_progress),
        (task.cancelled, on_cancelled),
        (task.finished, on_finished),
    ):
        if slot is not None:
            signal.connect(slot)
    _live.add(task)
    task.finished.connect(lambda: _live.discard(task))
    QThreadPool.globalInstance().start(_Runnable(task))
    return task


def cancel_all_and_wait() -> None:
    """Cancel every task still running and wait until each has stopped (core work checks its cancel
    event often, so this takes moments): nothing may still write to the database once it is closed."""
    for task in list(_live):
        task.cancel()
    QThreadPool.globalInstance().waitForDone()
