"""Footage with known expressions: real faces that taggers labelled, moving over a real background.

FER+ PrivateTest faces (the report split: never used to choose anything) whose majority vote is the
wanted expression are set, four at a time, on a blurred frame of hikers_walking.mp4 (CC BY 2.0,
Peter Stevens; no face left in it), drift across it, and change every ``hold`` seconds. Each face is
upscaled to ``face_px`` with its border replicated around it (FER2013 crops are tight; the detector
needs a little context), then the frame goes through what a camera does: JPEG at quality 60.

:func:`frames` yields ``(image, truth)`` with ``truth`` a list of ``(x0, y0, x1, y1, label)`` for
the faces on it, so a detection can be scored by the tile it falls in. Used by benchmarks/wild.py
and by the alert tests.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from emotion_monitor.mood import NEGATIVE

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
GROUPS = {"happy": ("happy",), "neutral": ("neutral",), "negative": NEGATIVE, "angry/sad": ("angry", "sad")}


def labelled_faces(group: str, data=SHARED / "data" / "fer2013.tar.xz",
                   votes=SHARED / "data" / "ferplus_votes.csv") -> tuple[np.ndarray, list[str]]:
    """PrivateTest faces whose FER+ majority vote is in ``group``, and their labels."""
    from training import data as fer_data
    from training import ferplus

    ds = fer_data.load(data)
    labels, keep = ferplus.majority(ferplus.load_votes(votes, ds))
    wanted = [fer_data.LABELS.index(name) for name in GROUPS[group]]
    pick = (ds.usage == 2) & keep & np.isin(labels, wanted)
    return ds.images[pick], [fer_data.LABELS[k] for k in labels[pick]]


def background(size=(640, 480)) -> np.ndarray:
    cap = cv2.VideoCapture(str(SHARED / "media" / "hikers_walking.mp4"))
    ok, img = cap.read()
    cap.release()
    if not ok:
        img = np.full((size[1], size[0], 3), 120, np.uint8)
    return cv2.GaussianBlur(cv2.resize(img, size), (0, 0), 9)


def frames(group: str, seconds: float, fps: float = 25.0, face_px: int = 96, hold: float = 2.0, seed: int = 0,
           faces=None):
    """``(BGR frame, [(x0, y0, x1, y1, label), ...])`` for ``seconds`` of footage."""
    images, labels = faces if faces is not None else labelled_faces(group)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(images))
    bg = background()
    h, w = bg.shape[:2]
    pad = face_px // 4
    tile = face_px + 2 * pad
    starts = [(40, 40), (w - tile - 40, 40), (40, h - tile - 40), (w - tile - 40, h - tile - 40)]
    drift = rng.uniform(-12, 12, (4, 2))  # px a second
    for i in range(int(seconds * fps)):
        t = i / fps
        img = bg.copy()
        truth = []
        for k, (x, y) in enumerate(starts):
            n = order[(int(t // hold) * 4 + k) % len(order)]
            face = cv2.resize(images[n], (face_px, face_px), interpolation=cv2.INTER_CUBIC)
            face = cv2.copyMakeBorder(face, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
            dx, dy = drift[k] * (t % hold)
            x0 = int(np.clip(x + dx, 0, w - tile))
            y0 = int(np.clip(y + dy, 0, h - tile))
            img[y0:y0 + tile, x0:x0 + tile] = cv2.cvtColor(face, cv2.COLOR_GRAY2BGR)
            truth.append((x0, y0, x0 + tile, y0 + tile, labels[n]))
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 60])
        yield cv2.imdecode(buf, cv2.IMREAD_COLOR), truth


def truth_of(box, truth) -> str | None:
    """The label of the tile holding a box's centre, or None."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    for x0, y0, x1, y1, label in truth:
        if x0 <= cx <= x1 and y0 <= cy <= y1:
            return label
    return None
