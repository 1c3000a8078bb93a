"""Clip export: one press of `E` (a *marker*) becomes `count` overlapping clips of exactly `length` seconds.

Clips start at `marker_time + i * spread`, snapped to the frame on screen at that time, and are
re-encoded after an accurate seek so each holds exactly round(length * fps) frames. Every clip is
encoded to a hidden temp name in its vid folder by parallel ffmpeg processes; only when all of a
marker's clips encoded and checked out are they moved to their final names (never over an existing
file) and their rows added, in one transaction, under a lock shared by every Foleycut process. A failure
or a cancel takes all of it back, and a killed export is taken back at the next start
(core/export_journal.py), so no partial clip ever carries a final name, no row points at a missing file
and no clip is left without its row.

This module is the public entry; the work is split into planning (core/export_plan.py), the ffmpeg worker
pool (core/export_encode.py) and the commit (core/export_commit.py).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from core import dataset_json, export_commit, export_encode, export_journal
from core.errors import FoleycutError
from core.export_commit import ExportedClip, remove_clip_files
from core.export_encode import Job
from core.export_encode import Job as _Job
from core.export_encode import encode_all as _encode_all
from core.export_encode import prepare_folder as _prepare_folder
from core.export_encode import temp_paths as _temp_paths
from core.export_plan import (
    FORMATS,
    MAX_COUNT,
    MAX_NAME_BYTES,
    PORTRAIT_RATIOS,
    ExportPlan,
    ExportSettings,
    clip_starts,
    clips_in_region,
    default_workers,
    estimate_scan_clips,
    marker_rows,
    output_geometry,
    picture_plan,
    plan_marker,
    plan_scan_regions,
)
from core.export_plan import usable_source as _usable_source
from core.progress import Progress

# The names the rest of Foleycut imports from here; the underscored ones are what core/reexport.py imported
# before the split, under their old names.
__all__ = [
    "FORMATS",
    "MAX_COUNT",
    "MAX_NAME_BYTES",
    "PORTRAIT_RATIOS",
    "DatasetJsonError",
    "ExportPlan",
    "ExportSettings",
    "ExportedClip",
    "Job",
    "Progress",
    "_Job",
    "_encode_all",
    "_prepare_folder",
    "_temp_paths",
    "_usable_source",
    "clip_starts",
    "clips_in_region",
    "default_workers",
    "delete_marker",
    "estimate_scan_clips",
    "export_marker",
    "export_scan_regions",
    "output_geometry",
    "picture_plan",
    "plan_marker",
    "plan_scan_regions",
]


def export_marker(
    db,
    video: Path,
    marker_time: float,
    settings: ExportSettings,
    profile: str = "default",
    overwrite: bool = False,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> list[ExportedClip]:
    """Encode a marker's clips, move them to their final names, record them, rewrite dataset.json.

    With `overwrite`, an existing marker at this time in this export folder is re-encoded to its own
    vid folder and counter (files replaced, rows renewed); otherwise a new counter is used.
    """
    settings = settings.for_encoding()
    return _export_plan(
        db, plan_marker(db, video, marker_time, settings, profile, overwrite), settings, profile, progress, cancel
    )


def export_scan_regions(
    db,
    video: Path,
    regions: list[tuple[float, float]],
    settings: ExportSettings,
    profile: str = "default",
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> list[ExportedClip]:
    """Export clips from scan regions ((start, end) seconds) as `<name>_NNN_a<area>_<sub>`, rows flagged
    scan_export; all of them or none, like a marker."""
    settings = settings.for_encoding()
    return _export_plan(
        db, plan_scan_regions(db, video, regions, settings, profile), settings, profile, progress, cancel
    )


def _export_plan(
    db,
    plan: ExportPlan,
    settings: ExportSettings,
    profile: str,
    progress: Progress | None,
    cancel: threading.Event | None,
) -> list[ExportedClip]:
    """Encode a plan's clips to temp names, then move them into place and record them as one unit: on any
    failure, or at the next start after a kill, nothing of it is left (core/export_journal.py)."""
    jobs = [Job(start, stem, *export_encode.temp_paths(plan, stem)) for start, stem in zip(plan.starts, plan.stems)]
    temps = [path for job in jobs for path in (job.temp, job.temp_wav) if path]
    pending = export_journal.PendingExport(db, temps, export_journal.dirs_to_create(plan.vid_folder))
    finished = False
    try:
        export_encode.prepare_folder(plan.vid_folder)
        export_encode.encode_all(plan, jobs, settings, progress, cancel)
        clips = export_commit.commit(db, plan, jobs, settings, profile, pending)
        finished = True
    finally:
        for path in temps:
            export_journal.remove_entry(path)
        # Also after success: the planned vid folder stays empty when another process gave this video
        # its vid folder while these clips encoded.
        export_journal.remove_empty_dirs(pending.created_dirs)
        pending.close(finished)
    try:
        dataset_json.rebuild(db, settings.export_folder)
    except (OSError, FoleycutError) as exc:
        raise DatasetJsonError(
            f"{len(clips)} clip(s) were written and recorded, but {dataset_json.FILE_NAME} in "
            f"{Path(settings.export_folder).resolve()} could not be rewritten "
            f"({getattr(exc, 'strerror', None) or exc}): "
            "free some space or fix its permissions; the next export rewrites it.",
            clips,
        ) from exc
    if progress:
        progress(1.0, f"Wrote {len(clips)} clip(s) to {clips[0].path.parent}")
    return clips


class DatasetJsonError(FoleycutError):
    """The clips are safe (files and rows), only dataset.json is out of date; `clips` are the ones written."""

    def __init__(self, message: str, clips: list[ExportedClip]):
        super().__init__(message)
        self.clips = clips


def delete_marker(
    db,
    filename: str,
    profile: str,
    marker_time: float,
    export_folder: Path,
    source_path: str | os.PathLike | None = None,
) -> int:
    """Remove a marker's clips: rows first (so none points at a missing file), then files, then dataset.json."""
    rows = marker_rows(db, filename, profile, marker_time, Path(export_folder).resolve(), source_path)
    with db.transaction():
        db.delete_clips([row["id"] for row in rows])
        db.mark_dataset_stale(Path(export_folder).resolve())
    for row in rows:
        remove_clip_files(Path(row["output_path"]))
    dataset_json.rebuild(db, export_folder)
    return len(rows)
