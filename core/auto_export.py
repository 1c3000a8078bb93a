"""Auto: scan videos, merge each one's regions across a fuse gap, drop those shorter than a clip, export
clips from the rest at the export spread, in one action (the dock's Auto button, `scan --export`).

Files already scanned with the same classifier version and threshold are not scanned again (unless
forced): their stored regions, with the user's edits and disabled ones left out, are what gets exported.
Regions that already gave scan-export clips into the same export folder are not exported again, so a
second Auto over the same playlist writes nothing new.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.defaults import DEFAULT_MERGE_GAP
from core.errors import Cancelled, FoleycutError
from core.export import DatasetJsonError, ExportedClip, ExportSettings, export_scan_regions
from core.home import DataHome
from core.progress import Progress
from core.regions import Region, regions_for_export
from core.scanning import FileDone, ScanOptions, ScanOutcome, scan_files

SCAN_SHARE = 0.6  # of the progress bar; exporting is the rest


@dataclass
class AutoResult:
    video: Path
    outcome: ScanOutcome | None
    exported_regions: list[Region] = field(default_factory=list)
    clips: list[ExportedClip] = field(default_factory=list)
    error: str | None = None  # why the file was not scanned or not exported


def auto_export(
    db,
    home: DataHome,
    videos: Sequence,
    classifier_name: str,
    settings: ExportSettings,
    options: ScanOptions | None = None,
    merge_gap: float = DEFAULT_MERGE_GAP,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    on_file_done: FileDone | None = None,
) -> list[AutoResult]:
    """Scan (skipping what is already scanned unless `options.force`), then export every file's merged regions
    that are at least one clip (`settings.length`) long. A file that fails is reported, not fatal."""
    if not merge_gap >= 0:
        raise FoleycutError(f"Fuse gap {merge_gap:g} s is not a length: give seconds, 0 or more.")
    settings.check()
    options = options or ScanOptions()
    profile = options.profile
    report = progress or (lambda fraction, message: None)
    scans = scan_files(
        db,
        home,
        videos,
        classifier_name,
        options,
        cancel=cancel,
        on_file_done=on_file_done,
        progress=lambda fraction, message: report(SCAN_SHARE * min(fraction, 0.999), message),
    )
    results = []
    for index, scan in enumerate(scans):
        result = AutoResult(scan.video, scan.outcome, error=scan.error)
        results.append(result)
        if scan.outcome is None:
            continue
        done = exported_marker_times(db, scan.video, profile, settings.export_folder)
        result.exported_regions = [
            region
            for region in regions_for_export(scan.outcome.regions, merge_gap, settings.length)
            if not any(region.start <= t <= region.end for t in done)
        ]
        if not result.exported_regions:
            continue
        share = (1 - SCAN_SHARE) / len(scans)
        start = SCAN_SHARE + share * index
        try:
            result.clips = export_scan_regions(
                db,
                scan.video,
                [(r.start, r.end) for r in result.exported_regions],
                settings,
                profile,
                progress=_video_part(report, start, share, scan.video.name),
                cancel=cancel,
            )
        except Cancelled:
            raise
        except DatasetJsonError as exc:  # the clips are safe; the dataset file says what went wrong
            result.clips, result.error = exc.clips, str(exc)
        except FoleycutError as exc:
            result.error = str(exc)
    report(1.0, "Auto finished")
    return results


def _video_part(report: Progress, start: float, share: float, name: str) -> Progress:
    """`report` for one video's export: its fractions mapped onto [start, start + share], named."""
    return lambda fraction, message: report(start + share * fraction, f"{name}: {message}")


def exported_marker_times(db, video: Path, profile: str, export_folder: Path) -> list[float]:
    """Where scan-export clips of `video` into `export_folder` were cut from (a clip's marker time is the
    start of the region it came from)."""
    try:
        clips = db.get_clips(video.name, profile, source_path=video)
    except FoleycutError:
        return []
    return [
        clip["marker_time"]
        for clip in clips
        if clip["scan_export"] and Path(clip["export_folder"]).name == Path(export_folder).name
    ]
