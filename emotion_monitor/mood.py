"""Group mood: what the counted faces read, what the alert judges, and the alert.

Per face (smoothed probabilities p): when its most likely emotion is happy or a negative one,
    s = p(happy) - [p(angry) + p(disgust) + p(fear) + p(sad)];
when it is neutral or surprise (as often pleasant as not), s = 0. The gate matters: a model trained
on FER+ votes gives a neutral face the share of taggers who saw something else in it, and those
split towards sad and angry far more than towards happy, so without it every calm face would count
as a little negative (measured on crowd_1080p.mp4: mood -0.38 with 25% of rows reading negative; see
docs/benchmarks.md). Only faces the quality gate passed (``Track.quality == "ok"``) count; the others
stay tracked. ``MoodState.score`` is the counted faces' mean ``s`` over ``window`` seconds: what they read.

The alert judges change, never a level: a resting face that reads sad and an unhappy one read alike,
only a turn tells them apart (resting.py judges each person against their own resting face, alone in
view or in a crowd alike). The rule (docs/alert.md draws it):

1. ALERT when someone **turns**: their unhappy log-odds rise clearly above their own resting reading for
   ``person_duration`` seconds (reason ``"turned"``); or when the **group** falls: the mean of each
   counted person's fall below their resting reading (``MoodState.vs_rest``), over ``window`` seconds,
   stays below ``threshold`` for ``duration`` seconds and this frame's is below it too (reason ``"group"``).
2. Whoever turns while the alert is on joins it: ``MoodState.who`` names everyone behind it.
3. CLEAR once, for ``duration / 2`` seconds, every person who turned is back near their resting face or
   has been unread for over ``gap`` seconds (left), and the group's ``vs_rest`` is above ``threshold +
   hysteresis`` (or nobody has been counted for over ``gap`` seconds). Only present readings count.
4. No group alert for ``cooldown`` seconds after a CLEAR; a person's turn is never muted (to clear, the
   people behind the alert were back near rest, so a new turn is a new event).

Someone who reads unhappy from the moment they are first seen is marked (``MoodState.marked``): the
reading is shown, no alert is raised (nothing has turned).

Time is the source's clock (frame index / fps for a file, wall time for a camera), so a video
processed faster than real time raises the same alerts as when played live.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .resting import EPS, Judged, RestConfig, RestingFaces
from .types import LABELS, MoodState, PersonMood, Track

NEGATIVE = ("angry", "disgust", "fear", "sad")
POSITIVE = ("happy",)
WEIGHTS = np.array([1.0 if c in POSITIVE else -1.0 if c in NEGATIVE else 0.0 for c in LABELS], np.float32)


CALM_LABELS = ("neutral", "surprise")
CALM = np.array([LABELS.index(label) for label in CALM_LABELS])
_IS_CALM = np.isin(np.arange(len(LABELS)), CALM)  # by label index: a lookup costs less than np.isin each frame
_UNHAPPY = np.array([c in NEGATIVE for c in LABELS], np.float32)
_CALM_W = _IS_CALM.astype(np.float32)


def face_score(probs: np.ndarray) -> np.ndarray:
    """Score of each face from its probabilities (N, 7) -> (N,), each in [-1, 1]; 0 for a face whose
    most likely emotion is neutral or surprise."""
    p = np.asarray(probs, np.float32).reshape(-1, len(LABELS))
    # row by row (not a matrix product): a face's score must not depend on the other faces of its batch
    out: np.ndarray = np.where(_IS_CALM[p.argmax(1)], np.float32(0.0), (p * WEIGHTS).sum(1))
    return out


def format_score(score: float) -> str:
    """A mood score as every surface writes it: ``"-0.27"``, on the -1..+1 scale with two decimals and a
    sign, never ``"-0.00"``."""
    return f"{round(float(score), 2) + 0.0:+.2f}"


def wait_text(seconds: float) -> str:
    """A wait as a person reads it: ``0:26``, ``12:05``."""
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def unhappy_odds(probs: np.ndarray) -> np.ndarray:
    """Each face's log-odds of an unhappy reading (N, 7) -> (N, 2): against every other reading, and against a
    calm one, ``log((p(angry + disgust + fear + sad) + eps) / (p(rest) + eps))`` (resting.py says why both)."""
    p = np.asarray(probs, np.float32).reshape(-1, len(LABELS))
    unhappy, calm = (p * _UNHAPPY).sum(1), (p * _CALM_W).sum(1)  # row by row: independent of the batch
    eps = np.float32(EPS)
    out: np.ndarray = np.stack([np.log((unhappy + eps) / (p.sum(1) - unhappy + eps)), np.log((unhappy + eps) / (calm + eps))], 1)
    return out


def format_mood(score: float, learning: int = 0, faces: int = 0, moving: int = 0) -> str:
    """The group mood in a line of text (status line, alert line, overlay, gauge): ``"mood -0.27"``, what the
    counted faces read; with ``learning`` people (of ``faces`` counted) the alert cannot judge yet, ``moving``
    of them learned again because they moved, ``"mood -0.27 (3 of 6 not judged yet: 1 learning, 2 moving)"``,
    in the words of the people panel ("learning resting face", "moving: learning again"). Not "learning 3 of
    6": in a street of walkers that stays on, and a new user read it as stuck; nor "new", which a person in
    view for minutes, met again after an absence, is not."""
    if not learning:
        return f"mood {format_score(score)}"
    why = ", ".join(f"{n} {word}" for n, word in ((learning - moving, "learning"), (moving, "moving")) if n)
    return f"mood {format_score(score)} ({learning} of {faces} not judged yet: {why})"


REASONS = ("turned", "group")  # what raises an alert: people who turned, or the group's fall
PERSON_REASONS = ("turned",)  # alerts people raised (names the people behind them)


def people_text(ids: tuple[int, ...], most: int = 3) -> str:
    """Track ids as a short list for a line of text: ``"#4, #9"``, ``"#4, #9, #12 and 2 more"``."""
    shown = ", ".join(f"#{i}" for i in ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")


def turn_words(who: tuple[int, ...], people: Sequence[PersonMood] = ()) -> str:
    """What the people behind a turn read, from ``people`` (MoodState.people): ``"reads unhappy 19% (4% at
    rest)"`` for one, ``"#4 reads unhappy 40% (5% at rest), #6 35% (8% at rest)"`` for several: the share of the
    reading that is angry, disgust, fear or sad, now and at rest. The alert judges the rise of that share's
    log-odds, and this is what a person can check on screen: "ALERT neutral 71%" beside words that said only
    "reads well below their own resting face" read as a contradiction. Only the people in ``who`` are read out:
    none (a level that names nobody), or none of them in ``people`` (out of view), gives the rule's words alone."""
    read = {p.track_id: p for p in people if p.unhappy is not None and p.rest_unhappy is not None}
    known = [(i, read[i]) for i in who if i in read][:3]
    if not known:
        return "reads well below their own resting face"
    if len(who) == 1:
        return f"reads unhappy {known[0][1].unhappy:.0%} ({known[0][1].rest_unhappy:.0%} at rest)"
    return ", ".join(f"#{i} {'reads unhappy ' if k == 0 else ''}{p.unhappy:.0%} ({p.rest_unhappy:.0%} at rest)"
                     for k, (i, p) in enumerate(known))


