"""Per-person summary of a session: who was in view, for how long, and how they felt.

Built from the frame results as they pass (the session keeps one :class:`PeopleLog`), so the stats
JSON can list every person; ``emotion-monitor report`` computes the same figures from a CSV.
A person is a tracker id (tracking.py keeps one id per person through a crowd).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

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
    read_unhappy: bool = False  # marked "read unhappy when first seen" (mood.MoodState.marked)
    zone: str = ""  # the queue zone they waited in (zones.py)
    waited: float | None = None  # their longest stay in it so far; None with no zones

    def as_dict(self, person: int) -> PersonSummary:
        return {"person": person, "first_seen": iso_utc(self.first_utc), "last_seen": iso_utc(self.last_utc),
                "dwell_s": round(self.last - self.first, 2), "frames": self.frames,
                "mean_mood": round(self.score_sum / self.counted, 3) + 0.0 if self.counted else None,  # no -0.0
                "negative_share": round(self.negative / self.counted, 3) if self.counted else None,
                "alerts": self.alerts, "read_unhappy_when_first_seen": self.read_unhappy, "zone": self.zone,
                "waited_s": None if self.waited is None else round(self.waited, 1)}


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
                p.read_unhappy = True
            if result.mood.event == "alert" and tr.track_id in result.mood.who:
                p.alerts += 1
            if result.zones:
                p.zone = p.zone or tr.zone
                p.waited = max(p.waited or 0.0, tr.waited)
            if tr.quality == "ok":
                p.counted += 1
                p.score_sum += float(face_score(tr.probs)[0])
                p.negative += tr.emotion in NEGATIVE

    def _prune(self) -> None:
        keep = sorted(self.people.items(), key=lambda kv: -(kv[1].last - kv[1].first))[: self.limit // 2]
        self.people = dict(sorted(keep))

    def reset(self) -> None:
        self.people.clear()

    def summary(self) -> list[PersonSummary]:
        """One dict per person, by first appearance."""
        return [p.as_dict(i) for i, p in sorted(self.people.items(), key=lambda kv: (kv[1].first, kv[0]))]


PEOPLE_COLUMNS = ("source", *PersonSummary.__annotations__)


def write_people_csv(path: str | Path, people: Mapping[str, Sequence[PersonSummary]]) -> int:
    """Write each source's people (``--people-csv``: one row a person, their wait beside their mood) to a
    file readable by its owner alone; returns the rows written. RecordingError (one line) if it cannot."""
    from .errors import RecordingError
    from .privacy import open_private, why_not

    path = Path(path)
    rows = [[source, *("" if p[k] is None else p[k] for k in PEOPLE_COLUMNS[1:])]  # type: ignore[literal-required]
            for source, persons in people.items() for p in persons]
    try:
        with open_private(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(PEOPLE_COLUMNS)
            writer.writerows(rows)
    except OSError as exc:
        raise RecordingError(f"cannot write {path}: {why_not(exc)}") from exc
    return len(rows)
