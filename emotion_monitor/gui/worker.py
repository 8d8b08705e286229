"""The GUI's worker: runs capture + pipeline + sinks off the UI thread and hands the newest result over.

The UI thread never waits on capture or inference: the worker keeps only the newest (result,
overlay image) pair and emits a signal; the window takes whatever is newest when it gets to it, so a
slow UI skips results instead of queueing them.
"""

from __future__ import annotations

import threading
import time
from collections import deque

import cv2
import numpy as np
from PySide6.QtCore import QObject, Signal

from ..errors import MonitorError
from ..overlay import draw
from ..recording import CsvRecorder


class Worker(QObject):
    new_result = Signal()
    status = Signal(str)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, capture, pipeline, parent=None):
        super().__init__(parent)
        self.capture, self.pipeline = capture, pipeline
        self._lock = threading.Lock()
        self._latest = None
        self._paused = threading.Event()
        self._stop = threading.Event()
        self._recorder: CsvRecorder | None = None
        self.selected: int | None = None
        self.max_width = 1280  # the window sets it to its view's width
        self._times = deque(maxlen=30)
        self.fps = 0.0
        self._thread = threading.Thread(target=self._run, name="inference", daemon=True)

    # ---- control (UI thread) --------------------------------------------------------------------
    def start(self):
        self.capture.on_status = self.status.emit
        self.capture.start()
        self._thread.start()

    def set_paused(self, paused: bool):
        (self._paused.set if paused else self._paused.clear)()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def start_recording(self, path: str) -> None:
        rec = CsvRecorder(path)  # raises RecordingError with a clear message
        with self._lock:
            self._recorder = rec

    def stop_recording(self) -> None:
        with self._lock:
            rec, self._recorder = self._recorder, None
        if rec:
            rec.close()

    @property
    def recording(self) -> bool:
        return self._recorder is not None

    def take_latest(self):
        with self._lock:
            latest, self._latest = self._latest, None
        return latest

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.capture.stop(timeout)
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.stop_recording()

    @property
    def threads(self) -> list[threading.Thread]:
        return [self._thread, self.capture._thread]

    # ---- loop (worker thread) -------------------------------------------------------------------
    def _run(self):
        try:
            for frame in self.capture.frames(self._stop.is_set):
                if self._paused.is_set():
                    continue  # frames keep flowing (and being dropped) while paused
                result = self.pipeline.process(frame)
                if result is None:
                    continue
                overlay = draw(result.frame.image, result, self.selected, mood_line=False)
                if overlay.shape[1] > self.max_width:  # scale here, not on the UI thread
                    h = round(overlay.shape[0] * self.max_width / overlay.shape[1])
                    overlay = cv2.resize(overlay, (self.max_width, h), interpolation=cv2.INTER_AREA)
                with self._lock:
                    rec = self._recorder
                if rec is not None:
                    try:
                        rec.write(result)
                    except MonitorError as exc:
                        self.stop_recording()
                        self.failed.emit(str(exc))
                now = time.monotonic()
                self._times.append(now)
                if len(self._times) > 1:
                    self.fps = (len(self._times) - 1) / (self._times[-1] - self._times[0])
                with self._lock:
                    self._latest = (result, np.ascontiguousarray(overlay[:, :, ::-1]))  # BGR -> RGB
                self.new_result.emit()
        except Exception as exc:  # report, never crash the window
            self.failed.emit(f"processing stopped: {exc}")
        finally:
            self.finished.emit()
