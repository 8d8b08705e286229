"""The window's entry point from the command line (``emotion-monitor`` with no source, or ``--gui``).

The window is gui/window.py, its widgets gui/widgets.py, the session's thread gui/worker.py.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QMessageBox,
)

from .. import settings as settings_model
from ..app import DEMO_CLIP
from ..commands import warn
from ..errors import MonitorError
from . import theme
from .window import MainWindow

if TYPE_CHECKING:
    from ..sources import SourceSpec

__all__ = ["MainWindow", "offer_a_source", "run"]


def run(args: argparse.Namespace, specs: Sequence[SourceSpec]) -> int:
    """Entry point from the CLI: open the window, on the given sources if any (several sources: the
    lanes window). ``specs``: the sources the command line named (cli.sources_of). The window's entry is
    the last to see the parsed command line: below it go the settings and the outputs, as records."""
    from dataclasses import replace

    from .. import options
    from ..app import fleet_sinks
    from ..retention import Retention

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app)  # light or dark, as the system says
    interrupted = on_ctrl_c(app)
    store = QSettings("EmotionMonitor", "emotion-monitor")
    outputs = options.outputs_from(args)
    loop = bool(getattr(args, "loop", False))
    win = None

    if len(specs) > 1 or getattr(args, "sources", None):
        from ..runner import MULTI_DEFAULTS
        from .lanes import run_lanes

        # the saved detection width is the one window's, for one source; the command line's settings go over
        saved = replace(settings_model.load(store), detect_width=MULTI_DEFAULTS.detect_width)
        return run_lanes(app, options.from_args(args, saved), list(specs), outputs,  # type: ignore[arg-type]
                         loop=loop)  # QApplication.instance() is one

    def stats(_source: str | None = None) -> tuple[float, int, int]:
        w = win.worker if win is not None else None
        return (w.fps, w.lane.capture.dropped, w.lane.capture.reconnects) if w else (0.0, 0, 0)

    # settings given on the command line apply to this run over the saved ones (not saved)
    settings = options.from_args(args, settings_model.load(store))
    try:
        sinks = fleet_sinks(outputs, stats, warn, privacy=settings.privacy)
        stored: Any = store.value("retention_folders", []) or []  # where earlier windows wrote (window._retain)
        folders = [stored] if isinstance(stored, str) else [str(f) for f in stored]
        retention = Retention(settings.keep_days, folders, warn=warn)
        retention.prune()  # at start, before a source opens; then every hour of results
        sinks.append(retention)
    except MonitorError as exc:
        print(f"emotion-monitor: error: {exc}", file=sys.stderr)
        return 1
    win = MainWindow(store=store, settings=settings, fleet_sinks=sinks)
    win.show()
    if outputs.record:
        win.pending_record_path = outputs.record  # recording starts with the source
    if specs and specs[0].camera is not None:
        win.open_camera(specs[0].camera)
    elif specs or getattr(args, "demo", False):
        demo = not specs  # the demo clip loops until stopped: it walks forwards then backwards, without a cut
        win.open_video(str(DEMO_CLIP) if demo else specs[0].video or str(DEMO_CLIP), loop=loop or demo)
    else:
        offer_a_source(win)
    if outputs.record and win.worker is not None:
        win.record_button.setChecked(True)
    return run_loop(app, win, interrupted)


def run_loop(app: QCoreApplication, win: MainWindow, interrupted: list[bool]) -> int:
    """The window's loop (none once Ctrl+C came already), then the closing line as the command line prints
    one: what the last source analysed and dropped, counted."""
    code = 0 if interrupted else app.exec()
    if interrupted:  # Ctrl+C before the loop ran: the window is closed here (on_ctrl_c only asks the loop to)
        app.closeAllWindows()
    if win.closing_line:
        print(win.closing_line, flush=True)
    return code


def on_ctrl_c(app: QCoreApplication) -> list[bool]:
    """Ctrl+C in the terminal closes the window as its close button does (recording closed, exit 0); Qt's loop
    ignored it. The handler runs at the window's next timer tick, within half a second. quit() ends a dialog's
    loop too: Ctrl+C on a refusal shown before the window's own loop began left a process with no window.
    Returns a list that is no longer empty once Ctrl+C came."""
    interrupted: list[bool] = []

    def interrupt(*_: object) -> None:
        interrupted.append(True)
        # from the next loop that runs (the window's, or a dialog's), never from here: a signal handler runs between
        # any two bytecodes, inside a paint event too (pyqtgraph paints in Python), and a window closed there was
        # then flushed without a handle (Qt's "QBackingStore::flush() called for QWidgetWindow" on Ctrl+C, #52)
        QTimer.singleShot(0, lambda: (app.closeAllWindows(), app.quit()))

    signal.signal(signal.SIGINT, interrupt)
    return interrupted


def offer_a_source(win: MainWindow) -> None:
    """No source given: camera 0 if there is one, else a choice of the demo clip or a file."""
    import cv2

    from ..native import quiet_native_stderr

    with quiet_native_stderr():
        cap = cv2.VideoCapture(0)
        has_camera = cap.isOpened()
        cap.release()
    if has_camera:
        win.open_camera(0)
    else:
        win.statusBar().showMessage("No camera found: open a video file (Ctrl+O) or the demo clip.")
        box = QMessageBox(QMessageBox.Information, "Emotion Monitor",
                          "No camera was found.\nOpen a video file, or play the bundled demo clip?", parent=win)
        demo = box.addButton("Play demo clip", QMessageBox.AcceptRole)
        box.addButton("Open video…", QMessageBox.ActionRole)
        box.addButton(QMessageBox.Close)
        box.exec()
        if box.clickedButton() is demo:
            win.open_video(str(DEMO_CLIP), loop=True)
        elif box.clickedButton() is not None and box.buttonRole(box.clickedButton()) == QMessageBox.ActionRole:
            win.choose_file()
