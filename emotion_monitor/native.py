"""Native-library helpers shared by the stages that load native models (detectors, classifier)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

QUIET = {"GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "3", "OPENCV_FFMPEG_LOGLEVEL": "-8"}


def quiet_native_logs() -> None:
    """For the command line and the window, which own their process: ask MediaPipe's and LiteRT's native
    loggers (glog, TensorFlow Lite) for warnings and errors only, and FFmpeg (inside OpenCV) for nothing,
    for good (a damaged file's decoder lines, "Invalid NAL unit size", give way to the app's one-line
    warning, capture.Capture.ended_early). A value the user set is kept. Never called on import."""
    for key, value in QUIET.items():
        os.environ.setdefault(key, value)


@contextlib.contextmanager
def quiet_native_loading() -> Iterator[None]:
    """The same while native models load, for a library call (``emotion_monitor.analyze``, ``Monitor``,
    app.build_*): the loggers read these variables when they first load, and the embedding program gets
    its environment back as it was."""
    added = [key for key in QUIET if key not in os.environ]
    for key in added:
        os.environ[key] = QUIET[key]
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
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
