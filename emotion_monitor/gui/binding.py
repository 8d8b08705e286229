"""Checks before the window opens: a display to open it on, the system library Qt's X11 plugin needs,
and a sound Qt binding. Each failure is one line (MonitorError) instead of Qt's abort.

PySide6/shiboken6 6.12.0 loses one reference to ``None`` on each call of a method that returns
nothing. On Python 3.11 ``None`` is an ordinary object, so after some tens of thousands of such
calls (pyqtgraph makes them by the hundred per repaint) the interpreter frees it and aborts with
"Fatal Python error: none_dealloc", seconds into playback. ``pyproject.toml`` keeps such a binding off
Python < 3.12; this check turns an environment that got one anyway into a clear one-line error at
start-up instead of an abort later.
"""

from __future__ import annotations

import ctypes.util
import os
import sys
from collections.abc import Callable, Mapping

from ..errors import MonitorError

HEADLESS = "run headless with --camera N, --video FILE or --demo"


def check_display(env: Mapping[str, str] = os.environ, platform: str = sys.platform,
                  find_library: Callable[[str], str | None] = ctypes.util.find_library) -> None:
    """Raise MonitorError (one line) when Qt could not open a window here: on Linux no X11 or Wayland display
    (Qt would abort with exit 134 and five lines), or X11 without ``libxcb-cursor0`` (Qt 6.5+ needs it)."""
    qpa = env.get("QT_QPA_PLATFORM", "")
    if platform != "linux" or (qpa and not qpa.startswith(("xcb", "wayland"))):
        return  # macOS, Windows, or a platform the user chose (offscreen, vnc, eglfs)
    x11, wayland = env.get("DISPLAY"), env.get("WAYLAND_DISPLAY")
    if not x11 and not wayland:
        raise MonitorError(f"no display to open the window on (DISPLAY is not set); {HEADLESS}, or start it "
                           "under a desktop session or xvfb-run")
    if x11 and not (wayland and not qpa.startswith("xcb")) and find_library("xcb-cursor") is None:
        raise MonitorError("the window needs the system library libxcb-cursor0 (Debian/Ubuntu: sudo apt install "
                           f"libxcb-cursor0); or {HEADLESS}")


def none_references_lost(calls: int = 200) -> int:
    """How many references to None ``calls`` calls of a void Qt method lose (0 for a sound binding)."""
    from PySide6.QtCore import QPointF

    point = QPointF()
    before = sys.getrefcount(None)
    for _ in range(calls):
        point.setX(1.0)
    return before - sys.getrefcount(None)


def check_binding() -> None:
    """Raise MonitorError when the installed PySide6 would abort the window on this Python."""
    if sys.version_info >= (3, 12):
        return  # None is immortal: a lost reference cannot free it
    lost = none_references_lost()
    if lost > 100:
        import PySide6

        raise MonitorError(
            f"PySide6 {PySide6.__version__} loses a reference to None on every call on Python "
            f"{sys.version_info.major}.{sys.version_info.minor} and would abort the window; "
            "install a working version: pip install 'PySide6-Essentials<6.12'")
