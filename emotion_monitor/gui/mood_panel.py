"""The window's mood panel: the group mood as the faces read it, a large number and a gauge coloured by its
sign; and a timeline of the last three minutes: what faces read (blue), what the alert judges (the group's
fall below its resting faces, orange) against the alert's bar (dashed; alert red only while an alert is on), and
the alert spans shaded; where nobody was
counted a grey dotted line, and ticks where frames were dropped, so the line never breaks without a reason."""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from ..mood import PERSON_REASONS, format_mood, format_score, people_text, wait_text
from ..types import FrameResult
from .theme import ALERT, plot_colours

# content (bluish green), below zero (amber), the group's fall from its resting faces at or below the alert's
# threshold (vermillion: an alert may follow; the alert itself is the banner's red), about zero or nobody counted (grey)
COLOURS = {1: "#00795a", -1: "#a66a00", -2: "#d55e00", 0: "#9e9e9e"}
CALM_BAND = 0.05  # |mood| below this is drawn grey: "-0.01" is no reason for alarm
SPAN = 180.0  # seconds of mood the timeline shows
LEGEND_TOP = 1.85  # the timeline's top: the band above +1 holds the legend


def mood_sign(score: float, faces: int, threshold: float | None = None, vs_rest: float | None = None,
              turned: bool = False) -> int:
    """The key of :data:`COLOURS` for a mood: 0 with nobody counted or within :data:`CALM_BAND` of zero, -2 where
    the group's fall from its resting faces (``vs_rest``, what the alert judges) is at or below the alert's
    ``threshold``, or while someone ``turned`` (a person's alert is on: a face read neutral, scoring 0, can have
    turned), else by the sign of what the faces read. The colour follows the threshold, not any negative
    number, and not the read mood: the demo's calm street reads -0.29 to -0.31 all along (calm faces read sad)
    beside a bar of -0.3 that judges the fall, and no alert can follow from that."""
    if faces and turned:
        return -2
    if not faces or abs(score) < CALM_BAND:
        return 0
    if threshold is not None and vs_rest is not None and vs_rest <= threshold:
        return -2
    return 1 if score > 0 else -1


def mood_title(faces: int) -> str:
    """The panel's heading: what the number is read from, counted in faces. "Group mood" named a group with one
    face or none in it, and "Mood of 1 person" a person's mood, where it is what a 48x48 classifier reads."""
    return "Mood: no face counted" if not faces else f"Mood read from {faces} face" + ("s" if faces > 1 else "")


