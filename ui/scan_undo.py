"""Undoable edits of scan regions: disable/enable, resize, mark as hard negative.

Each command writes the database and then tells the view (the ScanResultsPanel) to show the new state,
so the table, the timeline and the stored rows never disagree, whichever way the stack moves.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtGui import QUndoCommand


class RegionView(Protocol):
    def show_disabled(self, region_id: int, disabled: bool) -> None: ...
    def show_bounds(self, region_id: int, start: float, end: float) -> None: ...
    def negatives_stored(self) -> None: ...


def _apply_disabled(db, view: RegionView, states: dict[int, bool]) -> None:
    for value in (True, False):
        ids = [region_id for region_id, disabled in states.items() if disabled == value]
        if ids:
            db.set_scan_region_disabled(ids, value)
    for region_id, disabled in states.items():
        view.show_disabled(region_id, disabled)


class SetDisabledCommand(QUndoCommand):
    """Disable or enable regions; `before` holds each region's state before the edit."""

    def __init__(self, db, view: RegionView, before: dict[int, bool], disabled: bool):
        super().__init__(f"{'Disable' if disabled else 'Enable'} {len(before)} region(s)")
        self._db, self._view = db, view
        self._before = dict(before)
        self._after = dict.fromkeys(before, disabled)

    def redo(self) -> None:
        _apply_disabled(self._db, self._view, self._after)

    def undo(self) -> None:
        _apply_disabled(self._db, self._view, self._before)


class ResizeRegionCommand(QUndoCommand):
    def __init__(self, db, view: RegionView, region_id: int, before: tuple[float, float], after: tuple[float, float]):
        super().__init__(f"Resize region to {after[0]:.1f}-{after[1]:.1f}s")
        self._db, self._view = db, view
        self._id, self._before, self._after = region_id, before, after

    def redo(self) -> None:
        self._set(self._after)

    def undo(self) -> None:
        self._set(self._before)

    def _set(self, bounds: tuple[float, float]) -> None:
        self._db.update_scan_region(self._id, *bounds)
        self._view.show_bounds(self._id, *bounds)


class MarkNegativeCommand(QUndoCommand):
    """Store hard negatives for false-positive regions and disable those regions.

    Undo deletes exactly the negatives this command added (by id) and restores the regions' states.
    """

    def __init__(
        self,
        db,
        view: RegionView,
        *,
        filename: str,
        profile: str,
        source_path: str,
        source_model: str,
        times: dict[int, list[float]],
        before: dict[int, bool],
    ):
        """`times`: the window starts to store, by the region they were marked from."""
        super().__init__(f"Mark {len(before)} region(s) as negative")
        self._db, self._view = db, view
        self._filename, self._profile = filename, profile
        self._source_path, self._source_model = source_path, source_model
        self._times = {region_id: list(starts) for region_id, starts in times.items()}
        self._before = dict(before)
        self._negative_ids: list[int] = []

    def redo(self) -> None:
        self._negative_ids = [
            negative_id
            for region_id, starts in self._times.items()
            for negative_id in self._db.add_hard_negatives(
                self._filename,
                self._profile,
                starts,
                source_path=self._source_path,
                source_model=self._source_model,
                region_id=region_id,
            )
        ]
        _apply_disabled(self._db, self._view, dict.fromkeys(self._before, True))
        self._view.negatives_stored()

    def undo(self) -> None:
        self._db.delete_hard_negatives_by_ids(self._negative_ids)
        self._negative_ids = []
        _apply_disabled(self._db, self._view, self._before)
        self._view.negatives_stored()
