"""The database schema, versioned with `PRAGMA user_version`: `MIGRATIONS[N-1]` upgrades version N-1 to N.

core/store/connection.py runs the pending ones in order, each in its own transaction, after a backup.
"""

from __future__ import annotations

import sqlite3

from core.defaults import DEFAULT_CLIP_LENGTH
from core.layout import export_folder_of, vid_folder_of
from core.video_identity import identify


def _create_base_tables(conn: sqlite3.Connection) -> None:
    """The tables as the versions before schema versioning wrote them (IF NOT EXISTS keeps their data)."""
    _execute_each(
        conn,
        """
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
    """,
    )


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
    _execute_each(
        conn,
        """
        CREATE INDEX IF NOT EXISTS processed_by_video ON processed (profile, filename, start_time);
        CREATE INDEX IF NOT EXISTS processed_by_vid_folder ON processed (export_folder, vid_folder);
        CREATE INDEX IF NOT EXISTS processed_by_folder ON processed (profile, scan_export, export_folder);
        CREATE INDEX IF NOT EXISTS scan_results_by_version
            ON scan_results (filename, profile, model, scan_timestamp);
        CREATE INDEX IF NOT EXISTS hard_negatives_by_video ON hard_negatives (profile, filename, start_time);
    """,
    )


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
        video_id = conn.execute(
            "INSERT INTO videos (path, filename, size, fingerprint) VALUES (?, ?, ?, ?)",
            (path, filename, identity and identity.size, identity and identity.fingerprint),
        ).lastrowid
        conn.execute("INSERT INTO video_paths VALUES (?, ?)", (path, video_id))
    for table in ("processed", "hard_negatives"):
        conn.execute(f"""UPDATE {table} SET video_id = (SELECT video_id FROM video_paths p
                                                         WHERE p.path = {table}.source_path)
                         WHERE source_path != ''""")
    conn.execute("DROP TABLE temp.video_paths")
    for table in ("scan_results", "scan_versions"):
        conn.execute(f"""UPDATE {table}
                         SET video_id = (SELECT MIN(id) FROM videos v WHERE v.filename = {table}.filename)
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
    _execute_each(
        conn,
        """
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
    """,
    )


# Schema version N is reached by running MIGRATIONS[N-1]; never edit or reorder an entry, only append.
MIGRATIONS = (
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
SCHEMA_VERSION = len(MIGRATIONS)
