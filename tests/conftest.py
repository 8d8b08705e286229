import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def astronaut_bgr() -> np.ndarray:
    """scikit-image's astronaut (Eileen Collins, public domain): a real, frontal face."""
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


ASTRONAUT_FACE = (170, 40, 280, 170)  # x0, y0, x1, y1 of her face in the 512x512 image


def scene(astronaut_bgr, i: int, width=960, height=540, step=6) -> np.ndarray:
    """A frame with the astronaut's face moving right by ``step`` px a frame over a gray background."""
    frame = np.full((height, width, 3), 90, np.uint8)
    face = cv2.resize(astronaut_bgr[0:300, 100:350], (200, 240))
    x = 100 + i * step
    frame[150:390, x:x + 200] = face
    return frame


@pytest.fixture(scope="session")
def scene_video(tmp_path_factory, astronaut_bgr) -> Path:
    """A 30-frame MJPG video of the moving face."""
    path = tmp_path_factory.mktemp("video") / "scene.avi"
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (960, 540))
    for i in range(30):
        wr.write(scene(astronaut_bgr, i))
    wr.release()
    return path


@pytest.fixture(scope="session")
def classifier():
    from emotion_monitor.classifier import EmotionClassifier

    clf = EmotionClassifier()
    yield clf
    clf.close()
