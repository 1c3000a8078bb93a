"""The Foleycut database: exported clips, scan results with history, hard negatives, hidden files.

One sqlite file in the data home. The schema is versioned with `PRAGMA user_version`; `_MIGRATIONS` upgrade
it in order, each in its own transaction, after a backup copy of the file has been written next to it.
WAL and a busy timeout let two running instances share the file; one connection is shared by the UI's
worker threads behind a lock. A file that sqlite cannot read raises `DatabaseError` and is left as it is.
"""
from __future__ import annotations

import itertools
import json
import os
import sqlite3
import tempfile
import threading
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from core.errors import FoleycutError
from core.layout import (export_folder_of, lowest_free_number, parse_vid_folder, vid_folder_name,
                         vid_folder_of, vid_numbers_on_disk)

DEFAULT_CLIP_LENGTH = 8.0
BUSY_TIMEOUT_S = 10.0
SCAN_TIMESTAMP_FORMAT = "%Y%m%d_%H%M%S_%f"


class DatabaseError(FoleycutError):
    """The database file cannot be opened, read or upgraded."""


# ---------------------------------------------------------------------------------------------- schema


def _create_base_tables(conn: sqlite3.Connection) -> None:
    """The tables as the versions before schema versioning wrote them (IF NOT EXISTS keeps their data)."""
    _execute_each(conn, """
        CREATE TABLE IF NOT EXISTS processed (
            id INTEGER PRIMARY KEY,
            filename TEXT NOT NULL,
            source_path TEXT NOT NULL DEFAULT '',
            profile TEXT NOT NULL DEFAULT 'default',
            start_time REAL NOT NULL,
            output_path TEXT NOT NULL,
            label TEXT NOT NULL DEFAULT '',
            category TEXT NOT NULL DEFAULT '',
            scan_export INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
        );
        CREATE TABLE IF NOT EXISTS scan_results (
            id INTEGER PRIMARY KEY,
            filename TEXT NOT NULL,
            profile TEXT NOT NULL DEFAULT 'default',
            model TEXT NOT NULL,
            start_time REAL NOT NULL,
            end_time REAL NOT NULL,
            score REAL NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS hard_negatives (
            id INTEGER PRIMARY KEY,
            filename TEXT NOT NULL,
            profile TEXT NOT NULL DEFAULT 'default',
            start_time REAL NOT NULL,
            source_path TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
        );
        CREATE TABLE IF NOT EXISTS hidden_files (path TEXT PRIMARY KEY);
    """)


def _execute_each(conn: sqlite3.Connection, script: str) -> None:
    """Run `;`-separated statements inside the current transaction (executescript would commit it)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _add_column(conn: sqlite3.Connection, table: str, column: str, decl: str) -> None:
    """ALTER TABLE ADD COLUMN unless an unversioned older build already added it."""
    existing = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    if column not in existing:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")


def _add_scan_history(conn: sqlite3.Connection) -> None:
    # Legacy rows keep '' and so sort before every real version (seed design, section 2).
    _add_column(conn, "scan_results", "scan_timestamp", "TEXT NOT NULL DEFAULT ''")


def _add_hard_negative_source_model(conn: sqlite3.Connection) -> None:
    _add_column(conn, "hard_negatives", "source_model", "TEXT NOT NULL DEFAULT ''")


def _add_clip_details(conn: sqlite3.Connection) -> None:
    """Clip length, marker grouping, encoding settings, the classifier behind a scan, and the export
    folder / vid folder derived from each path so file-load queries can use an index."""
    _add_column(conn, "processed", "length", f"REAL NOT NULL DEFAULT {DEFAULT_CLIP_LENGTH}")
    _add_column(conn, "processed", "marker_time", "REAL")
    _add_column(conn, "processed", "settings", "TEXT NOT NULL DEFAULT '{}'")
    _add_column(conn, "processed", "export_folder", "TEXT NOT NULL DEFAULT ''")
    _add_column(conn, "processed", "vid_folder", "TEXT NOT NULL DEFAULT ''")
    _add_column(conn, "scan_results", "classifier", "TEXT NOT NULL DEFAULT ''")
    conn.create_function("export_folder_of", 1, export_folder_of, deterministic=True)
    conn.create_function("vid_folder_of", 1, vid_folder_of, deterministic=True)
    # Older rows never recorded the cursor time: each clip becomes its own marker.
    conn.execute("""UPDATE processed SET export_folder = export_folder_of(output_path),
                                         vid_folder = vid_folder_of(output_path),
                                         marker_time = COALESCE(marker_time, start_time)""")


def _add_indexes(conn: sqlite3.Connection) -> None:
    _execute_each(conn, """
        CREATE INDEX IF NOT EXISTS processed_by_video ON processed (profile, filename, start_time);
        CREATE INDEX IF NOT EXISTS processed_by_vid_folder ON processed (export_folder, vid_folder);
        CREATE INDEX IF NOT EXISTS processed_by_folder ON processed (profile, scan_export, export_folder);
        CREATE INDEX IF NOT EXISTS scan_results_by_version
            ON scan_results (filename, profile, model, scan_timestamp);
        CREATE INDEX IF NOT EXISTS hard_negatives_by_video ON hard_negatives (profile, filename, start_time);
    """)


def _add_legacy_move_plan(conn: sqlite3.Connection) -> None:
    """The legacy-layout migration's plan, written whole before its first move (core/legacy_migration.py).
    A move with a `processed_id` rewrites that row's path (and marker time) once done."""
    conn.execute("""
        CREATE TABLE IF NOT EXISTS legacy_moves (
            id INTEGER PRIMARY KEY,
            src TEXT NOT NULL,
            dst TEXT NOT NULL,
            processed_id INTEGER,
            marker_time REAL,
            done INTEGER NOT NULL DEFAULT 0
        )""")


