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
TILES = 4  # faces on screen at once, one a corner
GROUPS = {"happy": ("happy",), "neutral": ("neutral",), "negative": NEGATIVE, "angry/sad": ("angry", "sad")}


def labelled_faces(group: str, data=SHARED / "data" / "fer2013.tar.xz",
                   votes=SHARED / "data" / "ferplus_votes.csv", where: bool = False):
    """PrivateTest faces whose FER+ majority vote is in ``group``, and their labels; with ``where``
    also the mask that picks them from the whole dataset (35,887 faces, training.data's order)."""
    from training import data as fer_data
    from training import ferplus

    ds = fer_data.load(data)
    labels, keep = ferplus.majority(ferplus.load_votes(votes, ds))
    wanted = [fer_data.LABELS.index(name) for name in GROUPS[group]]
    pick = (ds.usage == 2) & keep & np.isin(labels, wanted)
    faces = ds.images[pick], [fer_data.LABELS[k] for k in labels[pick]]
    return (*faces, pick) if where else faces


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
    drift = rng.uniform(-12, 12, (TILES, 2))  # px a second
    for i in range(int(seconds * fps)):
        t = i / fps
        img = bg.copy()
        truth = []
        for k, (x, y) in enumerate(starts):
            n = order[(int(t // hold) * TILES + k) % len(order)]
            face = cv2.resize(images[n], (face_px, face_px), interpolation=cv2.INTER_CUBIC)
            face = cv2.copyMakeBorder(face, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
            dx, dy = drift[k] * (t % hold)
            x0 = int(np.clip(x + dx, 0, w - tile))
            y0 = int(np.clip(y + dy, 0, h - tile))
            img[y0:y0 + tile, x0:x0 + tile] = cv2.cvtColor(face, cv2.COLOR_GRAY2BGR)
            truth.append((x0, y0, x0 + tile, y0 + tile, labels[n]))
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 60])
        yield cv2.imdecode(buf, cv2.IMREAD_COLOR), truth


def shown(n_faces: int, seconds: float, fps: float = 25.0, hold: float = 2.0) -> int:
    """How many distinct faces :func:`frames` shows in ``seconds``: each tile a new face every ``hold`` s,
    counted over the frames it makes (the last at ``(int(seconds * fps) - 1) / fps``).

    A composite's share of rows is a mean over these faces, not over its rows: 20 s show 40, so a share
    of about 0.65 carries a standard error of about 0.075 (``sqrt(p (1 - p) / faces)``).
    """
    last = int(seconds * fps) - 1
    return 0 if last < 0 else min(n_faces, TILES * (int(last / fps // hold) + 1))


def face_order(n_faces: int, seed: int = 0) -> np.ndarray:
    """The order in which :func:`frames` shows ``n_faces`` faces (its first draw from ``seed``): the
    first :func:`shown` of them are the faces a composite of that length holds."""
    return np.random.default_rng(seed).permutation(n_faces)


def truth_of(box, truth) -> str | None:
    """The label of the tile holding a box's centre, or None."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    for x0, y0, x1, y1, label in truth:
        if x0 <= cx <= x1 and y0 <= cy <= y1:
            return label
    return None


# People who walk, cross, hide and turn, with known identities (benchmarks/identity.py). Each person is
# a FER+ face over a shirt; two share a shirt colour, so appearance must come from the face as well.
# Path: (time s, x, y) waypoints of the face's top-left corner; None hides the person (off screen).
SHIRTS = [(40, 40, 200), (200, 120, 30), (60, 170, 60), (40, 40, 200), (170, 60, 170), (30, 160, 200)]
PATHS = {
    1: [(0, 20, 60), (11, 900, 60), (11.01, None, None), (15, None, None), (15.01, 900, 60), (30, 20, 60)],
    2: [(0, 880, 70), (12, 0, 70), (30, 0, 70)],  # crosses person 1 (in front of them) at about 6 s
    3: [(0, 180, 260), (30, 200, 270)],  # stands in the queue; turns to profile twice
    4: [(0, 380, 250), (30, 370, 255)],
    5: [(0, 520, 260), (12, 840, 260), (30, 820, 262)],  # walks behind the pillar
    6: [(0, 0, 400), (3.5, 860, 400), (3.51, None, None), (6, None, None), (6.01, 860, 400), (9.5, 0, 400),
        (9.51, None, None), (12, None, None), (12.01, 0, 400), (15.5, 860, 400), (30, 860, 400)],  # fast walker
}
TURNS = {3: [(8.0, 9.5), (20.0, 21.0)], 4: [(14.0, 15.0)]}  # face squashed to 45% of its width
PILLAR = (640, 0, 720, 540)


def _at(path, t):
    for (t0, x0, y0), (t1, x1, y1) in zip(path, path[1:]):
        if t0 <= t < t1:
            if x0 is None or x1 is None:
                return None
            a = (t - t0) / (t1 - t0)
            return x0 + a * (x1 - x0), y0 + a * (y1 - y0)
    t_last, x, y = path[-1]
    return None if x is None else (x, y)


def people_frames(seconds: float = 30.0, fps: float = 25.0, face_px: int = 72, seed: int = 0):
    """``(BGR frame, [(person, x0, y0, x1, y1, visible share), ...])``: six people on a 960x540 scene,
    their face boxes and how much of each face is in view (the pillar and people in front hide)."""
    images, _ = labelled_faces("neutral")
    rng = np.random.default_rng(seed)
    faces = {p: images[i] for p, i in zip(PATHS, rng.choice(len(images), len(PATHS), replace=False))}
    bg = background((960, 540))
    pad = face_px // 5
    for i in range(int(seconds * fps)):
        t = i / fps
        img = bg.copy()
        cover = np.zeros(img.shape[:2], np.int16)  # who is drawn on top at each pixel
        boxes = {}
        for p, path in PATHS.items():  # later people are drawn in front of earlier ones
            pos = _at(path, t)
            if pos is None:
                continue
            x, y = int(pos[0]), int(pos[1])
            w = face_px
            if any(a <= t < b for a, b in TURNS.get(p, ())):
                w = int(face_px * 0.45)
            face = cv2.resize(faces[p], (w, face_px), interpolation=cv2.INTER_CUBIC)
            tile = cv2.copyMakeBorder(face, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
            th, tw = tile.shape
            x0 = x + (face_px - w) // 2
            shirt = (x0 - pad, y + th - 2, x0 + tw + pad, y + th + 2 * face_px)
            sx0, sy0, sx1, sy1 = (int(np.clip(v, 0, lim)) for v, lim in zip(shirt, (960, 540, 960, 540)))
            img[sy0:sy1, sx0:sx1] = SHIRTS[p - 1]
            cover[sy0:sy1, sx0:sx1] = p
            fx0, fy0 = max(0, x0), max(0, y)
            fx1, fy1 = min(960, x0 + tw), min(540, y + th)
            if fx1 <= fx0 or fy1 <= fy0:
                continue
            img[fy0:fy1, fx0:fx1] = cv2.cvtColor(tile[fy0 - y:fy1 - y, fx0 - x0:fx1 - x0], cv2.COLOR_GRAY2BGR)
            cover[fy0:fy1, fx0:fx1] = p
            boxes[p] = (x0 + pad, y + pad, x0 + pad + w, y + pad + face_px)
        px0, py0, px1, py1 = PILLAR
        img[py0:py1, px0:px1] = (90, 95, 100)
        cover[py0:py1, px0:px1] = -1
        truth = []
        for p, (x0, y0, x1, y1) in boxes.items():
            region = cover[max(0, y0):min(540, y1), max(0, x0):min(960, x1)]
            full = max(1, (x1 - x0) * (y1 - y0))
            truth.append((p, x0, y0, x1, y1, float((region == p).sum()) / full))
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 70])
        yield cv2.imdecode(buf, cv2.IMREAD_COLOR), truth


# A queue: people standing side by side (FER+ faces over shirts), who may arrive, turn unhappy and leave.
# Each person: slot (0..5), arrives at ``t_in`` (walking in from the right edge over 1.5 s), leaves at
# ``t_out`` (walking off to the right), and shows a calm face before ``t_turn`` and an unhappy one after.
QUEUE_SLOTS = [(60 + 145 * k, 190 + (25 if k % 2 else 0)) for k in range(6)]


def queue_frames(people, seconds: float, fps: float = 25.0, face_px: int = 72, seed: int = 0, unhappy_from_start=()):
    """``(BGR frame, truth)`` of a queue scene. ``people``: ``{pid: (slot, t_in, t_out, t_turn)}`` (times in
    seconds; ``None`` for never); ``unhappy_from_start``: pids whose face is unhappy all along. ``truth``:
    ``[(pid, x0, y0, x1, y1, "unhappy" | "calm")]``."""
    calm, _ = labelled_faces("neutral")
    sad, _ = labelled_faces("angry/sad")
    rng = np.random.default_rng(seed)
    calm_face = dict(zip(people, rng.choice(len(calm), len(people), replace=False)))
    sad_face = dict(zip(people, rng.choice(len(sad), len(people), replace=False)))
    bg = background((960, 540))
    pad = face_px // 5
    walk = 1.5
    for i in range(int(seconds * fps)):
        t = i / fps
        img = bg.copy()
        truth = []
        for pid, (slot, t_in, t_out, t_turn) in people.items():
            if t < t_in or (t_out is not None and t >= t_out + walk):
                continue
            x, y = QUEUE_SLOTS[slot]
            if t < t_in + walk:  # walking in from the right edge
                x = int(x + (960 - x) * (1 - (t - t_in) / walk))
            elif t_out is not None and t >= t_out:  # walking off to the right
                x = int(x + (960 - x) * (t - t_out) / walk)
            x += int(3 * np.sin(t * 1.3 + pid))  # a little sway
            unhappy = pid in unhappy_from_start or (t_turn is not None and t >= t_turn)
            src = sad[sad_face[pid]] if unhappy else calm[calm_face[pid]]
            face = cv2.resize(src, (face_px, face_px), interpolation=cv2.INTER_CUBIC)
            tile = cv2.copyMakeBorder(face, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
            th, tw = tile.shape
            shirt = (x - pad, y + th - 2, x + tw + pad, y + th + 2 * face_px)
            sx0, sy0, sx1, sy1 = (int(np.clip(v, 0, lim)) for v, lim in zip(shirt, (960, 540, 960, 540)))
            img[sy0:sy1, sx0:sx1] = SHIRTS[(pid - 1) % len(SHIRTS)]
            fx1, fy1 = min(960, x + tw), min(540, y + th)
            if fx1 <= x:
                continue
            img[y:fy1, x:fx1] = cv2.cvtColor(tile[:fy1 - y, :fx1 - x], cv2.COLOR_GRAY2BGR)
            truth.append((pid, x + pad, y + pad, x + pad + face_px, y + pad + face_px, "unhappy" if unhappy else "calm"))
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 70])
        yield cv2.imdecode(buf, cv2.IMREAD_COLOR), truth
