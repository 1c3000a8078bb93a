"""The vid_NNN export layout (SPEC section 3): where a clip goes and what it is called.

    <export_folder>/vid_NNN/<name>_NNN_<sub>.mp4          one vid folder per (profile, export folder, video)
    <export_folder>/vid_NNN/<name>_NNN_a<area>_<sub>.mp4  scan exports
    <export_folder>/vid_NNN/<name>_NNN_<sub>/frame_0001.webp … plus <name>_NNN_<sub>.wav   WebP sequences

The per-video counter NNN is one more than the highest found for that vid folder in the database and on
disk, so a file the database forgot about is never overwritten. Names are parsed back with the same
patterns, by the counters and by the legacy-layout migration.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

VID_PREFIX = "vid_"
_VID_FOLDER = re.compile(r"vid_(\d+)", re.ASCII)
# Greedy name: the counter, optional area and sub are always the last underscore-separated groups.
_CLIP_NAME = re.compile(
    r"(?P<name>.+)_(?P<counter>\d+)(?:_a(?P<area>\d+))?_(?P<sub>\d+)(?P<ext>\.[A-Za-z0-9]+)?", re.ASCII | re.DOTALL
)


@dataclass(frozen=True)
class ClipName:
    name: str
    counter: int
    sub: int
    area: int | None = None

    @property
    def stem(self) -> str:
        if self.area is None:
            return clip_stem(self.name, self.counter, self.sub)
        return scan_export_stem(self.name, self.counter, self.area, self.sub)


def vid_folder_name(number: int) -> str:
    return f"{VID_PREFIX}{number:03d}"


def parse_vid_folder(name: str) -> int | None:
    """The number of a `vid_NNN` folder name, None for anything else."""
    match = _VID_FOLDER.fullmatch(name)
    return int(match.group(1)) if match else None


def clip_stem(name: str, counter: int, sub: int) -> str:
    return f"{name}_{counter:03d}_{sub:02d}"


def scan_export_stem(name: str, counter: int, area: int, sub: int) -> str:
    return f"{name}_{counter:03d}_a{area}_{sub:02d}"


def parse_clip_name(entry_name: str) -> ClipName | None:
    """Parse a clip file or WebP folder name (`door_004_02.mp4`, `door_004_a3_01`, …); None if it is not one."""
    match = _CLIP_NAME.fullmatch(entry_name)
    if not match:
        return None
    area = match.group("area")
    return ClipName(
        match.group("name"),
        int(match.group("counter")),
        int(match.group("sub")),
        int(area) if area is not None else None,
    )


# These two run once per clip row when paths are rewritten in bulk, hence os.path rather than pathlib.
def export_folder_of(output_path: str | os.PathLike) -> str:
    """The export folder a clip belongs to: two levels above the clip file."""
    return os.path.dirname(os.path.dirname(os.path.normpath(output_path)))


def vid_folder_of(output_path: str | os.PathLike) -> str:
    """The name of the folder directly holding a clip (`vid_NNN`, or `clip_NNN` in the legacy layout)."""
    return os.path.basename(os.path.dirname(os.path.normpath(output_path)))


def vid_numbers_on_disk(export_folder: str | os.PathLike) -> set[int]:
    folder = Path(export_folder)
    if not folder.is_dir():
        return set()
    return {n for entry in folder.iterdir() if (n := parse_vid_folder(entry.name)) is not None}


def lowest_free_number(taken: Iterable[int]) -> int:
    taken = set(taken)
    number = 1
    while number in taken:
        number += 1
    return number


def highest_counter(entry_names: Iterable[str]) -> int:
    """The highest clip counter among names (0 when none parses)."""
    return max((clip.counter for name in entry_names if (clip := parse_clip_name(name))), default=0)


def vid_folder_path(
    db, filename: str, profile: str, export_folder: str | os.PathLike, source_path: str | os.PathLike | None = None
) -> Path:
    """The vid folder for a video's clips in an export folder (existing one, else the lowest free number)."""
    return Path(export_folder) / db.get_vid_folder(filename, profile, export_folder, source_path)


def next_counter(db, vid_folder: str | os.PathLike) -> int:
    """One more than the highest counter used in this vid folder, by the database or by files on disk."""
    vid_folder = Path(vid_folder)
    known = (Path(p).name for p in db.get_vid_folder_paths(vid_folder.parent, vid_folder.name))
    on_disk = (entry.name for entry in vid_folder.iterdir()) if vid_folder.is_dir() else ()
    return max(highest_counter(known), highest_counter(on_disk)) + 1


def stem_taken(vid_folder: str | os.PathLike, stem: str) -> bool:
    """Whether anything on disk already carries this clip stem (the .mp4, the .wav or the WebP folder)."""
    vid_folder = Path(vid_folder)
    return any((vid_folder / candidate).exists() for candidate in (stem, f"{stem}.mp4", f"{stem}.wav"))
