"""Each person against their own resting face: what a tracked person counts in the group mood, whether
they turned, and what may be said of them.

A face's reading at rest depends on the face (lowered brows, eyes looking down read "sad" under every
model here) and on how the camera sees it (its size, the resize filter, the codec). A face that reads
sad at rest and a truly unhappy face read alike; only what happens *over time* tells them apart. So
every person, alone in view or in a crowd, is judged the same way, against themselves:

1. **Learning** (their first ``settle`` seconds of readable faces): they count 0 in the group's mood
   and no turn is judged. Someone reading unhappy (score below :data:`MARK_BAR`) for ``person_duration``
   seconds before their resting face is first known is *marked* :data:`READ_UNHAPPY`: the words claim
   only the reading, and only in the first ``FORGET`` seconds after their id was first met (one back after
   an absence, or whose box jumped to someone else later, was not "first seen": a helper saw the mark appear
   41 s in). A mark raises no alert.
2. **At rest** (resting face known): in the group's mood they count how far their negative reading fell
   below their resting one beyond their own resting spread, ``min(0, min(s, 0) - min(rest, 0) +
   turn_sigmas x sd)`` (a smile fading to a calm face counts 0: no negative reading appeared; a face whose
   reading wandered at rest counts only what goes past its wandering: one person alone is a group of one).
   They **turn** when the log-odds of an unhappy reading rise above
   their resting ones, both against every other reading, ``u = log((p(unhappy) + eps) / (1 - p(unhappy)
   + eps))``, and against a calm one, ``v = log((p(unhappy) + eps) / (p(neutral + surprise) + eps))``, each
   by ``max(turn, turn_sigmas x its own resting spread)``, reading at least :data:`V_FLOOR`, for
   ``person_duration`` seconds. Both: ``u`` alone rises when a smile fades to a calm face (happy leaves,
   calm comes), ``v`` alone when a calm face smiles (calm leaves faster than the residual unhappy share);
   an unhappy turn raises both. Neither saturates where the score does (a face resting at sad 0.65 that
   reads sad 0.9 + angry 0.1 rises about +4), nor drops to 0 when the top label is neutral (an angry face
   read neutral at p(unhappy) 0.25 rises about +1.6 above a calm face's 0.06). Their ``rise`` is the
   smaller of the two; they are back near rest once either is under half its bar.
3. **Relearning**: the resting face belongs to the place and size it was learned at; a face that moves a
   face width away or doubles or halves in size (walking past, closer or away: its reading changes with
   its size and angle) is learned again, and no turn is judged meanwhile.

A box that jumps more than a face width between two readings is a new person (the tracker handed its id
to someone else); one found again after frames without it may have walked on, :data:`WALK` face widths a
second more (the looped demo: a walker missed for 0.4 s was found 1.2 face widths along and started learning
anew, "learning" for two minutes, and lost a mark mid-visit). A person unseen for ``FORGET`` seconds is
forgotten; one unseen for less keeps their state (a face turned away for two seconds has not left).

Hand-written: no library keeps per-identity baselines of a score. Pure Python over a dict: a few us
a face (``benchmarks/alert_matrix.py`` times the whole mood stage).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .types import PersonMood, Track

FORGET = 10.0  # seconds unseen after which a person is forgotten (the tracker keeps ids 8 s)
JUMP = 1.0  # face widths a box may move between two readings before it is someone else (a walker: 0.3 a frame)
WALK = 2.0  # face widths a second a face unseen for a while may have walked since (up to REACH_SECONDS of it)
REACH_SECONDS = 2.0  # a face found again 0.4 s on, 1.2 face widths along, is the same walker, not someone else
RESCALE = 2.0  # a face this many times wider or narrower than when its resting reading was learned is learned again
# (1.5 took an expression change for an approach: the box of a face turning unhappy can shrink by a third)
MOVE = 1.0  # face widths a face may move away from where its resting reading was learned before it is learned again
EPS = 0.01  # added to both shares of the log-odds: a smile (both near 0) reads about 0, not a noisy ratio of tiny numbers
V_FLOOR = math.log(1 / 3)  # a turn ends where an unhappy reading (v) is at least a third as likely as a calm one
# (p(unhappy) about 0.25: the median of posed angry faces that a 48x48 model reads "neutral")
MARK_BAR = -0.5  # a score this low (negative emotions outweigh happy by half) before the resting face is known: marked
BACK = 0.5  # back near the resting face: a rise is under this share of its bar
READ_UNHAPPY = "read unhappy when first seen"


def unhappy_share(u: float) -> float:
    """p(angry + disgust + fear + sad) back from its log-odds against every other reading (``u``, with its EPS)."""
    e = math.exp(u)
    return min(1.0, max(0.0, ((1 + EPS) * e - EPS) / (1 + e)))


@dataclass(frozen=True)
class RestConfig:
    """The per-person part of :class:`emotion_monitor.mood.MoodConfig`."""

    settle: float = 4.0
    turn: float = 1.5  # the least rise of v above the resting v that is a turn (x4.5 in the odds)
    turn_sigmas: float = 2.0
    person_duration: float = 3.0
    gap: float = 2.0  # seconds a face may go unread (gated, out of view) before a stretch of turning starts again


@dataclass(slots=True)
class _Person:
    first: float
    last: float
    cx: float = 0.0
    cy: float = 0.0
    w: float = 0.0
    # the resting reading being learned: seconds, count, sums of (u, v), their squares, s and the box width
    seen: float = 0.0
    n: int = 0
    v1: np.ndarray = field(default_factory=lambda: np.zeros(2))
    v2: np.ndarray = field(default_factory=lambda: np.zeros(2))
    s1: float = 0.0
    s2: float = 0.0
    wsum: float = 0.0
    rest_v: np.ndarray | None = None  # resting (u, v)
    rest_sd: np.ndarray = field(default_factory=lambda: np.zeros(2))
    rest_s: float = 0.0
    rest_sd_s: float = 0.0  # the spread of their resting score
    rest_w: float = 0.0
    ax: float = 0.0  # where the resting reading was learned (the box's centre)
    ay: float = 0.0
    relearning: bool = False
    read: float = -math.inf  # when their face was last read (counted)
    low: bool = False  # turned and not yet back near their resting face
    share: float = 0.0  # the last rise in its own bar (>= 1: a turn): how far to a turn, for the people panel
    below_since: float | None = None  # since when turned (the alert's timer)
    unhappy_since: float | None = None  # since when reading below MARK_BAR while learning (the mark's timer)
    mark: str | None = None
    markable: bool = True  # met in the id's first FORGET seconds (not back later, nor a box that jumped later)


@dataclass(frozen=True)
class Judged:
    """What :meth:`RestingFaces.judge` says of one frame."""

    values: np.ndarray  # what each counted face counts in the group mood, in the order given
    learning: int = 0  # counted people whose resting face is being learned (no turn can be judged)
    moving: int = 0  # of those, people learned again because they moved (walkers)
    raising: tuple[int, ...] = ()  # ids turned for ``person_duration`` seconds, most risen first
    negative: tuple[int, ...] = ()  # counted ids counting below 0 in the group mood now, most unhappy first
    marked: tuple[int, ...] = ()  # ids in view marked READ_UNHAPPY
    people: tuple[PersonMood, ...] = ()  # each counted person's state and rise


class RestingFaces:
    """Per-person judging for :class:`emotion_monitor.mood.MoodMonitor` (see the module docstring)."""

    def __init__(self) -> None:
        self._people: dict[int, _Person] = {}
        self._met: dict[int, float] = {}  # when each id in memory was first judged: one met again later is not "first seen"
        self._old = 0  # the highest id forgotten from _met: an id up to it met again is not first seen either
        self._swept = 0.0

    def person(self, track_id: int) -> _Person | None:
        """The state kept of one id (tests and the benchmarks read it)."""
        return self._people.get(track_id)

    def longest_hold(self, now: float) -> float:
        """The longest anyone has now been turned, in seconds (how close the rule is to a person's alert:
        benchmarks/alert_matrix.py reports it as a margin)."""
        return max((now - p.below_since for p in self._people.values() if p.below_since is not None), default=0.0)

    def still_low(self, track_id: int, now: float, gap: float) -> bool:
        """Whether ``track_id`` is turned and not back near rest: read so now, or unread for at most ``gap``
        seconds since (a face turned away keeps its state; one gone longer has left)."""
        p = self._people.get(track_id)
        return p is not None and p.low and now - p.read <= gap

    def judge(self, tracks: Sequence[Track], counted: Sequence[bool], scores: np.ndarray, odds: np.ndarray,
              now: float, c: RestConfig) -> Judged:
        """Judge one frame: ``tracks`` are every tracked face in view, ``counted`` which of them count in the
        mood, ``scores`` and ``odds`` the face scores and unhappy log-odds (N, 2) of the counted ones."""
        out = np.zeros(len(scores), np.float32)
        learning, moving, k = 0, 0, 0
        raising: list[tuple[float, int]] = []
        negative: list[tuple[float, int]] = []
        marked: list[int] = []
        people: list[PersonMood] = []
        for track, is_counted in zip(tracks, counted):
            p, dt, w = self._place(track, now)
            if is_counted:
                s, v = float(scores[k]), np.asarray(odds[k], np.float64)
                out[k], rise, held = self._read(p, s, v, w, dt, now, c)
                k += 1
                state = "learning" if p.rest_v is None else "relearning" if p.relearning else (
                    "turned" if p.low else "at rest")
                learning += state in ("learning", "relearning")
                moving += state == "relearning"
                if held:
                    raising.append((-(rise or 0.0), track.track_id))
                if out[k - 1] < 0.0:
                    negative.append((float(out[k - 1]), track.track_id))
                rest = p.rest_v if rise is not None else None  # judged against it now (None while learning)
                people.append(PersonMood(track.track_id, state, rise, p.mark, None if rest is None else p.share,
                                         None if rest is None else unhappy_share(v[0]),
                                         None if rest is None else unhappy_share(rest[0])))
            if p.mark:
                marked.append(track.track_id)
        self._sweep(now)
        return Judged(out, learning, moving, tuple(i for _, i in sorted(raising)),
                      tuple(i for _, i in sorted(negative)), tuple(sorted(marked)), tuple(people))

    def _place(self, track: Track, now: float) -> tuple[_Person, float, float]:
        """The person behind a track (a new one when its box jumped), the seconds since their last frame (at
        most 0.5) and their face's width."""
        x0, y0, x1, y1 = track.xyxy.tolist()
        cx, cy, w = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, 1.0)
        p = self._people.get(track.track_id)
        # the reach grows with the time since they were last in view: a face missed for a few frames walked on
        reach = JUMP + WALK * min(max(now - p.last - 0.1, 0.0), REACH_SECONDS) if p is not None else JUMP
        if p is None or (cx - p.cx) ** 2 + (cy - p.cy) ** 2 > (reach * max(w, p.w)) ** 2:
            # a box that jumped in their first seconds: still first seen
            met = self._met.setdefault(track.track_id, now if track.track_id > self._old else -math.inf)
            p = self._people[track.track_id] = _Person(now, now, markable=now - met <= FORGET)
        dt = min(max(now - p.last, 0.0), 0.5)
        p.last, p.cx, p.cy, p.w = now, cx, cy, w
        return p, dt, w

    def _read(self, p: _Person, s: float, v: np.ndarray, w: float, dt: float, now: float,
              c: RestConfig) -> tuple[float, float | None, bool]:
        """One readable face of ``p``: what they count in the group mood, their rise above rest (None while
        learning) and whether they have been turned for ``person_duration`` seconds."""
        if now - p.read > c.gap:  # unread longer than the gap: a stretch of turning starts again
            p.below_since = p.unhappy_since = None
        p.read = now
        self._learn(p, s, v, w, dt, c)
        if p.rest_v is None or p.relearning:
            p.low, p.below_since = False, None
            if p.rest_v is None and p.mark is None and p.markable:  # the mark: unhappy before the first resting face
                p.unhappy_since = (p.unhappy_since or now) if s < MARK_BAR else None
                if p.unhappy_since is not None and now - p.unhappy_since >= c.person_duration:
                    p.mark = READ_UNHAPPY
            return 0.0, None, False
        bar = np.maximum(c.turn, c.turn_sigmas * p.rest_sd)
        rises = v - p.rest_v
        share = p.share = float(np.min(rises / bar))  # the smaller rise, in its own bar: >= 1 is a turn
        rise = float(np.min(rises))
        turned = share >= 1.0 and v[1] >= V_FLOOR
        p.low = turned or (p.low and share >= BACK)
        # the hold runs from the turn while they stay turned (a Schmitt trigger: a reading flickering just under
        # the bar does not start a turn in progress again; back under half of it, it ends)
        p.below_since = (p.below_since if p.below_since is not None else now) if p.low else None
        own = min(0.0, min(s, 0.0) - min(p.rest_s, 0.0) + c.turn_sigmas * p.rest_sd_s)
        return own, rise, p.below_since is not None and now - p.below_since >= c.person_duration

    @staticmethod
    def _learn(p: _Person, s: float, v: np.ndarray, w: float, dt: float, c: RestConfig) -> None:
        """Add a readable face to the resting reading being learned; learn it again when the face moved a
        face width from where it was learned, or its size left the band it was learned at."""
        if p.rest_v is not None and not p.relearning:
            moved = (p.cx - p.ax) ** 2 + (p.cy - p.ay) ** 2 > (MOVE * max(w, p.rest_w)) ** 2
            if not moved and p.rest_w / RESCALE <= w <= p.rest_w * RESCALE:
                return
            p.relearning, p.seen, p.n, p.v1, p.v2 = True, 0.0, 0, np.zeros(2), np.zeros(2)
            p.s1, p.s2, p.wsum = 0.0, 0.0, 0.0
        p.seen, p.n, p.v1, p.v2, p.wsum = p.seen + dt, p.n + 1, p.v1 + v, p.v2 + v * v, p.wsum + w
        p.s1, p.s2 = p.s1 + s, p.s2 + s * s
        if p.seen >= c.settle:
            mean = p.v1 / p.n
            p.rest_v, p.rest_sd = mean, np.sqrt(np.maximum(p.v2 / p.n - mean * mean, 0.0))
            p.rest_s = p.s1 / p.n
            p.rest_sd_s = math.sqrt(max(p.s2 / p.n - p.rest_s * p.rest_s, 0.0))
            p.rest_w, p.ax, p.ay, p.relearning = p.wsum / p.n, p.cx, p.cy, False

    def _sweep(self, now: float) -> None:
        """Forget people long gone, once a second, and when ids no longer in memory were first met (a shift
        hands out thousands of ids; each is known as met before by being at most ``_old``)."""
        if now - self._swept >= 1.0:
            self._swept = now
            for pid in [pid for pid, p in self._people.items() if now - p.last > FORGET]:
                del self._people[pid]
            for pid in [pid for pid, t in self._met.items() if now - t > FORGET and pid not in self._people]:
                del self._met[pid]
                self._old = max(self._old, pid)
