"""Overlay sink: boxes, labels and the mood line drawn on a frame with OpenCV."""

from __future__ import annotations

import cv2
import numpy as np

from .mood import format_mood
from .types import FrameResult

# BGR colour per emotion (shared with the GUI, which converts them to Qt colours)
COLORS = {
    "angry": (40, 40, 220), "disgust": (40, 140, 80), "fear": (160, 60, 160), "happy": (40, 200, 40),
    "neutral": (200, 200, 200), "sad": (200, 110, 30), "surprise": (0, 200, 230),
}


GREY = (80, 80, 80)  # faces left out of the mood by the quality gate (darker than neutral's), labelled with the reason


def draw(image: np.ndarray, result: FrameResult, selected: int | None = None, mood_line: bool = True) -> np.ndarray:
    """Draw on a copy of ``image``: a box per face coloured by emotion, 'id label confidence'."""
    out = image.copy()
    scale = max(0.5, out.shape[1] / 1280)
    thick = max(1, int(round(2 * scale)))
    for t in result.tracks:
        x0, y0, x1, y1 = (int(round(v)) for v in t.xyxy)
        counted = t.quality == "ok"
        color = COLORS.get(t.label, (255, 255, 255)) if counted else GREY
        cv2.rectangle(out, (x0, y0), (x1, y1), color, thick + (2 if t.track_id == selected else 0))
        text = f"#{t.track_id} {t.label} {t.confidence:.0%}" if counted else f"#{t.track_id} ({t.quality})"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, thick)
        ty = y0 - 4 if y0 - th - base - 4 > 0 else y1 + th + 4
        cv2.rectangle(out, (x0, ty - th - base), (x0 + tw + 4, ty + base), color, -1)
        ink = (0, 0, 0) if counted else (255, 255, 255)
        cv2.putText(out, text, (x0 + 2, ty), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, ink, thick, cv2.LINE_AA)
    if mood_line:
        m = result.mood
        text = f"faces {m.faces}  {format_mood(m.score)}  trend {m.trend:+.2f}/min" + ("  ALERT" if m.alert else "")
        cv2.putText(out, text, (10, int(30 * scale)), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale,
                    (0, 0, 255) if m.alert else (255, 255, 255), thick + 1, cv2.LINE_AA)
    return out
