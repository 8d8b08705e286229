"""The real window playing a clip: UI event-loop latency and memory while it plays, and a screenshot.

    xvfb-run -a -s "-screen 0 1600x900x24" python benchmarks/gui.py --screenshot docs/screenshot.png
    xvfb-run -a -s "-screen 0 1600x900x24" python benchmarks/gui.py --video clip.mp4 --loop --seconds 70

A 5 ms QTimer on the UI thread measures how late each tick fires (the time the UI thread was
busy): p50/p95/max are printed as a markdown table, with the resident memory after a 10 s warm-up
and at the end, and how far the mood timeline got (media seconds). ``--json`` writes the same
figures for tests/test_gui_soak.py. A crash of the window ends the process with its error.
"""

from __future__ import annotations

import argparse
import json
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
from soak import rss_mb  # noqa: E402  (benchmarks/soak.py, beside this file)

from emotion_monitor.gui.main import MainWindow  # noqa: E402

MEDIA = ROOT.parent / "shared" / "media" / "crowd_1080p.mp4"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--video", default=str(MEDIA if MEDIA.exists() else ROOT / "assets" / "demo.mp4"))
    ap.add_argument("--screenshot", help="PNG of the window taken at --shot-at seconds")
    ap.add_argument("--shot-at", type=float, default=3.5)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--loop", action="store_true", help="play the clip again from its start when it ends")
    ap.add_argument("--warmup", type=float, default=10.0, help="seconds before the first RSS reading")
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--theme", choices=["dark", "light"], help="default: the system's")
    args = ap.parse_args()
    app = QApplication(sys.argv[:1])
    from emotion_monitor.gui import theme

    theme.apply(app, args.theme)
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
    if not win.open_video(args.video, realtime=True, loop=args.loop):
        raise SystemExit(f"cannot open {args.video}")
    timer.start()
    rss = {}
    QTimer.singleShot(int(min(args.warmup, args.seconds / 2) * 1000), lambda: rss.update(warm=rss_mb()))

    def shot():
        if args.screenshot:
            Path(args.screenshot).parent.mkdir(parents=True, exist_ok=True)
            win.grab().save(args.screenshot)

    QTimer.singleShot(int(args.shot_at * 1000), shot)
    seen = {}
    # read before quitting: Qt 6 closes the windows (and the window stops its worker) on quit()
    QTimer.singleShot(int(args.seconds * 1000) - 200, lambda: seen.update(
        fps=win.worker.fps if win.worker else 0.0, end=rss_mb(),
        media=max(win.mood.t) if win.mood.t else 0.0, faces=len(win.last_result.tracks) if win.last_result else 0))
    QTimer.singleShot(int(args.seconds * 1000), app.quit)
    app.exec()
    fps = seen.get("fps", 0.0)
    win.close()
    lat = np.array(lateness[20:])
    wall = time.perf_counter() - t0
    figures = {"video": str(args.video), "loop": args.loop, "seconds": round(wall, 1), "fps_shown": round(fps, 1),
               "latency_p50_ms": round(float(np.percentile(lat, 50)), 2),
               "latency_p95_ms": round(float(np.percentile(lat, 95)), 2),
               "latency_max_ms": round(float(lat.max()), 1), "ticks": int(len(lat)),
               "rss_warm_mb": round(rss.get("warm", float("nan")), 1), "rss_end_mb": round(seen.get("end", float("nan")), 1),
               "timeline_media_seconds": round(seen.get("media", 0.0), 1)}
    figures["rss_growth_mb"] = round(figures["rss_end_mb"] - figures["rss_warm_mb"], 1)
    print(f"Window playing {Path(args.video).name} (real time{', looped' if args.loop else ''}) for {wall:.1f} s, "
          f"{fps:.1f} frames shown a second; the mood timeline reached {figures['timeline_media_seconds']} s")
    print()
    print("| UI event-loop latency | p50 ms | p95 ms | max ms | ticks | RSS after warm-up MB | RSS at end MB | growth MB |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| 5 ms timer lateness | {figures['latency_p50_ms']:.1f} | {figures['latency_p95_ms']:.1f} | "
          f"{figures['latency_max_ms']:.1f} | {figures['ticks']} | {figures['rss_warm_mb']} | {figures['rss_end_mb']} | "
          f"{figures['rss_growth_mb']:+.1f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
