"""Prometheus metrics: a sink that serves ``/metrics`` with the ``prometheus_client`` library.

Run one monitor a camera, each with ``--metrics-port`` and ``--name``; Prometheus scrapes them all
and Grafana shows them (``deploy/`` has the scrape config, an alerting rule for a negative queue and
a dashboard). The endpoint binds to 127.0.0.1 unless ``--metrics-host`` says otherwise: nothing
leaves the machine unless asked.

Every series carries the label ``camera``. Gauges: group mood, faces in view, faces counted in the
mood, alert state (0/1), frames a second. Counters: frames, frames dropped, camera reconnects,
alerts. Histogram: seconds each pipeline stage took on each frame.
"""

from __future__ import annotations

from .errors import MonitorError
from .pipeline import STAGES
from .types import FrameResult

STAGE_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.1, 0.25, 1.0)


class MetricsSink:
    """Updates the metrics from every result; ``stats()`` gives (fps, dropped, reconnects) of the run."""

    def __init__(self, port: int, camera: str = "camera", host: str = "127.0.0.1", stats=lambda: (0.0, 0, 0)):
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

        self.registry = CollectorRegistry()
        r, lab = self.registry, ["camera"]
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
        self.stage = Histogram("emotion_monitor_stage_seconds", "Seconds a pipeline stage took on a frame",
                               ["camera", "stage"], buckets=STAGE_BUCKETS, registry=r)
        self.camera, self.stats = camera, stats
        self._seen = (0, 0)  # dropped, reconnects already counted
        try:
            self._server, self._thread = start_http_server(port, addr=host, registry=r)
        except OSError as exc:
            raise MonitorError(f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}") from exc
        self.port = self._server.server_address[1]
        for m in (self.mood, self.faces, self.counted, self.alert, self.fps, self.frames, self.dropped,
                  self.reconnects, self.alerts):
            m.labels(camera)  # every series exists from the start, at 0

    def write(self, result: FrameResult) -> None:
        c, m = self.camera, result.mood
        self.mood.labels(c).set(m.score)
        self.faces.labels(c).set(len(result.tracks))
        self.counted.labels(c).set(m.faces)
        self.alert.labels(c).set(1 if m.alert else 0)
        self.frames.labels(c).inc()
        if m.event == "alert":
            self.alerts.labels(c).inc()
        for stage in STAGES:
            if stage in result.timings_ms:
                self.stage.labels(c, stage).observe(result.timings_ms[stage] / 1000)
        fps, dropped, reconnects = self.stats()
        if dropped < self._seen[0] or reconnects < self._seen[1]:
            self._seen = (0, 0)  # a new source: its counts start again from 0
        self.fps.labels(c).set(fps)
        self.dropped.labels(c).inc(max(0, dropped - self._seen[0]))
        self.reconnects.labels(c).inc(max(0, reconnects - self._seen[1]))
        self._seen = (dropped, reconnects)

    def close(self) -> None:
        server, self._server = getattr(self, "_server", None), None  # type: ignore[assignment]  # stopped
        if server is not None:
            server.shutdown()
            server.server_close()
