"""Profiles as rows of their own, each with its subprofiles (export-folder variants, keys 1-9);
core/profiles.py drives renames, copies and deletes."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence

from core.errors import FoleycutError
from core.store.connection import Part


class Profiles(Part):
    """The profile list, and renaming or deleting every row of a profile in one transaction."""

    def get_profiles(self) -> list[str]:
        """Every profile: those added (in their order) and those holding clips, scans or hard negatives (the
        CLI's `--profile` creates them too), the latter by name."""
        with self._read() as conn:
            return [
                name
                for (name,) in conn.execute(
                    "SELECT name FROM (SELECT name, 0 AS kind, position FROM profiles UNION "
                    "SELECT profile, 1, 0 FROM processed UNION SELECT profile, 1, 0 FROM scan_results "
                    "UNION SELECT profile, 1, 0 FROM hard_negatives) GROUP BY name ORDER BY MIN(kind), "
                    "MIN(position), name"
                )
            ]

    def add_profile(self, name: str) -> None:
        """List a profile (after the others); nothing happens when it is listed already."""
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO profiles (name, position) "
                "VALUES (?, (SELECT COALESCE(MAX(position), -1) + 1 FROM profiles))",
                (name,),
            )

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
                conn.execute(
                    "INSERT INTO profiles (name, position) "
                    "VALUES (?, (SELECT COALESCE(MAX(position), -1) + 1 FROM profiles))",
                    (new,),
                )

    def delete_profile(self, name: str) -> list[str]:
        """Forget a profile and every row it holds, in one transaction; the clip files stay on disk. Returns
        the export folders that held its clips, marked stale so their dataset.json gets rewritten."""
        with self._write() as conn:
            folders = [
                folder
                for (folder,) in conn.execute(
                    "SELECT DISTINCT export_folder FROM processed WHERE profile = ? ORDER BY 1", (name,)
                )
            ]
            for table in ("processed", "scan_results", "scan_versions", "hard_negatives", "subprofiles"):
                conn.execute(f"DELETE FROM {table} WHERE profile = ?", (name,))
            conn.execute("DELETE FROM profiles WHERE name = ?", (name,))
            conn.executemany(
                "INSERT OR IGNORE INTO stale_datasets (export_folder) VALUES (?)", [(folder,) for folder in folders]
            )
        return folders

    def profile_contents(self, name: str) -> dict[str, int]:
        """{"clips", "scans", "negatives"}: what a profile holds (for the delete confirmation)."""
        with self._read() as conn:
            return {
                key: conn.execute(f"SELECT COUNT(*) FROM {table} WHERE profile = ?", (name,)).fetchone()[0]
                for key, table in (("clips", "processed"), ("scans", "scan_versions"), ("negatives", "hard_negatives"))
            }

    @staticmethod
    def _profile_names(conn: sqlite3.Connection) -> set[str]:
        return {
            name
            for (name,) in conn.execute(
                "SELECT name FROM profiles UNION SELECT profile FROM processed UNION SELECT profile FROM scan_results "
                "UNION SELECT profile FROM hard_negatives"
            )
        }

    def get_subprofiles(self, profile: str) -> list[str]:
        """The profile's subprofiles in key order (1, 2, …): each an export folder."""
        with self._read() as conn:
            return [
                folder
                for (folder,) in conn.execute(
                    "SELECT export_folder FROM subprofiles WHERE profile = ? ORDER BY position", (profile,)
                )
            ]

    def set_subprofiles(self, profile: str, folders: Sequence[str | os.PathLike]) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM subprofiles WHERE profile = ?", (profile,))
            conn.executemany(
                "INSERT INTO subprofiles (profile, position, export_folder) VALUES (?, ?, ?)",
                [(profile, position, str(folder)) for position, folder in enumerate(folders)],
            )
