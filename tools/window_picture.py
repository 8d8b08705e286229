"""The docs' pictures of the window, reproducible: the window playing a clip, grabbed to a file.

    python tools/window_picture.py docs/window_test_alert.jpg [--seconds 8]
    python tools/window_picture.py docs/window_alert.jpg --turn
    python tools/window_picture.py docs/window_queue.jpg --queue

Default: the bundled demo clip plays ``--seconds`` (so that faces carry their ids), then the Test alert
button raises a TEST alert through the real path (banner, alert list). ``--turn``: a real alert, on the alert
matrix's "turn" queue (benchmarks/presentations.py: six calm FER+ faces, three of them turn unhappy at 12 s),
grabbed 2 s after the alert begins. ``--queue``: benchmarks/queue_zone.py's queue with its zone, grabbed at
``--seconds`` (default there 27). The last two need ../shared/data. Runs offscreen (no display needed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]


def turn_clip(path: Path) -> str:
    """The "turn" queue (three of six turn unhappy at 12 s) written to ``path`` at 25 fps."""
    import cv2
    from presentations import queue

    frames = queue("turn", turn=12.0, leave=40.0, seconds=40.0)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    return str(path)


def queue_clip(path: Path, seconds: float) -> str:
    """benchmarks/queue_zone.py's queue (people arrive, wait, leave; a passer-by) written to ``path`` at 25 fps."""
    import cv2
    from queue_zone import scene

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (960, 540))
    for img, _ in scene(seconds + 3.0):
        writer.write(img)
    writer.release()
    return str(path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="image file (.jpg or .png)")
    ap.add_argument("--seconds", type=float, help="seconds played before the picture (default 8; --queue: 27)")
    kind = ap.add_mutually_exclusive_group()
    kind.add_argument("--turn", action="store_true", help="a real alert on a queue whose faces turn (needs ../shared)")
    kind.add_argument("--queue", action="store_true", help="a queue zone and its waits (needs ../shared)")
    args = ap.parse_args()
    args.seconds = args.seconds if args.seconds is not None else 27.0 if args.queue else 8.0
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from emotion_monitor.app import DEMO_CLIP
    from emotion_monitor.gui.main import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:  # the user's own saved preferences are neither read nor changed
        win = MainWindow(store=QSettings(str(Path(tmp) / "prefs.ini"), QSettings.IniFormat))
        win.resize(1400, 820)
        win.show()
        saved: dict[str, bool] = {}

        def grab() -> None:
            saved["ok"] = win.grab().save(str(args.out), quality=88)
            app.quit()

        if args.turn:
            win.open_video(turn_clip(Path(tmp) / "turn.mp4"))
            poll = QTimer()  # grab 2 s after the alert's banner comes up; give up when the clip has ended

            def alert_up() -> None:
                if win.alerts.banner.isVisible():
                    poll.stop()
                    QTimer.singleShot(2000, grab)

            poll.timeout.connect(alert_up)
            poll.start(100)
            QTimer.singleShot(60_000, app.quit)
        elif args.queue:
            from queue_zone import ZONE

            clip = queue_clip(Path(tmp) / "queue.mp4", args.seconds)
            win.apply_settings({"zone": ZONE})
            win.open_video(clip)
            QTimer.singleShot(int(args.seconds * 1000), grab)
        else:
            win.open_video(str(DEMO_CLIP), loop=True)
            # the application's own event loop, as a user's window runs: QTest.qWait in a Python loop kept the
            # analysis thread to 1-3 frames a second (the boxes drawn lagged the faces by a second)
            QTimer.singleShot(int(args.seconds * 1000), win.test_alert)
            QTimer.singleShot(int(args.seconds * 1000) + 400, grab)
        app.exec()
        ok = saved.get("ok", False)
        win.close()
    app.processEvents()
    what = ("a real alert on a queue that turns" if args.turn else "a queue zone" if args.queue
            else "a TEST alert on the demo clip")
    print(f"{args.out}: the window {'saved' if ok else 'NOT saved'}, {what}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
