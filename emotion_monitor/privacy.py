"""Privacy levels: how much of what the monitor reads about people it keeps.

The people in view are customers who did not choose to be measured, so every output keeps only what
its level allows. The live view shows what the camera sees in any case (it is not kept); the levels
govern what is *written or sent*: the CSV, the stats JSON, the webhook's events, the alert lines, the
report (it reads the CSV) and the window's people panel.

=========== ============================================================================================
level       kept
=========== ============================================================================================
full        one row per face per frame: a per-visit id, where the face was (its box), the emotion, the
            seven probabilities; a per-person list in the stats JSON; ids in alerts
people      the same rows without the box (where the face was in the picture); no image of any face
aggregate   one row a second: the queue's mood, its trend, faces in view, faces counted, the alert and
            its rule; no id, box or per-face reading anywhere, no per-person list, no thumbnails
=========== ============================================================================================

**The default is** ``people``. What a shop's manager acts on is the queue's mood, who turned unhappy
(an alert names a per-visit number, so staff know whom to go to) and, per visit, how long and how
unhappy; none of it needs where a face was in the picture, which only ties a row back to the footage.
``full`` is for testing and measuring the monitor itself (its benchmarks replay boxes); ``aggregate`` is
for a place that wants the alert and nothing about anyone.
"""

from __future__ import annotations

from typing import Literal

Level = Literal["full", "people", "aggregate"]
LEVELS: tuple[Level, ...] = ("full", "people", "aggregate")
DEFAULT: Level = "people"

KEPT = {
    "full": "per face and frame: a per-visit number, where the face was, the emotion and its probabilities",
    "people": "per face and frame: a per-visit number, the emotion and its probabilities (not where the face was)",
    "aggregate": "once a second: the queue's mood, its trend, how many faces and the alert; nothing per person",
}


def keeps_ids(level: str) -> bool:
    """Whether per-visit ids (and so anything per person) may be kept or sent at ``level``."""
    return level != "aggregate"


def keeps_boxes(level: str) -> bool:
    """Whether where a face was in the picture may be kept at ``level``."""
    return level == "full"


def check(level: str) -> Level:
    """``level`` if it is one of :data:`LEVELS`, else ValueError with a one-line reason."""
    for known in LEVELS:
        if level == known:
            return known
    raise ValueError(f"privacy must be one of {', '.join(LEVELS)}, not {level!r}")
