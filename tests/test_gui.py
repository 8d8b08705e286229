"""The real window (offscreen Qt) driven on a video file, with a stub classifier for the alert."""

import csv
import re
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402

from emotion_monitor.gui.main import MainWindow  # noqa: E402
from emotion_monitor.recording import HEADER  # noqa: E402
from emotion_monitor.types import LABELS, CaptureOptions  # noqa: E402

from .conftest import scene  # noqa: E402


class StubClassifier:
    size = 48
    name = "stub"

    def __init__(self, calm: int = 0):
        self.label = "sad"
        self.calm = calm  # neutral for the first calls: a face that turns sad (a level never alerts)
        self.cycle = False  # sad and happy in turn, three calls each: the smoothed label keeps changing
        self.calls = 0

    def __call__(self, crops):
        self.calls += 1
        label = ("sad", "happy")[self.calls // 3 % 2] if self.cycle else (
            "neutral" if self.calls <= self.calm else self.label)
        p = np.full((len(crops), 7), 0.02, np.float32)
        p[:, LABELS.index(label)] = 0.88
        return p


@pytest.fixture(scope="module")
def long_video(tmp_path_factory, astronaut_bgr):
    path = tmp_path_factory.mktemp("gui") / "long.avi"
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (960, 540))
    for i in range(400):
        wr.write(scene(astronaut_bgr, i % 80, step=0))
    wr.release()
    return path


@pytest.fixture
def window(qtbot, tmp_path):
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    stub = StubClassifier()
    win = MainWindow(store=store, classifier=stub)
    qtbot.addWidget(win)
    win.show()
    win.stub = stub
    yield win
    win.close()


