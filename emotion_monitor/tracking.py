"""Tracking: one id per person across frames, and per-face smoothing of the emotion probabilities.

Association runs in two stages a frame, each greedy (highest score first) on what the earlier ones left (ByteTrack's
idea of a second association, OC-SORT's re-anchoring on the last observation):

1. **overlap and motion**, for faces seen in the last ``motion_gap`` seconds: IoU of each face's predicted box (its
   last observation moved along its velocity in pixels a second, for at most ``coast`` seconds) with the detections,
   then the distance from its path (last observation to predicted box) in units of the face's size, with similar
   sizes (a fast walker whose box moved more than its width between two detector passes: the crowd clip's profile
   face got a new id every 3-4 frames); where faces contest a detection, appearance too
   (:func:`~emotion_monitor.matching.follow_match`);
2. **re-identification**: faces unseen for longer, up to ``max_age`` seconds (``--reid-seconds``, 30 by default:
   someone who steps out of the queue and comes back), by appearance (the cosine of :func:`describe`'s
   descriptors, the face's texture and the colours of what the person wears, at least ``reid_similarity``) within
   a radius that grows with the time unseen; after ``long_gap`` seconds the colours below the face must also agree
   (:func:`~emotion_monitor.matching.colours_agree`), the radius being most of the frame.

A face's look is a running mean of its descriptors (0.15 of one every ``refresh`` s), not updated while a neighbour
stands in the region a descriptor reads (:func:`~emotion_monitor.matching.crowded`). Dropped frames (a loaded machine):
searches come further apart; the overlap-and-motion window (:meth:`Tracker.gap`) and the time a face is shown widen.

A new face gets its public id only once it is confirmed (``min_hits`` detections, or one detection of confidence >=
``sure`` that does not sit on a followed face's head, :func:`~emotion_monitor.matching.stacked_on`, nor overlaps a
followed face's box by more than ``touch_iou``): one-frame false detections, and hair or a hand above a face, no longer
use up ids. Such an overlapping box is not re-identified either: the demo's red-haired man, head bowed, was found as
two boxes on his hair, and the second took the lost id of the white-haired woman beside him, then his face.
A face that is not detected on a frame but overlaps one that is (IoU > ``ghost_iou``) is not reported, nor one on the
hair above another (:func:`~emotion_monitor.matching.heads_shared`): one box per head.

Hand-written: ``supervision``'s ByteTrack pulls opencv-python beside our opencv-contrib-python (two cv2 packages in one
environment) and re-identifies nothing; ``norfair`` pins numpy < 2 (its 2.3.0); neither knows the detector's schedule (a
pass every 2nd frame, followed faces between). Matching is greedy, not Hungarian: with IoU and gated distances, pairs
rarely compete and greedy gives the same answer for a handful of faces (tests/test_tracking_mood.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .matching import (
    FeatureSource,
    _centres,
    _Face,
    _Features,
    colours_agree,
    crowded,
    describe,
    follow_match,
    greedy_match,
    heads_shared,
    iou_matrix,
    look_alike,
    stacked_on,
)
from .types import LABELS, Detections, Track

__all__ = ["Tracker", "describe", "greedy_match", "iou_matrix"]


class Tracker:
    """Faces followed across frames (see the module's docstring) with exponential smoothing of each face's probabilities.

    ``alpha``: weight of the newest classification (EMA). ``max_age``: seconds a face is remembered unseen (a person who
    turns away or walks behind another keeps the id on return). ``motion_gap``: seconds unseen within which a face is
    matched by overlap and motion; longer only by appearance. ``report_gap``: seconds it is still reported (drawn,
    recorded) without a detection, moved along its predicted path: the frame between two detector passes and one
    missed detection. Frames are not always that close (several sources, a slow machine in real time): a face missed
    by at most one search of the detector is reported too, for up to ``coast`` seconds (``update(searched=...)`` says
    which frames were searched), so a face does not blink out on the frames between searches. ``min_hits``: detections
    before a face is reported and numbered; one detected with confidence >= ``sure`` at once. ``strong``: the
    detector's own threshold (the pipeline sets it from the detector's ``score_threshold``); a box below it only
    continues a face (:meth:`admit`). Limits are in seconds of the source's clock, so they mean the same whatever the
    detector's schedule or the frame rate. :meth:`update` returns frozen :class:`Track` snapshots.
    """

    def __init__(self, iou_threshold: float = 0.2, alpha: float = 0.4, max_age: float = 30.0,
                 min_hits: int = 3, sure: float = 0.7, report_gap: float = 0.12, motion_gap: float = 0.6,
                 coast: float = 0.3, max_jump: float = 1.2, reid_similarity: float = 0.6,
                 ghost_iou: float = 0.4, strong: float = 0.0, refresh: float = 0.5, long_gap: float = 8.0,
                 colour_bar: float = 0.3, look_weight: float = 10.0, near_weight: float = 0.3,
                 touch_iou: float = 0.1, crowd_share: float = 0.15):
        self.iou_threshold, self.alpha, self.max_age = iou_threshold, alpha, max_age
        self.report_gap, self.motion_gap, self.coast = report_gap, motion_gap, coast
        self.min_hits, self.sure, self.strong, self.refresh = min_hits, sure, strong, refresh
        self.max_jump, self.reid_similarity, self.ghost_iou = max_jump, reid_similarity, ghost_iou
        self.long_gap, self.colour_bar = long_gap, colour_bar  # a long absence: the colours must agree too
        self.look_weight = look_weight  # of faces contesting a detection, appearance's weight: see follow_match
        self.near_weight = near_weight  # of several look-alikes, the nearer: see _confirm and look_alike
        # a new box overlapping a followed face's box this frame by more than this (a second box on a bowed head:
        # YuNet's NMS keeps pairs under 0.3) is neither numbered at once nor re-identified
        self.touch_iou, self.crowd_share = touch_iou, crowd_share  # crowd_share: see matching.crowded
        self._search_dt = 0.0  # seconds between two detector searches (EMA): slow when frames are dropped
        self._searched_at: float | None = None
        self._faces: list[_Face] = []
        self._next_id = 1
        self._now = 0.0
        self._last_pairs: tuple[int, Any, Any] | None = None  # (id of the detections, pairs, their features)

    def reset(self, renumber: bool = True) -> None:
        """Forget every face; number new ones from 1 again (a new source) unless not ``renumber`` (a
        live change of detector: new faces must not take the ids the recording already used)."""
        self._faces.clear()
        self._last_pairs = None
        if renumber:
            self._next_id = 1

    def staleness(self, dets: Detections, now: float, features: FeatureSource | None = None) -> np.ndarray:
        """Seconds since the face each detection would match was last classified (inf for a new face):
        the pipeline refreshes the stalest faces first when a crowd exceeds its classification budget.
        The matching is kept for the :meth:`update` of the same detections (one match a frame)."""
        feats = _Features.of(features, len(dets))
        pairs = self._associate(dets, now, feats)
        self._last_pairs = (id(dets), pairs, feats)
        ages = np.full(len(dets), np.inf)
        for r, c in pairs:
            ages[c] = now - self._faces[r].classified_at
        return ages

    def admit(self, dets: Detections, now: float) -> np.ndarray:
        """Which detections to keep (bool mask): every one of confidence >= ``strong``, and a weaker one
        only where it continues a face seen in the last ``motion_gap`` seconds (by overlap or motion;
        ByteTrack's second association). A weak box never starts a face."""
        keep = dets.confidence >= self.strong
        if keep.all():
            return keep
        weak = np.flatnonzero(~keep)
        for _, c in self._associate(dets[weak], now, None, reid=False):
            keep[weak[c]] = True
        return keep

    def predicted_boxes(self) -> np.ndarray:
        """Where each remembered face should be on the next frame (N, 4), in the tracker's order."""
        return np.array([f.predicted(self._now, self.coast) for f in self._faces], np.float32).reshape(-1, 4)

    def hints(self, recent: float = 0.2) -> np.ndarray:
        """The detectors' hints: predicted boxes of the faces seen in the last ``recent`` seconds, most
        recently seen first (a follower with a cap on regions spends them on faces still in view)."""
        live = sorted((f for f in self._faces if self._now - f.last_seen <= recent), key=lambda f: -f.last_seen)
        return np.array([f.predicted(self._now, self.coast) for f in live], np.float32).reshape(-1, 4)

    @property
    def ids_issued(self) -> int:
        """Ids handed out so far (the next id minus one)."""
        return self._next_id - 1

    def _associate(self, dets: Detections, now: float, features: _Features | None,
                   reid: bool = True) -> list[tuple[int, int]]:
        """(face index, detection index) pairs: overlap and motion, then (``reid``) appearance."""
        n_f, n_d = len(self._faces), len(dets)
        if not n_f or not n_d:
            return []
        unseen = np.array([now - f.last_seen for f in self._faces])
        recent = unseen <= self.gap(now)
        pred = np.array([f.predicted(now, self.coast) for f in self._faces], np.float32)
        det_c = _centres(dets.xyxy)
        det_s = np.sqrt(np.maximum(dets.area, 1.0))
        sizes = np.array([f.size for f in self._faces])
        # from the path to the predicted box, not the box alone: a face that stopped (or whose velocity was taken
        # from a jump onto a box on its hair) is as near as one that went on
        dist = np.array([f.gone(det_c, now, self.coast) for f in self._faces]) / sizes[:, None]
        ratio = det_s[None] / sizes[:, None]
        near = recent[:, None] & (dist <= self.max_jump) & (ratio > 0.6) & (ratio < 1.6)
        iou = iou_matrix(pred, dets.xyxy)
        iou[~recent] = -1
        pairs = follow_match(iou, dist, near, [f.feature for f in self._faces], features, self.iou_threshold,
                             self.look_weight)
        used_f, used_d = {r for r, _ in pairs}, {c for _, c in pairs}
        free_f = [i for i in range(n_f) if i not in used_f]
        touching = self._touching(dets, pairs)
        free_d = [j for j in range(n_d) if j not in used_d and not touching[j]]
        if not free_f or not free_d or not reid:
            return pairs
        # re-identification: appearance within a radius growing with the time unseen
        sim = np.full((len(free_f), len(free_d)), -np.inf)
        lost = [i for i in free_f if self._faces[i].feature is not None]
        free_feats = features.get(free_d) if features is not None and lost else None
        for a, i in enumerate(free_f):
            f = self._faces[i]
            if unseen[i] > self.max_age:
                continue  # forgotten (the list is pruned after the match)
            reach = f.reach(unseen[i], self.max_jump)
            d = f.gone(det_c[free_d], now)
            r = det_s[free_d] / f.size
            near = (d <= reach) & (r > 0.5) & (r < 2.0)
            if f.feature is not None and free_feats is not None:
                sim[a] = np.where(near, free_feats @ f.feature, -np.inf)
                if unseen[i] > self.long_gap:  # back after a long absence: the colours must agree too
                    sim[a] = np.where(colours_agree(f.feature, free_feats, self.colour_bar), sim[a], -np.inf)
            elif features is None:  # no appearance: a face back where it was
                sim[a] = np.where(near, iou_matrix(f.obs[None], dets.xyxy[free_d])[0] + self.reid_similarity - 0.3,
                                  -np.inf)
        pairs += [(free_f[r], free_d[c]) for r, c in greedy_match(sim, self.reid_similarity)]
        return pairs

    def _touching(self, dets: Detections, pairs: list[tuple[int, int]]) -> np.ndarray:
        """Which detections overlap one a numbered face holds in ``pairs`` by IoU > ``touch_iou``, bool (N,)."""
        held = dets.xyxy[[c for r, c in pairs if self._faces[r].track_id]].reshape(-1, 4)
        return np.asarray(iou_matrix(dets.xyxy, held).max(axis=1, initial=0.0) > self.touch_iou)

    def _held(self, f: _Face, timestamp: float) -> bool:
        """Whether a face unseen since ``f.last_seen`` is still reported (and, unconfirmed, kept)."""
        unseen, coast = timestamp - f.last_seen, min(max(self.coast, 1.5 * self._search_dt), 1.0)
        # frames dropped: a face missed between two searches 0.67 s apart is still in view, not gone
        return unseen <= self.report_gap or (f.missed_searches <= 1 and unseen <= coast)

    def gap(self, now: float | None = None) -> float:
        """Seconds unseen within which a face is matched by overlap and motion: ``motion_gap``, or 2.5
        searches when they come slower, and back to the last search before ``now`` (3 fps and a search every
        2nd frame: 0.67 s apart, over the 0.6 s that sent every walker to re-identification); at most 2 s."""
        since = now - self._searched_at + 1e-6 if now is not None and self._searched_at is not None else 0.0
        return min(max(self.motion_gap, 2.5 * self._search_dt, since), max(self.motion_gap, 2.0))

    def update(self, dets: Detections, probs: np.ndarray, timestamp: float = 0.0,
               quality: list[str] | None = None, features: FeatureSource | None = None,
               searched: bool = True) -> tuple[Track, ...]:
        """Match this frame's detections (with their probabilities, quality and appearance) to faces;
        return the reported faces as snapshots. ``features``: the detections' descriptors from
        :func:`describe` (N, D), or a function of a list of detection indices returning theirs (only
        the ones needed are computed). A row of NaN probabilities means "not classified this frame":
        the face's box moves, its readings stay. ``searched``: whether the detector searched this
        frame (False on the frames its schedule skips)."""
        probs = np.asarray(probs, np.float32).reshape(len(dets), len(LABELS))
        quality = quality if quality is not None else ["ok"] * len(dets)
        described: _Features | None
        if self._last_pairs is not None and self._last_pairs[0] == id(dets):
            pairs, described = self._last_pairs[1], self._last_pairs[2]
        else:
            described = _Features.of(features, len(dets))
            pairs = self._associate(dets, timestamp, described)
        self._last_pairs = None
        self._now = timestamp
        if searched:
            if self._searched_at is not None and timestamp > self._searched_at:
                dt = min(timestamp - self._searched_at, 2.0)
                self._search_dt = dt if not self._search_dt else 0.8 * self._search_dt + 0.2 * dt
            self._searched_at = timestamp
        for f in self._faces:
            f.matched_now = False
        # numbered at once when confident, unless on a followed face's head (hair, a hand) or touching its box
        followed = np.array([dets.xyxy[c] for r, c in pairs if self._faces[r].track_id], np.float32).reshape(-1, 4)
        touching, matched_d, mixed = self._touching(dets, pairs), {c for _, c in pairs}, crowded(dets.xyxy, self.crowd_share)
        sure = [bool(dets.confidence[c] >= self.sure) and not stacked_on(dets.xyxy[c], followed)
                and (c in matched_d or not touching[c]) for c in range(len(dets))]
        for r, c in pairs:
            self._observe(self._faces[r], dets, c, probs[c], quality[c], timestamp, described, sure[c], mixed[c])
        for f in self._faces:
            if not f.matched_now:
                f.missed += 1
                f.missed_searches += searched
                f.xyxy = f.predicted(timestamp, self.coast).astype(np.float32)
        for c in range(len(dets)):
            if c not in matched_d and dets.confidence[c] >= self.strong:  # a weak box starts nothing
                self._faces.append(_Face(dets.xyxy[c].copy(), dets.xyxy[c].copy(), probs[c].copy(), probs[c].copy(),
                                         timestamp, timestamp, quality=quality[c],
                                         confident=bool(sure[c]), classified_at=timestamp,
                                         feature=None if described is None else described.get([c])[0],
                                         feature_at=timestamp))
        # a face never confirmed is dropped as soon as it is lost; a confirmed one is kept max_age
        self._faces = [f for f in self._faces
                       if (timestamp - f.last_seen <= self.max_age if f.track_id else self._held(f, timestamp))]
        for f in [f for f in self._faces if not f.track_id and (f.hits >= self.min_hits or f.confident)]:
            self._confirm(f, timestamp)
        return self._report(timestamp)

    def _confirm(self, f: _Face, timestamp: float) -> None:
        """Number a newly confirmed face: the id of a lost face it looks like (:func:`look_alike`: a fragment
        the matching missed, a walker lost between searches), which it then replaces; else a new id. Of several
        look-alikes, the nearest for how far each could have gone, unless another looks clearly more alike."""
        lost = [g for g in self._faces if g.track_id and not g.matched_now and g.feature is not None
                and timestamp - g.last_seen <= self.max_age]
        k = None if f.feature is None else look_alike(f.feature, [g.feature for g in lost],  # type: ignore[misc]
                                                      [timestamp - g.last_seen for g in lost], self.long_gap,
                                                      self.colour_bar, self.reid_similarity,
                                                      [g.far_from(f.obs, timestamp, self.max_jump) for g in lost],
                                                      self.near_weight)
        if k is None:
            f.track_id, self._next_id = self._next_id, self._next_id + 1
            return
        old = lost[k]
        f.track_id, f.first_seen, f.hits = old.track_id, old.first_seen, f.hits + old.hits
        self._faces = [g for g in self._faces if g is not old]  # by identity: _Face's == compares arrays

    def _observe(self, f: _Face, dets: Detections, c: int, probs: np.ndarray, quality: str, timestamp: float,
                 described: _Features | None, sure: bool, mixed: bool = False) -> None:
        """Face ``f`` matched detection ``c``: its box, velocity, smoothed readings and look (not from a ``mixed`` one)."""
        box = dets.xyxy[c]
        dt = timestamp - f.last_seen
        if dt > 0 and dt <= self.gap(timestamp):
            move = (_centres(box[None]) - _centres(f.obs[None]))[0] / dt
            f.velocity = move if f.velocity is None else 0.5 * f.velocity + 0.5 * move
        elif dt > self.gap(timestamp):
            f.velocity = None  # re-anchored on a new observation after a long gap
        f.xyxy = box.copy()
        f.obs = box.copy()
        if np.isfinite(probs).all():
            f.raw_probs = probs.copy()
            p = self.alpha * probs + (1 - self.alpha) * f.probs
            f.probs = p / p.sum()
            f.classified_at = timestamp
        if described is not None and (f.feature is None or timestamp - f.feature_at >= self.refresh and not mixed):
            ft = described.get([c])[0]
            f.feature = ft.copy() if f.feature is None else 0.85 * f.feature + 0.15 * ft  # a memory of about 3 s
            f.feature /= np.linalg.norm(f.feature) + 1e-6
            f.feature_at = timestamp
        f.hits += 1
        f.missed = f.missed_searches = 0
        f.last_seen = timestamp
        f.quality = quality
        f.confident |= sure
        f.matched_now = True

    def _report(self, timestamp: float) -> tuple[Track, ...]:
        """The confirmed faces still held, one box a head (a coasting box on a head another face holds
        now, or a box on the hair above a face, is left out)."""
        shown = [f for f in self._faces if f.track_id and self._held(f, timestamp)]
        held = np.array([f.xyxy for f in shown if f.matched_now], np.float32).reshape(-1, 4)
        hidden = set()  # of two boxes on one head, the one above (hair), unless only it was detected now
        for i, j in zip(*np.nonzero(heads_shared(np.array([f.xyxy for f in shown], np.float32)))):
            hidden.add(int(j) if shown[i].matched_now and not shown[j].matched_now else int(i))
        out = []
        for k, f in enumerate(shown):
            if not f.matched_now and len(held) and iou_matrix(f.xyxy[None], held).max() > self.ghost_iou:
                continue  # a coasting box on a head another face holds now
            if k not in hidden:
                out.append(f.snapshot())
        return tuple(out)
