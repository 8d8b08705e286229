"""The lanes window (several sources) on four shared clips, played for real, saved as PNGs: the grid, and
one lane enlarged. A look at the window; docs/window_lanes.jpg is its grid (`convert lanes_grid.png -quality 85`).

    xvfb-run -a -s "-screen 0 1600x900x24" python benchmarks/gui_lanes.py OUT_DIR [--seconds 12]

The four lanes are the street, the marathon, the hikers and the bundled demo clip, played in real time
and looped through one Runner (one classifier for all), as ``emotion-monitor --gui --video ...``
with four videos does.
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

from PySide6.QtWidgets import QApplication  # noqa: E402

MEDIA = ROOT.parent / "shared" / "media"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--seconds", type=float, default=12.0)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from emotion_monitor.gui import theme
    from emotion_monitor.gui.lanes import LanesWindow
    from emotion_monitor.resources import bundled
    from emotion_monitor.runner import MULTI_DEFAULTS, Runner
    from emotion_monitor.sources import SourceSpec
    from emotion_monitor.types import CaptureOptions

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app)
    specs = [SourceSpec("Lane 1 (street)", video=str(MEDIA / "crowd_1080p.mp4")),
             SourceSpec("Lane 2 (marathon)", video=str(MEDIA / "marathon_540p.mkv")),
             SourceSpec("Lane 3 (hikers)", video=str(MEDIA / "hikers_walking.mp4")),
             SourceSpec("Lane 4 (demo)", video=str(bundled("assets", "demo.mp4")))]
    multi = Runner(MULTI_DEFAULTS, specs, capture_options=CaptureOptions(realtime=True, loop=True))
    win = LanesWindow(multi)
    win.resize(1500, 860)
    win.show()
    win.start()

    def wait(seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.02)

    wait(args.seconds)
    win.grab().save(str(args.out / "lanes_grid.png"))
    win.toggle(win.tiles[specs[1].name])
    wait(3)
    win.grab().save(str(args.out / "lanes_enlarged.png"))
    print(multi.status_line())
    win.close()


if __name__ == "__main__":
    main()
