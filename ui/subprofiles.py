"""Subprofiles: light export-folder variants inside a profile (`mp4_Door`, `mp4_Door_close`), keys 1–9.

Each subprofile is an export folder with a colour; choosing one sets the export folder, and the timeline
draws the markers of each folder in its subprofile's colour.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QInputDialog, QToolButton, QWidget

MAX_SUBPROFILES = 9  # one per key 1–9
# The first is the timeline's usual marker orange, so a profile with one folder looks as before.
COLOURS = ("#ffb347", "#5ec8ff", "#7ee081", "#ff6fae", "#c79bff", "#ffe066", "#4fd1c5", "#ff8a5c", "#a0aec0")


def subprofile_colour(index: int) -> QColor:
    return QColor(COLOURS[index % len(COLOURS)])


def _swatch(colour: QColor) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(colour)
    return QIcon(pixmap)


class SubprofileBar(QWidget):
    """The current profile's subprofiles in a combo ("1 · mp4_Door"), "+" to add a variant of the current
    folder, "−" to drop the chosen one (its clips stay). `folder_chosen` asks the window to export there."""

    folder_chosen = Signal(str)
    colours_changed = Signal(dict)  # {export folder: QColor}
    failed = Signal(str)

    def __init__(self, db, parent: QWidget | None = None):
        super().__init__(parent)
        self._db = db
        self._profile = ""
        self._folders: list[str] = []
        self._current_folder: str | None = None
        self.combo = QComboBox(self)
        self.combo.setObjectName("subprofileCombo")
        self.combo.setMinimumContentsLength(14)
        self.combo.setPlaceholderText("no subprofile")
        self.combo.setToolTip("Subprofile (keys 1–9): the export folder E writes to; markers take its colour")
        self.combo.activated.connect(self.choose)
        self.add_button = QToolButton(self)
        self.add_button.setText("+")
        self.add_button.setToolTip("Add a variant of the current export folder (e.g. mp4_Door_close)")
        self.add_button.clicked.connect(self.ask_add)
        self.remove_button = QToolButton(self)
        self.remove_button.setText("−")
        self.remove_button.setToolTip("Remove the chosen subprofile (its clips and folder stay)")
        self.remove_button.clicked.connect(self.remove_current)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.combo)
        layout.addWidget(self.add_button)
        layout.addWidget(self.remove_button)

    # ---- state ---------------------------------------------------------------------------------
    def set_profile(self, profile: str) -> None:
        self._profile = profile
        self._folders = self._db.get_subprofiles(profile)
        self._refill()

    def folders(self) -> list[str]:
        return list(self._folders)

    def colours(self) -> dict[str, QColor]:
        return {folder: subprofile_colour(i) for i, folder in enumerate(self._folders)}

    def set_current_folder(self, folder: Path | None) -> None:
        """Follow the export folder field: the subprofile of that folder is shown as chosen (none if it is
        no subprofile)."""
        self._current_folder = str(folder) if folder else None
        self.combo.setCurrentIndex(self._index_of(self._current_folder))
        self.remove_button.setEnabled(self.combo.currentIndex() >= 0)

    def _index_of(self, folder: str | None) -> int:
        if folder is None:
            return -1
        normalised = [os.path.normpath(f) for f in self._folders]
        target = os.path.normpath(folder)
        return normalised.index(target) if target in normalised else -1

    # ---- actions -------------------------------------------------------------------------------
    def choose(self, index: int) -> None:
        """Key `index + 1` or a pick in the combo: export into that subprofile's folder."""
        if not 0 <= index < len(self._folders):
            self.failed.emit(
                f"No subprofile {index + 1} in this profile (it has {len(self._folders)}): "
                "add one with + beside the subprofile list."
            )
            return
        self.combo.setCurrentIndex(index)
        self.folder_chosen.emit(self._folders[index])

    def add_folder(self, folder: str) -> None:
        """Add an export folder as the next subprofile (the current folder first, so it gets key 1)."""
        folder = os.path.normpath(folder)
        if self._index_of(folder) >= 0:
            self.choose(self._index_of(folder))
            return
        if len(self._folders) >= MAX_SUBPROFILES:
            self.failed.emit(f"A profile has at most {MAX_SUBPROFILES} subprofiles (keys 1–9): remove one first.")
            return
        if self._current_folder and self._index_of(self._current_folder) < 0 and folder != self._current_folder:
            self._folders.append(os.path.normpath(self._current_folder))
        self._folders.append(folder)
        self._folders = self._folders[:MAX_SUBPROFILES]
        self._save()
        self.choose(self._index_of(folder))

    def ask_add(self) -> None:
        if not self._current_folder:
            self.failed.emit("Choose an export folder first (Export ▸ Folder): a subprofile is a variant of it.")
            return
        base = Path(self._current_folder)
        name, ok = QInputDialog.getText(
            self,
            "Add subprofile",
            f"Export folder beside {base.name} (for a variant such as close-ups):",
            text=f"{base.name}_",
        )
        name = name.strip()
        if ok and name:
            if "/" in name or "\\" in name:
                self.failed.emit(f"Give a folder name, not a path ({name!r}): it is created beside {base.name}.")
                return
            self.add_folder(str(base.parent / name))

    def remove_current(self) -> None:
        index = self.combo.currentIndex()
        if 0 <= index < len(self._folders):
            del self._folders[index]
            self._save()

    def _save(self) -> None:
        self._db.set_subprofiles(self._profile, self._folders)
        self._refill()

    def _refill(self) -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        for i, folder in enumerate(self._folders):
            self.combo.addItem(_swatch(subprofile_colour(i)), f"{i + 1} · {Path(folder).name}")
            self.combo.setItemData(i, folder, Qt.ItemDataRole.ToolTipRole)
        self.combo.setCurrentIndex(self._index_of(self._current_folder))
        self.combo.blockSignals(False)
        self.remove_button.setEnabled(self.combo.currentIndex() >= 0)
        self.colours_changed.emit(self.colours())
