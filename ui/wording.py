"""Small wording helpers shared by the windows: counts, version ids as dates, why a file was skipped."""

from __future__ import annotations

from datetime import datetime

VERSION_ID_FORMAT = "%Y%m%d_%H%M%S_%f"  # scan timestamps and classifier versions alike


def plural(count: int, word: str) -> str:
    """'1 region', '3 regions'."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def format_stamp(stamp: str, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A version id such as '20261130_202335_520926' as a date ('2026-11-30 20:23'); other text unchanged."""
    try:
        return datetime.strptime(stamp, VERSION_ID_FORMAT).strftime(pattern)
    except (TypeError, ValueError):
        return stamp or "(unversioned)"


def skipped(name: str, why: str) -> str:
    """'Skipped broken.mp4: no audio track', or 'Skipped: broken.mp4 has no audio track' when `why` names the
    file already (not twice)."""
    return f"Skipped: {why}" if name in why else f"Skipped {name}: {why}"
