"""Face detection: MediaPipe Tasks FaceDetector (full-range model) with a tiled pass for small faces,
or OpenCV's Haar cascade. Both return :class:`Detections` in frame pixels.

Why tiles: the full-range model sees the frame at 192x192, so a 30 px face in a 1080p frame shrinks
to 3 px and is lost. Cutting the frame into overlapping tiles brings such faces back to a size the
model finds. Why round robin: running the whole frame and its 12 tiles on every frame costs 13
detector calls; instead one view is visited every other frame, and the faces already found are
followed on every frame by a cheap short-range pass (:class:`RoiRefiner`) in a small region each.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path

import cv2
import numpy as np

from .errors import ModelError
from .tracking import iou_matrix
from .types import Detections
from .resources import bundled



@contextlib.contextmanager
def quiet_native_stderr():
    """Silence stderr at the file-descriptor level while native code loads a model.

    MediaPipe's and LiteRT's C++ loggers print dozens of INFO/WARNING lines (sparsity, delegates)
    straight to fd 2, where Python's logging cannot reach them. Python-level errors still raise.
    """
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (pytest capture, GUI)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _import_mediapipe():
    """Import MediaPipe Tasks without dragging in TensorFlow.

    mediapipe's ``optional_dependencies`` imports TensorFlow only for documentation decorators; with
    the [train] extra installed that costs ~7 s of start-up. Hiding TensorFlow for the duration of
    the import makes it fall back to its no-op decorators; a TensorFlow already imported is left alone.
    """
    hide = "tensorflow" not in sys.modules
    if hide:
        sys.modules["tensorflow"] = None  # makes `import tensorflow...` raise ModuleNotFoundError
    try:
        import mediapipe as mp
        from mediapipe.tasks.python.core.base_options import BaseOptions
        from mediapipe.tasks.python.vision import face_detector
        from mediapipe.tasks.python.vision.core.vision_task_running_mode import VisionTaskRunningMode
    finally:
        if hide:
            sys.modules.pop("tensorflow", None)
    return mp, BaseOptions, face_detector, VisionTaskRunningMode
FULL_RANGE = bundled("models", "face_detection_full_range_sparse.tflite")


def nms(dets: Detections, iou_threshold: float = 0.3) -> Detections:
    """Non-maximum suppression over all boxes (OpenCV's NMSBoxes)."""
    if len(dets) <= 1:
        return dets
    xywh = np.concatenate([dets.xyxy[:, :2], dets.xyxy[:, 2:] - dets.xyxy[:, :2]], axis=1)
    keep = cv2.dnn.NMSBoxes(xywh.tolist(), dets.confidence.tolist(), 0.0, iou_threshold)
    keep = np.array(keep, int).reshape(-1)
    return dets[np.sort(keep)]


def make_tiles(width: int, height: int, cols: int, rows: int, overlap: float = 0.25) -> list[tuple[int, int, int, int]]:
    """Overlapping tiles (x0, y0, x1, y1) covering the frame in a cols x rows grid."""
    tw = int(np.ceil(width / (cols - (cols - 1) * overlap))) if cols > 1 else width
    th = int(np.ceil(height / (rows - (rows - 1) * overlap))) if rows > 1 else height
    xs = np.linspace(0, width - tw, cols).astype(int) if cols > 1 else [0]
    ys = np.linspace(0, height - th, rows).astype(int) if rows > 1 else [0]
    return [(int(x), int(y), int(x) + tw, int(y) + th) for y in ys for x in xs]


class MediaPipeDetector:
    """MediaPipe Tasks FaceDetector, full-range model, on the whole frame and on tiles.

    ``tiles``: (cols, rows) grid for small faces, or None. The whole frame (which finds the large
    faces that tiles cut in half) and the tiles are visited in turn, ``tiles_per_frame`` of them on
    each call; None visits all of them on every call. One visit costs ~8.5 ms on two laptop cores
    whatever the region's size (the model's 192x192 inference dominates), so the number of visits
    per frame sets the detector's cost; ``discover_every`` 2 visits on every other frame only.
    Faces found are followed on every frame by :class:`RoiRefiner`; a face it loses (``reacquire``)
    is looked for next in the tile that holds its last box, ahead of the round of tiles.

    Measured on crowd_1080p.mp4 with the tracker (benchmarks/pipeline.py): 4x3 tiles, one view every
    other frame, weak candidates confirmed by the follower, lost faces re-acquired: recall 0.909,
    0.93 unmatched boxes a frame (mostly real profile faces the reference lacks), ~17 ms a frame.
    """

    name = "mediapipe"
    MAX_LOST = 3

    def __init__(self, model_path: str | Path = FULL_RANGE, min_confidence: float = 0.5,
                 tiles: tuple[int, int] | None = (4, 3), tiles_per_frame: int | None = 1,
                 overlap: float = 0.3, min_face: int = 0, follow: bool = True, max_follow: int = 12,
                 coast: int = 4, follow_threshold: float = 0.5, candidate_confidence: float = 0.3,
                 discover_every: int = 2, reacquire: bool = True):
        try:
            mp, BaseOptions, face_detector, VisionTaskRunningMode = _import_mediapipe()
        except ImportError as exc:  # pragma: no cover - mediapipe is a runtime dependency
            raise ModelError(f"mediapipe is not installed ({exc})") from exc
        path = Path(model_path)
        if not path.is_file():
            raise ModelError(f"face detector model not found: {path}")
        opts = face_detector.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=VisionTaskRunningMode.IMAGE,
            min_detection_confidence=min(min_confidence, candidate_confidence) if follow else min_confidence,
            min_suppression_threshold=0.3)
        try:
            with quiet_native_stderr():
                self._det = face_detector.FaceDetector.create_from_options(opts)
                # the first inference logs too (tensor alignment); run it on a blank image here
                self._det.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.zeros((64, 64, 3), np.uint8)))
        except Exception as exc:
            raise ModelError(f"cannot load face detector {path}: {str(exc).splitlines()[0]}") from exc
        self._mp = mp
        self.tiles_grid = tiles
        self.min_confidence = min_confidence
        self.tiles_per_frame = tiles_per_frame
        self.overlap = overlap
        self.min_face = min_face
        self._tiles: list[tuple[int, int, int, int]] = []
        self._shape = None
        self._next_tile = 0
        self._lock = threading.Lock()
        # Faces found on the last call are looked for again on this one, each in a small region
        # around its box (RoiRefiner): every known face is re-detected on every frame while the
        # tiles, visited in turn, find the new ones.
        self._refiner = RoiRefiner(threshold=follow_threshold) if follow else None
        self._memory = np.zeros((0, 4), np.float32)
        self._misses = np.zeros(0, int)
        self.max_follow, self.coast = max_follow, coast
        self._first = True
        self.discover_every, self._calls = max(1, discover_every), 0
        self.reacquire = reacquire
        self._lost: list[np.ndarray] = []
        self._seen = np.zeros(0, bool)

    def _detect_rgb(self, rgb: np.ndarray, x0: int = 0, y0: int = 0) -> Detections:
        img = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        res = self._det.detect(img)
        boxes, scores = [], []
        for d in res.detections:
            b = d.bounding_box
            boxes.append((x0 + b.origin_x, y0 + b.origin_y, x0 + b.origin_x + b.width, y0 + b.origin_y + b.height))
            scores.append(d.categories[0].score if d.categories else 1.0)
        return Detections(np.array(boxes, np.float32).reshape(-1, 4), np.array(scores, np.float32))

    def tiles_for(self, width: int, height: int) -> list[tuple[int, int, int, int]]:
        if self._shape != (width, height):
            self._shape = (width, height)
            cols, rows = self.tiles_grid or (1, 1)
            # Tiles only help where the frame is much larger than the model's 192 px input.
            self._tiles = make_tiles(width, height, cols, rows, self.overlap) if self.tiles_grid and width > 640 else []
            self._next_tile = 0
            self._first = True
            self._calls = 0
            self._lost = []  # boxes of the old frame size
        return self._tiles

    def views_for(self, width: int, height: int) -> list[tuple[int, int, int, int]]:
        """The whole frame, then the tiles: the regions the detector visits in turn."""
        return [(0, 0, width, height), *self.tiles_for(width, height)]

    def __call__(self, image_bgr: np.ndarray) -> Detections:
        h, w = image_bgr.shape[:2]
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        with self._lock:
            views = self.views_for(w, h)
            n = len(views) if not self.tiles_per_frame else min(self.tiles_per_frame, len(views))
            if self._first:  # the first frame of a source: visit every view once, so the faces
                n, self._first = len(views), False  # already in the scene show from the start
            elif self._calls % self.discover_every:
                n = 0  # a frame that only follows the known faces
            self._calls += 1
            chosen = [views[(self._next_tile + i) % len(views)] for i in range(n)]
            self._next_tile = (self._next_tile + n) % len(views)
            if n and self._lost and len(views) > 1:
                # a face the follower just lost: look next in the tile that holds it best, instead
                # of waiting for the round of tiles (up to 2 x 13 frames) to come back to it
                chosen[0] = self._tile_holding(views[1:], self._lost.pop(0))
            parts = [self._detect_rgb(rgb[y0:y1, x0:x1], x0, y0) for x0, y0, x1, y1 in chosen]
            if self._refiner is not None and len(self._memory):
                parts.append(self._refiner(rgb, self._memory[: self.max_follow]))
            found = _clip_and_filter(nms(Detections.merge(parts)), w, h, self.min_face)
            sure = found.confidence >= self.min_confidence
            dets = found[sure]
            if self._refiner is not None:
                self._remember(dets, found[~sure])
        return dets

    def _remember(self, dets: Detections, candidates: Detections) -> None:
        """Follow this call's faces next time, and keep looking (``coast`` calls) where a followed
        face was not found: one missed re-detection must not lose a face until the tiles come by.
        Weak detections (``candidate_confidence`` <= score < ``min_confidence``) are not reported but
        get one look from the short-range pass, which confirms the real faces among them."""
        old, misses, seen = self._memory, self._misses, self._seen
        keep = np.ones(len(old), bool)
        if len(old) and len(dets):
            keep = iou_matrix(old, dets.xyxy).max(axis=1) < 0.3
        expired = misses + 1 > self.coast
        if self.reacquire:  # reported faces the follower lost: newest first, a few at most
            self._lost = [*old[keep & expired & seen], *self._lost][: self.MAX_LOST]
        keep &= ~expired
        self._memory = np.concatenate([dets.xyxy, old[keep], candidates.xyxy]).reshape(-1, 4)
        self._misses = np.concatenate([np.zeros(len(dets), int), misses[keep] + 1,
                                       np.full(len(candidates), self.coast - 1)])
        self._seen = np.concatenate([np.ones(len(dets), bool), seen[keep], np.zeros(len(candidates), bool)])

    @staticmethod
    def _tile_holding(tiles, box) -> tuple[int, int, int, int]:
        """The tile whose border is farthest from the box's centre."""
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        return max(tiles, key=lambda t: min(cx - t[0], t[2] - cx, cy - t[1], t[3] - cy))

    def reset(self) -> None:
        """Forget the faces being followed (a new source, a seek)."""
        with self._lock:
            self._memory = np.zeros((0, 4), np.float32)
            self._misses = np.zeros(0, int)
            self._seen = np.zeros(0, bool)
            self._lost = []
            self._next_tile = 0
            self._first = True
            self._calls = 0

    @property
    def full_cycle(self) -> int:
        """Calls needed to visit every view (whole frame and tiles) once."""
        n_views = 1 + len(self._tiles) if self._shape else 1 + (np.prod(self.tiles_grid) if self.tiles_grid else 0)
        if not self.tiles_per_frame:
            return 1
        return int(np.ceil(n_views / self.tiles_per_frame)) * self.discover_every

    def close(self) -> None:
        # MediaPipe's destructor raises at interpreter exit; close explicitly and only once. The lock
        # waits for a call in flight on another thread (the GUI swaps detectors while it runs).
        with self._lock:
            det, self._det = getattr(self, "_det", None), None
            with quiet_native_stderr():
                if det is not None:
                    det.close()
                self._refiner = None


