"""Group mood: a score in [-1, 1], its trend, and an alert with hysteresis and cooldown.

Per face (smoothed probabilities p): when its most likely emotion is happy or a negative one,
    s = p(happy) - [p(angry) + p(disgust) + p(fear) + p(sad)];
when it is neutral or surprise (as often pleasant as not), s = 0. The gate matters: a model trained
on FER+ votes gives a neutral face the share of taggers who saw something else in it, and those
split towards sad and angry far more than towards happy, so without it every calm face would count
as a little negative and a neutral queue could never score 0 (measured on crowd_1080p.mp4: mood
-0.38 with 25% of rows reading negative; see docs/benchmarks.md). Group score = mean of s over the
tracked faces. The alert watches the score averaged over the last ``window`` seconds:

* it starts when that average has stayed negative for ``duration`` seconds: below ``threshold``
  (the absolute rule), or more than ``drop`` below its own baseline (the relative rule: the
  queue's mood "trends negative"). The baseline is the mean score over the ``baseline`` seconds
  before the window, known once ``baseline_min`` seconds of it exist, and frozen during an alert;
* it clears when the average has stayed above both bars plus ``hysteresis`` for ``duration / 2``;
* after it clears, no new alert starts for ``cooldown`` seconds.

Only faces the quality gate passed (``Track.quality == "ok"``) count; the others stay tracked.

Each person against their own resting face (``settle`` > 0, the default). A tracked person's first
``settle`` seconds in view set their resting reading (the mean of their face score then). After it,
a person counts ``min(s - min(rest, 0), max(s, 0))``: a resting face that reads sad (lowered brows,
eyes down) is excused down to its own level, a turn below it counts in full, and a resting reading
never makes a calm face negative. Before it, a person who arrived while the monitor was running counts
as read (an arrival may be unhappy already); the people in view during the monitor's first ``settle``
seconds count 0 until their resting reading is known (the monitor cannot tell which of them just turned),
and so does a person whose box jumps more than a face width between two readings (the tracker gave
their id to someone else). A person alone is always judged as read. The group score is the mean over people of what they count.

A person is *flagged* when what they count stays below ``person_bar`` for ``person_duration`` seconds
(cleared above ``person_bar + hysteresis`` for half that): a flagged person raises the alert (reason
``"turned"`` when below their own resting face, ``"unhappy"`` when judged as read: arrived unhappy, or
alone), whatever the group's mean. A person flagged while their resting reading is being learned does not
get it: they stay judged as read until they are back above the bar. README, "Mood and alert", gives the
numbers that chose each default (benchmarks/alert_matrix.py).

Time is the source's clock (frame index / fps for a file, wall time for a camera), so a video
processed faster than real time raises the same alerts as when played live.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .types import LABELS, MoodState, Track

NEGATIVE = ("angry", "disgust", "fear", "sad")
POSITIVE = ("happy",)
WEIGHTS = np.array([1.0 if c in POSITIVE else -1.0 if c in NEGATIVE else 0.0 for c in LABELS], np.float32)


CALM_LABELS = ("neutral", "surprise")
CALM = np.array([LABELS.index(label) for label in CALM_LABELS])


def face_score(probs: np.ndarray) -> np.ndarray:
    """Score of each face from its probabilities (N, 7) -> (N,), each in [-1, 1]; 0 for a face whose
    most likely emotion is neutral or surprise."""
    p = np.asarray(probs, np.float32).reshape(-1, len(LABELS))
    return np.where(np.isin(p.argmax(1), CALM), np.float32(0.0), p @ WEIGHTS)


def format_score(score: float) -> str:
    """A mood score as every surface writes it: ``"-0.27"``, on the -1..+1 scale with two decimals and a
    sign, never ``"-0.00"``."""
    return f"{round(float(score), 2) + 0.0:+.2f}"


def format_mood(score: float, learning: int = 0, faces: int = 0) -> str:
    """The group mood in a line of text (status line, alert line, overlay, gauge): ``"mood -0.27"``; with
    ``learning`` faces (of ``faces`` counted) whose resting reading is still being learned, and so count 0,
    ``"mood +0.00 (learning 4 of 6)"``, so that a mood held at 0 by the monitor's first seconds says so."""
    note = f" (learning {learning} of {faces})" if learning else ""
    return f"mood {format_score(score)}{note}"


