"""The window's alert side: the banner over the panels, the list of alert and clear lines, the sound, and
the Test alert rehearsal (rehearsal.py) that goes through all of them and the run's webhook and metrics."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QListWidget

from ..alerts import TEST_WHY
from ..mood import banner_text
from ..recording import clock_utc
from ..rehearsal import rehearsal_results
from ..types import TEST_REASON
from . import theme

if TYPE_CHECKING:
    from ..events import Event, Sink
    from ..settings import Settings
    from ..types import FrameResult, MoodState

MAX_EVENTS = 200  # alert and clear lines the window keeps, newest first
TEST_SECONDS = 8.0  # how long a TEST alert's banner stays before its clear


class AlertPanel:
    """``banner`` (alert red, shown while an alert is on) and ``events`` (the lines, newest first): the
    window places both. :meth:`show_event` takes the runner's events; :meth:`test` raises a TEST alert."""

    def __init__(self, sound: Callable[[], bool]) -> None:
        self.banner = QLabel("")
        self.banner.setStyleSheet(f"background: {theme.ALERT}; color: white; font-weight: bold; padding: 6px;")
        self.banner.setVisible(False)
        self.banner.setWordWrap(True)  # a long reason wraps instead of widening the side and shrinking the video
        self.events = QListWidget()
        self.events.setWordWrap(True)  # a whole alert line, no horizontal scrollbar; newest first
        self.events.setMaximumHeight(110)
        self.sound = sound
        self.testing = False  # a TEST alert's banner is up
        self._since = ""  # the current alert's start, as the banner says it
        self._timer = QTimer(singleShot=True)
        self._pending: tuple[Sequence[Sink], Settings, str | None, Callable[[], FrameResult | None], str] | None = None
        self._timer.timeout.connect(self._end_test)

    def show_state(self, mood: MoodState, source: str | None) -> None:
        """Each frame: the banner is up while the run's alert is, or a TEST alert's; a real alert's words are
        live (mood.banner_text): everyone behind it now, the mood at its start and now."""
        self.banner.setVisible(mood.alert or self.testing)
        if mood.alert and not self.testing:
            self.banner.setText(banner_text(mood, source or "", self._since))

    def show_event(self, event: Event, source: str | None) -> None:
        """An alert or its clearing, in the runner's words, stamped with its frame's time."""
        self.events.insertItem(0, event.text)
        while self.events.count() > MAX_EVENTS:  # a shift's worth of lines, not all of them
            self.events.takeItem(self.events.count() - 1)
        if event.kind != "alert":
            return
        if event.reason == TEST_REASON:  # shown at once (a real alert's banner follows its result: show_state)
            self.banner.setText(f"TEST ALERT ({source or 'no source open'}): {TEST_WHY}. This is what an alert "
                                f"looks like; it clears by itself {TEST_SECONDS:g} s after it was raised")
            self.banner.setVisible(True)
        else:  # its words follow its results (show_state): who joins it, the mood now
            self._since = clock_utc(event.timestamp)
        if self.sound():
            QApplication.beep()

    def test(self, sinks: Sequence[Sink], settings: Settings, source: str | None,
             latest: Callable[[], FrameResult | None], on_error: Callable[[Sink, str], None]) -> None:
        """A TEST alert now, through the banner (which names ``source``), the list, the sound and ``sinks`` (the
        run's webhook and metrics, never its CSV), as a result of the run's latest frame (``latest()``: its
        source as the metrics and the webhook name it, its frame number, mood and faces; none open: "window",
        frame 0); its clear follows after :data:`TEST_SECONDS`, as a result of the latest frame then."""
        from ..events import event_of, write_to

        if self.testing:
            return
        run_as = _run_as(source, latest())
        alert, _ = rehearsal_results(**run_as)
        write_to(sinks, alert, on_error)
        self.testing = True
        self.show_event(event_of(alert, settings), source)  # type: ignore[arg-type]  # an alert has an event
        self._pending = (sinks, settings, source, latest, run_as["source"])
        self._timer.start(int(TEST_SECONDS * 1000))

    def _end_test(self) -> None:
        from ..events import event_of, write_to

        if self._pending is None:
            return
        sinks, settings, source, latest, named = self._pending
        self._pending, self.testing = None, False
        _, clear = rehearsal_results(**{**_run_as(source, latest()), "source": named})  # the alert's source cleared
        write_to(sinks, clear, None if not sinks else lambda _s, _m: None)
        event = event_of(clear, settings)
        if event is not None:
            self.show_event(event, source)
        self.banner.setVisible(False)


def _run_as(source: str | None, latest: FrameResult | None) -> dict[str, Any]:
    """:func:`rehearsal_results`' arguments for a rehearsal in the window: as a result of the run's ``latest``
    frame (its source, frame number, mood and faces), or of "window" at frame 0 with no source open."""
    if latest is None:
        return {"source": source or "window"}
    return {"source": latest.frame.source or source or "window", "score": latest.mood.score,
            "index": latest.frame.index, "faces": latest.mood.faces}
