"""Typed records that flow through the pipeline, one direction:

Frame -> Detections -> face crops -> probabilities -> Tracks -> MoodState -> FrameResult -> sinks.

Every record is frozen and its arrays are read-only: a result handed to a sink (the CSV, the window,
the metrics) never changes after it was returned, whatever later frames do. The tracker keeps its
own mutable state and hands out :class:`Track` snapshots.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypedDict

import numpy as np

LABELS = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")
# MoodState.reason of a rehearsal (rehearsal.py: `emotion-monitor test-alert`, the window's Test alert button):
# an alert no reading raised, delivered by the real path and marked TEST everywhere it appears
TEST_REASON = "test"


def frozen_array(a: Any, dtype: Any = np.float32, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A read-only copy of ``a`` (reshaped to ``shape`` when given)."""
    out = np.array(a, dtype=dtype, copy=True)
    if shape is not None:
        out = out.reshape(shape)
    out.flags.writeable = False
    return out


@dataclass(frozen=True)
class Frame:
    """One BGR image from a source, numbered in decode order, stamped with UTC wall time."""

    image: np.ndarray  # uint8 (H, W, 3) BGR, read-only
    index: int
    timestamp: float  # seconds since the epoch (UTC)
    media_time: float = 0.0  # seconds on the source's clock (index / fps for files)
    source: str = ""  # the source's name (a lane's name, or the file's path / the camera's index)

    def __post_init__(self) -> None:
        # a read-only view, not a copy: the capture decodes every frame into a new buffer and keeps
        # none, so nothing can change the pixels a result holds (a copy would cost 1 ms a 1080p frame)
        img = self.image.view() if isinstance(self.image, np.ndarray) else np.array(self.image)
        img.flags.writeable = False
        object.__setattr__(self, "image", img)


@dataclass(frozen=True)
class Detections:
    """Face boxes of one frame: ``xyxy`` float32 (N, 4) in pixels, ``confidence`` (N,) and
    ``landmarks`` float32 (N, 5, 2): right eye, left eye, nose tip, right and left mouth corner (the
    person's right and left, YuNet's order), in pixels; NaN where the detector gives none."""

    xyxy: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    confidence: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.float32))
    landmarks: np.ndarray | None = None

    def __post_init__(self) -> None:
        xyxy = frozen_array(self.xyxy, shape=(-1, 4))
        confidence = frozen_array(self.confidence, shape=(-1,))
        if len(xyxy) != len(confidence):
            raise ValueError("xyxy and confidence differ in length")
        lm = np.full((len(xyxy), 5, 2), np.nan, np.float32) if self.landmarks is None else self.landmarks
        landmarks = frozen_array(lm, shape=(-1, 5, 2))
        if len(landmarks) != len(xyxy):
            raise ValueError("xyxy and landmarks differ in length")
        object.__setattr__(self, "xyxy", xyxy)
        object.__setattr__(self, "confidence", confidence)
        object.__setattr__(self, "landmarks", landmarks)

    def __len__(self) -> int:
        return len(self.xyxy)

    @property
    def area(self) -> np.ndarray:
        wh = np.clip(self.xyxy[:, 2:] - self.xyxy[:, :2], 0, None)
        return np.asarray(wh[:, 0] * wh[:, 1])

    def __getitem__(self, idx: Any) -> Detections:
        return Detections(self.xyxy[idx], self.confidence[idx], self.marks[idx])

    @property
    def marks(self) -> np.ndarray:
        """The landmarks (N, 5, 2), never None (NaN where the detector gives none)."""
        assert self.landmarks is not None  # __post_init__ fills them
        return self.landmarks

    @staticmethod
    def merge(parts: list[Detections]) -> Detections:
        if not parts:
            return Detections()
        return Detections(np.concatenate([p.xyxy for p in parts]), np.concatenate([p.confidence for p in parts]),
                          np.concatenate([p.landmarks for p in parts]))


@dataclass(frozen=True)
class Zone:
    """A polygon of the frame where people queue (zones.py): ``points`` are its corners as (x, y) fractions
    of the width and height, so it fits any resolution of the same view."""

    points: tuple[tuple[float, float], ...]
    name: str = "queue"

    def __post_init__(self) -> None:
        if len(self.points) < 3:
            raise ValueError(f"zone {self.name!r}: a zone needs at least 3 corners, got {len(self.points)}")
        if not all(0.0 <= v <= 1.0 for p in self.points for v in p):
            raise ValueError(f"zone {self.name!r}: corners are fractions of the frame, between 0 and 1")

    def polygon(self, width: int, height: int) -> np.ndarray:
        """The corners in pixels of a ``width`` x ``height`` frame, (N, 2) float32."""
        return np.array([(x * width, y * height) for x, y in self.points], np.float32)

    def text(self) -> str:
        """The zone as ``--zone`` writes it."""
        corners = " ".join(f"{x:g},{y:g}" for x, y in self.points)
        return f"{self.name}:{corners}" if self.name != "queue" else corners


