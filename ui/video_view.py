"""The picture, with the portrait crop frame drawn over it and moved with the mouse.

A native video widget cannot be painted over, so the video is a QGraphicsVideoItem in a QGraphicsView.
Scene coordinates are the source video's pixels (the item is sized to the probed frame size and the view
keeps it fitted), so the crop frame is drawn and hit-tested with exactly the numbers the export uses.

Mouse on the picture: click or drag = put the crop centre there (when a portrait crop is on) ·
in box mode (tracking a subject) drag = box the subject.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QMouseEvent, QPainter, QPen, QResizeEvent
from PySide6.QtMultimediaWidgets import QGraphicsVideoItem
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsView, QWidget

OUTSIDE_CROP = QColor(0, 0, 0, 150)
CROP_EDGE = QColor("#ffd45e")
SUBJECT_BOX = QColor("#5ec8ff")


class CropOverlay(QGraphicsItem):
    """Dims what the crop leaves out and outlines the crop; also draws the subject box being dragged."""

    def __init__(self):
        super().__init__()
        self._size = QSizeF(16, 9)
        self._crop: QRectF | None = None
        self._box: QRectF | None = None
        self.setZValue(1)

    def set_frame_size(self, size: QSizeF) -> None:
        self.prepareGeometryChange()
        self._size = QSizeF(size)
        self.update()

    def set_crop(self, crop: QRectF | None) -> None:
        self._crop = crop
        self.update()

    def crop(self) -> QRectF | None:
        return self._crop

    def set_box(self, box: QRectF | None) -> None:
        self._box = box
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(QPointF(0, 0), self._size)

    def paint(self, painter: QPainter, _option, _widget=None) -> None:
        frame = self.boundingRect()
        if self._crop is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(OUTSIDE_CROP)
            crop = self._crop
            painter.drawRect(QRectF(frame.left(), frame.top(), crop.left() - frame.left(), frame.height()))
            painter.drawRect(QRectF(crop.right(), frame.top(), frame.right() - crop.right(), frame.height()))
            painter.drawRect(QRectF(crop.left(), frame.top(), crop.width(), crop.top() - frame.top()))
            painter.drawRect(QRectF(crop.left(), crop.bottom(), crop.width(), frame.bottom() - crop.bottom()))
            pen = QPen(CROP_EDGE, 2)
            pen.setCosmetic(True)  # 2 screen pixels whatever the video's size
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(crop)
            centre = crop.center()
            painter.drawLine(QPointF(centre.x(), crop.top()), QPointF(centre.x(), crop.top() + crop.height() * 0.04))
            painter.drawLine(
                QPointF(centre.x(), crop.bottom()), QPointF(centre.x(), crop.bottom() - crop.height() * 0.04)
            )
        if self._box is not None:
            pen = QPen(SUBJECT_BOX, 2, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(QBrush(QColor(94, 200, 255, 40)))
            painter.drawRect(self._box)


class VideoView(QGraphicsView):
    crop_centre_chosen = Signal(float)  # 0..1 of the width, while clicking / dragging the crop
    subject_boxed = Signal(QRectF)  # in source pixels, once a box is let go in box mode

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setBackgroundBrush(Qt.GlobalColor.black)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.video_item = QGraphicsVideoItem()
        self.video_item.setAspectRatioMode(Qt.AspectRatioMode.IgnoreAspectRatio)  # the scene holds the aspect
        self.scene().addItem(self.video_item)
        self.overlay = CropOverlay()
        self.scene().addItem(self.overlay)
        self._box_mode = False
        self._box_origin: QPointF | None = None
        self._dragging_crop = False
        self.set_frame_size(1920, 1080)

    # ---- state ---------------------------------------------------------------------------------
    def set_frame_size(self, width: int, height: int) -> None:
        """The source's upright frame size: scene coordinates are its pixels."""
        size = QSizeF(max(1, width), max(1, height))
        self.video_item.setSize(size)
        self.overlay.set_frame_size(size)
        self.scene().setSceneRect(QRectF(QPointF(0, 0), size))
        self._fit()

    def frame_size(self) -> QSizeF:
        return self.video_item.size()

    def set_crop(self, crop: tuple[int, int, int, int] | None) -> None:
        """The crop (w, h, x, y) in source pixels, as core.export.output_geometry gives it; None: no frame."""
        self.overlay.set_crop(None if crop is None else QRectF(crop[2], crop[3], crop[0], crop[1]))

    def set_box_mode(self, on: bool) -> None:
        """Box mode: the next drag boxes the subject to track instead of moving the crop."""
        self._box_mode = on
        self._box_origin = None
        self.overlay.set_box(None)
        self.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    def box_mode(self) -> bool:
        return self._box_mode

    def scene_point(self, x: float, y: float) -> QPoint:
        """Where a point of the source frame is in this widget (for tests and tooltips)."""
        return self.mapFromScene(QPointF(x, y))

    # ---- geometry ------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    # ---- mouse ---------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        point = self.mapToScene(event.position().toPoint())
        if self._box_mode:
            self._box_origin = point
            self.overlay.set_box(QRectF(point, point))
        elif self.overlay.crop() is not None:
            self._dragging_crop = True
            self._choose_centre(point.x())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        point = self.mapToScene(event.position().toPoint())
        if self._box_origin is not None:
            self.overlay.set_box(QRectF(self._box_origin, point).normalized() & self.sceneRect())
        elif self._dragging_crop:
            self._choose_centre(point.x())
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._box_origin is not None and event.button() == Qt.MouseButton.LeftButton:
            point = self.mapToScene(event.position().toPoint())
            box = QRectF(self._box_origin, point).normalized() & self.sceneRect()
            self.set_box_mode(False)
            self.subject_boxed.emit(box)
            return
        self._dragging_crop = False
        super().mouseReleaseEvent(event)

    def _choose_centre(self, x: float) -> None:
        width = self.frame_size().width()
        self.crop_centre_chosen.emit(min(1.0, max(0.0, x / width)))
