"""The one run loop: source -> pipeline -> sinks, with alert events, status and a run summary.

Qt-free. The command line iterates :meth:`Session.results` on the main thread; the window's worker
iterates it on a thread of its own. Both get the same alert text and the same clock: an event is
stamped with the frame's own time (UTC wall time when it was captured), so a CSV row, a status line
and the window's alert list agree.

Controls (:meth:`set_paused`, :meth:`add_sink`, :meth:`remove_sink`, :meth:`update_settings`) may
be called from another thread; settings changes are applied between two frames.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Protocol

from psygnal import Signal

from .errors import MonitorError
from .mood import PERSON_REASONS, format_mood, people_text
from .people import PeopleLog
from .privacy import keeps_ids
from .recording import iso_utc
from .settings import Settings
from .types import FrameResult, RunSummary

log = logging.getLogger("emotion_monitor")

DETECTION_SETTINGS = ("detector", "detect_every", "detect_width", "tiles", "tiles_per_frame", "min_confidence",
                      "min_face")


class Sink(Protocol):
    """Anything that takes every result: the CSV recorder, the metrics exporter, the window's view."""

    def write(self, result: FrameResult) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Event:
    """An alert starting or clearing, with the line the CLI prints and the window lists."""

    kind: str  # "alert" or "clear"
    timestamp: float  # the frame's UTC wall time
    frame: int
    score: float
    faces: int
    text: str
    reason: str | None = None  # an alert's rule: "threshold", "drop", "turned" or "alone" (mood.py)
    source: str = ""  # the lane's name when a monitor watches several sources
    who: tuple[int, ...] = ()  # track ids of the people behind an alert, most unhappy first


def event_of(result: FrameResult, settings: Settings, lane: str = "") -> Event | None:
    """The alert or clear event of a result, if it starts or ends one; ``lane`` names the source in
    the text (several sources). At privacy "aggregate" neither the text nor ``who`` names anyone."""
    m, f = result.mood, result.frame
    ids = m.who if keeps_ids(settings.privacy) else ()
    if m.event == "alert":
        faces = f"({m.faces} face{'' if m.faces == 1 else 's'})"
        who = people_text(ids)
        if m.reason in PERSON_REASONS:
            what = (f"{who or 'someone'} below their own resting face" if m.reason == "turned"
                    else f"{who or 'a person'} alone in view, unhappy")
            text = (f"ALERT {iso_utc(f.timestamp)} frame {f.index}: {what} for {settings.person_duration:.0f} s; "
                    f"{format_mood(m.score)} {faces}")
        else:
            bar = (f"below {settings.threshold:+.2f}" if m.reason == "threshold"
                   else f"{settings.drop:.2f} or more below its baseline {m.baseline:+.2f}")
            text = (f"ALERT {iso_utc(f.timestamp)} frame {f.index}: {format_mood(m.score)} {bar} "
                    f"for {settings.duration:.0f} s {faces}" + (f"; lowest {who}" if who else ""))
    elif m.event == "clear":
        text = f"CLEAR {iso_utc(f.timestamp)} frame {f.index}: {format_mood(m.score)}"
    else:
        return None
    if lane:
        text = f"{text[:5]} [{lane}]{text[5:]}"
    return Event(m.event, f.timestamp, f.index, m.score, m.faces, text, m.reason if m.event == "alert" else None, lane,
                 ids if m.event == "alert" else ())


def write_to(sinks: list, result: FrameResult, on_error: Callable[[Sink, str], None] | None) -> None:
    """Give ``result`` to every sink. A sink that fails (MonitorError) goes to ``on_error(sink, message)``,
    which drops it so the run goes on; without ``on_error`` the error ends the run."""
    for sink in list(sinks):
        try:
            sink.write(result)
        except MonitorError as exc:
            if on_error is None:
                raise
            on_error(sink, str(exc))


