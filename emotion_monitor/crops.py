"""Face crops: a square around each box with a margin, grayscale, resized to the model's input."""

from __future__ import annotations

import cv2
import numpy as np

from .types import Detections


def stretch_contrast(faces: np.ndarray, low: float = 2.0, high: float = 98.0,
                     min_range: float = 24.0) -> np.ndarray:
    """Per-face contrast stretch, float32 0..255 out: each face's ``low``..``high`` percentiles map to
    0..255 (values beyond clipped), so a dim or washed-out camera face looks like a well-exposed
    training photo. A face whose range is under ``min_range`` gray levels is stretched only that far,
    not into amplified noise. Training applies the same function after its camera augmentations.
    """
    x = np.asarray(faces, np.float32)
    if not len(x):
        return x.copy()
    flat = x.reshape(len(x), -1)
    lo, hi = np.percentile(flat, (low, high), axis=1)
    span = np.maximum(hi - lo, min_range)
    shape = (-1,) + (1,) * (x.ndim - 1)
    return np.clip((x - lo.reshape(shape)) * (255.0 / span.reshape(shape)), 0.0, 255.0)


def square_boxes(xyxy: np.ndarray, margin: float = 0.15) -> np.ndarray:
    """Square boxes centred on each box, side = longest side * (1 + 2*margin)."""
    xyxy = np.asarray(xyxy, np.float32).reshape(-1, 4)
    c = (xyxy[:, :2] + xyxy[:, 2:]) / 2
    side = np.max(xyxy[:, 2:] - xyxy[:, :2], axis=1) * (1 + 2 * margin)
    half = side[:, None] / 2
    return np.concatenate([c - half, c + half], axis=1)


def crop_faces(image_bgr: np.ndarray, dets: Detections | np.ndarray, size: int = 48,
               margin: float = 0.15) -> np.ndarray:
    """uint8 (N, size, size) gray crops; parts of a square that fall outside the frame are padded by
    replicating the border (cv2.copyMakeBorder) so a face at the edge keeps its aspect ratio."""
    xyxy = dets.xyxy if isinstance(dets, Detections) else np.asarray(dets, np.float32).reshape(-1, 4)
    out = np.zeros((len(xyxy), size, size), np.uint8)
    if not len(xyxy):
        return out
    gray = image_bgr if image_bgr.ndim == 2 else cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    for i, (x0, y0, x1, y1) in enumerate(np.round(square_boxes(xyxy, margin)).astype(int)):
        if x1 <= x0 or y1 <= y0:
            continue
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if cx1 <= cx0 or cy1 <= cy0:
            continue
        patch = gray[cy0:cy1, cx0:cx1]
        if (cx0, cy0, cx1, cy1) != (x0, y0, x1, y1):
            patch = cv2.copyMakeBorder(patch, cy0 - y0, y1 - cy1, cx0 - x0, x1 - cx1, cv2.BORDER_REPLICATE)
        interp = cv2.INTER_AREA if patch.shape[0] > size else cv2.INTER_LINEAR
        out[i] = cv2.resize(patch, (size, size), interpolation=interp)
    return out
