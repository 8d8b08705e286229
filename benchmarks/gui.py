"""The real window playing a clip: UI event-loop latency while it plays, and a screenshot.

    xvfb-run -a -s "-screen 0 1600x900x24" python benchmarks/gui.py --screenshot docs/screenshot.png

A 5 ms QTimer on the UI thread measures how late each tick fires (the time the UI thread was
busy): p50/p95/max are printed as a markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GLOG_minloglevel", "2")

import numpy as np  # noqa: E402
from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from emotion_monitor.gui.main import MainWindow  # noqa: E402

MEDIA = ROOT.parent / "shared" / "media" / "crowd_1080p.mp4"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--video", default=str(MEDIA if MEDIA.exists() else ROOT / "assets" / "demo.mp4"))
    ap.add_argument("--screenshot", help="PNG of the window taken at --shot-at seconds")
    ap.add_argument("--shot-at", type=float, default=3.5)
    ap.add_argument("--seconds", type=float, default=4.0)
    args = ap.parse_args()
    app = QApplication(sys.argv[:1])
    store = QSettings(str(Path("/tmp") / "emotion-monitor-bench.ini"), QSettings.IniFormat)
    win = MainWindow(store=store)
    win.resize(1500, 820)
    win.show()
    lateness = []
    period = 0.005
    last = [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        lateness.append(max(0.0, now - last[0] - period) * 1000)
        last[0] = now

    timer = QTimer(interval=int(period * 1000), timeout=tick)
    t0 = time.perf_counter()
    win.open_video(args.video, realtime=True)
    timer.start()

    def shot():
        if args.screenshot:
            Path(args.screenshot).parent.mkdir(parents=True, exist_ok=True)
            win.grab().save(args.screenshot)

    QTimer.singleShot(int(args.shot_at * 1000), shot)
    seen = {}
    # read before quitting: Qt 6 closes the windows (and the window stops its worker) on quit()
    QTimer.singleShot(int(args.seconds * 1000) - 200, lambda: seen.update(fps=win.worker.fps if win.worker else 0.0))
    QTimer.singleShot(int(args.seconds * 1000), app.quit)
    app.exec()
    fps = seen.get("fps", 0.0)
    win.close()
    lat = np.array(lateness[20:])
    print(f"Window playing {Path(args.video).name} (real time) for {time.perf_counter() - t0:.1f} s, "
          f"{fps:.1f} frames shown a second")
    print()
    print("| UI event-loop latency | p50 ms | p95 ms | max ms | ticks |")
    print("|---|---|---|---|---|")
    print(f"| 5 ms timer lateness | {np.percentile(lat, 50):.1f} | {np.percentile(lat, 95):.1f} | {lat.max():.1f} | {len(lat)} |")


if __name__ == "__main__":
    main()
