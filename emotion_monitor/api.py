"""The public Python API: one call for an image, and a monitor over a camera or a video.

Everything here is re-exported by :mod:`emotion_monitor`; nothing runs on import.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING

import numpy as np

from .errors import MonitorError, SourceError
from .settings import Settings
from .types import LABELS, CaptureOptions, FrameResult, RunSummary, SourcesSummary

if TYPE_CHECKING:
    from .events import Event, Sink
    from .sources import SourceSpec

Source = int | str | os.PathLike[str]

__all__ = ["Face", "Monitor", "analyze", "demo_clip"]


def demo_clip() -> Path:
    """The bundled demo clip (a street, 8.3 s, walked forwards then backwards so that it loops without a cut;
    see its README beside it for its licence): a video to try :func:`analyze` or :class:`Monitor` on
    without a camera."""
    from .resources import bundled

    return bundled("assets", "demo.mp4")


@dataclass(frozen=True)
class Face:
    """One face found in an image.

    A face has one vocabulary wherever it appears (this class, and :class:`~emotion_monitor.types.Track`
    in a monitor's results): ``xyxy``, ``emotion``, ``confidence``, ``probabilities``, ``quality``.

    Attributes:
        xyxy: ``(x0, y0, x1, y1)`` in pixels of the image (``box`` before 0.4, deprecated).
        emotion: the most likely of ``LABELS`` (angry, disgust, fear, happy, neutral, sad, surprise).
        confidence: its probability, 0..1.
        probabilities: every label's probability (they sum to 1), read-only.
        score: the face's mood score, -1 (unhappy) .. +1 (happy), 0 when neutral or surprised.
        quality: ``"ok"``, or why the face would be left out of a group's mood (``"small"``,
            ``"dark"``, ``"flat"``, ``"blurred"``, ``"looking away"``, ``"occluded"``).
        detector_confidence: the face detector's score, 0..1.
    """

    xyxy: tuple[float, float, float, float]
    emotion: str
    confidence: float
    probabilities: Mapping[str, float]
    score: float
    quality: str
    detector_confidence: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        """Deprecated since 0.4: :attr:`xyxy` (removed in 0.6)."""
        warnings.warn("Face.box is deprecated: use Face.xyxy (the same x0, y0, x1, y1)", DeprecationWarning, stacklevel=2)
        return self.xyxy


class _ImageReader:
    """A detector that searches every image it gets, the classifier and the quality gate."""

    def __init__(self, settings: Settings):
        from .app import build_detector
        from .classifier import DEFAULT_MODEL, EmotionClassifier
        from .pipeline import PipelineConfig
        from .quality import QualityGate

        self.detector = build_detector(_every_frame(settings))
        # the monitor's filters but the classify budget (a single image has no earlier reading to keep)
        self.config = PipelineConfig(min_face=settings.min_face)
        self.classifier = EmotionClassifier(settings.model or DEFAULT_MODEL, threads=settings.threads,
                                            flip_average=settings.flip_average)
        self.gate = QualityGate()
        self.lock = threading.Lock()

    def __call__(self, image: np.ndarray) -> list[Face]:
        from .crops import crop_faces
        from .mood import face_score
        from .pipeline import keep_faces

        with self.lock:  # the native runtimes are not shared between threads
            # without a tracker to vouch for them, boxes below the detector's own threshold are dropped
            strong = getattr(self.detector, "score_threshold", 0.0)
            dets = keep_faces(self.detector(image), self.config, lambda d: d.confidence >= strong)
            if not len(dets):
                return []
            crops = crop_faces(image, dets, self.classifier.size, self.config.margin)
            probs = self.classifier(crops)
            quality = self.gate.assess(dets, crops)
        scores = face_score(probs)
        faces = []
        for i in np.argsort(dets.xyxy[:, 0], kind="stable"):  # left to right
            p = probs[i]
            k = int(np.argmax(p))
            faces.append(Face(tuple(float(v) for v in dets.xyxy[i]), LABELS[k], float(p[k]),  # type: ignore[arg-type]
                              MappingProxyType({label: float(v) for label, v in zip(LABELS, p)}), float(scores[i]),
                              quality[i], float(dets.confidence[i])))
        return faces


def _every_frame(settings: Settings) -> Settings:
    from dataclasses import replace

    return replace(settings, detect_every=1)


_DEFAULT: dict[Settings, _ImageReader] = {}


def analyze(image: np.ndarray | str | os.PathLike[str], settings: Settings | None = None) -> list[Face]:
    """Find every face in one image and tell its emotion.

    Args:
        image: a BGR ``uint8`` array (H, W, 3) as OpenCV reads it, a gray one (H, W), or the path of an
            image file.
        settings: detection and model settings (:class:`emotion_monitor.Settings`); the defaults when
            None. The models are loaded once per distinct settings and kept.

    Returns:
        The faces, left to right; an empty list when there is none.

    Raises:
        emotion_monitor.MonitorError: the file cannot be read as an image, or the array is not one.

    Example:
        >>> import emotion_monitor as em
        >>> faces = em.analyze("group.jpg")  # doctest: +SKIP
        >>> [(f.emotion, round(f.confidence, 2)) for f in faces]  # doctest: +SKIP
        [('happy', 0.93), ('neutral', 0.71)]
    """
    from .pipeline import sanitize

    if isinstance(image, (str, os.PathLike)):
        import cv2

        path = Path(image)
        array = cv2.imread(str(path), cv2.IMREAD_COLOR) if path.is_file() else None
        if array is None:
            raise MonitorError(f"cannot read an image from {path}")
        image = array
    frame = sanitize(image)
    if frame is None:
        raise MonitorError(f"not an image: expected a uint8 array (H, W) or (H, W, 3), got "
                           f"{getattr(image, 'dtype', type(image).__name__)} {getattr(image, 'shape', '')}")
    s = settings or Settings()
    if s not in _DEFAULT:
        _DEFAULT[s] = _ImageReader(s)
    return _DEFAULT[s](frame)


def _spec(source: object) -> SourceSpec:
    from .sources import SourceSpec

    if isinstance(source, bool) or not isinstance(source, (int, str, os.PathLike)):
        raise SourceError(f"a source is a camera index or a video path, not {source!r}")
    if isinstance(source, int):
        return SourceSpec(str(source), camera=source)
    return SourceSpec(str(source), video=str(source))


class Monitor:
    """Watch a camera or a video: every frame's faces, tracked, with the group's mood and alerts.

    Iterate it for :class:`emotion_monitor.FrameResult` records (frozen: ``frame``, ``detections``,
    ``tracks`` with stable ids and smoothed probabilities, ``mood`` with the score, trend and alert).
    Results also go to ``sinks``: any object with ``write(result)`` and ``close()``, e.g.
    :class:`emotion_monitor.CsvRecorder`.

    Args:
        source: a camera index (``0``) or the path of a video file; or a list of them, watched together
            through one classifier (each result's ``frame.source`` names its source, alert texts too).
        settings: every setting of the CLI and the window (:class:`emotion_monitor.Settings`).
        sinks: where each result is also written; the monitor closes them at the end.
        realtime: pace a file at its own frame rate (dropping frames when slower), as a camera would.
        max_frames: stop after this many frames.
        on_alert: called with each ALERT / CLEAR event (:class:`emotion_monitor.Event`: ``kind``,
            ``text`` with the reason, ``timestamp``).

    Raises:
        emotion_monitor.SourceError: no such camera or video file.

    Example:
        >>> import emotion_monitor as em
        >>> with em.Monitor("queue.mp4", sinks=[em.CsvRecorder("queue.csv")]) as monitor:  # doctest: +SKIP
        ...     for result in monitor:
        ...         if result.mood.alert:
        ...             print(result.frame.index, result.mood.score, result.mood.reason)
    """

    def __init__(self, source: Source | Sequence[Source], settings: Settings | None = None,
                 sinks: Iterable[Sink] = (), realtime: bool = False, max_frames: int | None = None,
                 on_alert: Callable[[Event], None] | None = None):
        from .runner import Runner

        self.settings = settings or Settings()
        many = isinstance(source, (list, tuple))
        specs = [_spec(s) for s in (source if isinstance(source, (list, tuple)) else [source])]
        if len({s.name for s in specs}) < len(specs):
            raise SourceError("each source may be given once")
        self._runner = Runner(self.settings, specs, list(sinks),
                              capture_options=CaptureOptions(realtime=realtime, max_frames=max_frames),
                              named=many, on_event=on_alert)
        self._closed = False

    def __iter__(self) -> Iterator[FrameResult]:
        if self._closed:
            raise MonitorError("this monitor is closed")
        yield from self._runner.results()

    def summary(self) -> RunSummary | SourcesSummary:
        """Frames, faces, speed per stage and each person seen (the CLI's ``--stats-json``), typed: for one
        source :class:`emotion_monitor.RunSummary`; for a list of sources
        :class:`emotion_monitor.SourcesSummary`, each source's under ``"sources"``."""
        return self._runner.summary()

    def close(self) -> None:
        """Stop the source and close the sinks (idempotent)."""
        if not self._closed:
            self._closed = True
            self._runner.close()

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
