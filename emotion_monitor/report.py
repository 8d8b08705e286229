"""Session report: ``emotion-monitor report session.csv --out report.html`` (or .png / .pdf).

For a manager who never opens the CSV: the group mood over time with the alert spans shaded, the
share of each emotion minute by minute, the faces in view, and a table of the faces seen (how long,
their dominant emotion). Charts by matplotlib.

The CSV is read in one streaming pass (:func:`summarize`), never whole: a frame's rows are folded
into per-second bins, per-minute emotion counts and per-face tallies as they come, so a multi-hour
session costs memory for its seconds and faces, not its rows. A CSV still being written is fine: a
last line cut short is skipped. Rows the quality gate left out of the mood (``quality`` other than
"ok") count as faces in view but not in the emotion shares.

A CSV of several sources (the column ``source``, one monitor watching several lanes) is split by
source: each lane's mood gets its own line beside the whole store's, a table gives each lane's
frames, mean mood and time in alert, and a person is a lane's face id ("Lane 2 #7").

A CSV recorded at privacy "aggregate" (one row a second, recording.AGGREGATE_HEADER) gives the mood,
the alert spans and the faces in view; it has no emotions per face and no people, and the report says so.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .errors import MonitorError
from .mood import CALM_LABELS, NEGATIVE, POSITIVE, format_mood, format_score
from .recording import AGGREGATE_HEADER, Col
from .types import LABELS

REQUIRED = (Col.TIME, Col.FRAME, Col.FACE, Col.EMOTION, Col.MOOD, Col.ALERT)  # older files may lack the rest


@dataclass
class FaceTally:
    """One person (a face id) over the session; the mood figures over the rows that counted in the
    mood (quality "ok"): the face score of people.py and the rows whose emotion was negative."""

    first: float
    last: float
    rows: int = 0
    emotions: Counter = field(default_factory=Counter)
    counted: int = 0
    score_sum: float = 0.0
    negative: int = 0
    flags: set = field(default_factory=set)  # "alert" (an alert was about them), "arrived unhappy" (marked)

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
    bins: dict = field(default_factory=lambda: defaultdict(lambda: [0.0, 0, 0]))  # second -> mood sum, frames, alert

    @property
    def mean_mood(self) -> float:
        return self.mood_sum / max(self.frames, 1)

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


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def summarize(path: str | Path) -> SessionSummary:
    """One streaming pass over a session CSV (see the module docstring)."""
    path = Path(path)
    try:
        fh = open(path, newline="", encoding="utf-8")
    except OSError as exc:
        raise MonitorError(f"cannot read {path}: {exc.strerror or exc}") from exc
    bins: dict[int, list] = defaultdict(lambda: [0.0, 0, 0, 0])  # mood sum, frames, alert, faces sum
    minute_counts: dict[int, Counter] = defaultdict(Counter)
    faces: dict[tuple[str, int], FaceTally] = {}
    sources: dict[str, SourceTally] = defaultdict(SourceTally)
    rows = frames = skipped = alert_frames = negative_rows = 0
    mood_total = 0.0
    last_ts_text, last_ts = None, 0.0
    current = None  # (timestamp text, frame) of the frame being read
    frame_rows = 0
    frame_mood = frame_alert = frame_ts = 0.0

    def close_frame():
        nonlocal frames, mood_total, alert_frames
        if current is None:
            return
        b = bins[int(frame_ts)]
        b[0] += frame_mood
        b[1] += 1
        b[2] = max(b[2], int(frame_alert))
        b[3] += frame_rows
        frames += 1
        mood_total += frame_mood
        alert_frames += frame_alert > 0
        lane = sources[current[0]]
        lane.frames += 1
        lane.mood_sum += frame_mood
        lane.alert_frames += frame_alert > 0
        lb = lane.bins[int(frame_ts)]
        lb[0] += frame_mood
        lb[1] += 1
        lb[2] = max(lb[2], int(frame_alert))

    with fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header == AGGREGATE_HEADER:
            return _summarize_seconds(reader)
        if header is None or any(k not in header for k in REQUIRED):
            raise MonitorError(f"{path} is not an emotion-monitor CSV (expected columns {', '.join(REQUIRED)})")
        col = {k: header.index(k) for k in header}
        q, src, flag = col.get(Col.QUALITY), col.get(Col.SOURCE), col.get(Col.PERSON)
        n = len(header)
        # the face score (mood.face_score) from the row's probabilities, where the file has them
        score_cols = ([col[k] for k in POSITIVE], [col[k] for k in NEGATIVE]) if all(k in col for k in LABELS) else None
        for row in reader:
            if len(row) != n:
                skipped += 1  # a line cut short (a file still being written) or damaged
                continue
            try:
                ts_text, frame = row[col[Col.TIME]], row[col[Col.FRAME]]
                if ts_text != last_ts_text:
                    last_ts_text, last_ts = ts_text, _epoch(ts_text)
                key = (row[src] if src is not None else "", ts_text, frame)
                if key != current:
                    close_frame()
                    current, frame_rows, frame_ts = key, 0, last_ts
                    frame_mood, frame_alert = float(row[col[Col.MOOD]]), float(row[col[Col.ALERT]])
                face_id, emotion = int(row[col[Col.FACE]]), row[col[Col.EMOTION]]
            except ValueError:
                skipped += 1
                continue
            frame_rows += 1
            rows += 1
            negative_rows += emotion in NEGATIVE
            person = (key[0], face_id)
            tally = faces.get(person)
            if tally is None:
                tally = faces[person] = FaceTally(last_ts, last_ts)
            tally.last = last_ts
            tally.rows += 1
            if flag is not None and row[flag]:
                tally.flags.add(row[flag])
            if q is None or row[q] == "ok":
                tally.emotions[emotion] += 1
                minute_counts[int(last_ts // 60) * 60][emotion] += 1
                tally.counted += 1
                if emotion in NEGATIVE:
                    tally.negative += 1
                if score_cols is not None and emotion not in CALM_LABELS:
                    try:
                        tally.score_sum += (sum(float(row[c]) for c in score_cols[0])
                                            - sum(float(row[c]) for c in score_cols[1]))
                    except ValueError:
                        pass
        close_frame()
    secs = np.array(sorted(bins), np.float64)
    b = np.array([bins[int(s)] for s in secs], np.float64).reshape(-1, 4)
    count = np.maximum(b[:, 1], 1)
    minutes = np.array(sorted(minute_counts), np.float64)
    shares = np.array([[minute_counts[int(m)][label] for label in LABELS] for m in minutes], np.float64).reshape(-1, 7)
    shares = shares / np.maximum(shares.sum(1, keepdims=True), 1)
    return SessionSummary(secs, b[:, 0] / count, b[:, 2], b[:, 3] / count, minutes, shares, faces, rows, frames,
                          skipped, mood_total / max(frames, 1), int(alert_frames), negative_rows, dict(sources))


def _summarize_seconds(reader) -> SessionSummary:
    """The summary of a privacy "aggregate" CSV: each row is one second of one source."""
    bins: dict[int, list] = defaultdict(lambda: [0.0, 0, 0, 0])  # mood sum, sources, alert, faces in view
    sources: dict[str, SourceTally] = defaultdict(SourceTally)
    rows = skipped = 0
    for row in reader:
        try:
            ts, src, mood, _trend, in_view, _counted, alert, _reason = row
            sec, score, on, faces = int(_epoch(ts)), float(mood), int(alert), int(in_view)
        except ValueError:
            skipped += 1  # a line cut short or damaged
            continue
        rows += 1
        lane = sources[src]
        for b in (bins[sec], lane.bins[sec]):  # the whole file's second (faces summed over sources) and the lane's
            b[0] += score
            b[1] += 1
            b[2] = max(b[2], on)
        bins[sec][3] += faces
        lane.frames += 1
        lane.mood_sum += score
        lane.alert_frames += on
    secs = np.array(sorted(bins), np.float64)
    b = np.array([bins[int(s)] for s in secs], np.float64).reshape(-1, 4)
    count = np.maximum(b[:, 1], 1)
    return SessionSummary(secs, b[:, 0] / count, b[:, 2], b[:, 3], np.zeros(0), np.zeros((0, 7)), {}, rows, rows,
                          skipped, float(b[:, 0].sum() / max(rows, 1)), int(b[:, 2].sum()), 0, dict(sources),
                          aggregate=True)


def _spans(t: np.ndarray, on: np.ndarray) -> list[tuple[float, float]]:
    out, start = [], None
    for ti, a in zip(t, on):
        if a and start is None:
            start = ti
        elif not a and start is not None:
            out.append((start, ti))
            start = None
    if start is not None:
        out.append((start, t[-1] + 1))
    return out


def figure(s: SessionSummary, title: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    from .overlay import COLORS

    to_dt = lambda a: [datetime.fromtimestamp(x, timezone.utc) for x in a]  # noqa: E731
    fig, axes = plt.subplots(3, 1, figsize=(11, 9), sharex=True, gridspec_kw={"height_ratios": [3, 2, 1.3]})
    t = to_dt(s.seconds)
    ax = axes[0]
    several = len(s.sources) > 1
    ax.plot(t, s.mood, color="#1565c0", lw=2.0 if several else 1.2,
            label="all sources (mean per second)" if several else "group mood (mean per second)")
    if several:
        for name, lane in sorted(s.sources.items()):
            secs, mood = lane.series()
            ax.plot(to_dt(secs), mood, lw=0.9, alpha=0.8, label=name)
    ax.axhline(0, color="#777", lw=0.8)
    for i, (a, b) in enumerate(_spans(s.seconds, s.alert > 0)):
        ax.axvspan(*to_dt([a, b]), color="#c62828", alpha=0.18, lw=0, label="alert" if i == 0 else None)
    ax.set_ylim(-1.05, 1.05)
    ax.set_ylabel("mood (-1 negative .. +1 positive)")
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8)
    ax.grid(alpha=0.3)
    ax = axes[1]
    if len(s.minutes):
        tm = to_dt(s.minutes)
        bottom = np.zeros(len(s.minutes))
        width = 60 / 86400  # a bar spans its minute (matplotlib dates are in days)
        for k, label in enumerate(LABELS):
            rgb = tuple(c / 255 for c in COLORS[label][::-1])
            ax.bar(tm, s.shares[:, k], width, bottom=bottom, color=rgb, label=label, align="edge",
                   edgecolor="white", linewidth=0.5)
            bottom += s.shares[:, k]
        ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8, title="emotion", title_fontsize=8)
    elif s.aggregate:
        ax.text(0.5, 0.5, "emotions per face not kept (privacy aggregate)", ha="center", va="center",
                transform=ax.transAxes, color="#666")
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of faces per minute")
    ax.grid(alpha=0.3, axis="y")
    ax = axes[2]
    ax.fill_between(t, s.faces, step="mid", color="#607d8b", alpha=0.6)
    ax.set_ylabel("faces in view")
    ax.set_xlabel("time (UTC)")
    ax.grid(alpha=0.3)
    ax.set_xlim(*to_dt([s.seconds[0], s.seconds[-1] + 1]))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S" if np.ptp(s.seconds) < 3600 else "%H:%M"))
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


COLUMNS = ("person", "first seen (UTC)", "last seen (UTC)", "seconds in view", "mean mood", "time negative",
           "dominant emotion", "share", "flag")


def face_rows(s: SessionSummary, limit: int | None = None) -> list[tuple[str, ...]]:
    """One row of text per person (a face id), in :data:`COLUMNS`' order, longest in view first."""
    items = sorted(s.faces_seen.items(), key=lambda kv: -(kv[1].last - kv[1].first))
    out: list[tuple[str, ...]] = []
    hms = lambda t: datetime.fromtimestamp(t, timezone.utc).strftime("%H:%M:%S")  # noqa: E731
    several = len({source for source, _ in s.faces_seen}) > 1
    for (source, face_id), f in items[:limit]:
        label, share = f.dominant
        mood, neg = f.mean_mood, f.negative_share
        out.append((f"{source} #{face_id}" if several else f"#{face_id}", hms(f.first), hms(f.last), f"{f.last - f.first:.1f}",
                    "-" if mood is None else format_score(mood), "-" if neg is None else f"{neg:.0%}", label, f"{share:.0%}",
                    ", ".join(sorted(f.flags))))
    return out


