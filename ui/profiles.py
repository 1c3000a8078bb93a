"""Profiles: independent marker sets over the same videos (e.g. one per sound class), switched from the toolbar,
and renamed, duplicated or deleted from its ⋯ menu.

The list lives in the database (core/profiles.py does the work); the window keeps each profile's export
settings in its settings file under `export_group(name)`. A rename or copy writes that group under the new
name before the database changes and removes the old one after, so the settings always follow the name the
database holds.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QInputDialog, QMenu, QMessageBox, QToolButton, QWidget

from core import profiles as core_profiles
from core.errors import FoleycutError
from core.playlist_tabs import copy_name
from ui.export_panel import SETTINGS_GROUP as EXPORT_SETTINGS_GROUP

DEFAULT_PROFILE = "default"
LIST_KEY = "profiles/names"  # before schema 13 the list lived here; still read once, for its names
CURRENT_KEY = "profiles/current"


def export_group(profile: str) -> str:
    """The settings group holding a profile's export settings."""
    return f"{EXPORT_SETTINGS_GROUP}/profiles/{profile}"


def copy_settings_group(settings: QSettings, source: str, target: str) -> None:
    settings.remove(target)
    settings.beginGroup(source)
    values = {key: settings.value(key) for key in settings.allKeys()}
    settings.endGroup()
    for key, value in values.items():
        settings.setValue(f"{target}/{key}", value)
    settings.sync()


