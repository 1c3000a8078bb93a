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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from core.errors import FoleycutError
from core.layout import (ClipName, lowest_free_number, next_counter, parse_clip_name,
                         parse_vid_folder, vid_folder_name, vid_numbers_on_disk)

Progress = Callable[[float, str], None]
Move = tuple[str, str, int | None, float | None]  # (src, dst, processed_id, marker_time)

_GROUP_DIR = re.compile(r"clip_(\d+)", re.ASCII)


@dataclass
class LegacyMigrationReport:
    moved: int = 0
    clips_rewritten: int = 0
    removed_dirs: int = 0
    backup: Path | None = None
    export_folders: set[Path] = field(default_factory=set)  # their dataset.json lists the old paths


def needs_legacy_migration(db) -> bool:
    """Whether clips still live in legacy group dirs, or an interrupted migration waits to be finished."""
    return bool(db.get_legacy_plan() or db.get_legacy_layout_clips())


def migrate_legacy_layout(db, progress: Progress | None = None, batch_size: int = 1000) -> LegacyMigrationReport:
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
        db.save_legacy_plan(moves)
        plan = db.get_legacy_plan()
    report.export_folders = {Path(move["dst"]).parent.parent for move in plan}
    _run_moves(db, [move for move in plan if not move["done"]], report, report_progress, batch_size)
    report_progress(0.99, "Removing emptied clip folders…")
    for group_dir in sorted({Path(move["src"]).parent for move in plan}):
        try:
            group_dir.rmdir()
            report.removed_dirs += 1
        except OSError:
            pass  # gone already, or it still holds files no clip refers to: they stay where they are
    db.clear_legacy_plan()
    report_progress(1.0, f"Moved {report.moved} clip files into per-video folders.")
    return report


def _run_moves(db, pending: list[dict], report: LegacyMigrationReport, progress: Progress,
               batch_size: int) -> None:
    batch: list[dict] = []

    def finish_batch() -> None:
        if batch:
            db.finish_legacy_moves(batch)
            report.clips_rewritten += sum(move["processed_id"] is not None for move in batch)
            batch.clear()

    try:
        for index, move in enumerate(pending, 1):
            report.moved += _apply_move(Path(move["src"]), Path(move["dst"]))
            batch.append(move)
            if len(batch) >= batch_size:
                finish_batch()
                progress(0.98 * index / len(pending), f"Moving clips into per-video folders: {index}/{len(pending)}")
    finally:
        finish_batch()  # what moved is recorded even when a move fails


def _apply_move(src: Path, dst: Path) -> bool:
    """Move one entry unless that already happened; True when this call moved it."""
    if os.path.lexists(dst):
        if os.path.lexists(src):
            raise FoleycutError(f"Cannot move {src} to {dst}: something else is already there; move one of "
                                "them aside and start Foleycut again.")
        return False  # moved before an interruption
    if not os.path.lexists(src):
        return False  # the file was gone before the migration; its row is still pointed at the new place
    _move_entry(src, dst)
    return True


def _move_entry(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.rename(src, dst)


# ---------------------------------------------------------------------------------------------- planning


def plan_legacy_moves(db) -> list[Move]:
    """Every move the migration will make, in order; a group's clips move to the next counter of their
    video's vid folder, groups taken in their legacy order."""
    groups: dict[tuple[str, str, str, str], list[dict]] = defaultdict(list)
    for clip in db.get_legacy_layout_clips():
        groups[(clip["export_folder"], clip["profile"], clip["filename"], clip["vid_folder"])].append(clip)
    planner = _Planner(db)
    moves: list[Move] = []
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2], _group_number(k[3]), k[3])):
        export_folder, profile, filename, group_dir = key
        moves += planner.plan_group(Path(export_folder), profile, filename, group_dir, groups[key])
    return moves


def _group_number(group_dir: str) -> int:
    match = _GROUP_DIR.fullmatch(group_dir)
    return int(match.group(1)) if match else 0


@dataclass(frozen=True)
class _Entry:
    name: str
    is_dir: bool

    @property
    def clip_key(self) -> str:
        """The clip this entry is part of: a WebP folder and its .wav (or an .mp4) share one key."""
        return self.name if self.is_dir else Path(self.name).stem

    @property
    def suffix(self) -> str:
        return "" if self.is_dir else Path(self.name).suffix


