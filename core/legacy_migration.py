"""Startup migration from the legacy export layout into vid folders (SPEC section 3).

Older versions wrote one group dir per export, `<export_folder>/clip_NNN/clip_NNN_<sub>.mp4` (or a WebP
folder `clip_NNN_<sub>/` with `clip_NNN_<sub>.wav`). Each group becomes the next counter in its video's vid
folder: `<export_folder>/vid_MMM/clip_CCC_<sub>.mp4`, its clips one marker.

Crash safety comes from three phases, each safe to interrupt and re-run:
1. Plan: every move is computed from the database and the disk and recorded in the database (after a
   backup copy of it) before anything moves. A recorded plan is resumed, never recomputed.
2. Move: each move is a rename that never replaces an existing entry; a batch of moves is then marked done
   together with the rewrite of its clips' stored paths, in one transaction. A move whose source is gone
   and whose destination exists happened just before an interruption: it is only marked done.
3. Clean up: emptied group dirs are removed, then the plan is deleted.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from core import dataset_json
from core.errors import FoleycutError
from core.layout import (
    ClipName,
    lowest_free_number,
    next_counter,
    parse_clip_name,
    parse_vid_folder,
    vid_folder_name,
    vid_numbers_on_disk,
)
from core.progress import Progress

Move = tuple[str, str, int | None, float | None]  # (src, dst, processed_id, marker_time)

_GROUP_DIR = re.compile(r"clip_(\d+)", re.ASCII)
_CLEANUP_THREADS = 8


@dataclass
class LegacyMigrationReport:
    moved: int = 0
    clips_rewritten: int = 0
    removed_dirs: int = 0
    backup: Path | None = None
    export_folders: set[Path] = field(default_factory=set)  # their dataset.json lists the old paths


def needs_legacy_migration(db) -> bool:
    """Whether clips still live in legacy group dirs, or an interrupted migration waits to be finished."""
    return db.has_legacy_plan() or db.has_legacy_layout_clips()


def migrate_legacy_layout(db, progress: Progress | None = None, batch_size: int = 2000) -> LegacyMigrationReport:
    """Move every legacy clip into its vid folder and rewrite the stored paths; resume an interrupted run."""
    report_progress = progress or (lambda fraction, message: None)
    report = LegacyMigrationReport()
    plan = db.get_legacy_plan()
    if not plan:
        report_progress(0.0, "Planning the move to per-video folders…")
        moves = plan_legacy_moves(db)
        if not moves:
            return report
        report.backup = db.backup("before-vid-folders")
        db.save_legacy_plan(moves)  # when another instance recorded its plan first, that one is followed
        plan = db.get_legacy_plan()
    group_dirs = {os.path.dirname(move["src"]) for move in plan}
    report.export_folders = {Path(folder).parent for folder in group_dirs}
    _run_moves(db, [move for move in plan if not move["done"]], report, report_progress, batch_size)
    report_progress(0.99, "Removing emptied clip folders…")
    report.removed_dirs = _remove_empty_dirs(group_dirs)
    # Before the plan goes: a run killed after the moves still lists the old paths in dataset.json, and
    # only a recorded plan makes the next start finish the job.
    for folder in report.export_folders:
        dataset_json.rebuild(db, folder)
    db.clear_legacy_plan()
    report_progress(1.0, f"Moved {report.moved} clip files into per-video folders.")
    return report


def _run_moves(db, pending: list[dict], report: LegacyMigrationReport, progress: Progress, batch_size: int) -> None:
    # Destination folders first: a handful of vid folders rather than one mkdir per move.
    for folder in {os.path.dirname(move["dst"]) for move in pending}:
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise _cannot_write(folder, exc) from exc
    batch: list[dict] = []

    def finish_batch() -> None:
        if batch:
            db.finish_legacy_moves(batch)
            report.clips_rewritten += sum(move["processed_id"] is not None for move in batch)
            batch.clear()

    try:
        for index, move in enumerate(pending, 1):
            report.moved += _apply_move(move["src"], move["dst"])
            batch.append(move)
            if len(batch) >= batch_size:
                finish_batch()
                progress(0.98 * index / len(pending), f"Moving clips into per-video folders: {index}/{len(pending)}")
    finally:
        finish_batch()  # what moved is recorded even when a move fails


def _apply_move(src: str, dst: str) -> bool:
    """Move one entry unless that already happened; True when this call moved it."""
    if os.path.lexists(dst):
        if os.path.lexists(src):
            raise FoleycutError(
                f"Cannot move {src} to {dst}: something else is already there; move one of "
                "them aside and start Foleycut again."
            )
        return False  # moved before an interruption
    try:
        _move_entry(src, dst)
    except FileNotFoundError:
        return False  # never existed (a WebP clip without its .wav) or deleted before the migration
    except OSError as exc:
        raise _cannot_write(dst, exc) from exc
    return True


def _cannot_write(path: str, exc: OSError) -> FoleycutError:
    return FoleycutError(
        f"Cannot move exported clips into {os.path.dirname(path)} ({exc.strerror}): make the "
        "export folder writable (or free some space) and start Foleycut again; it resumes."
    )


def _move_entry(src: str, dst: str) -> None:
    os.rename(src, dst)


def _remove_empty_dirs(folders: set[str]) -> int:
    """Remove the folders that are empty now; rmdir waits on the filesystem journal (half a millisecond
    each on some disks), so a few threads overlap them."""
    ordered = sorted(folders)
    slices = [ordered[i::_CLEANUP_THREADS] for i in range(_CLEANUP_THREADS)]
    with ThreadPoolExecutor(max_workers=_CLEANUP_THREADS) as pool:
        return sum(pool.map(lambda part: sum(map(_remove_if_empty, part)), slices))


def _remove_if_empty(folder: str) -> bool:
    try:
        os.rmdir(folder)
    except OSError:
        return False  # gone already, or it still holds files no clip refers to: they stay where they are
    return True


# ---------------------------------------------------------------------------------------------- planning


def plan_legacy_moves(db) -> list[Move]:
    """Every move the migration will make, in order: each group's clips go to the next counter of their
    video's vid folder, groups taken in their legacy order. The group dirs are not listed: whether each
    legacy file is really there is settled when it moves."""
    groups: dict[tuple[str, str, str, int | str, str], list[dict]] = defaultdict(list)
    for clip in db.get_legacy_layout_clips():
        # Same-named videos are told apart by their identity (rows from before it: by base name).
        video = clip["video_id"] if clip["video_id"] is not None else clip["filename"]
        groups[(clip["export_folder"], clip["profile"], clip["filename"], video, clip["vid_folder"])].append(clip)
    planner = _Planner(db)
    moves: list[Move] = []
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2], str(k[3]), _group_number(k[4]), k[4])):
        export_folder, profile, _filename, video, group_dir = key
        moves += planner.plan_group(export_folder, profile, video, group_dir, groups[key])
    return moves


def _group_number(group_dir: str) -> int:
    match = _GROUP_DIR.fullmatch(group_dir)
    return int(match.group(1)) if match else 0


def _clip_entries(name: str) -> tuple[str, list[str]]:
    """A legacy clip's stem and every entry it consists of: `x.mp4`, or a WebP folder `x` with `x.wav`
    (the clip row may name either of those two)."""
    stem, suffix = os.path.splitext(name)
    if suffix.lower() == ".mp4":
        return stem, [name]
    if suffix.lower() != ".wav":
        stem = name
    return stem, [stem, f"{stem}.wav"]


class _Planner:
    """Hands out vid folders, counters and stems, remembering what the plan has already claimed.
    Paths are plain strings here: a plan has an entry per clip file, and pathlib would dominate its cost."""

    def __init__(self, db):
        self._db = db
        self._vid_folders: dict[str, dict[tuple[str, int | str], str]] = {}
        self._taken_vid_numbers: dict[str, set[int]] = {}
        self._counters: dict[str, int] = {}
        self._claimed_stems: dict[str, set[str]] = defaultdict(set)
        self._planned_srcs: set[str] = set()

    def plan_group(
        self, export_folder: str, profile: str, video: int | str, group_dir: str, clips: list[dict]
    ) -> list[Move]:
        vid_dir = self._vid_folder(export_folder, profile, video)
        counter = self._take_counter(vid_dir)
        marker_time = min(clip["start_time"] for clip in clips)  # one export, one marker
        # Joined by hand: os.path.join is the planner's largest cost, and these parts are all clean names.
        source_prefix, vid_prefix = export_folder + os.sep + group_dir + os.sep, vid_dir + os.sep
        new_stems: dict[str, str] = {}
        moves: list[Move] = []
        for clip in clips:
            own = os.path.basename(clip["output_path"])
            stem, entries = _clip_entries(own)
            if stem not in new_stems:
                new_stems[stem] = self._claim_stem(vid_dir, stem, counter)
            for entry in entries:
                src = source_prefix + entry
                if src in self._planned_srcs and entry != own:
                    continue  # a part of this clip that another row already moves
                self._planned_srcs.add(src)
                dst = vid_prefix + new_stems[stem] + entry[len(stem) :]
                moves.append((src, dst, clip["id"] if entry == own else None, marker_time))
        return moves

    def _vid_folder(self, export_folder: str, profile: str, video: int | str) -> str:
        if export_folder not in self._vid_folders:
            known = self._db.get_vid_folders_in(export_folder)
            self._vid_folders[export_folder] = known
            numbers = (parse_vid_folder(name) for name in known.values())
            self._taken_vid_numbers[export_folder] = {n for n in numbers if n is not None} | vid_numbers_on_disk(
                export_folder
            )
        known = self._vid_folders[export_folder]
        if (profile, video) not in known:
            number = lowest_free_number(self._taken_vid_numbers[export_folder])
            self._taken_vid_numbers[export_folder].add(number)
            known[(profile, video)] = vid_folder_name(number)
        return os.path.join(export_folder, known[(profile, video)])

    def _take_counter(self, vid_dir: str) -> int:
        if vid_dir not in self._counters:
            self._counters[vid_dir] = next_counter(self._db, vid_dir)
        counter = self._counters[vid_dir]
        self._counters[vid_dir] += 1
        return counter

    def _claim_stem(self, vid_dir: str, legacy_stem: str, counter: int) -> str:
        """The new stem for a legacy clip. The counter is fresh, so only two legacy names meaning the same
        clip (`clip_003_1`, `clip_003_01`) or names that do not parse can collide: the sub moves on then."""
        legacy = parse_clip_name(legacy_stem)
        name, sub, area = (legacy.name, legacy.sub, legacy.area) if legacy else (legacy_stem, 1, None)
        claimed = self._claimed_stems[vid_dir]
        while (stem := ClipName(name, counter, sub, area).stem) in claimed:
            sub += 1
        claimed.add(stem)
        return stem
