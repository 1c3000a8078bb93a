"""Playlist tabs: named lists of videos and separators, each with its own export folder.

The window keeps one list per tab (ui/playlist_tabs.py); this module holds what does not need Qt: the
tabs as data and their storage, names for copies, the warning shown when the loaded video is not one of
the active tab's, and deleting a video file from disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.errors import FoleycutError

DEFAULT_TAB_NAME = "Playlist"


@dataclass
class Entry:
    """A video (`path`) or a separator (`separator`, its label)."""

    path: Path | None = None
    separator: str | None = None

    @property
    def is_separator(self) -> bool:
        return self.separator is not None


@dataclass
class Tab:
    name: str
    export_folder: str = ""
    hide_exported: bool = False
    entries: list[Entry] = field(default_factory=list)

    def paths(self) -> list[Path]:
        return [entry.path for entry in self.entries if not entry.is_separator and entry.path is not None]

    def copy(self, name: str) -> Tab:
        return Tab(
            name, self.export_folder, self.hide_exported, [Entry(entry.path, entry.separator) for entry in self.entries]
        )


def load_tabs(db) -> list[Tab]:
    return [
        Tab(
            tab["name"],
            tab["export_folder"],
            tab["hide_exported"],
            [
                Entry(None, item["separator"]) if item["separator"] is not None else Entry(Path(item["path"]))
                for item in tab["items"]
            ],
        )
        for tab in db.get_playlist_tabs()
    ]


def save_tabs(db, tabs: list[Tab]) -> None:
    db.save_playlist_tabs(
        [
            {
                "name": tab.name,
                "export_folder": tab.export_folder,
                "hide_exported": tab.hide_exported,
                "items": [
                    {"path": "" if entry.is_separator else str(entry.path), "separator": entry.separator}
                    for entry in tab.entries
                ],
            }
            for tab in tabs
        ]
    )


def copy_name(name: str, taken: list[str]) -> str:
    """`Doors (copy)`, then `Doors (copy 2)`, … whichever is free."""
    candidate, n = f"{name} (copy)", 2
    while candidate in taken:
        candidate, n = f"{name} (copy {n})", n + 1
    return candidate


def destination_warning(tab: Tab, video: Path | None) -> str | None:
    """A line for the user when `video` is loaded but is not in `tab`, whose folder `E` would export into."""
    if video is None or video in tab.paths():
        return None
    folder = Path(tab.export_folder).name if tab.export_folder else "the export folder"
    return (
        f"{video.name} is not in the tab “{tab.name}”: E would export it into {folder}. "
        "Open one of this tab's videos, or switch back to its tab."
    )


def delete_video_file(path: Path) -> None:
    """Remove a video from disk; FoleycutError (one line) when it cannot be."""
    try:
        path.unlink()
    except FileNotFoundError:
        return  # already gone: what was asked is done
    except OSError as exc:
        raise FoleycutError(
            f"Cannot delete {path} ({exc.strerror or exc}): check that it is not open elsewhere "
            "and that its folder is writable, then try again."
        ) from exc
