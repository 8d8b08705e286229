"""The alert webhook keeps delivering whatever its receiver does (garbage, a connection closed early, no
answer), says so once without its URL, and takes its URL from a file or the environment (out of ``ps``)."""

import json
import socket
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emotion_monitor.alerts import WebhookSink, check_url
from emotion_monitor.types import Detections, Frame, FrameResult, MoodState

SECRET = "services/T0/B0/s3cr3tT0k3n"


class Scripted:
    """A local receiver on 127.0.0.1 whose n-th connection does the n-th action of ``script``: "garbage"
    (one line that is no HTTP status), "close" (reads the request, closes without a word), "hang" (reads it
    and never answers), "ok" (204, the body kept). Connections past the script are "ok"."""

    def __init__(self, script):
        self.script, self.bodies, self.held = list(script), [], []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/{SECRET}?token=abc"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @staticmethod
    def _request(conn):
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(4096)
        head, body = data.split(b"\r\n\r\n", 1)
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
        while len(body) < length:
            body += conn.recv(4096)
        return body

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            action = self.script.pop(0) if self.script else "ok"
            body = self._request(conn)
            if action == "garbage":
                conn.sendall(b"HELLO I AM NOT HTTP\r\n\r\n")
            elif action == "ok":
                self.bodies.append(json.loads(body))
                conn.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            if action == "hang":
                self.held.append(conn)  # open, silent: the sender's timeout ends it
            else:
                conn.close()

    def close(self):
        self._stop.set()
        self._thread.join(2)
        for conn in self.held:
            conn.close()
        self.sock.close()


def alert(i, kind="alert"):
    return FrameResult(Frame(np.zeros((4, 4, 3), np.uint8), i, 1_800_000_000.0 + i, i / 25.0), Detections(), (),
                       MoodState(-0.5, 0.0, 3, kind == "alert", reason="group" if kind == "alert" else None,
                                 event=kind))


def wait_for(predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)
    return predicate()


def test_garbage_an_early_close_and_no_answer_cost_their_events_and_the_next_alert_is_delivered(capfd):
    rx = Scripted(["garbage", "close", "hang"])
    hooks, warnings = [], []
    old_hook = threading.excepthook
    threading.excepthook = lambda args: hooks.append(args)  # an exception escaping the thread would land here
    try:
        sink = WebhookSink(rx.url, attempts=1, timeout=0.5, warn=warnings.append)
        for i, kind in enumerate(["alert", "clear", "alert"]):
            sink.write(alert(i, kind))
        assert wait_for(lambda: sink.failed == 3)
        sink.write(alert(3, "clear"))
        sink.write(alert(60 * 25, "alert"))  # a later alert, a minute on
        assert wait_for(lambda: len(rx.bodies) == 2)
        sink.close()
    finally:
        threading.excepthook = old_hook
        rx.close()
    assert [b["frame"] for b in rx.bodies] == [3, 1500] and rx.bodies[1]["event"] == "alert"
    assert sink.sent == 2 and sink.failed == 3 and not hooks and not sink._thread.is_alive()
    assert len(warnings) == 1 and "BadStatusLine" in warnings[0] and "later ones are still sent" in warnings[0]
    err = capfd.readouterr()
    for text in (warnings[0], err.out, err.err):
        assert "s3cr3t" not in text and "token" not in text and "services" not in text
    assert "Traceback" not in err.err


def test_an_error_of_any_kind_in_delivery_is_caught_and_retried_like_a_network_one(monkeypatch):
    rx = Scripted([])
    warnings = []
    try:
        sink = WebhookSink(rx.url, attempts=2, backoff=0.01, warn=warnings.append)
        real, calls = sink._post, []

        def flaky(event):
            calls.append(1)
            if len(calls) == 1:
                raise KeyError("a bug, say")
            real(event)

        monkeypatch.setattr(sink, "_post", flaky)
        sink.write(alert(0))
        assert wait_for(lambda: len(rx.bodies) == 1)
        sink.close()
    finally:
        rx.close()
    assert sink.sent == 1 and sink.failed == 0 and warnings == []  # the second try got through


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook/s3cr3t path", "http://127.0.0.1:9/s3cr3t\n",
                                 "http://127.0.0.1:9/s3cr3t\x00x", "http:///s3cr3t", "ftp://host/s3cr3t"])
def test_a_url_with_a_space_a_control_character_or_no_host_is_refused_without_quoting_it(url):
    with pytest.raises(ValueError) as err:
        check_url(url)
    assert "s3cr3t" not in str(err.value) and "\n" not in str(err.value)


