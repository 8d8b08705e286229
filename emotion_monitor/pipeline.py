"""The pipeline: frame -> detections -> crops -> probabilities -> tracks -> mood, timed per stage.

Qt-free and synchronous. :class:`runner.Runner` drives it for the CLI, the window, batch and the API:
:meth:`Pipeline.prepare` for each source's frame, one classifier batch for all of them, then
:meth:`Pipeline.finish`; :meth:`Pipeline.process` runs the three on one frame (tests, benchmarks).
The runner hands each :class:`FrameResult` to the sinks (overlay, CSV, window, metrics, webhook).
:func:`keep_faces` is the frame's filters, which ``analyze()`` shares.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from .classifier import EmotionModel
from .crops import crop_faces
from .detection import FaceDetector
from .matching import on_one_head
from .mood import MoodConfig, MoodMonitor
from .native import quiet_native_stderr
from .quality import QualityGate
from .tracking import Tracker, describe
from .types import LABELS, Departure, Detections, Frame, FrameResult, StageTimes, Track, Zone
from .zones import OUTSIDE, QueueClock, zone_of

log = logging.getLogger("emotion_monitor")
STAGES = ("detect", "crop", "classify", "track", "mood", "total")


def sanitize(image: object) -> np.ndarray | None:
    """A frame as uint8 BGR (H, W, 3), or None with a warning when it cannot be one."""
    if image is None:
        log.warning("skipped a frame: no image")
        return None
    img = np.asarray(image)
    if img.size == 0 or img.ndim not in (2, 3) or min(img.shape[:2]) < 8:
        log.warning("skipped a frame: empty or malformed (shape %s)", img.shape)
        return None
    if img.dtype != np.uint8:
        if img.dtype.kind == "f" and np.isfinite(img).all() and img.max() <= 1.0 and img.min() >= 0.0:
            img = (img * 255).round().astype(np.uint8)
        else:
            log.warning("skipped a frame: pixel type %s is not 8-bit", img.dtype)
            return None
    if img.ndim == 2 or img.shape[2] == 1:
        return cv2.cvtColor(img.reshape(img.shape[:2]), cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    if img.shape[2] != 3:
        log.warning("skipped a frame: %d channels", img.shape[2])
        return None
    return np.ascontiguousarray(img)


@dataclass
class PipelineConfig:
    min_face: int = 0  # pixels; smaller detections are ignored
    margin: float = 0.15  # crop margin around a box, each side, as a share of its size
    max_faces: int = 64  # largest faces kept per frame
    classify_budget: int = 24  # faces classified per frame; beyond it the stalest are refreshed first
    read_rate: float = 0.0  # each face read again at most this many times a second (new faces at once); 0: every frame
    quality: QualityGate | None = QualityGate()  # faces that fail it stay tracked but leave the mood; None: off
    zones: tuple[Zone, ...] = ()  # where people queue (zones.py): faces outside every zone leave the mood


def keep_faces(dets: Detections, config: PipelineConfig,
               admit: Callable[[Detections], np.ndarray] | None = None) -> Detections:
    """The faces of one frame worth reading, the same for the monitor and for ``analyze()``: none smaller than
    ``min_face``, one box a head (a second one on its hair or forehead is dropped), ``admit``'s choice (the
    monitor's tracker lets weak boxes only continue a face; ``analyze`` keeps the detector's confident ones),
    and the ``max_faces`` largest."""
    if config.min_face and len(dets):
        wh = dets.xyxy[:, 2:] - dets.xyxy[:, :2]
        dets = dets[np.min(wh, axis=1) >= config.min_face]
    if len(dets) > 1:
        dets = dets[~on_one_head(dets.xyxy)]
    if len(dets) and admit is not None:
        dets = dets[admit(dets)]
    if len(dets) > config.max_faces:
        dets = dets[np.argsort(-dets.area)[: config.max_faces]]
    return dets


@dataclass
class Prepared:
    """A frame between :meth:`Pipeline.prepare` and :meth:`Pipeline.finish`: its detections and
    crops, and ``pick``, the indices of the crops to classify."""

    frame: Frame
    dets: Detections
    crops: np.ndarray
    quality: Any
    features: Callable[[list[int]], np.ndarray]
    pick: np.ndarray
    times: dict[str, float]
    pick_s: float  # seconds spent choosing the faces to classify (counted in "classify")
    prepare_s: float  # seconds from the frame's arrival to the end of prepare
    searched: bool = True  # whether the detector searched this frame (its schedule skips some)


class Pipeline:
    def __init__(self, detector: FaceDetector, classifier: EmotionModel, tracker: Tracker | None = None,
                 mood: MoodMonitor | None = None,
                 config: PipelineConfig | None = None, keep_timings: int = 20_000):
        self.detector = detector
        self.classifier = classifier
        self.config = config or PipelineConfig()
        self.tracker = tracker or Tracker()
        self.mood = mood or MoodMonitor(MoodConfig())
        self.queue = QueueClock()  # each person's stay in a zone
        self.timings: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=keep_timings))
        self.frames = 0
        self.faces = 0
        self.skipped = 0

    def process(self, frame: Frame) -> FrameResult | None:
        """Run every stage on one frame; None (and a warning) for a frame that is not an image."""
        p = self.prepare(frame)
        if p is None:
            return None
        t = time.perf_counter()
        probs = self.classifier(p.crops[p.pick]) if len(p.pick) else np.zeros((0, len(LABELS)), np.float32)
        return self.finish(p, probs, time.perf_counter() - t)

    def prepare(self, frame: Frame) -> Prepared | None:
        """The stages before classification: detect and crop, and pick the faces to classify (all of
        them, or in a crowd the stalest ``classify_budget``). With :meth:`finish` this lets one batch
        of the classifier serve several pipelines (several cameras, ``runner.Runner``)."""
        t0 = time.perf_counter()
        image = sanitize(frame.image)
        if image is None:
            self.skipped += 1
            return None
        frame = replace(frame, image=image)
        times = {}
        t = time.perf_counter()
        # native runtimes log their lazy set-up on the first inference; keep the console clean
        with quiet_native_stderr() if self.frames == 0 else contextlib.nullcontext():
            dets = self.detector(image, hints=self.tracker.hints())
        # boxes below the detector's own threshold only continue faces (tracking.Tracker.admit)
        self.tracker.strong = getattr(self.detector, "score_threshold", 0.0)
        dets = keep_faces(dets, self.config, lambda d: self.tracker.admit(d, frame.media_time))
        times["detect"] = time.perf_counter() - t
        t = time.perf_counter()
        size = getattr(self.classifier, "size", 48)
        crops = crop_faces(image, dets, size, self.config.margin)
        quality = self.config.quality.assess(dets, crops) if self.config.quality else None
        times["crop"] = time.perf_counter() - t

        def features(idx: list[int]) -> np.ndarray:  # appearance, computed for the detections the tracker asks about
            return describe(image, dets[idx], crops[idx])

        t = time.perf_counter()
        pick = self._pick(dets, frame.media_time, features)
        end = time.perf_counter()
        return Prepared(frame, dets, crops, quality, features, pick, times, pick_s=end - t, prepare_s=end - t0,
                        searched=bool(getattr(self.detector, "fresh", True)))

    def finish(self, p: Prepared, probs: np.ndarray, classify_s: float = 0.0) -> FrameResult:
        """The stages after classification: ``probs`` holds the probabilities of ``p.crops[p.pick]``
        (faces not picked keep their smoothed readings); ``classify_s`` is this frame's share of the
        classifier's time."""
        t0 = time.perf_counter()
        frame, dets, times = p.frame, p.dets, dict(p.times)
        full = probs
        if len(p.pick) != len(dets):
            full = np.full((len(dets), len(LABELS)), np.nan, np.float32)
            full[p.pick] = probs
        times["classify"] = p.pick_s + classify_s
        t = time.perf_counter()
        tracks = self.tracker.update(dets, full, frame.media_time, p.quality, p.features, searched=p.searched)
        left: tuple[Departure, ...] = ()
        if self.config.zones:
            tracks, left = self._queue(tracks, frame)
        times["track"] = time.perf_counter() - t
        t = time.perf_counter()
        mood = self.mood.update(tracks, frame.media_time)
        times["mood"] = time.perf_counter() - t
        times["total"] = p.prepare_s + classify_s + time.perf_counter() - t0  # not the time it waited for others
        for k, v in times.items():
            self.timings[k].append(v * 1000)
        self.frames += 1
        self.faces += len(tracks)
        return FrameResult(frame, dets, tracks, mood, {k: v * 1000 for k, v in times.items()}, left, self.config.zones)

    def _queue(self, tracks: tuple[Track, ...], frame: Frame) -> tuple[tuple[Track, ...], tuple[Departure, ...]]:
        """Each face's zone and wait so far; faces in no zone marked "outside" (they leave the mood)."""
        h, w = frame.image.shape[:2]
        names = zone_of(tracks, self.config.zones, w, h)
        ended = self.queue.update([(t.track_id, n) for t, n in zip(tracks, names) if n], frame.media_time)
        placed = tuple(replace(t, zone=n, waited=round(self.queue.waited(t.track_id), 2),
                               quality=t.quality if n else OUTSIDE) for t, n in zip(tracks, names))
        return placed, tuple(Departure(tid, s.zone, round(s.waited, 2)) for tid, s in ended)

    def _pick(self, dets: Detections, now: float,
              features: Callable[[list[int]], np.ndarray] | None = None) -> np.ndarray:
        """Indices of the faces to classify, in one batch. With ``read_rate`` only faces last read at least
        ``1 / read_rate`` seconds ago (and new ones) are; in a crowd beyond ``classify_budget`` only the
        faces classified longest ago (new ones first) are. The others get NaN rows and keep their smoothed
        readings: each face is refreshed every other frame or so instead of frames being dropped."""
        budget, rate = self.config.classify_budget, self.config.read_rate
        crowd = bool(budget) and len(dets) > budget
        if not len(dets) or (not rate and not crowd):
            return np.arange(len(dets))
        ages = self.tracker.staleness(dets, now, features)
        due = np.flatnonzero(ages >= 1.0 / rate - 1e-3) if rate else np.arange(len(dets))  # 1 ms: float clocks
        order = due[np.argsort(-ages[due], kind="stable")]
        if crowd:
            order = order[: max(budget, int(np.isinf(ages).sum()))]
        return np.sort(order)

    def reset(self) -> None:
        """Start over for a new source: faces, mood, the detector's schedule, counters and timings."""
        self.tracker.reset()
        self.mood.reset()
        self.queue = QueueClock(self.queue.leave_after)
        self.detector.reset()
        self.frames = self.faces = self.skipped = 0
        self.timings.clear()

    def stats(self) -> dict[str, StageTimes]:
        """p50/p95 milliseconds per stage and end to end, over the last ``keep_timings`` frames."""
        out: dict[str, StageTimes] = {}
        for k in STAGES:
            v = np.array(self.timings.get(k, ()), np.float64)
            if v.size:
                out[k] = {"p50_ms": round(float(np.percentile(v, 50)), 2), "p95_ms": round(float(np.percentile(v, 95)), 2),
                          "mean_ms": round(float(v.mean()), 2)}
        return out

    def close(self) -> None:
        for stage in (self.detector, self.classifier):
            close = getattr(stage, "close", None)
            if close:
                close()
