"""Several sources in one monitor: one session per source (a "lane"), one classifier for all.

A shop with four checkout lanes runs one process: ``emotion-monitor --camera 0 --camera 1 --video
lane3.mp4`` or ``--sources lanes.toml``. Each lane keeps what belongs to its source: a capture thread,
a detector (it holds the lane's frame size and search schedule; YuNet's model is 0.2 MB), a tracker
and a mood. The classifier is loaded once and, each round, classifies the faces of every lane that
has a new frame in one batch (``benchmarks/multi.py`` measures one batch against one call a lane).

The loop is single-threaded on purpose: decoding runs on the capture threads (OpenCV releases the GIL)
and the classifier uses the cores itself, so more inference threads would only contend on a small
machine. Each round takes the newest frame of every lane that has one; in real-time mode a lane whose
frames come faster than the loop drops its stale ones (counted per lane), as a single camera does.

Faults stay in their lane: a file that ends or a capture that fails ends that lane with one line
naming it; a camera that stops giving frames is reopened by its capture (one line when it goes, one
when it is back); a camera that cannot be opened at all is tried again every ``retry_every`` seconds.
The run ends when every lane has ended or ``until()`` says so.

The sources and their TOML file: sources.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .errors import SourceError
from .mood import format_mood, format_score
from .session import RunEvents, Session, write_to
from .settings import Settings
from .sources import SourceSpec
from .types import LABELS, FrameResult

log = logging.getLogger("emotion_monitor")

# With several sources the detector searches each frame at 640 px wide unless told otherwise (one source:
# 960). benchmarks/multi.py, this 2-core machine, four 720p sources at 15 fps in real time: 95-98% of
# their frames kept at 640 against 50% at 960 (YuNet takes 25 ms a 640x360 search, 59 ms at 960x540),
# and YuNet, trained at 640, finds as many faces of the street clip at 640 (7.6 a frame) as at 960 (7.1).
MULTI_DEFAULTS = Settings(detect_width=640)


class Lane:
    """One source's session and state: "running", "retrying" (a camera not open yet), "ended" or "failed"."""

    def __init__(self, spec: SourceSpec):
        self.spec = spec
        self.session: Any = None
        self.state = "retrying"
        self.error: str | None = None
        self.next_try = 0.0
        self.last: FrameResult | None = None

    @property
    def name(self) -> str:
        return self.spec.name


def store_mood(results: Sequence[FrameResult | None]) -> tuple[float, int]:
    """The whole store's mood: the lanes' moods weighted by the faces each counts, and those faces."""
    faces = [r.mood.faces for r in results if r is not None]
    total = sum(faces)
    if not total:
        return 0.0, 0
    return sum(r.mood.score * r.mood.faces for r in results if r is not None) / total, total


