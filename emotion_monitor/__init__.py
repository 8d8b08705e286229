"""Emotion Monitor: finds every face in a camera or video, tells its emotion, and warns when the mood
of a group turns negative.

    >>> import emotion_monitor as em
    >>> faces = em.analyze("photo.jpg")  # doctest: +SKIP
    >>> for result in em.Monitor(0):  # camera 0  # doctest: +SKIP
    ...     print(result.mood.score, [t.emotion for t in result.tracks])

The names below are the public API (see ``docs/api`` or ``make docs``). Importing the package loads
nothing and changes nothing: each name is imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.4.0"

_EXPORTS = {
    "analyze": "api", "Face": "api", "Monitor": "api", "demo_clip": "api",
    "Settings": "settings",
    "FrameResult": "types", "Frame": "types", "Detections": "types", "Track": "types", "MoodState": "types", "PersonMood": "types",
    "LABELS": "types", "RunSummary": "types", "PersonSummary": "types", "SourcesSummary": "types",
    "SourceSummary": "types",
    "Event": "events", "Sink": "events",
    "CsvRecorder": "recording",
    "MonitorError": "errors", "SourceError": "errors", "ModelError": "errors",
}
__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:  # for type checkers and editors; at run time the names load lazily
    from .api import Face as Face
    from .api import Monitor as Monitor
    from .api import analyze as analyze
    from .api import demo_clip as demo_clip
    from .errors import ModelError as ModelError
    from .errors import MonitorError as MonitorError
    from .errors import SourceError as SourceError
    from .events import Event as Event
    from .events import Sink as Sink
    from .recording import CsvRecorder as CsvRecorder
    from .settings import Settings as Settings
    from .types import LABELS as LABELS
    from .types import Detections as Detections
    from .types import Frame as Frame
    from .types import FrameResult as FrameResult
    from .types import MoodState as MoodState
    from .types import PersonMood as PersonMood
    from .types import PersonSummary as PersonSummary
    from .types import RunSummary as RunSummary
    from .types import SourcesSummary as SourcesSummary
    from .types import SourceSummary as SourceSummary
    from .types import Track as Track


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'emotion_monitor' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
