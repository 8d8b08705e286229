"""The window for several sources: a grid of lanes, each with its video, mood and alert state, the
whole store's mood above them and the alerts of every lane beside them. Clicking a lane enlarges it;
clicking it again (or Esc) returns to the grid.

A thin view over :class:`~emotion_monitor.runner.Runner`, which runs on the worker's thread; the
window takes each lane's newest result when it redraws (a slow window skips results, never queues them).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from ..mood import format_score
from ..overlay import draw, picture
from ..runner import Runner
from ..settings import Settings
from ..types import CaptureOptions, FrameResult, Outputs
from .mood_panel import COLOURS, mood_sign
from .widgets import VideoView
from .worker import LanesWorker

if TYPE_CHECKING:
    from ..events import Event
    from ..sources import SourceSpec

MAX_EVENTS = 200


class LaneTile(QFrame):
    """One lane: its name, video, mood and state; a click enlarges it."""

    def __init__(self, name: str, on_click: Callable[[LaneTile], None]) -> None:
        super().__init__()
        self.name = name
        self.setFrameShape(QFrame.StyledPanel)
        self.setLineWidth(2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        head = QHBoxLayout()
        self.title = QLabel(f"<b>{name}</b>")
        self.mood = QLabel("-")
        self.mood.setStyleSheet("font-size: 18px; font-weight: bold;")
        self.state = QLabel("starting")
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.state)
        head.addWidget(self.mood)
        lay.addLayout(head)
        self.view = VideoView(lambda x, y: on_click(self))
        self.view.setMinimumSize(200, 112)
        lay.addWidget(self.view, 1)
        self.alert = False

    def show_result(self, result: FrameResult, rgb: np.ndarray | None = None) -> None:
        """The lane's newest result; ``rgb`` its picture (None while another lane is enlarged)."""
        m = result.mood
        if rgb is not None:
            self.view.show_rgb(rgb)
        self.mood.setText(format_score(m.score) if m.faces else "-")
        self.mood.setStyleSheet(f"font-size: 18px; font-weight: bold; color: {COLOURS[mood_sign(m.score, m.faces)]};")
        self.state.setText(f"{len(result.tracks)} face{'' if len(result.tracks) == 1 else 's'} in view"
                           + (f", {m.learning} not judged yet" if m.learning else "") + ("  ALERT" if m.alert else ""))
        if m.alert != self.alert:
            self.alert = m.alert
            self.setStyleSheet("LaneTile { border: 3px solid #c62828; }" if m.alert else "")

    def show_state(self, text: str) -> None:
        self.state.setText(text)


class LanesWindow(QMainWindow):
    def __init__(self, runner: Runner, recording: str | None = None):
        super().__init__()
        self.setWindowTitle(f"Emotion Monitor: {len(runner.lanes)} sources")
        self.runner, self.worker = runner, LanesWorker(runner)
        self.enlarged: LaneTile | None = None
        central = QWidget()
        root = QHBoxLayout(central)
        left = QVBoxLayout()
        self.store = QLabel("Store mood -")
        self.store.setStyleSheet("font-size: 22px; font-weight: bold;")
        self.store_note = QLabel("")
        head = QHBoxLayout()
        head.addWidget(self.store)
        head.addWidget(self.store_note, 1)
        left.addLayout(head)
        self.grid = QGridLayout()
        cols = math.ceil(math.sqrt(len(runner.lanes)))
        self.tiles = {}
        for i, lane in enumerate(runner.lanes):
            tile = LaneTile(lane.name, self.toggle)
            self.tiles[lane.name] = tile
            self.grid.addWidget(tile, i // cols, i % cols)
        left.addLayout(self.grid, 1)
        root.addLayout(left, 4)
        side = QVBoxLayout()
        side.addWidget(QLabel("<b>Alerts</b> (newest first)"))
        self.events = QListWidget()
        self.events.setWordWrap(True)
        side.addWidget(self.events, 1)
        note = QLabel(f"Recording to {recording}" if recording else "Not recording (--record FILE.csv)")
        note.setWordWrap(True)
        side.addWidget(note)
        root.addLayout(side, 1)
        self.setCentralWidget(central)
        self.worker.event.connect(self._event)
        self.worker.warning.connect(self._warning)
        self.worker.failed.connect(self._warning)
        self.worker.new_result.connect(self._refresh)

    def start(self) -> None:
        self.worker.start()

    # ---- view ------------------------------------------------------------------------------------
    def toggle(self, tile: LaneTile) -> None:
        """Enlarge a lane (the others hide), or go back to the grid."""
        self.enlarged = None if self.enlarged is tile else tile
        for t in self.tiles.values():
            t.setVisible(self.enlarged is None or t is self.enlarged)

    def keyPressEvent(self, ev: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if ev.key() == Qt.Key_Escape and self.enlarged is not None:
            self.toggle(self.enlarged)
        else:
            super().keyPressEvent(ev)

    def show_results(self, latest: dict[str, FrameResult]) -> None:
        for name, result in latest.items():
            tile = self.tiles[name]
            if tile.isHidden():  # another lane is enlarged: its state only, no picture to draw
                tile.show_result(result)
                continue
            overlay = draw(picture(result, self.runner.settings.blur_screen), result, None, mood_line=False,
                           width=max(160, tile.view.width()))
            tile.show_result(result, np.ascontiguousarray(overlay[:, :, ::-1]))  # BGR -> RGB
        for lane in self.runner.lanes:
            if lane.state != "running":
                self.tiles[lane.name].show_state(lane.state)
        score, faces = self.runner.store_mood()
        colour = COLOURS[mood_sign(score, faces)]
        self.store.setText(f"Store mood <span style='color:{colour}'>{format_score(score) if faces else '-'}</span>")
        alerting = [t.name for t in self.tiles.values() if t.alert]
        self.store_note.setText(f"  {faces} faces counted in {len(self.tiles)} sources"
                                + (f";  in alert: {', '.join(alerting)}" if alerting else ""))

    def _refresh(self) -> None:
        latest = self.worker.take_latest()
        if latest:
            self.show_results(latest)

    def _event(self, event: Event) -> None:
        self.events.insertItem(0, event.text)  # the runner's words, as the CLI and the one-source window say it
        while self.events.count() > MAX_EVENTS:
            self.events.takeItem(self.events.count() - 1)

    def _warning(self, line: str) -> None:
        self.statusBar().showMessage(line, 10_000)

    def closeEvent(self, ev: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.worker.close()
        super().closeEvent(ev)


def run_lanes(app: QApplication, settings: Settings, specs: Sequence[SourceSpec], outputs: Outputs,
              loop: bool = False) -> int:
    """Open the lanes window on ``specs`` with ``settings`` and the ``outputs`` asked for (CSV, metrics,
    webhook)."""
    from ..app import open_sources
    from ..commands import warn
    from ..errors import MonitorError

    try:
        runner = open_sources(settings, specs, outputs, warn, named=True,
                              capture_options=CaptureOptions(realtime=True, loop=loop))
    except MonitorError as exc:
        print(f"emotion-monitor: error: {exc}", file=sys.stderr)
        return 1
    win = LanesWindow(runner, recording=outputs.record)
    win.resize(1500, 860)
    win.show()
    win.start()
    return app.exec()