class _Planner:
    """Hands out vid folders, counters and stems, remembering what the plan has already claimed."""

    def __init__(self, db):
        self._db = db
        self._vid_folders: dict[Path, dict[tuple[str, str], str]] = {}
        self._taken_vid_numbers: dict[Path, set[int]] = {}
        self._counters: dict[Path, int] = {}
        self._claimed_stems: dict[Path, set[str]] = defaultdict(set)
        self._listings: dict[Path, _Listing] = {}
        self._planned_srcs: set[Path] = set()

    def plan_group(self, export_folder: Path, profile: str, filename: str, group_dir: str,
                   clips: list[dict]) -> list[Move]:
        vid_dir = self._vid_folder(export_folder, profile, filename)
        counter = self._take_counter(vid_dir)
        marker_time = min(clip["start_time"] for clip in clips)
        source_dir = export_folder / group_dir
        listing = self._listing(source_dir)
        stems: dict[str, str] = {}
        moves: list[Move] = []
        for clip in clips:
            own_name = Path(clip["output_path"]).name
            # A clip whose file is already missing keeps its row: it is still pointed at the new place.
            own = listing.by_name.get(own_name) or _Entry(own_name, is_dir=not Path(own_name).suffix)
            if own.clip_key not in stems:
                stems[own.clip_key] = self._claim_stem(vid_dir, own.clip_key, counter)
            for entry in dict.fromkeys([own, *listing.by_key.get(own.clip_key, [])]):
                src, is_own = source_dir / entry.name, entry.name == own.name
                if src in self._planned_srcs and not is_own:
                    continue  # a sibling another row of this clip already moves
                self._planned_srcs.add(src)
                moves.append((str(src), str(vid_dir / (stems[own.clip_key] + entry.suffix)),
                              clip["id"] if is_own else None, marker_time))
        return moves

    def _vid_folder(self, export_folder: Path, profile: str, filename: str) -> Path:
        if export_folder not in self._vid_folders:
            known = self._db.get_vid_folders_in(export_folder)
            self._vid_folders[export_folder] = known
            self._taken_vid_numbers[export_folder] = (
                {parse_vid_folder(name) for name in known.values()} | vid_numbers_on_disk(export_folder))
        known = self._vid_folders[export_folder]
        if (profile, filename) not in known:
            number = lowest_free_number(self._taken_vid_numbers[export_folder])
            self._taken_vid_numbers[export_folder].add(number)
            known[(profile, filename)] = vid_folder_name(number)
        return export_folder / known[(profile, filename)]

    def _take_counter(self, vid_dir: Path) -> int:
        if vid_dir not in self._counters:
            self._counters[vid_dir] = next_counter(self._db, vid_dir)
        counter = self._counters[vid_dir]
        self._counters[vid_dir] += 1
        return counter

    def _claim_stem(self, vid_dir: Path, key: str, counter: int) -> str:
        """The new stem for a legacy clip. The counter is fresh, so only two legacy names meaning the same
        clip (`clip_003_1`, `clip_003_01`) or names that do not parse can collide: the sub moves on then."""
        legacy = parse_clip_name(key)
        clip = ClipName(legacy.name, counter, legacy.sub, legacy.area) if legacy else ClipName(key, counter, 1)
        claimed = self._claimed_stems[vid_dir]
        while clip.stem in claimed:
            clip = ClipName(clip.name, clip.counter, clip.sub + 1, clip.area)
        claimed.add(clip.stem)
        return clip.stem

    def _listing(self, folder: Path) -> "_Listing":
        if folder not in self._listings:
            self._listings[folder] = _Listing.read(folder)
        return self._listings[folder]


@dataclass
class _Listing:
    """A legacy group dir's entries, read once, by name and by the clip they belong to."""
    by_name: dict[str, _Entry]
    by_key: dict[str, list[_Entry]]

    @classmethod
    def read(cls, folder: Path) -> "_Listing":
        by_name: dict[str, _Entry] = {}
        try:
            with os.scandir(folder) as items:
                for item in items:
                    by_name[item.name] = _Entry(item.name, item.is_dir(follow_symlinks=False))
        except FileNotFoundError:
            pass  # the whole group dir is gone: its rows are still rewritten
        by_key: dict[str, list[_Entry]] = defaultdict(list)
        for name in sorted(by_name):
            by_key[by_name[name].clip_key].append(by_name[name])
        return cls(by_name, by_key)
