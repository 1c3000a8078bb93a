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
from core.video_identity import VideoIdentity, identify
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


def _add_video_identity(conn: sqlite3.Connection) -> None:
    """Each source video gets an identity (path, size, content fingerprint; core/video_identity.py) and
    every per-video row points at it, so two videos sharing a base name never share clips, vid folders,
    scans or negatives. Existing clips and negatives know their video's path; a legacy scan row, which only
    knows a base name, joins the one video of that name, and stays unattached when several share it."""
    conn.execute("""CREATE TABLE IF NOT EXISTS videos (
                        id INTEGER PRIMARY KEY, path TEXT NOT NULL, filename TEXT NOT NULL,
                        size INTEGER, fingerprint TEXT)""")
    conn.execute("CREATE INDEX IF NOT EXISTS videos_by_content ON videos (size, fingerprint)")
    conn.execute("CREATE INDEX IF NOT EXISTS videos_by_path ON videos (path)")
    conn.execute("CREATE INDEX IF NOT EXISTS videos_by_filename ON videos (filename)")
    for table in ("processed", "scan_results", "scan_versions", "hard_negatives"):
        _add_column(conn, table, "video_id", "INTEGER")
    paths = conn.execute("""SELECT source_path, MIN(filename) FROM (
                                SELECT source_path, filename FROM processed WHERE source_path != ''
                                UNION SELECT source_path, filename FROM hard_negatives WHERE source_path != '')
                            GROUP BY source_path""").fetchall()
    conn.execute("CREATE TEMP TABLE video_paths (path TEXT PRIMARY KEY, video_id INTEGER)")
    for path, filename in paths:
        identity = identify(path)
        video_id = conn.execute("INSERT INTO videos (path, filename, size, fingerprint) VALUES (?, ?, ?, ?)",
                                (path, filename, identity and identity.size,
                                 identity and identity.fingerprint)).lastrowid
        conn.execute("INSERT INTO video_paths VALUES (?, ?)", (path, video_id))
    for table in ("processed", "hard_negatives"):
        conn.execute(f"""UPDATE {table} SET video_id = (SELECT video_id FROM video_paths p
                                                         WHERE p.path = {table}.source_path)
                         WHERE source_path != ''""")
    conn.execute("DROP TABLE temp.video_paths")
    for table in ("scan_results", "scan_versions"):
        conn.execute(f"""UPDATE {table} SET video_id = (SELECT MIN(id) FROM videos v WHERE v.filename = {table}.filename)
                         WHERE (SELECT COUNT(*) FROM videos v WHERE v.filename = {table}.filename) = 1""")
    conn.execute("CREATE INDEX IF NOT EXISTS processed_by_video_id ON processed (video_id, profile, export_folder)")
    conn.execute("CREATE INDEX IF NOT EXISTS scan_results_by_video_id ON scan_results (video_id, profile, model)")


def _add_export_journal(conn: sqlite3.Connection) -> None:
    """Exports in progress (core/export_journal.py): the temp files, folders and final names each one may
    leave behind, recorded before they exist, so a killed export is undone at the next start; and export
    folders whose dataset.json is older than their rows (marked with the rows, cleared once rewritten)."""
    conn.execute("""CREATE TABLE IF NOT EXISTS export_journal (
                        id INTEGER PRIMARY KEY, owner TEXT NOT NULL, temps TEXT NOT NULL DEFAULT '[]',
                        created_dirs TEXT NOT NULL DEFAULT '[]', moves TEXT NOT NULL DEFAULT '[]')""")
    conn.execute("CREATE TABLE IF NOT EXISTS stale_datasets (export_folder TEXT PRIMARY KEY)")


def _add_profiles_and_playlist_tabs(conn: sqlite3.Connection) -> None:
    """Profiles as rows of their own (so one can be renamed, duplicated or deleted in one transaction), each
    with its subprofiles (export-folder variants, keys 1-9); and the playlist's tabs with their files and
    separators, so they survive a restart. Every profile that already holds data is listed."""
    _execute_each(conn, """
        CREATE TABLE IF NOT EXISTS profiles (name TEXT PRIMARY KEY, position INTEGER NOT NULL DEFAULT 0);
        INSERT OR IGNORE INTO profiles (name)
            SELECT 'default' UNION SELECT profile FROM processed UNION SELECT profile FROM scan_results
            UNION SELECT profile FROM hard_negatives;
        CREATE TABLE IF NOT EXISTS subprofiles (
            profile TEXT NOT NULL, position INTEGER NOT NULL, export_folder TEXT NOT NULL,
            PRIMARY KEY (profile, position)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS playlist_tabs (
            id INTEGER PRIMARY KEY, position INTEGER NOT NULL, name TEXT NOT NULL,
            export_folder TEXT NOT NULL DEFAULT '', hide_exported INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS playlist_items (
            tab_id INTEGER NOT NULL, position INTEGER NOT NULL, path TEXT NOT NULL DEFAULT '', separator TEXT,
            PRIMARY KEY (tab_id, position)) WITHOUT ROWID
    """)


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
    _add_video_identity,
    _add_export_journal,
    _add_profiles_and_playlist_tabs,
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


