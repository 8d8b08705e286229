"""MediaPipe Tasks FaceDetector (full-range model) on the whole frame and on tiles, following the
tracker's faces with BlazeFace short range.

Why tiles: the full-range model sees the frame at 192x192, so a 30 px face in a 1080p frame shrinks
to 3 px and is lost. Cutting the frame into overlapping tiles brings such faces back to a size the
model finds. Why round robin: running the whole frame and its 12 tiles on every frame costs 13
detector calls; instead one view is visited every other frame, and the faces the tracker follows are
re-found on every frame by a cheap short-range pass (:class:`RoiRefiner`) in a small region each.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..errors import ModelError, extra_needed
from ..matching import iou_matrix
from ..native import quiet_native_stderr
from ..resources import bundled
from ..types import Detections
from .blazeface import RoiRefiner
from .boxes import clip_and_filter, make_tiles, nms

FULL_RANGE = bundled("models", "face_detection_full_range_sparse.tflite")


def _import_mediapipe() -> tuple[Any, Any, Any, Any]:
    """Import MediaPipe Tasks without dragging in TensorFlow.

    mediapipe's ``optional_dependencies`` imports TensorFlow only for documentation decorators; with
    the [train] extra installed that costs ~7 s of start-up. Hiding TensorFlow for the duration of
    the import makes it fall back to its no-op decorators; a TensorFlow already imported is left alone.
    """
    hide = "tensorflow" not in sys.modules
    if hide:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]  # makes `import tensorflow...` raise ModuleNotFoundError
    try:
        import mediapipe as mp
        from mediapipe.tasks.python.core.base_options import BaseOptions
        from mediapipe.tasks.python.vision import face_detector
        from mediapipe.tasks.python.vision.core.vision_task_running_mode import VisionTaskRunningMode
    finally:
        if hide:
            sys.modules.pop("tensorflow", None)
    return mp, BaseOptions, face_detector, VisionTaskRunningMode


class MediaPipeDetector:
    """MediaPipe Tasks FaceDetector, full-range model, on the whole frame and on tiles.

    ``tiles``: (cols, rows) grid for small faces, or None. The whole frame (which finds the large
    faces that tiles cut in half) and the tiles are visited in turn, ``tiles_per_frame`` of them on
    each call; None visits all of them on every call. One visit costs ~8.5 ms on two laptop cores
    whatever the region's size (the model's 192x192 inference dominates), so the number of visits
    per frame sets the detector's cost; ``discover_every`` 2 visits on every other frame only.
    The tracker's faces (``hints``: their predicted boxes) are re-found on every frame by
    :class:`RoiRefiner`; a followed face it does not find (``reacquire``) is looked for next in the
    tile that holds it, ahead of the round of tiles. Called without hints (on its own, outside the
    pipeline) it follows the faces of its previous call.

    Measured on crowd_1080p.mp4 with the tracker (benchmarks/pipeline.py): 4x3 tiles, one view every
    other frame, weak candidates confirmed by the follower, lost faces re-acquired: recall 0.909,
    0.93 unmatched boxes a frame (mostly real profile faces the reference lacks), ~17 ms a frame.
    """

    name = "mediapipe"
    MAX_LOST = 3

    def __init__(self, model_path: str | Path = FULL_RANGE, min_confidence: float = 0.5,
                 tiles: tuple[int, int] | None = (4, 3), tiles_per_frame: int | None = 1,
                 overlap: float = 0.3, min_face: int = 0, follow: bool = True, max_follow: int = 12,
                 follow_threshold: float = 0.5, candidate_confidence: float = 0.3,
                 discover_every: int = 2, reacquire: bool = True):
        try:
            mp, BaseOptions, face_detector, VisionTaskRunningMode = _import_mediapipe()
        except ImportError as exc:  # the [mediapipe] extra is not installed
            raise ModelError(extra_needed("--detector mediapipe", "mediapipe", exc)) from exc
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
        self._shape: tuple[int, int] | None = None
        self._next_tile = 0
        self._lock = threading.Lock()
        # The tracker's faces are looked for on every call, each in a small region around its
        # predicted box (RoiRefiner), while the tiles, visited in turn, find the new ones.
        self._refiner = RoiRefiner(threshold=follow_threshold) if follow else None
        self.max_follow = max_follow
        self._first = True
        self.discover_every, self._calls = max(1, discover_every), 0
        self.reacquire = reacquire
        self.fresh = True
        self._lost: list[np.ndarray] = []  # followed faces not found on the last call
        self._candidates = np.zeros((0, 4), np.float32)  # weak detections of the last call, to confirm
        self._last = np.zeros((0, 4), np.float32)  # the last call's faces (used when given no hints)

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
            self._candidates = self._last = np.zeros((0, 4), np.float32)
        return self._tiles

    def views_for(self, width: int, height: int) -> list[tuple[int, int, int, int]]:
        """The whole frame, then the tiles: the regions the detector visits in turn."""
        return [(0, 0, width, height), *self.tiles_for(width, height)]

    def __call__(self, image_bgr: np.ndarray, hints: np.ndarray | None = None) -> Detections:
        h, w = image_bgr.shape[:2]
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        follow = self._last if hints is None else np.asarray(hints, np.float32).reshape(-1, 4)
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
                # a followed face not found last time: look next in the tile that holds it best,
                # instead of waiting for the round of tiles (up to 2 x 13 frames) to come back to it
                chosen[0] = self._tile_holding(views[1:], self._lost.pop(0))
            parts = [self._detect_rgb(rgb[y0:y1, x0:x1], x0, y0) for x0, y0, x1, y1 in chosen]
            regions = np.concatenate([follow[: self.max_follow], self._candidates]) if self._refiner else follow[:0]
            if len(regions) and self._refiner is not None:
                parts.append(self._refiner(rgb, regions))
            found = clip_and_filter(nms(Detections.merge(parts)), w, h, self.min_face)
            sure = found.confidence >= self.min_confidence
            dets = found[sure]
            # weak detections get one look from the short-range pass next time, which confirms the
            # real faces among them; followed faces not found are re-acquired through their tile
            self._candidates = found[~sure].xyxy.copy() if self._refiner else self._candidates
            missing = follow if not len(dets) else follow[iou_matrix(follow, dets.xyxy).max(axis=1) < 0.3] \
                if len(follow) else follow
            if self.reacquire:  # newest first, a few at most
                self._lost = [*missing, *self._lost][: self.MAX_LOST]
            self._last = dets.xyxy.copy()
        return dets

    @staticmethod
    def _tile_holding(tiles: Sequence[tuple[int, int, int, int]], box: Sequence[float] | np.ndarray) -> tuple[int, int, int, int]:
        """The tile whose border is farthest from the box's centre."""
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        best: tuple[int, int, int, int] = max(tiles, key=lambda t: min(cx - t[0], t[2] - cx, cy - t[1], t[3] - cy))
        return best

    def reset(self) -> None:
        """Start over (a new source, a seek)."""
        with self._lock:
            self._candidates = self._last = np.zeros((0, 4), np.float32)
            self._lost = []
            self._next_tile = 0
            self._first = True
            self._calls = 0

    def close(self) -> None:
        # MediaPipe's destructor raises at interpreter exit; close explicitly and only once. The lock
        # waits for a call in flight on another thread (the GUI swaps detectors while it runs).
        with self._lock:
            det, self._det = getattr(self, "_det", None), None
            with quiet_native_stderr():
                if det is not None:
                    det.close()
                self._refiner = None