def why_text(reason: str | None, who: tuple[int, ...] = (), people: Sequence[PersonMood] = ()) -> str:
    """An alert's rule in the window's banner and the webhook's words: ``"#4 turned: reads unhappy 40% (5% at
    rest)"`` (:func:`turn_words`; ``people``: what each reads, none at a level that names nobody); for the
    group, ``"the group fell below its resting faces; lowest: #4, #9"``."""
    people_ids = people_text(who)
    if reason == "turned":
        return f"{people_ids or 'someone'} turned: {turn_words(who, people)}"
    what = "the group fell below its resting faces" if reason == "group" else "negative"
    return f"{what}; lowest: {people_ids}" if people_ids else what


def banner_text(m: MoodState, source: str = "", since: str = "") -> str:
    """The alert banner's line, live: who is behind the alert now and the mood both at its start and now:
    ``"cam 0: ALERT since 20:10:29 UTC: #4, #6 turned: #4 reads unhappy 40% (5% at rest), #6 35% (8% at rest);
    mood -0.12 at the start, -0.31 now"``."""
    start = f"{format_score(m.alert_score)} at the start, " if m.alert_score is not None else ""
    head = f"{source}: ALERT" if source else "ALERT"
    return (f"{head}{f' since {since}' if since else ''}: {why_text(m.reason, m.who, m.people)}; "
            f"mood {start}{format_score(m.score)} now")


