"""CSV sink: one row per face per processed frame, safe against a killed process and a full disk.

Rows are flushed to the OS after every frame (a SIGKILL loses nothing already written) and
fsynced at least once a second (a power cut loses at most the last second). No face images are
ever written. What a row holds follows the privacy level (privacy.py): ``full`` every column,
``people`` the same rows with the box cells empty, ``aggregate`` a file of its own layout
(:data:`AGGREGATE_HEADER`): one row a second and source, nothing per face.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import privacy as privacy_levels
from .errors import RecordingError
from .resting import READ_UNHAPPY
from .types import LABELS, FrameResult


class Col:
    """The CSV's column names: the one schema the recorder writes and the report reads."""

    TIME, FRAME, FACE = "timestamp", "frame", "face_id"
    X, Y, W, H = "x", "y", "w", "h"
    EMOTION, CONFIDENCE = "emotion", "confidence"
    MOOD, ALERT, QUALITY, REASON = "mood", "alert", "quality", "alert_reason"
    SOURCE = "source"  # the source's name (a lane's name, or the file's path / the camera's index)
    PERSON = "person_flag"  # "alert": behind the current alert; READ_UNHAPPY: marked so (resting.py); else empty
    TREND, IN_VIEW = "trend", "faces_in_view"  # the aggregate layout's own columns
    COUNTED = "faces_counted"
    ZONE, WAITED = "zone", "waited_s"  # the zone a face is in (empty: none) and its wait so far (zones.py)
    QUEUE, LONGEST = "queue_length", "longest_wait_s"  # aggregate: faces in a zone, the longest current wait


# new columns go at the end, so a reader of an older file finds the ones it knows where they were
HEADER = [Col.TIME, Col.FRAME, Col.FACE, Col.X, Col.Y, Col.W, Col.H, Col.EMOTION, Col.CONFIDENCE, *LABELS, Col.MOOD,
          Col.ALERT, Col.QUALITY, Col.REASON, Col.SOURCE, Col.PERSON, Col.ZONE, Col.WAITED]
# privacy "aggregate": one row a second and source; no id, box or per-face column
AGGREGATE_HEADER = [Col.TIME, Col.SOURCE, Col.MOOD, Col.TREND, Col.IN_VIEW, Col.COUNTED, Col.ALERT, Col.REASON,
                    Col.QUEUE, Col.LONGEST]


def person_flag(track_id: int, who: tuple[int, ...], marked: tuple[int, ...]) -> str:
    """A face's ``person_flag`` cell: "alert" when the current alert is about them, "read unhappy since first
    seen" when they were marked so (resting.py; files of 0.3 and earlier say "arrived unhappy"), else empty."""
    return "alert" if track_id in who else (READ_UNHAPPY if track_id in marked else "")


def iso_utc(ts: float) -> str:
    """The one time format of every output (CSV, alert lines, webhook, window): ISO 8601 UTC with
    milliseconds, ``2026-11-30T20:10:29.123Z``."""
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def clock_utc(ts: float) -> str:
    """The time of day of :func:`iso_utc`, for a short label: ``20:10:29 UTC``."""
    return f"{datetime.fromtimestamp(ts, timezone.utc):%H:%M:%S} UTC"


def _check_header(path: Path, expected: list[str]) -> None:
    """Appending to a CSV of another schema would mix two layouts in one file: refuse in one line."""
    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh), None)
    if header != expected:
        other = " at another privacy level" if header in (HEADER, AGGREGATE_HEADER) else ""
        raise RecordingError(f"{path} was written with other columns{other} (an older version, or not a session "
                             "CSV); record to a new file or add --overwrite")


def _holds_rows(path: Path) -> bool:
    """Whether a file at ``path`` holds more than a header line."""
    try:
        with open(path, "rb") as fh:
            return len(fh.read(1 << 16).splitlines()) > 1
    except OSError:
        return False


# how every recording of this app begins, whatever its version's columns or its privacy level
OWN = (",".join(HEADER[:3]) + ",", ",".join(AGGREGATE_HEADER[:3]) + ",")


def dated(path: Path, day: str) -> Path:
    """The file of one UTC ``day`` ("2026-12-06") of a recording rotated daily: ``queue.csv`` ->
    ``queue-2026-12-06.csv`` (retention.py reads the day back to delete whole days)."""
    return path.with_name(f"{path.stem}-{day}{path.suffix or '.csv'}")


