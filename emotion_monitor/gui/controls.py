"""The window's controls under its panels: where the video comes from (a camera, a file, the demo clip)
and what the run does (pause, record, the queue zone, settings, sound)."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .widgets import CameraPicker


class Controls(QWidget):
    """Two rows of buttons; the window connects them (``camera_button.clicked`` and so on)."""

    def __init__(self, beep: bool = False) -> None:
        super().__init__()
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        sources, run = QHBoxLayout(), QHBoxLayout()
        self.camera_index = CameraPicker()
        self.camera_button = QPushButton("Camera")
        self.file_button = QPushButton("Open video…")
        self.demo_button = QPushButton("Demo clip")
        for w in (self.camera_index, self.camera_button, self.file_button, self.demo_button):
            sources.addWidget(w)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.record_button = QPushButton("Record")
        self.record_button.setCheckable(True)
        self.record_time = QLabel("")
        self.zone_button = QPushButton("Queue zone")
        self.zone_button.setCheckable(True)
        self.zone_button.setToolTip("Click the corners of the queue on the video, then press again to keep it; "
                                    "fewer than 3 corners: the whole frame (Z)")
        self.settings_button = QPushButton("Settings…")
        self.sound = QCheckBox("Sound")
        self.sound.setChecked(beep)
        self.test_button = QPushButton("Test alert")
        self.test_button.setToolTip("Raise a TEST alert as a real one comes: the banner, this list, the sound, and "
                                    "the --alert-webhook (its body says \"test\": true); it clears by itself")
        for widget in (self.pause_button, self.record_button, self.record_time, self.zone_button,
                       self.settings_button, self.sound, self.test_button):
            run.addWidget(widget)
        rows.addLayout(sources)
        rows.addLayout(run)


class ZoneDraft:
    """The queue zone being drawn: the corners clicked so far, as fractions of the frame."""

    HINT = "queue zone: click its corners on the video, then press Queue zone (Z) again"

    def __init__(self) -> None:
        self.corners: list[tuple[float, float]] = []

    def add(self, x: float, y: float, width: int, height: int) -> str:
        """A corner at pixel (x, y) of a ``width`` x ``height`` frame; returns the status line to show."""
        self.corners.append((min(max(x / width, 0.0), 1.0), min(max(y / height, 0.0), 1.0)))
        return f"queue zone: {len(self.corners)} corner(s); press Queue zone (Z) again to keep it"

    def text(self) -> str:
        """The zone as the settings keep it (zones.parse_zones); "" with fewer than 3 corners."""
        return " ".join(f"{x:.3f},{y:.3f}" for x, y in self.corners) if len(self.corners) >= 3 else ""
