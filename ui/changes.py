"""The window's change hub: one signal per kind of data a view shows.

An operation that changed data (an export, a scan, a training, a hard-negative edit) emits the signal for
that kind once it is done; every view that shows that kind connects to it and refreshes itself. So a new
view connects here instead of being called by each operation, and an operation never needs to know which
views exist. Profile and loaded-video changes are the window's own `profile_changed` and `video_loaded`.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Changes(QObject):
    clips = Signal()  # clips written, re-encoded or deleted: markers, clip counts, next destination, scan exports
    scans = Signal(str, str)  # a scan of this video (file name) was stored for this embedding model
    negatives = Signal()  # hard negatives added or removed
    classifiers = Signal(str)  # this classifier gained a version or changed its active one