class RunEvents:
    """What a run tells whoever listens, as signals (psygnal, as napari's): ``event`` each alert or clear
    (:class:`Event`), ``status`` a status line, ``warning`` a one-line warning (logged when nobody
    listens), ``sink_failed`` a sink and its one-line error: with a listener the sink is dropped and the run
    goes on, without one the error ends the run. Connect with ``run.event.connect(fn)``; the ``on_*``
    arguments of the runners connect their callables for you."""

    event = Signal(object)
    status = Signal(str)
    warning = Signal(str)
    sink_failed = Signal(object, str)

    def _listen(self, on_event: Callable[[Event], None] | None = None, on_status: Callable[[str], None] | None = None,
                on_warning: Callable[[str], None] | None = None,
                on_sink_error: Callable[[Sink, str], None] | None = None) -> None:
        for signal, slot in ((self.event, on_event), (self.status, on_status), (self.warning, on_warning),
                             (self.sink_failed, on_sink_error)):
            if slot is not None:
                signal.connect(slot)

    def _warn(self, line: str) -> None:
        if len(self.warning):
            self.warning.emit(line)
        else:
            log.warning("%s", line)

    @property
    def drops_failing_sinks(self) -> bool:
        """Whether a failing sink is dropped (someone listens to ``sink_failed``) or ends the run."""
        return len(self.sink_failed) > 0


