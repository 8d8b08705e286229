"""Face detection: MediaPipe Tasks FaceDetector (full-range model) with a tiled pass for small faces,
or OpenCV's Haar cascade. Both return :class:`Detections` in frame pixels.

Why tiles: the full-range model sees the frame at 192x192, so a 30 px face in a 1080p frame shrinks
to 3 px and is lost. Cutting the frame into overlapping tiles brings such faces back to a size the
model finds. Why round robin: running every tile on every frame costs ~8 detector calls; the
tracker keeps a face's box between visits, so each frame runs only a few tiles and every tile is
revisited within a handful of frames.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from .errors import ModelError
from .types import Detections

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
FULL_RANGE = MODELS_DIR / "face_detection_full_range_sparse.tflite"


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

    ``tiles``: (cols, rows) grid for small faces, or None. ``tiles_per_frame``: how many tiles run
    on each call (round robin); None runs them all. The whole frame runs on every call (cheap, and it
    finds the large faces that tiles cut in half).
    """

    name = "mediapipe"

    def __init__(self, model_path: str | Path = FULL_RANGE, min_confidence: float = 0.5,
                 tiles: tuple[int, int] | None = (4, 3), tiles_per_frame: int | None = 3,
                 overlap: float = 0.3, min_face: int = 0):
        try:
            from mediapipe.tasks.python.core.base_options import BaseOptions
            from mediapipe.tasks.python.vision import face_detector
            from mediapipe.tasks.python.vision.core.vision_task_running_mode import VisionTaskRunningMode
        except ImportError as exc:  # pragma: no cover - mediapipe is a runtime dependency
            raise ModelError(f"mediapipe is not installed ({exc})") from exc
        path = Path(model_path)
        if not path.is_file():
            raise ModelError(f"face detector model not found: {path}")
        opts = face_detector.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=VisionTaskRunningMode.IMAGE,
            min_detection_confidence=min_confidence, min_suppression_threshold=0.3)
        try:
            self._det = face_detector.FaceDetector.create_from_options(opts)
        except Exception as exc:
            raise ModelError(f"cannot load face detector {path}: {exc}") from exc
        import mediapipe as mp

        self._mp = mp
        self.tiles_grid = tiles
        self.tiles_per_frame = tiles_per_frame
        self.overlap = overlap
        self.min_face = min_face
        self._tiles: list[tuple[int, int, int, int]] = []
        self._shape = None
        self._next_tile = 0
        self._lock = threading.Lock()
        self.last_tiles: list[tuple[int, int, int, int]] = []

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
        return self._tiles

    def __call__(self, image_bgr: np.ndarray) -> Detections:
        h, w = image_bgr.shape[:2]
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        with self._lock:
            parts = [self._detect_rgb(rgb)]
            tiles = self.tiles_for(w, h)
            if tiles:
                n = len(tiles) if not self.tiles_per_frame else min(self.tiles_per_frame, len(tiles))
                chosen = [tiles[(self._next_tile + i) % len(tiles)] for i in range(n)]
                self._next_tile = (self._next_tile + n) % len(tiles)
                for x0, y0, x1, y1 in chosen:
                    parts.append(self._detect_rgb(rgb[y0:y1, x0:x1], x0, y0))
                self.last_tiles = chosen
        dets = nms(Detections.merge(parts))
        return _clip_and_filter(dets, w, h, self.min_face)

    @property
    def full_cycle(self) -> int:
        """Calls needed to visit every tile once."""
        if not self._tiles or not self.tiles_per_frame:
            return 1
        return int(np.ceil(len(self._tiles) / self.tiles_per_frame))

    def close(self) -> None:
        # MediaPipe's destructor raises at interpreter exit; close explicitly and only once.
        det, self._det = getattr(self, "_det", None), None
        if det is not None:
            det.close()


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


def _clip_and_filter(dets: Detections, w: int, h: int, min_face: int) -> Detections:
    if not len(dets):
        return dets
    xyxy = dets.xyxy.copy()
    xyxy[:, [0, 2]] = np.clip(xyxy[:, [0, 2]], 0, w)
    xyxy[:, [1, 3]] = np.clip(xyxy[:, [1, 3]], 0, h)
    size = np.minimum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1])
    keep = size >= max(min_face, 2)
    return Detections(xyxy[keep], dets.confidence[keep])


def create(kind: str = "mediapipe", **kwargs):
    if kind == "mediapipe":
        return MediaPipeDetector(**kwargs)
    if kind == "haar":
        return HaarDetector(min_face=kwargs.get("min_face", 20) or 20)
    raise ValueError(f"unknown detector {kind!r}")
