"""The Foleycut database: exported clips, scan results with history, hard negatives, hidden files.

One sqlite file in the data home. `ProcessedDB` is the one object the rest of Foleycut holds, under the
method names SPEC section 4 fixes; each method belongs to one focused part in core/store/ (clips and
markers, scans, hard negatives, videos, profiles, playlist, export journal, legacy moves, training data),
and all parts share one connection and its transactions (core/store/connection.py). The parts are also
reachable by name (`db.clips`, `db.scans`, …).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from core.defaults import DEFAULT_CLIP_LENGTH
from core.store.clips import Clips
from core.store.connection import BUSY_TIMEOUT_S, DatabaseError, Store
from core.store.export_rows import ExportJournal
from core.store.legacy_moves import LegacyMoves
from core.store.migrations import SCHEMA_VERSION
from core.store.negatives import HardNegatives
from core.store.playlist import Playlist
from core.store.profiles import Profiles
from core.store.scans import SCAN_TIMESTAMP_FORMAT, Scans
from core.store.training_data import TrainingData, TrainingVideo
from core.store.videos import Videos

__all__ = [
    "BUSY_TIMEOUT_S",
    "DEFAULT_CLIP_LENGTH",
    "SCAN_TIMESTAMP_FORMAT",
    "SCHEMA_VERSION",
    "DatabaseError",
    "ProcessedDB",
    "TrainingVideo",
]

P = ParamSpec("P")
R = TypeVar("R")


class _Forward(Generic[P, R]):
    """A facade method: the same-named method of one part, with its signature (for callers and mypy)."""

    def __init__(self, part: str, method: Callable[Concatenate[Any, P], R]):
        self._part = part
        self._method = method

    @overload
    def __get__(self, db: None, owner: type) -> _Forward[P, R]: ...

    @overload
    def __get__(self, db: ProcessedDB, owner: type | None = None) -> Callable[P, R]: ...

    def __get__(self, db: ProcessedDB | None, owner: type | None = None) -> _Forward[P, R] | Callable[P, R]:
        if db is None:
            return self
        return getattr(getattr(db, self._part), self._method.__name__)


class ProcessedDB:
    """All of Foleycut's persistent records. Safe to share between threads."""

    def __init__(self, path: str | os.PathLike):
        self._store = Store(Path(path))
        self.path = self._store.path
        self.videos = Videos(self._store)
        self.clips = Clips(self._store)
        self.scans = Scans(self._store)
        self.hard_negatives = HardNegatives(self._store)
        self.training_data = TrainingData(self._store)
        self.legacy_moves = LegacyMoves(self._store)
        self.export_journal = ExportJournal(self._store)
        self.profiles = Profiles(self._store)
        self.playlist = Playlist(self._store)

    # -- connection and transactions (core/store/connection.py)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes into one transaction: all of them happen or none. It also holds the
        database's write lock, so other processes wait (up to the busy timeout) until it ends."""
        with self._store.transaction():
            yield

    def backup(self, tag: str) -> Path:
        """Copy the database next to itself as `<name>.<tag>.bak` (never replacing an earlier backup)."""
        return self._store.backup(tag)

    @property
    def schema_version(self) -> int:
        return self._store.schema_version

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> ProcessedDB:  # noqa: PYI034 (typing.Self needs Python 3.11)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- video identity, source videos that moved (core/store/videos.py)

    video_id = _Forward("videos", Videos.video_id)
    get_source_videos = _Forward("videos", Videos.get_source_videos)
    relink_video = _Forward("videos", Videos.relink_video)

    # -- exported clips, markers, export and vid folders (core/store/clips.py)

    add = _Forward("clips", Clips.add)
    get_clips = _Forward("clips", Clips.get_clips)
    get_clips_in = _Forward("clips", Clips.get_clips_in)
    get_markers = _Forward("clips", Clips.get_markers)
    get_clip_counts = _Forward("clips", Clips.get_clip_counts)
    delete_clips = _Forward("clips", Clips.delete_clips)
    update_clip_encoding = _Forward("clips", Clips.update_clip_encoding)
    get_export_folders = _Forward("clips", Clips.get_export_folders)
    get_training_stats = _Forward("clips", Clips.get_training_stats)
    get_vid_folder = _Forward("clips", Clips.get_vid_folder)
    find_vid_folder = _Forward("clips", Clips.find_vid_folder)
    vid_folder_in_use = _Forward("clips", Clips.vid_folder_in_use)
    get_vid_folder_paths = _Forward("clips", Clips.get_vid_folder_paths)
    get_vid_folders_in = _Forward("clips", Clips.get_vid_folders_in)
    recorded_outputs = _Forward("clips", Clips.recorded_outputs)
    export_folders = _Forward("clips", Clips.export_folders)

    # -- scan results with history (core/store/scans.py; seed design, section 2)

    save_scan_results = _Forward("scans", Scans.save_scan_results)
    get_scan_versions = _Forward("scans", Scans.get_scan_versions)
    get_scan_results = _Forward("scans", Scans.get_scan_results)
    set_scan_region_disabled = _Forward("scans", Scans.set_scan_region_disabled)
    update_scan_region = _Forward("scans", Scans.update_scan_region)

    # -- hard negatives (core/store/negatives.py; seed design, section 3)

    add_hard_negatives = _Forward("hard_negatives", HardNegatives.add_hard_negatives)
    get_hard_negatives = _Forward("hard_negatives", HardNegatives.get_hard_negatives)
    delete_hard_negatives_by_ids = _Forward("hard_negatives", HardNegatives.delete_hard_negatives_by_ids)

    # -- training data (core/store/training_data.py)

    get_training_data = _Forward("training_data", TrainingData.get_training_data)

    # -- legacy-layout migration plan (core/store/legacy_moves.py, driven by core/legacy_migration.py)

    get_legacy_layout_clips = _Forward("legacy_moves", LegacyMoves.get_legacy_layout_clips)
    has_legacy_layout_clips = _Forward("legacy_moves", LegacyMoves.has_legacy_layout_clips)
    has_legacy_plan = _Forward("legacy_moves", LegacyMoves.has_legacy_plan)
    save_legacy_plan = _Forward("legacy_moves", LegacyMoves.save_legacy_plan)
    get_legacy_plan = _Forward("legacy_moves", LegacyMoves.get_legacy_plan)
    finish_legacy_moves = _Forward("legacy_moves", LegacyMoves.finish_legacy_moves)
    clear_legacy_plan = _Forward("legacy_moves", LegacyMoves.clear_legacy_plan)

    # -- exports in progress, stale dataset.json (core/store/export_rows.py, driven by core/export_journal.py)

    begin_export = _Forward("export_journal", ExportJournal.begin_export)
    record_export_moves = _Forward("export_journal", ExportJournal.record_export_moves)
    end_export = _Forward("export_journal", ExportJournal.end_export)
    pending_exports = _Forward("export_journal", ExportJournal.pending_exports)
    mark_dataset_stale = _Forward("export_journal", ExportJournal.mark_dataset_stale)
    dataset_rewritten = _Forward("export_journal", ExportJournal.dataset_rewritten)
    stale_datasets = _Forward("export_journal", ExportJournal.stale_datasets)

    # -- profiles and their subprofiles (core/store/profiles.py)

    get_profiles = _Forward("profiles", Profiles.get_profiles)
    add_profile = _Forward("profiles", Profiles.add_profile)
    rename_profile = _Forward("profiles", Profiles.rename_profile)
    delete_profile = _Forward("profiles", Profiles.delete_profile)
    profile_contents = _Forward("profiles", Profiles.profile_contents)
    get_subprofiles = _Forward("profiles", Profiles.get_subprofiles)
    set_subprofiles = _Forward("profiles", Profiles.set_subprofiles)

    # -- playlist tabs and hidden files (core/store/playlist.py)

    get_playlist_tabs = _Forward("playlist", Playlist.get_playlist_tabs)
    save_playlist_tabs = _Forward("playlist", Playlist.save_playlist_tabs)
    hide_file = _Forward("playlist", Playlist.hide_file)
    unhide_file = _Forward("playlist", Playlist.unhide_file)
    get_hidden_files = _Forward("playlist", Playlist.get_hidden_files)
