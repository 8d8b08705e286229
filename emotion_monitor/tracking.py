"""Tracking: stable face ids across frames and per-face smoothing of the emotion probabilities.

Matching is greedy on IoU (highest pairs first). Hand-written rather than scipy's Hungarian solver
because the app must not pull SciPy in for a handful of faces, where greedy IoU gives the same pairs.
A face keeps its box, moved by its recent velocity, while the detector misses it (a frame between
two detector passes, a blink, a turned head) and is forgotten after ``max_age`` seconds without a
match. The tracker owns this memory of faces; detectors that follow faces (MediaPipe) take its
predicted boxes as hints instead of keeping their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .types import LABELS, Detections, Track


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, np.float32).reshape(-1, 4)
    b = np.asarray(b, np.float32).reshape(-1, 4)
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(br - tl, 0, None), axis=2)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-6)


def greedy_match(iou: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    pairs = []
    if iou.size == 0:
        return pairs
    iou = iou.copy()
    while True:
        r, c = np.unravel_index(np.argmax(iou), iou.shape)
        if iou[r, c] < threshold:
            return pairs
        pairs.append((int(r), int(c)))
        iou[r, :] = -1
        iou[:, c] = -1


@dataclass
class _Face:
    """The tracker's own, mutable memory of one face (never handed out: see :meth:`_Face.snapshot`)."""

    track_id: int
    xyxy: np.ndarray
    probs: np.ndarray
    raw_probs: np.ndarray
    first_seen: float
    last_seen: float
    quality: str = "ok"
    hits: int = 1
    missed: int = 0
    velocity: np.ndarray | None = None  # px a frame, centre
    confident: bool = False
    classified_at: float = 0.0

    def predicted(self) -> np.ndarray:
        return self.xyxy if self.velocity is None else self.xyxy + np.tile(self.velocity, 2)

    def snapshot(self) -> Track:
        return Track(self.track_id, self.xyxy, self.probs, self.raw_probs, self.hits, self.missed, self.first_seen,
                     self.last_seen, self.quality)


class Tracker:
    """IoU tracker with exponential smoothing of each face's probabilities.

    ``alpha``: weight of the newest classification (EMA). ``max_age``: seconds a face survives
    without a detection (so a face that reappears keeps its id). ``report_gap``: seconds it is still
    reported (and drawn, recorded) without one, moved along its predicted path: this spans the frame
    between two detector passes and one missed detection (0.12 s: three frames at 25 fps). ``min_hits``: detections before a face is reported (suppresses
    one-frame false detections); one detected with confidence >= ``sure`` is reported at once.
    Limits are in seconds of the source's clock, so they mean the same whatever the detector's
    schedule or the frame rate. :meth:`update` returns frozen :class:`Track` snapshots.
    """

    def __init__(self, iou_threshold: float = 0.2, alpha: float = 0.4, max_age: float = 1.5,
                 min_hits: int = 3, sure: float = 0.7, report_gap: float = 0.12):
        self.iou_threshold, self.alpha, self.max_age = iou_threshold, alpha, max_age
        self.report_gap = report_gap
        self.min_hits, self.sure = min_hits, sure
        self._faces: list[_Face] = []
        self._next_id = 1
        self._now = 0.0

    def reset(self, renumber: bool = True) -> None:
        """Forget every face; number new ones from 1 again (a new source) unless not ``renumber`` (a
        live change of detector: new faces must not take the ids the recording already used)."""
        self._faces.clear()
        if renumber:
            self._next_id = 1

    def staleness(self, dets: Detections, now: float) -> np.ndarray:
        """Seconds since the face each detection would match was last classified (inf for a new face):
        the pipeline refreshes the stalest faces first when a crowd exceeds its classification budget."""
        ages = np.full(len(dets), np.inf)
        for r, c in greedy_match(iou_matrix(self.predicted_boxes(), dets.xyxy), self.iou_threshold):
            ages[c] = now - self._faces[r].classified_at
        return ages

    def predicted_boxes(self) -> np.ndarray:
        """Where each remembered face should be on the next frame (N, 4), in the tracker's order."""
        return np.array([f.predicted() for f in self._faces], np.float32).reshape(-1, 4)

    def hints(self, recent: float = 0.2) -> np.ndarray:
        """The detectors' hints: predicted boxes of the faces seen in the last ``recent`` seconds, most
        recently seen first (a follower with a cap on regions spends them on faces still in view)."""
        live = sorted((f for f in self._faces if self._now - f.last_seen <= recent), key=lambda f: -f.last_seen)
        return np.array([f.predicted() for f in live], np.float32).reshape(-1, 4)

    def update(self, dets: Detections, probs: np.ndarray, timestamp: float = 0.0,
               quality: list[str] | None = None) -> tuple[Track, ...]:
        """Match this frame's detections (with their probabilities and quality) to faces; return the
        reported faces as snapshots. A row of NaN probabilities means "not classified this frame": the
        face's box moves, its readings stay."""
        probs = np.asarray(probs, np.float32).reshape(len(dets), len(LABELS))
        quality = quality if quality is not None else ["ok"] * len(dets)
        self._now = timestamp
        pairs = greedy_match(iou_matrix(self.predicted_boxes(), dets.xyxy), self.iou_threshold)
        matched_t = {r for r, _ in pairs}
        matched_d = {c for _, c in pairs}
        for r, c in pairs:
            f = self._faces[r]
            box = dets.xyxy[c]
            move = ((box[:2] + box[2:]) - (f.xyxy[:2] + f.xyxy[2:])) / 2 / (f.missed + 1)
            f.velocity = move if f.velocity is None else 0.5 * f.velocity + 0.5 * move
            f.xyxy = box.copy()
            if np.isfinite(probs[c]).all():
                f.raw_probs = probs[c].copy()
                p = self.alpha * probs[c] + (1 - self.alpha) * f.probs
                f.probs = p / p.sum()
                f.classified_at = timestamp
            f.hits += 1
            f.missed = 0
            f.last_seen = timestamp
            f.quality = quality[c]
            f.confident |= bool(dets.confidence[c] >= self.sure)
        for i, f in enumerate(self._faces):
            if i not in matched_t:
                f.missed += 1
                f.xyxy = f.predicted().astype(np.float32)
        for c in range(len(dets)):
            if c not in matched_d:
                self._faces.append(_Face(self._next_id, dets.xyxy[c].copy(), probs[c].copy(), probs[c].copy(),
                                         timestamp, timestamp, quality[c],
                                         confident=bool(dets.confidence[c] >= self.sure), classified_at=timestamp))
                self._next_id += 1
        self._faces = [f for f in self._faces if timestamp - f.last_seen <= self.max_age]
        return tuple(f.snapshot() for f in self._faces
                     if timestamp - f.last_seen <= self.report_gap and (f.hits >= self.min_hits or f.confident))
