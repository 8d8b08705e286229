"""The windows' one worker (gui/worker.py): the runner's warnings reach the window's status bar, and closing a
window closes its runner only once the loop has ended."""

import threading

import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings  # noqa: E402

from emotion_monitor.events import RunEvents  # noqa: E402
from emotion_monitor.gui.main import MainWindow  # noqa: E402
from emotion_monitor.gui.worker import LanesWorker  # noqa: E402

from .doubles import Sad  # noqa: E402


def test_the_runners_warnings_are_shown_in_the_windows_status_bar(qtbot, tmp_path, scene_video):
    """They went to stderr only, where a window's user never looks."""
    win = MainWindow(store=QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat), classifier=Sad())
    qtbot.addWidget(win)
    win.show()
    try:
        assert win.open_video(str(scene_video), realtime=True, loop=True)
        qtbot.waitUntil(lambda: win.last_result is not None, timeout=15_000)
        win.worker.runner.warning.emit("camera 1: no frames; retrying every 1-30 s")  # as the runner says one
        qtbot.waitUntil(lambda: win.statusBar().currentMessage() == "camera 1: no frames; retrying every 1-30 s",
                        timeout=5_000)
    finally:
        win.close()


class Stuck(RunEvents):
    """A runner whose loop is held inside an inference until ``gate`` opens; ``closed`` records, for each
    close, whether the loop was still inside then."""

    def __init__(self):
        self.gate, self.entered, self.inside, self.closed = threading.Event(), threading.Event(), False, []

    def results(self, until):
        self.inside = True
        self.entered.set()
        self.gate.wait(10)
        self.inside = False
        yield from ()

    def close(self):
        self.closed.append(self.inside)


@pytest.mark.parametrize("stuck", [False, True])
def test_closing_a_window_closes_its_runner_once_and_only_after_the_loop(qtbot, stuck):
    """MainWindow.stop and the lanes window closed the runner (its detectors, its captures) after a 5 s wait
    even while the loop still ran inference with them."""
    runner = Stuck()
    worker = LanesWorker(runner)  # type: ignore[arg-type]
    worker.start()
    assert runner.entered.wait(5)
    if not stuck:
        runner.gate.set()
    worker.close(timeout=0.3)
    if stuck:
        assert runner.closed == []  # not closed under the running loop
        runner.gate.set()
        worker._thread.join(5)
    assert not worker._thread.is_alive() and runner.closed == [False]
