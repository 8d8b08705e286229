"""What a run tells and where its results go: alert events and their text, the sink protocol, the
run's signals.

An event is stamped with the frame's own time (UTC wall time when it was captured), so a CSV row, a
status line and the window's alert list agree. The loop that emits them is runner.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from psygnal import Signal

from .errors import MonitorError
from .mood import PERSON_REASONS, format_mood, format_score, people_text, turn_words
from .privacy import keeps_ids, shows_mood
from .recording import iso_utc
from .settings import Settings
from .types import TEST_REASON, FrameResult

log = logging.getLogger("emotion_monitor")

class Sink(Protocol):
    """Anything that takes every result: the CSV recorder, the metrics exporter, the window's view."""

    def write(self, result: FrameResult) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Event:
    """An alert starting or clearing, with the line the CLI prints and the window lists."""

    kind: str  # "alert" or "clear"
    timestamp: float  # the frame's UTC wall time
    frame: int
    score: float
    faces: int
    text: str
    reason: str | None = None  # an alert's rule: "turned" or "group" (mood.py); "test" (a rehearsal)
    source: str = ""  # the lane's name when a monitor watches several sources
    who: tuple[int, ...] = ()  # track ids of the people behind an alert


def _fall(vs_rest: float | None) -> str:
    return format_score(vs_rest) if vs_rest is not None else "-"


def mood_words(result: FrameResult, settings: Settings) -> str:
    """The group mood as a line says it (mood.format_mood), or, at privacy "aggregate" with fewer faces counted
    than the minimum group, that it is not shown: one or two faces' mood is one or two people's."""
    m = result.mood
    if shows_mood(settings.privacy, m.faces, settings.min_group):
        return format_mood(m.score)
    return f"mood not shown (fewer than {settings.min_group} faces)"


def event_of(result: FrameResult, settings: Settings, lane: str = "") -> Event | None:
    """The alert or clear event of a result, if it starts or ends one; ``lane`` names the source in
    the text (several sources). At privacy "aggregate" neither the text nor ``who`` names anyone."""
    m, f = result.mood, result.frame
    ids = m.who if keeps_ids(settings.privacy) else ()
    mood = mood_words(result, settings)
    test = m.reason == TEST_REASON  # a rehearsal (rehearsal.py): marked TEST, nobody's mood behind it
    if test and m.event in ("alert", "clear"):
        text = f"TEST {m.event.upper()} {iso_utc(f.timestamp)}: a rehearsal of the alert path; nobody's mood raised it"
    elif m.event == "alert":
        faces = f"({m.faces} face{'' if m.faces == 1 else 's'})"
        who = people_text(ids)
        if m.reason in PERSON_REASONS:
            text = (f"ALERT {iso_utc(f.timestamp)} frame {f.index}: {who or 'someone'} turned for "
                    f"{settings.person_duration:.0f} s: {turn_words(ids, m.people)}; {mood} {faces}")
        else:
            fall = (f"{_fall(m.vs_rest)}, " if shows_mood(settings.privacy, m.faces, settings.min_group) else "")
            text = (f"ALERT {iso_utc(f.timestamp)} frame {f.index}: the group fell below its resting faces "
                    f"({fall}bar {settings.threshold:+.2f}) for {settings.duration:.0f} s; "
                    f"{mood} {faces}" + (f"; lowest {who}" if who else ""))
    elif m.event == "clear":
        # why it cleared, and that the mood beside it is the window's mean (it lags a face back at rest)
        back = people_text(m.cleared if keeps_ids(settings.privacy) else ())
        text = (f"CLEAR {iso_utc(f.timestamp)} frame {f.index}: {back + ' ' if back else ''}back near resting faces "
                f"or gone; {mood} (mean of {settings.window:g} s)")
    else:
        return None
    if lane:
        head = text.index(" ", 5) if test else 5
        text = f"{text[:head]} [{lane}]{text[head:]}"
    return Event(m.event, f.timestamp, f.index, m.score, m.faces, text,
                 m.reason if m.event == "alert" or test else None, lane, ids if m.event == "alert" else ())


def follow(sinks: list[Sink], settings: Settings, on_error: Callable[[Sink, str], None] | None = None) -> list[Sink]:
    """Hand the run's settings to every sink that takes them (``follow(settings)``: its privacy level and
    minimum group, retention's days), so the level lives in one place. A sink that cannot follow raises
    MonitorError (one line): to ``on_error(sink, message)`` when given (the run drops it), else up. Returns
    ``sinks``."""
    for sink in list(sinks):
        take = getattr(sink, "follow", None)
        try:
            if take is not None:
                take(settings)
        except MonitorError as exc:
            if on_error is None:
                raise
            on_error(sink, str(exc))
    return sinks


def write_to(sinks: Sequence[Sink], result: FrameResult, on_error: Callable[[Sink, str], None] | None) -> None:
    """Give ``result`` to every sink. A sink that fails (MonitorError) goes to ``on_error(sink, message)``,
    which drops it so the run goes on; without ``on_error`` the error ends the run."""
    for sink in list(sinks):
        try:
            sink.write(result)
        except MonitorError as exc:
            if on_error is None:
                raise
            on_error(sink, str(exc))


class RunEvents:
    """What a run tells whoever listens, as signals (psygnal, as napari's): ``event`` each alert or clear
    (:class:`Event`), ``status`` a status line, ``warning`` a one-line warning (logged when nobody
    listens), ``sink_failed`` a sink and its one-line error: with a listener the sink is dropped and the run
    goes on, without one the error ends the run. Connect with ``run.event.connect(fn)``; the ``on_*``
    arguments of the runners connect their callables for you."""

    event = Signal(object)
    status = Signal(str)
    warning = Signal(str)
    sink_failed = Signal(object, str)

    def _listen(self, on_event: Callable[[Event], None] | None = None, on_status: Callable[[str], None] | None = None,
                on_warning: Callable[[str], None] | None = None,
                on_sink_error: Callable[[Sink, str], None] | None = None) -> None:
        for signal, slot in ((self.event, on_event), (self.status, on_status), (self.warning, on_warning),
                             (self.sink_failed, on_sink_error)):
            if slot is not None:
                signal.connect(slot)

    def _warn(self, line: str) -> None:
        if len(self.warning):
            self.warning.emit(line)
        else:
            log.warning("%s", line)

    @property
    def drops_failing_sinks(self) -> bool:
        """Whether a failing sink is dropped (someone listens to ``sink_failed``) or ends the run."""
        return len(self.sink_failed) > 0