def test_window_plays_a_video_records_alerts_and_closes(window, qtbot, long_video, tmp_path):
    win = window
    win.apply_settings({"threshold": -0.3, "window": 0.4, "duration": 0.4, "detector": "mediapipe", "min_face": 0,
                        "settle": 0.5, "person_duration": 0.4})
    win.stub.label = "neutral"  # calm first, so that the face can turn (a level never alerts)
    assert win.open_video(str(long_video), realtime=True)
    worker = win.worker
    # frames reach the view, with a box and a label for the face
    qtbot.waitUntil(lambda: win.last_result is not None and len(win.last_result.tracks) == 1, timeout=15000)
    assert win.view.pixmap() is not None and not win.view.pixmap().isNull()
    qtbot.waitUntil(lambda: any(p.state == "at rest" for p in win.last_result.mood.people), timeout=15000)
    win.stub.label = "sad"  # the face turns
    qtbot.waitUntil(lambda: win.last_result.tracks and win.last_result.tracks[0].emotion == "sad", timeout=15000)
    # the box and its label are drawn in the emotion's colour (sad: BGR 200,110,30) on the shown image
    img = win.view.pixmap().toImage().convertToFormat(QImage.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    rgb = arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3).astype(int)
    sad_rgb = np.array([30, 110, 200])
    assert (np.abs(rgb - sad_rgb).sum(axis=2) < 60).sum() > 200
    track = win.last_result.tracks[0]
    assert win.face_label.text().startswith(f"#{track.track_id}: sad")
    # selecting the face (a click inside its box) shows its probabilities as bars
    x0, y0, x1, y1 = track.xyxy
    win.selected = None
    win.select_at((x0 + x1) / 2, (y0 + y1) / 2)
    assert win.selected == track.track_id
    assert np.allclose(win.bars.opts["height"], track.probs)
    # the people panel: each person in view with a thumbnail, id, emotion and time in view; a click selects
    ids = [win.people.item(i).data(Qt.UserRole) for i in range(win.people.count())]
    assert ids and set(ids) == {t.track_id for t in win.last_result.tracks}
    assert win.people.item(0).text().startswith(f"#{ids[0]} ") and not win.people.item(0).icon().isNull()
    win.selected = None
    win._select_id(ids[0])
    assert win.selected == ids[0]
    # the gauge reads the mood as the timeline and the command line do: sad faces, below zero
    assert re.match(r"mood -\d\.\d\d", win.gauge.format()) and win.gauge.value() < 0
    # recording writes the CLI's columns
    out = tmp_path / "gui.csv"
    win.pending_record_path = str(out)
    win.record_button.setChecked(True)
    qtbot.waitUntil(lambda: out.exists() and out.stat().st_size > 500, timeout=10000)
    # sad faces raise the alert banner...
    qtbot.waitUntil(lambda: win.banner.isVisible(), timeout=15000)
    assert win.events.count() >= 1 and "ALERT" in win.events.item(0).text()
    # the banner says why and when, in the alert line's UTC clock
    alert_line = win.events.item(0).text()
    hms = re.search(r"T(\d\d:\d\d:\d\d)", alert_line).group(1)
    # the banner names the rule and the people behind it
    assert re.fullmatch(rf".+: ALERT since {hms} UTC: #\d+ turned: reads unhappy \d+% \(\d+% at rest\); "
                        r"mood [+-]\d\.\d\d at the start, [+-]\d\.\d\d now", win.banner.text())
    # the mood as a large number and a gauge, vermillion below the threshold (red is the alert's alone); the
    # alert's span shaded on the timeline
    from emotion_monitor.gui.mood_panel import COLOURS

    assert re.fullmatch(r"-\d\.\d\d", win.mood.number.text()) and COLOURS[-2] in win.gauge.styleSheet()
    assert len(win.mood.spans) == 1 and win.events.wordWrap()
    # ...and happy ones clear it (after the hysteresis time)
    win.stub.label = "happy"
    qtbot.waitUntil(lambda: not win.banner.isVisible(), timeout=15000)
    start, end = win.mood.spans[0][0].getRegion()  # the span closed where the alert cleared
    assert win.mood.t[0] < start < end <= win.mood.t[-1] and len(win.mood.spans) == 1
    # the same words and clock as the command line's CLEAR line: the frame's UTC time, its number
    assert re.fullmatch(r"CLEAR \d{4}-\d\d-\d\dT[\d:.]+Z frame \d+: #\d+ back near resting faces or gone; "
                        r"mood [+-]\d\.\d\d \(mean of [\d.]+ s\)", win.events.item(0).text())
    # the people panel shows the same result as the video and the selected face: the three read alike
    def alike():
        shown = win.last_result
        items = {win.people.item(i).data(Qt.UserRole): win.people.item(i).text() for i in range(win.people.count())}
        t = next((t for t in shown.tracks if t.track_id == win.selected), None)
        return t is not None and items.get(t.track_id, "").startswith(f"#{t.track_id} {t.emotion}") and \
            win.face_label.text() == f"#{t.track_id}: {t.emotion} {t.confidence:.0%}"

    win.stub.cycle = True
    labels = set()
    for _ in range(25):  # a second of results, the label changing: after each, the three agree
        assert alike()
        labels.add(win.face_label.text().split()[1])
        qtbot.wait(40)
    win.stub.cycle = False
    assert labels == {"sad", "happy"}
    win.record_button.setChecked(False)
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == HEADER and len(rows) > 5 and all(len(r) == len(HEADER) for r in rows)
    # closing the window joins every thread
    threads = worker.threads
    win.close()
    assert not any(t.is_alive() for t in threads)