SOURCE_COLUMNS = ("source", "frames", "mean mood", "time in alert", "people")


def source_rows(s: SessionSummary) -> list[tuple[str, str, str, str, str]]:
    """One row of text per source, in :data:`SOURCE_COLUMNS`' order (empty for a one-source file)."""
    if len(s.sources) < 2:
        return []
    people = Counter(source for source, _ in s.faces_seen)
    return [(name, str(lane.frames), format_score(lane.mean_mood), f"{lane.alert_seconds} s", str(people[name]))
            for name, lane in sorted(s.sources.items())]


def write_report(csv_path: str | Path, out: str | Path) -> SessionSummary:
    csv_path, out = Path(csv_path), Path(out)
    if out.suffix.lower() not in (".html", ".png", ".pdf"):
        raise MonitorError(f"report must end in .html, .png or .pdf, not {out.name}")
    s = summarize(csv_path)
    if not s.frames:
        raise MonitorError(f"{csv_path} holds no face rows to report on")
    start = datetime.fromtimestamp(s.seconds[0], timezone.utc)
    span = s.seconds[-1] - s.seconds[0] + 1
    alert_s = float((s.alert > 0).sum())
    lanes = f"{len(s.sources)} sources, " if len(s.sources) > 1 else ""
    people = "privacy aggregate (no people kept)" if s.aggregate else f"{len(s.faces_seen)} faces"
    title = (f"{csv_path.name}: {start:%Y-%m-%d %H:%M} UTC, {span / 60:.1f} min, {lanes}{people}, "
             f"mean {format_mood(float(np.mean(s.mood)))}, alert {alert_s:.0f} s")
    import matplotlib.pyplot as plt

    fig = figure(s, title)
    try:
        if out.suffix.lower() == ".png":
            fig.savefig(out, dpi=110)
        elif out.suffix.lower() == ".pdf":
            from matplotlib.backends.backend_pdf import PdfPages

            with PdfPages(out) as pdf:
                pdf.savefig(fig)
                if source_rows(s):
                    pdf.savefig(_table_figure(source_rows(s), SOURCE_COLUMNS, "Sources"))
                if not s.aggregate:
                    pdf.savefig(_table_figure(face_rows(s, 40), COLUMNS,
                                              "People seen, longest in view first (at most 40)"))
        else:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=110)
            out.write_text(_html(title, base64.b64encode(buf.getvalue()).decode(), face_rows(s), s), encoding="utf-8")
    finally:
        plt.close("all")
    return s


