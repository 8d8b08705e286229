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
            its rule; no id, box or per-face reading anywhere, no per-person list, no thumbnails, and no
            mood of fewer faces than the minimum group (:data:`MIN_GROUP`; one face's mood is one person's)
=========== ============================================================================================

**The default is** ``people``. What a shop's manager acts on is the queue's mood, who turned unhappy
(an alert names a per-visit number, so staff know whom to go to) and, per visit, how long and how
unhappy; none of it needs where a face was in the picture, which only ties a row back to the footage.
``full`` is for testing and measuring the monitor itself (its benchmarks replay boxes); ``aggregate`` is
for a place that wants the alert and nothing about anyone.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any, Literal

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


MIN_GROUP = 3  # at "aggregate", fewer faces counted than this keep no mood (Settings.min_group's default)


def looser(level: str, than: str) -> bool:
    """Whether ``level`` keeps more about people than ``than`` ("full" keeps the most, "aggregate" the least)."""
    return LEVELS.index(check(level)) < LEVELS.index(check(than))


def shows_mood(level: str, faces: int, min_group: int) -> bool:
    """Whether a mood may be written or sent at ``level`` with ``faces`` counted in it: always, except at
    "aggregate" below ``min_group`` faces, where the group's mood would be one or two people's."""
    return level != "aggregate" or faces >= min_group


def check(level: str) -> Level:
    """``level`` if it is one of :data:`LEVELS`, else ValueError with a one-line reason."""
    for known in LEVELS:
        if level == known:
            return known
    raise ValueError(f"privacy must be one of {', '.join(LEVELS)}, not {level!r}")


def open_private(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> IO[Any]:
    """Open ``path`` for writing (``mode`` "w", "a", "wb" or "ab"; ``kwargs`` as :func:`open`'s) readable and
    writable by its owner alone: created 0600, and an existing file tightened to 0600 before a byte is
    written (its old permissions may have let anyone read it). The one way the package opens a file it
    writes (recordings, people CSVs, stats JSON, reports, snapshots, batch outputs; the printed notice is
    public by design): what they hold are people's faces' readings. Hand-written: ``open`` has no mode
    argument and the umask decides; ``os.open``'s mode only applies to a file it creates."""
    if mode not in ("w", "a", "wb", "ab"):
        raise ValueError(f"open_private writes: mode w, a, wb or ab, not {mode!r}")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if mode[0] == "w" else os.O_APPEND) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o600)
    try:
        if hasattr(os, "fchmod"):  # POSIX; on Windows a file's access is its folder's ACL
            os.fchmod(fd, 0o600)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def write_private(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` through :func:`open_private`, replacing what was there."""
    if isinstance(data, str):
        with open_private(path, "w", encoding="utf-8") as fh:
            fh.write(data)
    else:
        with open_private(path, "wb") as fh:
            fh.write(data)


def why_not(exc: OSError) -> str:
    """Why a file could not be written, in the words every "cannot write" line uses: "it is a folder" and
    "folder does not exist" where the system says "Is a directory" and "No such file or directory"."""
    if isinstance(exc, IsADirectoryError):
        return "it is a folder"
    if isinstance(exc, FileNotFoundError):
        return "folder does not exist"
    return str(exc.strerror or exc)


def check_writable(path: Path) -> None:
    """RecordingError (one line) unless ``path`` can be written, tried before the work rather than after it
    (a run's stats JSON and people CSV, a report): opened for appending (nothing written), owner-only as
    every write of the package, removed again if it did not exist."""
    from .errors import RecordingError

    if not path.parent.is_dir():
        raise RecordingError(f"cannot write {path}: folder does not exist")
    if path.is_dir():
        raise RecordingError(f"cannot write {path}: it is a folder")
    existed = path.exists()
    try:
        with open_private(path, "a"):
            pass
    except OSError as exc:
        raise RecordingError(f"cannot write {path}: {why_not(exc)}") from exc
    if not existed:
        path.unlink()
