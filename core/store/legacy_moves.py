"""The legacy-layout migration's plan (driven by core/legacy_migration.py): every move recorded before the
first one is made, each marked done with its clip row rewritten in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from core.layout import vid_folder_of
from core.store.connection import Part


class LegacyMoves(Part):
    """Clips still in `clip_NNN` group dirs, and the plan that moves them into vid folders."""

    def get_legacy_layout_clips(self) -> list[dict[str, Any]]:
        """Clips still stored in a legacy `clip_NNN` group dir."""
        with self._read() as conn:
            rows = conn.execute(
                """SELECT id, filename, video_id, profile, start_time, output_path, export_folder, vid_folder
                   FROM processed WHERE vid_folder GLOB 'clip_[0-9]*' ORDER BY export_folder, vid_folder, id"""
            ).fetchall()
        return [dict(row) for row in rows]

    def has_legacy_layout_clips(self) -> bool:
        with self._read() as conn:
            return (
                conn.execute("SELECT EXISTS (SELECT 1 FROM processed WHERE vid_folder GLOB 'clip_[0-9]*')").fetchone()[
                    0
                ]
                == 1
            )

    def has_legacy_plan(self) -> bool:
        with self._read() as conn:
            return conn.execute("SELECT EXISTS (SELECT 1 FROM legacy_moves)").fetchone()[0] == 1

    def save_legacy_plan(self, moves: Iterable[tuple[str, str, int | None, float | None]]) -> bool:
        """Record every planned move `(src, dst, processed_id, marker_time)` in one transaction. False, and
        nothing written, when a plan is already recorded (another instance got there first)."""
        with self._write() as conn:
            if conn.execute("SELECT EXISTS (SELECT 1 FROM legacy_moves)").fetchone()[0]:
                return False
            conn.executemany(
                "INSERT INTO legacy_moves (src, dst, processed_id, marker_time) VALUES (?, ?, ?, ?)", moves
            )
            return True

    def get_legacy_plan(self) -> list[dict[str, Any]]:
        """The recorded plan in order, each move with its `done` flag; empty when no migration is under way."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, src, dst, processed_id, marker_time, done FROM legacy_moves ORDER BY id"
            ).fetchall()
        return [dict(row) for row in rows]

    def finish_legacy_moves(self, moves: Sequence[dict[str, Any]]) -> None:
        """Mark a run of consecutive pending moves done and point their clips at the new paths, in one
        transaction. Every move between the first and the last id is in the run or was done before."""
        rewrites = [
            (move["dst"], vid_folder_of(move["dst"]), move["marker_time"], move["processed_id"])
            for move in moves
            if move["processed_id"] is not None
        ]
        with self._write() as conn:
            conn.execute("UPDATE legacy_moves SET done = 1 WHERE id BETWEEN ? AND ?", (moves[0]["id"], moves[-1]["id"]))
            conn.executemany(
                """UPDATE processed SET output_path = ?, vid_folder = ?, marker_time = COALESCE(?, marker_time)
                   WHERE id = ?""",
                rewrites,
            )

    def clear_legacy_plan(self) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM legacy_moves")
