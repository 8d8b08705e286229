"""The window's own widgets: the video pane (click to select a face) and the settings dialog, which
the settings model (settings.py) describes field by field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QMouseEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from .. import settings as settings_model


class VideoView(QLabel):
    """Shows frames scaled with aspect ratio kept; reports clicks in frame coordinates."""

    def __init__(self, on_click: Callable[[float, float], None], fit_height: bool = False) -> None:
        """``fit_height``: never taller than the video at the view's width, so that a layout gives the
        height a wide video leaves to the widgets below it instead of black bands (the window's video)."""
        super().__init__("No video")
        self.setAlignment(Qt.AlignCenter)
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setStyleSheet("background: #111; color: #aaa;")
        self._frame_size: tuple[int, int] | None = None
        self.last_rgb: np.ndarray | None = None
        self._on_click = on_click
        self.fit_height = fit_height

    def _fit(self) -> None:
        if self.fit_height and self._frame_size:
            w, h = self._frame_size
            self.setMaximumHeight(max(self.minimumHeight(), round(self.width() * h / w)))

    def resizeEvent(self, ev: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(ev)
        self._fit()

    def show_rgb(self, rgb: np.ndarray, keep: bool = True) -> None:
        """Show ``rgb``; ``keep``: it is the latest picture (``last_rgb``), not a note drawn over it."""
        if keep:
            self.last_rgb = rgb
        h, w = rgb.shape[:2]
        if self._frame_size != (w, h):
            self._frame_size = (w, h)
            self._fit()
        img = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()
        self.setPixmap(QPixmap.fromImage(img).scaled(self.size(), Qt.KeepAspectRatio, Qt.SmoothTransformation))

    def mousePressEvent(self, ev: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if not self._frame_size or self.pixmap() is None:
            return
        pm = self.pixmap()
        ox, oy = (self.width() - pm.width()) / 2, (self.height() - pm.height()) / 2
        s = pm.width() / self._frame_size[0]
        self._on_click((ev.position().x() - ox) / s, (ev.position().y() - oy) / s)


class CameraPicker(QComboBox):
    """The cameras found on this machine (probed when the window opens), and any index typed in."""

    def __init__(self) -> None:
        super().__init__()
        self.setEditable(True)
        self.setToolTip("cameras found on this machine; type another index to try it")
        self.refresh()

    def refresh(self) -> list[int]:
        from ..capture import list_cameras

        found = list_cameras()
        self.clear()
        # none found: say so (not "camera 0 (none found)", which read as a camera); Start then tries camera 0
        self.addItems([f"camera {i}" for i in found] or ["no camera found: type an index"])
        return found

    def index(self) -> int:
        digits = "".join(ch for ch in self.currentText().split("(")[0] if ch.isdigit())
        return int(digits) if digits else 0


class SettingsDialog(QDialog):
    """One widget a setting the window keeps (settings.window_fields): a list for choices, a spin box
    with the field's range and unit for numbers, its help text as the tooltip."""

    def __init__(self, s: settings_model.Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        form = QFormLayout(self)
        self.widgets = {}
        for f in settings_model.window_fields():
            m, value = f.metadata, getattr(s, f.name)
            w: QCheckBox | QComboBox | QSpinBox | QDoubleSpinBox | QLineEdit
            if isinstance(value, bool):
                w = QCheckBox()
                w.setChecked(value)
            elif m["choices"]:
                w = QComboBox()
                w.addItems(list(m["choices"]))
                w.setCurrentText(value)
            elif isinstance(value, str):
                w = QLineEdit(value)
            elif isinstance(value, int):
                w = QSpinBox(minimum=int(m["min"]), maximum=int(m["max"]), value=value)
            else:
                w = QDoubleSpinBox(minimum=m["min"], maximum=m["max"], singleStep=0.05 if m["max"] <= 2 else 1.0,
                                   decimals=2, value=value)
            if m["unit"] and isinstance(w, (QSpinBox, QDoubleSpinBox)):
                w.setSuffix(f" {m['unit']}")
            w.setToolTip(m["help"])
            self.widgets[f.name] = w
            form.addRow(m["label"] or f.name.replace("_", " ").capitalize(), w)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, Any]:
        return {name: (w.currentText() if isinstance(w, QComboBox) else w.isChecked() if isinstance(w, QCheckBox)
                       else w.text() if isinstance(w, QLineEdit) else w.value()) for name, w in self.widgets.items()}