def _table_figure(rows, columns, title):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 0.6 + 0.25 * max(len(rows), 1)))
    ax.axis("off")
    ax.set_title(title, loc="left", fontsize=11)
    cells = [list(r) for r in rows] or [["-"] * len(columns)]
    table = ax.table(cellText=cells, colLabels=list(columns), loc="upper left", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    fig.tight_layout()
    return fig


def _cells(rows) -> str:
    return "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>\n" for r in rows)


def _html(title: str, png_b64: str, rows, s: SessionSummary) -> str:
    body = _cells(rows)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    lanes = source_rows(s)
    lanes_html = ("<h2>Sources</h2><p>Each source's own mood (its frames' mean) and the seconds its alert was on; "
                  "people are counted per source (ids are a source's own).</p><table><tr>"
                  + "".join(f"<th>{html.escape(c)}</th>" for c in SOURCE_COLUMNS) + "</tr>\n" + _cells(lanes)
                  + "</table>") if lanes else ""
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left}} th{{background:#eee}}</style></head>
<body><h1>Emotion Monitor session report</h1><p>{html.escape(title)}</p>
<img alt="mood over time, emotions per minute, faces in view" style="max-width:100%" src="data:image/png;base64,{png_b64}">
{lanes_html}
{_people_html(s, head, body, len(rows))}</body></html>
"""


def _people_html(s: SessionSummary, head: str, body: str, n: int) -> str:
    skipped = f"; {s.skipped} damaged or unfinished lines skipped" if s.skipped else ""
    if s.aggregate:
        return (f"<h2>People</h2><p>Not kept: the session was recorded at privacy level aggregate ({s.rows} "
                f"seconds{skipped}): the queue's mood, counts and alerts once a second, nothing per person.</p>")
    return f"""<h2>People seen ({n}), longest in view first</h2>
<p>{s.rows} face rows in {s.frames} frames{skipped}.
No face image is stored: only emotions, the mood and (at privacy level full) where each face was.</p>
<p>Mean mood: the person's own face score (-1..+1, 0 when calm) over the frames their face counted;
time negative: the share of those frames whose top emotion was angry, disgust, fear or sad.</p>
<table><tr>{head}</tr>
{body}</table>"""