def test_a_queue_zone_drawn_by_clicking_counts_only_the_faces_in_it_and_survives_a_restart(qtbot, tmp_path,
                                                                                            long_video):
    store = QSettings(str(tmp_path / "z.ini"), QSettings.IniFormat)
    win = MainWindow(store=store, classifier=StubClassifier())
    qtbot.addWidget(win)
    win.show()
    assert win.open_video(str(long_video), realtime=True)
    qtbot.waitUntil(lambda: win.last_result is not None and len(win.last_result.tracks) == 1, timeout=15000)
    win.zone_button.toggle()  # then three clicks: a corner each (frame pixels), in the top-left corner
    for x, y in ((0, 0), (48, 0), (0, 27)):
        win.select_at(x, y)
    assert "3 corner" in win.statusBar().currentMessage()
    win.zone_button.toggle()
    assert win.settings.zone == "0.000,0.000 0.050,0.000 0.000,0.050"
    qtbot.waitUntil(lambda: bool(win.last_result.zones and win.last_result.tracks), timeout=10000)
    face = win.last_result.tracks[0]  # the face moves in the middle of the frame: outside, not counted
    assert face.quality == "outside" and face.zone == "" and win.last_result.mood.faces == 0
    win.close()
    again = MainWindow(store=QSettings(str(tmp_path / "z.ini"), QSettings.IniFormat), classifier=StubClassifier())
    qtbot.addWidget(again)
    assert again.settings.zone == "0.000,0.000 0.050,0.000 0.000,0.050"  # kept with the settings
    again.zone_button.toggle()
    again.zone_button.toggle()  # no corner clicked: the zone is cleared, every face counts again
    assert again.settings.zone == ""
    again.close()


def test_settings_persist_between_runs(qtbot, tmp_path):
    store = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    win = MainWindow(store=store, classifier=StubClassifier())
    qtbot.addWidget(win)
    win.apply_settings({"threshold": -0.5, "window": 20.0, "duration": 7.0, "detector": "haar", "min_face": 30})
    assert store.value("threshold") is not None  # kept in the store the settings model writes
    win.close()
    again = MainWindow(store=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat), classifier=StubClassifier())
    qtbot.addWidget(again)
    assert again.settings.threshold == -0.5 and again.settings.detector == "haar"
    assert again.settings.min_face == 30 and again.threshold_line.value() == -0.5
    again.close()


@pytest.mark.parametrize("found", [[], [0], [2, 4]])
def test_the_camera_list_names_the_cameras_found_or_says_none_was(qtbot, monkeypatch, found):
    """A helper read "camera 0 (none found)" as a camera; with none, the list says so, and Start tries 0."""
    from emotion_monitor import capture
    from emotion_monitor.gui.widgets import CameraPicker

    monkeypatch.setattr(capture, "list_cameras", lambda *a, **k: list(found))
    picker = CameraPicker()
    qtbot.addWidget(picker)
    items = [picker.itemText(i) for i in range(picker.count())]
    assert items == ([f"camera {i}" for i in found] or ["no camera found: type an index"])
    assert picker.index() == (found[0] if found else 0)
    picker.setEditText("7")
    assert picker.index() == 7


def test_missing_video_shows_a_message_not_a_traceback(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[2]))
    win = MainWindow(store=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat), classifier=StubClassifier())
    qtbot.addWidget(win)
    assert not win.open_video(str(tmp_path / "nope.mp4"))
    assert shown and "video not found" in shown[0]
    win.close()


def test_the_window_honours_the_command_lines_source_record_and_settings(qtbot, tmp_path, monkeypatch, scene_video,
                                                                        capsys):
    from PySide6.QtWidgets import QApplication

    from emotion_monitor.cli import build_parser, sources_of
    from emotion_monitor.gui import main as gui_main

    offered, seen = [], {}
    monkeypatch.setattr(gui_main, "offer_a_source", offered.append)  # the no-source dialog must not come up
    monkeypatch.setattr(gui_main, "QSettings", lambda *a: QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))

    class Spy(gui_main.MainWindow):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            seen["win"] = self

    monkeypatch.setattr(gui_main, "MainWindow", Spy)
    out = tmp_path / "gui.csv"
    args = build_parser().parse_args(["--gui", "--video", str(scene_video), "--record", str(out),
                                      "--threshold", "-0.4", "--detect-every", "1"])
    # the window's event loop until 10 rows are recorded (4 s fixed gave 8 on a loaded machine); not app.exec()
    # and quit(): after an exec() returns, Qt delivers no more timer or queued events in this process, which
    # later tests of windows need
    recorded = lambda: out.exists() and len(out.read_text().splitlines()) > 10  # noqa: E731
    monkeypatch.setattr(QApplication, "exec", lambda *a: (qtbot.waitUntil(recorded, timeout=60_000),
                                                          seen["win"].close(), 0)[2])
    gui_main.run(args, sources_of(args))
    win = seen["win"]
    # closed, the window prints a closing line as the command line does (#52 item 8)
    assert re.search(rf"^{scene_video.name}: window closed: \d+ frames analysed of \d+ read",
                     capsys.readouterr().out, re.M)
    try:
        assert offered == []
        assert win.settings.threshold == -0.4 and win.settings.detect_every == 1
        assert win.threshold_line.value() == -0.4
        assert out.exists() and len(out.read_text().splitlines()) > 10  # recording started with the source
    finally:
        win.close()


