import logging
import time

import numpy as np
import pytest

from emotion_monitor.capture import Capture
from emotion_monitor.errors import SourceError
from emotion_monitor.mood import MoodConfig, MoodMonitor
from emotion_monitor.pipeline import Pipeline, sanitize
from emotion_monitor.types import LABELS, CaptureOptions, Detections, Frame

from .doubles import SyntheticSource


def numbered(i, size=(64, 48)):
    img = np.zeros((size[1], size[0], 3), np.uint8)
    img[0, 0, 0] = i % 256
    return img


def test_file_source_delivers_every_frame_in_order():
    src = SyntheticSource(numbered, count=50)
    cap = Capture(lambda: src, "video", "synthetic").start()
    got = [f.index for f in cap]
    cap.stop()
    assert got == list(range(50))
    assert cap.dropped == 0


def test_camera_source_keeps_only_the_newest_frame():
    src = SyntheticSource(numbered, count=200, fps=1000)
    cap = Capture(lambda: src, "camera", "synthetic", CaptureOptions(retry=False)).start()
    got = []
    while True:
        f = cap.get(timeout=2)
        if f is None:
            break
        got.append(f.index)
        time.sleep(0.01)  # a slow consumer
    cap.stop()
    assert got == sorted(got)
    assert len(got) < 200 and cap.dropped > 0  # stale frames were dropped, not queued
    assert got[-1] == 199  # ...and the newest one is delivered


def test_vanishing_camera_is_retried_and_resumes(caplog):
    # reads 10..39 fail (the device is gone), then frames come back
    sources = []

    def opener():
        if sources:  # a reopen: continue from where the device was
            sources[-1].opened = True
            return sources[-1]
        sources.append(SyntheticSource(numbered, count=80, fail=range(10, 40)))
        return sources[-1]

    messages = []
    cap = Capture(opener, "camera", "0", CaptureOptions(backoff=0.01, max_backoff=0.02, max_frames=50),
                  latest_only=False, on_status=messages.append).start()
    got = [f.index for f in cap]
    cap.stop()
    assert got[:10] == list(range(10))
    assert got[-1] == 49  # 80 reads - 30 failed = 50 frames
    assert len(got) == 50
    assert cap.reconnects >= 1
    assert any("retrying" in m for m in messages) and any("reconnected" in m for m in messages)


def test_unopenable_source_is_a_source_error():
    class Closed(SyntheticSource):
        def isOpened(self):
            return False

    with pytest.raises(SourceError, match="no camera"):
        Capture(lambda: Closed([]), "camera", "0")
    with pytest.raises(SourceError, match="cannot open video"):
        Capture(lambda: Closed([]), "video", "x.mp4")


@pytest.mark.parametrize("bad", [None, np.zeros((0, 0, 3), np.uint8), np.zeros((10, 10, 3), np.int32) + 300,
                                 np.zeros((4, 4), np.uint8), np.zeros((10, 10, 5), np.uint8), "text"])
def test_corrupt_frames_are_skipped_with_a_warning(bad, caplog):
    with caplog.at_level(logging.WARNING, logger="emotion_monitor"):
        assert sanitize(bad if not isinstance(bad, str) else np.array(list(bad))) is None
    assert "skipped a frame" in caplog.text


def test_gray_and_bgra_frames_are_converted():
    assert sanitize(np.zeros((20, 30), np.uint8)).shape == (20, 30, 3)
    assert sanitize(np.zeros((20, 30, 4), np.uint8)).shape == (20, 30, 3)
    assert sanitize(np.ones((20, 30, 3), np.float32) * 0.5).dtype == np.uint8


class FixedDetector:
    """Returns a grid of n x n face boxes over the frame."""

    def __init__(self, n):
        self.n = n

    name = "fixed"
    fresh = True

    def __call__(self, img, hints=None):
        h, w = img.shape[:2]
        s = min(w, h) // self.n
        boxes = [[c * s, r * s, c * s + s - 4, r * s + s - 4] for r in range(self.n) for c in range(self.n)]
        return Detections(boxes, np.full(len(boxes), 0.9))


class SadClassifier:
    size = 48

    def __init__(self):
        self.batches = []

    def __call__(self, crops):
        self.batches.append(len(crops))
        p = np.zeros((len(crops), 7), np.float32)
        p[:, LABELS.index("sad")] = 1
        return p


def test_fifty_faces_in_one_frame_go_through_in_one_batch():
    clf = SadClassifier()
    # every face counted as read (settle 0): the people in view at the start are otherwise learned first
    pipe = Pipeline(FixedDetector(8), clf, mood=MoodMonitor(MoodConfig(settle=0.0)))  # 64 boxes, capped to max_faces
    pipe.config.max_faces = 50
    pipe.config.quality = None  # the faces are a flat grey square: the gate would leave them out of the mood
    pipe.config.classify_budget = 0  # every face on every frame (the budget is tested below)
    img = np.full((800, 800, 3), 120, np.uint8)
    r1 = pipe.process(Frame(img.copy(), 0, 0.0, 0.0))
    r2 = pipe.process(Frame(img.copy(), 1, 0.04, 0.04))
    assert clf.batches == [50, 50]
    assert len(r2.tracks) == 50 and len({t.track_id for t in r2.tracks}) == 50
    assert r2.mood.score == pytest.approx(-1)
    assert set(r2.timings_ms) >= {"detect", "crop", "classify", "track", "mood", "total"}
    assert r1 is not None