class Session(RunEvents):
    """Runs a capture through a pipeline into sinks; tells what happens through :class:`RunEvents`'
    signals: each alert event, a status line about once a second and a last one when the source ends,
    a warning (a file that ended early), a failing sink.
    """

    def __init__(self, settings: Settings, capture, pipeline, sinks=(),
                 on_event: Callable[[Event], None] | None = None, on_status: Callable[[str], None] | None = None,
                 on_sink_error: Callable[[Sink, str], None] | None = None, build_detector=None,
                 on_warning: Callable[[str], None] | None = None, lane: str = "",
                 status_every: float | None = 1.0):
        self.settings, self.capture, self.pipeline = settings, capture, pipeline
        self.lane = lane  # the source's name in alert lines, when a monitor watches several
        self.status_every = status_every  # seconds between status lines; None: only the end-of-source line
        self._sinks = list(sinks)
        self._borrowed: list[Sink] = []  # sinks someone else closes (the window's metrics endpoint)
        self._listen(on_event, on_status, on_warning, on_sink_error)
        self._build_detector = build_detector
        self._lock = threading.Lock()
        self._pending: Settings | None = None
        self.ended = False  # the source ran out (end of a file); False when stopped
        self.fps = 0.0
        self.started: float | None = None
        self.elapsed = 0.0
        self.people = PeopleLog()  # per-person figures for the summary (stats JSON), where privacy keeps them
        self._last_status, self._since = 0.0, 0  # results since the last status line

    # ---- controls (any thread) ------------------------------------------------------------------
    def set_paused(self, paused: bool) -> None:
        """Pause a file where it is (no frame is dropped); a camera keeps only its newest frame."""
        self.capture.set_paused(paused)

    @property
    def paused(self) -> bool:
        return self.capture.paused

    def add_sink(self, sink: Sink, owned: bool = True) -> None:
        """Send every result to ``sink`` from now on; the session closes it at the end unless not ``owned``."""
        with self._lock:
            self._sinks.append(sink)
            if not owned:
                self._borrowed.append(sink)

    def remove_sink(self, sink: Sink) -> None:
        with self._lock:
            if sink in self._sinks:
                self._sinks.remove(sink)
        sink.close()

    @property
    def sinks(self) -> list[Sink]:
        with self._lock:
            return list(self._sinks)

    def update_settings(self, settings: Settings) -> None:
        """Apply new settings from the next frame on (mood at once; detection by a new detector)."""
        with self._lock:
            self._pending = settings

    # ---- the loop -------------------------------------------------------------------------------
    def apply_pending(self) -> None:
        """Apply settings given by :meth:`update_settings` (call between two frames)."""
        with self._lock:
            new, self._pending = self._pending, None
        if new is None or new == self.settings:
            return
        old, self.settings = self.settings, new
        if not keeps_ids(new.privacy):
            self.people.reset()  # a stricter level forgets what the looser one gathered
        self.pipeline.mood.config = new.mood()
        self.pipeline.config = replace(self.pipeline.config, min_face=new.min_face, read_rate=new.read_rate)
        if hasattr(self.pipeline.classifier, "flip_average"):  # the mirror average: from the next batch on
            self.pipeline.classifier.flip_average = new.flip_average
        if any(getattr(old, k) != getattr(new, k) for k in DETECTION_SETTINGS) and self._build_detector:
            previous, self.pipeline.detector = self.pipeline.detector, self._build_detector(new)
            previous.close()
            self.pipeline.tracker.reset(renumber=False)  # new boxes, new ids: the old faces are not carried over

    def results(self, until: Callable[[], bool] = lambda: False) -> Iterator[FrameResult]:
        """Every processed frame's result, until the source ends or ``until()`` is true."""
        self.started = self._last_status = time.monotonic()
        self._since = 0
        try:
            for frame in self.capture.frames(until):
                self.apply_pending()
                result = self.pipeline.process(frame)
                if result is None:
                    continue
                self.deliver(result)
                yield result
            if self.capture.error:
                raise MonitorError(self.capture.error)
            self.end(not until())
        finally:
            self.elapsed = time.monotonic() - self.started

    def deliver(self, result: FrameResult) -> None:
        """Hand one result to the people log, the sinks, the event callback and (once a second) the
        status line. :meth:`results` calls it; a multi-source loop calls it for each lane."""
        if self.started is None:
            self.started = self._last_status = time.monotonic()
        if keeps_ids(self.settings.privacy):
            self.people.update(result)
        write_to(self.sinks, result, self._drop_sink if self.drops_failing_sinks else None)
        event = event_of(result, self.settings, self.lane)
        if event is not None:
            self.event.emit(event)
        self._since += 1
        now = time.monotonic()
        if now - self._last_status >= (self.status_every or 1.0):
            self.fps = self._since / (now - self._last_status)
            m = result.mood
            if self.status_every is not None:
                self.status.emit(f"frame {result.frame.index:6d}  fps {self.fps:5.1f}  faces {m.faces:2d}  "
                               f"{format_mood(m.score, m.learning, m.faces)}  trend {m.trend:+.2f}/min{'  ALERT' if m.alert else ''}")
            self._last_status, self._since = now, 0

    def _drop_sink(self, sink: Sink, message: str) -> None:
        self.remove_sink(sink)
        self.sink_failed.emit(sink, message)

    def end(self, ended: bool) -> None:
        """The source is done: ``ended`` when it ran out (a file's end; then a file cut short warns)."""
        self.ended = ended
        if self.ended and self.capture.info.kind != "camera":
            self.status.emit(f"end of video: {self.pipeline.frames} frames")
            early = getattr(self.capture, "ended_early", lambda: None)()
            if early:
                self._warn(early)

    def run(self, until: Callable[[], bool] = lambda: False) -> RunSummary:
        for _ in self.results(until):
            pass
        return self.summary()

    def summary(self) -> RunSummary:
        p, info = self.pipeline, self.capture.info
        csv_rows = sum(getattr(s, "rows", 0) for s in self.sinks)
        summary: RunSummary = {
            "source": f"{info.kind}:{info.name}", "frames": p.frames, "skipped_frames": p.skipped,
            "dropped_frames": self.capture.dropped, "mean_faces": round(p.faces / max(p.frames, 1), 3),
            "fps": round(p.frames / self.elapsed, 2) if self.elapsed > 0 else 0.0,
            "seconds": round(self.elapsed, 3), "stages": p.stats(), "detector": self.settings.detector,
            "model": getattr(p.classifier, "name", "?"), "csv_rows": csv_rows, "ended": self.ended,
            "privacy": self.settings.privacy,
        }
        if keeps_ids(self.settings.privacy):
            summary["people"] = self.people.summary()
        return summary

    def close(self) -> None:
        self.capture.stop()
        for sink in self.sinks:
            if sink not in self._borrowed:
                sink.close()
        self.pipeline.close()
