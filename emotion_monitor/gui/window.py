"""The desktop window: a thin view over the core pipeline (it owns no logic of its own).

Live video with boxes and labels, the selected face's seven probabilities, the group mood as a
gauge and a timeline with the alert threshold, the alert banner and an event list; source, pause,
recording and settings controls. Settings persist with QSettings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from .. import settings as settings_model
from ..app import DEMO_CLIP, open_capture, open_runner
from ..commands import warn
from ..errors import MonitorError
from ..events import follow
from ..overlay import save_snapshot
from ..types import CaptureOptions
from .alert_panel import AlertPanel
from .controls import Controls, ZoneDraft
from .ending import Ending
from .face_panel import FacePanel
from .mood_panel import MoodPanel
from .people_panel import PeoplePanel, area
from .widgets import SettingsDialog, VideoView
from .worker import Worker

if TYPE_CHECKING:
    from ..capture import Capture
    from ..classifier import EmotionModel
    from ..events import Event, Sink
    from ..types import FrameResult


class MainWindow(QMainWindow):
    def __init__(self, store: QSettings | None = None, classifier: EmotionModel | None = None, beep: bool = False,
                 settings: settings_model.Settings | None = None, fleet_sinks: Sequence[Sink] = ()) -> None:
        super().__init__()
        self.setWindowTitle("Emotion Monitor")
        self.store = store or QSettings("EmotionMonitor", "emotion-monitor")
        # saved preferences, unless the command line gave settings for this run
        self.settings = settings or settings_model.load(self.store)
        self.fleet_sinks = list(fleet_sinks)  # metrics endpoint, alert webhook: kept across sources
        self.classifier = classifier  # tests inject a stub; None = the shipped model
        self.worker: Worker | None = None
        self.source: str | None = None
        self.closing_line = ""  # what the last source did, counted (Lane.end_line): printed when the window closes
        self.selected: int | None = None
        self.last_result: FrameResult | None = None
        self.record_started: float | None = None
        self._draft = ZoneDraft()  # the queue zone being drawn (Queue zone button)
        self.beep = beep
        self._build()
        self._timer = QTimer(self, interval=500, timeout=self._tick)  # type: ignore[call-arg]
        self._timer.start()

    # ---- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        central = QWidget()
        root = QHBoxLayout(central)
        # the people panel takes what the video leaves; a click is in the frame's pixels
        self.view = VideoView(lambda x, y: self.select_at(*self._frame_xy(x, y)), fit_height=True)
        left = QVBoxLayout()
        left.addWidget(self.view, 1)
        self.people = PeoplePanel()  # each person in view; a click selects them
        self.people.itemClicked.connect(lambda item: self._select_id(item.data(Qt.UserRole)))
        left.addWidget(self.people)
        root.addLayout(left, 3)
        side = QVBoxLayout()
        root.addLayout(side, 2)

        self.alerts = AlertPanel(lambda: self.sound.isChecked())
        self.banner, self.events = self.alerts.banner, self.alerts.events
        side.addWidget(self.banner)

        self.face, self.mood = FacePanel(), MoodPanel(self.settings.threshold)
        self.face_label, self.bars = self.face.label, self.face.bars
        self.gauge, self.timeline, self.threshold_line = self.mood.gauge, self.mood.timeline, self.mood.threshold_line
        for widget in (self.face, self.mood, QLabel("Alerts"), self.events):
            side.addWidget(widget)

        c = self.controls = Controls(self.beep)
        self.camera_index, self.pause_button, self.record_button, self.record_time = (
            c.camera_index, c.pause_button, c.record_button, c.record_time)
        self.settings_button, self.sound, self.zone_button = c.settings_button, c.sound, c.zone_button
        c.camera_button.clicked.connect(lambda: self.open_camera(self.camera_index.index()))
        c.file_button.clicked.connect(self.choose_file)
        c.demo_button.clicked.connect(lambda: self.open_video(str(DEMO_CLIP), loop=True))
        self.pause_button.toggled.connect(self.set_paused)
        self.record_button.toggled.connect(self._record_toggled)
        self.zone_button.toggled.connect(self._zone_toggled)
        self.settings_button.clicked.connect(self.edit_settings)
        c.test_button.clicked.connect(self.test_alert)
        side.addWidget(c)
        side.addStretch(1)
        self.setCentralWidget(central)
        self.status_label = QLabel("")
        self.statusBar().addPermanentWidget(self.status_label)
        self.ending = Ending(self, lambda: self._replay())  # a video's end: "ended", Replay, Open another

        shortcuts: list[tuple[Any, Callable[[], object]]] = [
            (Qt.Key_Space, lambda: self.pause_button.toggle()), (Qt.Key_R, lambda: self.record_button.toggle()),
            (QKeySequence.Open, self.choose_file), (Qt.Key_Escape, self.showNormal), (QKeySequence.Save, self.snapshot),
            (Qt.Key_F, lambda: self.showNormal() if self.isFullScreen() else self.showFullScreen()),
            (Qt.Key_B, lambda: self.apply_settings({"blur_screen": not self.settings.blur_screen})),
            (Qt.Key_Z, lambda: self.zone_button.toggle())]
        for key, fn in shortcuts:
            action = QAction(self)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(fn)
            self.addAction(action)
        self.resize(1280, 720)

    # ---- sources --------------------------------------------------------------------------------
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open video", "", "Videos (*.mp4 *.avi *.mov *.mkv);;All files (*)")
        if path:
            self.open_video(path)

    def open_camera(self, index: int) -> bool:
        return self._open(lambda: open_capture(camera=index), f"camera {index}")

    def open_video(self, path: str, realtime: bool = True, loop: bool = False, sample_fps: float | None = None) -> bool:
        return self._open(lambda: open_capture(video=path, options=CaptureOptions(realtime, loop=loop, sample_fps=sample_fps)),
                          Path(path).name)

    def _open(self, make_capture: Callable[[], Capture], name: str) -> bool:
        self.stop()
        try:
            capture = make_capture()
            runner = open_runner(self.settings, capture, classifier=self.classifier)
        except MonitorError as exc:
            self.statusBar().showMessage(str(exc), 10_000)
            warn(str(exc))  # for a terminal too, as the dialog says
            QMessageBox.warning(self, "Emotion Monitor", f"{exc}\n\nOpen a video file or the demo clip instead.")
            return False
        self.source = name
        self._replay: Callable[[], bool] = lambda: self._open(make_capture, name)
        self.ending.started()
        for sink in self.fleet_sinks:
            runner.add_sink(sink, owned=False)
        self.worker = Worker(runner)
        self.worker.new_result.connect(self._show_latest)
        self.worker.event.connect(self._show_event)
        self.worker.status.connect(lambda m: self.statusBar().showMessage(m, 5000))
        self.worker.warning.connect(lambda m: self.statusBar().showMessage(m, 10_000))  # the runner's warnings
        self.worker.failed.connect(self._failed)
        self.worker.finished.connect(lambda w=self.worker: self.ending.worker_finished(w))
        self.worker.start()
        self.pause_button.setChecked(False)
        if self.record_button.isChecked():
            self._record_toggled(True)
        return True

    def stop(self) -> None:
        if self.worker is not None:
            w, self.worker = self.worker, None
            w.close()
            why = "end of video" if self.ending.ended else "window closed"  # main prints the last one
            self.closing_line = f"{self.source}: {w.lane.end_line(why)}"

    # ---- results --------------------------------------------------------------------------------
    def _show_latest(self) -> None:
        if self.worker is None:
            return
        latest = self.worker.take_latest()
        if latest is None:
            return  # an older signal: its result was already shown
        result, rgb = latest
        self.last_result = result
        self.view.show_rgb(rgb)
        tracks = {t.track_id: t for t in result.tracks}
        if self.selected not in tracks and tracks:
            self.selected = max(tracks.values(), key=lambda t: (t.quality == "ok", area(t))).track_id  # read, then largest
        self.worker.selected = self.selected
        self.worker.max_width = max(320, self.view.width())
        self.face.show_track(tracks.get(self.selected) if self.selected is not None else None)
        thumbs = self.settings.privacy != "aggregate" and not self.settings.blur_screen  # none for customers' eyes
        self.people.show_result(result, thumbnails=thumbs)  # the same result as the video: they read alike
        self.mood.show_result(result, self.worker.lane.capture.dropped)  # ticks where the status bar's count grew
        self.alerts.show_state(result.mood, self.source)

    def snapshot(self) -> None:
        """Save the current frame to a PNG the user picks as the privacy level allows, every face blurred
        unless the settings say otherwise (overlay.save_snapshot): a snapshot leaves the screen, and the people
        in it did not ask to be kept."""
        result = self.last_result
        path = QFileDialog.getSaveFileName(self, "Save snapshot", "snapshot.png", "PNG (*.png)")[0] if result else ""
        if path and result is not None:
            self._retain(path)
            self.statusBar().showMessage(save_snapshot(path, result, self.selected, self.settings), 5000)

    def _show_event(self, event: Event) -> None:
        self.alerts.show_event(event, self.source)

    def test_alert(self) -> None:
        """A TEST alert through the real path (rehearsal.py; no source needed); it clears by itself."""
        self.alerts.test(self.fleet_sinks, self.settings, self.source, lambda: self.last_result,
                         lambda _sink, msg: self.statusBar().showMessage(f"test alert: {msg}", 10_000))

    def select_at(self, x: float, y: float) -> None:
        if self.last_result is None:
            return
        if self.zone_button.isChecked():  # drawing the queue zone: a click is a corner
            h, w = self.last_result.frame.image.shape[:2]
            return self.statusBar().showMessage(self._draft.add(x, y, w, h), 60_000)
        for t in self.last_result.tracks:
            x0, y0, x1, y1 = t.xyxy
            if x0 <= x <= x1 and y0 <= y <= y1:
                self.selected = t.track_id
                self.face.show_track(t)
                return

    def _frame_xy(self, x: float, y: float) -> tuple[float, float]:  # the picture is drawn at the view's width
        shown, r = self.view._frame_size, self.last_result
        k = r.frame.image.shape[1] / shown[0] if shown and r is not None else 1.0
        return x * k, y * k

    def _select_id(self, track_id: int) -> None:
        self.selected = track_id
        self.face.show_track({t.track_id: t for t in (self.last_result.tracks if self.last_result else ())}.get(track_id))

    def _tick(self) -> None:
        if self.worker is not None:
            faces = len(self.last_result.tracks) if self.last_result else 0
            name, dropped = getattr(self.worker.pipeline.classifier, "name", "?"), self.worker.lane.capture.dropped
            rate = "ended" if self.ending.ended else f"{self.worker.fps:.1f} fps" + (f", {dropped} dropped to keep up"
                                                                                     if dropped else "")
            view = f"{faces} face{'' if faces == 1 else 's'} " + ("in its last frame" if self.ending.ended else "in view")
            self.status_label.setText(f"{self.source}  |  {rate}  |  {view}  |  model {name}")
        if self.record_started is not None:
            s = int(time.monotonic() - self.record_started)
            self.record_time.setText(f"{s // 60:02d}:{s % 60:02d}")

    def _failed(self, msg: str) -> None:  # a sink failed: the video, the mood and the alerts go on
        stopped = self.record_button.isChecked() and (self.worker is None or not self.worker.recording)
        self.statusBar().showMessage(f"recording stopped: {msg}" if stopped else msg, 30_000)
        if stopped:
            self.record_button.setChecked(False)

    # ---- controls -------------------------------------------------------------------------------
    def set_paused(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if self.worker:
            self.worker.set_paused(paused)

    def start_recording(self, path: str, overwrite: bool = False) -> bool:
        if self.worker is None:
            return False
        try:
            self.worker.start_recording(path, self.settings.privacy, rotate=self.settings.keep_days > 0, overwrite=overwrite)
            self._retain(path)
        except MonitorError as exc:
            QMessageBox.warning(self, "Emotion Monitor", str(exc))
            return False
        self.record_path = path
        self.record_started = time.monotonic()
        return True

    def _retain(self, path: str) -> None:  # the retention sink (gui/main.py) checks the folder now and at each start
        for sink in (s for s in self.fleet_sinks if hasattr(s, "watch")):
            sink.watch(path)
            self.store.setValue("retention_folders", [str(folder) for folder in sink.folders])

    def _record_toggled(self, on: bool) -> None:
        if on:
            path = getattr(self, "pending_record_path", None)
            chosen = path is None  # in the save dialog, which asks before it replaces a file: replaced, not appended to
            if chosen:
                path, _ = QFileDialog.getSaveFileName(self, "Record to CSV", "session.csv", "CSV (*.csv)")
            if not path or not self.start_recording(path, overwrite=chosen):
                self.record_button.blockSignals(True)
                self.record_button.setChecked(False)
                self.record_button.blockSignals(False)
            else:
                self.record_button.setText("Stop recording")
        else:
            if self.worker:
                self.worker.stop_recording()
            self.record_started = None
            self.record_time.setText("")
            self.record_button.setText("Record")

    def _zone_toggled(self, on: bool) -> None:
        """On: clicks on the video are the queue zone's corners. Off: keep it (saved with the settings; fewer
        than 3 corners: no zone, the whole frame counts)."""
        if on:
            self._draft = ZoneDraft()
            return self.statusBar().showMessage(ZoneDraft.HINT, 60_000)
        zone = self._draft.text()
        self.apply_settings({"zone": zone})
        self.statusBar().showMessage(f"queue zone: {zone or 'none, every face counts'}", 10_000)

    def edit_settings(self) -> None:
        dlg = SettingsDialog(self.settings, self)
        if dlg.exec():
            self.apply_settings(dlg.values())

    def apply_settings(self, values: dict[str, Any]) -> None:
        """Apply live (the runner swaps the detector between frames when detection changed) and keep.
        A new privacy level reaches the webhook at once; a recording in the old level's layout stops."""
        old, self.settings = self.settings, self.settings.changed(**values)
        settings_model.save(self.settings, self.store)
        follow(self.fleet_sinks, self.settings)  # the webhook's and metrics' level and minimum group, retention's days
        if old.privacy != self.settings.privacy and self.record_button.isChecked():
            self.record_button.setChecked(False)
            self.statusBar().showMessage(f"recording stopped: privacy is now {self.settings.privacy}; "
                                         "record again to a new file", 10_000)
        self.threshold_line.setValue(self.settings.threshold)
        if self.worker is not None:
            self.worker.runner.update_settings(self.settings)

    def closeEvent(self, ev: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.stop()
        for sink in self.fleet_sinks:
            sink.close()
        self.fleet_sinks = []
        self.store.sync()
        super().closeEvent(ev)

