"""Each person against their own resting face: what a tracked person counts in the group mood, and
whether they alone should raise the alert.

A face's reading at rest depends on the face (lowered brows, eyes looking down read "sad" under every
model here) and on how the camera sees it (its size, the resize filter, the codec). On arrival a face
that reads sad at rest and a truly unhappy face read alike; only what happens *over time* tells them
apart. So each person is compared with themselves. Per person, the rule has three cases:

1. **Alone since they arrived** (no other tracked person, counted or not, at any moment of their stay):
   judged as read. Below ``person_bar`` for ``person_duration`` seconds raises the alert (``"alone"``).
2. **Resting face not known yet** (their first ``settle`` seconds of readable faces): they count 0 (a
   passer-by in view for a moment is no part of the queue's mood). An arrival below the bar for
   ``person_duration`` seconds is *marked* ``"arrived unhappy"`` (shown on them, kept in the CSV and the
   people summary) and counts as read until their resting face is known; they raise no alert of their
   own. After it they count against it like everyone: unhappy at the door and sad at rest read alike,
   and counting marked people as read for their whole stay raised false alerts on the calm street at
   360p, where passers-by read sad are marked again at every pass (benchmarks/alert_matrix.py).
3. **Resting face known**: they count ``min(s - min(rest, 0), max(s, 0))``: excused down to their own
   resting level, never made negative by a cheerful one. Below the bar *and* more than ``turn_sigmas``
   standard deviations of their own resting readings below their resting face, for ``person_duration``
   seconds, raises the alert (``"turned"``). The resting face belongs to the place and size it was
   learned at: a face that moves a face width away from it or doubles or halves in size (walking past,
   closer or away: its reading changes with its size and angle) is learned again, and no turn is judged
   meanwhile. A queue stands; a turn is told on people who stand.

A box that jumps more than a face width between two readings is a new person (the tracker handed its id
to someone else). A person unseen for ``FORGET`` seconds is forgotten.

Hand-written: no library keeps per-identity baselines of a score. Pure Python over a dict: about 3 us
a face (``benchmarks/alert_matrix.py`` times the whole mood stage).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .types import Track

FORGET = 10.0  # seconds unseen after which a person is forgotten (the tracker keeps ids 8 s)
JUMP = 1.0  # face widths a box may move between two readings before it is someone else (a walker: 0.3 a frame)
RESCALE = 2.0  # a face this many times wider or narrower than when its resting reading was learned is learned again
# (1.5 took an expression change for an approach: the box of a face turning unhappy can shrink by a third)
MOVE = 1.0  # face widths a face may move away from where its resting reading was learned before it is learned again
ARRIVED_UNHAPPY = "arrived unhappy"


@dataclass(frozen=True)
class RestConfig:
    """The per-person part of :class:`emotion_monitor.mood.MoodConfig`."""

    settle: float = 4.0
    person_bar: float = -0.5
    person_duration: float = 3.0
    turn_sigmas: float = 2.0
    hysteresis: float = 0.1
    gap: float = 2.0  # seconds a face may go unread (gated) before its stretch below the bar starts again


@dataclass(slots=True)
class _Person:
    first: float
    last: float
    at_start: bool  # first seen during the monitor's first ``settle`` seconds
    company: bool = False  # another tracked person was in view at some moment of their stay
    cx: float = 0.0
    cy: float = 0.0
    w: float = 0.0
    # the resting reading being learned: seconds, count, sums of s, s*s and the box width
    seen: float = 0.0
    n: int = 0
    s1: float = 0.0
    s2: float = 0.0
    wsum: float = 0.0
    rest: float | None = None
    rest_sd: float = 0.0
    rest_w: float = 0.0
    ax: float = 0.0  # where the resting reading was learned (the box's centre)
    ay: float = 0.0
    relearning: bool = False
    read: float = 0.0  # when their face was last read (counted)
    kind: str = ""  # the case of the rule that applied at the last reading
    below_since: float | None = None  # since when below their bar, in the current case
    mark: str | None = None


@dataclass(frozen=True)
class Judged:
    """What :meth:`RestingFaces.judge` says of one frame."""

    values: np.ndarray  # what each counted face counts in the group mood, in the order given
    learning: int = 0  # counted faces that count 0 while their resting face is learned
    raising: dict[int, str] = field(default_factory=dict)  # id -> "turned" | "alone": below their bar long enough
    below: tuple[int, ...] = ()  # ids in a case that raises the alert, below ``person_bar + hysteresis`` now
    negative: tuple[int, ...] = ()  # counted ids counting below 0 now, most unhappy first
    marked: tuple[int, ...] = ()  # ids in view marked "arrived unhappy"


class RestingFaces:
    """Per-person judging for :class:`emotion_monitor.mood.MoodMonitor` (see the module docstring)."""

    def __init__(self) -> None:
        self._people: dict[int, _Person] = {}
        self._start: float | None = None
        self._swept = 0.0

    def person(self, track_id: int) -> _Person | None:
        """The state kept of one id (tests and the benchmarks read it)."""
        return self._people.get(track_id)

    def longest_hold(self, now: float) -> float:
        """The longest anyone has now been below their bar in a case that raises the alert, in seconds (how
        close the rule is to a person's alert: benchmarks/alert_matrix.py reports it as a margin)."""
        return max((now - p.below_since for p in self._people.values()
                    if p.below_since is not None and p.kind in ("turned", "alone")), default=0.0)

    def judge(self, tracks: Sequence[Track], counted: Sequence[bool], scores: np.ndarray, now: float,
              c: RestConfig) -> Judged:
        """Judge one frame: ``tracks`` are every tracked face in view (counted or not: company is company),
        ``counted`` which of them count in the mood, ``scores`` the face scores of the counted ones."""
        if self._start is None:
            self._start = now
        people = self._people
        crowd = len(tracks) > 1
        out = np.empty(len(scores), np.float32)
        learning, k = 0, 0
        raising: dict[int, str] = {}
        below: list[tuple[float, int]] = []
        negative: list[tuple[float, int]] = []
        marked: list[int] = []
        for track, is_counted in zip(tracks, counted):
            x0, y0, x1, y1 = track.xyxy.tolist()
            cx, cy, w = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, 1.0)
            tid = track.track_id
            p = people.get(tid)
            if p is None or (cx - p.cx) ** 2 + (cy - p.cy) ** 2 > (JUMP * max(w, p.w)) ** 2:
                p = people[tid] = _Person(now, now, at_start=now - self._start < c.settle)
            dt = now - p.last
            dt = 0.0 if dt < 0.0 else (0.5 if dt > 0.5 else dt)
            p.last, p.cx, p.cy, p.w = now, cx, cy, w
            p.company = p.company or crowd
            if p.mark:
                marked.append(tid)
            if not is_counted:
                continue
            if now - p.read > c.gap:  # unread longer than the gap: a stretch below the bar starts again
                p.below_since = None
            p.read = now
            s = float(scores[k])
            j, own, kind = self._count(p, s)
            out[k] = j
            k += 1
            learning += kind == "quiet" or (kind == "arrival" and not p.mark)
            if kind != p.kind:  # each case has its own timer
                p.kind, p.below_since = kind, None
            self._learn(p, s, w, dt, c)
            if kind in ("alone", "turned", "arrival") and self._held(p, own, s, kind, now, c):
                if kind == "arrival":
                    if p.mark is None:
                        p.mark = ARRIVED_UNHAPPY
                        marked.append(tid)
                else:
                    raising[tid] = kind
            if kind in ("alone", "turned") and own < c.person_bar + c.hysteresis:
                below.append((own, tid))
            if j < 0.0:
                negative.append((j, tid))
        if now - self._swept >= 1.0:  # forget people long gone, once a second
            self._swept = now
            for pid in [pid for pid, p in people.items() if now - p.last > FORGET]:
                del people[pid]
        return Judged(out, learning, raising, tuple(i for _, i in sorted(below)), tuple(i for _, i in sorted(negative)),
                      tuple(sorted(marked)))

    @staticmethod
    def _count(p: _Person, s: float) -> tuple[float, float, str]:
        """What a person counts in the group mood, how they read against their own resting face, and which
        case of the rule applies: "alone", "quiet" (in view at the start, learning), "arrival" (learning),
        "turned" (resting face known) or "relearning"."""
        if not p.company:
            return s, s, "alone"
        if p.rest is None:
            if p.at_start:
                return 0.0, 0.0, "quiet"
            return (s if p.mark else 0.0), s, "arrival"
        rest = p.rest if p.rest < 0.0 else 0.0
        own = min(s - rest, s if s > 0.0 else 0.0)
        return own, own, ("relearning" if p.relearning else "turned")

    @staticmethod
    def _learn(p: _Person, s: float, w: float, dt: float, c: RestConfig) -> None:
        """Add a readable face to the resting reading being learned; learn it again when the face moved a
        face width from where it was learned, or its size left the band it was learned at."""
        if p.rest is not None and not p.relearning:
            moved = (p.cx - p.ax) ** 2 + (p.cy - p.ay) ** 2 > (MOVE * max(w, p.rest_w)) ** 2
            if not moved and p.rest_w / RESCALE <= w <= p.rest_w * RESCALE:
                return
            p.relearning, p.seen, p.n, p.s1, p.s2, p.wsum = True, 0.0, 0, 0.0, 0.0, 0.0
            p.below_since = None
        p.seen, p.n, p.s1, p.s2, p.wsum = p.seen + dt, p.n + 1, p.s1 + s, p.s2 + s * s, p.wsum + w
        if p.seen >= c.settle:
            mean = p.s1 / p.n
            p.rest, p.rest_sd, p.rest_w = mean, math.sqrt(max(p.s2 / p.n - mean * mean, 0.0)), p.wsum / p.n
            p.ax, p.ay, p.relearning = p.cx, p.cy, False

    @staticmethod
    def _held(p: _Person, j: float, s: float, kind: str, now: float, c: RestConfig) -> bool:
        """Whether the person has been below their bar for ``person_duration`` seconds: judged as read
        ("alone", "arrival") or, once their resting face is known, below it by more than their own spread."""
        if kind == "turned":
            low = j < c.person_bar and s - min(p.rest or 0.0, 0.0) < -c.turn_sigmas * p.rest_sd
        else:
            low = j < c.person_bar
        if not low:
            p.below_since = None
            return False
        if p.below_since is None:
            p.below_since = now
        return now - p.below_since >= c.person_duration
