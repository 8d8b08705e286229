"""One source of a run (a "lane"): its capture, its stages and what the run keeps about it.

A lane holds what belongs to its source: the capture thread, a pipeline (the detector holds the
source's frame size and search schedule, the tracker its faces, the mood its group; the classifier is
the runner's, shared by every lane), the settings it applies between two of its frames, its per-person
figures and its frame rate. The loop that drives lanes is runner.py; one source is one lane.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from .mood import format_mood, format_score
from .people import PeopleLog
from .privacy import keeps_ids, shows_mood
from .settings import Settings
from .sources import SourceSpec
from .types import LABELS, FrameResult, RunSummary, SourcesSummary, SourceSummary, Zone
from .zones import parse_zones

# settings whose change needs a new detector (and new track ids)
DETECTION_SETTINGS = ("detector", "detect_every", "detect_width", "tiles", "tiles_per_frame", "min_confidence",
                      "min_face")


class Lane:
    """A source and its state: "running", "retrying" (a camera not open yet, or lost), "ended" (a file's
    end, or stopped) or "failed"; ``error`` says why it is not running."""

    def __init__(self, spec: SourceSpec, settings: Settings):
        self.spec, self.settings = spec, settings
        self.capture: Any = None  # capture.Capture once opened
        self.pipeline: Any = None  # pipeline.Pipeline once opened
        self.state = "retrying"
        self.error: str | None = None
        self.next_try = 0.0  # when a "retrying" lane is tried again (monotonic seconds)
        self.last: FrameResult | None = None  # its newest result
        self.ended = False  # the source ran out (end of a file); False when stopped
        self.fps = 0.0
        self.elapsed = 0.0
        self.people = PeopleLog()  # per-person figures for the summary, where privacy keeps them
        self._lock = threading.Lock()
        self._pending: Settings | None = None
        self._counted_since: float | None = None  # start of the current frame-rate count
        self._counted = 0

    @property
    def name(self) -> str:
        return self.spec.name

    def zones(self) -> tuple[Zone, ...]:
        """Where people queue in this source's view: its own zone (sources file), else the settings'."""
        return parse_zones(self.spec.zone if self.spec.zone is not None else self.settings.zone)

    def update_settings(self, settings: Settings) -> None:
        """Apply ``settings`` from this lane's next frame on (any thread)."""
        with self._lock:
            self._pending = settings

    def apply_pending(self, build_detector: Callable[[Settings], Any] | None) -> None:
        """Apply settings given by :meth:`update_settings` (the loop calls it between two frames): mood at
        once, detection by a new detector from ``build_detector`` (the old faces are not carried over)."""
        with self._lock:
            new, self._pending = self._pending, None
        if new is None or new == self.settings:
            return
        old, self.settings = self.settings, new
        if not keeps_ids(new.privacy):
            self.people.reset()  # a stricter level forgets what the looser one gathered
        p = self.pipeline
        if p is None:
            return
        p.mood.config = new.mood()
        p.tracker.max_age = new.reid_seconds
        p.config = replace(p.config, min_face=new.min_face, read_rate=new.read_rate, zones=self.zones())
        if hasattr(p.classifier, "flip_average"):  # the mirror average: from the next batch on
            p.classifier.flip_average = new.flip_average
        if build_detector is not None and any(getattr(old, k) != getattr(new, k) for k in DETECTION_SETTINGS):
            previous, p.detector = p.detector, build_detector(new)
            previous.close()
            p.tracker.reset(renumber=False)

    def end_line(self, why: str = "end of video") -> str:
        """A source's closing line, counting what happened: ``why`` it ended (a file's end by default; the window
        says "window closed"), frames analysed of those read, dropped to keep up, passes through a looped file,
        and whether ``--max-frames`` stopped it."""
        c, done = self.capture, self.pipeline.frames if self.pipeline is not None else 0
        dropped, passes = getattr(c, "dropped", 0), getattr(c, "passes", 1)
        if getattr(c, "hit_max", False):
            why = f"end of {c.length_of}" if getattr(c, "length_of", "") else "stopped by --max-frames"
        return (f"{why}: {done} frames analysed of {done + dropped} read"
                + (f", {dropped} dropped to keep up" if dropped else "")
                + (f", {passes} passes of the looped file" if passes > 1 else ""))

    def count(self, result: FrameResult, every: float = 1.0) -> bool:
        """Note a delivered result (people log, frame rate); True once ``every`` seconds have passed since
        the frame rate was last measured, which it is then."""
        self.last = result
        if keeps_ids(self.settings.privacy):
            self.people.update(result)
        now = time.monotonic()
        if self._counted_since is None:
            self._counted_since = now
        self._counted += 1
        if now - self._counted_since < every:
            return False
        self.fps = self._counted / (now - self._counted_since)
        self._counted_since, self._counted = now, 0
        return True

    def restart_count(self) -> None:
        self._counted_since, self._counted = time.monotonic(), 0

    def status_line(self) -> str:
        """Its frame, frame rate, faces in view and how many of them count in the mood (the quality gate's "ok"),
        mood and trend (the one-source status line)."""
        r = self.last
        if r is None:
            return f"{self.name}: {self.state}"
        m, shown = r.mood, shows_mood(self.settings.privacy, r.mood.faces, self.settings.min_group)
        shown = shown and m.faces > 0  # nobody counted: no mood of +0.00 (the window's gauge says the same)
        mood = (format_mood(m.score, m.learning, m.faces, m.moving) if shown else "no face counted" if not m.faces
                else "mood not shown (too few faces)")
        return (f"frame {r.frame.index:6d}  fps {self.fps:5.1f}  faces {len(r.tracks):2d} ({m.faces} counted)  "
                f"{mood}{f'  trend {m.trend:+.2f}/min' if shown else ''}{'  ALERT' if m.alert else ''}")

    def summary(self, csv_rows: int = 0) -> RunSummary:
        """Its frames, faces, speed per stage and (where privacy keeps them) each person seen."""
        p, c, spec = self.pipeline, self.capture, self.spec
        frames = p.frames if p is not None else 0  # a source never opened: zeros
        summary: RunSummary = {
            "source": f"{c.info.kind}:{c.info.name}" if c is not None else f"{spec.kind}:{spec.camera or spec.video}",
            "frames": frames, "skipped_frames": p.skipped if p is not None else 0,
            "dropped_frames": c.dropped if c is not None else 0,
            "mean_faces": round(p.faces / max(frames, 1), 3) if p is not None else 0.0,
            "fps": round(frames / self.elapsed, 2) if self.elapsed > 0 else 0.0,
            "seconds": round(self.elapsed, 3), "stages": p.stats() if p is not None else {},
            "detector": self.settings.detector, "model": getattr(getattr(p, "classifier", None), "name", "?"),
            "csv_rows": csv_rows, "ended": self.ended, "privacy": self.settings.privacy,
        }
        if keeps_ids(self.settings.privacy):
            summary["people"] = self.people.summary()
        return summary


