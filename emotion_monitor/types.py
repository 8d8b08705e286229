"""Typed records that flow through the pipeline, one direction:

Frame -> Detections -> FaceCrops -> probabilities -> Tracks -> MoodState -> sinks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LABELS = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")


@dataclass
class Frame:
    """One BGR image from a source, numbered in decode order, stamped with UTC wall time."""

    image: np.ndarray  # uint8 (H, W, 3) BGR
    index: int
    timestamp: float  # seconds since the epoch (UTC)
    media_time: float = 0.0  # seconds on the source's clock (index / fps for files)


@dataclass
class Detections:
    """Face boxes of one frame: ``xyxy`` float32 (N, 4) in pixels, ``confidence`` (N,) and
    ``landmarks`` float32 (N, 5, 2): right eye, left eye, nose tip, right and left mouth corner (the
    person's right and left, YuNet's order), in pixels; NaN where the detector gives none."""

    xyxy: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    confidence: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.float32))
    landmarks: np.ndarray | None = None

    def __post_init__(self):
        self.xyxy = np.asarray(self.xyxy, np.float32).reshape(-1, 4)
        self.confidence = np.asarray(self.confidence, np.float32).reshape(-1)
        if len(self.xyxy) != len(self.confidence):
            raise ValueError("xyxy and confidence differ in length")
        if self.landmarks is None:
            self.landmarks = np.full((len(self.xyxy), 5, 2), np.nan, np.float32)
        self.landmarks = np.asarray(self.landmarks, np.float32).reshape(-1, 5, 2)
        if len(self.landmarks) != len(self.xyxy):
            raise ValueError("xyxy and landmarks differ in length")

    def __len__(self) -> int:
        return len(self.xyxy)

    @property
    def area(self) -> np.ndarray:
        wh = np.clip(self.xyxy[:, 2:] - self.xyxy[:, :2], 0, None)
        return wh[:, 0] * wh[:, 1]

    def __getitem__(self, idx) -> "Detections":
        return Detections(self.xyxy[idx], self.confidence[idx], self.landmarks[idx])

    @staticmethod
    def merge(parts: list["Detections"]) -> "Detections":
        if not parts:
            return Detections()
        return Detections(np.concatenate([p.xyxy for p in parts]), np.concatenate([p.confidence for p in parts]),
                          np.concatenate([p.landmarks for p in parts]))


@dataclass
class Track:
    """A face followed across frames: a stable id, its box and its smoothed probabilities."""

    track_id: int
    xyxy: np.ndarray  # float32 (4,)
    probs: np.ndarray  # float32 (7,) smoothed, sums to 1
    raw_probs: np.ndarray  # float32 (7,) this frame's classifier output (or last one)
    hits: int = 1
    missed: int = 0  # frames since the last detection matched this track
    first_seen: float = 0.0
    last_seen: float = 0.0
    quality: str = "ok"  # "ok" or why the face does not count in the mood (quality.py)

    @property
    def label(self) -> str:
        return LABELS[int(np.argmax(self.probs))]

    @property
    def confidence(self) -> float:
        return float(np.max(self.probs))


@dataclass
class MoodState:
    """The group's mood at one moment."""

    score: float  # [-1, 1]; 0 with no face
    trend: float  # score change per minute over the trend window
    faces: int  # faces counted in the score (quality "ok")
    alert: bool
    alert_started: float | None = None  # timestamp the current alert began
    event: str | None = None  # "alert" when one starts, "clear" when it ends, else None
    baseline: float | None = None  # the score's running baseline (the relative rule), None until known
    reason: str | None = None  # what raised the current alert: "threshold" or "drop"


@dataclass
class FrameResult:
    """Everything the pipeline knows about one frame; what sinks consume."""

    frame: Frame
    detections: Detections
    tracks: list[Track]
    mood: MoodState
    timings_ms: dict[str, float] = field(default_factory=dict)
