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
    d = json.loads(Path(path).read_text())
    return [np.array(f["boxes"] if isinstance(f, dict) else f, np.float32).reshape(-1, 4) for f in d["frames"]]


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
