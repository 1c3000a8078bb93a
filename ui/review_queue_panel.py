"""The review queue: the item to answer now, what comes next, and one key per answer.

A accepts (exports clips there, as E does), R rejects (hard negative), S skips, U undoes the last answer
(not Ctrl+Z: the scan panel's undo holds it window-wide, and a key bound twice fires neither). The keys
work whenever focus is inside the panel; the panel takes focus when a queue starts. It shows a
`ReviewSession`'s state and sends answers as signals; the workbench performs them (an accept encodes in the
background).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.review_queue import ACCEPT, REJECT, SKIP, ReviewItem
from ui.timeline import format_time

KEYS = {ACCEPT: ("A", "Accept"), REJECT: ("R", "Reject"), SKIP: ("S", "Skip")}
UNDO_KEY = "U"
REASONS = (
    "Why each place is asked (in brackets):\n"
    "broad match: ranked high by a simple model of your answers; it finds kinds of the sound not met yet\n"
    "uncertain: the classifier is least sure about it\n"
    "top hit: the classifier's most confident place nobody has answered\n"
    "similar: a search hit, most similar first"
)


def item_text(item: ReviewItem) -> str:
    score = "" if item.score != item.score else f"  {item.score:.2f}"  # NaN: an item brought back by undo
    return f"{item.video.name}  {format_time(item.start)}{score}  ({item.reason})"


class ReviewQueuePanel(QWidget):
    answered = Signal(str)  # ACCEPT / REJECT / SKIP
    undo_requested = Signal()
    retrain_every_changed = Signal(int)
    replay_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.current_label = QLabel("No queue yet: search for similar sounds, or train a classifier.")
        self.current_label.setWordWrap(True)
        self.current_label.setStyleSheet("font-weight: bold")
        self.buttons = {}
        row = QHBoxLayout()
        for answer, (key, text) in KEYS.items():
            button = QPushButton(f"{text} ({key})")
            button.clicked.connect(lambda _checked=False, a=answer: self._answer(a))
            row.addWidget(button)
            self.buttons[answer] = button
            QShortcut(
                QKeySequence(key),
                self,
                lambda a=answer: self._answer(a),
                context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
            )
        self.undo_button = QPushButton("Undo (U)")
        self.undo_button.clicked.connect(self.undo_requested)
        row.addWidget(self.undo_button)
        QShortcut(
            QKeySequence(UNDO_KEY),
            self,
            self.undo_requested.emit,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        QShortcut(
            QKeySequence("P"), self, self.replay_requested.emit, context=Qt.ShortcutContext.WidgetWithChildrenShortcut
        )
        self.retrain_spin = QSpinBox()
        self.retrain_spin.setRange(0, 500)
        self.retrain_spin.setSpecialValueText("never")
        self.retrain_spin.setToolTip("Retrain the classifier in the background after this many accepts/rejects")
        self.retrain_spin.valueChanged.connect(self.retrain_every_changed)
        self.progress_label = QLabel()
        self.progress_label.setWordWrap(True)
        self.upcoming = QListWidget()
        self.upcoming.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.upcoming.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.upcoming.setToolTip(REASONS)
        self.current_label.setToolTip(REASONS)

        form = QFormLayout()
        form.addRow("Retrain every:", self.retrain_spin)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.current_label)
        layout.addLayout(row)
        layout.addLayout(form)
        layout.addWidget(self.progress_label)
        layout.addWidget(QLabel("Next (P replays the current one):"))
        layout.addWidget(self.upcoming, 1)
        self._busy = False
        self.show_queue([], 0, "")

    def set_busy(self, busy: bool) -> None:
        """While an answer is being written, further keys are ignored (they would answer the wrong item)."""
        self._busy = busy
        self._enable()

    def show_queue(self, items: list[ReviewItem], answered: int, status: str, can_undo: bool = False) -> None:
        self._has_items = bool(items)
        self._can_undo = can_undo
        self.current_label.setText(
            f"Now: {item_text(items[0])}"
            if items
            else "Nothing left to review: search again, or let the classifier retrain."
        )
        self.upcoming.clear()
        self.upcoming.addItems([item_text(item) for item in items[1:51]])
        self.progress_label.setText(f"{answered} answer(s) given. {status}".strip())
        self._enable()

    def _enable(self) -> None:
        for button in self.buttons.values():
            button.setEnabled(self._has_items and not self._busy)
        self.undo_button.setEnabled(self._can_undo and not self._busy)

    def _answer(self, answer: str) -> None:
        if self._has_items and not self._busy:
            self.answered.emit(answer)