@dataclass(frozen=True)
class MoodConfig:
    threshold: float = -0.3  # the group's fall below its resting faces (vs_rest) that alerts
    window: float = 10.0  # seconds averaged for the mood, the group's fall and the trend
    duration: float = 5.0  # seconds the group stays below threshold before an alert (half of it to clear)
    hysteresis: float = 0.1
    cooldown: float = 30.0  # seconds after a clear with no new group alert
    gap: float = 2.0  # seconds a face may go unread and keep its state; longer, and it has left
    settle: float = 4.0  # seconds a person is seen before their resting reading is known
    turn: float = 1.5  # the least rise of a person's unhappy log-odds above their rest that is a turn
    person_duration: float = 3.0  # seconds a turn must last before it alerts
    turn_sigmas: float = 2.0  # a turn must also rise this many of the person's own resting spreads

    def rest(self) -> RestConfig:
        """The per-person part (resting.py)."""
        return RestConfig(settle=self.settle, turn=self.turn, turn_sigmas=self.turn_sigmas,
                          person_duration=self.person_duration, gap=self.gap)


MOOD_DEFAULTS = MoodConfig()  # the defaults, read by the settings model (settings.py)


class _Window:
    """A running mean and least-squares slope of (time, value) over the last ``seconds``: O(1) a frame."""

    def __init__(self) -> None:
        self.points: deque[tuple[float, float]] = deque()
        self.sums = [0.0, 0.0, 0.0, 0.0]  # t, v, t*t, t*v (t from t0)
        self.t0: float | None = None

    def add(self, t: float, v: float) -> None:
        if self.t0 is None:
            self.t0 = t
        self.points.append((t, v))
        self._step(t - self.t0, v, 1.0)

    def _step(self, t: float, v: float, sign: float) -> None:
        s = self.sums
        s[0] += sign * t
        s[1] += sign * v
        s[2] += sign * t * t
        s[3] += sign * t * v

    def mean(self, now: float, seconds: float) -> float | None:
        while self.points and self.points[0][0] < now - seconds:
            t, v = self.points.popleft()
            self._step(t - (self.t0 or 0.0), v, -1.0)
        if not self.points:
            self.sums, self.t0 = [0.0, 0.0, 0.0, 0.0], None  # start the running sums afresh (no drift)
            return None
        return self.sums[1] / len(self.points)

    def slope(self) -> float:
        """Least-squares slope per second (0 with < 2 points)."""
        n = len(self.points)
        if n < 2:
            return 0.0
        st, sv, stt, stv = self.sums
        var = stt - st * st / n
        if var <= 1e-9 * max(stt, 1.0):
            return 0.0
        return (stv - st * sv / n) / var


