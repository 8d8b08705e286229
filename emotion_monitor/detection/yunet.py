"""YuNet through OpenCV's FaceDetectorYN: boxes and five landmarks per face."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..errors import ModelError
from ..resources import bundled
from ..types import Detections
from .boxes import clip_and_filter


class YuNetDetector:
    """YuNet (OpenCV's ``cv2.FaceDetectorYN``): boxes and five landmarks per face, in one call on the
    whole frame, downscaled so its width is at most ``max_width``.

    Schedule: the frame is searched every ``every`` frames; the frames between return no
    detections and ``fresh = False``, and the tracker carries each face along its predicted path (the
    pipeline then classifies nothing new on them). Measured in ``benchmarks/detection.py``.

    Boxes down to ``weak_threshold`` are returned too: the tracker keeps those that continue a face it
    follows (ByteTrack's second association: a face blurred or half hidden for a moment scores low)
    and drops the rest; only boxes of at least ``score_threshold`` start a face. Off by default
    (``weak_threshold`` = ``score_threshold``): README, "Identity", says what 0.45 did.
    """

    name = "yunet"

    def __init__(self, model_path: str | Path = bundled("models", "yunet_n_640_640.onnx"), max_width: int = 960,
                 score_threshold: float = 0.6, nms_threshold: float = 0.3, every: int = 2, min_face: int = 0,
                 weak_threshold: float = 0.6):
        if every < 1:
            raise ValueError("every must be >= 1")
        self.path, self.max_width, self.every, self.min_face = Path(model_path), int(max_width), int(every), min_face
        self.score_threshold, self.nms_threshold = score_threshold, nms_threshold
        self.weak_threshold = min(weak_threshold, score_threshold)
        if not self.path.is_file():
            raise ModelError(f"face detection model not found: {self.path}")
        try:
            self._net = cv2.FaceDetectorYN.create(str(self.path), "", (320, 320), self.weak_threshold, nms_threshold,
                                                  5000)
        except cv2.error as exc:
            raise ModelError(f"cannot load face detection model {self.path}: {str(exc).splitlines()[0]}") from exc
        self._size: tuple[int, int] | None = None
        self._calls = 0
        self.fresh = True  # whether the last call searched the frame

    def __call__(self, image_bgr: np.ndarray, hints: np.ndarray | None = None) -> Detections:
        h, w = image_bgr.shape[:2]
        self._calls += 1
        self.fresh = (self._calls - 1) % self.every == 0
        if not self.fresh:
            return Detections()
        scale = min(1.0, self.max_width / w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        if size != self._size:
            self._net.setInputSize(size)
            self._size = size
        small = image_bgr if scale == 1.0 else cv2.resize(image_bgr, size, interpolation=cv2.INTER_AREA)
        _, faces = self._net.detect(small)
        if faces is None or not len(faces):
            return Detections()
        faces = np.asarray(faces, np.float32) / np.float32(scale)
        faces[:, 14] *= np.float32(scale)  # the score is not a coordinate
        xyxy = np.concatenate([faces[:, 0:2], faces[:, 0:2] + faces[:, 2:4]], axis=1)
        dets = Detections(xyxy, np.clip(faces[:, 14], 0, 1), faces[:, 4:14].reshape(-1, 5, 2))
        return clip_and_filter(dets, w, h, self.min_face)

    def reset(self, phase: int = 0) -> None:
        """Start the search schedule again; ``phase`` frames into it (several sources stagger their
        searches so that a round of the multi-source loop does not search every frame at once)."""
        self._calls = phase % self.every

    def close(self) -> None:
        self._net = None  # type: ignore[assignment]  # released; the detector is not called again
