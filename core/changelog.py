"""Reading CHANGELOG.md: which versions exist and which ones a user has not seen yet.

Entries start with a heading `## X.Y.Z — date` (an en dash, em dash or hyphen separates the date); the
lines up to the next such heading are the entry's body. Versions compare numerically, so 0.10.0 > 0.9.1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CHANGELOG_PATH = Path(__file__).resolve().parents[1] / "CHANGELOG.md"

_HEADING = re.compile(r"^##\s+v?(\d+(?:\.\d+)*)\s*(?:[—–-]\s*(.*?))?\s*$")


def parse_version(text: str) -> tuple[int, ...]:
    """'1.2.10' -> (1, 2, 10); anything unparsable sorts before every real version."""
    parts = text.strip().lstrip("v").split(".")
    if not all(part.isdigit() for part in parts):
        return ()
    return tuple(int(part) for part in parts)


@dataclass(frozen=True)
class ChangelogEntry:
    version: str
    date: str
    body: str

    @property
    def version_key(self) -> tuple[int, ...]:
        return parse_version(self.version)


def parse_changelog(text: str) -> list[ChangelogEntry]:
    """Every versioned entry, newest version first, whatever order the file lists them in."""
    entries: list[ChangelogEntry] = []
    heading: re.Match | None = None
    body: list[str] = []

    def close_entry() -> None:
        if heading is not None:
            entries.append(ChangelogEntry(heading.group(1), heading.group(2) or "", "\n".join(body).strip()))

    for line in text.splitlines():
        match = _HEADING.match(line)
        if match:
            close_entry()
            heading, body = match, []
        elif heading is not None:
            body.append(line)
    close_entry()
    return sorted(entries, key=lambda entry: entry.version_key, reverse=True)


def read_changelog(path: Path = CHANGELOG_PATH) -> list[ChangelogEntry]:
    """The entries of the shipped changelog; none when the file cannot be read. Bytes
    that are not UTF-8 (an editor saved it in another encoding) show as replacement characters."""
    try:
        return parse_changelog(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:  # missing (a stripped install) or unreadable: nothing to show
        return []


def entries_since(entries: list[ChangelogEntry], last_seen: str | None) -> list[ChangelogEntry]:
    """The entries newer than `last_seen` (all of them when nothing was seen yet), newest first."""
    seen = parse_version(last_seen) if last_seen else ()
    return [entry for entry in entries if entry.version_key > seen]


def newest_version(entries: list[ChangelogEntry]) -> str | None:
    return entries[0].version if entries else None
