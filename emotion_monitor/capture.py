"""Capture: a thread that reads a camera or a video file and hands frames to the pipeline.

* Camera (and ``--realtime`` files): only the newest frame is kept; a slow consumer skips frames
  instead of building a backlog. When reads fail the thread reopens the device with exponential
  backoff, reports it through ``status``, and resumes when frames come back.
* Video file (default): every frame, in order, through a small bounded queue (the reader waits for
  the consumer; nothing is dropped and nothing piles up).

Anything with OpenCV's ``read() / isOpened() / get() / release()`` can be a source, which is how the
tests feed synthetic frames.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
from psygnal import Signal

from .errors import SourceError
from .types import CaptureOptions, Frame

Opener = Callable[[], "cv2.VideoCapture"]


@dataclass
class SourceInfo:
    kind: str  # "camera", "video" or "synthetic"
    name: str
    fps: float
    frame_count: int  # 0 when unknown (camera)
    width: int
    height: int


def open_camera(index: int) -> Opener:
    def opener() -> cv2.VideoCapture:
        return cv2.VideoCapture(index)
    return opener


def list_cameras(max_index: int = 6, opener: Callable[[int], Opener] = open_camera) -> list[int]:
    """Indices of the cameras that open and give a frame, probed 0..``max_index - 1`` (OpenCV has no
    list of devices; a missing index fails at once)."""
    from .native import quiet_native_stderr

    found = []
    for i in range(max_index):
        with quiet_native_stderr():
            cap = opener(i)()
            ok = bool(cap.isOpened()) and bool(cap.read()[0])
            cap.release()
        if ok:
            found.append(i)
    return found


def open_video(path: str | Path) -> Opener:
    p = Path(path)

    def opener() -> cv2.VideoCapture:
        return cv2.VideoCapture(str(p))
    return opener


def probe(opener: Opener, kind: str, name: str) -> tuple[Any, SourceInfo]:
    """Open the source once and read its properties; SourceError if it cannot be opened."""
    from .native import quiet_native_stderr

    with quiet_native_stderr():  # OpenCV's backends print a paragraph each for a missing camera
        cap = opener()
    if cap is None or not cap.isOpened():
        if cap is not None:
            cap.release()
        if kind == "camera":
            raise SourceError(f"no camera at index {name} (is one connected and free?)")
        raise SourceError(f"cannot open video {name}")
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0) or 25.0
    if not (0 < fps < 1000):
        fps = 25.0
    info = SourceInfo(kind, name, fps, int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) if kind != "camera" else 0,
                      int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0))
    return cap, info


class Capture:
    """Reads frames on its own thread. Iterate it, or call :meth:`get`; :meth:`stop` ends it.

    ``options`` (types.CaptureOptions): ``realtime`` paces a file at its own fps; ``retry`` reopens a
    failing source (cameras) with backoff, and ``on_status`` receives messages about it; ``loop`` plays
    a file again from its start when it ends (a kiosk, a soak test), frame numbers and media time
    counting up across passes; ``sample_fps`` hands over only that many frames a second of the source's
    clock (the others are grabbed, not decoded). ``latest_only``: keep just the newest frame (default:
    cameras and real-time playback).

    A camera frame is stamped with the wall time it was read; a file's frame with the time the file
    was opened plus its media time, so its rows follow the video's own clock however fast it is
    analysed. ``set_paused``: a paused file waits where it is; a paused camera drops what it reads.
    ``source`` names the frames' source (``Frame.source``; default: ``name``, the path or index).

    A camera that stops giving frames is reported once through ``status`` (a signal; ``on_status``
    connects a callable) when the outage starts and once when frames come back (``reconnected after N
    s``), not at every attempt.
    """

    status = Signal(str)

    def __init__(self, opener: Opener, kind: str = "video", name: str = "", options: CaptureOptions = CaptureOptions(),
                 latest_only: bool | None = None, on_status: Callable[[str], None] | None = None,
                 source: str | None = None):
        o = self.options = options
        self._opener = opener
        self.loop = o.loop
        self._cap, self.info = probe(opener, kind, name)
        self.source = source or name
        self.latest_only = (kind == "camera" or o.realtime) if latest_only is None else latest_only
        self.realtime = o.realtime
        self.retry = (kind == "camera") if o.retry is None else o.retry
        self.backoff, self.max_backoff = o.backoff, o.max_backoff
        if on_status is not None:
            self.status.connect(on_status)
        self.max_frames = o.max_frames
        self.passes, self.hit_max, self.length_of = 1, False, o.length_of  # passes; stopped by max_frames (what it is)
        self._queue: queue.Queue[Frame | None] = queue.Queue(maxsize=o.queue_size)
        self._latest: Frame | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._pause = threading.Event()
        self._done = False
        self.dropped = self.read_failures = 0
        self.read_to: int | None = None  # where a file ended (frames read or skipped), once it has
        self.reconnects = 0
        self._outage: float | None = None  # when the current outage began (no frames from a camera)
        self.error: str | None = None
        self._thread, self._release_lock = threading.Thread(target=self._run, name="capture", daemon=True), threading.Lock()
        self.opened_at = time.time()
        self.sample_every = max(1, round(self.info.fps / o.sample_fps)) if o.sample_fps else 1

    def set_paused(self, paused: bool) -> None:
        """A paused file waits where it is; a paused camera keeps reading and drops what it reads."""
        (self._pause.set if paused else self._pause.clear)()

    @property
    def paused(self) -> bool:
        return self._pause.is_set()

    def start(self) -> Capture:
        """Start reading (again: nothing)."""
        if self._thread.ident is None:
            self._thread.start()
        return self

    # ---- producer -------------------------------------------------------------------------------
    def _publish(self, frame: Frame | None) -> None:
        if self.latest_only:
            with self._cond:
                if frame is not None and self._latest is not None:
                    self.dropped += 1
                if frame is None:
                    self._done = True
                else:
                    self._latest = frame
                self._cond.notify_all()
        else:
            while not self._stop.is_set():
                try:
                    self._queue.put(frame, timeout=0.1)
                    return
                except queue.Full:
                    continue

    def _reopen(self) -> bool:
        delay = self.backoff
        if self._outage is None:  # said once an outage, however many times the device is reopened
            self._outage = time.monotonic()
            self.status.emit(f"{self.info.kind} {self.info.name}: no frames; retrying every {self.backoff:g}-"
                           f"{self.max_backoff:g} s")
        while not self._stop.is_set():
            if self._stop.wait(delay):
                return False
            try:
                if self._cap is not None:
                    self._cap.release()
                cap = self._opener()
            except Exception:  # a driver may raise instead of failing isOpened()
                cap = None
            if cap is not None and cap.isOpened():
                self._cap = cap
                self.reconnects += 1
                return True
            delay = min(delay * 2, self.max_backoff)
        return False

    def ended_early(self) -> str | None:
        """A one-line warning when a file ended well before the frame count its container states
        (a truncated or damaged file), else None."""
        expected = self.info.frame_count
        got = self.read_to
        if self.info.kind != "video" or not expected or got is None or self.loop:
            return None
        if self.max_frames is not None and got >= self.max_frames:
            return None
        # containers without an index (MKV, WebM) give a count estimated from their duration: the shared
        # marathon clip states 154 frames and holds 138, whole; so only a loss beyond 15% is called early
        if got < expected - max(2, int(0.15 * expected)):
            return (f"{self.info.name} ended early: {got} of {expected} frames; the file may be truncated or "
                    "damaged")
        return None

    def _run(self) -> None:
        index = failures = 0
        pass_start = 0  # index of the first frame of this pass through a looped file
        start = time.monotonic()
        try:
            while not self._stop.is_set():
                if self.max_frames is not None and index >= self.max_frames:
                    self.hit_max = True
                    break
                if self._pause.is_set() and self.info.kind != "camera":
                    start += self._wait_paused()  # real-time pacing resumes where it stopped
                    continue
                ok, image = self._read(index)
                if ok and image is None:  # not a sampled frame: skipped undecoded
                    index += 1
                    continue
                if not ok or image is None:
                    if self.loop and index > pass_start:  # end of a looped file: from the start again
                        self._cap.release()
                        self._cap, pass_start = self._opener(), index
                        self.passes += 1
                        continue
                    if not self.retry:
                        self.read_to = index  # where the file ended (frames read or skipped)
                        break  # end of file (or a truncated one): stop cleanly
                    failures = self._failed_read(failures)
                    if failures < 0:
                        break
                    continue
                failures = 0
                self._frames_again()
                if self.realtime and self._stop.wait(max(0.0, start + index / self.info.fps - time.monotonic())):
                    break
                frame = self._frame(image, index, start)
                index += 1
                if self._pause.is_set():  # a paused camera: nothing is shown or recorded
                    self.dropped += 1
                    continue
                self._publish(frame)
        except Exception as exc:  # never let the thread die silently
            self.error = f"capture failed: {exc}"
            self.status.emit(self.error)
        finally:
            self._publish(None)
            if self._stop.is_set():  # stop() waited for this thread in vain: the source is released here, unused
                self._release()

    def _wait_paused(self) -> float:  # a paused file: the seconds it waited
        paused_at = time.monotonic()
        while self._pause.is_set() and not self._stop.wait(0.05):
            pass
        return time.monotonic() - paused_at

    def _read(self, index: int) -> tuple[bool, Any]:
        """One read: (True, image); (False, None) when it failed; (True, None): skipped undecoded (``sample_fps``)."""
        try:
            if self.sample_every > 1 and index % self.sample_every:
                return bool(self._cap.grab()), None
            ok, image = self._cap.read()
            return bool(ok) and image is not None, image if ok else None
        except Exception:
            return False, None

    def _failed_read(self, failures: int) -> int:
        """A short wait, or after 3 failed reads in a row the device reopened: the failures in a row, -1: stopped."""
        failures += 1
        self.read_failures += 1
        if failures < 3:
            self._stop.wait(0.05)
            return failures
        return 0 if self._reopen() else -1

    def _frames_again(self) -> None:
        if self._outage is not None:  # frames again: the outage is over
            self.status.emit(f"{self.info.kind} {self.info.name}: reconnected after "
                             f"{time.monotonic() - self._outage:.1f} s")
            self._outage = None

    def _frame(self, image: Any, index: int, start: float) -> Frame:
        camera = self.info.kind == "camera"
        media_time = time.monotonic() - start if camera else index / self.info.fps
        return Frame(image, index, time.time() if camera else self.opened_at + media_time, media_time=media_time,
                     source=self.source)

    # ---- consumer -------------------------------------------------------------------------------
    def get(self, timeout: float | None = None) -> Frame | None:
        """The next frame (newest one in latest-only mode); None at the end of the source."""
        if self.latest_only:
            with self._cond:
                if not self._cond.wait_for(lambda: self._latest is not None or self._done or self._stop.is_set(),
                                           timeout):
                    raise TimeoutError
                frame, self._latest = self._latest, None
                return frame
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError from None

    def frames(self, until: Callable[[], bool] = lambda: False, poll: float = 0.2) -> Iterator[Frame]:
        """The frames to the end of the source; stops early once ``until()`` is true, which is asked
        before each frame and every ``poll`` seconds while none comes."""
        while not until():
            try:
                frame = self.get(timeout=poll)
            except TimeoutError:
                continue
            if frame is None:
                return
            yield frame

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop reading; the source released once the thread has ended (by the thread, if it outlives ``timeout``)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if not self._thread.is_alive():
            self._release()

    def _release(self) -> None:
        with self._release_lock:  # stop() and the ending thread may both get here
            cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()
