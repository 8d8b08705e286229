"""Session report: ``emotion-monitor report session.csv --out report.html`` (or .png / .pdf).

For a manager who never opens the CSV: the group mood over time with the alert spans shaded and named,
the share of each emotion minute by minute, the faces in view, a table of the alerts (when, how long,
why: who turned and what they read) and one of the faces seen (how long, their dominant emotion). Charts
by matplotlib; the figures come from session_csv.summarize (one streaming pass). Several sources: each
lane's mood gets its own line beside the whole store's and a table gives each lane's frames, mean mood
and time in alert. A CSV recorded at privacy "aggregate" has no emotions per face and no people, and the
report says so.
"""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import MonitorError, UsageError
from .mood import format_mood, format_score
from .privacy import check_writable, open_private, write_private
from .queue_report import queue_figure
from .session_csv import FaceTally, SessionSummary, SourceTally, summarize
from .types import LABELS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FaceTally", "SessionSummary", "SourceTally", "alert_rows", "face_rows", "figure", "source_rows",
           "summarize", "write_report"]

WRITER = "emotion-monitor"  # the files' own mark: a PNG's "Software", a PDF's "Creator" (retention.py reads it)
METADATA = {"Software": WRITER}


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


def figure(s: SessionSummary, title: str) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    from .overlay import COLORS

    def to_dt(a: Iterable[float]) -> list[datetime]:
        return [datetime.fromtimestamp(x, timezone.utc) for x in a]

    fig, axes = plt.subplots(3, 1, figsize=(11, 9), sharex=True, gridspec_kw={"height_ratios": [3, 2, 1.3]})
    t = to_dt(s.seconds)
    ax = axes[0]
    several = len(s.sources) > 1
    ax.plot(t, s.mood, color="#1565c0", lw=2.0 if several else 1.2,
            label="all sources (as recorded, per second)" if several else "group mood as recorded\n(its running mean, per second)")
    if several:
        for name, lane in sorted(s.sources.items()):
            secs, mood = lane.series()
            ax.plot(to_dt(secs), mood, lw=0.9, alpha=0.8, label=name)
    ax.axhline(0, color="#777", lw=0.8)
    for i, (a, b) in enumerate(_spans(s.seconds, s.alert > 0)):
        ax.axvspan(*to_dt([a, b]), color="#c62828", alpha=0.18, lw=0, label="alert" if i == 0 else None)
    _name_spans(ax, s)
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
    fmt = "%H:%M:%S" if np.ptp(s.seconds) < 3600 else "%H:%M"
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt))  # type: ignore[no-untyped-call]  # untyped in matplotlib
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def _name_spans(ax: Any, s: SessionSummary) -> None:
    """Each alert's span named at its start (who turned, or the group): a turned face can read 0, as calm ones do."""
    for k, span in enumerate(s.alerts[:MAX_LABELS]):
        ax.text(datetime.fromtimestamp(span.start, timezone.utc), 1.0 - 0.09 * (k % 3), f" {span.short()}",
                fontsize=7, color="#8e0000", va="top", clip_on=True)


COLUMNS = ("person", "first seen (UTC)", "last seen (UTC)", "seconds in view", "own mean mood", "time negative",
           "dominant emotion", "share", "flag")


def face_rows(s: SessionSummary, limit: int | None = None) -> list[tuple[str, ...]]:
    """One row of text per person (a face id), in :data:`COLUMNS`' order, longest in view first."""
    items = sorted(s.faces_seen.items(), key=lambda kv: -(kv[1].last - kv[1].first))
    out: list[tuple[str, ...]] = []
    def hms(t: float) -> str:
        return datetime.fromtimestamp(t, timezone.utc).strftime("%H:%M:%S")

    several = len({source for source, _ in s.faces_seen}) > 1
    for (source, face_id), f in items[:limit]:
        label, share = f.dominant
        mood, neg = f.mean_mood, f.negative_share
        out.append((f"{source} #{face_id}" if several else f"#{face_id}", hms(f.first), hms(f.last), f"{f.last - f.first:.1f}",
                    "-" if mood is None else format_score(mood), "-" if neg is None else f"{neg:.0%}", label, f"{share:.0%}",
                    ", ".join(sorted(f.flags))))
    return out


SOURCE_COLUMNS = ("source", "frames", "mean mood", "time in alert", "people")
ALERT_COLUMNS = ("started (UTC)", "source", "seconds", "why")
MAX_LABELS = 30  # alert spans named on the chart; the table lists them all