def _short_range_anchors() -> np.ndarray:
    """Anchor centres (896, 2) of BlazeFace short range: a 16x16 grid with 2 anchors per cell, then
    an 8x8 grid with 6 (SSD anchor options of MediaPipe's face_detection_short_range graph)."""
    out = []
    for grid, per_cell in ((16, 2), (8, 6)):
        c = (np.arange(grid) + 0.5) / grid
        yy, xx = np.meshgrid(c, c, indexing="ij")
        out.append(np.repeat(np.stack([xx.ravel(), yy.ravel()], 1), per_cell, axis=0))
    return np.concatenate(out).astype(np.float32)


class RoiRefiner:
    """Re-finds known faces in small square regions around their last boxes.

    Uses MediaPipe's BlazeFace short-range model directly through LiteRT, with its anchor decoding
    written here: MediaPipe Tasks takes one image per call and spends ~4.5 ms a call on its own
    graph, while this model needs ~1.4 ms a face, so following six faces costs ~9 ms instead of ~50.
    """

    SIZE = 128
    BOX_SCALE = 1 / 1.2
    BOX_SHIFT_Y = -0.135

    def __init__(self, model_path: str | Path = bundled("models", "face_detection_short_range.tflite"),
                 threshold: float = 0.5, context: float = 2.6, threads: int = 2, min_overlap: float = 0.15):
        from ai_edge_litert.interpreter import Interpreter

        path = Path(model_path)
        if not path.is_file():
            raise ModelError(f"face detector model not found: {path}")
        try:
            with quiet_native_stderr():
                self._it = Interpreter(model_path=str(path), num_threads=threads)
        except Exception as exc:
            raise ModelError(f"cannot load face detector {path}: {str(exc).splitlines()[0]}") from exc
        self._in = self._it.get_input_details()[0]
        outs = self._it.get_output_details()
        self._boxes = next(o for o in outs if o["shape"][-1] == 16)["index"]
        self._scores = next(o for o in outs if o["shape"][-1] == 1)["index"]
        self._anchors = _short_range_anchors()
        with quiet_native_stderr():  # the first invoke logs the delegate it creates
            self._it.allocate_tensors()
            self._it.set_tensor(self._in["index"], np.zeros(self._in["shape"], np.float32))
            self._it.invoke()
        self.threshold, self.context, self.min_overlap = threshold, context, min_overlap

    def __call__(self, rgb: np.ndarray, boxes: np.ndarray) -> Detections:
        """The best face inside a square of ``context`` x its size around each box (or nothing)."""
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        if not len(boxes):
            return Detections()
        h, w = rgb.shape[:2]
        c = (boxes[:, :2] + boxes[:, 2:]) / 2
        side = np.maximum(np.max(boxes[:, 2:] - boxes[:, :2], axis=1) * self.context, 16)
        x0y0 = c - side[:, None] / 2
        batch = np.empty((len(boxes), self.SIZE, self.SIZE, 3), np.float32)
        for i, ((x0, y0), s) in enumerate(zip(x0y0, side)):
            # an affine warp crops, pads (replicating the border) and resizes in one call
            scale = self.SIZE / s
            m = np.array([[scale, 0, -x0 * scale], [0, scale, -y0 * scale]], np.float32)
            batch[i] = cv2.warpAffine(rgb, m, (self.SIZE, self.SIZE), flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_REPLICATE)
        batch = batch / 127.5 - 1.0
        # The model's output reshapes are fixed to batch 1, so faces go through one invoke each.
        raw = np.empty((len(boxes), len(self._anchors), 16), np.float32)
        logits = np.empty((len(boxes), len(self._anchors)), np.float32)
        for i in range(len(boxes)):
            self._it.set_tensor(self._in["index"], batch[i:i + 1])
            self._it.invoke()
            raw[i] = self._it.get_tensor(self._boxes)[0]
            logits[i] = self._it.get_tensor(self._scores)[0, :, 0]
        score = 1 / (1 + np.exp(-np.clip(logits.astype(np.float64), -100, 100)))
        out_boxes, out_scores = [], []
        for i in range(len(boxes)):
            cand = np.flatnonzero(score[i] >= self.threshold)
            if not len(cand):
                continue
            cx = raw[i, cand, 0] / self.SIZE + self._anchors[cand, 0]
            cy = raw[i, cand, 1] / self.SIZE + self._anchors[cand, 1]
            bw, bh = raw[i, cand, 2] / self.SIZE, raw[i, cand, 3] / self.SIZE
            s = side[i]
            # Short-range boxes are ~1.2x larger than a tight face box and sit lower on the face
            # (median over the crowd clip's reference faces); bring them to the full-range geometry
            # so a face keeps one box size whichever pass found it.
            bw, bh = bw * self.BOX_SCALE, bh * self.BOX_SCALE
            cy = cy + self.BOX_SHIFT_Y * bh
            found = np.stack([x0y0[i, 0] + (cx - bw / 2) * s, x0y0[i, 1] + (cy - bh / 2) * s,
                              x0y0[i, 0] + (cx + bw / 2) * s, x0y0[i, 1] + (cy + bh / 2) * s], axis=1)
            # The region holds neighbours too: keep the strongest detection that overlaps this face's
            # last box, never the strongest in the region (which jumps to a clearer neighbour).
            near = iou_matrix(found, boxes[i:i + 1])[:, 0] >= self.min_overlap
            if not near.any():
                continue
            k = int(np.argmax(np.where(near, score[i, cand], -1.0)))
            out_boxes.append(found[k])
            out_scores.append(score[i, cand[k]])
        return Detections(np.array(out_boxes, np.float32).reshape(-1, 4), np.array(out_scores, np.float32))