def test_every_file_of_the_window_stays_under_300_lines():
    from pathlib import Path

    for path in (Path(__file__).resolve().parent.parent / "emotion_monitor" / "gui").glob("*.py"):
        n = sum(1 for line in path.read_text().splitlines() if line.strip())
        assert n < 300, f"{path.name}: {n} non-blank lines"


def test_a_dark_system_gets_a_dark_window(qtbot):
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from emotion_monitor.gui import theme

    app = QApplication.instance()
    saved = app.palette(), app.style().name()
    try:
        assert theme.apply(app, "dark") == "dark"
        assert app.palette().color(QPalette.Window).lightness() < 60 and theme.plot_colours()[0] != "w"
        app.setPalette(saved[0])
        assert theme.apply(app, "light") == "light" and theme.plot_colours()[0] == "w"
        assert theme.system_scheme() in ("dark", "light")
    finally:
        app.setPalette(saved[0])
        app.setStyle(saved[1])


def test_the_lanes_window_shows_each_lane_its_alert_and_the_store_mood(qtbot, long_video, tmp_path):
    """Four lanes through one Runner (stub classifier: lane 'sad' cameras read sad), in the grid;
    a click enlarges a lane and a second click brings the grid back."""
    import shutil

    from emotion_monitor.gui.lanes import LanesWindow
    from emotion_monitor.runner import MULTI_DEFAULTS, Runner
    from emotion_monitor.settings import Settings
    from emotion_monitor.sources import SourceSpec

    videos = []
    for i in range(4):
        videos.append(tmp_path / f"lane{i}.avi")
        shutil.copy(long_video, videos[-1])
    specs = [SourceSpec(f"Lane {i + 1}", video=str(v)) for i, v in enumerate(videos)]
    settings = Settings(**{**MULTI_DEFAULTS.__dict__, "window": 0.4, "duration": 0.4, "threshold": -0.3})
    settings = settings.changed(settle=0.5, person_duration=0.4)
    # neutral for the first 200 readings (about 2 s a lane), then sad: every lane's face turns
    multi = Runner(settings, specs, classifier=StubClassifier(calm=200),
                   capture_options=CaptureOptions(realtime=True, loop=True))
    win = LanesWindow(multi)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    win.start()
    try:
        try:
            qtbot.waitUntil(lambda: all(t.alert for t in win.tiles.values()), timeout=20_000)
        except Exception:
            raise AssertionError(f"not every lane in alert: {multi.status_line()}") from None
        assert win.store.text().startswith("Store mood") and "-0." in win.store.text()  # every face sad
        assert "in alert: Lane 1, Lane 2, Lane 3, Lane 4" in win.store_note.text()
        qtbot.waitUntil(lambda: win.events.count() >= 4, timeout=5_000)
        lanes_alerted = {re.search(r"ALERT \[(Lane \d)\] .* for \d+ s", win.events.item(i).text()).group(1)
                         for i in range(win.events.count())}
        assert lanes_alerted == {"Lane 1", "Lane 2", "Lane 3", "Lane 4"}
        assert all(t.view.pixmap() is not None and not t.view.pixmap().isNull() for t in win.tiles.values())
        qtbot.mouseClick(win.tiles["Lane 3"].view, Qt.LeftButton)
        assert win.enlarged is win.tiles["Lane 3"]
        assert [t.isVisible() for t in win.tiles.values()] == [False, False, True, False]
        qtbot.keyClick(win, Qt.Key_Escape)
        assert win.enlarged is None and all(t.isVisible() for t in win.tiles.values())
    finally:
        win.close()
    assert all(lane.capture._thread.is_alive() is False for lane in multi.lanes)


