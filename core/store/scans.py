"""Scan results with history (seed design, section 2): every scan of (video, profile, model) is a version of
its own, also one that found nothing; the newest few are kept, an identical rescan is not stored again."""

from __future__ import annotations

import os
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from core.store.connection import Part, placeholders
from core.store.videos import video_rows

SCAN_TIMESTAMP_FORMAT = "%Y%m%d_%H%M%S_%f"


def scan_dict(row: sqlite3.Row) -> dict[str, Any]:
    region = dict(row)
    region["disabled"] = bool(region["disabled"])
    return region


def region_tuple(region) -> tuple[float, float, float]:
    """A scan region as (start, end, score), from a Region-like object or a plain tuple."""
    if hasattr(region, "start"):
        return float(region.start), float(region.end), float(region.score)
    start, end, score = region
    return float(start), float(end), float(score)


def next_scan_timestamp(latest: str | None) -> str:
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


class Scans(Part):
    """Scan versions and their regions (enabled or not, trimmed or not)."""

    def save_scan_results(
        self,
        filename: str,
        profile: str,
        model: str,
        regions: Iterable,
        max_versions: int = 5,
        classifier: str = "",
        source_path: str | os.PathLike | None = None,
        *,
        classifier_version: str = "",
        threshold: float | None = None,
    ) -> str:
        """Store one scan as a new version of (video, profile, model); keep the newest `max_versions`.
        Returns the version's scan_timestamp. A scan identical to the latest version of this video (same
        classifier, classifier version, threshold and regions) is not stored again: its timestamp is
        returned instead."""
        rows = [region_tuple(region) for region in regions]
        with self._write() as conn:
            video = video_rows(conn, filename, source_path, register=True)
            where, params = video.where()
            # Newest over every video of this name, so a version's (name, timestamp) stays unique.
            latest = conn.execute(
                "SELECT MAX(scan_timestamp) FROM scan_versions WHERE filename = ? AND profile = ? AND model = ?",
                (filename, profile, model),
            ).fetchone()[0]
            own_latest = conn.execute(
                f"SELECT MAX(scan_timestamp) FROM scan_versions WHERE {where} AND profile = ? AND model = ?",
                (*params, profile, model),
            ).fetchone()[0]
            if own_latest and self._same_scan(
                conn, (where, params, profile, model), own_latest, rows, classifier, classifier_version, threshold
            ):
                return own_latest
            timestamp = next_scan_timestamp(latest)
            key = (filename, profile, model, video.video_id)
            conn.execute(
                "INSERT INTO scan_versions (filename, profile, model, video_id, scan_timestamp, classifier, "
                "classifier_version, threshold) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*key, timestamp, classifier, classifier_version, threshold),
            )
            conn.executemany(
                """INSERT INTO scan_results (filename, profile, model, video_id, classifier, start_time, end_time,
                                             score, scan_timestamp, original_start, original_end)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [(*key, classifier, start, end, score, timestamp, start, end) for start, end, score in rows],
            )
            pruned = [
                ts
                for (ts,) in conn.execute(
                    f"""SELECT scan_timestamp FROM scan_versions WHERE {where} AND profile = ? AND model = ?
                    ORDER BY scan_timestamp DESC LIMIT -1 OFFSET ?""",
                    (*params, profile, model, max(1, max_versions)),
                )
            ]
            for table in ("scan_results", "scan_versions"):
                conn.executemany(
                    f"DELETE FROM {table} WHERE {where} AND profile = ? AND model = ? AND scan_timestamp = ?",
                    [(*params, profile, model, ts) for ts in pruned],
                )
        return timestamp

    @staticmethod
    def _same_scan(
        conn: sqlite3.Connection,
        video: tuple,
        timestamp: str,
        rows: list,
        classifier: str,
        classifier_version: str,
        threshold: float | None,
    ) -> bool:
        """Whether version `timestamp` of the video holds exactly this scan (edits since then do not count)."""
        where, params, profile, model = video
        stored = conn.execute(
            f"SELECT classifier, classifier_version, threshold FROM scan_versions WHERE {where} AND profile = ? "
            "AND model = ? AND scan_timestamp = ?",
            (*params, profile, model, timestamp),
        ).fetchone()
        if tuple(stored) != (classifier, classifier_version, threshold):
            return False
        found = conn.execute(
            f"SELECT COALESCE(original_start, start_time), COALESCE(original_end, end_time), score FROM scan_results "
            f"WHERE {where} AND profile = ? AND model = ? AND scan_timestamp = ?",
            (*params, profile, model, timestamp),
        ).fetchall()

        def rounded(regions):
            return sorted(tuple(round(value, 6) for value in region) for region in regions)

        return rounded(found) == rounded(rows)

    def get_scan_versions(
        self, filename: str, profile: str, model: str, source_path: str | os.PathLike | None = None
    ) -> list[dict[str, Any]]:
        """[{timestamp, count, max_score, classifier, classifier_version, threshold}] newest first (an empty
        scan: count 0, max_score None); legacy rows (no timestamp) are not a version."""
        with self._read() as conn:
            where, params = video_rows(conn, filename, source_path).where("v")
            rows = conn.execute(
                f"""SELECT v.scan_timestamp, COUNT(s.id), MAX(s.score), v.classifier, v.classifier_version,
                           v.threshold FROM scan_versions v
                    LEFT JOIN scan_results s ON s.filename = v.filename AND s.profile = v.profile
                         AND s.model = v.model AND s.scan_timestamp = v.scan_timestamp
                    WHERE {where} AND v.profile = ? AND v.model = ?
                    GROUP BY v.scan_timestamp ORDER BY v.scan_timestamp DESC""",
                (*params, profile, model),
            ).fetchall()
        return [
            {
                "timestamp": ts,
                "count": count,
                "max_score": max_score,
                "classifier": classifier,
                "classifier_version": version,
                "threshold": threshold,
            }
            for ts, count, max_score, classifier, version, threshold in rows
        ]

    def get_scan_results(
        self,
        filename: str,
        profile: str = "default",
        scan_timestamp: str | None = None,
        source_path: str | os.PathLike | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        """{model: regions by start time}: the given version, else the latest version of each model (an
        empty list when that scan found nothing; legacy unversioned rows when a model has no version)."""
        columns = (
            "s.id, s.model, s.classifier, s.start_time, s.end_time, s.score, s.disabled, s.scan_timestamp, "
            "COALESCE(s.original_start, s.start_time) AS original_start, "
            "COALESCE(s.original_end, s.end_time) AS original_end"
        )
        with self._read() as conn:
            video = video_rows(conn, filename, source_path)
            where, params = video.where()
            s_where, s_params = video.where("s")
            if scan_timestamp is not None:
                rows = conn.execute(
                    f"""SELECT {columns} FROM scan_results s WHERE {s_where} AND s.profile = ?
                        AND s.scan_timestamp = ? ORDER BY s.model, s.start_time, s.id""",
                    (*s_params, profile, scan_timestamp),
                ).fetchall()
            else:
                versioned = [
                    model
                    for (model,) in conn.execute(
                        f"SELECT DISTINCT model FROM scan_versions WHERE {where} AND profile = ?", (*params, profile)
                    )
                ]
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
                    (*params, profile, *params, profile, *s_params, profile),
                ).fetchall()
        results: dict[str, list[dict[str, Any]]] = defaultdict(list)
        if scan_timestamp is None:
            for model in versioned:  # a latest scan that found nothing still names its model
                results.setdefault(model, [])
        for row in rows:
            region = scan_dict(row)
            results[region.pop("model")].append(region)
        return dict(results)

    def set_scan_region_disabled(self, ids: Iterable[int], disabled: bool) -> None:
        ids = list(ids)
        with self._write() as conn:
            conn.execute(
                f"UPDATE scan_results SET disabled = ? WHERE id IN ({placeholders(ids)})", [int(bool(disabled)), *ids]
            )

    def update_scan_region(self, region_id: int, start_time: float, end_time: float) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE scan_results SET start_time = ?, end_time = ? WHERE id = ?",
                (float(start_time), float(end_time), region_id),
            )
