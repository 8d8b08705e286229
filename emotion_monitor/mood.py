"""Group mood: a score in [-1, 1], its trend, and an alert with hysteresis and cooldown.

Per face (smoothed probabilities p): when its most likely emotion is happy or a negative one,
    s = p(happy) - [p(angry) + p(disgust) + p(fear) + p(sad)];
when it is neutral or surprise (as often pleasant as not), s = 0. The gate matters: a model trained
on FER+ votes gives a neutral face the share of taggers who saw something else in it, and those
split towards sad and angry far more than towards happy, so without it every calm face would count
as a little negative and a neutral queue could never score 0 (measured on crowd_1080p.mp4: mood
-0.38 with 25% of rows reading negative; see docs/benchmarks.md). Only faces the quality gate passed
(``Track.quality == "ok"``) count; the others stay tracked (and are company: resting.py).

Each person counts against their own resting face (``settle`` > 0, the default; resting.py says how).
The group score is the mean of what the counted people count. The alert, in five lines
(docs/alert.md draws it as a state diagram):

1. ALERT when the group score averaged over ``window`` seconds stays below ``threshold``, or more than
   ``drop`` below its own baseline, for ``duration`` seconds (reasons ``"threshold"``, ``"drop"``);
2. or when one person stays well below their own resting face for ``person_duration`` seconds
   (``"turned"``), or below ``person_bar`` while alone in view since they arrived (``"alone"``);
3. an unhappy arrival into a group is *marked* (``MoodState.marked``) and counts as read until their
   resting face is known; no ALERT of their own;
4. CLEAR once, for ``duration / 2`` seconds, the group is above its bars plus ``hysteresis`` and every
   person of line 2 above ``person_bar + hysteresis``, or at once when nobody is counted for ``gap`` s;
5. no new ALERT for ``cooldown`` seconds after a CLEAR.

Nothing else holds an alert on: clearing reads only the present readings, never a remembered flag. The
baseline is the mean score over the ``baseline`` seconds before the window, known once ``baseline_min``
seconds of it exist, and frozen during an alert. ``MoodState.who`` names the people behind an alert.

Time is the source's clock (frame index / fps for a file, wall time for a camera), so a video
processed faster than real time raises the same alerts as when played live.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .resting import RestConfig, RestingFaces
from .types import LABELS, MoodState, Track

NEGATIVE = ("angry", "disgust", "fear", "sad")
POSITIVE = ("happy",)
WEIGHTS = np.array([1.0 if c in POSITIVE else -1.0 if c in NEGATIVE else 0.0 for c in LABELS], np.float32)


CALM_LABELS = ("neutral", "surprise")
CALM = np.array([LABELS.index(label) for label in CALM_LABELS])
_IS_CALM = np.isin(np.arange(len(LABELS)), CALM)  # by label index: a lookup costs less than np.isin each frame


def face_score(probs: np.ndarray) -> np.ndarray:
    """Score of each face from its probabilities (N, 7) -> (N,), each in [-1, 1]; 0 for a face whose
    most likely emotion is neutral or surprise."""
    p = np.asarray(probs, np.float32).reshape(-1, len(LABELS))
    return np.where(_IS_CALM[p.argmax(1)], np.float32(0.0), p @ WEIGHTS)


def format_score(score: float) -> str:
    """A mood score as every surface writes it: ``"-0.27"``, on the -1..+1 scale with two decimals and a
    sign, never ``"-0.00"``."""
    return f"{round(float(score), 2) + 0.0:+.2f}"


def wait_text(seconds: float) -> str:
    """A wait as a person reads it: ``0:26``, ``12:05``."""
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def format_mood(score: float, learning: int = 0, faces: int = 0) -> str:
    """The group mood in a line of text (status line, alert line, overlay, gauge): ``"mood -0.27"``; with
    ``learning`` faces (of ``faces`` counted) whose resting reading is still being learned, and so count 0,
    ``"mood +0.00 (learning 4 of 6)"``, so that a mood held at 0 by the monitor's first seconds says so."""
    note = f" (learning {learning} of {faces})" if learning else ""
    return f"mood {format_score(score)}{note}"


PERSON_REASONS = ("turned", "alone")  # alerts one person raised (the others, "threshold" and "drop", the group)
WHY = {"threshold": "below the alert threshold", "drop": "well below its usual level"}  # the group's rules


def people_text(ids: tuple[int, ...], most: int = 3) -> str:
    """Track ids as a short list for a line of text: ``"#4, #9"``, ``"#4, #9, #12 and 2 more"``."""
    shown = ", ".join(f"#{i}" for i in ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")


def why_text(reason: str | None, who: tuple[int, ...] = ()) -> str:
    """An alert's rule in the window's banner and the webhook's words: ``"#4 turned unhappy"``."""
    people = people_text(who)
    if reason == "turned":
        return f"{people or 'someone'} turned unhappy (well below their resting face)"
    if reason == "alone":
        return f"{people or 'a person'} unhappy, alone in view"
    what = WHY.get(reason or "", "negative")
    return f"{what}; lowest: {people}" if people else what


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
    turn_sigmas: float = 2.0  # a turn must also fall this many of the person's own resting spreads below their rest

    def rest(self) -> RestConfig:
        """The per-person part (resting.py)."""
        return RestConfig(settle=self.settle, person_bar=self.person_bar, person_duration=self.person_duration,
                          turn_sigmas=self.turn_sigmas, hysteresis=self.hysteresis, gap=self.gap)


MOOD_DEFAULTS = MoodConfig()  # the defaults, read by the settings model (settings.py)


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

    def baseline_score(self, now: float) -> float | None:
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
        ok = [t.quality == "ok" for t in tracks]
        counted = [t for t, k in zip(tracks, ok) if k]
        faces = len(counted)
        event = None
        scores = face_score(np.stack([t.probs for t in counted])) if faces else np.zeros(0, np.float32)
        judged = self.resting.judge(tracks, ok, scores, now, self._rest) if c.settle > 0 else None
        if judged is not None:
            scores = judged.values
        if faces:
            self._empty_since = None
            score = float(np.mean(scores))
            self._add(now, score)
            if not self.alert:
                self._fresh.append((now, score))
        else:
            score = 0.0
        mean = self._window_mean(now)
        base = self.baseline_score(now)
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
            person = None
            if judged is not None and judged.raising:
                person = "turned" if "turned" in judged.raising.values() else "alone"
            if (group or person) and not cooling:
                self.alert, self.alert_started, event, self.reason = True, now, "alert", person or group
                self._alert_baseline = base
                self._above_since = None
        else:
            below = judged is not None and c.person_bar > -1.0 and bool(judged.below)
            if self._negative(mean, base, c.hysteresis) is None and not below:
                if self._above_since is None:
                    self._above_since = now
                if now - self._above_since >= c.duration / 2:
                    self.alert, event = False, "clear"
                    self._cleared_at, self._below_since = now, None
            else:
                self._above_since = None
        who: tuple[int, ...] = ()
        if self.alert and judged is not None:
            if event == "alert" and judged.raising:  # those who raised it (below their bar, so all in negative)
                who = tuple(i for i in judged.negative if i in judged.raising)
            else:
                who = judged.below if self.reason in PERSON_REASONS and judged.below else judged.negative
        return MoodState(score=mean if mean is not None and faces else score, trend=self.trend(), faces=faces,
                         alert=self.alert, alert_started=self.alert_started if self.alert else None, event=event,
                         baseline=base, reason=self.reason if self.alert else None,
                         learning=judged.learning if judged is not None else 0, who=who,
                         marked=judged.marked if judged is not None else ())