def _add_file_load_indexes(conn: sqlite3.Connection) -> None:
    """Without them the vid-folder lookup on file load walked every clip of the export folder, and the
    startup check for legacy-layout clips every clip there is."""
    conn.execute("""CREATE INDEX IF NOT EXISTS processed_by_video_folder
                    ON processed (profile, filename, export_folder, vid_folder)""")
    conn.execute("""CREATE INDEX IF NOT EXISTS processed_in_legacy_layout ON processed (export_folder, vid_folder)
                    WHERE vid_folder GLOB 'clip_[0-9]*'""")


def _add_clip_counts(conn: sqlite3.Connection) -> None:
    """Clips per (profile, video), kept by triggers: the playlist reads it on every load, and counting
    100 k clips there took too long."""
    conn.execute("""CREATE TABLE IF NOT EXISTS clip_counts (
                        profile TEXT NOT NULL, filename TEXT NOT NULL, clips INTEGER NOT NULL,
                        PRIMARY KEY (profile, filename)) WITHOUT ROWID""")
    conn.execute("""INSERT INTO clip_counts (profile, filename, clips)
                    SELECT profile, filename, COUNT(*) FROM processed GROUP BY profile, filename""")
    count_in = """INSERT OR IGNORE INTO clip_counts (profile, filename, clips) VALUES (NEW.profile, NEW.filename, 0);
                  UPDATE clip_counts SET clips = clips + 1 WHERE profile = NEW.profile AND filename = NEW.filename;"""
    count_out = """UPDATE clip_counts SET clips = clips - 1 WHERE profile = OLD.profile AND filename = OLD.filename;
                   DELETE FROM clip_counts WHERE profile = OLD.profile AND filename = OLD.filename AND clips <= 0;"""
    conn.execute(f"CREATE TRIGGER clip_counted AFTER INSERT ON processed BEGIN {count_in} END")
    conn.execute(f"CREATE TRIGGER clip_uncounted AFTER DELETE ON processed BEGIN {count_out} END")
    conn.execute(f"""CREATE TRIGGER clip_recounted AFTER UPDATE OF profile, filename ON processed
                     BEGIN {count_out} {count_in} END""")


def _add_scan_versions(conn: sqlite3.Connection) -> None:
    """Every scan as a version of its own, also one that found nothing: without it an empty rescan left
    the previous scan's regions showing as the latest."""
    conn.execute("""CREATE TABLE IF NOT EXISTS scan_versions (
                        filename TEXT NOT NULL, profile TEXT NOT NULL, model TEXT NOT NULL,
                        scan_timestamp TEXT NOT NULL, classifier TEXT NOT NULL DEFAULT '',
                        PRIMARY KEY (filename, profile, model, scan_timestamp)) WITHOUT ROWID""")
    conn.execute("""INSERT OR IGNORE INTO scan_versions (filename, profile, model, scan_timestamp, classifier)
                    SELECT filename, profile, model, scan_timestamp, MAX(classifier) FROM scan_results
                    WHERE scan_timestamp != '' GROUP BY filename, profile, model, scan_timestamp""")


