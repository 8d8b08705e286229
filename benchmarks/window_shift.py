"""A shift in the window: a clip looped for a stream time (an hour by default) as fast as the machine
plays it, resident memory printed as it goes; what the window keeps must stay bounded.

    xvfb-run -a -s "-screen 0 1600x900x24" python benchmarks/window_shift.py --video CLIP --stream-seconds 3600

Prints a table of RSS (MB) by stream minute and the growth over the last half of the run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.gui import rss_mb  # noqa: E402
from emotion_monitor.gui.window import MainWindow  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--video", default=str(ROOT.parent / "shared" / "media" / "hikers_walking.mp4"))
    ap.add_argument("--stream-seconds", type=float, default=3600.0)
    ap.add_argument("--every", type=float, default=300.0, help="stream seconds between RSS readings")
    ap.add_argument("--sample-fps", type=float, help="analyse this many frames a stream second (the rest are "
                                                      "skipped undecoded): an hour of stream in less wall time")
    args = ap.parse_args()
    app = QApplication(sys.argv[:1])
    win = MainWindow(store=QSettings("/tmp/emotion-monitor-shift.ini", QSettings.IniFormat))
    win.resize(1500, 820)
    win.show()
    if not win.open_video(args.video, realtime=False, loop=True, sample_fps=args.sample_fps):
        raise SystemExit(f"cannot open {args.video}")
    readings: list[tuple[float, float, float, int]] = []  # stream s, wall s, RSS MB, ids handed out
    t0 = time.monotonic()

    def poll():
        t = max(win.mood.t) if win.mood.t else 0.0
        if not readings or t - readings[-1][0] >= args.every or t >= args.stream_seconds:
            readings.append((t, time.monotonic() - t0, rss_mb(), win.worker.pipeline.tracker.ids_issued if win.worker else 0))
            print(f"stream {t / 60:6.1f} min  wall {readings[-1][1] / 60:6.1f} min  RSS {readings[-1][2]:7.1f} MB  "
                  f"ids {readings[-1][3]}", flush=True)
        if t >= args.stream_seconds:
            app.quit()

    timer = QTimer(interval=1000, timeout=poll)
    timer.start()
    app.exec()
    half = [r for r in readings if r[0] >= readings[-1][0] - min(1800.0, readings[-1][0] / 2)]
    print()
    print("| stream min | wall min | RSS MB | ids |")
    print("|---|---|---|---|")
    for t, w, r, n in readings:
        print(f"| {t / 60:.1f} | {w / 60:.1f} | {r:.1f} | {n} |")
    print(f"\nRSS over the last 30 minutes of stream, or the last half ({half[0][0] / 60:.0f} -> {half[-1][0] / 60:.0f} min): "
          f"{half[-1][2] - half[0][2]:+.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