@dataclass(frozen=True)
class Departure:
    """A person whose stay in a zone ended on this frame (out of every zone for long enough): their
    track id, the zone and the seconds they waited in it."""

    track_id: int
    zone: str
    waited: float


@dataclass(frozen=True)
class Track:
    """A face followed across frames, as it stood on one frame: a stable id, its box, its smoothed
    probabilities and whether it counts in the mood."""

    track_id: int
    xyxy: np.ndarray  # float32 (4,)
    probs: np.ndarray  # float32 (7,) smoothed, sums to 1
    raw_probs: np.ndarray  # float32 (7,) the latest classifier output for this face
    hits: int = 1
    missed: int = 0  # frames since the last detection matched this track
    first_seen: float = 0.0
    last_seen: float = 0.0
    quality: str = "ok"  # "ok" or why the face does not count in the mood (quality.py; "outside": no zone)
    zone: str = ""  # the zone their face is in (zones.py); "" outside every zone, or with none set
    waited: float = 0.0  # seconds in the queue so far in their current stay (zones.py); 0 with no zone

    def __post_init__(self) -> None:
        object.__setattr__(self, "xyxy", frozen_array(self.xyxy, shape=(4,)))
        object.__setattr__(self, "probs", frozen_array(self.probs, shape=(len(LABELS),)))
        object.__setattr__(self, "raw_probs", frozen_array(self.raw_probs, shape=(len(LABELS),)))

    @property
    def emotion(self) -> str:
        """The most likely of ``LABELS`` (smoothed), as :attr:`emotion_monitor.Face.emotion`."""
        return LABELS[int(np.argmax(self.probs))]

    @property
    def confidence(self) -> float:
        return float(np.max(self.probs))

    @property
    def probabilities(self) -> Mapping[str, float]:
        """Every label's smoothed probability by name, as :attr:`emotion_monitor.Face.probabilities`
        (``probs`` holds the same numbers as an array in ``LABELS`` order, for arithmetic)."""
        return MappingProxyType({name: float(v) for name, v in zip(LABELS, self.probs)})

    @property
    def label(self) -> str:
        """Deprecated since 0.4: :attr:`emotion` (removed in 0.6)."""
        warnings.warn("Track.label is deprecated: use Track.emotion", DeprecationWarning, stacklevel=2)
        return self.emotion


@dataclass(frozen=True)
class PersonMood:
    """What the alert judges of one counted person at one moment (resting.py): their ``state`` ("learning",
    "at rest", "turned" or "relearning"), their ``rise``, the log-odds of an unhappy reading above their
    resting face (None while their resting face is learned), their ``mark`` ("read unhappy since first
    seen", or None) and their ``share`` of a turn: the smaller of the two rises, each in its own bar (1 or more
    starts a turn; a turn ends under 0.5; None while learning); ``unhappy`` and ``rest_unhappy``: the share of
    their reading that is angry, disgust, fear or sad now and at rest (the alert's words give them; None while
    learning). A reading, not a feeling: what a 48x48 classifier gave, against what it gave before."""

    track_id: int
    state: str
    rise: float | None = None
    mark: str | None = None
    share: float | None = None
    unhappy: float | None = None
    rest_unhappy: float | None = None


@dataclass(frozen=True)
class MoodState:
    """The group's mood at one moment: ``score`` is what the counted faces read (averaged over the window),
    ``vs_rest`` what the alert judges (each person against their own resting face)."""

    score: float  # [-1, 1]; the counted faces' mean score as read, over the window; 0 with no face
    trend: float  # score change per minute over the trend window
    faces: int  # faces counted in the score (quality "ok")
    alert: bool
    alert_started: float | None = None  # media time the current alert began
    event: str | None = None  # "alert" when one starts, "clear" when it ends, else None
    # [-1, 0]: the group's fall below its resting faces, over the window; None with nobody counted, or while every
    # counted person's resting face is being learned (nobody judged: not a fall of 0)
    vs_rest: float | None = None
    reason: str | None = None  # what raised the current alert: "turned" (people) or "group"
    learning: int = 0  # counted people whose resting face is still being learned (no turn can be judged yet)
    who: tuple[int, ...] = ()  # track ids of everyone behind the current alert, in the order they joined it
    marked: tuple[int, ...] = ()  # track ids in view marked "read unhappy when first seen" (no alert of their own)
    people: tuple[PersonMood, ...] = ()  # each counted person as the alert judges them
    alert_score: float | None = None  # ``score`` when the current alert began (the banner shows it beside the live one)
    cleared: tuple[int, ...] = ()  # on a "clear" event: everyone who was behind the alert that ended, as they joined
    moving: int = 0  # of ``learning``, those learned again because they moved or walked closer (new: the others)

    def __post_init__(self) -> None:
        object.__setattr__(self, "who", tuple(self.who))
        object.__setattr__(self, "marked", tuple(self.marked))
        object.__setattr__(self, "people", tuple(self.people))
        object.__setattr__(self, "cleared", tuple(self.cleared))