class MoodPanel(QWidget):
    """Everything the window shows of the mood; :meth:`show_result` takes each frame's result. What it
    keeps is bounded: 3000 points and the alert spans of the last :data:`SPAN` seconds."""

    def __init__(self, threshold: float):
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.title = QLabel(mood_title(0))
        row.addWidget(self.title)
        self.number = QLabel("–")  # large enough to read across a room
        row.addWidget(self.number)
        layout.addLayout(row)
        self.gauge = QProgressBar(minimum=-100, maximum=100, value=0, format="no face counted")
        layout.addWidget(self.gauge)
        self.queue = QLabel("")  # with a queue zone: how many wait, and the longest wait so far
        self.queue.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.queue.setVisible(False)
        layout.addWidget(self.queue)
        self.timeline = pg.PlotWidget(background=plot_colours()[0])
        # the legend has a band of its own above +1 (two rows of three), so no line runs under its words and the
        # first seconds stay visible; the axis is ticked on the mood's scale only
        self.timeline.setYRange(-1, LEGEND_TOP, padding=0)
        self.timeline.getAxis("left").setTicks([[(v, f"{v:+g}" if v else "0") for v in (-1, -0.5, 0, 0.5, 1)]])
        self.timeline.setLabel("bottom", "seconds")
        self.timeline.getAxis("bottom").enableAutoSIPrefix(False)  # "seconds (x0.001)" with ticks 0-600 in the first one
        self.timeline.addLegend(offset=(4, 1), labelTextSize="7pt", colCount=3, verSpacing=-6)
        self.curve = self.timeline.plot(pen=pg.mkPen("#1565c0", width=2), name="mood (as read)")
        self.fall_curve = self.timeline.plot(pen=pg.mkPen("#ef6c00", width=2), name="vs resting faces (alert)")
        # where nobody was counted the line does not stop without a reason: a grey dotted line holds the last
        # mood across the gap; frames dropped to keep up (a slow machine in real time) are ticks at the foot
        self.unread = self.timeline.plot(pen=pg.mkPen("#9e9e9e", width=1, style=Qt.DotLine), name="no face counted")
        self.dropped = self.timeline.plot(pen=None, symbol="|", symbolSize=7, symbolPen="#757575",
                                          symbolBrush=None, name="frames dropped")
        self.drops: deque[float] = deque(maxlen=3000)
        self._index = self._dropped = 0
        # the alert's bar in the plot's ink, dashed; alert red only while an alert is on (red means an alert)
        self._bar_pens = (pg.mkPen(plot_colours()[1], style=Qt.DashLine), pg.mkPen(ALERT, style=Qt.DashLine, width=2))
        self.threshold_line = pg.InfiniteLine(threshold, angle=0, pen=self._bar_pens[0])
        self.timeline.addItem(self.threshold_line)
        self._bar_key = self.timeline.plot(pen=self._bar_pens[0], name="alert bar of the orange line")  # judges the fall
        self.timeline.setMaximumHeight(170)
        layout.addWidget(self.timeline)
        self.t: deque[float] = deque(maxlen=3000)
        self.v: deque[float] = deque(maxlen=3000)
        self.fall: deque[float] = deque(maxlen=3000)
        self.spans: deque[tuple[Any, Any]] = deque()  # (alert span, its label or None)
        self._open_span = None
        self._sign: int | None = None
        self._colour(0)

    def _colour(self, sign: int) -> None:
        if sign != self._sign:
            self._sign = sign
            c = COLOURS[sign]
            self.gauge.setStyleSheet(f"QProgressBar::chunk {{ background: {c}; }} QProgressBar {{ text-align: center; }}")
            self.number.setStyleSheet(f"font-size: 34px; font-weight: bold; color: {c};")

    def show_result(self, result: FrameResult, dropped: int | None = None) -> None:
        """One result shown; ``dropped``: frames the source has dropped to keep up so far (the status bar's count),
        ticked on the timeline where it grew. Without it, frames numbered between two results are taken as
        dropped (the window shows only the newest result: frames analysed and not shown would be ticked too)."""
        m, t = result.mood, result.frame.media_time
        self.gauge.setValue(int(round(m.score * 100)) if m.faces else 0)
        # the mood on the timeline's and the command line's scale (-1..+1), not the bar's -100..100
        # a person's alert says who turned beside the group's numbers (a face read neutral scores 0 and can turn)
        turned = m.alert and m.reason in PERSON_REASONS
        self.gauge.setFormat((format_mood(m.score, m.learning, m.faces, m.moving) + (
            f", {format_score(m.vs_rest)} vs resting faces" if m.vs_rest is not None else "") + (
            f"; {people_text(m.who) or 'someone'} turned" if turned else "")) if m.faces else "no face counted")
        self.number.setText(format_score(m.score) if m.faces else "–")
        self.title.setText(mood_title(m.faces))
        self._colour(mood_sign(m.score, m.faces, self.threshold_line.value(), m.vs_rest, turned))
        self.queue.setVisible(bool(result.zones))
        if result.zones:
            queue = result.queue
            longest = max((q.waited for q in queue), default=0.0)
            self.queue.setText(f"Queue: {len(queue)} waiting" + (f", longest {wait_text(longest)}" if queue else ""))
        index = result.frame.index
        grew = dropped > self._dropped if dropped is not None else 1 < index - self._index < 1000
        if self.t and grew:
            self.drops.append((t + self.t[-1]) / 2)
        self._index, self._dropped = index, dropped if dropped is not None else 0
        self.t.append(t)
        self.v.append(m.score if m.faces else np.nan)  # nobody counted: a gap, not a mood of 0
        self.fall.append(m.vs_rest if m.vs_rest is not None else np.nan)
        self._draw(t)
        self._shade(t, m.alert, m.reason, m.who)

    def _draw(self, t: float) -> None:
        t_arr, v = np.array(self.t), np.array(self.v)
        keep = t_arr >= t - SPAN
        self.curve.setData(t_arr[keep], v[keep], connect="finite")
        self.fall_curve.setData(t_arr[keep], np.array(self.fall)[keep], connect="finite")
        gap = np.isnan(v)  # the gaps' dotted line: the last mood held, from the point before to the one after
        held = v[np.maximum.accumulate(np.where(gap, 0, np.arange(len(v))))]
        near = gap | np.r_[gap[1:], False] | np.r_[False, gap[:-1]]  # each gap with its two ends
        self.unread.setData(t_arr[keep], np.where(near & ~np.isnan(held), held, np.nan)[keep], connect="finite")
        drops = np.array([d for d in self.drops if d >= t - SPAN])
        self.dropped.setData(drops, np.full(len(drops), -0.95))

    def _shade(self, t: float, on: bool, reason: str | None = None, who: tuple[int, ...] = ()) -> None:
        """Shade an alert's span: red when the group's mood raised it, orange with the person's id at its
        start when one person did (the group's line need not have crossed anything then)."""
        if on != (self._open_span is not None):
            self.threshold_line.setPen(self._bar_pens[on])
            self._bar_key.setPen(self._bar_pens[on])
        if on and self._open_span is None:
            person = reason in PERSON_REASONS
            brush = pg.mkBrush(230, 140, 20, 60) if person else pg.mkBrush(198, 40, 40, 50)
            self._open_span = pg.LinearRegionItem((t, t), movable=False, brush=brush)
            self.timeline.addItem(self._open_span)
            label = None
            if person:
                label = pg.TextItem(f"{people_text(who) or 'one person'} {reason}", color=(200, 100, 0), anchor=(0, 0))
                label.setPos(t, 1.0)
                self.timeline.addItem(label)
            self.spans.append((self._open_span, label))
        if self._open_span is not None:
            self._open_span.setRegion((self._open_span.getRegion()[0], t))
            if not on:
                self._open_span = None
        while self.spans and self.spans[0][0] is not self._open_span and self.spans[0][0].getRegion()[1] < t - SPAN:
            for item in self.spans.popleft():
                if item is not None:
                    self.timeline.removeItem(item)
