"""Answering a popup menu or a message box with a real click or key, for those opened by exec() (which
blocks)."""

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox


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


def press_enter_on_message_box_soon(qtbot, seen: list | None = None) -> None:
    """Once the next message box is open, press Enter on it (its default button); `seen` gets its text."""

    def press():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, press)
            return
        if seen is not None:
            seen.append(box.text())
        qtbot.keyClick(box, Qt.Key.Key_Return)

    QTimer.singleShot(50, press)
