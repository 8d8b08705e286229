"""Test doubles: an OpenCV-like video source made of generated frames (tests only)."""

from __future__ import annotations

import cv2


class SyntheticSource:
    """An OpenCV-like source made of generated frames (a camera or a file the tests control).

    ``frames``: a list of images or a callable ``i -> image``; ``fail``: set of frame indices where
    read() fails (simulates a camera that vanishes; a range of indices makes an outage).
    """

    def __init__(self, frames, count: int | None = None, fps: float = 25.0, fail=(), size=(640, 480)):
        self._frames = frames
        self.count = len(frames) if count is None and not callable(frames) else (count or 0)
        self.fps, self.fail, self.size = fps, set(fail), size
        self.i = 0
        self.opened = True

    def isOpened(self):
        return self.opened

    def read(self):
        if self.count and self.i >= self.count:
            return False, None
        i = self.i
        self.i += 1
        if i in self.fail:
            return False, None
        img = self._frames(i) if callable(self._frames) else self._frames[i]
        return True, img

    def grab(self):
        ok, _ = self.read()
        return ok

    def get(self, prop):
        return {cv2.CAP_PROP_FPS: self.fps, cv2.CAP_PROP_FRAME_COUNT: self.count,
                cv2.CAP_PROP_FRAME_WIDTH: self.size[0], cv2.CAP_PROP_FRAME_HEIGHT: self.size[1]}.get(prop, 0)

    def release(self):
        self.opened = False


class Turning:
    """A stub classifier whose faces turn, as the alert needs (a level never alerts): ``before`` (neutral)
    for the first ``calm`` calls, then ``label`` until call ``until`` (None: for good), then ``after``."""

    size, name = 48, "turning"

    def __init__(self, calm: int, label: str = "sad", until: int | None = None, before: str = "neutral",
                 after: str = "happy"):
        self.calm, self.label, self.until, self.before, self.after = calm, label, until, before, after
        self.calls = 0

    def __call__(self, crops):
        import numpy as np

        from emotion_monitor.types import LABELS

        self.calls += 1
        label = self.before if self.calls <= self.calm else (
            self.label if self.until is None or self.calls <= self.until else self.after)
        p = np.full((len(crops), 7), 0.02, np.float32)
        p[:, LABELS.index(label)] = 0.88
        return p


class Sad(Turning):
    """Every face read sad from the first call: a level (it never alerts, it is marked)."""

    name = "sad"

    def __init__(self) -> None:
        super().__init__(calm=0)
