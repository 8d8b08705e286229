"""Per-person summary of a session: who was in view, for how long, and how they felt.

Built from the frame results as they pass (the session keeps one :class:`PeopleLog`), so the stats
JSON can list every person; ``emotion-monitor report`` computes the same figures from a CSV.
A person is a tracker id (tracking.py keeps one id per person through a crowd).
"""

from __future__ import annotations

from dataclasses import dataclass

from .mood import NEGATIVE, face_score
from .recording import iso_utc
from .types import FrameResult, PersonSummary


@dataclass
class PersonTally:
    """Running figures of one person: times in the source's clock and UTC, frames in view, and over
    the frames where the face counted in the mood (quality "ok"): the sum of its face score and the
    frames whose top emotion was negative."""

    first: float
    last: float
    first_utc: float
    last_utc: float
    frames: int = 0
    counted: int = 0
    score_sum: float = 0.0
    negative: int = 0
    alerts: int = 0  # alerts raised about them (mood.MoodState.who when an alert starts)
    arrived_unhappy: bool = False  # marked so on arrival (mood.MoodState.marked)

    def as_dict(self, person: int) -> PersonSummary:
        return {"person": person, "first_seen": iso_utc(self.first_utc), "last_seen": iso_utc(self.last_utc),
                "dwell_s": round(self.last - self.first, 2), "frames": self.frames,
                "mean_mood": round(self.score_sum / self.counted, 3) + 0.0 if self.counted else None,  # no -0.0
                "negative_share": round(self.negative / self.counted, 3) if self.counted else None,
                "alerts": self.alerts, "arrived_unhappy": self.arrived_unhappy}


class PeopleLog:
    """Per-person tallies over a session; at most ``limit`` people are kept (the longest in view
    stay when a long session exceeds it), so a shift's memory stays bounded."""

    def __init__(self, limit: int = 10_000):
        self.limit = limit
        self.people: dict[int, PersonTally] = {}

    def update(self, result: FrameResult) -> None:
        t, utc = result.frame.media_time, result.frame.timestamp
        for tr in result.tracks:
            p = self.people.get(tr.track_id)
            if p is None:
                if len(self.people) >= self.limit:
                    self._prune()
                p = self.people[tr.track_id] = PersonTally(t, t, utc, utc)
            p.last, p.last_utc = t, utc
            p.frames += 1
            if tr.track_id in result.mood.marked:
                p.arrived_unhappy = True
            if result.mood.event == "alert" and tr.track_id in result.mood.who:
                p.alerts += 1
            if tr.quality == "ok":
                p.counted += 1
                p.score_sum += float(face_score(tr.probs)[0])
                p.negative += tr.label in NEGATIVE

    def _prune(self) -> None:
        keep = sorted(self.people.items(), key=lambda kv: -(kv[1].last - kv[1].first))[: self.limit // 2]
        self.people = dict(sorted(keep))

    def reset(self) -> None:
        self.people.clear()

    def summary(self) -> list[PersonSummary]:
        """One dict per person, by first appearance."""
        return [p.as_dict(i) for i, p in sorted(self.people.items(), key=lambda kv: (kv[1].first, kv[0]))]
