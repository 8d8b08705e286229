"""The README's alert picture, reproducible: the window on the bundled demo clip, a TEST alert raised by
its Test alert button (the real path: banner, alert list), the window grabbed to a file.

    python tools/alert_picture.py docs/window_alert.jpg [--seconds 8]

Runs offscreen (no display needed); the clip plays ``--seconds`` first so that faces carry their ids.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="image file (.jpg or .png)")
    ap.add_argument("--seconds", type=float, default=8.0, help="seconds of the demo clip played first")
    args = ap.parse_args()
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from emotion_monitor.app import DEMO_CLIP
    from emotion_monitor.gui.main import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:  # the user's own saved preferences are neither read nor changed
        win = MainWindow(store=QSettings(str(Path(tmp) / "prefs.ini"), QSettings.IniFormat))
        win.resize(1400, 820)
        win.show()
        win.open_video(str(DEMO_CLIP), loop=True)
        # the application's own event loop, as a user's window runs: QTest.qWait in a Python loop kept the
        # analysis thread to 1-3 frames a second (the boxes drawn lagged the faces by a second)
        saved = {}
        QTimer.singleShot(int(args.seconds * 1000), win.test_alert)
        QTimer.singleShot(int(args.seconds * 1000) + 400, lambda: (
            saved.update(ok=win.grab().save(str(args.out), quality=88)), app.quit()))
        app.exec()
        ok = saved.get("ok", False)
        win.close()
    app.processEvents()
    print(f"{args.out}: the window {'saved' if ok else 'NOT saved'}, a TEST alert on the demo clip")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
