"""Training videos that moved: find them again in a folder the user names, and what each export folder
trains on (clips, videos present or missing, hard negatives) for the Train dialog's details.

A video is matched by file name and size (the size recorded with its identity; by name alone when none
was recorded and only one file of that name is found), anywhere below the chosen folder. A name found
twice with the right size is ambiguous and left alone rather than guessed.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class RelinkResult:
    relinked: list[tuple[str, str]] = field(default_factory=list)  # (old path, new path)
    not_found: list[str] = field(default_factory=list)  # old paths still missing
    ambiguous: list[str] = field(default_factory=list)  # old paths matched by several files


@dataclass(frozen=True)
class FolderDetails:
    folder: str
    clips: int
    videos: int
    missing_videos: int
    hard_negatives: int  # on the videos holding this folder's clips


def missing_videos(db, profile: str = "default") -> list[dict]:
    """The profile's source videos that are not where they were last seen."""
    return [video for video in db.get_source_videos(profile) if not Path(video["path"]).is_file()]


def relink_folder(db, folder, profile: str = "default") -> RelinkResult:
    """Point each missing video at the file of the same name and size below `folder`."""
    result = RelinkResult()
    missing = missing_videos(db, profile)
    if not missing:
        return result
    wanted = {video["filename"] for video in missing}
    found: dict[str, list[Path]] = defaultdict(list)
    for root, _dirs, files in os.walk(folder):
        for name in files:
            if name in wanted:
                found[name].append(Path(root) / name)
    for video in missing:
        candidates = found.get(video["filename"], [])
        if video["size"] is not None:
            candidates = [path for path in candidates if _size(path) == video["size"]]
        if len(candidates) == 1:
            db.relink_video(video["path"], candidates[0])
            result.relinked.append((video["path"], str(candidates[0])))
        elif candidates:
            result.ambiguous.append(video["path"])
        else:
            result.not_found.append(video["path"])
    return result


def folder_details(db, profile: str = "default") -> list[FolderDetails]:
    """Per export folder: its clips, the videos they come from (how many are missing), and the hard
    negatives marked on those videos."""
    per_folder: dict[str, list[dict]] = defaultdict(list)
    for video in db.get_source_videos(profile):
        for folder in video["export_folders"]:
            per_folder[folder].append(video)
    return [
        FolderDetails(
            folder,
            sum(v["export_folders"][folder] for v in videos),
            len(videos),
            sum(not Path(v["path"]).is_file() for v in videos),
            sum(v["hard_negatives"] for v in videos),
        )
        for folder, videos in sorted(per_folder.items())
    ]


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None
