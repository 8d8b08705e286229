"""Light or dark, as the system says: Qt's Fusion style with a dark palette when the desktop asks for a
dark scheme, and the plots' background and ink to match."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from ..overlay import ALERT_HEX

ALERT = ALERT_HEX  # alert red: the banner, an alert's frame and span, the bar while an alert is on; nothing else


def system_scheme() -> str:
    """"dark" or "light": the desktop's colour scheme (Qt 6.5+), light where it says nothing."""
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hasattr(hints, "colorScheme") else None
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def plot_colours() -> tuple[str, str]:
    """(background, ink) for the plots: the application palette's, so a window built without
    :func:`apply` (tests, benchmarks) still gets light plots on a light window."""
    app = QApplication.instance()
    dark = isinstance(app, QApplication) and app.palette().color(QPalette.Window).lightness() < 128
    return ("#17181a", "#e8eaed") if dark else ("w", "#404040")


def apply(app: QCoreApplication, scheme: str | None = None) -> str:
    """Style ``app`` for ``scheme`` (default: the system's) before the window is built; returns it."""
    scheme = scheme or system_scheme()
    if scheme == "dark" and isinstance(app, QApplication):
        app.setStyle("Fusion")
        p = QPalette()
        for role, colour in ((QPalette.Window, "#202124"), (QPalette.WindowText, "#e8eaed"),
                             (QPalette.Base, "#17181a"), (QPalette.AlternateBase, "#2a2b2e"),
                             (QPalette.Text, "#e8eaed"), (QPalette.Button, "#2d2e31"),
                             (QPalette.ButtonText, "#e8eaed"), (QPalette.Highlight, "#1a73e8"),
                             (QPalette.HighlightedText, "#ffffff"), (QPalette.ToolTipBase, "#2d2e31"),
                             (QPalette.ToolTipText, "#e8eaed")):
            p.setColor(role, QColor(colour))
        app.setPalette(p)
    return scheme
