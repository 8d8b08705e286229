"""Prometheus metrics: a sink that serves ``/metrics`` with the ``prometheus_client`` library.

Run one monitor a camera, each with ``--metrics-port`` and ``--name``; Prometheus scrapes them all
and Grafana shows them (``deploy/`` has the scrape config, an alerting rule for a negative queue and
a dashboard). The endpoint binds to 127.0.0.1 unless ``--metrics-host`` says otherwise: nothing
leaves the machine unless asked.

Every series carries the labels ``camera`` (the monitor's ``--name``) and ``source`` (the source a
result came from: a lane's name when one monitor watches several, else the path or camera index),
so one endpoint serves every lane of a multi-source monitor. Gauges: group mood, faces in view, faces counted in the
mood, alert state (0/1), frames a second. Counters: frames, frames dropped, camera reconnects,
alerts, TEST alerts (rehearsal.py). Histogram: seconds each pipeline stage took on each frame. Nothing per
person at any level; at privacy "aggregate" the mood is NaN while fewer faces than ``--min-group`` count in it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .errors import MonitorError
from .pipeline import STAGES
from .privacy import DEFAULT, MIN_GROUP, shows_mood
from .types import TEST_REASON, FrameResult

STAGE_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.1, 0.25, 1.0)
WAIT_BUCKETS = (15, 30, 60, 120, 180, 300, 600, 900, 1200, 1800)  # seconds: a queue is minutes long


class MetricsSink:
    """Updates the metrics from every result; ``stats(source)`` gives (fps, dropped, reconnects) of
    that source; ``sources`` names the ones whose series exist from the start, at 0."""

    def __init__(self, port: int, camera: str = "camera", host: str = "127.0.0.1",
                 stats: Callable[[str], tuple[float, int, int]] = lambda source: (0.0, 0, 0),
                 sources: Sequence[str] = ()) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

        self.registry = CollectorRegistry()
        r, lab = self.registry, ["camera", "source"]
        self.mood = Gauge("emotion_monitor_group_mood", "Group mood score averaged over the mood window (-1..1)",
                          lab, registry=r)
        self.faces = Gauge("emotion_monitor_faces", "Faces in view (tracked)", lab, registry=r)
        self.counted = Gauge("emotion_monitor_faces_counted", "Faces counted in the mood (quality ok)", lab,
                             registry=r)
        self.alert = Gauge("emotion_monitor_alert", "1 while the mood alert is on", lab, registry=r)
        self.fps = Gauge("emotion_monitor_fps", "Frames processed a second", lab, registry=r)
        self.frames = Counter("emotion_monitor_frames", "Frames processed", lab, registry=r)
        self.dropped = Counter("emotion_monitor_frames_dropped", "Frames dropped (a camera's stale frames)", lab,
                               registry=r)
        self.reconnects = Counter("emotion_monitor_camera_reconnects", "Times the camera was reopened", lab,
                                  registry=r)
        self.alerts = Counter("emotion_monitor_alerts", "Alerts raised", lab, registry=r)
        self.test_alerts = Counter("emotion_monitor_test_alerts", "TEST alerts raised (rehearsals: emotion-monitor "
                                   "test-alert, the window's Test alert button); never counted in alerts", lab,
                                   registry=r)
        self.stage = Histogram("emotion_monitor_stage_seconds", "Seconds a pipeline stage took on a frame",
                               ["camera", "source", "stage"], buckets=STAGE_BUCKETS, registry=r)
        self.queue = Gauge("emotion_monitor_queue_length", "Faces in a queue zone now (0 without zones)", lab,
                           registry=r)
        self.longest = Gauge("emotion_monitor_longest_wait_seconds", "The longest current wait in a queue zone", lab,
                             registry=r)
        self.waits = Histogram("emotion_monitor_wait_seconds", "Seconds each person waited in a queue zone (their "
                               "stay ended)", lab, buckets=WAIT_BUCKETS, registry=r)
        self.camera, self.stats = camera, stats
        self.privacy, self.min_group = DEFAULT, MIN_GROUP  # the run's (follow)
        self._seen: dict[str, tuple[int, int]] = {}  # per source: dropped, reconnects already counted
        try:
            self._server, self._thread = start_http_server(port, addr=host, registry=r)
        except OSError as exc:
            raise MonitorError(f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}") from exc
        self.port = self._server.server_address[1]
        for source in sources:
            for m in (self.mood, self.faces, self.counted, self.alert, self.fps, self.frames, self.dropped,
                      self.reconnects, self.alerts):
                m.labels(camera, source)  # every series exists from the start, at 0

    def write(self, result: FrameResult) -> None:
        c, src, m = self.camera, result.frame.source, result.mood
        if m.reason == TEST_REASON:  # a rehearsal: counted as such, the gauges and frames left as read
            if m.event == "alert":
                self.test_alerts.labels(c, src).inc()
            return
        # privacy "aggregate" below the minimum group: no number (NaN), the mood would be one person's
        self.mood.labels(c, src).set(m.score if shows_mood(self.privacy, m.faces, self.min_group) else float("nan"))
        self.faces.labels(c, src).set(len(result.tracks))
        self.counted.labels(c, src).set(m.faces)
        self.alert.labels(c, src).set(1 if m.alert else 0)
        self.frames.labels(c, src).inc()
        if m.event == "alert":
            self.alerts.labels(c, src).inc()
        if result.zones:
            queue = result.queue
            self.queue.labels(c, src).set(len(queue))
            self.longest.labels(c, src).set(max((t.waited for t in queue), default=0.0))
            for left in result.left:
                self.waits.labels(c, src).observe(left.waited)
        for stage in STAGES:
            if stage in result.timings_ms:
                self.stage.labels(c, src, stage).observe(result.timings_ms[stage] / 1000)
        fps, dropped, reconnects = self.stats(src)
        seen = self._seen.get(src, (0, 0))
        if dropped < seen[0] or reconnects < seen[1]:
            seen = (0, 0)  # the source was opened again: its counts start again from 0
        self.fps.labels(c, src).set(fps)
        self.dropped.labels(c, src).inc(max(0, dropped - seen[0]))
        self.reconnects.labels(c, src).inc(max(0, reconnects - seen[1]))
        self._seen[src] = (dropped, reconnects)

    def follow(self, settings: object) -> None:
        self.privacy, self.min_group = settings.privacy, settings.min_group  # type: ignore[attr-defined]

    def close(self) -> None:
        server, self._server = getattr(self, "_server", None), None  # type: ignore[assignment]  # stopped
        if server is not None:
            server.shutdown()
            server.server_close()
