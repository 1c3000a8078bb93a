"""Renaming, duplicating and deleting profiles, with everything that belongs to one.

A profile's rows live in the database (clips, scans, hard negatives, subprofiles) and its review answers in
a file of the data home. The database part of each operation is one transaction; the answer file is copied
under its new name before that transaction and the old copy removed after it, so a run killed at any point
leaves the profile whole under one name or the other. The window's own per-profile settings follow the
same copy-then-commit-then-remove order (ui/profiles.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from core import dataset_json
from core.atomic_write import replacing
from core.errors import FoleycutError
from core.review_queue import answer_log_path

FORBIDDEN = "/\\"


def check_new_name(db, name: str) -> str:
    """The name stripped, or FoleycutError saying why it cannot name a new profile."""
    name = name.strip()
    if not name:
        raise FoleycutError("A profile needs a name: type one, then confirm.")
    if any(char in name for char in FORBIDDEN):
        raise FoleycutError(f"A profile name cannot hold '/' or '\\' ({name!r}): choose another name.")
    if name in db.get_profiles():
        raise FoleycutError(f"A profile named {name!r} exists already: choose another name.")
    return name


def rename_profile(db, home, old: str, new: str) -> str:
    """Move profile `old` and all it holds to the name `new` (checked first); returns the new name."""
    new = check_new_name(db, new)
    old_log, new_log = answer_log_path(home, old), answer_log_path(home, new)
    copied = _copy(old_log, new_log)
    try:
        db.rename_profile(old, new)
    except BaseException:
        if copied:
            new_log.unlink(missing_ok=True)
        raise
    if copied:
        old_log.unlink(missing_ok=True)
    return new


def duplicate_profile(db, source: str, new: str) -> str:
    """A new profile with `source`'s subprofiles and none of its clips, scans or negatives (those stay
    with the videos and files they describe; sharing them would let one profile delete the other's clips)."""
    new = check_new_name(db, new)
    with db.transaction():
        db.add_profile(source)  # listed before its copy, also when only its rows named it so far
        db.add_profile(new)
        db.set_subprofiles(new, db.get_subprofiles(source))
    return new


def delete_profile(db, home, name: str) -> list[str]:
    """Forget a profile and all its rows after backing the database up; clip files stay on disk and the
    dataset.json of each export folder that held its clips is rewritten. Returns those folders."""
    db.backup("before-profile-delete")
    folders = db.delete_profile(name)
    answer_log_path(home, name).unlink(missing_ok=True)
    for folder in folders:
        dataset_json.rebuild(db, folder)
    return folders


def _copy(source: Path, target: Path) -> bool:
    """Copy a file whole under a new name (temp + rename); False when there is nothing to copy."""
    if not source.is_file():
        return False
    try:
        with replacing(target, suffix=".part") as partial:
            shutil.copy2(source, partial)
    except OSError as exc:
        raise FoleycutError(
            f"Cannot copy the review answers {source} to {target} ({exc.strerror or exc}): "
            "check that the data home is writable, then try again."
        ) from exc
    return True
