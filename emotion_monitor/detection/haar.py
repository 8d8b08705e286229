"""OpenCV's Haar cascade (frontal faces; no landmarks)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..errors import ModelError
from ..types import Detections


class HaarDetector:
    """OpenCV's frontal-face Haar cascade (shipped inside opencv-contrib-python)."""

    name = "haar"
    fresh = True

    def __init__(self, min_face: int = 20, scale_factor: float = 1.1, min_neighbors: int = 5):
        min_face = min_face or 20
        path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise ModelError(f"cannot load Haar cascade {path}")
        self.min_face, self.scale_factor, self.min_neighbors = max(min_face, 1), scale_factor, min_neighbors

    def __call__(self, image_bgr: np.ndarray, hints: np.ndarray | None = None) -> Detections:
        gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
        rects, _, weights = self._cascade.detectMultiScale3(
            gray, self.scale_factor, self.min_neighbors, minSize=(self.min_face, self.min_face), outputRejectLevels=True)
        r = np.array(rects, np.float32).reshape(-1, 4)
        xyxy = np.concatenate([r[:, :2], r[:, :2] + r[:, 2:]], axis=1)
        conf = 1 / (1 + np.exp(-np.array(weights, np.float32).reshape(-1)))  # level weight -> (0, 1)
        return Detections(xyxy, conf)

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass
