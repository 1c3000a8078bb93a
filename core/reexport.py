"""Re-export: encode existing clips again with the current picture and encoding settings (after changing the
resize, the crop, LTX-2 mode, the encoder…), keeping each clip's file name, start, format and database row.

All of it or none: every clip is first encoded to a hidden temp name beside its file; then, under the
cross-process export lock, each old file is set aside, the new one takes its name, and the rows' length and
settings are updated in one transaction that also drops the export's journal entry. A failure or a cancel
puts every old file back; a kill is taken back at the next start (core/export_journal.py), as for exports.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from core import dataset_json, export_journal
from core.errors import FoleycutError
from core.export import (
    DatasetJsonError,
    ExportPlan,
    ExportSettings,
    Progress,
    _encode_all,
    _Job,
    _prepare_folder,
    _temp_paths,
    _usable_source,
    picture_plan,
)


class _Replacement(NamedTuple):
    """A re-encoded file moved over its clip, `aside` holding the old file until the rows are committed."""

    temp: Path
    final: Path
    aside: Path


class _Group(NamedTuple):
    """Clips re-encoded together: one source video, vid folder, format and length."""

    plan: ExportPlan
    settings: ExportSettings
    rows: list[dict]


def clips_of_video(db, video: Path, profile: str, export_folder: Path | None = None) -> list[dict]:
    """A video's clips in a profile, only those in `export_folder` when one is given."""
    video = Path(video).resolve()
    rows = db.get_clips(video.name, profile, video)
    if export_folder is not None:
        rows = [row for row in rows if Path(row["export_folder"]) == Path(export_folder).resolve()]
    return rows


def clips_of_folder(db, export_folder: Path) -> list[dict]:
    """Every clip of an export folder, whichever video and profile it came from."""
    return db.get_clips_in(Path(export_folder).resolve())


