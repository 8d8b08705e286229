"""The stages the settings describe, and the source a run reads: detector, pipeline, capture.

The bottom of the assembly: it imports no runner (runner.py) and no edge (cli.py, the
window), so every one of those may build from it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import capture as cap_mod
from .errors import SourceError
from .native import quiet_native_loading
from .resources import bundled
from .settings import Settings
from .types import CaptureOptions

if TYPE_CHECKING:
    from .classifier import EmotionModel
    from .detection import FaceDetector
    from .pipeline import Pipeline

DEMO_CLIP = bundled("assets", "demo.mp4")
# The demo clip walks forwards then backwards (208 frames, 8.3 s), so it loops without a cut and its people
# keep their ids. A headless ``--demo`` plays it four times (33 s): long enough to leave the learning phase
# (each face's first 4 s) and watch the mood; the window loops it until stopped.
DEMO_FRAMES = 4 * 208


def build_detector(s: Settings) -> FaceDetector:
    """The face detector the settings describe."""
    from .detection import create

    with quiet_native_loading():
        if s.detector == "yunet":
            return create("yunet", every=s.detect_every, max_width=s.detect_width, min_face=s.min_face)
        if s.detector == "mediapipe":
            return create("mediapipe", min_confidence=s.min_confidence, tiles=s.tile_grid(),
                          tiles_per_frame=s.tiles_per_frame or None, min_face=s.min_face)
        return create(s.detector, min_face=s.min_face)


def build_pipeline(s: Settings, classifier: EmotionModel | None = None) -> Pipeline:
    """Detector, classifier, tracker and mood monitor wired into a Pipeline."""
    from .classifier import DEFAULT_MODEL, EmotionClassifier
    from .mood import MoodMonitor
    from .pipeline import Pipeline, PipelineConfig
    from .tracking import Tracker
    from .zones import parse_zones

    with quiet_native_loading():
        clf = classifier or EmotionClassifier(s.model or DEFAULT_MODEL, threads=s.threads, flip_average=s.flip_average)
    return Pipeline(build_detector(s), clf, tracker=Tracker(max_age=s.reid_seconds), mood=MoodMonitor(s.mood()),
                    config=PipelineConfig(min_face=s.min_face, read_rate=s.read_rate, zones=parse_zones(s.zone)))


def open_capture(camera: int | None = None, video: str | None = None, options: CaptureOptions = CaptureOptions(),
                 on_status: Callable[[str], None] | None = None, source: str | None = None) -> cap_mod.Capture:
    """A capture of the camera or the video file, read as ``options`` say (a camera: live, never looped
    or sampled); SourceError with one line if it cannot be opened. ``source`` names its frames (default:
    the index or path)."""
    if camera is not None:
        live = replace(options, realtime=False, loop=False, sample_fps=None)
        return cap_mod.Capture(cap_mod.open_camera(camera), "camera", str(camera), live, on_status=on_status,
                               source=source)
    if video is None:
        raise SourceError("no source: give --camera N or --video FILE")
    path = Path(video)
    if not path.is_file():
        raise SourceError(f"video not found: {path}")
    return cap_mod.Capture(cap_mod.open_video(path), "video", str(path), options, on_status=on_status, source=source)
