"""The window's single-key shortcuts, one table for the key handling and the help dialog alike.

Keys are routed by an application event filter rather than QShortcut: a plain letter or Space must reach
a text field that has focus (typing "Door" must not export), and lists keep their arrow keys.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QEvent, QKeyCombination, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QAbstractSpinBox, QComboBox, QDialog, QDialogButtonBox, QHeaderView, QLineEdit,
    QPlainTextEdit, QTableWidget, QTableWidgetItem, QTextEdit, QVBoxLayout, QWidget,
)


@dataclass(frozen=True)
class Shortcut:
    action: str
    keys: tuple[str, ...]
    description: str


SHORTCUTS = (
    Shortcut("play_pause", ("Space",), "Play / pause"),
    Shortcut("frame_back", ("J", "Left"), "One frame back"),
    Shortcut("frame_forward", ("L", "Right"), "One frame forward"),
    Shortcut("second_back", ("Shift+J", "Shift+Left"), "One second back"),
    Shortcut("second_forward", ("Shift+L", "Shift+Right"), "One second forward"),
    Shortcut("export", ("E",), "Export clips at the cursor (or overwrite the chosen marker)"),
    Shortcut("next_marker", ("M",), "Jump to the next exported marker"),
    Shortcut("previous_marker", ("Shift+M",), "Jump to the previous exported marker"),
    Shortcut("next_file", ("N",), "Open the next file in the playlist"),
    Shortcut("cancel_overwrite", ("Esc",), "Leave overwrite mode"),
    Shortcut("help", ("?", "F1"), "Show this list of shortcuts"),
)

# Shown in the help dialog beside the keys; the timeline implements them.
TIMELINE_GESTURES = (
    ("Click / drag", "Seek (never edits a region)"),
    ("Shift+drag a region edge", "Resize that scan region"),
    ("Double-click a marker", "Overwrite mode for that marker"),
    ("Right-click a marker", "Delete its clips (asks first)"),
    ("Wheel / Shift+wheel", "Zoom around the pointer / pan"),
)

_NAVIGATION_KEYS = {Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Space}


def _combination(text: str) -> QKeyCombination:
    return QKeySequence(text)[0]


def is_text_entry(widget: QWidget | None) -> bool:
    """Widgets the user types into: every key belongs to them."""
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    return isinstance(widget, (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit))


class ShortcutRouter(QObject):
    """Delivers the keys of SHORTCUTS pressed in `window` to `handlers[action]`.

    Install on the QApplication. Keys go to the focused widget instead when it is a text entry, or a
    list/table using its navigation keys; other windows (dialogs) are left alone.
    """

    def __init__(self, window: QWidget, handlers: dict[str, Callable[[], None]]):
        super().__init__(window)
        self._window = window
        self._handlers = handlers
        self._actions = {
            _combination(key).toCombined(): shortcut.action
            for shortcut in SHORTCUTS for key in shortcut.keys
        }

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(watched, QWidget):
            return False
        if watched.window() is not self._window:
            return False
        action = self.action_for(event)
        if action is None or action not in self._handlers:
            return False
        focus = self._window.focusWidget()
        if is_text_entry(focus):
            return False
        if isinstance(focus, QAbstractItemView) and event.key() in _NAVIGATION_KEYS:
            return False
        self._handlers[action]()
        return True

    def action_for(self, event: QKeyEvent) -> str | None:
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        text = event.text()
        if text and not text.isalnum() and not text.isspace():
            modifiers &= ~Qt.KeyboardModifier.ShiftModifier  # "?" is Shift+/ on many layouts
        combined = QKeyCombination(modifiers, Qt.Key(event.key())).toCombined()
        return self._actions.get(combined)


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [("  /  ".join(shortcut.keys), shortcut.description) for shortcut in SHORTCUTS]
        rows += [(f"Timeline: {gesture}", description) for gesture, description in TIMELINE_GESTURES]
        table = QTableWidget(len(rows), 2, self)
        table.setHorizontalHeaderLabels(["Keys", "Action"])
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for row, (keys, description) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(description))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(640, 560)
