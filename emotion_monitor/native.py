"""Native-library helpers shared by the stages that load native models (detectors, classifier)."""

from __future__ import annotations

import contextlib
import os
import sys


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
