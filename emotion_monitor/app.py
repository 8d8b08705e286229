"""Assembly shared by the CLI and the window: a session and its outputs from the settings. The stages
themselves are built in build.py (re-exported here)."""

from __future__ import annotations

from . import capture as cap_mod
from .build import DEMO_CLIP, build_detector, build_pipeline, open_capture
from .errors import MonitorError
from .privacy import DEFAULT as DEFAULT_PRIVACY
from .settings import Settings
from .types import Outputs

__all__ = ["DEMO_CLIP", "Outputs", "build_detector", "build_pipeline", "fleet_sinks", "open_capture", "open_multi",
           "open_session"]


def open_session(s: Settings, capture: cap_mod.Capture, classifier=None, sinks=(), **callbacks):
    """A :class:`Session` of ``capture`` through the pipeline the settings describe."""
    from .session import Session

    return Session(s, capture, build_pipeline(s, classifier), sinks, build_detector=build_detector, **callbacks)


def fleet_sinks(outputs: Outputs, stats, warn, sources=(), privacy: str = DEFAULT_PRIVACY) -> list:
    """The metrics endpoint and the alert webhook ``outputs`` ask for (none by default), for the CLI and the
    window alike; ``stats(source)`` gives (fps, dropped, reconnects) of a source, ``warn`` takes
    one-line warnings, ``sources`` names the sources known from the start, ``privacy`` the level the
    webhook's events keep (privacy.py; the metrics have nothing per person at any level)."""
    sinks: list = []
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


def open_multi(s: Settings, specs, outputs: Outputs, warn, **kwargs):
    """A multi-source session (multi.MultiSession) with the ``outputs`` asked for, for the CLI and the
    lanes window alike: the CSV, the metrics endpoint and the webhook; ``kwargs`` go to the session.
    Raises MonitorError (one line) with every sink it opened closed."""
    from .multi import MultiSession
    from .recording import CsvRecorder

    sinks: list = []
    multi = None
    try:
        if outputs.record:
            sinks.append(CsvRecorder(outputs.record, overwrite=outputs.overwrite, keep_days=outputs.keep_days,
                                     privacy=s.privacy))
            for old in sinks[-1].pruned:
                warn(f"removed {old} (older than {outputs.keep_days:g} days)")

        def stats(source):  # the metrics sink exists before the session it reports on
            return multi.lane_stats(source) if multi else (0.0, 0, 0)

        sinks += fleet_sinks(outputs, stats, warn, sources=[spec.name for spec in specs], privacy=s.privacy)
        multi = MultiSession(s, specs, sinks=sinks, on_warning=warn, **kwargs)
    except MonitorError:
        for sink in sinks:
            sink.close()
        raise
    return multi