@dataclass(frozen=True)
class _VideoRows:
    """Which rows of a per-video table belong to one video: those carrying its id, and legacy rows (no id,
    only a base name) under its name as long as no other known video shares that name."""

    filename: str
    video_id: int | None
    legacy: bool

    def where(self, alias: str = "", also: str = "", also_params: Sequence = ()) -> tuple[str, list]:
        """SQL condition and its parameters; `also` is repeated inside each alternative so that sqlite
        searches each with its own index rather than walking a whole profile."""
        col = f"{alias}." if alias else ""
        extra, extra_params = (f" AND {also}", list(also_params)) if also else ("", [])
        by_name = f"({col}video_id IS NULL AND {col}filename = ?{extra})", [self.filename, *extra_params]
        if self.video_id is None:
            return by_name if self.legacy else ("0", [])
        by_id = f"({col}video_id = ?{extra})", [self.video_id, *extra_params]
        if self.legacy:
            return f"({by_id[0]} OR {by_name[0]})", by_id[1] + by_name[1]
        return by_id


def _find_video(conn: sqlite3.Connection, path: str, identity: VideoIdentity | None) -> int | None:
    """The known video this file is: same content recorded at this path, or at a path where nothing lies any
    more (the file or its folder was moved or renamed); else a video recorded at this path before its
    content was known. A copy beside its original, or a different file now at a known path, is a video of
    its own."""
    if identity is not None:
        same_content = conn.execute("SELECT id, path FROM videos WHERE size = ? AND fingerprint = ? "
                                    "ORDER BY path = ? DESC, id", (identity.size, identity.fingerprint, path))
        row = next(((row_id,) for row_id, known in same_content if known == path or not os.path.exists(known)), None)
        if row is None:
            row = conn.execute("SELECT id FROM videos WHERE path = ? AND fingerprint IS NULL ORDER BY id LIMIT 1",
                               (path,)).fetchone()
    else:  # unreadable now (moved away, offline drive): the path is all there is to go on
        row = conn.execute("SELECT id FROM videos WHERE path = ? ORDER BY id DESC LIMIT 1", (path,)).fetchone()
    return row[0] if row else None


def _register_video(conn: sqlite3.Connection, path: str, identity: VideoIdentity | None) -> int:
    """_find_video, recording where the file lies now (a move or rename) and its content once readable;
    a new video when it is none of the known ones."""
    found = _find_video(conn, path, identity)
    filename = os.path.basename(path)
    if found is None:
        return conn.execute("INSERT INTO videos (path, filename, size, fingerprint) VALUES (?, ?, ?, ?)",
                            (path, filename, identity and identity.size,
                             identity and identity.fingerprint)).lastrowid
    if identity is not None:
        conn.execute("UPDATE videos SET path = ?, filename = ?, size = ?, fingerprint = ? WHERE id = ?",
                     (path, filename, identity.size, identity.fingerprint, found))
    return found


