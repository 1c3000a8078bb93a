"""Every keyboard shortcut in one table, which drives the key handling, the menus and the help dialog alike.

Single keys (`routed`) go through an application event filter rather than QShortcut: a plain letter or Space
must reach a text field that has focus (typing "Door" must not export). They work from lists and tables too:
Space plays while a scan region's row is selected. The other entries are menu actions' QKeySequences.
An entry in INDEXED gets the position of the key pressed (`1` → 0): keys 1–9 choose a subprofile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QKeyCombination, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class Shortcut:
    action: str
    keys: tuple[str, ...]
    description: str
    routed: bool = True  # False: a menu action (or widget) owns these keys as its QKeySequences


SHORTCUTS = (
    Shortcut("play_pause", ("Space", "P"), "Play / pause"),
    Shortcut("snap_back", ("K",), "Pause and go back to the cursor (the locked one, else where playback started)"),
    Shortcut("slower", ("[",), "Play slower (×4 → ×2 → ×1 → ×0.5)"),
    Shortcut("faster", ("]",), "Play faster (×0.5 → ×1 → ×2 → ×4)"),
    Shortcut("lock_cursor", ("G",), "Lock the cursor: scrubbing moves the playhead only, E exports at the lock"),
    Shortcut("crop_keyframe", ("C",), "Crop keyframe at the playhead (the crop then follows its keyframes)"),
    Shortcut("remove_crop_keyframe", ("Shift+C",), "Remove the crop keyframe nearest the playhead"),
    Shortcut("track_subject", ("T",), "Track a subject: box it on the picture, the crop follows it"),
    Shortcut("frame_back", ("J", "Left"), "One frame back"),
    Shortcut("frame_forward", ("L", "Right"), "One frame forward"),
    Shortcut("second_back", ("Shift+J", "Shift+Left"), "One second back"),
    Shortcut("second_forward", ("Shift+L", "Shift+Right"), "One second forward"),
    Shortcut("export", ("E",), "Export clips at the cursor (or overwrite the chosen marker)"),
    Shortcut("next_marker", ("M",), "Jump to the next exported marker"),
    Shortcut("previous_marker", ("Shift+M",), "Jump to the previous exported marker"),
    Shortcut("next_region", ("S",), "Jump to the next scan region and select it"),
    Shortcut("next_file", ("N",), "Open the next file in the playlist"),
    Shortcut("subprofile", tuple("123456789"), "Export into subprofile 1–9 (markers take its colour)"),
    Shortcut("cancel_overwrite", ("Esc",), "Leave overwrite mode"),
    Shortcut("help", ("?", "F1"), "Show this list of shortcuts"),
    Shortcut("open", ("Ctrl+O",), "Open videos", routed=False),
    Shortcut("quit", ("Ctrl+Q",), "Quit", routed=False),
    Shortcut(
        "toggle_region",
        ("Delete", "Backspace"),
        "Scan table: disable / enable the selected regions · Playlist: hide the selected files",
        routed=False,
    ),
    Shortcut("undo", ("Ctrl+Z",), "Undo the last scan-region edit", routed=False),
    Shortcut("redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Redo it", routed=False),
    Shortcut("train", ("Ctrl+T",), "Train a classifier", routed=False),
    Shortcut("scan", ("Ctrl+Shift+S",), "Scan the current file", routed=False),
    Shortcut("scan_all", ("Ctrl+Shift+A",), "Scan every file in the playlist", routed=False),
    Shortcut("extract_audio", ("Ctrl+Shift+E",), "Save the clip length's audio from the cursor as WAV", routed=False),
)
_BY_ACTION = {shortcut.action: shortcut for shortcut in SHORTCUTS}
INDEXED = {"subprofile"}


def key_sequences(action: str) -> list[QKeySequence]:
    """The keys of a table entry, for QAction.setShortcuts."""
    return [QKeySequence(key) for key in _BY_ACTION[action].keys]


def is_routed(action: str) -> bool:
    return _BY_ACTION[action].routed


def keys_label(action: str) -> str:
    """'? / F1': the keys of a table entry as menus and the help show them ('1 … 9' for a run of digits)."""
    keys = _BY_ACTION[action].keys
    if len(keys) > 2 and all(key.isdigit() for key in keys):
        return f"{keys[0]} … {keys[-1]}"
    return " / ".join(keys)


# Shown in the help dialog beside the keys; the timeline implements them.
TIMELINE_GESTURES = (
    ("Click / drag", "Seek (never edits a region)"),
    ("Shift+drag a region edge", "Resize that scan region"),
    ("Shift+drag elsewhere", "Select a time range; right-click it to find similar sounds"),
    ("Double-click a marker", "Overwrite mode for that marker"),
    ("Right-click a marker", "Delete its clips (asks first)"),
    ("Wheel / Shift+wheel", "Zoom around the pointer / pan"),
    ("Picture: click / drag", "Move the portrait crop (a keyframe there once the crop has keyframes)"),
)


def _combination(text: str) -> QKeyCombination:
    return QKeySequence(text)[0]


def is_text_entry(widget: QWidget | None) -> bool:
    """Widgets the user types into: every key belongs to them."""
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    return isinstance(widget, (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit))


class ShortcutRouter(QObject):
    """Delivers the keys of SHORTCUTS pressed in `window` to `handlers[action]`.

    Install on the QApplication. Keys go to the focused widget instead when it is a text entry; other windows
    (dialogs) are left alone. Lists and tables keep Up/Down (not in the table) but give up Space, J/L and
    Left/Right, which mean playback wherever the hand is.
    """

    def __init__(self, window: QWidget, handlers: dict[str, Callable[[], None]]):
        super().__init__(window)
        self._window = window
        self._handlers = handlers
        self._actions = {
            _combination(key).toCombined(): (shortcut.action, index)
            for shortcut in SHORTCUTS
            if shortcut.routed
            for index, key in enumerate(shortcut.keys)
        }

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(watched, QWidget):
            return False
        if watched.window() is not self._window:
            return False
        found = self._action_and_index(event)
        if found is None or found[0] not in self._handlers:
            return False
        if is_text_entry(self._window.focusWidget()):
            return False
        action, index = found
        if action in INDEXED:
            self._handlers[action](index)
        else:
            self._handlers[action]()
        return True

    def _action_and_index(self, event: QKeyEvent) -> tuple[str, int] | None:
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
        rows = [(keys_label(shortcut.action), shortcut.description) for shortcut in SHORTCUTS]
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