class MultiSession(RunEvents):
    """Runs several sources through one classifier into shared sinks.

    ``open_capture(spec)`` opens a lane's capture (default: the app's, with ``realtime``,
    ``max_frames`` and ``loop``); ``classifier`` is shared by every lane (default: the settings'
    model). ``sinks`` get every lane's results (``FrameResult.frame.source`` names the lane).
    Its signals (:class:`~emotion_monitor.session.RunEvents`, ``on_*`` connect callables): each lane's alert
    events (their text names the lane), a status line a second for all lanes, one warning line per lane
    fault, a failing sink. ``batch_lanes=False`` classifies
    each lane's faces in a call of its own (for the benchmark).
    """

    def __init__(self, settings: Settings, specs: Sequence[SourceSpec], sinks=(), classifier=None,
                 on_event: Callable | None = None, on_status: Callable[[str], None] | None = None,
                 on_warning: Callable[[str], None] | None = None, open_capture: Callable | None = None,
                 realtime: bool = False, max_frames: int | None = None, loop: bool = False,
                 retry_every: float = 5.0, batch_lanes: bool = True, on_sink_error: Callable | None = None):
        from .build import build_pipeline

        if not specs:
            raise SourceError("no source: give --camera N, --video FILE or --sources FILE")
        self.settings = settings
        self.sinks = list(sinks)
        self._listen(on_event, on_status, on_warning, on_sink_error)
        self._held: list[str] | None = None  # warnings held back while the lanes first open
        self.retry_every, self.batch_lanes = retry_every, batch_lanes
        self._open = open_capture or self._default_opener(realtime, max_frames, loop)
        self._build_pipeline = build_pipeline
        self.lanes = [Lane(s) for s in specs]
        self.classifier = classifier
        self.batches = self.batched_faces = 0
        self.started: float | None = None
        self.elapsed = 0.0
        self.stopped = False
        held = self._held = []  # faults at the start: said only if some source opened
        try:
            for lane in self.lanes:
                self._try_open(lane, first=True)
        finally:
            self._held = None
        if not any(lane.state == "running" for lane in self.lanes):
            raise SourceError("no source could be opened: " + "; ".join(f"{lane.name}: {lane.error}" for lane in self.lanes))
        for line in held:
            self._warn(line)

    @staticmethod
    def _default_opener(realtime, max_frames, loop):
        from .build import open_capture

        def opener(spec: SourceSpec, on_status):
            return open_capture(spec.camera, spec.video, realtime, max_frames, on_status=on_status, loop=loop,
                                source=spec.name)
        return opener

    def _warn(self, line: str) -> None:
        if self._held is not None:
            self._held.append(line)
        else:
            super()._warn(line)

    # ---- lanes ----------------------------------------------------------------------------------
    def _try_open(self, lane: Lane, first: bool = False) -> None:
        name = lane.name
        try:
            capture = self._open(lane.spec, lambda msg: self._warn(f"{name}: {msg}"))
        except SourceError as exc:
            lane.next_try = time.monotonic() + self.retry_every
            if lane.spec.kind == "camera":
                lane.state = "retrying"
                if first or lane.error is None:
                    self._warn(f"{name}: {exc}; tried again every {self.retry_every:g} s, the other sources go on")
            else:
                lane.state = "failed"
                self._warn(f"{name}: {exc}; the other sources go on")
            lane.error = str(exc)
            return
        if self.classifier is None:
            from .classifier import DEFAULT_MODEL, EmotionClassifier

            s = self.settings
            self.classifier = EmotionClassifier(s.model or DEFAULT_MODEL, threads=s.threads, flip_average=s.flip_average)
        if lane.session is not None:  # a camera opened again after failing: a fresh start, same lane
            lane.session.capture.stop()
            lane.session.pipeline.reset()
            lane.session.capture = capture
        else:
            from .build import build_detector

            pipeline = self._build_pipeline(self.settings, self.classifier)
            if hasattr(pipeline.detector, "every"):  # stagger the lanes' searches over the rounds
                pipeline.detector.reset(phase=self.lanes.index(lane))
            lane.session = Session(self.settings, capture, pipeline, build_detector=build_detector, lane=name,
                                   status_every=None, on_event=lambda e: self.event.emit(e),
                                   on_warning=lambda w: self._warn(f"{name}: {w}"),
                                   on_status=lambda line: self.status.emit(f"{name}: {line}"))
        if not first:
            self._warn(f"{name}: opened after {lane.error}")
            capture.start()
        lane.state, lane.error = "running", None

    def _end(self, lane: Lane, until: Callable[[], bool]) -> None:
        capture = lane.session.capture
        if capture.error:
            lane.error = capture.error
            if lane.spec.kind == "camera":
                lane.state, lane.next_try = "retrying", time.monotonic() + self.retry_every
                self._warn(f"{lane.name}: {capture.error}; tried again every {self.retry_every:g} s, "
                                "the other sources go on")
            else:
                lane.state = "failed"
                self._warn(f"{lane.name}: {capture.error}; the other sources go on")
            return
        lane.state = "ended"
        lane.session.end(not until())

    def update_settings(self, settings: Settings) -> None:
        """New settings for every lane from its next frame on."""
        self.settings = settings
        for lane in self.lanes:
            if lane.session is not None:
                lane.session.update_settings(settings)

    def set_paused(self, paused: bool) -> None:
        for lane in self.lanes:
            if lane.session is not None:
                lane.session.set_paused(paused)

    # ---- the loop -------------------------------------------------------------------------------
    def results(self, until: Callable[[], bool] = lambda: False) -> Iterator[FrameResult]:
        """Every lane's results as they come, until every lane ended or ``until()`` is true."""
        self.started = time.monotonic()
        last_status = self.started
        for lane in self.lanes:
            if lane.state == "running":
                lane.session.started = time.monotonic()
                lane.session.capture.start()
        try:
            while not until():
                now = time.monotonic()
                for lane in self.lanes:
                    if lane.state == "retrying" and now >= lane.next_try:
                        self._try_open(lane)
                live = [lane for lane in self.lanes if lane.state == "running"]
                if not live and not any(lane.state == "retrying" for lane in self.lanes):
                    break
                frames = []  # every lane's newest frame first, then the work: the last lane's is no staler
                for lane in live:
                    try:
                        frame = lane.session.capture.get(timeout=0)
                    except TimeoutError:
                        continue
                    if frame is None:
                        self._end(lane, until)
                    else:
                        frames.append((lane, frame))
                batch = []
                for lane, frame in frames:
                    lane.session.apply_pending()
                    prepared = lane.session.pipeline.prepare(frame)
                    if prepared is not None:
                        batch.append((lane, prepared))
                if not batch:
                    time.sleep(0.002 if live else 0.1)
                    continue
                for lane, result in self._classify(batch):
                    lane.last = result
                    lane.session.deliver(result)
                    write_to(self.sinks, result, self._drop_sink if self.drops_failing_sinks else None)
                    yield result
                if now - last_status >= 1.0:
                    self.status.emit(self.status_line(now - last_status))
                    last_status = now
        finally:
            self.elapsed = time.monotonic() - self.started
            for lane in self.lanes:
                if lane.session is not None and lane.session.started is not None:
                    lane.session.elapsed = self.elapsed

    def _classify(self, batch) -> list:
        """Each prepared frame's result; the faces of every lane in one classifier call (or one a lane)."""
        crops = [p.crops[p.pick] for _, p in batch]
        counts = [len(c) for c in crops]
        out = []
        if self.batch_lanes:
            t = time.perf_counter()
            probs = (self.classifier(np.concatenate(crops)) if sum(counts)
                     else np.zeros((0, len(LABELS)), np.float32))
            dt = time.perf_counter() - t
            self.batches += 1
            self.batched_faces += sum(counts)
            start = 0
            for (lane, p), n in zip(batch, counts):
                out.append((lane, lane.session.pipeline.finish(p, probs[start:start + n], dt * n / max(sum(counts), 1))))
                start += n
            return out
        for (lane, p), c in zip(batch, crops):
            t = time.perf_counter()
            probs = self.classifier(c) if len(c) else np.zeros((0, len(LABELS)), np.float32)
            self.batches += 1
            self.batched_faces += len(c)
            out.append((lane, lane.session.pipeline.finish(p, probs, time.perf_counter() - t)))
        return out

    def _drop_sink(self, sink, message: str) -> None:
        self.sinks.remove(sink)
        sink.close()
        self.sink_failed.emit(sink, message)

    def lane_stats(self, source: str) -> tuple[float, int, int]:
        """(fps, dropped frames, reconnects) of a lane, for the metrics endpoint; zeros for one not open."""
        lane = next((la for la in self.lanes if la.name == source), None)
        if lane is None or lane.session is None:
            return 0.0, 0, 0
        return lane.session.fps, lane.session.capture.dropped, lane.session.capture.reconnects

    def store_mood(self) -> tuple[float, int]:
        """The whole store's mood now (see :func:`store_mood`)."""
        return store_mood([lane.last for lane in self.lanes if lane.state == "running"])

    def status_line(self, seconds: float = 1.0) -> str:
        parts = []
        for lane in self.lanes:
            s = lane.session
            if lane.state != "running":
                parts.append(f"{lane.name}: {lane.state}")
                continue
            m = lane.last.mood if lane.last else None
            parts.append(f"{lane.name}: {s.fps:4.1f} fps {m.faces if m else 0:2d} faces "
                         f"{format_score(m.score) if m else '  -  '}{f' learning {m.learning}' if m and m.learning else ''}"
                         f"{' ALERT' if m and m.alert else ''}")
        score, faces = self.store_mood()
        return f"store {format_mood(score)} ({faces} faces) | " + " | ".join(parts)

    def run(self, until: Callable[[], bool] = lambda: False) -> dict:
        for _ in self.results(until):
            pass
        return self.summary()

    def summary(self) -> dict:
        """Per-source figures (each lane's session summary, its state and error) and the totals."""
        lanes = {}
        for lane in self.lanes:
            entry = lane.session.summary() if lane.session is not None else {"frames": 0}
            entry.update(state=lane.state, error=lane.error)
            lanes[lane.name] = entry
        frames = sum(e["frames"] for e in lanes.values())
        return {
            "sources": lanes, "frames": frames, "seconds": round(self.elapsed, 3),
            "fps": round(frames / self.elapsed, 2) if self.elapsed > 0 else 0.0,
            "classifier_calls": self.batches,
            "faces_per_call": round(self.batched_faces / self.batches, 2) if self.batches else 0.0,
            "csv_rows": sum(getattr(s, "rows", 0) for s in self.sinks),
        }

    def close(self) -> None:
        for lane in self.lanes:
            if lane.session is not None:
                lane.session.capture.stop()
                lane.session.pipeline.detector.close()
        for sink in self.sinks:
            sink.close()
        close = getattr(self.classifier, "close", None)
        if close:
            close()