@dataclass(frozen=True)
class MoodConfig:
    threshold: float = -0.3
    window: float = 10.0  # seconds averaged for the alert and the trend
    duration: float = 5.0  # seconds below threshold before an alert
    hysteresis: float = 0.1
    cooldown: float = 30.0
    drop: float = 0.3  # relative rule: this far below the baseline counts as negative (0 = off)
    baseline: float = 180.0  # seconds of history the baseline averages
    baseline_min: float = 30.0  # seconds of history before the relative rule applies
    gap: float = 2.0  # seconds with nobody counted that the alert's timers survive; a longer gap resets them
    settle: float = 4.0  # seconds a person is seen before their resting reading is known (0: people judged as read)
    person_bar: float = -0.5  # a person counting below this for person_duration seconds raises the alert
    person_duration: float = 3.0


MOOD_DEFAULTS = MoodConfig()  # the defaults, read by the settings model (settings.py)
FORGET = 10.0  # seconds unseen after which a person's resting reading is dropped (the tracker keeps ids 8 s)
JUMP = 1.0  # face widths a box may move between two readings before its person is learned again (a walker: 0.3 a frame at 25 fps)


@dataclass
class _Person:
    """One tracked person's resting reading and flag (see the module docstring)."""

    last: float
    quiet: bool  # learned quietly (counts 0, not flagged): in view at the start, or a jumped box
    cx: float = 0.0  # the box's last centre and width
    cy: float = 0.0
    w: float = 0.0
    seen: float = 0.0  # seconds counted while learning
    n: int = 0
    total: float = 0.0
    rest: float | None = None  # the resting reading, once learned
    below_since: float | None = None
    above_since: float | None = None
    flag: str | None = None  # "turned" or "unhappy" while flagged


