"""The queue itself: zones of the frame where people queue, and how long each person waited in one.

A camera over a queue also sees passers-by, staff and a corridor. A zone is a polygon of the frame,
its corners in fractions of the width and height (so it fits any resolution of the same view). With
zones, a face counts in the queue's mood and alerts only while its centre is inside one; the others
stay tracked, drawn in grey and marked "outside" (the quality column says so).

Each person's wait is the time from the first frame their face was in a zone to the last, kept
through short absences (a face turned away, someone passing in front, the tracker re-identifying
them): a stay ends only after ``leave_after`` seconds out of every zone. The point-in-polygon test is
OpenCV's; the stay bookkeeping is this project's own (supervision's ``PolygonZone`` counts who is in a
zone per frame but keeps no per-person stay across gaps).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from .types import Track, Zone

OUTSIDE = "outside"  # the quality of a face outside every zone: tracked, drawn grey, not counted
LEAVE_AFTER = 5.0  # seconds out of every zone after which a stay is over


def contains(zone: Zone, xy: np.ndarray, width: int, height: int) -> np.ndarray:
    """Which of the pixel points ``xy`` (N, 2) lie inside (or on the edge of) ``zone``."""
    poly = zone.polygon(width, height).reshape(-1, 1, 2)
    return np.array([cv2.pointPolygonTest(poly, (float(x), float(y)), False) >= 0
                     for x, y in np.asarray(xy, np.float32).reshape(-1, 2)], bool)


def parse_zones(text: str) -> tuple[Zone, ...]:
    """Zones from their text: ``[NAME:]x,y x,y x,y ...`` (fractions of the frame), several separated by
    ``;``. ValueError with a one-line reason when the text is not that."""
    zones = []
    for i, part in enumerate(p.strip() for p in text.split(";")):
        if not part:
            continue
        name, _, corners = part.rpartition(":")
        try:
            points = tuple((float(x), float(y)) for x, y in (c.split(",") for c in corners.split()))
        except ValueError:
            raise ValueError(f"a zone is corners 'x,y x,y x,y' in fractions of the frame, not {part!r}") from None
        zones.append(Zone(points, name.strip() or ("queue" if i == 0 else f"queue {i + 1}")))
    names = [z.name for z in zones]
    if len(set(names)) < len(names):
        raise ValueError(f"zone names repeat: {', '.join(names)}")
    return tuple(zones)


def zone_of(tracks: Sequence[Track], zones: Sequence[Zone], width: int, height: int) -> list[str]:
    """The name of the zone each track's face centre is in ("" when in none)."""
    if not tracks:
        return []
    xy = np.array([((t.xyxy[0] + t.xyxy[2]) / 2, (t.xyxy[1] + t.xyxy[3]) / 2) for t in tracks], np.float32)
    out = [""] * len(tracks)
    for z in zones:
        inside = contains(z, xy, width, height)
        for i in np.flatnonzero(inside):
            out[i] = out[i] or z.name
    return out


@dataclass
class Stay:
    """One person's stay in a zone: first and last moment seen in it (media seconds)."""

    zone: str
    first: float
    last: float

    @property
    def waited(self) -> float:
        return self.last - self.first


@dataclass
class QueueClock:
    """Each person's current stay in a zone, kept through gaps shorter than ``leave_after`` seconds;
    stays that ended are handed over once by :meth:`update` (for the wait-time histogram and the
    per-person file)."""

    leave_after: float = LEAVE_AFTER
    stays: dict[int, Stay] = field(default_factory=dict)

    def update(self, ids_in: Iterable[tuple[int, str]], now: float) -> list[tuple[int, Stay]]:
        """Note who is in a zone now (track id, zone name); returns the stays that ended."""
        for tid, zone in ids_in:
            stay = self.stays.get(tid)
            if stay is None:
                self.stays[tid] = Stay(zone, now, now)
            else:
                stay.last = now
        ended = [(tid, s) for tid, s in self.stays.items() if now - s.last > self.leave_after]
        for tid, _ in ended:
            del self.stays[tid]
        return ended

    def waited(self, tid: int) -> float:
        """Seconds ``tid`` has waited so far in their current stay (0 with none)."""
        stay = self.stays.get(tid)
        return stay.waited if stay is not None else 0.0

    def flush(self) -> list[tuple[int, Stay]]:
        """Every stay still open (the run ends): handed over and forgotten."""
        out, self.stays = list(self.stays.items()), {}
        return out