def utc_day(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d")


class CsvRecorder:
    """The CSV sink: one row per face per frame (``HEADER``), appended to ``path`` (the header once)
    or, with ``overwrite``, replacing it; flushed every frame and fsynced every ``sync_every`` s. The file
    is readable by its owner alone (privacy.open_private); old ones are deleted by retention.py.
    ``rotate``: a new file each UTC day of the frames' time (:func:`dated`), so old days can be deleted whole.

    ``privacy``: what a row keeps (module docstring; privacy.py). None (the default): the run's level, which
    the runner passes on as the recorder joins it (:meth:`follow`; :data:`privacy.DEFAULT` if it is never
    told). A level of its own is kept if it is as strict as the run's or stricter; a looser one is refused
    in one line (RecordingError) rather than followed: a caller who named a level expects that file's
    layout, and a run that promises less must not get a file that keeps more. ``min_group``: at
    "aggregate", the fewest faces counted whose mood is written (privacy.shows_mood)."""

    def __init__(self, path: str | os.PathLike[str], sync_every: float = 1.0, overwrite: bool = False,
                 privacy: str | None = None, rotate: bool = False,
                 min_group: int = privacy_levels.MIN_GROUP):
        self.base, self.rotate, self.overwrite = Path(path), rotate, overwrite
        self.sync_every, self.min_group = sync_every, min_group
        self.rows = 0
        try:
            self.explicit = None if privacy is None else privacy_levels.check(privacy)
        except ValueError as exc:
            raise RecordingError(str(exc)) from None
        self.privacy: str | None = self.explicit
        self._second: dict[str, list[Any]] = {}  # aggregate: per source, the row of the second being gathered
        self._fh: Any = None
        self._done = False  # closed for good: a write after it is refused, no file opened again
        self.path = dated(self.base, utc_day(time.time())) if rotate else self.base
        self.paths = [] if rotate else [self.path]  # every file this recorder wrote to, the current one last
        # a file holding an earlier recording (its ids numbered from 1 too) is appended to: said by the caller
        self.joins_earlier = not overwrite and not rotate and _holds_rows(self.path)
        try:
            if self.base.parent and not self.base.parent.exists():
                raise FileNotFoundError(f"folder {self.base.parent} does not exist")
            if rotate:  # a day's file is opened by its first row (no empty file of a day with none)
                if not os.access(self.base.parent, os.W_OK):
                    raise PermissionError(13, "Permission denied")
            elif self.privacy is not None:
                self._open(self.path)
            else:  # the layout waits for the run's level; whether the file can be written is known now
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        except OSError as exc:
            raise RecordingError(f"cannot write CSV {self.path}: {privacy_levels.why_not(exc)}") from exc

    @property
    def appending_note(self) -> str | None:
        """The line the command line and the window say when this recording joins an earlier one in its file."""
        return f"{self.path} holds an earlier recording: this one is appended to it" if self.joins_earlier else None

    @property
    def header(self) -> list[str]:
        return AGGREGATE_HEADER if self.privacy == "aggregate" else HEADER

    def _open(self, path: Path) -> None:
        new = self.overwrite or not path.exists() or path.stat().st_size == 0
        if not new:
            _check_header(path, self.header)
        self._fh = privacy_levels.open_private(path, "w" if self.overwrite else "a", newline="", encoding="utf-8")
        self.path, self.overwrite = path, False  # a rotated day's file is appended to, never replaced
        self._writer = csv.writer(self._fh)
        self._last_sync = time.monotonic()
        if new:
            self._write([self.header])

    def follow(self, settings: Any) -> None:
        """Take the run's privacy level and minimum group (``settings``: a :class:`~emotion_monitor.Settings`);
        RecordingError (one line) for a level of its own looser than the run's, or a file already started at
        another level."""
        level, self.min_group = settings.privacy, settings.min_group
        if self.explicit is not None:
            if privacy_levels.looser(self.explicit, level):
                raise RecordingError(f"a recorder at privacy {self.explicit} would keep more than this run's "
                                     f"{level} allows ({self.base}): give it privacy={level!r}, or none to follow the run")
            return
        if self.privacy is None:
            self.privacy = level
            try:
                if not self.rotate:
                    self._open(self.path)
            except OSError as exc:
                raise RecordingError(f"cannot write CSV {self.path}: {privacy_levels.why_not(exc)}") from exc
        elif self.privacy != level:
            raise RecordingError(f"{self.path} is recorded at privacy {self.privacy}, the run is now at {level}: "
                                 "record again to a new file")

    def _roll(self, ts: float) -> None:
        """Open the file of the frame's UTC day when it is another than the one being written (``rotate``)."""
        if self._done:
            raise RecordingError(f"{self.path} is closed")
        path = dated(self.base, utc_day(ts)) if self.rotate else self.path
        if self._fh is not None and path == self.path:
            return
        self._close_file()
        self.privacy = self.privacy or privacy_levels.DEFAULT
        try:
            self._open(path)
        except OSError as exc:
            raise RecordingError(f"cannot write CSV {path}: {privacy_levels.why_not(exc)}") from exc
        if path not in self.paths:
            self.paths.append(path)

    def _write(self, rows: Iterable[Sequence[object]]) -> None:
        try:
            self._writer.writerows(rows)
            self._fh.flush()
            now = time.monotonic()
            if now - self._last_sync >= self.sync_every:
                os.fsync(self._fh.fileno())
                self._last_sync = now
        except OSError as exc:
            raise RecordingError(f"cannot write CSV {self.path}: {privacy_levels.why_not(exc)}") from exc

    def write(self, result: FrameResult) -> None:
        self._roll(result.frame.timestamp)
        if self.privacy == "aggregate":
            self._gather(result)
            return
        ts = iso_utc(result.frame.timestamp)
        mood = result.mood
        rows = []
        boxes = privacy_levels.keeps_boxes(self.privacy or privacy_levels.DEFAULT)
        for t in result.tracks:
            x0, y0, x1, y1 = (float(v) for v in t.xyxy)
            box = (round(x0), round(y0), round(x1 - x0), round(y1 - y0)) if boxes else ("", "", "", "")
            rows.append([ts, result.frame.index, t.track_id, *box,
                         t.emotion, f"{t.confidence:.4f}", *(f"{p:.5f}" for p in t.probs),
                         f"{mood.score:.4f}" if mood.faces else "",  # no face counted: no mood (never a calm 0)
                         int(mood.alert), t.quality, (mood.reason or "") if mood.alert else "",
                         result.frame.source, person_flag(t.track_id, mood.who, mood.marked),
                         t.zone, f"{t.waited:.1f}" if result.zones else ""])
        if rows:
            self._write(rows)
            self.rows += len(rows)

    def _gather(self, result: FrameResult) -> None:
        """privacy "aggregate": fold a frame into its source's row of the current second; a row is written
        when its source's next second begins (or on close): the mood, trend and faces counted as the
        second ends, the most faces in view in it, and the alert if it was on at any moment of it."""
        m, src, sec = result.mood, result.frame.source, int(result.frame.timestamp)
        row = self._second.get(src)
        if row is not None and row[0] != sec:
            self._flush_second(src)
            row = None
        if row is None:
            row = self._second[src] = [sec, src, 0.0, 0.0, 0, 0, 0, "", "", ""]
        row[2:4] = m.score, m.trend
        row[4] = max(row[4], len(result.tracks))
        row[5] = m.faces
        if m.alert:
            row[6], row[7] = 1, row[7] or (m.reason or "")
        if result.zones:  # the longest queue of the second, and the longest wait in it
            queue = result.queue
            row[8] = max(row[8] or 0, len(queue))
            row[9] = max(row[9] or 0.0, max((t.waited for t in queue), default=0.0))

    def _flush_second(self, src: str) -> None:
        sec, src, score, trend, in_view, counted, alert, reason, queue, longest = self._second.pop(src)
        shown = privacy_levels.shows_mood("aggregate", counted, self.min_group)  # else one or two people's mood
        self._write([[iso_utc(sec), src, f"{score:.4f}" if shown else "", f"{trend:+.4f}" if shown else "", in_view,
                      counted, alert, reason, queue, "" if longest == "" else f"{longest:.1f}"]])
        self.rows += 1

    def close(self) -> None:
        self._done = True
        self._close_file()

    def _close_file(self) -> None:
        if getattr(self, "_fh", None) is not None and not self._fh.closed:
            for src in list(self._second):
                try:
                    self._flush_second(src)
                except RecordingError:
                    self._second.clear()  # the disk is full: reported by the write that failed
        fh, self._fh = getattr(self, "_fh", None), None  # closed (a day's file, or for good)
        if fh is None or fh.closed:
            return
        try:
            fh.flush()
            os.fsync(fh.fileno())
        except OSError:
            pass  # already reported by the write that failed
        finally:
            try:
                fh.close()  # a full disk fails this too (it flushes what is still buffered): the file is closed all the same
            except OSError:
                pass

    def __enter__(self) -> CsvRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
