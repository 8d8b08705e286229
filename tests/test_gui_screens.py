"""The window on the three shared clips against committed screenshots (tests/screenshots/), with a tolerance.

Each clip's 40th frame goes through the real pipeline (YuNet, the shipped model, the tracker) and is shown
by the real window at 1500x820 on Qt's offscreen platform; the picture must match the reference within a
tolerance (fonts and anti-aliasing move a few pixels). To renew the references after a change to the
window, look at the new pictures first:  EMOTION_MONITOR_SCREENSHOTS=renew pytest tests/test_gui_screens.py
"""

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings  # noqa: E402

from benchmarks import composite  # noqa: E402

REFS = Path(__file__).resolve().parent / "screenshots"
MEDIA = composite.SHARED / "media"
CLIPS = ("crowd_1080p.mp4", "marathon_540p.mkv", "hikers_walking.mp4")
needs_shared = pytest.mark.skipif(not (MEDIA / CLIPS[0]).exists() and not os.environ.get("CI"),
                                  reason="../shared is not beside the checkout")


class _Still:
    """What the window asks of its worker, holding one result (no thread, no source)."""

    def __init__(self, result, rgb, pipeline):
        self._latest, self.pipeline, self.fps, self.selected, self.max_width = (result, rgb), pipeline, 25.0, None, 0

    def take_latest(self):
        latest, self._latest = self._latest, None
        return latest


def _frame_result(clip: str, n: int = 40):
    import cv2

    from emotion_monitor.app import build_pipeline
    from emotion_monitor.settings import Settings
    from emotion_monitor.types import Frame

    pipe = build_pipeline(Settings())
    cap = cv2.VideoCapture(str(MEDIA / clip))
    result = None
    for i in range(n):
        ok, img = cap.read()
        assert ok
        result = pipe.process(Frame(img, i, 1796067040.0 + i / 25, i / 25))
    cap.release()
    return result, pipe


@needs_shared
@pytest.mark.parametrize("clip", CLIPS)
def test_the_window_matches_its_reference_screenshot(clip, qtbot, tmp_path):
    import cv2

    from emotion_monitor.gui.window import MainWindow
    from emotion_monitor.overlay import draw

    result, pipe = _frame_result(clip)
    win = MainWindow(store=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    win.resize(1500, 820)
    win.show()
    qtbot.waitExposed(win)
    win.selected = max(result.tracks, key=lambda t: t.xyxy[3] - t.xyxy[1]).track_id
    win.source = clip
    for _ in range(2):  # the first showing sets the panes' sizes; the second draws into the settled layout
        width = max(320, win.view.width())
        overlay = draw(result.frame.image, result, win.selected, mood_line=False)
        overlay = cv2.resize(overlay, (width, round(overlay.shape[0] * width / overlay.shape[1])),
                             interpolation=cv2.INTER_AREA)
        win.worker = _Still(result, np.ascontiguousarray(overlay[:, :, ::-1]), pipe)
        win._show_latest()
        win._tick()
        for _ in range(5):
            qtbot.wait(40)
    img = win.grab().toImage().convertToFormat(win.grab().toImage().Format.Format_RGB888)
    shot = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())[:, : img.width() * 3]
    shot = shot.reshape(img.height(), img.width(), 3)
    shot = cv2.resize(shot, (shot.shape[1] // 2, shot.shape[0] // 2), interpolation=cv2.INTER_AREA)  # refs at half size
    win.worker = None
    ref_path = REFS / f"{Path(clip).stem}.png"

    if os.environ.get("EMOTION_MONITOR_SCREENSHOTS") == "renew":
        REFS.mkdir(exist_ok=True)
        cv2.imwrite(str(ref_path), shot[:, :, ::-1])
        pytest.skip(f"renewed {ref_path.name}: look at it before committing it")
    ref = cv2.imread(str(ref_path))[:, :, ::-1]
    assert ref.shape == shot.shape, (ref.shape, shot.shape)
    diff = np.abs(ref.astype(np.int16) - shot.astype(np.int16)).max(axis=2)
    assert diff.mean() < 2.0 and (diff > 40).mean() < 0.01, (clip, float(diff.mean()), float((diff > 40).mean()))
