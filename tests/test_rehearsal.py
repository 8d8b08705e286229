"""The rehearsal (#52): `emotion-monitor test-alert` and the window's Test alert button raise a TEST alert
through the real path; every place it reaches marks it, and a real alert is marked as not one."""

import json
import re

import pytest

from emotion_monitor.alerts import WebhookSink
from emotion_monitor.cli import main
from emotion_monitor.events import event_of
from emotion_monitor.rehearsal import rehearsal_results, rehearse
from emotion_monitor.settings import Settings
from emotion_monitor.types import TEST_REASON, Detections, Frame, FrameResult, MoodState

from .test_fleet import Receiver, free_port


def test_test_alert_is_delivered_to_a_local_receiver_and_its_body_says_test(capsys):
    rx = Receiver()
    try:
        rc = main(["test-alert", "--alert-webhook", rx.url, "--name", "till-2"])
    finally:
        rx.close()
    out = capsys.readouterr().out
    assert rc == 0, out
    assert [e["event"] for e in rx.events] == ["alert", "clear"]
    alert, clear = rx.events
    assert alert["test"] is True and clear["test"] is True
    assert alert["reason"] == "test" and alert["why"].startswith("TEST") and alert["camera"] == "till-2"
    assert alert["people"] == [] and alert["source"] == "test-alert" and alert["time"].endswith("Z")
    assert alert["faces"] == 0 and alert["mood"] is None  # no face counted: no mood read, not a mood of 0
    lines = out.splitlines()
    assert lines[0].startswith("TEST ALERT ") and lines[1].startswith("TEST CLEAR ")
    assert "delivered to http://127.0.0.1:" in lines[2] and "/hook" not in out  # the path may hold a secret


def test_test_alert_reads_the_url_where_the_monitor_reads_it_the_environment_or_a_file(capsys, monkeypatch, tmp_path):
    from emotion_monitor import options

    monkeypatch.delenv(options.WEBHOOK_ENV, raising=False)
    assert main(["test-alert"]) == 0 and "nothing was sent" in capsys.readouterr().out
    for how in ("environment", "file"):
        rx = Receiver()
        try:
            if how == "environment":
                monkeypatch.setenv(options.WEBHOOK_ENV, rx.url)
                rc = main(["test-alert"])
                monkeypatch.delenv(options.WEBHOOK_ENV)
            else:
                (tmp_path / "hook.url").write_text(rx.url + "\n")
                rc = main(["test-alert", "--alert-webhook-file", str(tmp_path / "hook.url")])
        finally:
            rx.close()
        out = capsys.readouterr().out
        assert rc == 0 and [e["test"] for e in rx.events] == [True, True], (how, out)
        assert "/hook" not in out  # the secret path is never printed


def test_test_alert_to_nobody_says_so_and_fails(capsys):
    rc = main(["test-alert", "--alert-webhook", f"http://127.0.0.1:{free_port()}/x", "--timeout", "1"])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and "\n" not in err and "that the receiver is running" in err, err


