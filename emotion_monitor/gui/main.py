"""The window's entry point from the command line (``emotion-monitor`` with no source, or ``--gui``).

The window is gui/window.py, its widgets gui/widgets.py, the session's thread gui/worker.py.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QApplication,
    QMessageBox,
)

from .. import settings as settings_model
from ..app import DEMO_CLIP
from ..errors import MonitorError
from . import theme
from .window import MainWindow

__all__ = ["MainWindow", "offer_a_source", "run"]


def run(args, specs) -> int:
    """Entry point from the CLI: open the window, on the given sources if any (several sources: the
    lanes window). ``specs``: the sources the command line named (cli.sources_of)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app)  # light or dark, as the system says
    store = QSettings("EmotionMonitor", "emotion-monitor")
    # settings given on the command line apply to this run over the saved ones (not saved)
    from ..app import fleet_sinks

    win = None

    if len(specs) > 1 or getattr(args, "sources", None):
        from .lanes import run_lanes

        return run_lanes(app, args, list(specs))  # type: ignore[arg-type]  # QApplication.instance() is one

    def stats(_source=None):
        w = win.worker if win is not None else None
        return (w.fps, w.session.capture.dropped, w.session.capture.reconnects) if w else (0.0, 0, 0)

    settings = settings_model.from_args(args, settings_model.load(store))
    try:
        sinks = fleet_sinks(args.name, args.metrics_port, args.metrics_host, args.alert_webhook, stats,
                            lambda line: print(f"emotion-monitor: warning: {line}", file=sys.stderr),
                            privacy=settings.privacy)
    except MonitorError as exc:
        print(f"emotion-monitor: error: {exc}", file=sys.stderr)
        return 1
    win = MainWindow(store=store, settings=settings, fleet_sinks=sinks)
    win.show()
    if getattr(args, "record", None):
        win.pending_record_path = args.record  # recording starts with the source
    if specs and specs[0].camera is not None:
        win.open_camera(specs[0].camera)
    elif specs or getattr(args, "demo", False):
        win.open_video(specs[0].video if specs else str(DEMO_CLIP), loop=getattr(args, "loop", False))
    else:
        offer_a_source(win)
    if getattr(args, "record", None) and win.worker is not None:
        win.record_button.setChecked(True)
    return app.exec()


def offer_a_source(win: MainWindow) -> None:
    """No source given: camera 0 if there is one, else a choice of the demo clip or a file."""
    from .._cv import cv2
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
            win.open_video(str(DEMO_CLIP))
        elif box.clickedButton() is not None and box.buttonRole(box.clickedButton()) == QMessageBox.ActionRole:
            win.choose_file()