class ProfileSelector(QWidget):
    """A combo of the profiles, "+" to add one and a ⋯ menu to rename, duplicate or delete the current one.

    `state_needed` is emitted before any of those, so the window can store the current export settings in
    the profile's group first; `profile_renamed(old, new)` before the combo switches to the new name.
    """

    profile_changed = Signal(str)
    profile_renamed = Signal(str, str)
    state_needed = Signal()
    failed = Signal(str)  # a one-line error for the user

    def __init__(self, settings: QSettings, db, home, parent: QWidget | None = None):
        super().__init__(parent)
        self._settings, self._db, self._home = settings, db, home
        self.combo = QComboBox(self)
        self.combo.setObjectName("profileCombo")
        self.combo.setMinimumContentsLength(12)
        self.combo.setToolTip("Profile: each keeps its own exported markers")
        self.add_button = QToolButton(self)
        self.add_button.setText("+")
        self.add_button.setToolTip("Add a profile")
        self.add_button.clicked.connect(self._ask_new_profile)
        self.menu_button = QToolButton(self)
        self.menu_button.setObjectName("profileMenuButton")
        self.menu_button.setText("⋯")
        self.menu_button.setToolTip("Rename, duplicate or delete this profile")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.menu_button)
        menu.addAction("Rename…", self.ask_rename)
        menu.addAction("Duplicate…", self.ask_duplicate)
        menu.addSeparator()
        menu.addAction("Delete…", self.ask_delete)
        self.menu_button.setMenu(menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.combo)
        layout.addWidget(self.add_button)
        layout.addWidget(self.menu_button)

        for name in [*(settings.value(LIST_KEY, [], type=list) or []), *db.get_profiles()]:
            db.add_profile(name)  # every profile gets its place in the list, also those the CLI made
        settings.remove(LIST_KEY)  # moved into the database once; a deleted profile must not come back
        current = settings.value(CURRENT_KEY, DEFAULT_PROFILE, type=str) or DEFAULT_PROFILE
        names = db.get_profiles()
        if current not in names:
            current = names[0] if names else DEFAULT_PROFILE
            db.add_profile(current)
        self.combo.addItems(db.get_profiles())
        self.combo.setCurrentText(current)
        self.combo.currentTextChanged.connect(self._on_changed)

    def current(self) -> str:
        return self.combo.currentText()

    def names(self) -> list[str]:
        return [self.combo.itemText(i) for i in range(self.combo.count())]

    def add_profile(self, name: str) -> None:
        """Add `name` (if new) and switch to it."""
        name = name.strip()
        if not name:
            return
        if name not in self.names():
            try:
                name = core_profiles.check_new_name(self._db, name)
            except FoleycutError as exc:
                self.failed.emit(str(exc))
                return
            self._db.add_profile(name)
            self.combo.addItem(name)
        self.combo.setCurrentText(name)

    # ---- rename, duplicate, delete ---------------------------------------------------------------
    def rename(self, new: str) -> bool:
        """Rename the current profile with its rows, answers and export settings; False (and `failed`) if
        the name is refused or the database cannot be written."""
        old = self.current()
        self.state_needed.emit()
        try:
            new = core_profiles.check_new_name(self._db, new)
            copy_settings_group(self._settings, export_group(old), export_group(new))
            try:
                core_profiles.rename_profile(self._db, self._home, old, new)
            except BaseException:
                self._settings.remove(export_group(new))
                raise
        except FoleycutError as exc:
            self.failed.emit(str(exc))
            return False
        self._settings.remove(export_group(old))
        self.profile_renamed.emit(old, new)
        index = self.combo.currentIndex()
        self.combo.blockSignals(True)
        self.combo.setItemText(index, new)
        self.combo.blockSignals(False)
        self._on_changed(new)
        return True

    def duplicate(self, new: str) -> bool:
        """A copy of the current profile's settings and subprofiles (no clips), switched to."""
        source = self.current()
        self.state_needed.emit()
        try:
            new = core_profiles.check_new_name(self._db, new)
            copy_settings_group(self._settings, export_group(source), export_group(new))
            core_profiles.duplicate_profile(self._db, source, new)
        except FoleycutError as exc:
            self.failed.emit(str(exc))
            return False
        self.combo.insertItem(self.combo.currentIndex() + 1, new)
        self.combo.setCurrentText(new)
        return True

    def delete(self) -> bool:
        """Delete the current profile (never the last one); the combo moves to its neighbour first."""
        name = self.current()
        if self.combo.count() < 2:
            self.failed.emit("This is the only profile: add another before deleting this one.")
            return False
        index = self.combo.currentIndex()
        self.combo.setCurrentIndex(index - 1 if index else 1)  # the window stores the settings being left
        try:
            core_profiles.delete_profile(self._db, self._home, name)
        except FoleycutError as exc:
            self.failed.emit(str(exc))
            return False
        self._settings.remove(export_group(name))
        self.combo.removeItem(self.names().index(name))
        return True

    def ask_rename(self) -> None:
        name, ok = QInputDialog.getText(
            self, "Rename profile", f"New name for “{self.current()}”:", text=self.current()
        )
        if ok and name.strip() != self.current():
            self.rename(name)

    def ask_duplicate(self) -> None:
        name, ok = QInputDialog.getText(
            self,
            "Duplicate profile",
            "Name of the copy (settings and subprofiles, no clips):",
            text=copy_name(self.current(), self.names()),
        )
        if ok:
            self.duplicate(name)

    def ask_delete(self) -> None:
        name = self.current()
        held = self._db.profile_contents(name)
        what = (
            (
                f"It holds {held['clips']} clip record(s), {held['scans']} scan version(s) and "
                f"{held['negatives']} hard negative(s); they are forgotten (a database backup is kept), "
                "the clip files stay on disk."
            )
            if any(held.values())
            else "It holds no clips, scans or negatives."
        )
        answer = QMessageBox.question(
            self,
            "Delete profile",
            f"Delete the profile “{name}”?\n{what}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete()

    def _ask_new_profile(self) -> None:
        name, ok = QInputDialog.getText(self, "New profile", "Name of the new profile:")
        if ok:
            self.add_profile(name)

    def _on_changed(self, name: str) -> None:
        self._settings.setValue(CURRENT_KEY, name)
        self.profile_changed.emit(name)
