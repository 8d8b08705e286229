"""The window's selected-face panel: the face's id, emotion and confidence, and its seven probabilities as
bars in the overlay's colours."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..overlay import COLORS
from ..types import LABELS, Track
from .people_panel import left_out
from .theme import plot_colours


class FacePanel(QWidget):
    """The selected face, or "none"; :meth:`show_track` refreshes it."""

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Selected face"))
        self.label = QLabel("none")
        layout.addWidget(self.label)
        self.plot = pg.PlotWidget(background=plot_colours()[0])
        self.plot.setYRange(0, 1)
        self.plot.setMouseEnabled(False, False)
        self.plot.getAxis("bottom").setTicks([[(i, c[:3]) for i, c in enumerate(LABELS)]])
        brushes = [pg.mkBrush(*COLORS[c][::-1]) for c in LABELS]
        self.bars = pg.BarGraphItem(x=np.arange(7), height=np.zeros(7), width=0.7, brushes=brushes)
        self.plot.addItem(self.bars)
        self.plot.setMaximumHeight(170)
        layout.addWidget(self.plot)

    def show_track(self, t: Track | None) -> None:
        """The face's bars and label, from the same reading the video's box shows (or none)."""
        self.bars.setOpts(height=t.probs if t is not None else np.zeros(7))
        if t is None:
            self.label.setText("none")
        elif t.quality != "ok":  # as the people panel and the video (a grey mark, no label) say it
            self.label.setText(f"#{t.track_id} ({left_out(t)}): not read into the mood")
        else:
            self.label.setText(f"#{t.track_id}: {t.emotion} {t.confidence:.0%}")
