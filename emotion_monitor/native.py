"""Native-library helpers shared by the stages that load native models (detectors, classifier)."""

from __future__ import annotations

import contextlib
import os
import sys


def quiet_native_logs() -> None:
    """Ask MediaPipe's and LiteRT's native loggers (glog, TensorFlow Lite) for warnings and errors only,
    and FFmpeg (inside OpenCV) for nothing: a damaged file's decoder lines ("Invalid NAL unit size")
    give way to the app's one-line warning (capture.Capture.ended_early).

    They read these variables when they first load, so this runs just before a source is opened or a
    detector or the classifier is built, never on import; a value the user set is kept."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")


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