class HaarDetector:
    """OpenCV's frontal-face Haar cascade (shipped inside opencv-contrib-python)."""

    name = "haar"
    full_cycle = 1

    def __init__(self, min_face: int = 20, scale_factor: float = 1.1, min_neighbors: int = 5):
        path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise ModelError(f"cannot load Haar cascade {path}")
        self.min_face, self.scale_factor, self.min_neighbors = max(min_face, 1), scale_factor, min_neighbors

    def __call__(self, image_bgr: np.ndarray) -> Detections:
        gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
        rects, _, weights = self._cascade.detectMultiScale3(
            gray, self.scale_factor, self.min_neighbors, minSize=(self.min_face, self.min_face), outputRejectLevels=True)
        rects = np.array(rects, np.float32).reshape(-1, 4)
        xyxy = np.concatenate([rects[:, :2], rects[:, :2] + rects[:, 2:]], axis=1)
        conf = 1 / (1 + np.exp(-np.array(weights, np.float32).reshape(-1)))  # level weight -> (0, 1)
        return Detections(xyxy, conf)

    def close(self) -> None:
        pass


class YuNetDetector:
    """YuNet (OpenCV's ``cv2.FaceDetectorYN``): boxes and five landmarks per face, in one call on the
    whole frame, downscaled so its width is at most ``max_width``.

    Schedule: the frame is searched every ``every`` frames; the frames between return no
    detections and ``fresh = False``, and the tracker carries each face along its predicted path (the
    pipeline then classifies nothing new on them). Measured in ``benchmarks/detection.py``.
    """

    full_cycle = 1

    def __init__(self, model_path: str | Path = bundled("models", "yunet_n_640_640.onnx"), max_width: int = 960,
                 score_threshold: float = 0.6, nms_threshold: float = 0.3, every: int = 2, min_face: int = 0):
        if every < 1:
            raise ValueError("every must be >= 1")
        self.path, self.max_width, self.every, self.min_face = Path(model_path), int(max_width), int(every), min_face
        self.score_threshold, self.nms_threshold = score_threshold, nms_threshold
        if not self.path.is_file():
            raise ModelError(f"face detection model not found: {self.path}")
        try:
            self._net = cv2.FaceDetectorYN.create(str(self.path), "", (320, 320), score_threshold, nms_threshold, 5000)
        except cv2.error as exc:
            raise ModelError(f"cannot load face detection model {self.path}: {str(exc).splitlines()[0]}") from exc
        self._size: tuple[int, int] | None = None
        self._calls = 0
        self.fresh = True  # whether the last call searched the frame

    def __call__(self, image_bgr: np.ndarray) -> Detections:
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
        return _clip_and_filter(dets, w, h, self.min_face)

    def reset(self) -> None:
        self._calls = 0

    def close(self) -> None:
        self._net = None


def _clip_and_filter(dets: Detections, w: int, h: int, min_face: int) -> Detections:
    if not len(dets):
        return dets
    xyxy = dets.xyxy.copy()
    xyxy[:, [0, 2]] = np.clip(xyxy[:, [0, 2]], 0, w)
    xyxy[:, [1, 3]] = np.clip(xyxy[:, [1, 3]], 0, h)
    size = np.minimum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1])
    keep = size >= max(min_face, 2)
    return Detections(xyxy[keep], dets.confidence[keep], dets.landmarks[keep])


DETECTORS = ("yunet", "mediapipe", "haar")


def create(kind: str = "yunet", **kwargs):
    if kind == "yunet":
        return YuNetDetector(**kwargs)
    if kind == "mediapipe":
        return MediaPipeDetector(**kwargs)
    if kind == "haar":
        return HaarDetector(min_face=kwargs.get("min_face", 20) or 20)
    raise ValueError(f"unknown detector {kind!r}")