def test_a_crowd_beyond_the_budget_refreshes_the_stalest_faces_first():
    class Stamp(SadClassifier):
        """Call k puts k/100 on happy: a face's raw probabilities tell when it was last classified."""

        def __call__(self, crops):
            self.batches.append(len(crops))
            p = np.full((len(crops), 7), 0.1, np.float32)
            p[:, LABELS.index("happy")] = len(self.batches) / 100
            return p / p.sum(1, keepdims=True)

    clf = Stamp()
    pipe = Pipeline(FixedDetector(8), clf)  # 64 faces
    pipe.config.classify_budget = 24
    img = np.full((800, 800, 3), 120, np.uint8)
    results = [pipe.process(Frame(img, i, i / 25, i / 25)) for i in range(4)]
    assert clf.batches == [64, 24, 24, 24]  # every new face at once, then 24 a frame
    last = results[-1].tracks
    calls = {int(round(t.raw_probs[LABELS.index("happy")] / t.raw_probs[0] * 10)) for t in last}  # k/100 over 0.1
    assert calls == {2, 3, 4}  # three frames after the first, every face was refreshed once
    assert len(last) == 64


def test_a_read_rate_reads_each_face_at_most_that_often_and_a_new_face_at_once():
    class Growing(FixedDetector):
        """Four faces, a fifth from frame 30 on."""

        def __call__(self, img, hints=None):
            dets = super().__call__(img)
            return dets[:5] if self.frame >= 30 else dets[:4]

    det = Growing(3)
    read = {}  # frame -> faces classified on it

    class Counting(SadClassifier):
        def __call__(self, crops):
            read[det.frame] = len(crops)
            return super().__call__(crops)

    pipe = Pipeline(det, Counting())
    pipe.config.read_rate = 5.0  # at most every 0.2 s, at 25 fps every 5th frame
    img = np.full((600, 600, 3), 120, np.uint8)
    results = []
    for i in range(50):  # 2 s
        det.frame = i
        results.append(pipe.process(Frame(img, i, i / 25, i / 25)))
    assert read[0] == 4 and read[30] == 5  # new faces at once: the four, then the fifth (the four due then too)
    assert sorted(f for f in read if f < 30) == [0, 5, 10, 15, 20, 25]  # 5 readings a second, nothing between
    assert all(read[f] == 4 for f in read if f < 30)
    assert sorted(f for f in read if f > 30) == [35, 40, 45]
    assert all(len(r.tracks) == (5 if i >= 30 else 4) for i, r in enumerate(results))
    assert all(t.emotion == "sad" for t in results[-1].tracks)  # faces not read keep their readings


def test_a_4k_frame_gives_each_face_the_crop_of_its_own_pixels():
    """Four boxes over a 3840x2160 frame whose regions are painted 40, 90, 140 and 190: each crop the
    classifier gets must be its own region's gray level (no mix-up, no rescaling of coordinates)."""
    img = np.zeros((2160, 3840, 3), np.uint8)
    boxes = [[100, 100, 500, 500], [3300, 120, 3700, 520], [150, 1600, 550, 2000], [3200, 1650, 3600, 2050]]
    levels = [40, 90, 140, 190]
    for (x0, y0, x1, y1), v in zip(boxes, levels):
        img[max(0, y0 - 200):y1 + 200, max(0, x0 - 200):x1 + 200] = v  # the crop's margin stays inside the paint

    class Boxes:
        name, fresh = "boxes", True

        def __call__(self, image, hints=None):
            return Detections(boxes, np.full(4, 0.9))

    seen = []

    class Recorder(SadClassifier):
        def __call__(self, crops):
            seen.append(crops.copy())
            return super().__call__(crops)

    pipe = Pipeline(Boxes(), Recorder())
    r = pipe.process(Frame(img, 0, 0.0))
    assert len(r.detections) == 4 and seen[0].shape == (4, 48, 48)
    assert [int(round(c.mean())) for c in seen[0]] == levels


def test_camera_outage_keeps_the_csv_whole(tmp_path):
    """A camera that vanishes mid-recording: the run resumes and the CSV holds rows from both sides."""
    import csv

    from emotion_monitor.recording import HEADER, CsvRecorder

    src = SyntheticSource(lambda i: np.full((400, 400, 3), 120, np.uint8), count=60, fail=range(20, 35))
    state = {"opened": False}

    def opener():
        if state["opened"]:
            src.opened = True
        state["opened"] = True
        return src

    cap = Capture(opener, "camera", "0", CaptureOptions(backoff=0.01, max_backoff=0.02, max_frames=45),
                  latest_only=False).start()
    pipe = Pipeline(FixedDetector(2), SadClassifier())
    path = tmp_path / "outage.csv"
    with CsvRecorder(path) as rec:
        for frame in cap:
            rec.write(pipe.process(frame))
    cap.stop()
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == HEADER and all(len(r) == len(HEADER) for r in rows)
    frames = sorted({int(r[1]) for r in rows[1:]})
    assert frames[0] <= 1 and frames[-1] == 44 and cap.reconnects >= 1
    ids = {r[2] for r in rows[1:]}
    assert len(ids) == 4  # the same four faces before and after the outage (held across it)


def test_the_camera_list_has_the_indices_that_open_and_give_frames():
    from emotion_monitor.capture import list_cameras

    from .doubles import SyntheticSource

    class Dead(SyntheticSource):
        def isOpened(self):
            return False

        def release(self):
            pass

    def opener(i):
        return lambda: (SyntheticSource([np.zeros((4, 4, 3), np.uint8)] * 3) if i in (0, 2) else Dead([]))

    assert list_cameras(5, opener) == [0, 2]
