"""Assembly shared by the CLI and the window: settings -> detector, pipeline, capture, session."""

from __future__ import annotations

from pathlib import Path

from . import capture as cap_mod
from .errors import MonitorError, SourceError
from .native import quiet_native_loading
from .privacy import DEFAULT as DEFAULT_PRIVACY
from .resources import bundled
from .settings import Settings

DEMO_CLIP = bundled("assets", "demo.mp4")


def build_detector(s: Settings):
    """The face detector the settings describe."""
    from .detection import create

    with quiet_native_loading():
        if s.detector == "yunet":
            return create("yunet", every=s.detect_every, max_width=s.detect_width, min_face=s.min_face)
        if s.detector == "mediapipe":
            return create("mediapipe", min_confidence=s.min_confidence, tiles=s.tile_grid(),
                          tiles_per_frame=s.tiles_per_frame or None, min_face=s.min_face)
        return create(s.detector, min_face=s.min_face)


def build_pipeline(s: Settings, classifier=None):
    """Detector, classifier, tracker and mood monitor wired into a Pipeline."""
    from .classifier import DEFAULT_MODEL, EmotionClassifier
    from .mood import MoodMonitor
    from .pipeline import Pipeline, PipelineConfig

    with quiet_native_loading():
        clf = classifier or EmotionClassifier(s.model or DEFAULT_MODEL, threads=s.threads, flip_average=s.flip_average)
    return Pipeline(build_detector(s), clf, mood=MoodMonitor(s.mood()),
                    config=PipelineConfig(min_face=s.min_face, read_rate=s.read_rate))


def open_capture(camera: int | None = None, video: str | None = None, realtime: bool = False,
                 max_frames: int | None = None, on_status=None, loop: bool = False,
                 sample_fps: float | None = None, source: str | None = None) -> cap_mod.Capture:
    """A capture of the camera or the video file (SourceError with one line if it cannot be opened);
    ``source`` names its frames (default: the index or path)."""
    if camera is not None:
        return cap_mod.Capture(cap_mod.open_camera(camera), "camera", str(camera), max_frames=max_frames,
                               on_status=on_status, source=source)
    if video is None:
        raise SourceError("no source: give --camera N or --video FILE")
    path = Path(video)
    if not path.is_file():
        raise SourceError(f"video not found: {path}")
    return cap_mod.Capture(cap_mod.open_video(path), "video", str(path), realtime=realtime, max_frames=max_frames,
                           on_status=on_status, loop=loop, sample_fps=sample_fps, source=source)


def open_session(s: Settings, capture: cap_mod.Capture, classifier=None, sinks=(), **callbacks):
    """A :class:`Session` of ``capture`` through the pipeline the settings describe."""
    from .session import Session

    return Session(s, capture, build_pipeline(s, classifier), sinks, build_detector=build_detector, **callbacks)


def fleet_sinks(name: str, metrics_port: int | None, metrics_host: str, alert_webhook: str | None, stats,
                warn, sources=(), privacy: str = DEFAULT_PRIVACY) -> list:
    """The metrics endpoint and the alert webhook asked for (none by default), for the CLI and the
    window alike; ``stats(source)`` gives (fps, dropped, reconnects) of a source, ``warn`` takes
    one-line warnings, ``sources`` names the sources known from the start, ``privacy`` the level the
    webhook's events keep (privacy.py; the metrics have nothing per person at any level)."""
    sinks: list = []
    if metrics_port is not None:
        from .metrics import MetricsSink

        sinks.append(MetricsSink(metrics_port, name, metrics_host, stats=stats, sources=sources))
    if alert_webhook:
        from .alerts import WebhookSink

        try:
            sinks.append(WebhookSink(alert_webhook, name, warn=warn, privacy=privacy))
        except ValueError as exc:
            raise MonitorError(str(exc)) from None
    return sinks


def open_multi(s: Settings, specs, args, warn, **kwargs):
    """A multi-source session (multi.MultiSession) with the outputs ``args`` ask for, for the CLI and the
    lanes window alike: the CSV (``--record``, ``--overwrite``), the metrics endpoint and the webhook;
    ``kwargs`` go to the session. Raises MonitorError (one line) with every sink it opened closed."""
    from .multi import MultiSession
    from .recording import CsvRecorder

    sinks: list = []
    multi = None
    try:
        if getattr(args, "record", None):
            keep = getattr(args, "keep_days", 0) or 0
            sinks.append(CsvRecorder(args.record, overwrite=getattr(args, "overwrite", False), keep_days=keep,
                                     privacy=s.privacy))
            for old in sinks[-1].pruned:
                warn(f"removed {old} (older than {keep:g} days)")

        def stats(source):  # the metrics sink exists before the session it reports on
            return multi.lane_stats(source) if multi else (0.0, 0, 0)

        sinks += fleet_sinks(args.name, args.metrics_port, args.metrics_host, args.alert_webhook, stats, warn,
                             sources=[spec.name for spec in specs], privacy=s.privacy)
        multi = MultiSession(s, specs, sinks=sinks, on_warning=warn, **kwargs)
    except MonitorError:
        for sink in sinks:
            sink.close()
        raise
    return multi