class People:
    """Per-person judging for :class:`MoodMonitor`: what each counted face counts, and who is flagged.
    Hand-written: the rule is this product's (no library keeps per-identity baselines of a score)."""

    def __init__(self):
        self._people: dict[int, _Person] = {}
        self._start: float | None = None
        self._swept = 0.0

    def judge(self, tracks: Sequence[Track], scores: np.ndarray, now: float,
              c: MoodConfig) -> tuple[np.ndarray, int]:
        """What each counted face counts under ``c`` (their boxes tell an identity handed to someone else),
        and how many of them count 0 while their resting reading is learned."""
        if self._start is None:
            self._start = now
        alone = len(tracks) == 1
        out = np.empty(len(tracks), np.float32)
        people = self._people
        quiet = 0
        for k, (track, s) in enumerate(zip(tracks, scores.tolist())):
            x0, y0, x1, y1 = track.xyxy.tolist()
            cx, cy, w = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, 1.0)
            p = people.get(track.track_id)
            if p is None:
                p = people[track.track_id] = _Person(now, quiet=now - self._start < c.settle)
            elif (cx - p.cx) ** 2 + (cy - p.cy) ** 2 > (JUMP * max(w, p.w)) ** 2:
                # the box jumped: the tracker gave this id to someone else (a re-identification gone wrong):
                # whoever it is now, their resting face is learned again, quietly
                p.rest, p.seen, p.n, p.total, p.quiet = None, 0.0, 0, 0.0, True
                p.flag = p.below_since = p.above_since = None
            p.cx, p.cy, p.w = cx, cy, w
            dt = now - p.last
            dt = 0.0 if dt < 0 else (0.5 if dt > 0.5 else dt)
            p.last = now
            learning = p.rest is None
            if alone:
                j = s
            elif learning:
                j = 0.0 if p.quiet else s
                quiet += p.quiet
            else:
                rest = p.rest if p.rest < 0.0 else 0.0  # type: ignore[operator]
                j = min(s - rest, s if s > 0.0 else 0.0)
            out[k] = j
            if alone or not (learning and p.quiet):
                self._flag(p, j, now, "turned" if not learning and not alone else "unhappy", c)
            if learning:
                if p.flag:  # flagged while learning: no resting reading from an unhappy stretch
                    p.seen, p.n, p.total = 0.0, 0, 0.0
                else:
                    p.seen, p.n, p.total = p.seen + dt, p.n + 1, p.total + s
                    if p.seen >= c.settle:
                        p.rest = p.total / p.n
        if now - self._swept >= 1.0:  # forget people long gone, once a second
            self._swept = now
            for pid in [pid for pid, p in people.items() if now - p.last > FORGET]:
                del people[pid]
        return out, quiet

    def _flag(self, p: _Person, j: float, now: float, kind: str, c: MoodConfig) -> None:
        if p.flag is None and p.below_since is None and j >= c.person_bar:
            return  # the common case: a person above the bar, not flagged
        if p.flag is None:
            if j < c.person_bar:
                p.below_since = now if p.below_since is None else p.below_since
                if now - p.below_since >= c.person_duration:
                    p.flag, p.above_since = kind, None
            else:
                p.below_since = None
        elif j >= c.person_bar + c.hysteresis:
            p.above_since = now if p.above_since is None else p.above_since
            if now - p.above_since >= c.person_duration / 2:
                p.flag, p.below_since = None, None
        else:
            p.above_since = None

    def flagged(self, now: float, gap: float) -> str | None:
        """"turned" or "unhappy" if someone in view (seen within ``gap`` seconds) is flagged, else None."""
        flags = {p.flag for p in self._people.values() if p.flag and now - p.last <= gap}
        return "turned" if "turned" in flags else ("unhappy" if flags else None)


