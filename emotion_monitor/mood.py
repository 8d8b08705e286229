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


def format_mood(score: float) -> str:
    """The group mood in a line of text (status line, alert line, overlay, gauge): ``"mood -0.27"``."""
    return f"mood {format_score(score)}"


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


MOOD_DEFAULTS = MoodConfig()  # the defaults, read by the settings model (settings.py)


class MoodMonitor:
    def __init__(self, config: MoodConfig | None = None):
        self.config = config or MoodConfig()
        self._history: deque[tuple[float, float]] = deque()  # (time, instantaneous score)
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

    def reset(self) -> None:
        MoodMonitor.__init__(self, self.config)

    def _window_mean(self, now: float) -> float | None:
        w = self.config.window
        while self._history and self._history[0][0] < now - w:
            self._history.popleft()
        if not self._history:
            return None
        return float(np.mean([s for _, s in self._history]))

    def trend(self) -> float:
        """Least-squares slope of the score over the window, per minute (0 with < 2 points)."""
        if len(self._history) < 2:
            return 0.0
        t = np.array([p[0] for p in self._history])
        s = np.array([p[1] for p in self._history])
        if np.ptp(t) <= 0:
            return 0.0
        return float(np.polyfit(t - t[0], s, 1)[0] * 60.0)

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
        event = None
        if faces:
            self._empty_since = None
            score = float(np.mean(face_score(np.stack([t.probs for t in counted]))))
            self._history.append((now, score))
            if not self.alert:
                self._fresh.append((now, score))
        else:
            score = 0.0
        mean = self._window_mean(now)
        base = self.baseline(now)
        if mean is None or not faces:
            # nobody counted: the queue's mood is unknown. A short gap (a face turned away, a missed
            # detection, someone passing in front) keeps the timers where they are; a gap longer than
            # ``gap`` seconds starts them again
            if self._empty_since is None:
                self._empty_since = now
            if now - self._empty_since > c.gap:
                self._below_since = self._above_since = None
        elif not self.alert:
            cooling = self._cleared_at is not None and now - self._cleared_at < c.cooldown
            why = self._negative(mean, base)
            if why and not cooling:
                if self._below_since is None:
                    self._below_since = now
                if now - self._below_since >= c.duration:
                    self.alert, self.alert_started, event, self.reason = True, now, "alert", why
                    self._alert_baseline = base
                    self._above_since = None
            else:
                self._below_since = None
        else:
            if self._negative(mean, base, c.hysteresis) is None:
                if self._above_since is None:
                    self._above_since = now
                if now - self._above_since >= c.duration / 2:
                    self.alert, event = False, "clear"
                    self._cleared_at, self._below_since = now, None
            else:
                self._above_since = None
        state = MoodState(score=mean if mean is not None and faces else score, trend=self.trend(), faces=faces,
                          alert=self.alert, alert_started=self.alert_started if self.alert else None, event=event,
                          baseline=base, reason=self.reason if self.alert else None)
        return state
