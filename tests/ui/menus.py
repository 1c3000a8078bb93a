"""Choosing an entry of a popup menu with a real click, for menus opened by exec() (which blocks)."""

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMenu


def click_menu_item_soon(qtbot, text: str, seen: list | None = None) -> None:
    """Once the next popup menu is open, click its entry whose text starts with `text`; `seen` gets the
    entries' texts."""

    def click():
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, click)
            return
        texts = [action.text() for action in menu.actions()]
        if seen is not None:
            seen.extend(texts)
        action = next(a for a in menu.actions() if a.text().startswith(text))
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())

    QTimer.singleShot(20, click)
