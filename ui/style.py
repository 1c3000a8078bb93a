"""A dark Fusion theme: video work reads better on dark surroundings, and the timeline is dark too."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

_PALETTE = {
    QPalette.ColorRole.Window: "#2a2d33",
    QPalette.ColorRole.WindowText: "#e3e6eb",
    QPalette.ColorRole.Base: "#1f2126",
    QPalette.ColorRole.AlternateBase: "#262930",
    QPalette.ColorRole.ToolTipBase: "#33373e",
    QPalette.ColorRole.ToolTipText: "#e3e6eb",
    QPalette.ColorRole.Text: "#e3e6eb",
    QPalette.ColorRole.Button: "#343840",
    QPalette.ColorRole.ButtonText: "#e3e6eb",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Highlight: "#3d7bd9",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#6aa5ff",
    QPalette.ColorRole.PlaceholderText: "#7d828c",
}

_STYLESHEET = """
QMainWindow::separator { background: #1b1d21; width: 4px; height: 4px; }
QDockWidget::title { background: #24272d; padding: 5px 8px; }
QGroupBox { border: 1px solid #3a3e46; border-radius: 4px; margin-top: 14px; padding-top: 6px; }
QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 4px; color: #aab0ba; }
QLabel#timeLabel { font-family: monospace; font-size: 13px; padding: 0 8px; }
QLabel#fileLabel { color: #aab0ba; }
QLabel#destinationLabel { color: #8fc27a; font-family: monospace; }
QLabel#overwriteLabel { background: #5a2a2a; border: 1px solid #c05050; border-radius: 3px; padding: 6px; }
QPushButton#exportButton { background: #3d7bd9; color: white; font-weight: bold; padding: 8px; border-radius: 4px; }
QPushButton#exportButton:disabled { background: #3a3e46; color: #8a8f98; }
QToolBar { spacing: 6px; padding: 3px; border: none; }
QStatusBar QLabel { padding: 0 6px; }
"""


def apply_style(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in _PALETTE.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7d828c"))
    app.setPalette(palette)
    app.setStyleSheet(_STYLESHEET)
