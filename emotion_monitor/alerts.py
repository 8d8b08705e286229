"""Alert delivery: a sink that POSTs a JSON event to a webhook when an alert starts and when it clears.

Posting happens on a thread of its own behind a bounded queue, so a slow or dead endpoint never
slows the pipeline: when the queue is full the oldest event waiting is dropped (and counted). Each
event is tried ``attempts`` times with exponential backoff; an endpoint that cannot be reached gives
one warning line (the first failure), not a crash. Standard library HTTP (urllib): one POST of a
small JSON body needs no dependency.

The delivery thread survives anything (:meth:`WebhookSink._deliver`): any exception of a try, not only a
network error (a receiver answering garbage raises ``http.client.BadStatusLine``), counts as a failed try;
an event whose tries all failed is counted in ``failed``, the first such failure gives one warning line,
and the next event is tried as usual. No line, warning or exception text carries the URL: only
:func:`redact`'s scheme, host and port. A URL with spaces or control characters is refused at start
(:func:`check_url`): urllib would otherwise fail on every event, quoting the secret path.

The event: ``{"event": "alert" | "clear", "camera": NAME, "time": ISO 8601 UTC of the frame,
"frame": N, "mood": score, "faces": faces counted, "duration": seconds the alert lasted (0 when it
starts), "reason": "turned" | "group" | "test" | null, "why": the rule in words, naming the people
behind it ("#4 turned: reads unhappy 40% (5% at rest)"), "people": their track ids (on a clear,
everyone who was behind the alert, those who joined it later too), "source": the lane's name (or path /
camera index), "test": true for a rehearsal (``emotion-monitor test-alert``, the window's Test alert
button: reason "test"), false for every real alert}``. "mood" is null with no face counted (a rehearsal
with no source open, a clear once everyone left: no mood was read, not a mood of 0). At privacy "aggregate"
(privacy.py) "people" is empty, "why" names nobody and "mood" is null when fewer than the minimum group
(``--min-group``) were counted.
"""

from __future__ import annotations

import base64
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from .mood import why_text
from .privacy import DEFAULT, MIN_GROUP, check, keeps_ids, shows_mood
from .recording import iso_utc
from .types import TEST_REASON, FrameResult

log = logging.getLogger("emotion_monitor")
TEST_WHY = "a rehearsal of the alert path (Test alert); nobody's mood raised it"  # a TEST alert's words


