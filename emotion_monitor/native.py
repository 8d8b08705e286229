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
