"""The windows' workers: each iterates the core :class:`~emotion_monitor.runner.Runner` on a thread and hands
the newest results to the UI; :class:`Worker` for the window of one source (its overlay drawn here),
:class:`LanesWorker` for the grid of several (each lane's newest result; the window draws the tiles).

The UI thread never waits on capture or inference: a worker keeps only the newest results and emits a
signal; the window takes whatever is newest when it gets to it, so a slow UI skips results instead of
queueing them. Alert events, warnings, status lines and sink errors come from the runner, as the command
line gets them. A worker closes its runner only once its loop has ended (:meth:`RunWorker.close`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal

from ..overlay import draw, picture
from ..recording import CsvRecorder

if TYPE_CHECKING:
    from ..pipeline import Pipeline
    from ..runner import Runner
    from ..types import FrameResult


class RunWorker(QObject):
    """What both windows' workers share: the loop on its own thread, the runner's signals relayed as Qt
    signals (``event`` alerts, ``warning`` one-line warnings for the status bar, ``failed`` a failing sink or
    the loop stopped), and a close that never frees the runner's native objects under a running loop."""

    new_result = Signal()
    status = Signal(str)
    warning = Signal(str)
    failed = Signal(str)
    event = Signal(object)  # type: ignore[assignment]  # events.Event (QObject.event is a method)
    finished = Signal()

    def __init__(self, runner: Runner, parent: QObject | None = None, name: str = "inference") -> None:
        super().__init__(parent)
        self.runner = runner
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._closing, self._closed = threading.Event(), threading.Lock()
        # the runner's signals, relayed to the window's thread as Qt signals (lambdas: a PySide signal's
        # bound emit is a new object at each access, too short-lived for a weak reference)
        runner.event.connect(lambda e: self.event.emit(e))
        runner.warning.connect(lambda w: self.warning.emit(w))
        runner.status.connect(self._status)
        runner.sink_failed.connect(self._sink_failed)  # a listener: a failing sink is dropped, the run goes on
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop, then close the runner (its captures, detectors, sinks) once the loop has ended: here, or by
        the loop itself as it ends when it outlives ``timeout`` (never under an inference still running)."""
        self._closing.set()
        self.stop(timeout)
        if not self._thread.is_alive():
            self._close_runner()

    def _close_runner(self) -> None:
        if self._closed.acquire(blocking=False):  # once, by whichever of close() and the loop gets here first
            self.runner.close()

    def _status(self, line: str) -> None:
        if line.startswith("end of video"):
            self.status.emit(line)  # per-second status lines are the window's status bar's job

    def _sink_failed(self, sink: object, msg: str) -> None:
        self.failed.emit(msg)

    def _keep(self, result: FrameResult) -> bool:
        """Keep ``result`` as the newest (worker thread); whether the window should be told."""
        raise NotImplementedError

    def _run(self) -> None:
        try:
            for result in self.runner.results(self._stop.is_set):
                if self._keep(result):
                    self.new_result.emit()
        except Exception as exc:  # report, never crash the window
            self.failed.emit(f"processing stopped: {exc}")
        finally:
            if self._closing.is_set():
                self._close_runner()
            self.finished.emit()


class Worker(RunWorker):
    """One source: its newest result with the overlay drawn (and scaled to the view) on the worker's thread,
    and the recording the window starts and stops."""

    def __init__(self, runner: Runner, parent: QObject | None = None) -> None:
        super().__init__(runner, parent)
        self.lane = runner.lanes[0]
        self._latest: tuple[FrameResult, np.ndarray] | None = None
        self._recorder: CsvRecorder | None = None
        self.selected: int | None = None
        self.max_width = 1280  # the window sets it to its view's width

    # ---- control (UI thread) --------------------------------------------------------------------
    def start(self) -> None:
        self.lane.capture.status.connect(lambda m: self.status.emit(m))
        self.lane.capture.start()
        super().start()

    def set_paused(self, paused: bool) -> None:
        self.runner.set_paused(paused)

    @property
    def paused(self) -> bool:
        return self.runner.paused

    @property
    def fps(self) -> float:
        return float(self.lane.fps)

    @property
    def pipeline(self) -> Pipeline:
        pipeline: Pipeline = self.lane.pipeline
        return pipeline

    def start_recording(self, path: str, privacy: str, rotate: bool = False, overwrite: bool = False) -> None:
        """Record to ``path`` at the window's privacy level (the runner's settings may lag a frame); ``rotate``:
        a new file each UTC day (recording.dated), for the window's retention; ``overwrite``: replace the file
        (the save dialog asked), else append to it, saying so (``warning``) when it holds an earlier recording."""
        # raises RecordingError with a clear message
        rec = CsvRecorder(path, privacy=privacy, rotate=rotate, overwrite=overwrite and not rotate)
        if rec.appending_note:
            self.warning.emit(rec.appending_note)
        self.stop_recording()
        self._recorder = rec
        self.runner.add_sink(rec)

    def stop_recording(self) -> None:
        rec, self._recorder = self._recorder, None
        if rec is not None:
            self.runner.remove_sink(rec)

    @property
    def recording(self) -> bool:
        return self._recorder is not None

    def take_latest(self) -> tuple[FrameResult, np.ndarray] | None:
        with self._lock:
            latest, self._latest = self._latest, None
        return latest

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.lane.capture.stop(timeout)
        super().stop(timeout)
        self.stop_recording()

    @property
    def threads(self) -> list[threading.Thread]:
        return [self._thread, self.lane.capture._thread]

    # ---- loop (worker thread) -------------------------------------------------------------------
    def _sink_failed(self, sink: object, msg: str) -> None:
        if sink is self._recorder:
            self._recorder = None
        super()._sink_failed(sink, msg)

    def _keep(self, result: FrameResult) -> bool:
        blur = self.runner.settings.blur_screen  # a display the customers can see
        # drawn at the view's width (scaled here, not on the UI thread): labels as crisp as the screen
        overlay = draw(picture(result, blur), result, self.selected, mood_line=False, width=self.max_width)
        with self._lock:
            self._latest = (result, np.ascontiguousarray(overlay[:, :, ::-1]))  # BGR -> RGB
        return True


class LanesWorker(RunWorker):
    """Several sources: each lane's newest result. The window draws the overlays of those it shows, at the
    tile's size (drawing every result of four lanes at full size held the loop to 6.5 frames a second a
    lane, against 15 without the window)."""

    def __init__(self, runner: Runner, parent: QObject | None = None) -> None:
        super().__init__(runner, parent, name="lanes")
        self._latest: dict[str, FrameResult] = {}

    def take_latest(self) -> dict[str, FrameResult]:
        with self._lock:
            latest, self._latest = self._latest, {}
        return latest

    def _keep(self, result: FrameResult) -> bool:
        with self._lock:
            first = not self._latest
            self._latest[result.frame.source] = result
        return first  # one signal until the window takes what is waiting
