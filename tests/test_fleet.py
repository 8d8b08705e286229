"""Beyond one camera: Prometheus metrics read back through a real Prometheus server, the alert
webhook against a local receiver (and a dead one), and the session report."""

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest

from emotion_monitor.alerts import WebhookSink
from emotion_monitor.app import open_runner
from emotion_monitor.capture import Capture
from emotion_monitor.recording import CsvRecorder
from emotion_monitor.settings import Settings
from emotion_monitor.types import LABELS

from .conftest import scene
from .doubles import SyntheticSource, Turning

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT.parent / "shared" / "media" / "hikers_walking.mp4"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("prometheus") is None and not os.environ.get("CI"),
                    reason="Debian's prometheus is not installed (.ci/run installs it)")
def test_a_real_prometheus_scrapes_the_monitor_and_reads_mood_and_alert_back(tmp_path):
    assert shutil.which("prometheus"), ".ci/run installs Debian's prometheus"
    mport, pport = free_port(), free_port()
    video = CLIP if CLIP.exists() else ROOT / "assets" / "demo.mp4"
    monitor = subprocess.Popen([sys.executable, "-m", "emotion_monitor.cli", "--video", str(video), "--loop",
                                "--realtime", "--quiet", "--metrics-port", str(mport), "--name", "queue-1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    (tmp_path / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n  - job_name: emotion-monitor\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{mport}']}}]\n")
    prom = subprocess.Popen(["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{pport}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{pport}/api/v1/query?query="
    try:
        found = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(found) < 3:
            time.sleep(1)
            for q in ('emotion_monitor_group_mood{camera="queue-1"}', 'emotion_monitor_alert{camera="queue-1"}',
                      'emotion_monitor_frames_total{camera="queue-1"}'):
                try:
                    res = get_json(api + urllib.parse.quote(q))["data"]["result"]
                except OSError:
                    continue
                if res:
                    found[q.split("{")[0]] = float(res[0]["value"][1])
        assert monitor.poll() is None, monitor.stderr.read()
        assert len(found) == 3, found
        assert -1.0 <= found["emotion_monitor_group_mood"] <= 1.0
        assert found["emotion_monitor_alert"] in (0.0, 1.0)
        assert found["emotion_monitor_frames_total"] > 0
        # what Prometheus stored is what the monitor serves (the mood moves slowly; frames only grow)
        own = urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=5).read().decode()
        assert (f'emotion_monitor_stage_seconds_bucket{{camera="queue-1",le="0.05",source="{video}",stage="detect"}}'
                in own)
        assert f'emotion_monitor_frames_dropped_total{{camera="queue-1",source="{video}"}}' in own
    finally:
        for p in (prom, monitor):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def test_the_metrics_endpoint_binds_to_localhost_by_default():
    from emotion_monitor.metrics import MetricsSink

    sink = MetricsSink(0, "cam")
    try:
        assert sink._server.server_address[0] == "127.0.0.1"
    finally:
        sink.close()


class Receiver:
    def __init__(self):
        self.events, self.requests = [], []  # the bodies; (path, headers) of each request
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.events.append(json.loads(body))
                outer.requests.append((self.path, dict(self.headers)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


FRAMES = 200


def run_with(astronaut_bgr, tmp_path, sink, frames=FRAMES):
    # a half-size frame, drawn once: the webhook's behaviour, not the detector's speed, is under test
    drawn = cv2.resize(scene(astronaut_bgr, 0, step=0), (480, 270))
    src = SyntheticSource(lambda i: drawn, count=frames, size=(480, 270))
    cap = Capture(lambda: src, "video", "synthetic")
    rec = CsvRecorder(tmp_path / "rows.csv")
    s = Settings(window=0.4, duration=0.4, cooldown=0.0, detect_every=1, settle=0.5, person_duration=0.4)
    session = open_runner(s, cap, classifier=Turning(calm=30, until=120), sinks=[rec, sink])
    cap.start()
    t0 = time.perf_counter()
    summary = session.run()
    wall = time.perf_counter() - t0
    session.close()
    with open(tmp_path / "rows.csv") as fh:
        rows = list(csv.DictReader(fh))
    return summary, rows, wall


def test_the_webhook_gets_alert_and_clear_with_their_fields(astronaut_bgr, tmp_path):
    rx = Receiver()
    try:
        sink = WebhookSink(rx.url, camera="queue-1")
        summary, rows, _ = run_with(astronaut_bgr, tmp_path, sink)
    finally:
        rx.close()
    kinds = [e["event"] for e in rx.events]
    assert kinds[:2] == ["alert", "clear"], rx.events
    alert, clear = rx.events[:2]
    for e in (alert, clear):
        assert e["camera"] == "queue-1" and e["time"].endswith("Z") and e["faces"] == 1
    assert alert["mood"] < -0.3 and alert["duration"] == 0 and alert["reason"] == "turned"
    assert clear["mood"] > alert["mood"] and clear["duration"] > 0 and clear["frame"] > alert["frame"]
    # the CSV agrees: the alert column turns on at the alert's frame
    first_on = min(int(r["frame"]) for r in rows if r["alert"] == "1")
    assert first_on == alert["frame"]


class NoSink:
    def write(self, result):
        pass

    def close(self):
        pass


def test_a_dead_webhook_costs_one_warning_and_no_row(astronaut_bgr, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, expected, _ = run_with(astronaut_bgr, tmp_path / "a", NoSink())  # the same run without a webhook
    warnings = []
    dead = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    sink = WebhookSink(dead, attempts=2, backoff=0.05, warn=warnings.append)
    summary, rows, wall = run_with(astronaut_bgr, tmp_path / "b", sink)
    assert summary["frames"] == FRAMES
    strip = lambda rs: [{k: v for k, v in r.items() if k != "timestamp"} for r in rs]  # noqa: E731
    assert strip(rows) == strip(expected)  # every row, as without the webhook
    assert len(warnings) == 1 and "unreachable" in warnings[0]
    assert sink.failed >= 1 and sink.sent == 0


def test_the_webhook_never_blocks_the_pipeline(astronaut_bgr, tmp_path):
    """A receiver that takes 2 s to answer: the run's pace does not change."""
    slow_events = []

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self):
            time.sleep(2.0)
            slow_events.append(1)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = HTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sink = WebhookSink(f"http://127.0.0.1:{server.server_address[1]}/", timeout=5)
        t0 = time.perf_counter()
        for i in range(50):
            from emotion_monitor.types import Detections, Frame, FrameResult, MoodState

            event = "alert" if i % 2 == 0 else "clear"
            sink.write(FrameResult(Frame(np.zeros((4, 4, 3), np.uint8), i, time.time(), i / 25), Detections(), (),
                                   MoodState(-0.5, 0.0, 1, event == "alert", event=event)))
        assert time.perf_counter() - t0 < 0.5  # 50 events queued in well under a second
        # the writes returned before delivery: nearly all 50 still wait (one is at the slow receiver), none lost
        assert sink.dropped == 0 and sink._queue.qsize() >= 48
        deadline = time.monotonic() + 5
        while not slow_events and time.monotonic() < deadline:
            time.sleep(0.05)
        assert slow_events  # and they do get delivered, from the sink's own thread
    finally:
        server.shutdown()
        server.server_close()


def test_a_report_from_a_recorded_csv_still_being_written(tmp_path):
    from emotion_monitor.report import summarize, write_report

    path = tmp_path / "live.csv"
    from emotion_monitor.recording import HEADER

    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(600):  # 60 s at 10 frames a second, 2 faces, an alert from 20 s to 35 s
            ts = f"2026-11-27T10:00:{i // 10:02d}.{(i % 10) * 100:03d}Z" if i < 600 else ""
            alert = int(200 <= i < 350)
            for face, label in ((1, "sad" if alert else "neutral"), (2, "happy")):
                probs = ["0.05"] * 7
                probs[LABELS.index(label)] = "0.7"
                w.writerow([ts, i, face, 10, 10, 50, 50, label, "0.7", *probs,
                            "-0.5" if alert else "0.1", alert, "ok" if face == 1 else "small",
                            "threshold" if alert else "", "queue.mp4", "alert" if alert and face == 1 else "",
                                "", ""])  # no zone
        fh.write("2026-11-27T10:01:00.000Z,600,1,10,10")  # a last line being written, cut short
    s = summarize(path)
    assert s.frames == 600 and s.rows == 1200 and s.skipped == 1
    assert len(s.seconds) == 60 and s.alert.sum() == 15
    two = s.faces_seen["queue.mp4", 2]
    assert set(s.faces_seen) == {("queue.mp4", 1), ("queue.mp4", 2)} and two.dominant == ("-", 0.0)  # never counted
    one = s.faces_seen["queue.mp4", 1]  # sad (score 0.05 - 0.7 - 3 x 0.05 = -0.8) 150 of its 600 frames, neutral (0) the rest
    assert one.negative_share == pytest.approx(0.25) and one.mean_mood == pytest.approx(-0.8 * 0.25)
    assert two.mean_mood is None and two.negative_share is None
    assert s.shares[:, LABELS.index("happy")].max() == 0  # "small" faces stay out of the shares
    for suffix in (".html", ".png", ".pdf"):
        write_report(path, tmp_path / f"r{suffix}")
        assert (tmp_path / f"r{suffix}").stat().st_size > 5000
    import matplotlib.pyplot as plt

    from emotion_monitor.report import figure

    main = figure(s, "main").get_size_inches()[1] * 110  # the PNG held the charts alone, without the people
    assert plt.imread(tmp_path / "r.png").shape[0] >= main + (0.6 + 0.25 * 2) * 110 * 0.9  # their table under them
    page = (tmp_path / "r.html").read_text()
    assert "People seen (2)" in page and "<th>time negative</th>" in page
    assert "<tr><td>#1</td><td>10:00:00</td><td>10:00:59</td><td>59.9</td><td>-0.20</td><td>25%</td>" in page
    assert "<h2>Sources</h2>" not in page  # one source: no split


def test_a_report_of_several_sources_splits_by_source(tmp_path):
    from emotion_monitor.recording import HEADER
    from emotion_monitor.report import summarize, write_report

    path = tmp_path / "store.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER[:-2])  # a file of the version before queue zones: still read
        for i in range(300):  # 30 s at 10 frames a second; lane 2 in alert from 10 s to 20 s; both number face 1
            ts = f"2026-11-27T10:00:{i // 10:02d}.{(i % 10) * 100:03d}Z"
            for lane, alert in (("Lane 1", 0), ("Lane 2", int(100 <= i < 200))):
                probs = ["0.05"] * 7
                probs[LABELS.index("sad" if alert else "happy")] = "0.7"
                w.writerow([ts, i, 1, 10, 10, 50, 50, "sad" if alert else "happy", "0.7", *probs,
                            "-0.6" if alert else "0.4", alert, "ok", "threshold" if alert else "", lane, ""])
    s = summarize(path)
    assert s.frames == 600 and set(s.sources) == {"Lane 1", "Lane 2"}
    assert s.sources["Lane 1"].frames == 300 and s.sources["Lane 1"].alert_seconds == 0
    assert s.sources["Lane 2"].alert_seconds == 10
    assert s.sources["Lane 2"].mean_mood == pytest.approx((-0.6 * 100 + 0.4 * 200) / 300)
    assert set(s.faces_seen) == {("Lane 1", 1), ("Lane 2", 1)}  # the same id in two lanes: two people
    write_report(path, tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert "<h2>Sources</h2>" in page and "<tr><td>Lane 2</td><td>300</td><td>+0.07</td><td>10 s</td><td>1</td></tr>" in page
    assert "<td>Lane 1 #1</td>" in page and "<td>Lane 2 #1</td>" in page


def test_a_report_counts_a_recording_appended_to_the_file_apart(tmp_path):
    """--record onto a file that holds a recording appends the new one, its frames and ids numbered from 0 and 1
    again: the report counts it as a source of its own, so that its #1 is not the first recording's #1."""
    from emotion_monitor.recording import HEADER
    from emotion_monitor.report import summarize, write_report

    path = tmp_path / "two.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for start, frames, label in ((0, 200, "happy"), (300, 100, "sad")):  # a happy #1 for 20 s; later a sad #1
            for i in range(frames):
                t = start + i
                probs = ["0.05"] * 7
                probs[LABELS.index(label)] = "0.7"
                w.writerow([f"2026-11-27T10:{t // 600:02d}:{t // 10 % 60:02d}.{t % 10 * 100:03d}Z", i, 1, 10, 10, 50, 50,
                            label, "0.7", *probs, "0.4" if label == "happy" else "-0.6", 0, "ok", "", "cam", "", "", ""])
    s = summarize(path)
    assert set(s.sources) == {"cam", "cam (recording 2)"} and s.frames == 300
    assert s.sources["cam"].frames == 200 and s.sources["cam (recording 2)"].frames == 100
    first, second = s.faces_seen["cam", 1], s.faces_seen["cam (recording 2)", 1]
    assert first.dominant[0] == "happy" and second.dominant[0] == "sad" and first.last < second.first
    write_report(path, tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert "People seen (2)" in page and "<td>cam #1</td>" in page and "<td>cam (recording 2) #1</td>" in page


@pytest.mark.skipif(shutil.which("promtool") is None and not os.environ.get("CI"),
                    reason="Debian's prometheus (promtool) is not installed")
def test_the_deploy_configs_are_valid_for_prometheus():
    deploy = ROOT / "deploy"
    for args in (["check", "config", "prometheus.yml"], ["check", "rules", "emotion-monitor-rules.yml"]):
        proc = subprocess.run(["promtool", *args], cwd=deploy, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    dash = json.loads((deploy / "grafana-dashboard.json").read_text())
    exprs = " ".join(t["expr"] for p in dash["panels"] for t in p["targets"])
    for metric in ("emotion_monitor_group_mood", "emotion_monitor_alert", "emotion_monitor_faces",
                   "emotion_monitor_fps", "emotion_monitor_stage_seconds_bucket"):
        assert metric in exprs


def test_a_webhook_urls_secret_is_never_printed():
    from emotion_monitor.alerts import redact

    secret = f"http://user:pw@127.0.0.1:{free_port()}/services/T0/B0/s3cr3tT0k3n?token=abc"
    assert redact(secret) == f"http://127.0.0.1:{urllib.parse.urlsplit(secret).port}/..."
    warnings = []
    sink = WebhookSink(secret, attempts=1, backoff=0.01, warn=warnings.append)
    sink._deliver({"event": "alert"})
    sink.close()
    assert len(warnings) == 1 and "unreachable" in warnings[0]
    assert not any(s in warnings[0] for s in ("s3cr3t", "token", "abc", "user", "pw@", "services"))
    with pytest.raises(ValueError) as err:
        WebhookSink("ftp://host/s3cr3tT0k3n")
    assert "s3cr3t" not in str(err.value)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test's certificate")
def test_the_webhook_verifies_https_certificates(tmp_path):
    """A local HTTPS endpoint with a self-signed certificate: the event is refused, not sent."""
    import ssl

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    got = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            got.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    warnings = []
    try:
        sink = WebhookSink(f"https://127.0.0.1:{server.server_address[1]}/hook", attempts=1, warn=warnings.append)
        sink._deliver({"event": "alert"})
        sink.close()
    finally:
        server.shutdown()
    assert got == [] and sink.sent == 0 and len(warnings) == 1 and "CERTIFICATE_VERIFY_FAILED" in warnings[0]
