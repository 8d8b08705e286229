"""A session CSV read into figures, in one streaming pass (:func:`summarize`): what ``emotion-monitor
report`` draws and ``batch`` tabulates.

The CSV is never read whole: a frame's rows are folded into per-second bins, per-minute emotion counts
and per-face tallies as they come, so a multi-hour session costs memory for its seconds and faces, not
its rows. A CSV still being written is fine: a last line cut short is skipped. Rows the quality gate
left out of the mood (``quality`` other than "ok") count as faces in view but not in the emotion shares.
A CSV of several sources (the column ``source``) is split by source; a person is a lane's face id. A recording
appended to a file that held one (``--record`` onto it again: frames numbered from 0, ids from 1 again) is a
source of its own, ``SOURCE (recording 2)``: its #1 is not the first recording's #1. A CSV
recorded at privacy "aggregate" (one row a second, recording.AGGREGATE_HEADER) gives the mood, the alert
spans and the faces in view, no emotions per face and no people.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from .alert_spans import AlertSpan, SpanTally
from .errors import MonitorError
from .mood import CALM_LABELS, NEGATIVE, POSITIVE
from .queue_report import QueueTally
from .recording import AGGREGATE_HEADER, Col
from .resting import READ_UNHAPPY
from .types import LABELS

OLD_FLAGS = {"arrived unhappy": READ_UNHAPPY}  # person_flag cells of 0.3 and earlier, in today's words
REQUIRED = (Col.TIME, Col.FRAME, Col.FACE, Col.EMOTION, Col.MOOD, Col.ALERT)  # older files may lack the rest


@dataclass
class FaceTally:
    """One person (a face id) over the session; the mood figures over the rows that counted in the
    mood (quality "ok"): the face score of people.py and the rows whose emotion was negative."""

    first: float
    last: float
    rows: int = 0
    emotions: Counter[str] = field(default_factory=Counter)
    counted: int = 0
    score_sum: float = 0.0
    negative: int = 0
    flags: set[str] = field(default_factory=set)  # "alert" (an alert was about them), "read unhappy when first seen" (marked)

    @property
    def mean_mood(self) -> float | None:
        return self.score_sum / self.counted if self.counted else None

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.counted if self.counted else None

    @property
    def dominant(self) -> tuple[str, float]:
        if not self.emotions:
            return "-", 0.0
        label, n = self.emotions.most_common(1)[0]
        return label, n / sum(self.emotions.values())


@dataclass
class SourceTally:
    """One source (lane) over the session: its frames, mood per second and time in alert."""

    frames: int = 0
    mood_sum: float = 0.0
    alert_frames: int = 0
    # second -> mood sum, frames with a mood, alert
    bins: dict[int, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0, 0, 0]))
    mood_frames: int = 0  # frames with a mood (a frame in which no face counted has none)

    @property
    def mean_mood(self) -> float:
        return self.mood_sum / max(self.mood_frames, 1)

    @property
    def alert_seconds(self) -> int:
        return sum(1 for b in self.bins.values() if b[2])

    def series(self) -> tuple[np.ndarray, np.ndarray]:
        """UTC seconds and the mean mood in each."""
        secs = np.array(sorted(self.bins), np.float64)
        return secs, np.array([self.bins[int(t)][0] / max(self.bins[int(t)][1], 1) for t in secs], np.float64)


@dataclass
class SessionSummary:
    seconds: np.ndarray  # UTC epoch seconds of each bin
    mood: np.ndarray  # mean group mood in the bin
    alert: np.ndarray  # 1 if the alert was on in the bin
    faces: np.ndarray  # mean faces in view in the bin
    minutes: np.ndarray  # UTC epoch of each minute
    shares: np.ndarray  # (minutes, 7) share of each emotion among counted faces
    faces_seen: dict[tuple[str, int], FaceTally]  # (source, face id) -> tally
    rows: int
    frames: int
    skipped: int  # malformed or cut-short lines
    mean_mood: float = 0.0  # over frames
    alert_frames: int = 0
    negative_rows: int = 0  # rows whose emotion is angry, disgust, fear or sad
    sources: dict[str, SourceTally] = field(default_factory=dict)  # by the column "source" ("" in older files)
    aggregate: bool = False  # recorded at privacy "aggregate": seconds only, no face rows, no people
    queue: QueueTally | None = None  # recorded with a queue zone: its length, the waits, mood by wait
    alerts: list[AlertSpan] = field(default_factory=list)  # each alert, why, and who (alert_spans.py)


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def summarize(path: str | Path) -> SessionSummary:
    """One streaming pass over a session CSV (see the module docstring)."""
    path = Path(path)
    try:
        fh = open(path, newline="", encoding="utf-8")
    except OSError as exc:
        raise MonitorError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is not None and header[:8] == AGGREGATE_HEADER[:8]:  # (older ones lack the queue's columns)
            return _summarize_seconds(reader)
        if header is None or any(k not in header for k in REQUIRED):
            raise MonitorError(f"{path} is not an emotion-monitor CSV (expected columns {', '.join(REQUIRED)})")
        tally = _Pass(header)
        for row in reader:
            tally.read(row)
        tally.close_frame()
    return tally.summary()


class _Pass:
    """:func:`summarize`'s state: the frame being read (its rows share a source, time and frame number), the
    per-second bins, per-minute emotion counts, per-face and per-source tallies, and the queue's."""

    def __init__(self, header: list[str]):
        self.col = col = {k: header.index(k) for k in header}
        self.q, self.src, self.flag = col.get(Col.QUALITY), col.get(Col.SOURCE), col.get(Col.PERSON)
        self.reason, self.spans, self.frame_why = col.get(Col.REASON), SpanTally(), ""
        self.frame_who: dict[int, float] = {}  # the frame's faces flagged "alert", with their unhappy share
        self.zone, self.waited = col.get(Col.ZONE), col.get(Col.WAITED)
        self.n = len(header)
        # the face score (mood.face_score) from the row's probabilities, where the file has them
        self.score_cols = ([col[k] for k in POSITIVE], [col[k] for k in NEGATIVE]) if all(k in col for k in LABELS) else None
        # second -> mood sum, frames, alert, faces sum, frames with a mood
        self.bins: dict[int, list[float]] = defaultdict(lambda: [0.0, 0, 0, 0, 0])
        self.minute_counts: dict[int, Counter[str]] = defaultdict(Counter)
        self.faces: dict[tuple[str, int], FaceTally] = {}
        self.sources: dict[str, SourceTally] = defaultdict(SourceTally)
        self.queue, self.zoned = QueueTally(), False  # zoned: any row in a zone (the file was recorded with one)
        self.rows = self.frames = self.skipped = self.alert_frames = self.negative_rows = 0
        self.mood_total, self.mood_frames = 0.0, 0
        self.last_ts_text: str | None = None
        self.last_ts = 0.0
        self.current: tuple[str, str, str] | None = None  # (source, timestamp text, frame) of the frame being read
        self.last_frame: dict[str, int] = {}  # a source's last frame number, and its recordings so far (_lane)
        self.recordings: dict[str, int] = {}
        self.frame_rows = self.frame_queue = 0
        self.frame_mood: float | None = 0.0
        self.frame_alert = self.frame_ts = 0.0

    def read(self, row: list[str]) -> None:
        """One row: a line cut short (a file still being written) or damaged is counted as skipped."""
        col = self.col
        if len(row) != self.n:
            self.skipped += 1
            return
        try:
            ts_text, frame = row[col[Col.TIME]], row[col[Col.FRAME]]
            if ts_text != self.last_ts_text:
                self.last_ts_text, self.last_ts = ts_text, _epoch(ts_text)
            key = (self._lane(row[self.src] if self.src is not None else "", int(frame)), ts_text, frame)
            if key != self.current:
                self.close_frame()
                self.current, self.frame_rows, self.frame_queue, self.frame_ts = key, 0, 0, self.last_ts
                # an empty mood: no face counted in that frame (0.3 wrote 0.0000 there, as if a calm face had)
                mood = row[col[Col.MOOD]]
                self.frame_mood, self.frame_alert = float(mood) if mood else None, float(row[col[Col.ALERT]])
                self.frame_why, self.frame_who = row[self.reason] if self.reason is not None else "", {}
            face_id, emotion = int(row[col[Col.FACE]]), row[col[Col.EMOTION]]
        except ValueError:
            self.skipped += 1
            return
        self.frame_rows += 1
        self.rows += 1
        self.negative_rows += emotion in NEGATIVE
        self._face(row, (key[0], face_id), emotion)

    def _lane(self, source: str, frame: int) -> str:
        """The source a row is counted under: its own, or, for the second and later recordings appended to the file
        (a source's frame numbers start again), ``SOURCE (recording N)``."""
        if frame < self.last_frame.get(source, frame):
            self.recordings[source] = self.recordings.get(source, 1) + 1
        self.last_frame[source] = frame
        n = self.recordings.get(source, 1)
        return source if n == 1 else f"{source} (recording {n})" if source else f"recording {n}"

    def _face(self, row: list[str], person: tuple[str, int], emotion: str) -> None:
        tally = self.faces.get(person)
        if tally is None:
            tally = self.faces[person] = FaceTally(self.last_ts, self.last_ts)
        tally.last = self.last_ts
        tally.rows += 1
        if self.flag is not None and row[self.flag]:
            tally.flags.add(OLD_FLAGS.get(row[self.flag], row[self.flag]))
            if row[self.flag] == "alert" and self.score_cols is not None:  # who is behind the alert, and their reading
                try:
                    self.frame_who[person[1]] = sum(float(row[c]) for c in self.score_cols[1])
                except ValueError:
                    pass
        score = None
        if self.q is None or row[self.q] == "ok":
            tally.emotions[emotion] += 1
            self.minute_counts[int(self.last_ts // 60) * 60][emotion] += 1
            tally.counted += 1
            tally.negative += emotion in NEGATIVE
            cols = self.score_cols
            if cols is not None and emotion not in CALM_LABELS:
                try:
                    score = sum(float(row[c]) for c in cols[0]) - sum(float(row[c]) for c in cols[1])
                    tally.score_sum += score
                except ValueError:
                    pass
            elif cols is not None:
                score = 0.0  # a calm face: 0 (mood.face_score)
        if self.zone is not None and self.waited is not None and row[self.zone]:
            self.zoned, self.frame_queue = True, self.frame_queue + 1
            self.queue.row(person, float(row[self.waited] or 0), score)

    def close_frame(self) -> None:
        """Fold the frame read so far into the second's bins, its source's and the queue's."""
        if self.current is None:
            return
        sec, mood, alert = int(self.frame_ts), self.frame_mood, self.frame_alert
        read = mood is not None
        b = self.bins[sec]
        b[0] += mood or 0.0
        b[1] += 1
        b[2] = max(b[2], int(alert))
        b[3] += self.frame_rows
        b[4] += read
        self.frames += 1
        self.mood_frames += read
        self.mood_total += mood or 0.0
        self.alert_frames += alert > 0
        lane = self.sources[self.current[0]]
        lane.frames += 1
        lane.mood_frames += read
        lane.mood_sum += mood or 0.0
        lane.alert_frames += alert > 0
        lb = lane.bins[sec]
        lb[0] += mood or 0.0
        lb[1] += read
        lb[2] = max(lb[2], int(alert))
        self.queue.frame(sec, self.frame_queue)
        self.spans.frame(self.current[0], self.frame_ts, alert > 0, self.frame_why, self.frame_who)

    def summary(self) -> SessionSummary:
        secs = np.array(sorted(self.bins), np.float64)
        b = np.array([self.bins[int(s)] for s in secs], np.float64).reshape(-1, 5)
        count = np.maximum(b[:, 1], 1)
        with np.errstate(invalid="ignore", divide="ignore"):  # a second in which no face counted: NaN (a gap)
            moods = np.where(b[:, 4] > 0, b[:, 0] / b[:, 4], np.nan)
        minutes = np.array(sorted(self.minute_counts), np.float64)
        shares = np.array([[self.minute_counts[int(m)][label] for label in LABELS] for m in minutes],
                          np.float64).reshape(-1, 7)
        shares = shares / np.maximum(shares.sum(1, keepdims=True), 1)
        return SessionSummary(secs, moods, b[:, 2], b[:, 3] / count, minutes, shares, self.faces, self.rows,
                              self.frames, self.skipped, self.mood_total / max(self.mood_frames, 1), int(self.alert_frames),
                              self.negative_rows, dict(self.sources), queue=self.queue if self.zoned else None,
                              alerts=self.spans.done())


def _summarize_seconds(reader: Iterator[list[str]]) -> SessionSummary:
    """The summary of a privacy "aggregate" CSV: each row is one second of one source."""
    bins: dict[int, list[float]] = defaultdict(lambda: [0.0, 0, 0, 0])  # mood sum, moods, alert, faces in view
    sources: dict[str, SourceTally] = defaultdict(SourceTally)
    rows = skipped = 0
    spans = SpanTally()
    for row in reader:
        try:
            ts, src, mood, _trend, in_view, _counted, alert, reason = row[:8]
            # an empty mood: fewer faces than the minimum group counted (privacy.shows_mood): none kept
            sec, score, on, faces = int(_epoch(ts)), float(mood) if mood else None, int(alert), int(in_view)
        except ValueError:
            skipped += 1  # a line cut short or damaged
            continue
        rows += 1
        spans.frame(src, sec, on > 0, reason, {}, step=1.0)
        lane = sources[src]
        for b in (bins[sec], lane.bins[sec]):  # the whole file's second (faces summed over sources) and the lane's
            b[0] += score or 0.0
            b[1] += score is not None
            b[2] = max(b[2], on)
        bins[sec][3] += faces
        lane.frames += score is not None
        lane.mood_frames += score is not None
        lane.mood_sum += score or 0.0
        lane.alert_frames += on
    secs = np.array(sorted(bins), np.float64)
    t = np.array([bins[int(s)] for s in secs], np.float64).reshape(-1, 4)
    with np.errstate(invalid="ignore", divide="ignore"):  # a second with no mood kept: NaN (a gap in the chart)
        means = np.where(t[:, 1] > 0, t[:, 0] / t[:, 1], np.nan)
    moods = int(t[:, 1].sum())
    return SessionSummary(secs, means, t[:, 2], t[:, 3], np.zeros(0), np.zeros((0, 7)), {}, rows, rows,
                          skipped, float(t[:, 0].sum() / moods) if moods else float("nan"), int(t[:, 2].sum()), 0,
                          dict(sources), aggregate=True, alerts=spans.done())
