"""Exports in progress (core/export_journal.py): the files each one may leave behind, recorded before they
exist; and export folders whose dataset.json is older than their rows."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from core.store.connection import Part, insert


class ExportJournal(Part):
    """Journal entries of running exports, and the stale-dataset marks."""

    def begin_export(self, owner: str, temps: Sequence[str], created_dirs: Sequence[str]) -> int:
        with self._write() as conn:
            return insert(
                conn,
                "INSERT INTO export_journal (owner, temps, created_dirs) VALUES (?, ?, ?)",
                (owner, json.dumps([str(p) for p in temps]), json.dumps([str(p) for p in created_dirs])),
            )

    def record_export_moves(
        self, entry_id: int, moves: Sequence[tuple[str, str | None]], created_dirs: Sequence[str]
    ) -> None:
        """The final names (and the aside names of files being replaced) before the first one is taken."""
        with self._write() as conn:
            conn.execute(
                "UPDATE export_journal SET moves = ?, created_dirs = ? WHERE id = ?",
                (
                    json.dumps([[str(final), aside and str(aside)] for final, aside in moves]),
                    json.dumps([str(p) for p in created_dirs]),
                    entry_id,
                ),
            )

    def end_export(self, entry_id: int) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM export_journal WHERE id = ?", (entry_id,))

    def pending_exports(self) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = conn.execute("SELECT id, owner, temps, created_dirs, moves FROM export_journal ORDER BY id")
            return [
                {
                    "id": row_id,
                    "owner": owner,
                    "temps": json.loads(temps),
                    "created_dirs": json.loads(dirs),
                    "moves": [tuple(move) for move in json.loads(moves)],
                }
                for row_id, owner, temps, dirs, moves in rows
            ]

    def mark_dataset_stale(self, export_folder: str | os.PathLike) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO stale_datasets (export_folder) VALUES (?)", (os.path.normpath(export_folder),)
            )

    def dataset_rewritten(self, export_folder: str | os.PathLike) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM stale_datasets WHERE export_folder = ?", (os.path.normpath(export_folder),))

    def stale_datasets(self) -> list[str]:
        """Export folders whose dataset.json a killed or failed run left out of date."""
        with self._read() as conn:
            return [folder for (folder,) in conn.execute("SELECT export_folder FROM stale_datasets ORDER BY 1")]
