"""Renders Foleycut's SVG icon into a Windows .ico for the shortcuts setup-windows.ps1 makes (they cannot use SVG).

python assets/make_ico.py OUT.ico
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SVG = Path(__file__).with_name("foleycut.svg")
SIZE = 256  # the largest size an .ico holds; Windows scales it down for small views


def render_ico(out: Path) -> None:
    image = QImage(SIZE, SIZE, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(SVG)).render(painter)
    painter.end()
    if not image.save(str(out), "ICO"):
        raise SystemExit(f"could not write {out}: check the folder exists and is writable")


if __name__ == "__main__":
    render_ico(Path(sys.argv[1]))
