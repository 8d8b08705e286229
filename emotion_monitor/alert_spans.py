"""The alerts of a session CSV, one span each, with why each was on: what ``emotion-monitor report`` lists
under "Alerts" and writes on its chart. A person's alert is judged against their own resting face, so its
rows can read a mood of 0 and a top emotion of neutral all through it (a calm face whose unhappy share rose
from 5% to 25%); the report says who turned and what they read, or it would show an alert over a flat line
and "100% neutral" with nothing to explain it.

Hand-written: a fold of rows into spans, a few lines no library offers on a streamed CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .mood import PERSON_REASONS, people_text


@dataclass
class AlertSpan:
    """One alert of one source: its first and last second (UTC epoch), the rule that raised it (the CSV's
    ``alert_reason``: "turned", "group"; empty in older files) and the people its rows flag "alert", each with
    what they read at their first flagged row, p(angry + disgust + fear + sad) (none in an aggregate file)."""

    source: str
    start: float
    end: float
    reason: str
    who: dict[int, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def short(self) -> str:
        """The chart's label: ``"#1 turned"``, ``"group fell"``, ``"someone turned"`` (no ids kept)."""
        if self.reason in PERSON_REASONS:
            return f"{people_text(tuple(self.who)) or 'someone'} {self.reason}"
        return "group fell" if self.reason == "group" else "alert"

    def why(self) -> str:
        """The report's words: ``"#1 turned against their own resting face: read unhappy 25% at the alert's
        start"``; ``"the group fell below its resting faces"``; what is not in the file is not said."""
        ids = tuple(self.who)
        read = ", ".join(f"{people_text((i,))} {u:.0%}" if len(ids) > 1 else f"{u:.0%}"
                         for i, u in list(self.who.items())[:3])
        if self.reason in PERSON_REASONS:
            return (f"{people_text(ids) or 'someone'} {self.reason} against their own resting face"
                    + (f": read unhappy {read} at the alert's start" if read else ""))
        if self.reason == "group":
            return "the group fell below its resting faces" + (f" (lowest {people_text(ids)})" if ids else "")
        return f"alert ({self.reason}: a rule of 0.3 and earlier)" if self.reason else "alert (the file gives no reason)"


class SpanTally:
    """Frames folded into :class:`AlertSpan` s, per source (:meth:`frame` in file order, then :meth:`done`)."""

    def __init__(self) -> None:
        self._open: dict[str, AlertSpan] = {}
        self._spans: list[AlertSpan] = []

    def frame(self, source: str, ts: float, on: bool, reason: str, who: dict[int, float], step: float = 0.0) -> None:
        """One frame (or, ``step`` 1, one second) of ``source`` at ``ts``: the alert ``on`` or not, its reason and
        the people flagged behind it with their unhappy share."""
        span = self._open.get(source)
        if not on:
            if span is not None:
                self._spans.append(self._open.pop(source))
            return
        if span is None:
            span = self._open[source] = AlertSpan(source, ts, ts, reason)
        span.end = ts + step
        for face, unhappy in who.items():
            span.who.setdefault(face, unhappy)

    def done(self) -> list[AlertSpan]:
        """Every span, the ones still on at the file's end too, by start."""
        return sorted(self._spans + list(self._open.values()), key=lambda s: s.start)
