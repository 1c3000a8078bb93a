"""A small plot of cross-validated precision and recall against the threshold, the chosen one marked.

It draws the `curve` points training stores in the classifier's metrics ([threshold, precision, recall],
thresholds ascending): precision usually rises and recall falls with the threshold, and the operating
point sits where the user's trade-off wants it. Painted by hand: a dozen lines do not justify a plotting
library in the window's start-up.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

PRECISION = QColor("#5ec8ff")
RECALL = QColor("#ffb347")
CHOSEN = QColor("#8a909a")  # readable on light and dark dialog backgrounds
AXES = QColor("#6b717c")
TEXT = QColor("#c8ccd4")
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 34, 10, 16, 22


class PrecisionRecallPlot(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumSize(260, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._curve: list[tuple[float, float, float]] = []
        self._threshold: float | None = None
        self._chosen: tuple[float, float] | None = None

    def sizeHint(self) -> QSize:
        return QSize(360, 150)

    def set_metrics(self, metrics: dict) -> None:
        """Show a training's curve and operating point (a metrics dict without a curve clears it)."""
        self._curve = [tuple(map(float, point)) for point in metrics.get("curve") or []]
        self._threshold = metrics.get("threshold") if self._curve else None
        self._chosen = (float(metrics["precision"]), float(metrics["recall"])) if self._curve else None
        self.setVisible(bool(self._curve))
        self.update()

    def curve(self) -> list[tuple[float, float, float]]:
        return list(self._curve)

    def _plot_rect(self) -> QRectF:
        return QRectF(
            MARGIN_LEFT,
            MARGIN_TOP,
            self.width() - MARGIN_LEFT - MARGIN_RIGHT,
            self.height() - MARGIN_TOP - MARGIN_BOTTOM,
        )

    def _point(self, threshold: float, value: float) -> QPointF:
        plot = self._plot_rect()
        return QPointF(plot.left() + threshold * plot.width(), plot.bottom() - value * plot.height())

    def paintEvent(self, _event) -> None:
        if not self._curve:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        plot = self._plot_rect()
        painter.setPen(QPen(AXES, 1))
        painter.drawRect(plot)
        painter.setPen(TEXT)
        for value, align in ((1.0, Qt.AlignmentFlag.AlignTop), (0.0, Qt.AlignmentFlag.AlignBottom)):
            y = plot.bottom() - value * plot.height()
            painter.drawText(QRectF(0, y - 8, MARGIN_LEFT - 4, 16), Qt.AlignmentFlag.AlignRight | align, f"{value:g}")
        painter.drawText(
            QRectF(plot.left(), plot.bottom() + 2, plot.width(), MARGIN_BOTTOM - 2),
            Qt.AlignmentFlag.AlignHCenter,
            "threshold",
        )
        for index, (color, name) in enumerate(((PRECISION, "precision"), (RECALL, "recall"))):
            painter.setPen(QPen(color, 2))
            painter.drawPolyline(QPolygonF([self._point(t, values[index]) for t, *values in self._curve]))
            painter.drawText(
                QRectF(plot.left() + 6 + index * 80, 0, 80, MARGIN_TOP),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                name,
            )
        if self._threshold is not None and self._chosen is not None:
            top, bottom = self._point(self._threshold, 1.0), self._point(self._threshold, 0.0)
            painter.setPen(QPen(CHOSEN, 1, Qt.PenStyle.DashLine))
            painter.drawLine(top, bottom)
            painter.setPen(Qt.PenStyle.NoPen)
            for value, color in zip(self._chosen, (PRECISION, RECALL)):
                painter.setBrush(color)
                painter.drawEllipse(self._point(self._threshold, value), 4, 4)
        painter.end()