class MoodMonitor:
    def __init__(self, config: MoodConfig | None = None):
        self.config = config or MoodConfig()
        self._history: deque[tuple[float, float]] = deque()  # (time, instantaneous score)
        self._sums = [0.0, 0.0, 0.0, 0.0]  # over the window: t, s, t*t, t*s (t from _t0), for the mean and trend
        self._t0: float | None = None
        # the baseline's history, outside alerts: the last ``window`` seconds wait in _fresh; older entries,
        # back to ``baseline`` seconds before the window, are _old, whose sum is kept as entries come and go
        self._fresh: deque[tuple[float, float]] = deque()
        self._old: deque[tuple[float, float]] = deque()
        self._old_sum = 0.0
        self.alert = False
        self.alert_started: float | None = None
        self.reason: str | None = None
        self._alert_baseline: float | None = None
        self._below_since: float | None = None
        self._above_since: float | None = None
        self._cleared_at: float | None = None
        self._empty_since: float | None = None  # when the current stretch with nobody counted began
        self.people = People()

    def reset(self) -> None:
        MoodMonitor.__init__(self, self.config)

    def _window_mean(self, now: float) -> float | None:
        w = self.config.window
        while self._history and self._history[0][0] < now - w:
            self._remove(*self._history.popleft())
        if not self._history:
            self._sums, self._t0 = [0.0, 0.0, 0.0, 0.0], None  # start the running sums afresh (no drift)
            return None
        return self._sums[1] / len(self._history)

    def _add(self, t: float, s: float) -> None:
        if self._t0 is None:
            self._t0 = t
        self._history.append((t, s))
        t -= self._t0
        sums = self._sums
        sums[0] += t
        sums[1] += s
        sums[2] += t * t
        sums[3] += t * s

    def _remove(self, t: float, s: float) -> None:
        t -= self._t0  # type: ignore[operator]
        sums = self._sums
        sums[0] -= t
        sums[1] -= s
        sums[2] -= t * t
        sums[3] -= t * s

    def trend(self) -> float:
        """Least-squares slope of the score over the window, per minute (0 with < 2 points)."""
        n = len(self._history)
        if n < 2:
            return 0.0
        st, ss, stt, sts = self._sums  # kept as scores come and go: O(1) a frame
        var = stt - st * st / n
        if var <= 1e-9 * max(stt, 1.0):
            return 0.0
        return (sts - st * ss / n) / var * 60.0

    def baseline(self, now: float) -> float | None:
        """Mean score over the ``baseline`` seconds before the averaging window; None until
        ``baseline_min`` seconds of it exist or with the relative rule off."""
        c = self.config
        if self.alert:
            return self._alert_baseline  # frozen while the alert lasts
        while self._fresh and self._fresh[0][0] < now - c.window:
            entry = self._fresh.popleft()
            self._old.append(entry)
            self._old_sum += entry[1]
        while self._old and self._old[0][0] < now - c.window - c.baseline:
            self._old_sum -= self._old.popleft()[1]
        if not c.drop:
            return None
        if not self._old or self._old[-1][0] - self._old[0][0] < c.baseline_min:
            return None
        return self._old_sum / len(self._old)

    def _negative(self, mean: float, base: float | None, margin: float = 0.0) -> str | None:
        """Which rule calls ``mean`` negative ("threshold", "drop") with ``margin`` added, or None."""
        c = self.config
        if mean < c.threshold + margin:
            return "threshold"
        if base is not None and mean < base - c.drop + margin:
            return "drop"
        return None

    def update(self, tracks: Sequence[Track], now: float) -> MoodState:
        c = self.config
        counted = [t for t in tracks if t.quality == "ok"]
        faces = len(counted)
        event, learning = None, 0
        if faces:
            self._empty_since = None
            scores = face_score(np.stack([t.probs for t in counted]))
            if c.settle > 0:
                scores, learning = self.people.judge(counted, scores, now, c)
            score = float(np.mean(scores))
            self._add(now, score)
            if not self.alert:
                self._fresh.append((now, score))
        else:
            score = 0.0
        mean = self._window_mean(now)
        base = self.baseline(now)
        person = self.people.flagged(now, c.gap) if faces and c.settle > 0 else None
        if mean is None or not faces:
            # nobody counted: the queue's mood is unknown. A short gap (a face turned away, a missed
            # detection, someone passing in front) keeps the timers where they are; a gap longer than
            # ``gap`` seconds starts them again
            if self._empty_since is None:
                self._empty_since = now
            if now - self._empty_since > c.gap:
                self._below_since = self._above_since = None
                if self.alert:  # nobody in view for longer than the gap: no one left to be unhappy
                    self.alert, event = False, "clear"
                    self._cleared_at = now
        elif not self.alert:
            cooling = self._cleared_at is not None and now - self._cleared_at < c.cooldown
            why = self._negative(mean, base)
            if why and not cooling:
                if self._below_since is None:
                    self._below_since = now
            else:
                self._below_since = None
            group = why if why and self._below_since is not None and now - self._below_since >= c.duration else None
            if (group or person) and not cooling:
                self.alert, self.alert_started, event, self.reason = True, now, "alert", person or group
                self._alert_baseline = base
                self._above_since = None
        else:
            if self._negative(mean, base, c.hysteresis) is None and person is None:
                if self._above_since is None:
                    self._above_since = now
                if now - self._above_since >= c.duration / 2:
                    self.alert, event = False, "clear"
                    self._cleared_at, self._below_since = now, None
            else:
                self._above_since = None
        state = MoodState(score=mean if mean is not None and faces else score, trend=self.trend(), faces=faces,
                          alert=self.alert, alert_started=self.alert_started if self.alert else None, event=event,
                          baseline=base, reason=self.reason if self.alert else None,
                          learning=learning)
        return state