def reexport_clips(
    db,
    rows: list[dict],
    settings: ExportSettings,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> int:
    """Re-encode the clips of `rows` with the picture and encoding fields of `settings` (its short side,
    portrait crop, random crop share, LTX-2 mode, encoder, workers); each clip keeps its start and format,
    and its length unless LTX-2 mode rounds it to a frame count it allows. Returns how many were redone."""
    if not rows:
        raise FoleycutError("No clips to re-export here: export some first, or choose another video or folder.")
    settings.check()
    groups = _plans(rows, settings)
    jobs = {
        key: [_Job(row["start_time"], _stem(row), *_temp_paths(group.plan, _stem(row))) for row in group.rows]
        for key, group in groups.items()
    }
    temps = [path for group in jobs.values() for job in group for path in (job.temp, job.temp_wav) if path]
    pending = export_journal.PendingExport(db, temps, [])
    finished = False
    try:
        total, done = len(rows), 0
        for key, group in groups.items():
            _prepare_folder(group.plan.vid_folder)
            _encode_all(group.plan, jobs[key], group.settings, _scaled(progress, done, len(group.rows), total), cancel)
            done += len(group.rows)
        _commit(db, groups, jobs, pending)
        finished = True
    finally:
        for path in temps:
            export_journal.remove_entry(path)
        pending.close(finished)
    folders = sorted({Path(row["export_folder"]) for row in rows})
    for folder in folders:
        try:
            dataset_json.rebuild(db, folder)
        except (OSError, FoleycutError) as exc:
            raise DatasetJsonError(
                f"{len(rows)} clip(s) were re-encoded, but {dataset_json.FILE_NAME} in {folder} "
                f"could not be rewritten ({getattr(exc, 'strerror', None) or exc}): free some "
                "space or fix its permissions; the next export rewrites it.",
                [],
            ) from exc
    if progress:
        progress(1.0, f"Re-encoded {len(rows)} clip(s)")
    return len(rows)


def _stem(row: dict) -> str:
    path = Path(row["output_path"])
    return path.stem if path.suffix == ".mp4" else path.name


def _fmt(row: dict) -> str:
    return "mp4" if Path(row["output_path"]).suffix == ".mp4" else "webp"


def _plans(rows: list[dict], settings: ExportSettings) -> dict[tuple, _Group]:
    """One plan per source video, vid folder, format and length; every source is checked before anything is
    written, so a moved or deleted video stops the re-export up front."""
    by_key: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        by_key[(row["source_path"], str(Path(row["output_path"]).parent), _fmt(row), row["length"])].append(row)
    plans = {}
    for key, group_rows in by_key.items():
        source, vid_folder, fmt, length = key
        if not source or not Path(source).is_file():
            raise FoleycutError(
                f"The source of {Path(group_rows[0]['output_path']).name} ({source or 'unknown'}) is "
                "missing: put the video back where it was, then re-export again; nothing was changed."
            )
        media = _usable_source(Path(source))
        assert media.fps  # _usable_source refuses a video without a frame rate
        group_settings = replace(settings, fmt=fmt, length=length).for_encoding()
        last = max(row["start_time"] for row in group_rows)
        if last + group_settings.length > media.duration + float(1 / media.fps) / 2:
            why = (
                f"LTX-2 mode lengthens its clips to {group_settings.length:g} s"
                if settings.ltx2
                else "it is shorter than when its clips were cut"
            )
            raise FoleycutError(
                f"The clip of {Path(source).name} at {last:.2f} s would run past its end ({why}): "
                "re-export without that clip's marker (delete it and export it again); "
                "nothing was changed."
            )
        plan = ExportPlan(
            video=Path(source),
            media=media,
            marker_time=group_rows[0]["marker_time"],
            starts=[row["start_time"] for row in group_rows],
            vid_folder=Path(vid_folder),
            name="",
            counter=0,
            fmt=fmt,
            warnings=[],
            replaced_rows=[],
            **picture_plan(media, group_settings, group_settings.portrait, group_settings.portrait_center),
        )
        plans[key] = _Group(plan, group_settings, group_rows)
    return plans


def _scaled(progress: Progress | None, done: int, count: int, total: int) -> Progress | None:
    if progress is None:
        return None
    return lambda fraction, message: progress((done + fraction * count) / total, message)


def _commit(
    db, groups: dict[tuple, _Group], jobs: dict[tuple, list[_Job]], pending: export_journal.PendingExport
) -> None:
    """Under the export lock: set the old files aside, give the new ones their names, update the rows and drop
    the journal entry in one transaction; put the old files back when any of it fails."""
    moves: list[_Replacement] = []
    for key, group in groups.items():
        for row, job in zip(group.rows, jobs[key]):
            final = Path(row["output_path"])
            pairs = [(job.temp, final)]
            if job.temp_wav:
                pairs.insert(0, (job.temp_wav, final.with_name(final.name + ".wav")))
            moves += [
                _Replacement(temp, target, target.with_name(f".{target.name}.old{uuid.uuid4().hex[:12]}"))
                for temp, target in pairs
            ]
    with export_journal.export_lock(db):
        pending.record_moves([(move.final, move.aside) for move in moves])
        done: list[tuple[Path, Path | None]] = []
        try:
            for temp, final, aside in moves:
                if os.path.lexists(final):
                    final.rename(aside)
                    done.append((final, aside))
                else:  # the user deleted the file: the row gets it back
                    done.append((final, None))
                export_journal.place(temp, final)
            with db.transaction():
                for group in groups.values():
                    for row in group.rows:
                        db.update_clip_encoding(
                            row["id"],
                            group.settings.length,
                            {**row["settings"], **group.settings.db_settings(_stem(row))},
                        )
                for folder in {row["export_folder"] for group in groups.values() for row in group.rows}:
                    db.mark_dataset_stale(folder)
                db.end_export(pending.id)
        except BaseException:
            export_journal.undo_moves(db, done)
            raise
    for move in moves:
        export_journal.remove_entry(move.aside)
