"""What the tracker matches faces by: box overlap (IoU), greedy matching of a score matrix, and the
appearance descriptor used to re-identify a face unseen for a while (tracking.py says how they combine).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from .types import Detections, Track

# a frame's appearance features: all of them, or a function giving those of the detections asked for
FeatureSource = np.ndarray | Callable[[list[int]], np.ndarray]


def _intersections(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The area each box of ``a`` (N, 4) shares with each of ``b`` (M, 4), (N, M)."""
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    return np.asarray(np.prod(np.clip(br - tl, 0, None), axis=2))


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, np.float32).reshape(-1, 4)
    b = np.asarray(b, np.float32).reshape(-1, 4)
    inter = _intersections(a, b)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=1)
    return np.asarray(inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-6))


def on_one_head(xyxy: np.ndarray) -> np.ndarray:
    """Which boxes sit on top of another box on the same head, bool (N,): :func:`heads_shared`'s rows."""
    return np.asarray(heads_shared(xyxy).any(axis=1))


def heads_shared(xyxy: np.ndarray) -> np.ndarray:
    """Pairs of boxes on one head, bool (N, N): ``[i, j]`` when box i sits on top of box j, hair or a
    forehead found as a second face above the face itself (the demo clip's red-haired man had two labelled
    boxes, one a hand above the other). Such a box is centred over the one below (horizontally within half
    their mean width: his head turned down, the hair box drifted 0.45 aside), 0.2 to 0.85 of their mean
    height higher (his hair: 0.54 to 0.83 on 40 of 44 frames), of a like size, and overlaps it. Two people
    stand side by side (the demo's nearest such pair: 0.75 of a width apart) or one a head above the other:
    the crowd clip's woman behind another, her chin hidden by the other's hair, stood 0.86 higher and
    is kept. Hand-written: NMS (IoU) keeps these pairs, whose overlap is a third of a box or less."""
    b = np.asarray(xyxy, np.float32).reshape(-1, 4)
    if len(b) < 2:
        return np.zeros((len(b), len(b)), bool)
    aligned, rise, mh = _over(b, b)
    return np.asarray(aligned & (rise > 0.2 * mh) & (rise < 0.85 * mh) & (iou_matrix(b, b) > 0))


