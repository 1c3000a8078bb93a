"""Hard negatives (seed design, section 3): times in a video marked as not the sound, for training."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.store.connection import Part, insert, placeholders
from core.store.videos import video_rows


class HardNegatives(Part):
    """Hard-negative rows, each with the model (and scan region) it was marked from."""

    def add_hard_negatives(
        self,
        filename: str,
        profile: str,
        times: Iterable[float],
        source_path: str = "",
        source_model: str = "",
        *,
        region_id: int | None = None,
    ) -> list[int]:
        """`region_id`: the scan region the times were marked from, so the negatives can be told by region."""
        with self._write() as conn:
            video = video_rows(conn, filename, source_path, register=True)
            return [
                insert(
                    conn,
                    """INSERT INTO hard_negatives (filename, profile, start_time, source_path, source_model, video_id,
                                              region_id) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                    (filename, profile, float(t), str(source_path), source_model, video.video_id, region_id),
                )
                for t in times
            ]

    def get_hard_negatives(self, profile: str = "default") -> list[dict[str, Any]]:
        """Every hard negative of a profile; `source_path` is where its video lies now when it moved."""
        with self._read() as conn:
            rows = conn.execute(
                """SELECT h.id, h.filename, h.start_time, COALESCE(v.path, h.source_path) AS source_path,
                          h.source_model, h.region_id FROM hard_negatives h LEFT JOIN videos v ON v.id = h.video_id
                   WHERE h.profile = ? ORDER BY h.filename, h.start_time, h.id""",
                (profile,),
            ).fetchall()
        return [dict(row) for row in rows]

    def delete_hard_negatives_by_ids(self, ids: Iterable[int]) -> int:
        ids = list(ids)
        with self._write() as conn:
            return conn.execute(f"DELETE FROM hard_negatives WHERE id IN ({placeholders(ids)})", ids).rowcount