def test_test_alert_to_a_receiver_that_answers_an_error_says_what_it_answered(capsys):
    """A receiver that is running and answers HTTP 500: the line gives its answer, not "is it running?"."""
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from threading import Thread

    posts = []

    class Refuse(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"])))["event"])
            self.send_response(500)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = HTTPServer(("127.0.0.1", 0), Refuse)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        rc = main(["test-alert", "--alert-webhook", f"http://127.0.0.1:{server.server_address[1]}/x", "--timeout", "10"])
    finally:
        server.shutdown()
        server.server_close()
    err = capsys.readouterr().err.strip()
    assert rc == 1 and "\n" not in err, err
    assert "the last: HTTPError: 500 Internal Server Error" in err and "check what the receiver expects" in err, err
    # every try the line counts reached the receiver: the clear's retries too (closing gave them up before)
    assert posts == ["alert"] * 4 + ["clear"] * 4 and "(2 failed, 8 tries in all;" in err, (posts, err)


def test_test_alert_without_a_webhook_prints_the_alert_line_and_sends_nothing(capsys):
    assert main(["test-alert"]) == 0
    out = capsys.readouterr().out
    assert "TEST ALERT" in out and "nothing was sent" in out


def test_a_bad_webhook_url_exits_2_with_one_line(capsys):
    assert main(["test-alert", "--alert-webhook", "ftp://x"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_real_alert_says_test_false_and_a_test_leaves_its_duration_alone():
    sink = WebhookSink("http://127.0.0.1:9/", warn=lambda _l: None)
    try:
        frame = Frame(rehearsal_results()[0].frame.image, 5, 1e9, 10.0, "cam")
        real = FrameResult(frame, Detections(), (), MoodState(-0.5, 0.0, 2, True, 10.0, "alert", reason="group"))
        assert sink.event(real)["test"] is False
        alert, _ = rehearsal_results("cam", now=2e9)
        _, clear_test = rehearsal_results("cam", now=2e9 + 7.7)  # the window clears its TEST alert 8 s on
        bodies = [sink.event(alert), sink.event(clear_test)]
        assert [b["test"] for b in bodies] == [True, True]
        assert [b["duration"] for b in bodies] == [0.0, pytest.approx(7.7)]  # its own span, by the wall clock
        later = Frame(frame.image, 50, 1e9 + 4, 14.0, "cam")
        clear = sink.event(FrameResult(later, Detections(), (), MoodState(0.1, 0.0, 2, False, event="clear")))
        assert clear["test"] is False and clear["duration"] == pytest.approx(4.0)  # the real alert's own span
    finally:
        sink.close(0.1)


def test_metrics_count_a_test_alert_apart_and_leave_the_readings_alone():
    from emotion_monitor.metrics import MetricsSink

    m = MetricsSink(0, "queue")
    try:
        rehearse([m], Settings(), source="lane-a")
        value = m.registry.get_sample_value
        assert value("emotion_monitor_test_alerts_total", {"camera": "queue", "source": "lane-a"}) == 1
        assert value("emotion_monitor_alerts_total", {"camera": "queue", "source": "lane-a"}) is None
        assert value("emotion_monitor_frames_total", {"camera": "queue", "source": "lane-a"}) is None
    finally:
        m.close()


@pytest.mark.parametrize("privacy", ["full", "people", "aggregate"])
def test_the_test_lines_read_test_at_every_privacy_level_and_name_the_lane(privacy):
    s = Settings(privacy=privacy)
    alert, clear = rehearsal_results("till 1")
    a, c = event_of(alert, s, lane="till 1"), event_of(clear, s, lane="till 1")
    assert a.text.startswith("TEST ALERT [till 1] ") and c.text.startswith("TEST CLEAR [till 1] ")
    assert a.kind == "alert" and a.reason == c.reason == TEST_REASON and a.who == ()


def test_the_windows_test_alert_button_goes_through_banner_list_sound_and_webhook(qtbot, tmp_path, monkeypatch,
                                                                                 scene_video):
    pytest.importorskip("pytestqt")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from emotion_monitor.gui import alert_panel
    from emotion_monitor.gui.main import MainWindow

    monkeypatch.setattr(alert_panel, "TEST_SECONDS", 0.5)
    beeps = []
    monkeypatch.setattr(QApplication, "beep", staticmethod(lambda: beeps.append(1)))
    rx = Receiver()
    win = MainWindow(store=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat), beep=True,
                     fleet_sinks=[WebhookSink(rx.url, camera="till-2")])
    qtbot.addWidget(win)
    win.show()
    try:
        win.controls.test_button.click()  # no source open yet: a manager tries it first
        assert win.banner.isVisible() and win.banner.text().startswith("TEST ALERT (no source open): a rehearsal")
        assert win.banner.text().endswith("it clears by itself 0.5 s after it was raised")  # words, not a countdown
        assert win.events.item(0).text().startswith("TEST ALERT ") and beeps == [1]
        qtbot.waitUntil(lambda: not win.banner.isVisible(), timeout=5000)  # it clears by itself
        assert win.events.item(0).text().startswith("TEST CLEAR ") and win.events.count() == 2
        qtbot.waitUntil(lambda: len(rx.events) == 2, timeout=10_000)
        assert [(e["event"], e["test"], e["camera"]) for e in rx.events] == [("alert", True, "till-2"),
                                                                             ("clear", True, "till-2")]
        # with a source open: the body names it as the run's metrics and real alerts do, at the frame shown
        assert win.open_video(str(scene_video), loop=True)
        qtbot.waitUntil(lambda: win.last_result is not None and win.last_result.frame.index > 0, timeout=20_000)
        shown = win.last_result
        win.controls.test_button.click()
        qtbot.waitUntil(lambda: len(rx.events) == 4, timeout=10_000)
        body = rx.events[2]
        assert body["test"] is True and body["source"] == shown.frame.source == str(scene_video)
        assert body["frame"] == shown.frame.index > 0 and body["faces"] == shown.mood.faces
        assert (body["mood"] is None) == (shown.mood.faces == 0)
        assert win.banner.text().startswith(f"TEST ALERT ({scene_video.name}): ")  # the window's own name for it
        cleared = rx.events[3]  # as a result of the frame shown when it cleared, its span its own
        assert cleared["source"] == body["source"] and cleared["frame"] != body["frame"]
        assert cleared["duration"] == pytest.approx(0.5, abs=0.4)
    finally:
        win.close()
        rx.close()


def test_a_video_that_ends_says_ended_closes_the_recording_clears_the_rate_and_offers_replay(qtbot, tmp_path,
                                                                                              scene_video):
    pytest.importorskip("pytestqt")
    from PySide6.QtCore import QSettings

    from emotion_monitor.gui.main import MainWindow

    from .test_gui import StubClassifier

    win = MainWindow(store=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat), classifier=StubClassifier())
    qtbot.addWidget(win)
    win.show()
    try:
        win.pending_record_path = str(tmp_path / "rec.csv")
        assert win.open_video(str(scene_video), realtime=True)
        win.record_button.setChecked(True)
        qtbot.waitUntil(lambda: win.ending.ended, timeout=30_000)
        assert not win.record_button.isChecked() and not win.worker.recording and win.record_time.text() == ""
        assert (tmp_path / "rec.csv").stat().st_size > 100  # what was recorded is kept
        win._tick()
        assert "ended" in win.status_label.text() and "fps" not in win.status_label.text()
        assert "in its last frame" in win.status_label.text() and "in view" not in win.status_label.text()
        assert win.ending.offer.isVisible() and win.ending.replay_button.isVisible() and win.ending.open_button.isVisible()
        from .test_gui import shown_rgb

        shown = shown_rgb(win).astype(int)
        h = shown.shape[0]
        assert (shown[h // 3: 2 * h // 3].min(axis=2) > 230).sum() > 200  # the word "ended", white, across the middle
        assert shown.mean() < win.view.last_rgb.mean()  # over the last picture, dimmed
        win.ending.replay_button.click()  # Replay: the same video from its start
        assert not win.ending.ended and not win.ending.offer.isVisible() and win.worker is not None
        # what the ended pass did, counted, for the line printed when the window closes (#52 item 8)
        ended = re.fullmatch(rf"{scene_video.name}: end of video: (\d+) frames analysed of (\d+) read(?:, (\d+) "
                             r"dropped to keep up)?", win.closing_line)
        assert ended and int(ended[1]) + int(ended[3] or 0) == int(ended[2]) == 30, win.closing_line  # the clip's 30
        win.stop()  # the replay, stopped before its end
        assert re.fullmatch(rf"{scene_video.name}: window closed: \d+ frames analysed of \d+ read(, \d+ dropped to "
                            r"keep up)?", win.closing_line), win.closing_line
    finally:
        win.close()


def test_closing_lines_count_what_happened_and_bad_output_paths_stop_before_the_run(scene_video, tmp_path, capsys):
    """#52 item 8: --max-frames says it stopped the run; a looped file counts its passes; an unwritable
    --stats-json or --people-csv is refused before the first frame (exit 1, one line, no CSV row written)."""
    assert main(["--video", str(scene_video), "--max-frames", "5", "--quiet", "--detector", "haar"]) == 0
    assert main(["--video", str(scene_video), "--max-frames", "5", "--detector", "haar"]) == 0
    out = capsys.readouterr().out
    assert "stopped by --max-frames: 5 frames analysed of 5 read" in out and "end of video" not in out
    assert main(["--video", str(scene_video), "--loop", "--max-frames", "70", "--detector", "haar"]) == 0
    assert "stopped by --max-frames: 70 frames analysed of 70 read, 3 passes of the looped file" in capsys.readouterr().out
    (tmp_path / "a-file").write_text("x")
    for flag in ("--stats-json", "--people-csv"):
        for bad, why in ((tmp_path, "it is a folder"), (tmp_path / "a-file" / "out", "folder does not exist")):
            rec = tmp_path / f"rec{flag}.csv"
            rc = main(["--video", str(scene_video), "--record", str(rec), flag, str(bad), "--detector", "haar"])
            err = capsys.readouterr().err.strip()
            assert rc == 1 and err == f"emotion-monitor: error: cannot write {bad}: {why}"
            assert not rec.exists()  # refused before anything was opened


def test_the_no_display_line_offers_the_demo(monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    assert main(["--gui", "--demo"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--demo" in err and "\n" not in err


def test_batch_help_lists_no_window_only_option(capsys):
    with pytest.raises(SystemExit):
        main(["batch", "--help"])
    out = capsys.readouterr().out
    assert "--blur-screen" not in out and "--blur-snapshots" not in out and "--threshold" in out
