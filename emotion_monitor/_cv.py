"""OpenCV, imported so that it leaves the process's environment as it was.

The ``opencv-contrib-python`` wheel (MediaPipe requires it, so the headless wheel cannot replace it without
two ``cv2`` packages fighting over one folder) configures Qt when ``cv2`` is imported: it sets
``QT_QPA_PLATFORM_PLUGIN_PATH`` and ``QT_QPA_FONTDIR`` to its own Qt build and prepends to
``LD_LIBRARY_PATH``. The window would then load OpenCV's Qt plugins instead of PySide6's, and a program
that calls ``emotion_monitor.analyze`` would find its environment changed. Nothing here uses OpenCV's own
windows, so every module imports ``cv2`` from here, and the first import puts the environment back.
"""

from __future__ import annotations

import os
import sys

_fresh = "cv2" not in sys.modules
_before = dict(os.environ) if _fresh else {}

import cv2  # noqa: E402

if _fresh:  # a cv2 imported before us (by the program embedding us) changed what it changed: left alone
    for _key in [k for k in os.environ if k not in _before]:
        del os.environ[_key]
    for _key, _value in _before.items():
        if os.environ.get(_key) != _value:
            os.environ[_key] = _value

__all__ = ["cv2"]