def test_an_alert_one_person_raised_is_shaded_apart_on_the_timeline_with_their_id(qtbot):
    import pyqtgraph as pg

    from emotion_monitor.gui.mood_panel import MoodPanel
    from emotion_monitor.types import Detections, Frame, FrameResult, MoodState

    panel = MoodPanel(-0.3)
    qtbot.addWidget(panel)

    def show(t, mood):
        panel.show_result(FrameResult(Frame(np.zeros((8, 8, 3), np.uint8), int(t * 10), 0.0, t), Detections(), (), mood))

    for i in range(30):  # a person turned at 1 s while the group's line stays near 0; then a group alert
        t = i / 10
        show(t, MoodState(-0.05, 0.0, 3, 1.0 <= t < 2.0, reason="turned" if 1.0 <= t < 2.0 else None, who=(3,)))
    show(3.0, MoodState(-0.5, 0.0, 3, True, reason="group"))
    (person, label), (group, none) = panel.spans
    assert person.brush.color().getRgb()[:3] == (230, 140, 20) and group.brush.color().getRgb()[:3] == (198, 40, 40)
    assert isinstance(label, pg.TextItem) and label.toPlainText() == "#3 turned" and none is None


def test_a_snapshot_blurs_every_face_so_the_apps_own_detector_finds_none(qtbot, tmp_path, monkeypatch, astronaut_bgr):
    import cv2

    from emotion_monitor.app import build_detector
    from emotion_monitor.gui import window as window_module
    from emotion_monitor.gui.window import MainWindow
    from emotion_monitor.settings import Settings
    from emotion_monitor.types import Frame, FrameResult, MoodState, Track

    detector = build_detector(Settings(detect_every=1))
    found = detector(astronaut_bgr)
    assert len(found) == 1  # the astronaut's face, before
    track = Track(1, found.xyxy[0], np.eye(7, dtype=np.float32)[3], np.eye(7, dtype=np.float32)[3])
    win = MainWindow(settings=Settings())
    qtbot.addWidget(win)
    win.last_result = FrameResult(Frame(astronaut_bgr, 0, 0.0), found, (track,), MoodState(0.5, 0.0, 1, False))
    out = tmp_path / "snap.png"
    monkeypatch.setattr(window_module.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PNG (*.png)"))
    win.snapshot()
    saved = cv2.imread(str(out))
    assert saved is not None and saved.shape == astronaut_bgr.shape
    assert len(detector(saved)) == 0  # blurred past what the detector can find
    assert np.abs(saved[400:500, 20:120].astype(int) - astronaut_bgr[400:500, 20:120]).mean() < 1  # the scene stays


def shown_rgb(win) -> np.ndarray:
    img = win.view.pixmap().toImage().convertToFormat(QImage.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    return arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def test_faces_blurred_on_screen_hide_the_thumbnails_and_aggregate_keeps_none(window, qtbot, scene_video, tmp_path,
                                                                              monkeypatch):
    from emotion_monitor.app import build_detector
    from emotion_monitor.gui import window as window_module
    from emotion_monitor.settings import Settings

    detector = build_detector(Settings(detect_every=1))
    win = window
    assert win.open_video(str(scene_video), realtime=True, loop=True)
    qtbot.waitUntil(lambda: win.last_result is not None and len(win.last_result.tracks) == 1, timeout=15000)
    assert len(detector(np.ascontiguousarray(shown_rgb(win)[:, :, ::-1]))) == 1  # the face, as the camera sees it
    thumb = win.people.item(0).icon().pixmap(64, 64).toImage()
    assert len({thumb.pixel(x, y) for x in range(0, 64, 8) for y in range(0, 64, 8)}) > 3  # a face's thumbnail
    qtbot.keyClick(win, Qt.Key_B)  # blur faces on screen, for a display the customers can see
    assert win.settings.blur_screen and win.store.value("blur_screen") in (True, "true")
    shown = win.last_result

    def blurred_frame_shown():
        return win.last_result is not shown and len(detector(np.ascontiguousarray(shown_rgb(win)[:, :, ::-1]))) == 0

    qtbot.waitUntil(blurred_frame_shown, timeout=10000)
    blank = win.people.item(0).icon().pixmap(64, 64).toImage()
    assert len({blank.pixel(x, y) for x in range(0, 64, 8) for y in range(0, 64, 8)}) == 1  # no face thumbnail
    # at privacy "aggregate" a recording keeps no id, and a new level stops a recording of the old layout
    qtbot.keyClick(win, Qt.Key_B)
    out = tmp_path / "people.csv"
    win.pending_record_path = str(out)
    win.record_button.setChecked(True)
    qtbot.waitUntil(lambda: out.exists() and out.stat().st_size > 300, timeout=10000)
    win.apply_settings({"privacy": "aggregate"})
    assert not win.record_button.isChecked() and "privacy is now aggregate" in win.statusBar().currentMessage()
    shown = win.last_result
    qtbot.waitUntil(lambda: win.last_result is not shown, timeout=5000)
    blank = win.people.item(0).icon().pixmap(64, 64).toImage()
    assert len({blank.pixel(x, y) for x in range(0, 64, 8) for y in range(0, 64, 8)}) == 1
    out2 = tmp_path / "aggregate.csv"
    win.pending_record_path = str(out2)
    win.record_button.setChecked(True)
    qtbot.waitUntil(lambda: out2.exists() and out2.stat().st_size > 80, timeout=10000)
    win.record_button.setChecked(False)
    from emotion_monitor.recording import AGGREGATE_HEADER

    with open(out2, newline="") as fh:
        assert next(csv.reader(fh)) == AGGREGATE_HEADER
    # a snapshot keeps the faces when the user turns the blur off, except at privacy aggregate (no face image)
    snap = tmp_path / "snap.png"
    monkeypatch.setattr(window_module.QFileDialog, "getSaveFileName", lambda *a, **k: (str(snap), "PNG (*.png)"))
    win.apply_settings({"blur_snapshots": False})
    win.snapshot()
    assert len(detector(cv2.imread(str(snap)))) == 0 and "faces blurred" in win.statusBar().currentMessage()
    win.apply_settings({"privacy": "full"})
    win.snapshot()
    assert len(detector(cv2.imread(str(snap)))) == 1


class _OneResult:
    """A worker that hands the window one result, as the real one does after each frame."""

    def __init__(self, result, rgb):
        self.latest, self.selected, self.max_width = (result, rgb), None, 0
        self.lane = SimpleNamespace(capture=SimpleNamespace(dropped=0))  # the source's count of frames dropped

    def take_latest(self):
        latest, self.latest = self.latest, None
        return latest


def test_a_face_left_out_reads_alike_in_every_panel_and_a_read_face_is_selected_first(qtbot):
    """The selected-face panel said '#22: neutral 85%' while the people panel said '#22 (turned)' and the
    video drew it grey without a label; and the largest face was selected even when it was not read."""
    from emotion_monitor.settings import Settings
    from emotion_monitor.types import Detections, Frame, FrameResult, MoodState, Track

    p = np.eye(7, dtype=np.float32)[LABELS.index("neutral")]
    turned = Track(22, np.array([10, 10, 200, 200], np.float32), p, p, quality="looking away")
    read = Track(5, np.array([300, 50, 360, 110], np.float32), p, p)
    image = np.zeros((540, 960, 3), np.uint8)
    result = FrameResult(Frame(image, 0, 0.0), Detections(), (turned, read), MoodState(0.0, 0.0, 1, False))
    win = MainWindow(settings=Settings())
    qtbot.addWidget(win)
    win.worker = _OneResult(result, image[:, :, ::-1].copy())
    win._show_latest()
    assert win.selected == 5 and win.face_label.text() == "#5: neutral 100%"  # the read face, though smaller
    win.worker.latest = (result, image)
    win.selected = 22  # a click on the turned face
    win._show_latest()
    items = {win.people.item(i).data(Qt.UserRole): win.people.item(i).text() for i in range(win.people.count())}
    assert items[22] == "#22\n(looking away)" and win.face_label.text() == "#22 (looking away): not read into the mood"
    win.worker = None


def test_the_video_takes_its_own_shape_and_the_people_panel_the_rest_of_the_column(qtbot):
    """A 16:9 video in the window's column left black bands above and below it (a quarter of the pane)."""
    from emotion_monitor.settings import Settings

    win = MainWindow(settings=Settings())
    qtbot.addWidget(win)
    win.resize(1200, 700)
    win.show()
    win.view.show_rgb(np.zeros((540, 960, 3), np.uint8))
    qtbot.wait(50)
    view, people = win.view, win.people
    assert abs(view.height() - view.width() * 540 / 960) <= 2, (view.width(), view.height())
    assert people.height() > 120 and people.isWrapping()  # the height the video leaves holds rows of people


def test_a_recording_that_fails_stops_with_a_line_and_the_window_keeps_watching(window, qtbot, long_video, tmp_path):
    """A full disk while the window records: the status bar says the recording stopped, the Record button
    comes up, and the video and the mood go on."""
    from emotion_monitor.errors import RecordingError

    win = window
    assert win.open_video(str(long_video), realtime=True)
    win.pending_record_path = str(tmp_path / "full.csv")
    win.record_button.setChecked(True)
    qtbot.waitUntil(lambda: win.worker.recording and win.last_result is not None, timeout=15000)

    def full(result):
        raise RecordingError(f"cannot write CSV {tmp_path / 'full.csv'}: No space left on device")

    win.worker._recorder.write = full
    qtbot.waitUntil(lambda: not win.record_button.isChecked(), timeout=10000)
    assert win.statusBar().currentMessage() == f"recording stopped: cannot write CSV {tmp_path / 'full.csv'}: No space " \
                                                "left on device"
    shown = win.last_result.frame.index
    qtbot.waitUntil(lambda: win.last_result.frame.index > shown + 5, timeout=10000)  # still watching
    assert win.worker is not None and not win.worker.recording


def test_recording_to_a_file_chosen_in_the_dialog_replaces_it_and_one_given_on_the_command_line_appends_saying_so(
        window, qtbot, long_video, tmp_path, monkeypatch):
    """The save dialog asks before it replaces an existing file: once the user said yes, the window replaces it (it
    appended, under the dialog's "replace"). A file given with --record is appended to, as on the command line,
    and the status bar says it holds an earlier recording."""
    from emotion_monitor.gui import window as window_module

    win = window
    out = tmp_path / "session.csv"
    old = ["2026-01-01T00:00:00.000Z", "0", "1"] + [""] * (len(HEADER) - 3)
    out.write_text(",".join(HEADER) + "\n" + ",".join(old) + "\n")

    def record(pending):
        if pending:
            win.pending_record_path = str(out)
        elif hasattr(win, "pending_record_path"):
            del win.pending_record_path
        size = out.stat().st_size
        win.statusBar().clearMessage()
        win.record_button.setChecked(True)
        assert win.record_button.isChecked()
        message = win.statusBar().currentMessage()
        qtbot.waitUntil(lambda: out.stat().st_size > size + 300, timeout=15000)
        win.record_button.setChecked(False)
        with open(out, newline="") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == HEADER and HEADER not in rows[1:] and len(rows) > 2
        return message, rows[1:]

    assert win.open_video(str(long_video), realtime=True)
    message, rows = record(pending=True)
    assert message == f"{out} holds an earlier recording: this one is appended to it" and rows[0] == old
    monkeypatch.setattr(window_module.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "CSV (*.csv)"))
    message, rows = record(pending=False)
    assert "earlier recording" not in message and old not in rows  # replaced: only this recording's rows