def _absolute(source_path: str | os.PathLike) -> str:
    return os.path.abspath(os.fspath(source_path))


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
        """One transaction; rolled back entirely when anything inside fails. Inside `transaction()` it is
        part of that one."""
        with self._read() as conn:
            if conn.in_transaction:
                yield conn
            else:
                with _transaction(conn):
                    yield conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes into one transaction: all of them happen or none. It also holds the
        database's write lock, so other processes wait (up to the busy timeout) until it ends."""
        with self._write():
            yield

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

    # -- video identity (core/video_identity.py)

    def video_id(self, source_path: str | os.PathLike) -> int:
        """The id of the video at this path, recorded (or its new location noted) if need be."""
        path = _absolute(source_path)
        identity = identify(path)
        with self._write() as conn:
            return _register_video(conn, path, identity)

    def _video_rows(self, conn: sqlite3.Connection, filename: str, source_path: str | os.PathLike | None = None,
                    register: bool = False) -> _VideoRows:
        """Resolve (filename, optional path) to one video's rows. With a path the video is known exactly;
        a base name alone is enough while only one known video carries it, and refused when several do."""
        video_id = None
        if source_path:
            path = _absolute(source_path)
            identity = identify(path)
            video_id = (_register_video if register else _find_video)(conn, path, identity)
        named = [row_id for (row_id,) in conn.execute("SELECT id FROM videos WHERE filename = ?", (filename,))]
        if not source_path:
            if len(named) > 1:
                raise FoleycutError(f"{len(named)} different videos are named {filename}: give the video's full path "
                                    "so their clips, scans and negatives stay apart.")
            return _VideoRows(filename, named[0] if named else None, legacy=True)
        return _VideoRows(filename, video_id, legacy=all(row_id == video_id for row_id in named))

    # -- exported clips

    def add(self, filename: str, start_time: float, output_path: str | os.PathLike, label: str = "",
            category: str = "", profile: str = "default", source_path: str = "", scan_export: bool = False,
            **settings) -> int:
        """Record one exported clip; `settings` may carry `length`, `marker_time` and encoding options."""
        length = float(settings.pop("length", DEFAULT_CLIP_LENGTH))
        marker_time = float(settings.pop("marker_time", start_time))
        output_path = str(output_path)
        with self._write() as conn:
            video = self._video_rows(conn, filename, source_path, register=True)
            cursor = conn.execute(
                """INSERT INTO processed (filename, source_path, profile, start_time, length, output_path, label,
                                          category, scan_export, marker_time, settings, export_folder, vid_folder,
                                          video_id)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (filename, str(source_path), profile, float(start_time), length, output_path, label, category,
                 int(bool(scan_export)), marker_time, json.dumps(settings, sort_keys=True),
                 export_folder_of(output_path), vid_folder_of(output_path), video.video_id))
            return cursor.lastrowid

    def get_clips(self, filename: str, profile: str = "default",
                  source_path: str | os.PathLike | None = None) -> list[dict[str, Any]]:
        """Every clip exported from one video, by start time."""
        with self._read() as conn:
            where, params = self._video_rows(conn, filename, source_path).where("", "profile = ?", [profile])
            rows = conn.execute(f"SELECT * FROM processed WHERE {where} ORDER BY start_time, id", params).fetchall()
        return [_clip_dict(row) for row in rows]

    def get_clips_in(self, export_folder: str | os.PathLike) -> list[dict[str, Any]]:
        """Every clip of one export folder, whichever video and profile it came from."""
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM processed WHERE export_folder = ? ORDER BY output_path, id",
                                (os.path.normpath(export_folder),)).fetchall()
        return [_clip_dict(row) for row in rows]

    def get_markers(self, filename: str, profile: str = "default",
                    source_path: str | os.PathLike | None = None) -> list[dict[str, Any]]:
        """One press of E each: `{marker_time, export_folder, clips}`, grouped by (marker time, export folder)."""
        groups: dict[tuple[float, str], list[dict[str, Any]]] = defaultdict(list)
        for clip in self.get_clips(filename, profile, source_path):
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

    def update_clip_encoding(self, clip_id: int, length: float, settings: dict) -> None:
        """A re-exported clip keeps its row, name and start; only its length and encoding settings change."""
        with self._write() as conn:
            conn.execute("UPDATE processed SET length = ?, settings = ? WHERE id = ?",
                         (float(length), json.dumps(settings, sort_keys=True), clip_id))

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

    def get_vid_folder(self, filename: str, profile: str, export_folder: str | os.PathLike,
                       source_path: str | os.PathLike | None = None) -> str:
        """`vid_NNN` for this video's clips in an export folder: the one it has, else the lowest number free
        in the database and on disk."""
        existing = self.find_vid_folder(filename, profile, export_folder, source_path)
        if existing:
            return existing
        with self._read() as conn:
            used = conn.execute("SELECT DISTINCT vid_folder FROM processed WHERE export_folder = ?",
                                (os.path.normpath(export_folder),)).fetchall()
        taken = {n for (name,) in used if (n := parse_vid_folder(name)) is not None}
        return vid_folder_name(lowest_free_number(taken | vid_numbers_on_disk(export_folder)))

    def find_vid_folder(self, filename: str, profile: str, export_folder: str | os.PathLike,
                        source_path: str | os.PathLike | None = None) -> str | None:
        """The `vid_NNN` this video already has in an export folder, None when it has none yet."""
        with self._read() as conn:
            where, params = self._video_rows(conn, filename, source_path).where(
                "", "profile = ? AND export_folder = ?", [profile, os.path.normpath(export_folder)])
            existing = conn.execute(
                f"""SELECT vid_folder FROM processed WHERE {where} AND vid_folder GLOB 'vid_[0-9]*'
                    ORDER BY id LIMIT 1""", params).fetchone()
        return existing[0] if existing else None

    def vid_folder_in_use(self, export_folder: str | os.PathLike, vid_folder: str) -> bool:
        """Whether any clip row already lies in this vid folder."""
        with self._read() as conn:
            return conn.execute("SELECT EXISTS (SELECT 1 FROM processed WHERE export_folder = ? AND vid_folder = ?)",
                                (os.path.normpath(export_folder), vid_folder)).fetchone()[0] == 1

    def get_vid_folder_paths(self, export_folder: str | os.PathLike, vid_folder: str) -> list[str]:
        """Stored output paths of every clip in one vid folder (for its counter)."""
        with self._read() as conn:
            rows = conn.execute("SELECT output_path FROM processed WHERE export_folder = ? AND vid_folder = ?",
                                (os.path.normpath(export_folder), vid_folder)).fetchall()
        return [path for (path,) in rows]

    def get_vid_folders_in(self, export_folder: str | os.PathLike) -> dict[tuple[str, int | str], str]:
        """{(profile, video): vid folder} for the videos already laid out in an export folder; a video is its
        id, or its base name for rows that never learnt which video they came from."""
        with self._read() as conn:
            rows = conn.execute(
                """SELECT profile, COALESCE(video_id, filename), MIN(vid_folder) FROM processed
                   WHERE export_folder = ? AND vid_folder GLOB 'vid_[0-9]*'
                   GROUP BY profile, COALESCE(video_id, filename)""",
                (os.path.normpath(export_folder),)).fetchall()
        return {(profile, video): vid for profile, video, vid in rows}

    # -- scan results with history (seed design, section 2)

    def save_scan_results(self, filename: str, profile: str, model: str, regions: Iterable,
                          max_versions: int = 5, classifier: str = "",
                          source_path: str | os.PathLike | None = None, *, classifier_version: str = "",
                          threshold: float | None = None) -> str:
        """Store one scan as a new version of (video, profile, model); keep the newest `max_versions`.
        Returns the version's scan_timestamp. A scan identical to the latest version of this video (same
        classifier, classifier version, threshold and regions) is not stored again: its timestamp is
        returned instead."""
        rows = [_region_tuple(region) for region in regions]
        with self._write() as conn:
            video = self._video_rows(conn, filename, source_path, register=True)
            where, params = video.where()
            # Newest over every video of this name, so a version's (name, timestamp) stays unique.
            latest = conn.execute(
                "SELECT MAX(scan_timestamp) FROM scan_versions WHERE filename = ? AND profile = ? AND model = ?",
                (filename, profile, model)).fetchone()[0]
            own_latest = conn.execute(
                f"SELECT MAX(scan_timestamp) FROM scan_versions WHERE {where} AND profile = ? AND model = ?",
                (*params, profile, model)).fetchone()[0]
            if own_latest and self._same_scan(conn, (where, params, profile, model), own_latest, rows, classifier,
                                              classifier_version, threshold):
                return own_latest
            timestamp = _next_scan_timestamp(latest)
            key = (filename, profile, model, video.video_id)
            conn.execute("INSERT INTO scan_versions (filename, profile, model, video_id, scan_timestamp, classifier, "
                         "classifier_version, threshold) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (*key, timestamp, classifier, classifier_version, threshold))
            conn.executemany(
                """INSERT INTO scan_results (filename, profile, model, video_id, classifier, start_time, end_time,
                                             score, scan_timestamp, original_start, original_end)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [(*key, classifier, start, end, score, timestamp, start, end) for start, end, score in rows])
            pruned = [ts for (ts,) in conn.execute(
                f"""SELECT scan_timestamp FROM scan_versions WHERE {where} AND profile = ? AND model = ?
                    ORDER BY scan_timestamp DESC LIMIT -1 OFFSET ?""", (*params, profile, model, max(1, max_versions)))]
            for table in ("scan_results", "scan_versions"):
                conn.executemany(f"DELETE FROM {table} WHERE {where} AND profile = ? AND model = ? "
                                 "AND scan_timestamp = ?", [(*params, profile, model, ts) for ts in pruned])
        return timestamp

    @staticmethod
    def _same_scan(conn: sqlite3.Connection, video: tuple, timestamp: str, rows: list, classifier: str,
                   classifier_version: str, threshold: float | None) -> bool:
        """Whether version `timestamp` of the video holds exactly this scan (edits since then do not count)."""
        where, params, profile, model = video
        stored = conn.execute(
            f"SELECT classifier, classifier_version, threshold FROM scan_versions WHERE {where} AND profile = ? "
            "AND model = ? AND scan_timestamp = ?", (*params, profile, model, timestamp)).fetchone()
        if tuple(stored) != (classifier, classifier_version, threshold):
            return False
        found = conn.execute(
            f"SELECT COALESCE(original_start, start_time), COALESCE(original_end, end_time), score FROM scan_results "
            f"WHERE {where} AND profile = ? AND model = ? AND scan_timestamp = ?",
            (*params, profile, model, timestamp)).fetchall()

        def rounded(regions):
            return sorted(tuple(round(value, 6) for value in region) for region in regions)
        return rounded(found) == rounded(rows)

    def get_scan_versions(self, filename: str, profile: str, model: str,
                          source_path: str | os.PathLike | None = None) -> list[dict[str, Any]]:
        """[{timestamp, count, max_score, classifier, classifier_version, threshold}] newest first (an empty
        scan: count 0, max_score None); legacy rows (no timestamp) are not a version."""
        with self._read() as conn:
            where, params = self._video_rows(conn, filename, source_path).where("v")
            rows = conn.execute(
                f"""SELECT v.scan_timestamp, COUNT(s.id), MAX(s.score), v.classifier, v.classifier_version,
                           v.threshold FROM scan_versions v
                    LEFT JOIN scan_results s ON s.filename = v.filename AND s.profile = v.profile
                         AND s.model = v.model AND s.scan_timestamp = v.scan_timestamp
                    WHERE {where} AND v.profile = ? AND v.model = ?
                    GROUP BY v.scan_timestamp ORDER BY v.scan_timestamp DESC""",
                (*params, profile, model)).fetchall()
        return [{"timestamp": ts, "count": count, "max_score": max_score, "classifier": classifier,
                 "classifier_version": version, "threshold": threshold}
                for ts, count, max_score, classifier, version, threshold in rows]

    def get_scan_results(self, filename: str, profile: str = "default", scan_timestamp: str | None = None,
                         source_path: str | os.PathLike | None = None) -> dict[str, list[dict[str, Any]]]:
        """{model: regions by start time}: the given version, else the latest version of each model (an
        empty list when that scan found nothing; legacy unversioned rows when a model has no version)."""
        columns = ("s.id, s.model, s.classifier, s.start_time, s.end_time, s.score, s.disabled, s.scan_timestamp, "
                   "COALESCE(s.original_start, s.start_time) AS original_start, "
                   "COALESCE(s.original_end, s.end_time) AS original_end")
        with self._read() as conn:
            video = self._video_rows(conn, filename, source_path)
            where, params = video.where()
            s_where, s_params = video.where("s")
            if scan_timestamp is not None:
                rows = conn.execute(
                    f"""SELECT {columns} FROM scan_results s WHERE {s_where} AND s.profile = ?
                        AND s.scan_timestamp = ? ORDER BY s.model, s.start_time, s.id""",
                    (*s_params, profile, scan_timestamp)).fetchall()
            else:
                versioned = [model for (model,) in conn.execute(
                    f"SELECT DISTINCT model FROM scan_versions WHERE {where} AND profile = ?", (*params, profile))]
                # Legacy rows ('') sort before every real version, so they show only where none exists.
                rows = conn.execute(
                    f"""SELECT {columns} FROM scan_results s
                        INNER JOIN (SELECT model, MAX(scan_timestamp) AS latest FROM (
                                        SELECT model, scan_timestamp FROM scan_versions
                                        WHERE {where} AND profile = ?
                                        UNION ALL SELECT model, scan_timestamp FROM scan_results
                                        WHERE {where} AND profile = ? AND scan_timestamp = '')
                                    GROUP BY model) v
                        ON s.model = v.model AND s.scan_timestamp = v.latest
                        WHERE {s_where} AND s.profile = ? ORDER BY s.model, s.start_time, s.id""",
                    (*params, profile, *params, profile, *s_params, profile)).fetchall()
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
            video = self._video_rows(conn, filename, source_path, register=True)
            return [conn.execute(
                """INSERT INTO hard_negatives (filename, profile, start_time, source_path, source_model, video_id,
                                              region_id) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (filename, profile, float(t), str(source_path), source_model, video.video_id, region_id)).lastrowid
                for t in times]

    def get_hard_negatives(self, profile: str = "default") -> list[dict[str, Any]]:
        """Every hard negative of a profile; `source_path` is where its video lies now when it moved."""
        with self._read() as conn:
            rows = conn.execute(
                """SELECT h.id, h.filename, h.start_time, COALESCE(v.path, h.source_path) AS source_path,
                          h.source_model, h.region_id FROM hard_negatives h LEFT JOIN videos v ON v.id = h.video_id
                   WHERE h.profile = ? ORDER BY h.filename, h.start_time, h.id""", (profile,)).fetchall()
        return [dict(row) for row in rows]

    def delete_hard_negatives_by_ids(self, ids: Iterable[int]) -> int:
        ids = list(ids)
        with self._write() as conn:
            return conn.execute(f"DELETE FROM hard_negatives WHERE id IN ({_placeholders(ids)})", ids).rowcount

    # -- training data

    def get_training_data(self, profile: str, positive_folder: str | Sequence[str], negative_folder: str | None = None,
                          include_scan_exports: bool = False, use_hard_negatives: bool = True
                          ) -> list[tuple[str, list[tuple[float, float]], list[tuple[float, float]], list[float]]]:
        """One `(source_path, positives, ambiguous, negatives)` per source video that exists on disk and has
        positives or explicit negatives.

        Folders are matched by export-folder name (a full path works too); several positive folders are
        one class. `ambiguous` holds the video's
        clips in any other folder, and scan exports when they are not included, so training never draws
        automatic negatives from them. `negatives` are start times: negative-folder clips and hard negatives.
        """
        positives = [positive_folder] if isinstance(positive_folder, (str, os.PathLike)) else positive_folder
        positive = {Path(folder).name for folder in positives}
        negative = Path(negative_folder).name if negative_folder else None
        videos: dict[str, _TrainingVideo] = defaultdict(_TrainingVideo)
        source_of: dict[str, str] = {}
        with self._read() as conn:
            # A video that moved is read where it lies now.
            clips = conn.execute(
                """SELECT p.filename, COALESCE(v.path, p.source_path), p.start_time, p.length, p.export_folder,
                          p.scan_export FROM processed p LEFT JOIN videos v ON v.id = p.video_id
                   WHERE p.profile = ? AND p.source_path != '' ORDER BY p.start_time, p.id""", (profile,)).fetchall()
            hard_negatives = conn.execute(
                """SELECT h.filename, COALESCE(v.path, h.source_path), h.start_time FROM hard_negatives h
                   LEFT JOIN videos v ON v.id = h.video_id WHERE h.profile = ? ORDER BY h.start_time""",
                (profile,)).fetchall() if use_hard_negatives else []
        for filename, source, start, length, folder, scan_export in clips:
            source_of.setdefault(filename, source)
            video = videos[source]
            counted = include_scan_exports or not scan_export
            folder_name = Path(folder).name
            if counted and folder_name in positive:
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

    # -- source videos that moved (core/relink.py)

    def get_source_videos(self, profile: str = "default") -> list[dict[str, Any]]:
        """Every source video with clips or hard negatives in the profile: `{video_id, path, filename,
        size, export_folders, clips, hard_negatives}`; `path` is where it was last seen, `video_id` None
        for rows from before videos had an identity."""
        with self._read() as conn:
            rows = conn.execute(
                """SELECT p.video_id, COALESCE(v.path, p.source_path), COALESCE(v.filename, p.filename), v.size,
                          p.export_folder, COUNT(*) FROM processed p LEFT JOIN videos v ON v.id = p.video_id
                   WHERE p.profile = ? AND p.source_path != '' AND p.scan_export = 0
                   GROUP BY 1, 2, 3, 4, 5""", (profile,)).fetchall()
            negatives = conn.execute(
                """SELECT COALESCE(v.path, h.source_path), COUNT(*) FROM hard_negatives h
                   LEFT JOIN videos v ON v.id = h.video_id WHERE h.profile = ? GROUP BY 1""", (profile,)).fetchall()
        videos: dict[str, dict[str, Any]] = {}
        for video_id, path, filename, size, folder, clips in rows:
            entry = videos.setdefault(path, {"video_id": video_id, "path": path, "filename": filename, "size": size,
                                             "export_folders": {}, "clips": 0, "hard_negatives": 0})
            name = Path(folder).name
            entry["export_folders"][name] = entry["export_folders"].get(name, 0) + clips
            entry["clips"] += clips
        for path, count in negatives:
            if path in videos:
                videos[path]["hard_negatives"] = count
        return sorted(videos.values(), key=lambda entry: entry["path"])

    def relink_video(self, old_path: str | os.PathLike, new_path: str | os.PathLike) -> None:
        """Point every row of the video last seen at `old_path` at `new_path` (it moved there)."""
        old, new = str(old_path), _absolute(new_path)
        identity = identify(new)
        with self._write() as conn:
            conn.execute("UPDATE videos SET path = ?, filename = ?, size = COALESCE(?, size), "
                         "fingerprint = COALESCE(?, fingerprint) WHERE path = ?",
                         (new, os.path.basename(new), identity and identity.size,
                          identity and identity.fingerprint, old))
            for table in ("processed", "hard_negatives"):
                conn.execute(f"UPDATE {table} SET source_path = ? WHERE source_path = ?", (new, old))

    # -- legacy-layout migration plan (driven by core/legacy_migration.py)

    def get_legacy_layout_clips(self) -> list[dict[str, Any]]:
        """Clips still stored in a legacy `clip_NNN` group dir."""
        with self._read() as conn:
            rows = conn.execute(
                """SELECT id, filename, video_id, profile, start_time, output_path, export_folder, vid_folder
                   FROM processed WHERE vid_folder GLOB 'clip_[0-9]*' ORDER BY export_folder, vid_folder, id""").fetchall()
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

    # -- exports in progress (core/export_journal.py)

    def begin_export(self, owner: str, temps: Sequence[str], created_dirs: Sequence[str]) -> int:
        with self._write() as conn:
            return conn.execute("INSERT INTO export_journal (owner, temps, created_dirs) VALUES (?, ?, ?)",
                                (owner, json.dumps([str(p) for p in temps]),
                                 json.dumps([str(p) for p in created_dirs]))).lastrowid

    def record_export_moves(self, entry_id: int, moves: Sequence[tuple[str, str | None]],
                            created_dirs: Sequence[str]) -> None:
        """The final names (and the aside names of files being replaced) before the first one is taken."""
        with self._write() as conn:
            conn.execute("UPDATE export_journal SET moves = ?, created_dirs = ? WHERE id = ?",
                         (json.dumps([[str(final), aside and str(aside)] for final, aside in moves]),
                          json.dumps([str(p) for p in created_dirs]), entry_id))

    def end_export(self, entry_id: int) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM export_journal WHERE id = ?", (entry_id,))

    def pending_exports(self) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = conn.execute("SELECT id, owner, temps, created_dirs, moves FROM export_journal ORDER BY id")
            return [{"id": row_id, "owner": owner, "temps": json.loads(temps), "created_dirs": json.loads(dirs),
                     "moves": [tuple(move) for move in json.loads(moves)]}
                    for row_id, owner, temps, dirs, moves in rows]

    def mark_dataset_stale(self, export_folder: str | os.PathLike) -> None:
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO stale_datasets (export_folder) VALUES (?)",
                         (os.path.normpath(export_folder),))

    def dataset_rewritten(self, export_folder: str | os.PathLike) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM stale_datasets WHERE export_folder = ?", (os.path.normpath(export_folder),))

    def stale_datasets(self) -> list[str]:
        """Export folders whose dataset.json a killed or failed run left out of date."""
        with self._read() as conn:
            return [folder for (folder,) in conn.execute("SELECT export_folder FROM stale_datasets ORDER BY 1")]

    def recorded_outputs(self, paths: Iterable[str | os.PathLike]) -> set[str]:
        """Those of `paths` that a clip row points at."""
        paths = [str(path) for path in paths]
        with self._read() as conn:
            return {path for (path,) in conn.execute(
                f"SELECT output_path FROM processed WHERE output_path IN ({_placeholders(paths)})", paths)}

    def export_folders(self) -> list[str]:
        """Every export folder that holds clips, as stored (absolute paths)."""
        with self._read() as conn:
            return [folder for (folder,) in conn.execute("SELECT DISTINCT export_folder FROM processed")]

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
        """Every profile: those added (in their order) and those holding clips, scans or hard negatives (the
        CLI's `--profile` creates them too), the latter by name."""
        with self._read() as conn:
            return [name for (name,) in conn.execute(
                "SELECT name FROM (SELECT name, 0 AS kind, position FROM profiles UNION "
                "SELECT profile, 1, 0 FROM processed UNION SELECT profile, 1, 0 FROM scan_results "
                "UNION SELECT profile, 1, 0 FROM hard_negatives) GROUP BY name ORDER BY MIN(kind), "
                "MIN(position), name")]

    # -- profiles and their subprofiles (core/profiles.py drives renames, copies and deletes)

    def add_profile(self, name: str) -> None:
        """List a profile (after the others); nothing happens when it is listed already."""
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO profiles (name, position) "
                         "VALUES (?, (SELECT COALESCE(MAX(position), -1) + 1 FROM profiles))", (name,))

    def rename_profile(self, old: str, new: str) -> None:
        """Give every row of profile `old` (clips, scans, negatives, subprofiles) the name `new`, all in one
        transaction; its place in the list is kept. `new` must be unused."""
        with self._write() as conn:
            if new in self._profile_names(conn):
                raise FoleycutError(f"A profile named {new!r} exists already: choose another name.")
            for table in ("processed", "scan_results", "scan_versions", "hard_negatives", "subprofiles"):
                conn.execute(f"UPDATE {table} SET profile = ? WHERE profile = ?", (new, old))
            listed = conn.execute("UPDATE profiles SET name = ? WHERE name = ?", (new, old)).rowcount
            if not listed:
                conn.execute("INSERT INTO profiles (name, position) "
                             "VALUES (?, (SELECT COALESCE(MAX(position), -1) + 1 FROM profiles))", (new,))

    def delete_profile(self, name: str) -> list[str]:
        """Forget a profile and every row it holds, in one transaction; the clip files stay on disk. Returns
        the export folders that held its clips, marked stale so their dataset.json gets rewritten."""
        with self._write() as conn:
            folders = [folder for (folder,) in conn.execute(
                "SELECT DISTINCT export_folder FROM processed WHERE profile = ? ORDER BY 1", (name,))]
            for table in ("processed", "scan_results", "scan_versions", "hard_negatives", "subprofiles"):
                conn.execute(f"DELETE FROM {table} WHERE profile = ?", (name,))
            conn.execute("DELETE FROM profiles WHERE name = ?", (name,))
            conn.executemany("INSERT OR IGNORE INTO stale_datasets (export_folder) VALUES (?)",
                             [(folder,) for folder in folders])
        return folders

    def profile_contents(self, name: str) -> dict[str, int]:
        """{"clips", "scans", "negatives"}: what a profile holds (for the delete confirmation)."""
        with self._read() as conn:
            return {key: conn.execute(f"SELECT COUNT(*) FROM {table} WHERE profile = ?", (name,)).fetchone()[0]
                    for key, table in (("clips", "processed"), ("scans", "scan_versions"),
                                       ("negatives", "hard_negatives"))}

    @staticmethod
    def _profile_names(conn: sqlite3.Connection) -> set[str]:
        return {name for (name,) in conn.execute(
            "SELECT name FROM profiles UNION SELECT profile FROM processed UNION SELECT profile FROM scan_results "
            "UNION SELECT profile FROM hard_negatives")}

    def get_subprofiles(self, profile: str) -> list[str]:
        """The profile's subprofiles in key order (1, 2, …): each an export folder."""
        with self._read() as conn:
            return [folder for (folder,) in conn.execute(
                "SELECT export_folder FROM subprofiles WHERE profile = ? ORDER BY position", (profile,))]

    def set_subprofiles(self, profile: str, folders: Sequence[str | os.PathLike]) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM subprofiles WHERE profile = ?", (profile,))
            conn.executemany("INSERT INTO subprofiles (profile, position, export_folder) VALUES (?, ?, ?)",
                             [(profile, position, str(folder)) for position, folder in enumerate(folders)])

    # -- playlist tabs

    def get_playlist_tabs(self) -> list[dict[str, Any]]:
        """[{name, export_folder, hide_exported, items: [{path, separator}]}] in tab order; an item is a file
        (`separator` None) or a separator (its label, `path` '')."""
        with self._read() as conn:
            tabs = conn.execute("SELECT id, name, export_folder, hide_exported FROM playlist_tabs "
                                "ORDER BY position").fetchall()
            items = conn.execute("SELECT tab_id, path, separator FROM playlist_items ORDER BY tab_id, position")
            by_tab: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for tab_id, path, separator in items:
                by_tab[tab_id].append({"path": path, "separator": separator})
        return [{"name": name, "export_folder": folder, "hide_exported": bool(hide), "items": by_tab[tab_id]}
                for tab_id, name, folder, hide in tabs]

    def save_playlist_tabs(self, tabs: Sequence[dict[str, Any]]) -> None:
        """Replace every tab and its items with `tabs` (as get_playlist_tabs gives them), in one transaction."""
        with self._write() as conn:
            conn.execute("DELETE FROM playlist_items")
            conn.execute("DELETE FROM playlist_tabs")
            for position, tab in enumerate(tabs):
                tab_id = conn.execute(
                    "INSERT INTO playlist_tabs (position, name, export_folder, hide_exported) VALUES (?, ?, ?, ?)",
                    (position, tab["name"], str(tab.get("export_folder") or ""),
                     int(bool(tab.get("hide_exported"))))).lastrowid
                conn.executemany(
                    "INSERT INTO playlist_items (tab_id, position, path, separator) VALUES (?, ?, ?, ?)",
                    [(tab_id, index, str(item.get("path") or ""), item.get("separator"))
                     for index, item in enumerate(tab["items"])])


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
