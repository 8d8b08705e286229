"""A check of the Qt binding before the window opens.

PySide6/shiboken6 6.12.0 loses one reference to ``None`` on each call of a method that returns
nothing. On Python 3.11 ``None`` is an ordinary object, so after some tens of thousands of such
calls (pyqtgraph makes them by the hundred per repaint) the interpreter frees it and aborts with
"Fatal Python error: none_dealloc", seconds into playback. ``pyproject.toml`` keeps such a binding off
Python < 3.12; this check turns an environment that got one anyway into a clear one-line error at
start-up instead of an abort later.
"""

from __future__ import annotations

import sys

from ..errors import MonitorError


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