@dataclass(frozen=True)
class FrameResult:
    """Everything the pipeline knows about one frame; what sinks consume."""

    frame: Frame
    detections: Detections
    tracks: tuple[Track, ...]
    mood: MoodState
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    left: tuple[Departure, ...] = ()  # stays in a zone that ended on this frame
    zones: tuple[Zone, ...] = ()  # the zones of this frame's source (none: every face counts)

    @property
    def queue(self) -> list[Track]:
        """The faces in a zone now (with no zone: none)."""
        return [t for t in self.tracks if t.zone]

    def __post_init__(self) -> None:
        object.__setattr__(self, "tracks", tuple(self.tracks))
        object.__setattr__(self, "timings_ms", MappingProxyType(dict(self.timings_ms)))


class StageTimes(TypedDict):
    """Milliseconds one pipeline stage took a frame, over the run's last frames."""

    p50_ms: float
    p95_ms: float
    mean_ms: float


class PersonSummary(TypedDict):
    """One person (a per-visit track id) of a run (people.PeopleLog)."""

    person: int
    first_seen: str  # ISO 8601 UTC
    last_seen: str
    dwell_s: float
    frames: int
    mean_mood: float | None  # their own face score over the frames their face counted; None if it never did
    negative_share: float | None
    alerts: int
    read_unhappy_when_first_seen: bool  # marked so (resting.py): the reading, never a claim about the person
    zone: str  # the queue zone they waited in ("" when never in one, or with no zones)
    waited_s: float | None  # seconds they waited in it (their longest stay); None with no zones


class _RunSummary(TypedDict):
    source: str  # "video:PATH" or "camera:INDEX"
    frames: int
    skipped_frames: int
    dropped_frames: int
    mean_faces: float
    fps: float
    seconds: float
    stages: dict[str, StageTimes]  # "detect", "crop", "classify", "track", "mood", "total"
    detector: str
    model: str
    csv_rows: int
    ended: bool  # the source ran out (a file's end); False when stopped
    privacy: str  # the privacy level (privacy.py)


class RunSummary(_RunSummary, total=False):
    """A run's summary: what ``Monitor.summary()`` returns and ``--stats-json`` writes. ``people`` is there
    unless the privacy level is "aggregate"."""

    people: list[PersonSummary]


class SourceSummary(RunSummary):
    """One source's figures in a run of several: its run summary (zeros for a source never opened), its
    state ("running", "retrying", "ended", "failed") and the error that stopped it, if any."""

    state: str
    error: str | None


class SourcesSummary(TypedDict):
    """A run of several sources: each source's figures by name, and the totals."""

    sources: dict[str, SourceSummary]
    frames: int
    seconds: float
    fps: float
    classifier_calls: int
    faces_per_call: float  # faces classified in one call of the classifier, on average
    csv_rows: int


@dataclass(frozen=True)
class CaptureOptions:
    """How a source is read (capture.Capture): ``realtime`` paces a file at its own fps (dropping stale
    frames), ``max_frames`` stops after that many, ``loop`` plays a file again from its start,
    ``sample_fps`` hands over only that many frames a second of the source's clock; ``retry`` reopens a
    failing source (default: cameras) with backoff from ``backoff`` s up to ``max_backoff`` s;
    ``queue_size`` frames wait at most between a file's reader and the loop. ``length_of``: what
    ``max_frames`` is, when it is not the user's ``--max-frames`` ("the demo": its own length), for
    the closing line."""

    realtime: bool = False
    max_frames: int | None = None
    loop: bool = False
    sample_fps: float | None = None
    retry: bool | None = None
    backoff: float = 0.5
    max_backoff: float = 5.0
    queue_size: int = 4
    length_of: str = ""

    def __post_init__(self) -> None:
        if self.sample_fps is not None and self.sample_fps <= 0:
            raise ValueError("sample_fps must be > 0")


@dataclass(frozen=True)
class Outputs:
    """Where a run's results go besides the screen, as the command line gives them (options.outputs_from):
    the CSV (``record``, ``overwrite``; how long files are kept is a setting, ``Settings.keep_days``),
    the Prometheus endpoint (``metrics_port`` on ``metrics_host``) and the alert webhook, under the monitor's
    ``name``. None of them by default."""

    record: str | None = None
    overwrite: bool = False
    name: str = "camera"
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    alert_webhook: str | None = None
