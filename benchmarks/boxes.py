"""Box matching against crowd_1080p_faces.json: recall (IoU >= 0.3, each reference box matched
at most once) and boxes per frame that match no reference box."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from emotion_monitor.tracking import iou_matrix


def match(pred: np.ndarray, ref: np.ndarray, thr: float = 0.3) -> tuple[int, int]:
    """(matched reference boxes, unmatched predicted boxes) with a one-to-one assignment."""
    if len(pred) == 0 or len(ref) == 0:
        return 0, len(pred)
    iou = iou_matrix(pred, ref)
    rows, cols = linear_sum_assignment(-iou)
    hits = int(np.sum(iou[rows, cols] >= thr))
    return hits, len(pred) - hits


def load_reference(path: str | Path) -> list[np.ndarray]:
    """Reference boxes per frame, (N, 4) each. The files hold {"frames": ...} or {clip name: {"frames": ...}};
    a row is [x1, y1, x2, y2] or [x1, y1, x2, y2, p]."""
    d = json.loads(Path(path).read_text())
    if "frames" not in d:
        d = next(v for v in d.values() if isinstance(v, dict) and "frames" in v)
    out = []
    for f in d["frames"]:
        rows = f["boxes"] if isinstance(f, dict) else f
        out.append(np.array([r[:4] for r in rows], np.float32).reshape(-1, 4))
    return out


def unmatched_boxes(pred: np.ndarray, ref: np.ndarray, thr: float = 0.3) -> np.ndarray:
    """The predicted boxes that match no reference box (same one-to-one rule as :func:`match`)."""
    if len(pred) == 0 or len(ref) == 0:
        return np.asarray(pred, np.float32).reshape(-1, 4)
    iou = iou_matrix(pred, ref)
    rows, cols = linear_sum_assignment(-iou)
    matched = {r for r, c in zip(rows, cols) if iou[r, c] >= thr}
    return np.array([p for i, p in enumerate(pred) if i not in matched], np.float32).reshape(-1, 4)


def score(per_frame_pred: list[np.ndarray], refs: list[np.ndarray]) -> dict:
    hits = unmatched = total = 0
    worst = 1.0
    for pred, ref in zip(per_frame_pred, refs):
        h, u = match(pred, ref)
        hits, unmatched, total = hits + h, unmatched + u, total + len(ref)
        if len(ref):
            worst = min(worst, h / len(ref))
    n = len(per_frame_pred)
    return {"recall": hits / max(total, 1), "worst_frame_recall": worst,
            "unmatched_per_frame": unmatched / max(n, 1), "frames": n}
