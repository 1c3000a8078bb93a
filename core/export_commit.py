"""The commit of an export: under the cross-process export lock, the encoded clips take their final names
(never over an existing file) and their rows are added in one transaction, or all of it is taken back."""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

from core import export_journal, layout
from core.errors import FoleycutError
from core.export_encode import Job
from core.export_plan import ExportPlan, ExportSettings


class Move(NamedTuple):
    """One file or frame folder of a clip on its way from its temp name to its final one."""

    temp: Path
    final: Path
    aside: Path | None  # where a file being replaced in overwrite mode waits until the new rows are committed


@dataclass(frozen=True)
class ExportedClip:
    path: Path
    start: float
    length: float
    row_id: int


def commit(
    db, plan: ExportPlan, jobs: list[Job], settings: ExportSettings, profile: str, pending: export_journal.PendingExport
) -> list[ExportedClip]:
    """Under the cross-process export lock: pick final names, record them, move the clips there, then add
    their rows and drop the journal entry in one transaction; take the moves back when that fails."""
    with export_journal.export_lock(db):
        if not plan.replaced_rows:
            plan = recheck_names(db, plan, profile)
        new_dirs = export_journal.dirs_to_create(plan.vid_folder)
        moves = planned_moves(plan, jobs)
        pending.record_moves([(move.final, move.aside) for move in moves], new_dirs)
        plan.vid_folder.mkdir(exist_ok=True)
        done: list[tuple[Path, Path | None]] = []  # only these are taken back: a name found taken is not ours
        try:
            for temp, final, aside in moves:
                current = final
                if aside is not None:
                    final.rename(aside)
                    done.append((final, aside))
                    export_journal.place(temp, final)
                else:
                    export_journal.place(temp, final)
                    done.append((final, aside))
            with db.transaction():
                if plan.replaced_rows:
                    db.delete_clips([row["id"] for row in plan.replaced_rows])
                clips = add_rows(db, plan, jobs, settings, profile)
                db.mark_dataset_stale(plan.vid_folder.parent)  # until rewritten, even by a later start
                db.end_export(pending.id)
        except FileExistsError as exc:
            export_journal.undo_moves(db, done)
            raise FoleycutError(
                f"{current} was taken by another file while the clips were "
                "being written: nothing was replaced; export again (a new name is chosen)."
            ) from exc
        except BaseException:
            export_journal.undo_moves(db, done)
            raise
    for move in moves:
        if move.aside is not None:
            export_journal.remove_entry(move.aside)
    finals = set(plan.clip_paths)
    for row in plan.replaced_rows:
        if Path(row["output_path"]) not in finals:
            remove_clip_files(Path(row["output_path"]))
    return clips


def planned_moves(plan: ExportPlan, jobs: list[Job]) -> list[Move]:
    """The moves of every file and frame folder of the plan's clips, a wav before its frame folder."""
    replaced = {Path(row["output_path"]) for row in plan.replaced_rows}
    moves: list[Move] = []
    for job, final in zip(jobs, plan.clip_paths):
        pairs = [(job.temp, final)]
        if job.temp_wav:
            pairs.insert(0, (job.temp_wav, final.with_name(final.name + ".wav")))
        for temp, target in pairs:
            aside = None
            if os.path.lexists(target) and (target in replaced or target.with_suffix("") in replaced):
                aside = target.with_name(f".{target.name}.old{uuid.uuid4().hex[:12]}")
            moves.append(Move(temp, target, aside))
    return moves


def add_rows(db, plan: ExportPlan, jobs: list[Job], settings: ExportSettings, profile: str) -> list[ExportedClip]:
    marker_times = (
        [plan.region_starts[area - 1] for area, _sub in plan.areas] if plan.areas else [plan.marker_time] * len(jobs)
    )
    return [
        ExportedClip(
            final,
            job.start,
            settings.length,
            db.add(
                plan.video.name,
                job.start,
                final,
                label=settings.label,
                category=settings.category,
                profile=profile,
                source_path=str(plan.video),
                scan_export=bool(plan.areas),
                length=settings.length,
                marker_time=marker_time,
                **settings.db_settings(job.stem),
            ),
        )
        for job, final, marker_time in zip(jobs, plan.clip_paths, marker_times)
    ]


def recheck_names(db, plan: ExportPlan, profile: str) -> ExportPlan:
    """Other exports may have committed while these clips encoded: join the vid folder this video got
    meanwhile, leave one another video took, and never reuse a name."""
    export_folder = plan.vid_folder.parent
    known = db.find_vid_folder(plan.video.name, profile, export_folder, plan.video)
    if known:
        vid_folder = export_folder / known
    elif db.vid_folder_in_use(export_folder, plan.vid_folder.name):
        vid_folder = layout.vid_folder_path(db, plan.video.name, profile, export_folder, plan.video)
    else:
        vid_folder = plan.vid_folder
    if vid_folder == plan.vid_folder and not any(layout.stem_taken(vid_folder, stem) for stem in plan.stems):
        return plan
    return replace(plan, vid_folder=vid_folder, counter=layout.next_counter(db, vid_folder))


def remove_clip_files(path: Path) -> None:
    """An .mp4, or a WebP frame folder and the .wav beside it."""
    if path.is_dir():
        shutil.rmtree(path)
        path.with_name(path.name + ".wav").unlink(missing_ok=True)
    else:
        path.unlink(missing_ok=True)