def _over(upper: np.ndarray, lower: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How each box of ``upper`` (N, 4) stands over each of ``lower`` (M, 4), (N, M) each: whether it is centred
    over it (horizontally within half their mean width) and of a like size (width ratio 0.5-2); how far its
    centre is above the other's; their mean height. :func:`heads_shared` and :func:`stacked_on` judge by these."""
    c, wh = (upper[:, :2] + upper[:, 2:]) / 2, upper[:, 2:] - upper[:, :2]
    cl, whl = (lower[:, :2] + lower[:, 2:]) / 2, lower[:, 2:] - lower[:, :2]
    mw = (wh[:, None, 0] + whl[None, :, 0]) / 2
    mh = (wh[:, None, 1] + whl[None, :, 1]) / 2
    rise = cl[None, :, 1] - c[:, None, 1]
    ratio = wh[:, None, 0] / np.maximum(whl[None, :, 0], 1e-6)
    return (np.abs(c[:, None, 0] - cl[None, :, 0]) < 0.5 * mw) & (ratio > 0.5) & (ratio < 2), rise, mh


def stacked_on(box: np.ndarray, below: np.ndarray) -> bool:
    """Whether ``box`` sits on the head of one of the faces ``below`` (N, 4): centred over it, of a like size,
    0.2 to 1.0 of their mean height above it and touching it. :func:`heads_shared`'s pairs stop at 0.85 to keep
    a woman standing 0.86 above another; the demo's hair box above the red-haired man's bowed head stood 0.94
    above, touching it. The tracker numbers such a box only after its ``min_hits`` detections, whatever its
    confidence: the woman is numbered three detections later, the hair (two frames a pass) never."""
    if not len(below):
        return False
    aligned, rise, mh = (a[0] for a in _over(np.asarray(box, np.float32)[None], np.asarray(below, np.float32)))
    touching = box[3] >= below[:, 1] - 0.1 * mh
    return bool((aligned & (rise > 0.2 * mh) & (rise <= 1.0 * mh) & touching).any())


def greedy_match(score: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Pairs (row, column) taken highest score first, each row and column once, scores >= threshold."""
    pairs: list[tuple[int, int]] = []
    if score.size == 0:
        return pairs
    score = score.astype(np.float64, copy=True)
    while True:
        r, c = np.unravel_index(np.argmax(score), score.shape)
        if score[r, c] < threshold:
            return pairs
        pairs.append((int(r), int(c)))
        score[r, :] = -np.inf
        score[:, c] = -np.inf


def _uniform_codes() -> np.ndarray:
    """Each 8-bit local binary pattern's bin: the 58 "uniform" patterns (at most two 0/1 transitions around the
    circle: edges, corners, spots) a bin each, the other 198 one bin together (Ojala et al. 2002)."""
    bits = (np.arange(256)[:, None] >> np.arange(8)) & 1
    uniform = (bits != np.roll(bits, 1, axis=1)).sum(axis=1) <= 2
    return np.where(uniform, np.cumsum(uniform) - 1, int(uniform.sum())).astype(np.intp)


_LBP_BINS, _LBP_GRID = 59, 4
_LBP_CODE = _uniform_codes()
_NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1))


def face_texture(crops: np.ndarray) -> np.ndarray:
    """Local binary pattern histograms of gray face crops (N, H, W) -> (N, 4 x 4 x 59), unit length: each pixel
    coded by which of its 8 neighbours are as bright as it, the codes counted in a 4 x 4 grid of cells, square-
    rooted (Hellinger). The classic face-recognition texture (Ahonen et al. 2006): it follows who the face is
    more than the light, where HOG, used before, followed the pose. On the looped demo's 9 people, a frame's
    descriptor is nearest its own person's look for 0.67 of frames with HOG and the 8 x 4 clothes histogram,
    0.77 with this and :func:`describe`'s 16 x 8 one (docs/measured.md).
    Hand-written: scikit-image's ``local_binary_pattern`` would add scikit-image to the default install for ten
    lines of numpy; OpenCV's LBPH recognizer is in the contrib wheel only and keeps its histograms to itself."""
    c = np.asarray(crops, np.int16).reshape(len(crops), *np.shape(crops)[1:3])
    n, h, w = c.shape
    centre = c[:, 1:-1, 1:-1]
    code = np.zeros(centre.shape, np.intp)
    for k, (dy, dx) in enumerate(_NEIGHBOURS):
        code |= (c[:, 1 + dy:h - 1 + dy, 1 + dx:w - 1 + dx] >= centre).astype(np.intp) << k
    code = _LBP_CODE[code]
    ch, cw = (h - 2) // _LBP_GRID, (w - 2) // _LBP_GRID
    cell = (np.arange(_LBP_GRID * ch)[:, None] // ch * _LBP_GRID + np.arange(_LBP_GRID * cw)[None] // cw) * _LBP_BINS
    index = (code[:, :_LBP_GRID * ch, :_LBP_GRID * cw] + cell) + (np.arange(n) * _LBP_GRID ** 2 * _LBP_BINS)[:, None, None]
    hist = np.sqrt(np.bincount(index.ravel(), minlength=n * _LBP_GRID ** 2 * _LBP_BINS).astype(np.float32))
    hist = hist.reshape(n, -1)
    return np.asarray(hist / (np.linalg.norm(hist, axis=1, keepdims=True) + 1e-6))


# the clothes region describe() reads: a quarter face wider each side, from 0.3 to 1.5 faces below the chin
BODY_SIDE, BODY_FROM, BODY_TO = 0.25, 0.3, 1.5
HUES, SATURATIONS = 16, 8  # the clothes' hue-saturation histogram
BODY_BINS = HUES * SATURATIONS  # at the end of each descriptor
FACE_DIMS = _LBP_GRID ** 2 * _LBP_BINS


def describe(image: np.ndarray, dets: Detections, crops: np.ndarray) -> np.ndarray:
    """Appearance descriptors (N, FACE_DIMS + BODY_BINS), unit length: the aligned gray face crop's texture
    (:func:`face_texture`) and a hue-saturation histogram (16 x 8, square-rooted) of the region below the face
    (clothes), half the weight each. About 60 us a face; the tracker asks only for the faces it needs (see
    :class:`Tracker`)."""
    n = len(dets)
    if n == 0:
        return np.zeros((0, FACE_DIMS + BODY_BINS), np.float32)
    crops = np.asarray(crops, np.uint8)
    if crops.shape[1:3] != (48, 48):
        crops = np.stack([cv2.resize(c, (48, 48)) for c in crops])
    faces = face_texture(crops)
    h, w = image.shape[:2]
    body = np.zeros((n, BODY_BINS), np.float32)
    if image.ndim != 3:
        return np.asarray(np.concatenate([faces, body], axis=1) * np.float32(np.sqrt(0.5)))
    for i, (x0, y0, x1, y1) in enumerate(dets.xyxy):
        bw, bh = x1 - x0, y1 - y0
        bx0, bx1 = int(max(0, x0 - BODY_SIDE * bw)), int(min(w, x1 + BODY_SIDE * bw))
        by0, by1 = int(max(0, y1 + BODY_FROM * bh)), int(min(h, y1 + BODY_TO * bh))
        if bx1 - bx0 < 4 or by1 - by0 < 4:
            continue
        region = image[by0:by1, bx0:bx1]
        step = max(1, int(min(region.shape[:2]) // 24))  # about 24 px a side is enough for a histogram
        hsv = cv2.cvtColor(np.ascontiguousarray(region[::step, ::step]), cv2.COLOR_BGR2HSV)
        hist = np.sqrt(cv2.calcHist([hsv], [0, 1], None, [HUES, SATURATIONS], [0, 180, 0, 256]).ravel())
        body[i] = hist / (np.linalg.norm(hist) + 1e-6)
    return np.asarray(np.concatenate([faces, body], axis=1) * np.float32(np.sqrt(0.5)))


def crowded(xyxy: np.ndarray, share: float = 0.15) -> np.ndarray:
    """Which detections' described region (the face and the clothes below it, as :func:`describe` reads them)
    shares more than ``share`` of its area with another's, bool (N,): a descriptor taken there mixes two
    people, and a face's remembered appearance is not updated from it (as BoT-SORT and StrongSORT keep the
    appearance of occluded detections out of a track's)."""
    b = np.asarray(xyxy, np.float32).reshape(-1, 4)
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    region = np.stack([b[:, 0] - BODY_SIDE * w, b[:, 1], b[:, 2] + BODY_SIDE * w, b[:, 3] + BODY_TO * h], 1)
    inter = _intersections(region, region)
    np.fill_diagonal(inter, 0.0)
    area = np.maximum((region[:, 2] - region[:, 0]) * (region[:, 3] - region[:, 1]), 1e-6)
    return np.asarray(inter.max(axis=1, initial=0.0) > share * area)


def colours_agree(feature: np.ndarray, feats: np.ndarray, bar: float) -> np.ndarray:
    """Whether each of ``feats`` (N, D) wears the colours of ``feature`` (D,), bool (N,): OpenCV's
    ``compareHist`` (correlation) of the hue-saturation histograms of the region below the face (collar,
    shoulders, chest) that :func:`describe` keeps, at least ``bar``. The tracker asks it of a face back
    after a long absence (up to ``--reid-seconds``): the search radius has grown to most of the frame and
    the face's texture, which turns with the head, is a weak witness alone; clothes keep their colours whatever
    the pose. Correlation, not the cosine: it is centred, so two dark coats do not agree by their shared
    black bins alone. Cheap: the histograms exist already; they are compared at 8 x 4 bins (``describe``'s
    16 x 8, squared back to counts, pooled), where a shade of the same coat falls in the same bin. A side
    with no colours (a gray image, the region below the frame's edge) leaves the decision to the face."""
    ref = _coarse(np.asarray(feature, np.float32)[None])[0]
    rows = _coarse(np.asarray(feats, np.float32).reshape(len(feats), -1))
    if not ref.any():
        return np.ones(len(rows), bool)
    return np.array([not h.any() or cv2.compareHist(ref, h, cv2.HISTCMP_CORREL) >= bar for h in rows], bool)


def _coarse(feats: np.ndarray) -> np.ndarray:
    """The clothes histograms of descriptors (N, D) as counts at 8 x 4 hue-saturation bins, (N, 32)."""
    body = np.square(feats[:, -BODY_BINS:]).reshape(len(feats), HUES // 2, 2, SATURATIONS // 2, 2)
    return np.ascontiguousarray(body.sum(axis=(2, 4)).reshape(len(feats), -1), np.float32)


def look_alike(feature: np.ndarray, lost: list[np.ndarray], unseen: list[float], long_gap: float, colour_bar: float,
               bar: float, far: list[float] | None = None, near_weight: float = 0.0) -> int | None:
    """Which of the ``lost`` faces' descriptors ``feature`` looks like (cosine >= ``bar``; one unseen longer than
    ``long_gap`` seconds must also wear its colours, :func:`colours_agree`), or None. Of several, the best by
    cosine - ``near_weight`` x ``far``, each one's distance in units of how far it could have gone (none given:
    the cosine alone). On the looped demo (benchmarks/demo_ids.py) at 0.3: switches of its 9 people at every
    frame 59 -> 29, ids they wore 17 -> 11; with frames dropped a wash (5 drop patterns: 758 -> 748)."""
    sims = [float(feature @ g) if u <= long_gap or colours_agree(g, feature[None], colour_bar)[0] else -1.0
            for g, u in zip(lost, unseen)]
    alike = [k for k, s in enumerate(sims) if s >= bar]
    if not alike:
        return None
    return max(alike, key=lambda k: sims[k] - near_weight * (far[k] if far is not None else 0.0))


def follow_match(iou: np.ndarray, dist: np.ndarray, near: np.ndarray, known: list[np.ndarray | None],
                 features: _Features | None, threshold: float, weight: float) -> list[tuple[int, int]]:
    """The tracker's first association, of faces seen lately: pairs (face, detection). A pair is a candidate where
    the face's predicted box overlaps the detection (``iou`` >= ``threshold``, -1 for a face not seen lately) or
    ``near`` holds (its centre within reach and of a like size: a walker whose box moved more than its width
    between two searches); ``dist``: distance in face sizes from the face's path (:meth:`_Face.gone`). A
    candidate scores its IoU less a tenth of its distance, greedy (overlap first, then the nearest). Where faces
    are contested (a detection with two candidate faces, a face with two candidate detections) and appearance is
    at hand (``known``: each face's descriptor or None; ``features``: the detections'), a contested pair also
    scores ``weight`` x (cosine - 1):
    two neighbours whose predicted boxes cross keep their own faces, and so does a person who walks into the
    box of someone hidden behind them (the demo's man in glasses, missed for 0.5 s under dropped frames, onto
    the box of the woman gone behind him: cosine 0.98 with his own look, 0.90 with hers, IoU 0.28 with her
    box and 0 with his). DeepSORT and BoT-SORT fuse motion and appearance this way (neither package is used:
    tracking.py says why). Only contested detections are described."""
    cand = (iou >= threshold) | near
    score = np.where(cand, 2.0 + np.maximum(iou, 0.0) - 0.1 * dist, -np.inf)
    contested = cand & ((cand.sum(axis=0) > 1)[None, :] | (cand.sum(axis=1) > 1)[:, None])
    rows = [r for r, g in enumerate(known) if g is not None and contested[r].any()]
    if features is not None and rows:
        cols = np.flatnonzero(contested[rows].any(axis=0))
        cos = features.get(cols) @ np.array([known[r] for r in rows]).T  # (cols, rows)
        for k, r in enumerate(rows):
            score[r, cols] += np.where(contested[r, cols], weight * (cos[:, k] - 1.0), 0.0)
    return greedy_match(score, -1e9)  # every candidate: appearance ranks contested pairs, it does not veto one


class _Features:
    """Appearance descriptors of one frame's detections, computed on demand and once each: re-
    identification needs those of the unmatched detections, and a followed face refreshes its own
    every ``refresh`` seconds, so most frames describe few faces or none."""

    def __init__(self, source: FeatureSource, n: int):
        self._fn = source if callable(source) else None
        self._all = None if callable(source) or source is None else np.asarray(source, np.float32).reshape(n, -1)
        self._rows: dict[int, np.ndarray] = {}

    @staticmethod
    def of(source: FeatureSource | None, n: int) -> _Features | None:
        return None if source is None else _Features(source, n)

    def get(self, idx: Iterable[int]) -> np.ndarray:
        idx = [int(i) for i in idx]
        if self._all is not None:
            return np.asarray(self._all[idx])
        missing = [i for i in idx if i not in self._rows]
        if missing and self._fn is not None:
            for i, row in zip(missing, np.asarray(self._fn(missing), np.float32)):
                self._rows[i] = row
        return np.array([self._rows[i] for i in idx], np.float32)


PATH_SECONDS = 1.0  # how long a lost face is taken to keep walking along its velocity: see _Face.gone


@dataclass
class _Face:
    """The tracker's own, mutable memory of one face (never handed out: see :meth:`_Face.snapshot`)."""

    xyxy: np.ndarray  # last reported box
    obs: np.ndarray  # last observed (detected) box
    probs: np.ndarray
    raw_probs: np.ndarray
    first_seen: float
    last_seen: float
    track_id: int = 0  # 0 until confirmed
    quality: str = "ok"
    hits: int = 1
    missed: int = 0
    missed_searches: int = 0  # detector passes since the last match (frames the detector skipped do not count)
    velocity: np.ndarray | None = None  # px a second, centre
    confident: bool = False
    classified_at: float = 0.0
    feature: np.ndarray | None = None
    feature_at: float = 0.0
    matched_now: bool = True

    def predicted(self, now: float, coast: float) -> np.ndarray:
        if self.velocity is None:
            return self.obs
        dt = min(max(now - self.last_seen, 0.0), coast)
        return self.obs + np.tile(self.velocity * dt, 2).astype(np.float32)

    def reach(self, unseen: float, max_jump: float) -> float:
        """Pixels this face may have gone, unseen for ``unseen`` seconds, from where it was last seen."""
        return (max_jump + 2.0 * unseen) * self.size

    def far_from(self, box: np.ndarray, now: float, max_jump: float) -> float:
        """How far ``box`` is from this face's path (:meth:`gone`), in units of its :meth:`reach` at ``now``."""
        return float(self.gone(_centres(box[None]), now)[0]) / self.reach(now - self.last_seen, max_jump)

    def gone(self, centres: np.ndarray, now: float, horizon: float = PATH_SECONDS) -> np.ndarray:
        """Distance of each of ``centres`` (N, 2) from the path this face was on: from where it was last seen to
        where its velocity would have taken it in the time unseen (at most ``horizon`` seconds), so that a walker
        who kept walking is as near as one who stopped. The tracker's first stage measures from the path to the
        predicted box (``horizon`` = its ``coast``): a velocity taken from a jump onto a box on the red-haired
        man's hair (570 px/s down) put his predicted box 1.7 face sizes below his face, which was not matched, and
        a lost neighbour's id took it (demo_ids.py at 85% of the frames: IDF1 0.636 -> 0.672). Re-identification
        and look-alikes measure from the path up to ``PATH_SECONDS`` on: the demo's fast walker (a face size in
        0.1 s, 0.4 s between two searches when frames are dropped) was beyond her own reach and took a
        neighbour's id; at a third of the frames (3 drop patterns) IDF1 0.444 -> 0.480, every frame unchanged."""
        a = _centres(self.obs[None])[0]
        if self.velocity is None:
            return np.asarray(np.linalg.norm(centres - a, axis=1))
        seg = self.velocity * min(max(now - self.last_seen, 0.0), horizon)
        t = np.clip((centres - a) @ seg / max(float(seg @ seg), 1e-9), 0.0, 1.0)
        return np.asarray(np.linalg.norm(centres - (a + t[:, None] * seg), axis=1))

    @property
    def size(self) -> float:
        return float(np.sqrt(max(1.0, (self.obs[2] - self.obs[0]) * (self.obs[3] - self.obs[1]))))

    def snapshot(self) -> Track:
        return Track(self.track_id, self.xyxy, self.probs, self.raw_probs, self.hits, self.missed, self.first_seen,
                     self.last_seen, self.quality)


def _centres(b: np.ndarray) -> np.ndarray:
    return np.asarray((b[:, :2] + b[:, 2:]) / 2)
