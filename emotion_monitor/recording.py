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


# how every recording of this app begins, whatever its version's columns or its privacy level
OWN = (",".join(HEADER[:3]) + ",", ",".join(AGGREGATE_HEADER[:3]) + ",")


def prune_recordings(folder: str | os.PathLike[str], keep_days: float, now: float | None = None,
                     keep: Path | None = None) -> list[Path]:
    """Delete this app's own recordings in ``folder`` last written more than ``keep_days`` days ago: CSV
    files whose first line is a session CSV's header (``timestamp,frame,face_id,...``, any version). Any
    other file, a CSV of other columns included, is never touched, nor are sub-folders or ``keep``.
    Returns the files deleted. ``now``: seconds since the epoch (tests pass a fake clock)."""
    now = time.time() if now is None else now
    removed = []
    for path in sorted(Path(folder).glob("*.csv")):
        try:
            if not path.is_file() or path.is_symlink() or (keep is not None and path.resolve() == keep.resolve()):
                continue
            if now - path.stat().st_mtime <= keep_days * 86400:
                continue
            with open(path, encoding="utf-8", errors="replace") as fh:
                if not fh.readline().startswith(OWN):
                    continue
            path.unlink()
            removed.append(path)
        except OSError:
            continue  # unreadable or gone meanwhile: left as it is
    return removed


def private_file(path: Path, truncate: bool = False) -> None:
    """Create ``path`` readable and writable by its owner alone (0600), before it is opened as usual: what
    it records are people's faces' readings. A file that exists keeps its permissions unless truncated."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if truncate else 0)
    os.close(os.open(path, flags, 0o600))


class CsvRecorder:
    """The CSV sink: one row per face per frame (``HEADER``), appended to ``path`` (the header once)
    or, with ``overwrite``, replacing it; flushed every frame and fsynced every ``sync_every`` s. A new
    file is readable by its owner alone. ``keep_days``: first delete this app's recordings in the same
    folder older than that many days (:func:`prune_recordings`; 0 keeps them all). ``privacy``: what a
    row keeps (module docstring; privacy.py), by default :data:`privacy.DEFAULT`."""

    def __init__(self, path: str | os.PathLike[str], sync_every: float = 1.0, overwrite: bool = False,
                 keep_days: float = 0, privacy: str = privacy_levels.DEFAULT):
        self.path = Path(path)
        self.sync_every = sync_every
        self.rows = 0
        self.pruned: list[Path] = []
        try:
            self.privacy = privacy_levels.check(privacy)
        except ValueError as exc:
            raise RecordingError(str(exc)) from None
        self.header = AGGREGATE_HEADER if self.privacy == "aggregate" else HEADER
        self._second: dict[str, list[Any]] = {}  # aggregate: per source, the row of the second being gathered
        try:
            if self.path.parent and not self.path.parent.exists():
                raise FileNotFoundError(f"folder {self.path.parent} does not exist")
            if keep_days:
                self.pruned = prune_recordings(self.path.parent, keep_days, keep=self.path)
            new = overwrite or not self.path.exists() or self.path.stat().st_size == 0
            if not new:
                _check_header(self.path, self.header)
            elif not self.path.exists() or overwrite:
                private_file(self.path, truncate=overwrite)
            self._fh = open(self.path, "w" if overwrite else "a", newline="", encoding="utf-8")
        except OSError as exc:
            raise RecordingError(f"cannot write CSV {self.path}: {exc.strerror or exc}") from exc
        self._writer = csv.writer(self._fh)
        self._last_sync = time.monotonic()
        if new:
            self._write([self.header])

    def _write(self, rows: Iterable[Sequence[object]]) -> None:
        try:
            self._writer.writerows(rows)
            self._fh.flush()
            now = time.monotonic()
            if now - self._last_sync >= self.sync_every:
                os.fsync(self._fh.fileno())
                self._last_sync = now
        except OSError as exc:
            raise RecordingError(f"cannot write CSV {self.path}: {exc.strerror or exc}") from exc

    def write(self, result: FrameResult) -> None:
        if self.privacy == "aggregate":
            self._gather(result)
            return
        ts = iso_utc(result.frame.timestamp)
        mood = result.mood
        rows = []
        boxes = privacy_levels.keeps_boxes(self.privacy)
        for t in result.tracks:
            x0, y0, x1, y1 = (float(v) for v in t.xyxy)
            box = (round(x0), round(y0), round(x1 - x0), round(y1 - y0)) if boxes else ("", "", "", "")
            rows.append([ts, result.frame.index, t.track_id, *box,
                         t.emotion, f"{t.confidence:.4f}", *(f"{p:.5f}" for p in t.probs),
                         f"{mood.score:.4f}", int(mood.alert), t.quality, (mood.reason or "") if mood.alert else "",
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
        self._write([[iso_utc(sec), src, f"{score:.4f}", f"{trend:+.4f}", in_view, counted, alert, reason, queue,
                      "" if longest == "" else f"{longest:.1f}"]])
        self.rows += 1

    def close(self) -> None:
        if getattr(self, "_fh", None) is not None and not self._fh.closed:
            for src in list(self._second):
                try:
                    self._flush_second(src)
                except RecordingError:
                    self._second.clear()  # the disk is full: reported by the write that failed
        fh, self._fh = getattr(self, "_fh", None), None  # type: ignore[assignment]  # closed for good
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
