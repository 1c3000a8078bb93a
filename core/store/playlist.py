"""Playlist state: its tabs (files and separators, export folder, hide-exported) and hidden files."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from core.store.connection import Part


class Playlist(Part):
    """Playlist tabs, replaced whole on save, and the files hidden from it."""

    def hide_file(self, path: str | os.PathLike) -> None:
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO hidden_files (path) VALUES (?)", (str(path),))

    def unhide_file(self, path: str | os.PathLike) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM hidden_files WHERE path = ?", (str(path),))

    def get_hidden_files(self) -> list[str]:
        with self._read() as conn:
            return [path for (path,) in conn.execute("SELECT path FROM hidden_files ORDER BY path")]

    def get_playlist_tabs(self) -> list[dict[str, Any]]:
        """[{name, export_folder, hide_exported, items: [{path, separator}]}] in tab order; an item is a file
        (`separator` None) or a separator (its label, `path` '')."""
        with self._read() as conn:
            tabs = conn.execute(
                "SELECT id, name, export_folder, hide_exported FROM playlist_tabs ORDER BY position"
            ).fetchall()
            items = conn.execute("SELECT tab_id, path, separator FROM playlist_items ORDER BY tab_id, position")
            by_tab: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for tab_id, path, separator in items:
                by_tab[tab_id].append({"path": path, "separator": separator})
        return [
            {"name": name, "export_folder": folder, "hide_exported": bool(hide), "items": by_tab[tab_id]}
            for tab_id, name, folder, hide in tabs
        ]

    def save_playlist_tabs(self, tabs: Sequence[dict[str, Any]]) -> None:
        """Replace every tab and its items with `tabs` (as get_playlist_tabs gives them), in one transaction."""
        with self._write() as conn:
            conn.execute("DELETE FROM playlist_items")
            conn.execute("DELETE FROM playlist_tabs")
            for position, tab in enumerate(tabs):
                tab_id = conn.execute(
                    "INSERT INTO playlist_tabs (position, name, export_folder, hide_exported) VALUES (?, ?, ?, ?)",
                    (position, tab["name"], str(tab.get("export_folder") or ""), int(bool(tab.get("hide_exported")))),
                ).lastrowid
                conn.executemany(
                    "INSERT INTO playlist_items (tab_id, position, path, separator) VALUES (?, ?, ?, ?)",
                    [
                        (tab_id, index, str(item.get("path") or ""), item.get("separator"))
                        for index, item in enumerate(tab["items"])
                    ],
                )