def alert_rows(s: SessionSummary, limit: int | None = None) -> list[tuple[str, str, str, str]]:
    """One row of text per alert, in :data:`ALERT_COLUMNS`' order, by start."""
    return [(datetime.fromtimestamp(a.start, timezone.utc).strftime("%Y-%m-%d %H:%M:%S"), a.source or "-",
             f"{a.seconds:.1f}", a.why()) for a in s.alerts[:limit]]


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
        raise UsageError(f"report must end in .html, .png or .pdf, not {out.name}")
    check_writable(out)  # before reading a long session, not after
    s = summarize(csv_path)
    if not s.frames:
        raise MonitorError(f"{csv_path} holds no face rows to report on")
    start = datetime.fromtimestamp(s.seconds[0], timezone.utc)
    span = s.seconds[-1] - s.seconds[0] + 1
    alert_s = float((s.alert > 0).sum())
    lanes = f"{len(s.sources)} sources, " if len(s.sources) > 1 else ""
    people = "privacy aggregate (no people kept)" if s.aggregate else (
        f"{len(s.faces_seen)} face{'' if len(s.faces_seen) == 1 else 's'}")
    kept = s.mood[~np.isnan(s.mood)]  # privacy aggregate: no mood in a second of fewer than the minimum group
    mean = f"mean group {format_mood(float(kept.mean()))}" if len(kept) else "no mood kept (too few faces)"
    title = (f"{csv_path.name}: {start:%Y-%m-%d %H:%M} UTC, {span / 60:.1f} min, {lanes}{people}, "
             f"{mean}, alert {alert_s:.0f} s")
    import matplotlib.pyplot as plt

    fig = figure(s, title)
    try:
        if out.suffix.lower() in (".png", ".pdf"):
            pages = [fig] + ([queue_figure(s.queue)] if s.queue is not None else [])
            if sources := source_rows(s):
                pages.append(_table_figure(sources, SOURCE_COLUMNS, "Sources"))
            if s.alerts:
                pages.append(_table_figure(alert_rows(s, 40), ALERT_COLUMNS, f"Alerts ({len(s.alerts)}), why each was on"))
            if not s.aggregate:
                pages.append(_table_figure(face_rows(s, 40), COLUMNS, "People seen, longest in view first (at most 40)"))
            if out.suffix.lower() == ".png":  # one picture: the pages one under the other
                images = [plt.imread(io.BytesIO(_png_bytes(page))) for page in pages]
                width = max(im.shape[1] for im in images)
                stacked = np.vstack([np.pad(im, ((0, 0), (0, width - im.shape[1]), (0, 0)), constant_values=1.0)
                                     for im in images])
                with open_private(out, "wb") as fh:  # owner only, as every file of people's readings
                    plt.imsave(fh, stacked, format="png", metadata=METADATA)  # type: ignore[arg-type]  # a binary file
            else:
                from matplotlib.backends.backend_pdf import PdfPages

                with open_private(out, "wb") as fh, PdfPages(fh, metadata={"Creator": WRITER}) as pdf:
                    for page in pages:
                        pdf.savefig(page)
        else:
            pngs = [_png(fig)] + ([_png(queue_figure(s.queue))] if s.queue is not None else [])
            write_private(out, _html(title, pngs, face_rows(s), s))
    finally:
        plt.close("all")
    return s


def _png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def _png(fig: Figure) -> str:
    """The figure as base64 PNG, for the HTML report's inline images."""
    return base64.b64encode(_png_bytes(fig)).decode()


def _table_figure(rows: Sequence[Sequence[str]], columns: Sequence[str], title: str) -> Figure:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 0.6 + 0.25 * max(len(rows), 1)))
    ax.axis("off")
    ax.set_title(title, loc="left", fontsize=11)
    cells = [list(r) for r in rows] or [["-"] * len(columns)]
    table = ax.table(cellText=cells, colLabels=list(columns), loc="upper left", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.auto_set_column_width(list(range(len(columns))))  # each column as wide as its text ("read unhappy since...")
    fig.tight_layout()
    return fig


def _cells(rows: Iterable[Sequence[str]]) -> str:
    return "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>\n" for r in rows)


def _html(title: str, pngs: Sequence[str], rows: Sequence[Sequence[str]], s: SessionSummary) -> str:
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
<img alt="mood over time, emotions per minute, faces in view" style="max-width:100%" src="data:image/png;base64,{pngs[0]}">
{_queue_html(pngs[1:])}
{lanes_html}
{_alerts_html(s)}
{_people_html(s, head, body, len(rows))}</body></html>
"""


def _alerts_html(s: SessionSummary) -> str:
    if not s.alerts:
        return "<h2>Alerts</h2><p>None.</p>"
    return (f"<h2>Alerts ({len(s.alerts)})</h2><p>Each alert judges a change, never a level: a person against their "
            "own resting face (a calm face whose unhappy share rose can still read neutral, its mood 0), or the group "
            "against its resting faces. Unhappy: the share of angry, disgust, fear and sad in the reading.</p><table><tr>"
            + "".join(f"<th>{html.escape(c)}</th>" for c in ALERT_COLUMNS) + "</tr>\n" + _cells(alert_rows(s)) + "</table>")


def _queue_html(pngs: Sequence[str]) -> str:
    if not pngs:
        return ""
    return ("<h2>The queue</h2><p>Recorded with a queue zone: how many people were in it, how long each waited "
            "(their longest stay), and the mood of the faces in it by the minutes they had waited so far; the number "
            "by each point is how many people it stands on.</p>"
            f'<img alt="queue length, waits, mood by minutes waited" style="max-width:100%" '
            f'src="data:image/png;base64,{pngs[0]}">')


def _people_html(s: SessionSummary, head: str, body: str, n: int) -> str:
    skipped = f"; {s.skipped} damaged or unfinished lines skipped" if s.skipped else ""
    if s.aggregate:
        return (f"<h2>People</h2><p>Not kept: the session was recorded at privacy level aggregate ({s.rows} "
                f"seconds{skipped}): the queue's mood, counts and alerts once a second, nothing per person.</p>")
    return f"""<h2>People seen ({n}), longest in view first</h2>
<p>{s.rows} face rows in {s.frames} frames with a face (a frame with none writes no row){skipped}.
No face image is stored: only emotions, the mood and (at privacy level full) where each face was.</p>
<p>Own mean mood: the person's own face score (-1..+1, 0 when calm) over the frames their face counted;
time negative: the share of those frames whose top emotion was angry, disgust, fear or sad. The chart's group
mood is the one recorded, a running mean of the counted faces, so the heading's mean is not any one person's.</p>
<table><tr>{head}</tr>
{body}</table>"""