def test_the_command_line_refuses_a_bad_url_in_one_line_before_anything_opens(tmp_path, capsys):
    from emotion_monitor import cli

    url_file = tmp_path / "hook.url"
    url_file.write_text("http://127.0.0.1:9/hook/s3cr3t path\n")
    rc = cli.main(["--video", str(tmp_path / "none.avi"), "--alert-webhook-file", str(url_file),
                   "--record", str(tmp_path / "s.csv")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1 and "space or a control character" in err[0] and "s3cr3t" not in err[0]
    assert not (tmp_path / "s.csv").exists()  # refused before the recording opened


def test_the_url_comes_from_a_file_or_the_environment_never_the_process_list(tmp_path):
    from emotion_monitor import cli, options

    url = f"https://hooks.example/{SECRET}"
    (tmp_path / "hook.url").write_text(url + "\n")
    argv = ["--video", "x.avi", "--alert-webhook-file", str(tmp_path / "hook.url")]
    assert options.webhook_url(cli.build_parser().parse_args(argv), environ={}) == url
    assert not any(SECRET in a for a in argv)
    plain = cli.build_parser().parse_args(["--video", "x.avi"])
    assert options.webhook_url(plain, environ={options.WEBHOOK_ENV: url}) == url
    assert options.webhook_url(plain, environ={}) is None
    with pytest.raises(Exception, match="once"):
        options.webhook_url(cli.build_parser().parse_args([*argv, "--alert-webhook", url]), environ={})
    (tmp_path / "empty.url").write_text("\n")
    with pytest.raises(Exception, match="no webhook URL"):
        options.webhook_url(cli.build_parser().parse_args(["--alert-webhook-file", str(tmp_path / "empty.url")]), environ={})


def test_a_headless_monitor_sends_its_alerts_to_the_url_of_the_environment(scene_video, tmp_path, monkeypatch, capfd):
    """The whole way: a monitor that alerts from its first seconds (threshold +1: every mood is below it) with
    its URL in the environment, a receiver that answers the first try with garbage: the event's next try
    arrives, and nothing the monitor prints quotes the URL."""
    from emotion_monitor import cli, options

    rx = Scripted(["garbage"])
    monkeypatch.setenv(options.WEBHOOK_ENV, rx.url)
    try:
        rc = cli.main(["--video", str(scene_video), "--loop", "--max-frames", "150", "--threshold", "1",
                       "--duration", "0", "--cooldown", "0", "--hysteresis", "0", "--settle", "0.5", "--quiet"])
        time.sleep(0.1)
    finally:
        rx.close()
    out = capfd.readouterr()
    alerts = [line for line in out.out.splitlines() if line.startswith("ALERT")]
    assert rc == 0 and alerts, out
    assert "s3cr3t" not in out.out + out.err and "token" not in out.out + out.err and "Traceback" not in out.err
    assert [b["event"] for b in rx.bodies] == ["alert"] and "webhook" not in out.err, out.err


def test_a_url_on_the_command_line_gets_a_warning_that_names_the_alternatives(tmp_path, capsys):
    from emotion_monitor import cli

    rc = cli.main(["--video", str(tmp_path / "none.avi"), "--alert-webhook", f"http://127.0.0.1:9/{SECRET}"])
    err = capsys.readouterr().err
    assert rc == 1 and "--alert-webhook-file" in err and "EMOTION_MONITOR_WEBHOOK" in err and "s3cr3t" not in err


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=12), st.text(max_size=12), st.sampled_from(["http", "https"]),
       st.sampled_from(["example.com", "127.0.0.1:8080", "[::1]:9"]), st.sampled_from(["", "/", "/hook?t=1"]))
def test_a_login_in_the_url_is_sent_as_basic_authorization_and_cut_from_the_url(user, password, scheme, host, path):
    """Any user name and password, percent-encoded as a URL must carry them (@, :, / and the rest), come back
    whole in the Authorization header, and the URL urllib is given holds no login (else it takes
    "user:password@host" for the host); a URL without a login is left alone."""
    import base64
    import urllib.parse

    from emotion_monitor.alerts import with_login

    login = f"{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(password, safe='')}"
    url, headers = with_login(f"{scheme}://{login}@{host}{path}")
    assert url == f"{scheme}://{host}{path}" and "@" not in urllib.parse.urlsplit(url).netloc
    scheme_word, token = headers["Authorization"].split(" ")
    assert scheme_word == "Basic" and base64.b64decode(token).decode() == f"{user}:{password}"
    assert with_login(url) == (url, {})


def test_test_alert_reaches_a_receiver_behind_a_login_and_prints_no_part_of_it(capsys):
    """The helper's case: ``http://user:pw@host/`` failed with the generic "check the URL" line."""
    import base64

    from emotion_monitor.cli import main

    from .test_fleet import Receiver

    rx = Receiver()
    try:
        hooked = rx.url.replace("http://", "http://till%402:p%3Ass@")
        assert main(["test-alert", "--alert-webhook", hooked, "--timeout", "5"]) == 0
    finally:
        rx.close()
    out = capsys.readouterr().out
    assert [e["test"] for e in rx.events] == [True, True] and [p for p, _ in rx.requests] == ["/hook", "/hook"]
    assert all(base64.b64decode(h["Authorization"].split()[1]) == b"till@2:p:ss" for _, h in rx.requests)
    assert "delivered to http://127.0.0.1:" in out and "till" not in out and "p%3Ass" not in out and "p:ss" not in out