def classify_together(classifier: Any, batch: list[tuple[Lane, Any]],
                      together: bool = True) -> tuple[int, int, list[tuple[Lane, FrameResult]]]:
    """Finish each lane's prepared frame (pipeline.Prepared): the faces of every lane in one classifier call
    (``together``) or one call a lane. Returns the calls made, the faces classified and the results."""
    crops = [p.crops[p.pick] for _, p in batch]
    counts = [len(c) for c in crops]
    out = []
    if together:
        t = time.perf_counter()
        probs = classifier(np.concatenate(crops)) if sum(counts) else np.zeros((0, len(LABELS)), np.float32)
        dt = time.perf_counter() - t
        start = 0
        for (lane, p), n in zip(batch, counts):
            out.append((lane, lane.pipeline.finish(p, probs[start:start + n], dt * n / max(sum(counts), 1))))
            start += n
        return 1, sum(counts), out
    for (lane, p), c in zip(batch, crops):
        t = time.perf_counter()
        probs = classifier(c) if len(c) else np.zeros((0, len(LABELS)), np.float32)
        out.append((lane, lane.pipeline.finish(p, probs, time.perf_counter() - t)))
    return len(batch), sum(counts), out


def store_mood(results: Sequence[FrameResult | None]) -> tuple[float, int]:
    """The whole store's mood: the lanes' moods weighted by the faces each counts, and those faces."""
    faces = [r.mood.faces for r in results if r is not None]
    total = sum(faces)
    if not total:
        return 0.0, 0
    return sum(r.mood.score * r.mood.faces for r in results if r is not None) / total, total


def status_line(lanes: list[Lane]) -> str:
    """The store's mood and each running lane's rate, faces and mood (the several-source status line)."""
    parts = []
    for lane in lanes:
        if lane.state != "running":
            parts.append(f"{lane.name}: {lane.state}")
            continue
        m = lane.last.mood if lane.last else None
        shown = m is not None and shows_mood(lane.settings.privacy, m.faces, lane.settings.min_group)
        parts.append(f"{lane.name}: {lane.fps:4.1f} fps {m.faces if m else 0:2d} faces "
                     f"{format_score(m.score) if m and shown else '  -  '}"
                     f"{f' {m.learning} not judged' if m and m.learning else ''}{' ALERT' if m and m.alert else ''}")
    score, faces = store_mood([lane.last for lane in lanes if lane.state == "running"])
    s = lanes[0].settings  # privacy "aggregate": no mood of fewer faces than the minimum group, the store's too
    mood = format_mood(score) if shows_mood(s.privacy, faces, s.min_group) else "mood not shown"
    return f"store {mood} ({faces} faces) | " + " | ".join(parts)


def sources_summary(lanes: list[Lane], elapsed: float, calls: int, faces: int, csv_rows: int) -> SourcesSummary:
    """Each lane's figures with its state and error, and the totals of a run of several sources."""
    per: dict[str, SourceSummary] = {}
    for lane in lanes:
        per[lane.name] = {**lane.summary(), "state": lane.state, "error": lane.error}
    frames = sum(e["frames"] for e in per.values())
    return {"sources": per, "frames": frames, "seconds": round(elapsed, 3),
            "fps": round(frames / elapsed, 2) if elapsed > 0 else 0.0, "classifier_calls": calls,
            "faces_per_call": round(faces / calls, 2) if calls else 0.0, "csv_rows": csv_rows}
