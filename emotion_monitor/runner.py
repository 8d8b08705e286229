"""The one run loop: N sources ("lanes"; one source is one lane) -> their pipelines -> one classifier
-> the sinks, with alert events, status lines and a run summary. The command line, the window (one
source or a grid), batch and the public :class:`~emotion_monitor.Monitor` all run it.

Qt-free and single-threaded on purpose: decoding runs on the capture threads (OpenCV releases the GIL)
and the classifier uses the cores itself, so more inference threads would only contend on a small
machine. Each round takes the newest frame of every lane that has one and classifies the faces of all
of them in one batch (``benchmarks/multi.py`` measures one batch against one call a lane); in real-time
mode a lane whose frames come faster than the loop drops its stale ones (counted per lane).

Faults stay in their lane: with several sources a file that ends or a capture that fails ends that
lane with one line naming it and a camera that cannot be opened is tried again every ``retry_every``
seconds; with one source its failure ends the run (MonitorError). The run ends when every lane has
ended or ``until()`` says so.

Controls (:meth:`Runner.set_paused`, :meth:`~Runner.add_sink`, :meth:`~Runner.remove_sink`,
:meth:`~Runner.update_settings`) may be called from another thread; settings changes are applied
between two frames.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from .errors import MonitorError, SourceError
from .events import Event, RunEvents, Sink, event_of, follow, write_to
from .lane import Lane, classify_together, sources_summary, status_line, store_mood
from .settings import Settings
from .sources import SourceSpec
from .types import CaptureOptions, FrameResult, RunSummary, SourcesSummary

# With several sources the detector searches each frame at 640 px wide unless told otherwise (one source:
# 960). benchmarks/multi.py, this 2-core machine, four 720p sources at 15 fps in real time: 95-98% of
# their frames kept at 640 against 50% at 960 (YuNet takes 25 ms a 640x360 search, 59 ms at 960x540),
# and YuNet, trained at 640, finds as many faces of the street clip at 640 (7.6 a frame) as at 960 (7.1).
MULTI_DEFAULTS = Settings(detect_width=640)

Opener = Callable[[SourceSpec, Callable[[str], None]], Any]  # (spec, warn) -> an unstarted Capture


class Runner(RunEvents):
    """Runs one or several sources through one classifier into shared sinks.

    ``specs`` name the sources; ``open_capture(spec, warn)`` opens one (default: the app's, read as
    ``capture_options`` say) and ``build_pipeline(settings, classifier)`` builds its
    stages (default: the settings'); ``classifier`` is shared by every lane (default: the settings'
    model). ``sinks`` get every lane's results (``FrameResult.frame.source`` names the lane); the runner
    closes them at the end. ``named``: alert lines, warnings and status name their lane (default: with
    several sources). Its signals (:class:`~emotion_monitor.events.RunEvents`; the ``on_*`` arguments
    connect callables): each alert event, a status line a second (one source: its frame, rate and mood;
    several: the store's and each lane's) and one when a file ends, one warning line per lane fault, a
    failing sink. ``batch_lanes=False`` classifies each lane's faces in a call of its own (benchmark).
    """

    def __init__(self, settings: Settings, specs: Sequence[SourceSpec], sinks: Sequence[Sink] = (),
                 classifier: Any = None, *, open_capture: Opener | None = None,
                 build_pipeline: Callable[[Settings, Any], Any] | None = None,
                 capture_options: CaptureOptions = CaptureOptions(), retry_every: float = 5.0,
                 batch_lanes: bool = True, named: bool | None = None,
                 on_event: Callable[[Event], None] | None = None, on_status: Callable[[str], None] | None = None,
                 on_warning: Callable[[str], None] | None = None,
                 on_sink_error: Callable[[Sink, str], None] | None = None):
        from .build import build_detector
        from .build import build_pipeline as default_pipeline

        if not specs:
            raise SourceError("no source: give --camera N, --video FILE or --sources FILE")
        self.settings = settings
        self.named = len(specs) > 1 if named is None else named
        self._sinks = follow(list(sinks), settings)  # one level: every sink takes the run's, or refuses in one line
        self._borrowed: list[Sink] = []  # sinks someone else closes (the window's metrics endpoint)
        self._lock = threading.RLock()  # the sinks' list, held while a result goes to them (remove_sink waits)
        self._listen(on_event, on_status, on_warning, on_sink_error)
        self._held: list[str] | None = None  # warnings held back while the lanes first open
        self.retry_every, self.batch_lanes = retry_every, batch_lanes
        self._open = open_capture or self._default_opener(capture_options)
        self._build_pipeline = build_pipeline or default_pipeline
        self._build_detector = build_detector
        self.lanes = [Lane(s, settings) for s in specs]
        self.classifier = classifier
        self.batches = self.batched_faces = 0
        self.started: float | None = None
        self.elapsed = 0.0
        held = self._held = []  # faults at the start: said only if some source opened
        try:
            for lane in self.lanes:
                self._try_open(lane, first=True)
        finally:
            self._held = None
        if not any(lane.state == "running" for lane in self.lanes):  # nothing opened: nothing to close
            if len(self.lanes) == 1:
                raise SourceError(self.lanes[0].error or "the source could not be opened")
            raise SourceError("no source could be opened: " + "; ".join(f"{lane.name}: {lane.error}" for lane in self.lanes))
        for line in held:
            self._warn(line)

    @classmethod
    def of(cls, settings: Settings, capture: Any, pipeline: Any = None, sinks: Sequence[Sink] = (),
           **kwargs: Any) -> Runner:
        """A runner of one source already opened (``capture``), through ``pipeline`` (default: the
        settings'; ``classifier=`` may share a loaded model)."""
        kind = capture.info.kind
        spec = SourceSpec(capture.source or capture.info.name or kind, camera=0 if kind == "camera" else None,
                          video=None if kind == "camera" else capture.info.name or kind)
        if pipeline is not None:
            kwargs.update(classifier=pipeline.classifier, build_pipeline=lambda _s, _c: pipeline)
        return cls(settings, [spec], sinks, open_capture=lambda _spec, _warn: capture, **kwargs)

    @staticmethod
    def _default_opener(options: CaptureOptions) -> Opener:
        from .build import open_capture

        def opener(spec: SourceSpec, warn: Callable[[str], None]) -> Any:
            return open_capture(spec.camera, spec.video, options, on_status=warn, source=spec.name)
        return opener

    def _warn(self, line: str) -> None:
        if self._held is not None:
            self._held.append(line)
        else:
            super()._warn(line)

    def _say(self, lane: Lane, line: str) -> str:
        return f"{lane.name}: {line}" if self.named else line

    # ---- controls (any thread) ------------------------------------------------------------------
    def update_settings(self, settings: Settings) -> None:
        """New settings for every lane from its next frame on (mood at once; detection by a new detector)."""
        self.settings = settings
        for lane in self.lanes:
            lane.update_settings(settings)

    def set_paused(self, paused: bool) -> None:
        """Pause a file where it is (no frame is dropped); a camera keeps only its newest frame."""
        for lane in self.lanes:
            if lane.capture is not None:
                lane.capture.set_paused(paused)

    @property
    def paused(self) -> bool:
        return any(lane.capture is not None and lane.capture.paused for lane in self.lanes)

    def add_sink(self, sink: Sink, owned: bool = True) -> None:
        """Send every result to ``sink`` from now on; the runner closes it at the end unless not ``owned``."""
        with self._lock:
            self._sinks += follow([sink], self.settings)
            if not owned:
                self._borrowed.append(sink)

    def remove_sink(self, sink: Sink) -> None:
        """No more results to ``sink``, closed once no write is under way (a CSV closed under one stopped the run)."""
        with self._lock:
            if sink in self._sinks:
                self._sinks.remove(sink)
        sink.close()

    @property
    def sinks(self) -> list[Sink]:
        with self._lock:
            return list(self._sinks)

    # ---- lanes ----------------------------------------------------------------------------------
    def _try_open(self, lane: Lane, first: bool = False) -> None:
        try:
            capture = self._open(lane.spec, lambda msg: self._warn(self._say(lane, msg)))
        except SourceError as exc:
            lane.next_try = time.monotonic() + self.retry_every
            if lane.spec.kind == "camera" and self.named:
                lane.state = "retrying"
                if first or lane.error is None:
                    self._warn(f"{lane.name}: {exc}; tried again every {self.retry_every:g} s, the other sources go on")
            else:
                lane.state = "failed"
                if self.named:
                    self._warn(f"{lane.name}: {exc}; the other sources go on")
            lane.error = str(exc)
            return
        if lane.pipeline is not None:  # a camera opened again after failing: a fresh start, same lane
            lane.capture.stop()
            lane.pipeline.reset()
            lane.capture = capture
        else:
            if self.classifier is None:
                from .classifier import DEFAULT_MODEL, EmotionClassifier

                s = self.settings
                self.classifier = EmotionClassifier(s.model or DEFAULT_MODEL, threads=s.threads,
                                                    flip_average=s.flip_average)
            lane.capture, lane.pipeline = capture, self._build_pipeline(self.settings, self.classifier)
            lane.pipeline.config = replace(lane.pipeline.config, zones=lane.zones())
            if len(self.lanes) > 1 and hasattr(lane.pipeline.detector, "every"):  # stagger the lanes' searches
                lane.pipeline.detector.reset(phase=self.lanes.index(lane))
        if not first:
            self._warn(f"{lane.name}: opened after {lane.error}")
            capture.start()
        lane.state, lane.error = "running", None

    def _end(self, lane: Lane, until: Callable[[], bool]) -> None:
        capture = lane.capture
        if capture.error:
            lane.error = capture.error
            if not self.named:
                lane.state = "failed"
                return
            if lane.spec.kind == "camera":
                lane.state, lane.next_try = "retrying", time.monotonic() + self.retry_every
                self._warn(f"{lane.name}: {capture.error}; tried again every {self.retry_every:g} s, "
                           "the other sources go on")
            else:
                lane.state = "failed"
                self._warn(f"{lane.name}: {capture.error}; the other sources go on")
            return
        lane.state = "ended"
        lane.ended = not until()
        if lane.ended and capture.info.kind != "camera":
            self.status.emit(self._say(lane, lane.end_line()))
            early = getattr(capture, "ended_early", lambda: None)()
            if early:
                self._warn(self._say(lane, early))

    # ---- the loop -------------------------------------------------------------------------------
    def results(self, until: Callable[[], bool] = lambda: False) -> Iterator[FrameResult]:
        """Every lane's results as they come, until every lane ended or ``until()`` is true. With one
        source, a capture that failed raises MonitorError at the end."""
        self.started = last_status = time.monotonic()
        for lane in self.lanes:
            if lane.state == "running":
                lane.restart_count()
                lane.capture.start()
        try:
            while not until():
                now = time.monotonic()
                for lane in self.lanes:
                    if lane.state == "retrying" and now >= lane.next_try:
                        self._try_open(lane)
                live = [lane for lane in self.lanes if lane.state == "running"]
                if not live and not any(lane.state == "retrying" for lane in self.lanes):
                    break
                # one source waits for its next frame; several take each newest frame there is, then work
                wait = 0.05 if len(live) == 1 else 0
                frames = []
                for lane in live:
                    try:
                        frame = lane.capture.get(timeout=wait)
                    except TimeoutError:
                        continue
                    if frame is None:
                        self._end(lane, until)
                    else:
                        frames.append((lane, frame))
                batch = []
                for lane, frame in frames:
                    lane.apply_pending(self._build_detector)
                    prepared = lane.pipeline.prepare(frame)
                    if prepared is not None:
                        batch.append((lane, prepared))
                if not batch:
                    if not wait:
                        time.sleep(0.002 if live else 0.1)
                    continue
                calls, faces, out = classify_together(self.classifier, batch, self.batch_lanes)
                self.batches += calls
                self.batched_faces += faces
                for lane, result in out:
                    self._deliver(lane, result)
                    yield result
                if self.named and now - last_status >= 1.0:
                    self.status.emit(self.status_line())
                    last_status = now
        finally:
            self.elapsed = time.monotonic() - self.started
            for lane in self.lanes:
                lane.elapsed = self.elapsed
        failed = [lane for lane in self.lanes if lane.state == "failed"]
        if not self.named and failed:
            raise MonitorError(failed[0].error or "the source failed")

    def _deliver(self, lane: Lane, result: FrameResult) -> None:
        """Hand one result to its lane (people, frame rate), the sinks, the event signal and, with one
        source, the status line once a second."""
        if lane.count(result) and not self.named:
            self.status.emit(lane.status_line())
        with self._lock:
            write_to(self.sinks, result, self._drop_sink if self.drops_failing_sinks else None)
        event = event_of(result, lane.settings, lane.name if self.named else "")
        if event is not None:
            self.event.emit(event)

    def _drop_sink(self, sink: Sink, message: str) -> None:
        self.remove_sink(sink)
        self.sink_failed.emit(sink, message)

    def run(self, until: Callable[[], bool] = lambda: False) -> RunSummary | SourcesSummary:
        for _ in self.results(until):
            pass
        return self.summary()

    # ---- what it tells --------------------------------------------------------------------------
    def lane_stats(self, source: str) -> tuple[float, int, int]:
        """(fps, dropped frames, reconnects) of a lane, for the metrics endpoint; zeros for one not open."""
        lane = next((la for la in self.lanes if la.name == source and la.capture is not None), None)
        return (0.0, 0, 0) if lane is None else (lane.fps, lane.capture.dropped, lane.capture.reconnects)

    def store_mood(self) -> tuple[float, int]:
        """The whole store's mood now (see :func:`~emotion_monitor.lane.store_mood`)."""
        return store_mood([lane.last for lane in self.lanes if lane.state == "running"])

    def status_line(self) -> str:
        """The store's mood and each lane's rate, faces and mood (the several-source status line)."""
        return status_line(self.lanes)

    def summary(self) -> RunSummary | SourcesSummary:
        """One source: its figures (:class:`~emotion_monitor.RunSummary`). Several: each source's, with its
        state and error, and the totals (:class:`~emotion_monitor.SourcesSummary`)."""
        csv_rows = sum(getattr(s, "rows", 0) for s in self.sinks)
        if not self.named:
            return self.lanes[0].summary(csv_rows)
        return sources_summary(self.lanes, self.elapsed, self.batches, self.batched_faces, csv_rows)

    def close(self) -> None:
        """Stop every source, close the sinks it owns, the detectors and the classifier (idempotent)."""
        for lane in self.lanes:
            if lane.capture is not None:
                lane.capture.stop()
            if lane.pipeline is not None:
                lane.pipeline.detector.close()
        for sink in self.sinks:
            if sink not in self._borrowed:
                sink.close()
        close = getattr(self.classifier, "close", None)
        if close:
            close()
