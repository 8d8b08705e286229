"""The end of a video in the window: "ended" on its last picture, the recording closed (its timer stops),
the frame rate cleared from the status bar, and the next step offered (Replay, Open another…)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import cv2
import numpy as np
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

if TYPE_CHECKING:
    from .window import MainWindow
    from .worker import Worker


def ended_picture(rgb: np.ndarray, text: str = "ended") -> np.ndarray:
    """The last picture dimmed, with ``text`` across its middle (a dark edge under light letters)."""
    out = (np.asarray(rgb, np.float32) * 0.55).astype(np.uint8)
    h, w = out.shape[:2]
    fs = max(0.8, w / 500)
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, fs, 2)
    org = ((w - tw) // 2, (h + th) // 2)
    for colour, stroke in (((0, 0, 0), max(4, int(3 * fs))), ((255, 255, 255), max(2, int(1.5 * fs)))):
        cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, fs, colour, stroke, cv2.LINE_AA)
    return np.ascontiguousarray(out)


class Ending:
    """Watches the window's worker; :meth:`worker_finished` is connected to each worker's ``finished``."""

    def __init__(self, win: MainWindow, replay: Callable[[], object]) -> None:
        self.win, self.ended = win, False
        self.offer = QWidget()
        row = QHBoxLayout(self.offer)
        row.setContentsMargins(0, 0, 0, 0)
        self.replay_button = QPushButton("Replay")
        self.open_button = QPushButton("Open another…")
        self.replay_button.clicked.connect(replay)
        self.open_button.clicked.connect(win.choose_file)
        for w in (self.replay_button, self.open_button):
            row.addWidget(w)
        self.offer.setVisible(False)
        win.statusBar().addPermanentWidget(self.offer)  # beside "ended" (a message would cover a plain widget)

    def started(self) -> None:
        self.ended = False
        self.offer.setVisible(False)

    def worker_finished(self, worker: Worker) -> None:
        """A worker's loop ended: the window's own (not one it stopped for another source) ended its video."""
        win = self.win
        if worker is not win.worker or worker._stop.is_set():
            return
        self.ended = True
        win.record_button.setChecked(False)  # the CSV closed, the timer stopped
        latest = worker.take_latest()
        rgb = latest[1] if latest is not None else win.view.last_rgb
        if rgb is not None:
            win.view.show_rgb(ended_picture(rgb), keep=False)
        self.offer.setVisible(True)
