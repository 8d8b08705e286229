"""Assembly shared by the CLI, the window and the API: a runner and its outputs from the settings. The
stages themselves are built in build.py (re-exported here)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from . import capture as cap_mod
from .build import DEMO_CLIP, build_detector, build_pipeline, open_capture
from .errors import MonitorError
from .privacy import DEFAULT as DEFAULT_PRIVACY
from .runner import Runner
from .settings import Settings
from .sources import SourceSpec
from .types import Outputs

__all__ = ["DEMO_CLIP", "Outputs", "build_detector", "build_pipeline", "fleet_sinks", "open_capture", "open_runner",
           "open_sources"]


def open_runner(s: Settings, capture: cap_mod.Capture, classifier: Any = None, sinks: Sequence[Any] = (),
                **kwargs: Any) -> Runner:
    """A :class:`~emotion_monitor.runner.Runner` of one opened ``capture`` through the pipeline the settings
    describe (``classifier``: a loaded model to share)."""
    return Runner.of(s, capture, build_pipeline(s, classifier), sinks, **kwargs)


def fleet_sinks(outputs: Outputs, stats: Callable[[str], tuple[float, int, int]], warn: Callable[[str], None],
                sources: Sequence[str] = (), privacy: str = DEFAULT_PRIVACY) -> list[Any]:
    """The metrics endpoint and the alert webhook ``outputs`` ask for (none by default), for the CLI and the
    window alike; ``stats(source)`` gives (fps, dropped, reconnects) of a source, ``warn`` takes
    one-line warnings, ``sources`` names the sources known from the start, ``privacy`` the level the
    webhook's events keep (privacy.py; the metrics have nothing per person at any level)."""
    sinks: list[Any] = []
    if outputs.metrics_port is not None:
        from .metrics import MetricsSink

        sinks.append(MetricsSink(outputs.metrics_port, outputs.name, outputs.metrics_host, stats=stats,
                                 sources=sources))
    if outputs.alert_webhook:
        from .alerts import WebhookSink

        try:
            sinks.append(WebhookSink(outputs.alert_webhook, outputs.name, warn=warn, privacy=privacy))
        except ValueError as exc:
            raise MonitorError(str(exc)) from None
    return sinks


def open_sources(s: Settings, specs: Sequence[SourceSpec], outputs: Outputs, warn: Callable[[str], None],
                 retain: Sequence[str | None] = (), clock: Callable[[], float] | None = None, **kwargs: Any) -> Runner:
    """A runner of ``specs`` with the ``outputs`` asked for (the CSV, the metrics endpoint, the webhook), for
    the CLI and the lanes window alike; ``kwargs`` go to the :class:`~emotion_monitor.runner.Runner`.
    With ``s.keep_days`` the recording starts a new file each UTC day and a :class:`~emotion_monitor.retention.
    Retention` sink deletes this app's old files in the folders of the recording and of ``retain`` (the files
    written at the end: stats, people CSV), at once and every hour of ``clock`` (default: the wall clock;
    tests pass a fake one). Raises MonitorError (one line) with every
    sink it opened closed."""
    from .recording import CsvRecorder
    from .retention import Retention

    sinks: list[Any] = []
    runner: Runner | None = None
    try:
        if outputs.record:
            recorder = CsvRecorder(outputs.record, overwrite=outputs.overwrite, rotate=s.keep_days > 0)
            sinks.append(recorder)
            if recorder.appending_note:  # two sessions in one file, each numbered from id 1: said, not done silently
                warn(f"{recorder.appending_note} (--overwrite starts the file afresh)")
        if s.keep_days:
            retention = Retention(s.keep_days, warn=warn, clock=clock or time.time,
                                  keep=lambda: [p for sink in sinks for p in getattr(sink, "paths", ())[-1:]])
            for path in (outputs.record, *retain):
                if path:
                    retention.watch(path)
            retention.prune()  # at start, before a frame
            sinks.append(retention)

        def stats(source: str) -> tuple[float, int, int]:  # the metrics sink exists before its runner
            return runner.lane_stats(source) if runner else (0.0, 0, 0)

        sinks += fleet_sinks(outputs, stats, warn, sources=[spec.name for spec in specs], privacy=s.privacy)
        runner = Runner(s, specs, sinks=sinks, on_warning=warn, **kwargs)
    except MonitorError:
        for sink in sinks:
            sink.close()
        raise
    return runner
