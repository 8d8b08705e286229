"""Tracking: stable face ids across frames and per-face smoothing of the emotion probabilities.

Matching is greedy on IoU (highest pairs first). Hand-written rather than scipy's Hungarian solver
because the app must not pull SciPy in for a handful of faces, where greedy IoU gives the same pairs.
A track keeps its box, moved by its recent velocity, while the detector misses it (a tile not
visited this frame, a blink, a turned head) and is retired after ``max_missed`` frames without a
match.
"""

from __future__ import annotations

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


class Tracker:
    """IoU tracker with exponential smoothing of each face's probabilities.

    ``alpha``: weight of the newest classification (EMA). ``max_missed``: frames a track survives
    without a detection (so a face that reappears keeps its id). ``report_missed``: frames it is
    still reported (and drawn, recorded) without one. ``min_hits``: detections before a track is
    reported (suppresses one-frame false detections); one detected with confidence >= ``sure`` is
    reported at once. Defaults measured on crowd_1080p.mp4 (benchmarks/pipeline.py): min_hits 3 and
    sure 0.7 cut boxes matching no reference face from 1.07 to 0.86 a frame (door frames, a coat) at
    the same recall (0.903 -> 0.902); a new face shows two frames later unless it is a clear one.
    """

    def __init__(self, iou_threshold: float = 0.2, alpha: float = 0.4, max_missed: int = 12,
                 min_hits: int = 3, sure: float = 0.7, report_missed: int = 2):
        self.iou_threshold, self.alpha, self.max_missed = iou_threshold, alpha, max_missed
        self.report_missed = report_missed
        self.min_hits, self.sure = min_hits, sure
        self._tracks: list[Track] = []
        self._velocity: dict[int, np.ndarray] = {}
        self._confident: set[int] = set()
        self._next_id = 1

    def reset(self) -> None:
        self._tracks.clear()
        self._velocity.clear()
        self._confident.clear()

    @property
    def tracks(self) -> list[Track]:
        return list(self._tracks)

    def _predicted(self, t: Track) -> np.ndarray:
        v = self._velocity.get(t.track_id)
        return t.xyxy if v is None else t.xyxy + np.tile(v, 2)

    def update(self, dets: Detections, probs: np.ndarray, timestamp: float = 0.0,
               quality: list[str] | None = None) -> list[Track]:
        """Match this frame's detections (with their probabilities and quality) to tracks; return
        reported tracks."""
        probs = np.asarray(probs, np.float32).reshape(len(dets), len(LABELS))
        quality = quality if quality is not None else ["ok"] * len(dets)
        predicted = np.array([self._predicted(t) for t in self._tracks], np.float32).reshape(-1, 4)
        pairs = greedy_match(iou_matrix(predicted, dets.xyxy), self.iou_threshold)
        matched_t = {r for r, _ in pairs}
        matched_d = {c for _, c in pairs}
        for r, c in pairs:
            t = self._tracks[r]
            box = dets.xyxy[c]
            steps = t.missed + 1
            move = ((box[:2] + box[2:]) - (t.xyxy[:2] + t.xyxy[2:])) / 2 / steps
            old_v = self._velocity.get(t.track_id, move)
            self._velocity[t.track_id] = 0.5 * old_v + 0.5 * move
            t.xyxy = box.copy()
            t.raw_probs = probs[c].copy()
            t.probs = self.alpha * probs[c] + (1 - self.alpha) * t.probs
            t.probs = t.probs / t.probs.sum()
            t.hits += 1
            t.missed = 0
            t.last_seen = timestamp
            t.quality = quality[c]
            if dets.confidence[c] >= self.sure:
                self._confident.add(t.track_id)
        for i, t in enumerate(self._tracks):
            if i not in matched_t:
                t.missed += 1
                t.xyxy = self._predicted(t).astype(np.float32)
        for c in range(len(dets)):
            if c in matched_d:
                continue
            t = Track(self._next_id, dets.xyxy[c].copy(), probs[c].copy(), probs[c].copy(),
                      first_seen=timestamp, last_seen=timestamp, quality=quality[c])
            if dets.confidence[c] >= self.sure:
                self._confident.add(t.track_id)
            self._next_id += 1
            self._tracks.append(t)
        alive = []
        for t in self._tracks:
            if t.missed > self.max_missed:
                self._velocity.pop(t.track_id, None)
                self._confident.discard(t.track_id)
            else:
                alive.append(t)
        self._tracks = alive
        return self.reported()

    def reported(self) -> list[Track]:
        return [t for t in self._tracks if t.missed <= self.report_missed
                and (t.hits >= self.min_hits or t.track_id in self._confident)]