def redact(url: str) -> str:
    """A webhook URL as it may be printed or logged: scheme, host and port only. Chat webhooks carry their
    secret in the path or the query (``https://hooks.slack.com/services/T0/B0/XXXX``), and a user name or
    password may sit before the host: none of it leaves this function."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "?"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port that is not a number
        port = ":?"
    hidden = "/..." if (parts.path not in ("", "/") or parts.query or parts.fragment or parts.username) else ""
    return f"{parts.scheme}://{host}{port}{hidden}"


def check_url(url: str) -> str:
    """``url`` if a webhook may be sent to it, else ValueError with a one-line reason that does not quote it:
    http:// or https://, a host, and no space or control character anywhere (urllib refuses those at
    every event, and its error repeats the whole URL)."""
    shown = redact(url) if "://" in url else "..."
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"webhook URL must start with http:// or https://, not {shown}")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise ValueError(f"webhook URL {shown} holds a space or a control character (a stray newline from a "
                         "file?); percent-encode it or fix it")
    if not urllib.parse.urlsplit(url).hostname:
        raise ValueError(f"webhook URL {shown} names no host")
    return url


def with_login(url: str) -> tuple[str, dict[str, str]]:
    """A URL with a login (``https://user:password@host/hook``) as urllib can send it: the URL without the login,
    and the login as HTTP Basic authorization (urllib would take ``user:password@host`` for the host and fail
    with a DNS error); a URL without one unchanged, with no header."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url, {}
    login = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
    host = parts.netloc.rsplit("@", 1)[1]
    return (urllib.parse.urlunsplit(parts._replace(netloc=host)),
            {"Authorization": "Basic " + base64.b64encode(login.encode()).decode()})


def _reason(exc: BaseException, url: str) -> str:
    """An exception in one short phrase with every secret part of ``url`` cut out (http.client and urllib
    quote the URL or its path in theirs)."""
    text = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
    if isinstance(exc, urllib.error.HTTPError):  # what the receiver answered: its status too
        text = f"{exc.code} {text}"
    parts = urllib.parse.urlsplit(url)
    for secret in sorted({url, parts.netloc, parts.path, parts.query, parts.fragment,
                          urllib.parse.unquote(parts.path)} - {"", "/"}, key=len, reverse=True):
        text = text.replace(secret, "...")
    return f"{type(exc).__name__}: {text}"[:200]


class WebhookSink:
    def __init__(self, url: str, camera: str = "camera", attempts: int = 4, backoff: float = 0.5,
                 timeout: float = 3.0, max_queue: int = 100, warn: Callable[[str], None] | None = None,
                 privacy: str = DEFAULT) -> None:
        self.url, self.camera = check_url(url), camera
        self.privacy, self.min_group = check(privacy), MIN_GROUP
        self.attempts, self.backoff, self.timeout = attempts, backoff, timeout
        self.warn = warn or log.warning
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=max_queue)
        self.sent = self.failed = self.dropped = 0
        self.tries = 0  # POSTs made, every try of every event (a closing sink gives up its retries)
        self.last_failure: str | None = None  # why the last failed event's last try failed (no secret in it)
        self._warned = False
        self._alert_media_time: dict[str, float] = {}  # per source: when its alert started
        self._test_started: dict[str, float] = {}  # per source: when its TEST alert was raised (UTC)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook", daemon=True)
        self._thread.start()

    def follow(self, settings: Any) -> None:
        """The run's privacy level and minimum group (events.follow), live: the window's new level at once."""
        self.privacy, self.min_group = check(settings.privacy), settings.min_group

    # ---- pipeline side: never blocks --------------------------------------------------------------
    def event(self, result: FrameResult) -> dict[str, Any] | None:
        """The JSON event of a result that starts or clears an alert (see the module docstring), else None."""
        m = result.mood
        if m.event not in ("alert", "clear"):
            return None
        now, src = result.frame.media_time, result.frame.source
        who = m.who if keeps_ids(self.privacy) else ()
        test, duration = m.reason == TEST_REASON, 0.0
        # a rehearsal keeps its own start, by the wall clock (its results carry no media time), and leaves a real
        # alert's start alone
        starts, now = (self._test_started, result.frame.timestamp) if test else (self._alert_media_time, now)
        if m.event == "alert":
            starts[src] = now
        else:
            started = starts.pop(src, None)
            duration = now - started if started is not None else 0.0
        body: dict[str, Any] = {"event": m.event, "camera": self.camera, "time": iso_utc(result.frame.timestamp),
                "frame": result.frame.index, "faces": m.faces,
                "mood": round(m.score, 4) if m.faces and shows_mood(self.privacy, m.faces, self.min_group) else None,
                "duration": round(duration, 3), "reason": m.reason if m.event == "alert" else None,
                "why": why_text(m.reason, who, m.people) if m.event == "alert" else None,
                # a clear names everyone who was behind the alert, those who joined it after its start too
                "people": list(who if m.event == "alert" else (m.cleared if keeps_ids(self.privacy) else ())),
                "source": src, "test": test}
        if test:  # a rehearsal (rehearsal.py): its own words, nobody's mood behind it
            body.update(reason=TEST_REASON, why=f"TEST: {TEST_WHY}" if m.event == "alert" else None)
        return body

    def write(self, result: FrameResult) -> None:
        event = self.event(result)
        if event is None:
            return
        while True:
            try:
                self._queue.put_nowait(event)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()  # the oldest waiting event makes room
                    self._queue.task_done()
                    self.dropped += 1
                except queue.Empty:
                    pass

    # ---- delivery thread --------------------------------------------------------------------------
    def _post(self, event: dict[str, Any]) -> None:
        body = json.dumps(event).encode()
        url, headers = with_login(self.url)
        req = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "emotion-monitor",
                                              **headers})
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            if resp.status >= 300:
                raise urllib.error.HTTPError(self.url, resp.status, resp.reason, resp.headers, None)

    def _deliver(self, event: dict[str, Any]) -> None:
        delay = self.backoff
        for attempt in range(self.attempts):
            self.tries += 1
            try:
                self._post(event)
                self.sent += 1
                return
            except Exception as exc:  # refused, timed out, HTTP error, garbage answered: any of them, never fatal
                last = exc
            if attempt + 1 < self.attempts and self._stop.wait(delay):
                break
            delay *= 2
        self.failed += 1
        self.last_failure = _reason(last, self.url)
        if not self._warned:
            self._warned = True
            what = "refused the event" if isinstance(last, urllib.error.HTTPError) else "unreachable"
            self.warn(f"alert webhook {redact(self.url)} {what} ({self.last_failure}); this event is "
                      "lost, later ones are still sent (failures are counted, not repeated here)")

    def _run(self) -> None:
        while True:
            try:
                event = self._queue.get(timeout=0.2)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            try:
                self._deliver(event)
            except Exception:  # noqa: BLE001 (a bug of ours in delivery must not end it: counted, said once)
                self.failed += 1
                if not self._warned:
                    self._warned = True
                    self.warn(f"alert webhook {redact(self.url)}: an event could not be sent; later ones still are")
            finally:
                self._queue.task_done()

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is waiting and what is being sent, its retries too (up to ``timeout`` seconds), then stop."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline and self._thread.is_alive():
            time.sleep(0.05)
        self._stop.set()
        self._thread.join(max(0.0, deadline - time.monotonic()) + 0.5)
