"""Box operations for detectors: non-maximum suppression, tiles, clipping to the frame."""

from __future__ import annotations

import cv2
import numpy as np

from ..types import Detections


def nms(dets: Detections, iou_threshold: float = 0.3) -> Detections:
    """Non-maximum suppression over all boxes (OpenCV's NMSBoxes)."""
    if len(dets) <= 1:
        return dets
    xywh = np.concatenate([dets.xyxy[:, :2], dets.xyxy[:, 2:] - dets.xyxy[:, :2]], axis=1)
    kept = np.array(cv2.dnn.NMSBoxes(xywh.tolist(), dets.confidence.tolist(), 0.0, iou_threshold), int).reshape(-1)
    return dets[np.sort(kept)]


def make_tiles(width: int, height: int, cols: int, rows: int, overlap: float = 0.25) -> list[tuple[int, int, int, int]]:
    """Overlapping tiles (x0, y0, x1, y1) covering the frame in a cols x rows grid."""
    tw = int(np.ceil(width / (cols - (cols - 1) * overlap))) if cols > 1 else width
    th = int(np.ceil(height / (rows - (rows - 1) * overlap))) if rows > 1 else height
    xs = np.linspace(0, width - tw, cols).astype(int) if cols > 1 else [0]
    ys = np.linspace(0, height - th, rows).astype(int) if rows > 1 else [0]
    return [(int(x), int(y), int(x) + tw, int(y) + th) for y in ys for x in xs]


def clip_and_filter(dets: Detections, w: int, h: int, min_face: int) -> Detections:
    if not len(dets):
        return dets
    xyxy = dets.xyxy.copy()
    xyxy[:, [0, 2]] = np.clip(xyxy[:, [0, 2]], 0, w)
    xyxy[:, [1, 3]] = np.clip(xyxy[:, [1, 3]], 0, h)
    size = np.minimum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1])
    keep = size >= max(min_face, 2)
    return Detections(xyxy[keep], dets.confidence[keep], dets.marks[keep])
