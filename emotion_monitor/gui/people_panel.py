"""The window's people panel: each person in view with a thumbnail, id, emotion, time in view and
their own trend. Thumbnails are cut from the frame in memory and never written anywhere; at privacy
"aggregate" or with faces blurred on screen there are none (a gray square holds the place)."""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem

from ..mood import face_score, wait_text
from ..quality import reason_name
from ..resting import READ_UNHAPPY
from ..types import FrameResult, PersonMood, Track

THUMB = 64
THUMB_EVERY = 0.5  # seconds between two cuts of a person's thumbnail (the texts follow every result shown)
HISTORY = 30.0  # seconds of each person's score kept for their trend
FORGET = 60.0  # a person out of view this long leaves the panel's memory


def trend_arrow(points: deque[tuple[float, float]]) -> str:
    """"↗", "→" or "↘": the least-squares slope of a person's score over their last seconds."""
    if len(points) < 5:
        return "·"
    t, s = np.array(points).T
    if np.ptp(t) < 2.0:
        return "·"
    slope = float(np.polyfit(t - t[0], s, 1)[0]) * 60  # per minute
    return "↗" if slope > 0.5 else "↘" if slope < -0.5 else "→"


def judged_text(p: PersonMood) -> str:
    """What the alert judges of a person, in the panel's words: "learning resting face", "at rest: 40% of
    a turn", "turned: 470% of a turn": how far their unhappy reading rose above their own resting one, in the
    rise a turn needs (100%; a turn ends under 50%), none below 0%. Not "+7.0 vs rest" (log-odds, + for
    unhappier) beside the group's "-0.83 vs resting faces" (a mood, - for unhappier): the new-user trial read
    the two as contradicting each other."""
    if p.rise is None or p.share is None:
        return "learning resting face" if p.state == "learning" else "moving: learning again"
    return f"{p.state}: {max(p.share, 0.0):.0%} of a turn"


def area(t: Track) -> float:
    return float((t.xyxy[2] - t.xyxy[0]) * (t.xyxy[3] - t.xyxy[1]))


def left_out(t: Track) -> str:
    """Why a face does not count in the mood, as every panel says it ("looking away", "outside the queue")."""
    return "outside the queue" if t.quality == "outside" else reason_name(t.quality)


class PeoplePanel(QListWidget):
    """A strip of the people in view, largest face first; :meth:`show_result` refreshes it."""

    def __init__(self) -> None:
        super().__init__()
        self.setViewMode(QListView.IconMode)
        self.setFlow(QListView.LeftToRight)
        self.setWrapping(True)  # in rows, as many as the height the video leaves holds
        self.setResizeMode(QListView.Adjust)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setMinimumHeight(THUMB + 56)
        self.setSpacing(4)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.history: dict[int, deque[tuple[float, float]]] = {}
        self.last_seen: dict[int, float] = {}
        self._thumbs: dict[int, tuple[float, QIcon]] = {}  # id -> (media time cut, icon)

    def show_result(self, result: FrameResult, thumbnails: bool = True) -> None:
        now = result.frame.media_time
        image = result.frame.image
        self.clear()
        who, marked = result.mood.who, result.mood.marked
        judged_of = {p.track_id: p for p in result.mood.people}
        # the people behind the current alert first, then those marked, then the largest faces
        tracks = sorted(result.tracks, key=lambda t: (t.track_id not in who, t.track_id not in marked, -area(t)))
        for t in tracks:
            points = self.history.setdefault(t.track_id, deque())
            if t.quality == "ok":
                points.append((now, float(face_score(t.probs)[0])))
            while points and points[0][0] < now - HISTORY:
                points.popleft()
            self.last_seen[t.track_id] = now
            stay = f"waited {wait_text(t.waited)}" if result.zones else f"{now - t.first_seen:.0f} s"
            text = (f"#{t.track_id} {t.emotion}\n{stay} {trend_arrow(points)}"
                    if t.quality == "ok" else f"#{t.track_id}\n({left_out(t)})")
            judged = judged_of.get(t.track_id)
            if judged is not None:
                text += f"\n{judged_text(judged)}"
            if t.track_id in who:
                text += "\nALERT"
            elif t.track_id in marked:
                text += f"\n{READ_UNHAPPY}"
            item = QListWidgetItem(self._icon(t, image, now) if thumbnails else QIcon(self._blank()), text)
            item.setData(Qt.UserRole, t.track_id)
            if t.track_id in who or t.track_id in marked:
                item.setForeground(QColor(220, 40, 40) if t.track_id in who else QColor(230, 140, 20))
            self.addItem(item)
        for pid in [p for p, seen in self.last_seen.items() if seen < now - FORGET]:
            self.last_seen.pop(pid)
            self.history.pop(pid, None)
            self._thumbs.pop(pid, None)

    def _icon(self, t: Track, image: np.ndarray, now: float) -> QIcon:
        """A person's thumbnail, cut again at most every THUMB_EVERY seconds (a cut costs a resize and a pixmap)."""
        cut = self._thumbs.get(t.track_id)
        if cut is None or not 0.0 <= now - cut[0] < THUMB_EVERY:
            pix = self._thumb(image, t.xyxy)
            if pix is None:  # the box (coasting) left the frame: the last cut, or the grey square; never black
                return cut[1] if cut is not None else QIcon(self._blank())
            cut = self._thumbs[t.track_id] = (now, QIcon(pix))
        return cut[1]

    @staticmethod
    def _blank() -> QPixmap:
        pix = QPixmap(THUMB, THUMB)
        pix.fill(QColor(128, 128, 128))
        return pix

    @staticmethod
    def _thumb(image: np.ndarray, box: np.ndarray) -> QPixmap | None:
        """The box's crop as a thumbnail; None when less than half of it lies in the frame."""
        h, w = image.shape[:2]
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        crop = image[max(0, y0):min(h, y1), max(0, x0):min(w, x1)]
        if crop.size == 0 or crop.shape[0] * crop.shape[1] < 0.5 * max(1, (x1 - x0) * (y1 - y0)):
            return None
        rgb = np.ascontiguousarray(cv2.resize(crop, (THUMB, THUMB), interpolation=cv2.INTER_AREA)[:, :, ::-1])
        return QPixmap.fromImage(QImage(rgb.data, THUMB, THUMB, 3 * THUMB, QImage.Format_RGB888).copy())