class MoodMonitor:
    """The mood stage: ``update(tracks, now)`` -> :class:`MoodState` (the module docstring has the rule)."""

    def __init__(self, config: MoodConfig | None = None):
        self.config = config or MoodConfig()
        self._read, self._fall = _Window(), _Window()  # what faces read; the group's fall below its resting faces
        self.alert = False
        self.alert_started: float | None = None
        self.alert_score: float | None = None
        self.reason: str | None = None
        self._behind: list[int] = []  # everyone behind the current alert, in the order they joined
        self._cleared_who: tuple[int, ...] = ()  # everyone behind the alert that cleared last
        self._turned: set[int] = set()  # those of them who turned (each must be back near rest, or gone, to clear)
        self._below_since: float | None = None
        self._above_since: float | None = None
        self._cleared_at: float | None = None
        self._counted_at: float | None = None  # when a face was last counted
        self.resting = RestingFaces()  # each person against their own resting face

    @property
    def config(self) -> MoodConfig:
        return self._config

    @config.setter
    def config(self, config: MoodConfig) -> None:
        """New settings apply from the next frame on (the window's dialog changes them live)."""
        self._config, self._rest = config, config.rest()

    def reset(self) -> None:
        MoodMonitor.__init__(self, self.config)

    def trend(self) -> float:
        """Least-squares slope of the read mood over the window, per minute (0 with < 2 points)."""
        return self._read.slope() * 60.0

    def update(self, tracks: Sequence[Track], now: float) -> MoodState:
        c = self.config
        ok = [t.quality == "ok" for t in tracks]
        counted = [t for t, k in zip(tracks, ok) if k]
        probs = np.stack([t.probs for t in counted]) if counted else np.zeros((0, len(LABELS)), np.float32)
        scores = face_score(probs)
        judged = self.resting.judge(tracks, ok, scores, unhappy_odds(probs), now, self._rest)
        present = float(np.mean(judged.values)) if counted else None  # the group's fall on this frame
        if present is not None:
            self._counted_at = now
            self._read.add(now, float(np.mean(scores)))
            self._fall.add(now, present)
        score, fall = self._read.mean(now, c.window), self._fall.mean(now, c.window)
        gone = self._counted_at is None or now - self._counted_at > c.gap  # nobody counted for over the gap
        event = self._step(judged, fall if counted else None, present, gone, score, now)
        judging = judged.learning < len(counted)  # someone counted is judged against their resting face now
        return MoodState(score=score if score is not None and counted else 0.0, trend=self.trend(),
                         faces=len(counted), alert=self.alert, alert_started=self.alert_started if self.alert else None,
                         event=event, vs_rest=fall if judging else None, reason=self.reason if self.alert else None,
                         learning=judged.learning, moving=judged.moving, who=tuple(self._behind) if self.alert else (),
                         marked=judged.marked, people=judged.people,
                         alert_score=self.alert_score if self.alert else None,
                         cleared=self._cleared_who if event == "clear" else ())

    def _step(self, judged: Judged, fall: float | None, present: float | None, gone: bool, score: float | None,
              now: float) -> str | None:
        """The alert's state machine for one frame: "alert", "clear" or None. Raising reads the window's
        fall (``fall``); clearing reads the present only (``present``, this frame's), so no average of the
        past holds an alert on."""
        c = self.config
        if gone:
            self._below_since = None
        if not self.alert:
            cooling = self._cleared_at is not None and now - self._cleared_at < c.cooldown
            low = fall is not None and fall < c.threshold and not cooling
            self._below_since = (self._below_since if self._below_since is not None else now) if low else None
            # and low now: a mean over the window lags, and must not raise an alert on people already back
            group = (self._below_since is not None and now - self._below_since >= c.duration
                     and present is not None and present < c.threshold)
            if not (judged.raising or group):
                return None
            self.alert, self.alert_started, self.alert_score = True, now, score
            self.reason = "turned" if judged.raising else "group"
            self._behind, self._turned = list(judged.raising or judged.negative), set(judged.raising)
            self._above_since = None
            return "alert"
        for pid in judged.raising:  # whoever turns during the alert joins it
            if pid not in self._turned:
                self._turned.add(pid)
                if pid not in self._behind:
                    self._behind.append(pid)
        people_back = not any(self.resting.still_low(pid, now, c.gap) for pid in self._turned)
        group_back = gone or present is None or present >= c.threshold + c.hysteresis
        if not (people_back and group_back):
            self._above_since = None
            return None
        self._above_since = self._above_since if self._above_since is not None else now
        if now - self._above_since < c.duration / 2:
            return None
        self.alert, self._cleared_at, self._below_since = False, now, None
        self._cleared_who, self._behind, self._turned = tuple(self._behind), [], set()
        return "clear"
