"""Sinks added and removed while a run plays (runner.Runner.add_sink / remove_sink from another thread, as the
window's record button does), and a capture's native object released only once its thread has ended."""

import csv
import threading

import cv2
import numpy as np
import pytest

from emotion_monitor.capture import Capture
from emotion_monitor.recording import HEADER, CsvRecorder
from emotion_monitor.runner import Runner
from emotion_monitor.settings import Settings
from emotion_monitor.sources import SourceSpec
from tests.conftest import scene

from .doubles import Sad, SyntheticSource


class Delivered:
    """A sink that counts the results it gets, so that the test can wait for the next one."""

    def __init__(self):
        self.count, self.changed = 0, threading.Condition()

    def write(self, result):
        with self.changed:
            self.count += 1
            self.changed.notify_all()

    def wait_past(self, count, timeout=10.0):
        with self.changed:
            assert self.changed.wait_for(lambda: self.count > count, timeout), "the run delivered nothing"
            return self.count

    def close(self):
        pass


def test_recording_stopped_and_started_200_times_while_playing_never_stops_the_run(astronaut_bgr, tmp_path):
    """The window's record button: each stop closes the CSV on the window's thread while the loop may be writing
    to it; the ValueError of a write to a closed file escaped the loop ("processing stopped")."""
    small = [cv2.resize(scene(astronaut_bgr, i, step=2), (480, 270)) for i in range(30)]

    def opener(spec, on_status):
        src = SyntheticSource(lambda i: small[i % len(small)], count=10**6, size=(480, 270))
        return Capture(lambda: src, "video", "loop.mp4", on_status=on_status, source=spec.name)

    seen = Delivered()
    runner = Runner(Settings(detect_every=1, privacy="full"), [SourceSpec("loop", video="loop.mp4")], sinks=[seen],
                    classifier=Sad(), open_capture=opener)
    stop, errors = threading.Event(), []

    def play():
        try:
            runner.run(stop.is_set)
        except BaseException as exc:  # noqa: BLE001 - what the window's worker would report
            errors.append(exc)

    loop = threading.Thread(target=play)
    loop.start()
    try:
        count = seen.wait_past(0)
        for i in range(200):
            rec = CsvRecorder(str(tmp_path / f"r{i}.csv"), privacy="full")
            runner.add_sink(rec)
            count = seen.wait_past(count) if i % 2 else count  # half of them closed before a frame reached them
            runner.remove_sink(rec)
            assert not errors and loop.is_alive(), errors
    finally:
        stop.set()
        loop.join(30)
        runner.close()
    assert not errors and not loop.is_alive(), errors
    for i in range(200):
        with open(tmp_path / f"r{i}.csv", newline="") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == HEADER and all(len(r) == len(HEADER) for r in rows[1:])
    assert seen.count >= 100


@pytest.mark.parametrize("stuck", [False, True])
def test_a_capture_is_released_only_after_its_thread_has_ended(stuck):
    """Capture.stop released the OpenCV object after a 5 s join timeout even while the thread still read from
    it (native memory freed under a running thread); a thread that outlives the timeout now releases it itself
    as it ends, and a thread that ends in time lets stop() find it released: once, and never under a read."""
    gate, reading = threading.Event(), []
    released = []

    class Slow(SyntheticSource):
        def read(self):
            reading.append(1)
            gate.wait(10)  # a camera whose read blocks (a USB camera unplugged mid-read)
            reading.pop()
            return super().read()

        def release(self):
            released.append(len(reading))
            super().release()

    cap = Capture(lambda: Slow(lambda i: np.zeros((48, 64, 3), np.uint8), count=10**6, size=(64, 48)), "camera", "0")
    cap.start()
    if not stuck:
        gate.set()
    cap.stop(timeout=0.3)
    if stuck:
        assert cap._thread.is_alive() and released == []  # not released under the read still running
        gate.set()
        cap._thread.join(10)
    assert not cap._thread.is_alive() and released == [0]
