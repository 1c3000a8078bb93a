"""Exported clips and markers (one press of `E`: the clips of one cursor time in one export folder), the
export folders they fill and the vid folders they lie in (naming in core/layout.py)."""

from __future__ import annotations

import json
import os
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.defaults import DEFAULT_CLIP_LENGTH
from core.layout import (
    export_folder_of,
    lowest_free_number,
    parse_vid_folder,
    vid_folder_name,
    vid_folder_of,
    vid_numbers_on_disk,
)
from core.store.connection import Part, insert, placeholders
from core.store.videos import video_rows


def clip_dict(row: sqlite3.Row) -> dict[str, Any]:
    clip = dict(row)
    clip["scan_export"] = bool(clip["scan_export"])
    clip["settings"] = json.loads(clip["settings"] or "{}")
    return clip


class Clips(Part):
    """Clip rows, grouped into markers; export folders and vid folders."""

    def add(
        self,
        filename: str,
        start_time: float,
        output_path: str | os.PathLike,
        label: str = "",
        category: str = "",
        profile: str = "default",
        source_path: str = "",
        scan_export: bool = False,
        **settings,
    ) -> int:
        """Record one exported clip; `settings` may carry `length`, `marker_time` and encoding options."""
        length = float(settings.pop("length", DEFAULT_CLIP_LENGTH))
        marker_time = float(settings.pop("marker_time", start_time))
        output_path = str(output_path)
        with self._write() as conn:
            video = video_rows(conn, filename, source_path, register=True)
            return insert(
                conn,
                """INSERT INTO processed (filename, source_path, profile, start_time, length, output_path, label,
                                          category, scan_export, marker_time, settings, export_folder, vid_folder,
                                          video_id)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    filename,
                    str(source_path),
                    profile,
                    float(start_time),
                    length,
                    output_path,
                    label,
                    category,
                    int(bool(scan_export)),
                    marker_time,
                    json.dumps(settings, sort_keys=True),
                    export_folder_of(output_path),
                    vid_folder_of(output_path),
                    video.video_id,
                ),
            )

    def get_clips(
        self, filename: str, profile: str = "default", source_path: str | os.PathLike | None = None
    ) -> list[dict[str, Any]]:
        """Every clip exported from one video, by start time."""
        with self._read() as conn:
            where, params = video_rows(conn, filename, source_path).where("", "profile = ?", [profile])
            rows = conn.execute(f"SELECT * FROM processed WHERE {where} ORDER BY start_time, id", params).fetchall()
        return [clip_dict(row) for row in rows]

    def get_clips_in(self, export_folder: str | os.PathLike) -> list[dict[str, Any]]:
        """Every clip of one export folder, whichever video and profile it came from."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM processed WHERE export_folder = ? ORDER BY output_path, id",
                (os.path.normpath(export_folder),),
            ).fetchall()
        return [clip_dict(row) for row in rows]

    def get_markers(
        self, filename: str, profile: str = "default", source_path: str | os.PathLike | None = None
    ) -> list[dict[str, Any]]:
        """One press of E each: `{marker_time, export_folder, clips}`, grouped by (marker time, export folder)."""
        groups: dict[tuple[float, str], list[dict[str, Any]]] = defaultdict(list)
        for clip in self.get_clips(filename, profile, source_path):
            groups[(clip["marker_time"], clip["export_folder"])].append(clip)
        return [
            {"marker_time": marker_time, "export_folder": folder, "clips": clips}
            for (marker_time, folder), clips in sorted(groups.items())
        ]

    def get_clip_counts(self, profile: str = "default") -> dict[str, int]:
        """{filename: number of clips} for the playlist."""
        with self._read() as conn:
            rows = conn.execute("SELECT filename, clips FROM clip_counts WHERE profile = ?", (profile,)).fetchall()
        return {filename: count for filename, count in rows}

    def delete_clips(self, ids: Iterable[int]) -> int:
        ids = list(ids)
        with self._write() as conn:
            return conn.execute(f"DELETE FROM processed WHERE id IN ({placeholders(ids)})", ids).rowcount

    def update_clip_encoding(self, clip_id: int, length: float, settings: dict) -> None:
        """A re-exported clip keeps its row, name and start; only its length and encoding settings change."""
        with self._write() as conn:
            conn.execute(
                "UPDATE processed SET length = ?, settings = ? WHERE id = ?",
                (float(length), json.dumps(settings, sort_keys=True), clip_id),
            )

    def get_export_folders(self, profile: str = "default", include_scan_exports: bool = False) -> list[str]:
        """Sorted export-folder names; folders holding only scan exports are left out unless asked for."""
        query = "SELECT DISTINCT export_folder FROM processed WHERE profile = ?"
        if not include_scan_exports:
            query += " AND scan_export = 0"
        with self._read() as conn:
            folders = conn.execute(query, (profile,)).fetchall()
        return sorted({Path(folder).name for (folder,) in folders})

    def get_training_stats(
        self, profile: str = "default", include_scan_exports: bool = False
    ) -> dict[str, dict[str, int]]:
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

    def get_vid_folder(
        self,
        filename: str,
        profile: str,
        export_folder: str | os.PathLike,
        source_path: str | os.PathLike | None = None,
    ) -> str:
        """`vid_NNN` for this video's clips in an export folder: the one it has, else the lowest number free
        in the database and on disk."""
        existing = self.find_vid_folder(filename, profile, export_folder, source_path)
        if existing:
            return existing
        with self._read() as conn:
            used = conn.execute(
                "SELECT DISTINCT vid_folder FROM processed WHERE export_folder = ?", (os.path.normpath(export_folder),)
            ).fetchall()
        taken = {n for (name,) in used if (n := parse_vid_folder(name)) is not None}
        return vid_folder_name(lowest_free_number(taken | vid_numbers_on_disk(export_folder)))

    def find_vid_folder(
        self,
        filename: str,
        profile: str,
        export_folder: str | os.PathLike,
        source_path: str | os.PathLike | None = None,
    ) -> str | None:
        """The `vid_NNN` this video already has in an export folder, None when it has none yet."""
        with self._read() as conn:
            where, params = video_rows(conn, filename, source_path).where(
                "", "profile = ? AND export_folder = ?", [profile, os.path.normpath(export_folder)]
            )
            existing = conn.execute(
                f"""SELECT vid_folder FROM processed WHERE {where} AND vid_folder GLOB 'vid_[0-9]*'
                    ORDER BY id LIMIT 1""",
                params,
            ).fetchone()
        return existing[0] if existing else None

    def vid_folder_in_use(self, export_folder: str | os.PathLike, vid_folder: str) -> bool:
        """Whether any clip row already lies in this vid folder."""
        with self._read() as conn:
            return (
                conn.execute(
                    "SELECT EXISTS (SELECT 1 FROM processed WHERE export_folder = ? AND vid_folder = ?)",
                    (os.path.normpath(export_folder), vid_folder),
                ).fetchone()[0]
                == 1
            )

    def get_vid_folder_paths(self, export_folder: str | os.PathLike, vid_folder: str) -> list[str]:
        """Stored output paths of every clip in one vid folder (for its counter)."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT output_path FROM processed WHERE export_folder = ? AND vid_folder = ?",
                (os.path.normpath(export_folder), vid_folder),
            ).fetchall()
        return [path for (path,) in rows]

    def get_vid_folders_in(self, export_folder: str | os.PathLike) -> dict[tuple[str, int | str], str]:
        """{(profile, video): vid folder} for the videos already laid out in an export folder; a video is its
        id, or its base name for rows that never learnt which video they came from."""
        with self._read() as conn:
            rows = conn.execute(
                """SELECT profile, COALESCE(video_id, filename), MIN(vid_folder) FROM processed
                   WHERE export_folder = ? AND vid_folder GLOB 'vid_[0-9]*'
                   GROUP BY profile, COALESCE(video_id, filename)""",
                (os.path.normpath(export_folder),),
            ).fetchall()
        return {(profile, video): vid for profile, video, vid in rows}

    def recorded_outputs(self, paths: Iterable[str | os.PathLike]) -> set[str]:
        """Those of `paths` that a clip row points at."""
        paths = [str(path) for path in paths]
        with self._read() as conn:
            return {
                path
                for (path,) in conn.execute(
                    f"SELECT output_path FROM processed WHERE output_path IN ({placeholders(paths)})", paths
                )
            }

    def export_folders(self) -> list[str]:
        """Every export folder that holds clips, as stored (absolute paths)."""
        with self._read() as conn:
            return [folder for (folder,) in conn.execute("SELECT DISTINCT export_folder FROM processed")]
