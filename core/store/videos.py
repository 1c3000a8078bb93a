"""Source videos as identities (path, size, content fingerprint; core/video_identity.py), and which rows of
a per-video table belong to one video. A video that moved is found again by its content."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import FoleycutError
from core.store.connection import Part, insert
from core.video_identity import VideoIdentity, identify


@dataclass(frozen=True)
class VideoRows:
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


def find_video(conn: sqlite3.Connection, path: str, identity: VideoIdentity | None) -> int | None:
    """The known video this file is: same content recorded at this path, or at a path where nothing lies any
    more (the file or its folder was moved or renamed); else a video recorded at this path before its
    content was known. A copy beside its original, or a different file now at a known path, is a video of
    its own."""
    if identity is not None:
        same_content = conn.execute(
            "SELECT id, path FROM videos WHERE size = ? AND fingerprint = ? ORDER BY path = ? DESC, id",
            (identity.size, identity.fingerprint, path),
        )
        row = next(((row_id,) for row_id, known in same_content if known == path or not Path(known).exists()), None)
        if row is None:
            row = conn.execute(
                "SELECT id FROM videos WHERE path = ? AND fingerprint IS NULL ORDER BY id LIMIT 1", (path,)
            ).fetchone()
    else:  # unreadable now (moved away, offline drive): the path is all there is to go on
        row = conn.execute("SELECT id FROM videos WHERE path = ? ORDER BY id DESC LIMIT 1", (path,)).fetchone()
    return row[0] if row else None


def register_video(conn: sqlite3.Connection, path: str, identity: VideoIdentity | None) -> int:
    """find_video, recording where the file lies now (a move or rename) and its content once readable;
    a new video when it is none of the known ones."""
    found = find_video(conn, path, identity)
    filename = Path(path).name
    if found is None:
        return insert(
            conn,
            "INSERT INTO videos (path, filename, size, fingerprint) VALUES (?, ?, ?, ?)",
            (path, filename, identity and identity.size, identity and identity.fingerprint),
        )
    if identity is not None:
        conn.execute(
            "UPDATE videos SET path = ?, filename = ?, size = ?, fingerprint = ? WHERE id = ?",
            (path, filename, identity.size, identity.fingerprint, found),
        )
    return found


def absolute(source_path: str | os.PathLike) -> str:
    # Made absolute and normalised without resolving symlinks, as the paths already stored were.
    return os.path.abspath(os.fspath(source_path))  # noqa: PTH100


def video_rows(
    conn: sqlite3.Connection, filename: str, source_path: str | os.PathLike | None = None, register: bool = False
) -> VideoRows:
    """Resolve (filename, optional path) to one video's rows. With a path the video is known exactly;
    a base name alone is enough while only one known video carries it, and refused when several do."""
    video_id = None
    if source_path:
        path = absolute(source_path)
        identity = identify(path)
        video_id = (register_video if register else find_video)(conn, path, identity)
    named = [row_id for (row_id,) in conn.execute("SELECT id FROM videos WHERE filename = ?", (filename,))]
    if not source_path:
        if len(named) > 1:
            raise FoleycutError(
                f"{len(named)} different videos are named {filename}: give the video's full path "
                "so their clips, scans and negatives stay apart."
            )
        return VideoRows(filename, named[0] if named else None, legacy=True)
    return VideoRows(filename, video_id, legacy=all(row_id == video_id for row_id in named))


class Videos(Part):
    """Video identities, and the source videos that moved (core/relink.py)."""

    def video_id(self, source_path: str | os.PathLike) -> int:
        """The id of the video at this path, recorded (or its new location noted) if need be."""
        path = absolute(source_path)
        identity = identify(path)
        with self._write() as conn:
            return register_video(conn, path, identity)

    def get_source_videos(self, profile: str = "default") -> list[dict[str, Any]]:
        """Every source video with clips or hard negatives in the profile: `{video_id, path, filename,
        size, export_folders, clips, hard_negatives}`; `path` is where it was last seen, `video_id` None
        for rows from before videos had an identity."""
        with self._read() as conn:
            rows = conn.execute(
                """SELECT p.video_id, COALESCE(v.path, p.source_path), COALESCE(v.filename, p.filename), v.size,
                          p.export_folder, COUNT(*) FROM processed p LEFT JOIN videos v ON v.id = p.video_id
                   WHERE p.profile = ? AND p.source_path != '' AND p.scan_export = 0
                   GROUP BY 1, 2, 3, 4, 5""",
                (profile,),
            ).fetchall()
            negatives = conn.execute(
                """SELECT COALESCE(v.path, h.source_path), COUNT(*) FROM hard_negatives h
                   LEFT JOIN videos v ON v.id = h.video_id WHERE h.profile = ? GROUP BY 1""",
                (profile,),
            ).fetchall()
        videos: dict[str, dict[str, Any]] = {}
        for video_id, path, filename, size, folder, clips in rows:
            entry = videos.setdefault(
                path,
                {
                    "video_id": video_id,
                    "path": path,
                    "filename": filename,
                    "size": size,
                    "export_folders": {},
                    "clips": 0,
                    "hard_negatives": 0,
                },
            )
            name = Path(folder).name
            entry["export_folders"][name] = entry["export_folders"].get(name, 0) + clips
            entry["clips"] += clips
        for path, count in negatives:
            if path in videos:
                videos[path]["hard_negatives"] = count
        return sorted(videos.values(), key=lambda entry: entry["path"])

    def relink_video(self, old_path: str | os.PathLike, new_path: str | os.PathLike) -> None:
        """Point every row of the video last seen at `old_path` at `new_path` (it moved there)."""
        old, new = str(old_path), absolute(new_path)
        identity = identify(new)
        with self._write() as conn:
            conn.execute(
                "UPDATE videos SET path = ?, filename = ?, size = COALESCE(?, size), "
                "fingerprint = COALESCE(?, fingerprint) WHERE path = ?",
                (new, Path(new).name, identity and identity.size, identity and identity.fingerprint, old),
            )
            for table in ("processed", "hard_negatives"):
                conn.execute(f"UPDATE {table} SET source_path = ? WHERE source_path = ?", (new, old))