def _add_scan_review_details(conn: sqlite3.Connection) -> None:
    """What tells scan versions apart (classifier version, threshold), the extent a scan found (so a trimmed
    region's ghost survives a restart), and the scan region a hard negative was marked from."""
    _add_column(conn, "scan_versions", "classifier_version", "TEXT NOT NULL DEFAULT ''")
    _add_column(conn, "scan_versions", "threshold", "REAL")
    _add_column(conn, "scan_results", "original_start", "REAL")
    _add_column(conn, "scan_results", "original_end", "REAL")
    conn.execute("UPDATE scan_results SET original_start = start_time, original_end = end_time")
    _add_column(conn, "hard_negatives", "region_id", "INTEGER")


# Schema version N is reached by running _MIGRATIONS[N-1]; never edit or reorder an entry, only append.
_MIGRATIONS = (
    _create_base_tables,
    _add_scan_history,
    _add_hard_negative_source_model,
    _add_clip_details,
    _add_indexes,
    _add_legacy_move_plan,
    _add_file_load_indexes,
    _add_clip_counts,
    _add_scan_versions,
    _add_scan_review_details,
)
SCHEMA_VERSION = len(_MIGRATIONS)


# ---------------------------------------------------------------------------------------------- rows


@dataclass
class _TrainingVideo:
    positives: list[tuple[float, float]] = field(default_factory=list)
    ambiguous: list[tuple[float, float]] = field(default_factory=list)
    negatives: list[float] = field(default_factory=list)


def _clip_dict(row: sqlite3.Row) -> dict[str, Any]:
    clip = dict(row)
    clip["scan_export"] = bool(clip["scan_export"])
    clip["settings"] = json.loads(clip["settings"] or "{}")
    return clip


def _scan_dict(row: sqlite3.Row) -> dict[str, Any]:
    region = dict(row)
    region["disabled"] = bool(region["disabled"])
    return region


def _region_tuple(region) -> tuple[float, float, float]:
    """A scan region as (start, end, score), from a Region-like object or a plain tuple."""
    if hasattr(region, "start"):
        return float(region.start), float(region.end), float(region.score)
    start, end, score = region
    return float(start), float(end), float(score)


def _placeholders(values: Sequence) -> str:
    return ",".join("?" * len(values))


# ---------------------------------------------------------------------------------------------- database


