"""Profiles: independent marker sets over the same videos (e.g. one per sound class), switched from the toolbar."""
from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QInputDialog, QToolButton, QWidget

DEFAULT_PROFILE = "default"
LIST_KEY = "profiles/names"
CURRENT_KEY = "profiles/current"


class ProfileSelector(QWidget):
    """A combo of the known profiles and a "+" button to add one; both persisted in `settings`.
    `in_use` adds the profiles the database already holds data for (made by the CLI, say)."""

    profile_changed = Signal(str)

    def __init__(self, settings: QSettings, in_use: list[str] = (), parent: QWidget | None = None):
        super().__init__(parent)
        self._settings = settings
        self.combo = QComboBox(self)
        self.combo.setObjectName("profileCombo")
        self.combo.setMinimumContentsLength(12)
        self.combo.setToolTip("Profile: each keeps its own exported markers")
        self.add_button = QToolButton(self)
        self.add_button.setText("+")
        self.add_button.setToolTip("Add a profile")
        self.add_button.clicked.connect(self._ask_new_profile)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.combo)
        layout.addWidget(self.add_button)

        names = settings.value(LIST_KEY, [], type=list) or []
        current = settings.value(CURRENT_KEY, DEFAULT_PROFILE, type=str) or DEFAULT_PROFILE
        self.combo.addItems(list(dict.fromkeys([DEFAULT_PROFILE, *names, *in_use, current])))
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
            self.combo.addItem(name)
            self._settings.setValue(LIST_KEY, self.names())
        self.combo.setCurrentText(name)

    def _ask_new_profile(self) -> None:
        name, ok = QInputDialog.getText(self, "New profile", "Name of the new profile:")
        if ok:
            self.add_profile(name)

    def _on_changed(self, name: str) -> None:
        self._settings.setValue(CURRENT_KEY, name)
        self.profile_changed.emit(name)
