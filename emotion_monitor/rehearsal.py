"""A rehearsal: a TEST alert raised through the real path, so that whoever sets the monitor up sees what
an alert looks like and checks that it arrives (``emotion-monitor test-alert``, the window's Test alert
button) before a queue ever turns.

The alert is an ordinary :class:`~emotion_monitor.types.FrameResult` whose mood starts an alert
(``event="alert"``) with :data:`~emotion_monitor.types.TEST_REASON` as its reason, followed by its clear:
every sink takes it as it takes a real one, and each marks it. Its line reads ``TEST ALERT`` (events.py),
the webhook's body carries ``"test": true`` (alerts.py; a real alert's ``false``), the metrics count it in
``emotion_monitor_test_alerts`` and never in ``emotion_monitor_alerts`` (a dashboard's count of real
alerts stays true). The CSV recording does not get it: a recording holds what was read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from .alerts import TEST_WHY
from .events import Event, Sink, event_of, write_to
from .settings import Settings
from .types import TEST_REASON, Detections, Frame, FrameResult, MoodState

__all__ = ["TEST_WHY", "rehearse", "rehearsal_results"]


def rehearsal_results(source: str = "test-alert", score: float = 0.0, image: np.ndarray | None = None, index: int = 0,
                 now: float | None = None, faces: int = 0) -> tuple[FrameResult, FrameResult]:
    """A TEST alert and its clear, as results of frame ``index`` of ``source`` (``image``: the frame shown,
    default a black pixel); ``score`` and ``faces`` are the mood shown beside it and the faces it was read
    from (the window's current ones: the test does not pretend the queue turned).

    Example:
        >>> alert, clear = rehearsal_results("till 1")
        >>> alert.mood.event, alert.mood.reason, clear.mood.event
        ('alert', 'test', 'clear')
    """
    ts = time.time() if now is None else now
    frame = Frame(np.zeros((1, 1, 3), np.uint8) if image is None else image, index, ts, 0.0, source)
    alert = MoodState(score, 0.0, faces, True, alert_started=0.0, event="alert", reason=TEST_REASON)
    clear = MoodState(score, 0.0, faces, False, event="clear", reason=TEST_REASON)
    return FrameResult(frame, Detections(), (), alert), FrameResult(frame, Detections(), (), clear)


def rehearse(sinks: Sequence[Sink], settings: Settings, source: str = "test-alert", score: float = 0.0,
             on_error: Callable[[Sink, str], None] | None = None, clear: bool = True) -> list[Event]:
    """Hand a TEST alert (and, with ``clear``, its clear) to ``sinks``; returns their events, whose ``text``
    is the line the CLI prints and the window lists. A sink that fails goes to ``on_error(sink, message)``
    (without it, the MonitorError is raised)."""
    results = rehearsal_results(source, score)
    events: list[Event] = []
    for result in results if clear else results[:1]:
        write_to(sinks, result, on_error)
        event = event_of(result, settings)
        if event is not None:
            events.append(event)
    return events