class ProcessedDB:
    """All of Foleycut's persistent records. Safe to share between threads."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = threading.RLock()
        self._conn = self._open()

    # -- connection, migrations, transactions

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        conn.row_factory = sqlite3.Row
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # fails first on a non-database file
            if version > SCHEMA_VERSION:
                raise DatabaseError(
                    f"The database {self.path} was written by a newer Foleycut (schema {version}, this one "
                    f"knows up to {SCHEMA_VERSION}): update Foleycut or point it at another data home.")
            if version < SCHEMA_VERSION and self._has_tables(conn):
                self._backup_with(conn, f"v{version}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # durable enough with WAL, and much faster
            for target in range(version + 1, SCHEMA_VERSION + 1):
                self._run_migration(conn, target)
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.Error):
                raise self._error(exc) from exc
            raise
        return conn

    @staticmethod
    def _has_tables(conn: sqlite3.Connection) -> bool:
        return conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] > 0

    @staticmethod
    def _run_migration(conn: sqlite3.Connection, target: int) -> None:
        with _transaction(conn):
            # Another instance may have migrated while this one waited for the write lock.
            if conn.execute("PRAGMA user_version").fetchone()[0] < target:
                _MIGRATIONS[target - 1](conn)
                conn.execute(f"PRAGMA user_version = {target}")

    def _error(self, exc: sqlite3.Error) -> DatabaseError:
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return DatabaseError(f"The database {self.path} is busy (another Foleycut is writing to it): "
                                 "try again in a moment.")
        if isinstance(exc, sqlite3.OperationalError):  # cannot open or write: disk full, read-only, …
            return DatabaseError(f"The database {self.path} could not be used ({exc}): check that its disk has "
                                 "free space and its folder is writable, then try again.")
        return DatabaseError(f"Cannot read the database {self.path} ({exc}); it was left untouched: restore "
                             "a backup (*.bak next to it) or move it aside to start a new one.")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction; rolled back entirely when anything inside fails."""
        with self._read() as conn, _transaction(conn):
            yield conn

    def backup(self, tag: str) -> Path:
        """Copy the database next to itself as `<name>.<tag>.bak` (never replacing an earlier backup)."""
        with self._read() as conn:
            return self._backup_with(conn, tag)

    def _backup_with(self, conn: sqlite3.Connection, tag: str) -> Path:
        # Copied under a temporary name of its own first, so a killed run never leaves a half backup
        # looking whole and two instances backing up at once never write into one file.
        handle, partial_name = tempfile.mkstemp(dir=self.path.parent, prefix=f"{self.path.name}.", suffix=".part")
        os.close(handle)
        partial = Path(partial_name)
        copy = sqlite3.connect(partial)
        try:
            conn.backup(copy)
        finally:
            copy.close()
        return _publish_backup(partial, self.path, tag)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "ProcessedDB":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._read() as conn:
            return conn.execute("PRAGMA user_version").fetchone()[0]

    # -- exported clips

    def add(self, filename: str, start_time: float, output_path: str | os.PathLike, label: str = "",
            category: str = "", profile: str = "default", source_path: str = "", scan_export: bool = False,
            **settings) -> int:
        """Record one exported clip; `settings` may carry `length`, `marker_time` and encoding options."""
        length = float(settings.pop("length", DEFAULT_CLIP_LENGTH))
        marker_time = float(settings.pop("marker_time", start_time))
        output_path = str(output_path)
        with self._write() as conn:
            cursor = conn.execute(
                """INSERT INTO processed (filename, source_path, profile, start_time, length, output_path, label,
                                          category, scan_export, marker_time, settings, export_folder, vid_folder)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (filename, str(source_path), profile, float(start_time), length, output_path, label, category,
                 int(bool(scan_export)), marker_time, json.dumps(settings, sort_keys=True),
                 export_folder_of(output_path), vid_folder_of(output_path)))
            return cursor.lastrowid

    def get_clips(self, filename: str, profile: str = "default") -> list[dict[str, Any]]:
        """Every clip exported from one video, by start time."""
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM processed WHERE profile = ? AND filename = ? ORDER BY start_time, id",
                                (profile, filename)).fetchall()
        return [_clip_dict(row) for row in rows]

    def get_markers(self, filename: str, profile: str = "default") -> list[dict[str, Any]]:
        """One press of E each: `{marker_time, export_folder, clips}`, grouped by (marker time, export folder)."""
        groups: dict[tuple[float, str], list[dict[str, Any]]] = defaultdict(list)
        for clip in self.get_clips(filename, profile):
            groups[(clip["marker_time"], clip["export_folder"])].append(clip)
        return [{"marker_time": marker_time, "export_folder": folder, "clips": clips}
                for (marker_time, folder), clips in sorted(groups.items())]

    def get_clip_counts(self, profile: str = "default") -> dict[str, int]:
        """{filename: number of clips} for the playlist."""
        with self._read() as conn:
            rows = conn.execute("SELECT filename, clips FROM clip_counts WHERE profile = ?", (profile,)).fetchall()
        return {filename: count for filename, count in rows}

    def delete_clips(self, ids: Iterable[int]) -> int:
        ids = list(ids)
        with self._write() as conn:
            return conn.execute(f"DELETE FROM processed WHERE id IN ({_placeholders(ids)})", ids).rowcount

    def get_export_folders(self, profile: str = "default", include_scan_exports: bool = False) -> list[str]:
        """Sorted export-folder names; folders holding only scan exports are left out unless asked for."""
        query = "SELECT DISTINCT export_folder FROM processed WHERE profile = ?"
        if not include_scan_exports:
            query += " AND scan_export = 0"
        with self._read() as conn:
            folders = conn.execute(query, (profile,)).fetchall()
        return sorted({Path(folder).name for (folder,) in folders})

    def get_training_stats(self, profile: str = "default",
                           include_scan_exports: bool = False) -> dict[str, dict[str, int]]:
        """{export-folder name: {"clips": n, "videos": n}}, folders with no clips removed."""
        query = "SELECT export_folder, COUNT(*), COUNT(DISTINCT filename) FROM processed WHERE profile = ?"
        if not include_scan_exports:
            query += " AND scan_export = 0"
        with self._read() as conn:
            rows = conn.execute(query + " GROUP BY export_folder", (profile,)).fetchall()
        stats: dict[str, dict[str, int]] = {}
        for folder, clips, videos in rows:
            entry = stats.setdefault(Path(folder).name, {"clips": 0, "videos": 0})
            entry["clips"] += clips
            entry["videos"] += videos
        return {name: entry for name, entry in stats.items() if entry["clips"] > 0}

    # -- vid folders (SPEC section 3; naming in core/layout.py)

    def get_vid_folder(self, filename: str, profile: str, export_folder: str | os.PathLike) -> str:
        """`vid_NNN` for this video's clips in an export folder: the one it has, else the lowest number free
        in the database and on disk."""
        export_folder = os.path.normpath(export_folder)
        with self._read() as conn:
            existing = conn.execute(
                """SELECT vid_folder FROM processed WHERE profile = ? AND filename = ? AND export_folder = ?
                   AND vid_folder GLOB 'vid_[0-9]*' ORDER BY id LIMIT 1""",
                (profile, filename, export_folder)).fetchone()
            if existing:
                return existing[0]
            used = conn.execute("SELECT DISTINCT vid_folder FROM processed WHERE export_folder = ?",
                                (export_folder,)).fetchall()
        taken = {n for (name,) in used if (n := parse_vid_folder(name)) is not None}
        return vid_folder_name(lowest_free_number(taken | vid_numbers_on_disk(export_folder)))

    def get_vid_folder_paths(self, export_folder: str | os.PathLike, vid_folder: str) -> list[str]:
        """Stored output paths of every clip in one vid folder (for its counter)."""
        with self._read() as conn:
            rows = conn.execute("SELECT output_path FROM processed WHERE export_folder = ? AND vid_folder = ?",
                                (os.path.normpath(export_folder), vid_folder)).fetchall()
        return [path for (path,) in rows]

    def get_vid_folders_in(self, export_folder: str | os.PathLike) -> dict[tuple[str, str], str]:
        """{(profile, filename): vid folder} for the videos already laid out in an export folder."""
        with self._read() as conn:
            rows = conn.execute(
                """SELECT profile, filename, MIN(vid_folder) FROM processed
                   WHERE export_folder = ? AND vid_folder GLOB 'vid_[0-9]*' GROUP BY profile, filename""",
                (os.path.normpath(export_folder),)).fetchall()
        return {(profile, filename): vid for profile, filename, vid in rows}

    # -- scan results with history (seed design, section 2)

    def save_scan_results(self, filename: str, profile: str, model: str, regions: Iterable,
                          max_versions: int = 5, classifier: str = "", *, classifier_version: str = "",
                          threshold: float | None = None) -> str:
        """Store one scan as a new version of (filename, profile, model); keep the newest `max_versions`.
        Returns the version's scan_timestamp. A scan identical to the latest version (same classifier,
        classifier version, threshold and regions) is not stored again: its timestamp is returned instead."""
        rows = [_region_tuple(region) for region in regions]
        key = (filename, profile, model)
        with self._write() as conn:
            latest = conn.execute(
                "SELECT MAX(scan_timestamp) FROM scan_versions WHERE filename = ? AND profile = ? AND model = ?",
                key).fetchone()[0]
            if latest and self._same_scan(conn, key, latest, rows, classifier, classifier_version, threshold):
                return latest
            timestamp = _next_scan_timestamp(latest)
            conn.execute("INSERT INTO scan_versions (filename, profile, model, scan_timestamp, classifier, "
                         "classifier_version, threshold) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (*key, timestamp, classifier, classifier_version, threshold))
            conn.executemany(
                """INSERT INTO scan_results (filename, profile, model, classifier, start_time, end_time, score,
                                             scan_timestamp, original_start, original_end)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [(*key, classifier, start, end, score, timestamp, start, end) for start, end, score in rows])
            pruned = [ts for (ts,) in conn.execute(
                """SELECT scan_timestamp FROM scan_versions WHERE filename = ? AND profile = ? AND model = ?
                   ORDER BY scan_timestamp DESC LIMIT -1 OFFSET ?""", (*key, max(1, max_versions)))]
            for table in ("scan_results", "scan_versions"):
                conn.executemany(f"DELETE FROM {table} WHERE filename = ? AND profile = ? AND model = ? "
                                 "AND scan_timestamp = ?", [(*key, ts) for ts in pruned])
        return timestamp

    @staticmethod
    def _same_scan(conn: sqlite3.Connection, key: tuple, timestamp: str, rows: list, classifier: str,
                   classifier_version: str, threshold: float | None) -> bool:
        """Whether version `timestamp` holds exactly this scan (edits since then do not count)."""
        stored = conn.execute(
            "SELECT classifier, classifier_version, threshold FROM scan_versions WHERE filename = ? AND profile = ? "
            "AND model = ? AND scan_timestamp = ?", (*key, timestamp)).fetchone()
        if tuple(stored) != (classifier, classifier_version, threshold):
            return False
        found = conn.execute(
            "SELECT COALESCE(original_start, start_time), COALESCE(original_end, end_time), score FROM scan_results "
            "WHERE filename = ? AND profile = ? AND model = ? AND scan_timestamp = ?", (*key, timestamp)).fetchall()

        def rounded(regions):
            return sorted(tuple(round(value, 6) for value in region) for region in regions)
        return rounded(found) == rounded(rows)

    def get_scan_versions(self, filename: str, profile: str, model: str) -> list[dict[str, Any]]:
        """[{timestamp, count, max_score, classifier, classifier_version, threshold}] newest first (an empty
        scan: count 0, max_score None); legacy rows (no timestamp) are not a version."""
        with self._read() as conn:
            rows = conn.execute(
                """SELECT v.scan_timestamp, COUNT(s.id), MAX(s.score), v.classifier, v.classifier_version,
                          v.threshold FROM scan_versions v
                   LEFT JOIN scan_results s ON s.filename = v.filename AND s.profile = v.profile
                        AND s.model = v.model AND s.scan_timestamp = v.scan_timestamp
                   WHERE v.filename = ? AND v.profile = ? AND v.model = ?
                   GROUP BY v.scan_timestamp ORDER BY v.scan_timestamp DESC""",
                (filename, profile, model)).fetchall()
        return [{"timestamp": ts, "count": count, "max_score": max_score, "classifier": classifier,
                 "classifier_version": version, "threshold": threshold}
                for ts, count, max_score, classifier, version, threshold in rows]

    def get_scan_results(self, filename: str, profile: str = "default",
                         scan_timestamp: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """{model: regions by start time}: the given version, else the latest version of each model (an
        empty list when that scan found nothing; legacy unversioned rows when a model has no version)."""
        columns = ("s.id, s.model, s.classifier, s.start_time, s.end_time, s.score, s.disabled, s.scan_timestamp, "
                   "COALESCE(s.original_start, s.start_time) AS original_start, "
                   "COALESCE(s.original_end, s.end_time) AS original_end")
        with self._read() as conn:
            if scan_timestamp is not None:
                rows = conn.execute(
                    f"""SELECT {columns} FROM scan_results s WHERE s.filename = ? AND s.profile = ?
                        AND s.scan_timestamp = ? ORDER BY s.model, s.start_time, s.id""",
                    (filename, profile, scan_timestamp)).fetchall()
            else:
                versioned = [model for (model,) in conn.execute(
                    "SELECT DISTINCT model FROM scan_versions WHERE filename = ? AND profile = ?",
                    (filename, profile))]
                # Legacy rows ('') sort before every real version, so they show only where none exists.
                rows = conn.execute(
                    f"""SELECT {columns} FROM scan_results s
                        INNER JOIN (SELECT model, MAX(scan_timestamp) AS latest FROM (
                                        SELECT model, scan_timestamp FROM scan_versions
                                        WHERE filename = ? AND profile = ?
                                        UNION ALL SELECT model, scan_timestamp FROM scan_results
                                        WHERE filename = ? AND profile = ? AND scan_timestamp = '')
                                    GROUP BY model) v
                        ON s.model = v.model AND s.scan_timestamp = v.latest
                        WHERE s.filename = ? AND s.profile = ? ORDER BY s.model, s.start_time, s.id""",
                    (filename, profile, filename, profile, filename, profile)).fetchall()
        results: dict[str, list[dict[str, Any]]] = defaultdict(list)
        if scan_timestamp is None:
            for model in versioned:  # a latest scan that found nothing still names its model
                results.setdefault(model, [])
        for row in rows:
            region = _scan_dict(row)
            results[region.pop("model")].append(region)
        return dict(results)

    def set_scan_region_disabled(self, ids: Iterable[int], disabled: bool) -> None:
        ids = list(ids)
        with self._write() as conn:
            conn.execute(f"UPDATE scan_results SET disabled = ? WHERE id IN ({_placeholders(ids)})",
                         [int(bool(disabled)), *ids])

    def update_scan_region(self, region_id: int, start_time: float, end_time: float) -> None:
        with self._write() as conn:
            conn.execute("UPDATE scan_results SET start_time = ?, end_time = ? WHERE id = ?",
                         (float(start_time), float(end_time), region_id))

    # -- hard negatives (seed design, section 3)

    def add_hard_negatives(self, filename: str, profile: str, times: Iterable[float], source_path: str = "",
                           source_model: str = "", *, region_id: int | None = None) -> list[int]:
        """`region_id`: the scan region the times were marked from, so the negatives can be told by region."""
        with self._write() as conn:
            return [conn.execute(
                """INSERT INTO hard_negatives (filename, profile, start_time, source_path, source_model, region_id)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                (filename, profile, float(t), str(source_path), source_model, region_id)).lastrowid for t in times]

    def get_hard_negatives(self, profile: str = "default") -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = conn.execute(
                """SELECT id, filename, start_time, source_path, source_model, region_id FROM hard_negatives
                   WHERE profile = ? ORDER BY filename, start_time, id""", (profile,)).fetchall()
        return [dict(row) for row in rows]

    def delete_hard_negatives_by_ids(self, ids: Iterable[int]) -> int:
        ids = list(ids)
        with self._write() as conn:
            return conn.execute(f"DELETE FROM hard_negatives WHERE id IN ({_placeholders(ids)})", ids).rowcount

    # -- training data

    def get_training_data(self, profile: str, positive_folder: str, negative_folder: str | None = None,
                          include_scan_exports: bool = False, use_hard_negatives: bool = True
                          ) -> list[tuple[str, list[tuple[float, float]], list[tuple[float, float]], list[float]]]:
        """One `(source_path, positives, ambiguous, negatives)` per source video that exists on disk and has
        positives or explicit negatives.

        Folders are matched by export-folder name (a full path works too). `ambiguous` holds the video's
        clips in any other folder, and scan exports when they are not included, so training never draws
        automatic negatives from them. `negatives` are start times: negative-folder clips and hard negatives.
        """
        positive = Path(positive_folder).name
        negative = Path(negative_folder).name if negative_folder else None
        videos: dict[str, _TrainingVideo] = defaultdict(_TrainingVideo)
        source_of: dict[str, str] = {}
        with self._read() as conn:
            clips = conn.execute(
                """SELECT filename, source_path, start_time, length, export_folder, scan_export FROM processed
                   WHERE profile = ? AND source_path != '' ORDER BY start_time, id""", (profile,)).fetchall()
            hard_negatives = conn.execute(
                "SELECT filename, source_path, start_time FROM hard_negatives WHERE profile = ? ORDER BY start_time",
                (profile,)).fetchall() if use_hard_negatives else []
        for filename, source, start, length, folder, scan_export in clips:
            source_of.setdefault(filename, source)
            video = videos[source]
            counted = include_scan_exports or not scan_export
            folder_name = Path(folder).name
            if counted and folder_name == positive:
                video.positives.append((start, length))
            elif counted and folder_name == negative:
                video.negatives.append(start)
            else:
                video.ambiguous.append((start, length))
        for filename, source, start in hard_negatives:
            source = source or source_of.get(filename, "")
            if source:
                videos[source].negatives.append(start)
        return [(source, video.positives, video.ambiguous, sorted(video.negatives))
                for source, video in sorted(videos.items())
                if (video.positives or video.negatives) and Path(source).is_file()]

    # -- legacy-layout migration plan (driven by core/legacy_migration.py)

    def get_legacy_layout_clips(self) -> list[dict[str, Any]]:
        """Clips still stored in a legacy `clip_NNN` group dir."""
        with self._read() as conn:
            rows = conn.execute(
                """SELECT id, filename, profile, start_time, output_path, export_folder, vid_folder FROM processed
                   WHERE vid_folder GLOB 'clip_[0-9]*' ORDER BY export_folder, vid_folder, id""").fetchall()
        return [dict(row) for row in rows]

    def has_legacy_layout_clips(self) -> bool:
        with self._read() as conn:
            return conn.execute(
                "SELECT EXISTS (SELECT 1 FROM processed WHERE vid_folder GLOB 'clip_[0-9]*')").fetchone()[0] == 1

    def has_legacy_plan(self) -> bool:
        with self._read() as conn:
            return conn.execute("SELECT EXISTS (SELECT 1 FROM legacy_moves)").fetchone()[0] == 1

    def save_legacy_plan(self, moves: Iterable[tuple[str, str, int | None, float | None]]) -> bool:
        """Record every planned move `(src, dst, processed_id, marker_time)` in one transaction. False, and
        nothing written, when a plan is already recorded (another instance got there first)."""
        with self._write() as conn:
            if conn.execute("SELECT EXISTS (SELECT 1 FROM legacy_moves)").fetchone()[0]:
                return False
            conn.executemany("INSERT INTO legacy_moves (src, dst, processed_id, marker_time) VALUES (?, ?, ?, ?)",
                             moves)
            return True

    def get_legacy_plan(self) -> list[dict[str, Any]]:
        """The recorded plan in order, each move with its `done` flag; empty when no migration is under way."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, src, dst, processed_id, marker_time, done FROM legacy_moves ORDER BY id").fetchall()
        return [dict(row) for row in rows]

    def finish_legacy_moves(self, moves: Sequence[dict[str, Any]]) -> None:
        """Mark a run of consecutive pending moves done and point their clips at the new paths, in one
        transaction. Every move between the first and the last id is in the run or was done before."""
        rewrites = [(move["dst"], vid_folder_of(move["dst"]), move["marker_time"], move["processed_id"])
                    for move in moves if move["processed_id"] is not None]
        with self._write() as conn:
            conn.execute("UPDATE legacy_moves SET done = 1 WHERE id BETWEEN ? AND ?",
                         (moves[0]["id"], moves[-1]["id"]))
            conn.executemany(
                """UPDATE processed SET output_path = ?, vid_folder = ?, marker_time = COALESCE(?, marker_time)
                   WHERE id = ?""", rewrites)

    def clear_legacy_plan(self) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM legacy_moves")

    # -- hidden playlist files

    def hide_file(self, path: str | os.PathLike) -> None:
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO hidden_files (path) VALUES (?)", (str(path),))

    def unhide_file(self, path: str | os.PathLike) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM hidden_files WHERE path = ?", (str(path),))

    def get_hidden_files(self) -> list[str]:
        with self._read() as conn:
            return [path for (path,) in conn.execute("SELECT path FROM hidden_files ORDER BY path")]

    def get_profiles(self) -> list[str]:
        """Every profile that holds clips, scans or hard negatives (the CLI's `--profile` creates them too)."""
        with self._read() as conn:
            return [name for (name,) in conn.execute(
                "SELECT profile FROM processed UNION SELECT profile FROM scan_results "
                "UNION SELECT profile FROM hard_negatives ORDER BY 1")]


def _publish_backup(partial: Path, db_path: Path, tag: str) -> Path:
    """Give a finished backup the first free name `<db>.<tag>.bak`, `<db>.<tag>.2.bak`, … without ever
    replacing one: a hard link fails when the name is taken, where a rename would overwrite."""
    for n in itertools.count(1):
        target = db_path.with_name(f"{db_path.name}.{tag}.bak" if n == 1 else f"{db_path.name}.{tag}.{n}.bak")
        try:
            os.link(partial, target)
        except FileExistsError:
            continue
        except OSError:  # no hard links on this filesystem (FAT, some network shares)
            if target.exists():
                continue
            return partial.rename(target)
        partial.unlink()
        return target


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT, rolled back when anything inside (or the commit itself) fails."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _next_scan_timestamp(latest: str | None) -> str:
    """Now with microseconds, nudged past `latest` so a new version always sorts last even on a coarse or
    backward-stepping clock."""
    now = datetime.now()
    if latest:
        try:
            previous = datetime.strptime(latest, SCAN_TIMESTAMP_FORMAT)
        except ValueError:
            previous = None
        if previous is not None and now <= previous:
            now = previous + timedelta(microseconds=1)
    return now.strftime(SCAN_TIMESTAMP_FORMAT)
