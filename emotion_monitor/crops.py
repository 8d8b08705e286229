"""Face crops: grayscale squares framed as FER2013 frames its faces, resized to the model's input.

With landmarks (YuNet) the crop is levelled (turned by its eye line's angle; YuNet's landmarks see
about half of a head's roll, so a 20-degree tilt is halved, not removed) and framed like the
training photos: ``benchmarks/framing.py`` ran YuNet on FER2013 and found its box 0.785 of the
image side wide and 1.005 high, centred (median of 1,423 PublicTest faces). Without landmarks
(MediaPipe, Haar) a square with a margin around the box is cut, as before.
"""

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
        return np.array(x, copy=True)
    flat = x.reshape(len(x), -1)
    lo, hi = np.percentile(flat, (low, high), axis=1)
    span = np.maximum(hi - lo, min_range)
    shape = (-1,) + (1,) * (x.ndim - 1)
    out = (x - lo.reshape(shape).astype(np.float32)) * (255.0 / span.reshape(shape)).astype(np.float32)
    return np.asarray(np.clip(out, 0.0, 255.0, out=out))


# YuNet's box in units of the FER2013 image side (benchmarks/framing.py, PublicTest medians)
FER_BOX_WIDTH, FER_BOX_HEIGHT = 0.785, 1.005


def framed_squares(xyxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(centres (N, 2), sides (N,)) of the FER2013-like square for each YuNet box: the side is the
    mean of what the box's width and its height each say."""
    xyxy = np.asarray(xyxy, np.float32).reshape(-1, 4)
    wh = xyxy[:, 2:] - xyxy[:, :2]
    side = (wh[:, 0] / FER_BOX_WIDTH + wh[:, 1] / FER_BOX_HEIGHT) / 2
    return (xyxy[:, :2] + xyxy[:, 2:]) / 2, side


def roll_degrees(landmarks: np.ndarray) -> np.ndarray:
    """Angle of each face's eye line (degrees, image y down), from landmarks (N, 5, 2); NaN without."""
    lm = np.asarray(landmarks, np.float32).reshape(-1, 5, 2)
    a, b = lm[:, 0], lm[:, 1]
    left_first = a[:, 0] <= b[:, 0]
    e1, e2 = np.where(left_first[:, None], a, b), np.where(left_first[:, None], b, a)
    return np.asarray(np.degrees(np.arctan2(e2[:, 1] - e1[:, 1], e2[:, 0] - e1[:, 0])))


def _patch(gray: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray | None:
    """gray[y0:y1, x0:x1], the part outside the frame filled by replicating its border."""
    h, w = gray.shape
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0 or cx1 <= cx0 or cy1 <= cy0:
        return None
    patch = gray[cy0:cy1, cx0:cx1]
    if (cx0, cy0, cx1, cy1) != (x0, y0, x1, y1):
        patch = cv2.copyMakeBorder(patch, cy0 - y0, y1 - cy1, cx0 - x0, x1 - cx1, cv2.BORDER_REPLICATE)
    return patch


def _resize(patch: np.ndarray, size: int) -> np.ndarray:
    interp = cv2.INTER_AREA if patch.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(patch, (size, size), interpolation=interp)


def square_boxes(xyxy: np.ndarray, margin: float = 0.15) -> np.ndarray:
    """Square boxes centred on each box, side = longest side * (1 + 2*margin)."""
    xyxy = np.asarray(xyxy, np.float32).reshape(-1, 4)
    c = (xyxy[:, :2] + xyxy[:, 2:]) / 2
    side = np.max(xyxy[:, 2:] - xyxy[:, :2], axis=1) * (1 + 2 * margin)
    half = side[:, None] / 2
    return np.concatenate([c - half, c + half], axis=1)


def crop_faces(image_bgr: np.ndarray, dets: Detections | np.ndarray, size: int = 48,
               margin: float = 0.15, max_roll: float = 45.0) -> np.ndarray:
    """uint8 (N, size, size) gray crops; parts of a square that fall outside the frame are padded by
    replicating the border (cv2.copyMakeBorder) so a face at the edge keeps its aspect ratio.

    Faces with landmarks are framed like FER2013 (:func:`framed_squares`) and turned so their eye
    line is level (rolls beyond ``max_roll`` degrees are left as they are: a landmark error, not a
    head on its side); faces without get a square with ``margin`` around the box."""
    if isinstance(dets, Detections):
        xyxy, landmarks = dets.xyxy, dets.marks
    else:
        xyxy = np.asarray(dets, np.float32).reshape(-1, 4)
        landmarks = np.full((len(xyxy), 5, 2), np.nan, np.float32)
    out = np.zeros((len(xyxy), size, size), np.uint8)
    if not len(xyxy):
        return out
    gray = image_bgr if image_bgr.ndim == 2 else cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    aligned = np.isfinite(landmarks).all(axis=(1, 2))
    centres, sides = framed_squares(xyxy)
    rolls = roll_degrees(landmarks)
    plain = np.round(square_boxes(xyxy, margin)).astype(int)
    for i in range(len(xyxy)):
        if not aligned[i]:
            patch = _patch(gray, *plain[i])
            if patch is not None:
                out[i] = _resize(patch, size)
            continue
        # a square 1.5x the crop (room to turn it), resized so the crop becomes `size`, turned, cut
        (cx, cy), side = centres[i], float(sides[i])
        if side < 2:
            continue
        half = int(np.ceil(0.75 * side))
        patch = _patch(gray, int(round(cx)) - half, int(round(cy)) - half, int(round(cx)) + half,
                       int(round(cy)) + half)
        if patch is None:
            continue
        big = int(round(2 * half * size / side))
        patch = cv2.resize(patch, (big, big), interpolation=cv2.INTER_AREA if big < patch.shape[0] else cv2.INTER_LINEAR)
        roll = float(rolls[i]) if abs(rolls[i]) <= max_roll else 0.0
        m = cv2.getRotationMatrix2D((big / 2, big / 2), roll, 1.0)
        m[:, 2] += np.float64(size / 2 - big / 2)
        out[i] = cv2.warpAffine(patch, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out
