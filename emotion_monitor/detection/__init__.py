"""Face detection: every detector is a :class:`FaceDetector` returning :class:`Detections` in frame pixels.

- ``yunet`` (default, yunet.py): OpenCV's FaceDetectorYN, boxes and five landmarks, whole frame.
- ``mediapipe`` (mediapipe.py): MediaPipe full range on tiles, following the tracker's faces with
  BlazeFace short range (blazeface.py).
- ``haar`` (haar.py): OpenCV's Haar cascade.

boxes.py holds the box operations they share; the helper that quiets native loggers is ../native.py.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..native import quiet_native_stderr
from ..types import Detections
from .haar import HaarDetector
from .yunet import YuNetDetector

DETECTORS = ("yunet", "mediapipe", "haar")

__all__ = ["DETECTORS", "Detections", "FaceDetector", "HaarDetector", "YuNetDetector", "create", "quiet_native_stderr"]


@runtime_checkable
class FaceDetector(Protocol):
    """What the pipeline asks of a detector.

    ``hints`` are the tracker's predicted boxes of the faces it follows (N, 4): a detector that
    re-finds known faces in small regions looks there; one that searches the whole frame ignores
    them. ``fresh`` says whether this call searched for faces (False on the frames a scheduled
    detector skips: no detection there is no evidence that a face left)."""

    name: str
    fresh: bool

    def __call__(self, image_bgr: np.ndarray, hints: np.ndarray | None = None) -> Detections: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...


def create(kind: str = "yunet", **kwargs: Any) -> FaceDetector:
    """A detector by name; keyword arguments go to its class."""
    if kind == "yunet":
        return YuNetDetector(**kwargs)
    if kind == "mediapipe":
        from .mediapipe import MediaPipeDetector  # imports MediaPipe only when asked for

        return MediaPipeDetector(**kwargs)
    if kind == "haar":
        return HaarDetector(**kwargs)
    raise ValueError(f"unknown detector {kind!r}; choose one of {', '.join(DETECTORS)}")
