"""The real window on each shared clip's 40th frame, saved as a PNG (half size): what the screenshot tests
(tests/test_gui_screens.py) compare with tests/screenshots/, and a quick look at the window.

    xvfb-run -a -s "-screen 0 1600x900x24" python benchmarks/gui_screens.py OUT_DIR

Each frame goes through the real pipeline (YuNet, the shipped model, the tracker); the window is shown at
1500x820 and drawn twice, so its layout has settled.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

CLIPS = ("crowd_1080p.mp4", "marathon_540p.mkv", "hikers_walking.mp4")
MEDIA = ROOT.parent / "shared" / "media"


class _Still:
    """What the window asks of its worker, holding one result (no thread, no source)."""

    def __init__(self, result, rgb, pipeline):
        self._latest, self.pipeline, self.fps, self.selected, self.max_width = (result, rgb), pipeline, 25.0, None, 0
        self.lane = SimpleNamespace(capture=SimpleNamespace(dropped=0))  # nothing dropped: a still

    def take_latest(self):
        latest, self._latest = self._latest, None
        return latest


def frame_result(clip: str, n: int = 40):
    from emotion_monitor.app import build_pipeline
    from emotion_monitor.settings import Settings
    from emotion_monitor.types import Frame

    pipe = build_pipeline(Settings())
    cap = cv2.VideoCapture(str(MEDIA / clip))
    result = None
    for i in range(n):
        ok, img = cap.read()
        if not ok:
            raise SystemExit(f"cannot read {clip}")
        result = pipe.process(Frame(img, i, 1796067040.0 + i / 25, i / 25))
    cap.release()
    return result, pipe


def render(app: QApplication, clip: str, store: str) -> np.ndarray:
    """The window's picture (RGB, half size) on the clip's 40th frame."""
    from emotion_monitor.gui.window import MainWindow
    from emotion_monitor.overlay import draw

    result, pipe = frame_result(clip)
    win = MainWindow(store=QSettings(store, QSettings.IniFormat))
    win.resize(1500, 820)
    win.show()
    win.selected = max(result.tracks, key=lambda t: t.xyxy[3] - t.xyxy[1]).track_id
    win.source = clip
    for _ in range(2):  # the first showing sets the panes' sizes; the second draws into the settled layout
        for _ in range(10):
            app.processEvents()
        width = max(320, win.view.width())
        overlay = draw(result.frame.image, result, win.selected, mood_line=False)
        overlay = cv2.resize(overlay, (width, round(overlay.shape[0] * width / overlay.shape[1])),
                             interpolation=cv2.INTER_AREA)
        win.worker = _Still(result, np.ascontiguousarray(overlay[:, :, ::-1]), pipe)
        win._show_latest()
        win._tick()
    for _ in range(10):
        app.processEvents()
    img = win.grab().toImage().convertToFormat(win.grab().toImage().Format.Format_RGB888)
    shot = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())[:, : img.width() * 3]
    shot = shot.reshape(img.height(), img.width(), 3)
    win.worker = None
    win.close()
    return cv2.resize(shot, (shot.shape[1] // 2, shot.shape[0] // 2), interpolation=cv2.INTER_AREA)


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screens")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    for clip in CLIPS:
        shot = render(app, clip, str(out / "settings.ini"))
        cv2.imwrite(str(out / f"{Path(clip).stem}.png"), shot[:, :, ::-1])
        print(out / f"{Path(clip).stem}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
