"""Calm footage presented the ways a user's footage reaches the app: resize filter x size x codec x
frame rate x loop, each through the real pipeline, with detections and readings cached so that the
whole matrix costs one pass per distinct frame.

A *variant* is one pass of a clip as a user would have it on disk: resampled to a frame rate (frames
repeated or dropped, as a player or a camera does), resized to a height with one OpenCV filter, and
written with a codec (none: the frames as they are; ``mp4v``: OpenCV's MPEG-4 part 2 writer; ``h264``:
libx264 through PyAV at its default quality) and decoded back. A pass is the street's 4.2 s, the
marathon's 4.6 s, the hikers' first 8 s or 10 s of a composite: passes are encoded, and short ones keep
the whole matrix near an hour on 2 cores. A *presentation* plays a variant's pass
looped (forwards, or forwards then backwards) for some seconds at that frame rate.

The pipeline is the app's (``app.build_pipeline``: YuNet every other frame, the emotion model, the
tracker); only its two costly calls are cached: the detector's boxes of a pass frame (YuNet searches
the whole frame and ignores the tracker's hints, so its output is a function of the image) and the
classifier's reading of a crop (a function of its pixels). Caches live in the system's temp folder,
one folder per model. Used by benchmarks/alert_matrix.py and tests/test_alert_real_model.py.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks import composite, desk

MEDIA = composite.SHARED / "media"
CACHE = Path(tempfile.gettempdir()) / "em_presentations"


@functools.cache  # asked for every variant of the matrix: the file is hashed once a process
def model_key(model: str) -> str:
    """The cache folder's name for an emotion model: its folder and name, and the first bytes of its file's
    hash, so that readings cached for one model are never read for another at the same path. "" (the shipped
    model) was once a folder "shipped" that kept the readings of the model shipped before #49: a default run
    replayed the old model's readings while its table named the shipped one."""
    from emotion_monitor.classifier import DEFAULT_MODEL

    path = Path(model or str(DEFAULT_MODEL))
    digest = hashlib.blake2b(path.read_bytes(), digest_size=4).hexdigest()
    return f"{'shipped' if not model else f'{path.parent.name}_{path.stem}'}_{digest}"


FILTERS = {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC, "nearest": cv2.INTER_NEAREST}
# the matrix (benchmarks/alert_matrix.py); "nearest", other heights and rates, and "jpeg30" (every frame a
# JPEG of quality 30: a cheap IP camera) are kept for held-out presentations, never used to choose the rule
MATRIX_FILTERS = ("area", "linear", "cubic")
HEIGHTS = (1080, 720, 540, 360)
CODECS = ("none", "mp4v", "h264")
RATES = (15.0, 25.0, 30.0)
LOOPS = ("fwd", "fwd+bwd")


def _read(path: Path, seconds: float = 0.0) -> tuple[list[np.ndarray], float]:
    """A video's frames (its first ``seconds``, if given) and frame rate."""
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    out: list[np.ndarray] = []
    while not seconds or len(out) < seconds * fps:
        ok, img = cap.read()
        if not ok:
            break
        out.append(img)
    cap.release()
    return out, float(fps)


def _calm_queue(seconds: float = 10.0) -> list[np.ndarray]:
    """A calm queue of FER+ neutral faces: people arrive one by one and one leaves."""
    people = {1: (0, 0.0, None, None), 2: (1, 0.0, 7.0, None), 3: (2, 1.0, None, None), 4: (3, 2.5, None, None),
              5: (4, 4.0, None, None), 6: (5, 6.0, None, None)}
    return [img for img, _ in composite.queue_frames(people, seconds, fps=25.0, seed=3)]


def queue(kind: str, turn: float = 30.0, leave: float = 50.0, seconds: float = 70.0, seed: int | None = None) -> list[np.ndarray]:
    """A queue composite's frames (FER+ PrivateTest faces): "turn" (3 of 6 turn unhappy at ``turn``, leave
    at ``leave``), "arrival" (an unhappy person walks into a calm 5 at ``turn``, leaves at ``leave``) or
    "alone" (one unhappy person from the start, leaving at ``leave``)."""
    if kind == "turn":
        people = {p: (p - 1, 0.0, leave if p in (1, 3, 5) else None, turn if p in (1, 3, 5) else None)
                  for p in range(1, 7)}
        return [img for img, _ in composite.queue_frames(people, seconds, seed=TURN_SEED if seed is None else seed)]
    if kind == "arrival":
        people = {p: (p - 1, 0.0, None, None) for p in range(1, 6)}
        people[6] = (5, turn, leave, turn)
        return [img for img, _ in composite.queue_frames(people, seconds)]
    people = {1: (2, 0.0, leave, 0.0)}
    # seed 1: seed 0 draws a face half hidden by a hand, which the detector finds in a fifth of the frames
    return [img for img, _ in composite.queue_frames(people, seconds, seed=1)]


# the turn composite's faces. With seed 0 (and 3) some of the six calm faces cannot be read before they turn
# (seed 0: one too dark for the quality gate, one half hidden by a hand, and a third the detector loses once
# unhappy): no resting face is known, so no turn can be told, and the case no longer tests the rule
TURN_SEED = 1


# name: () -> (frames, fps). Calm: the three shared clips and two composites of calm FER+ faces (their own
# people, drawn apart from every face the model was chosen on: PrivateTest). Then the turn cases.
CLIPS = {
    "street": lambda: _read(MEDIA / "crowd_1080p.mp4"),
    "hikers": lambda: _read(MEDIA / "hikers_walking.mp4", 8.0),
    "marathon": lambda: _read(MEDIA / "marathon_540p.mkv"),
    "walkers": lambda: ([img for img, _ in composite.people_frames(10.0)], 25.0),
    "queue": lambda: (_calm_queue(), 25.0),
    "turn": lambda: (queue("turn"), 25.0),
    "arrival": lambda: (queue("arrival"), 25.0),
    "alone": lambda: (queue("alone", leave=30.0, seconds=45.0), 25.0),
}
CALM = ("street", "hikers", "marathon", "walkers", "queue")
# one person at a desk (benchmarks/desk.py): calm faces that read sad at rest, a smile fading, looks down
DESK = ("desk-sad-1", "desk-sad-2", "desk-sad-3", "desk-happy", "desk-down")
for _kind in (*DESK, *desk.DESK_TURNS):
    CLIPS[_kind] = lambda k=_kind: (desk.desk_frames(k), 25.0)
# a laptop's webcam: 720p or 480p, the two codecs a user's recording has, three rates (area and bicubic:
# a webcam's own scaler, and the default of most players)
DESK_FILTERS, DESK_HEIGHTS, DESK_CODECS = ("area", "cubic"), (720, 480), ("mp4v", "h264")


def variants(clip: str) -> list[Variant]:
    """The matrix's presentations of a calm clip: a crowd's (filter x height x codec x rate) or a desk's."""
    if clip in DESK:
        return [Variant(clip, f, h, c, r) for f in DESK_FILTERS for h in DESK_HEIGHTS for c in DESK_CODECS for r in RATES]
    return [Variant(clip, f, h, c, r) for f in MATRIX_FILTERS for h in HEIGHTS for c in CODECS for r in RATES]


def _heldout_turn() -> list[np.ndarray]:
    """Calm, then distressed, held out (other faces, other times): five stand; two turn at 20 s, leave at 35 s."""
    people = {p: (p - 1, 0.0, 35.0 if p in (2, 4) else None, 20.0 if p in (2, 4) else None) for p in range(1, 6)}
    return [img for img, _ in composite.queue_frames(people, 45.0, seed=4)]


CLIPS["heldout-turn"] = lambda: (_heldout_turn(), 25.0)
# the turn cases: (turn s, gone s): an alert within 6 s of the turn (none for "arrival": a mark instead),
# cleared after the unhappy faces are gone
TURNS = {"turn": (30.0, 51.5), "arrival": (30.0, 51.5), "alone": (0.0, 31.5), **desk.DESK_TURNS}
_SOURCES: dict = {}


def source(clip: str) -> tuple[list[np.ndarray], float]:
    """A clip's frames and frame rate, made once per process."""
    if clip not in _SOURCES:
        _SOURCES.clear()  # one clip at a time: the composites are 0.8 GB each
        _SOURCES[clip] = CLIPS[clip]()
    return _SOURCES[clip]


@dataclass(frozen=True)
class Variant:
    clip: str
    filter: str = "area"
    height: int = 0  # 0: as it is
    codec: str = "none"
    fps: float = 0.0  # 0: the clip's own

    @property
    def key(self) -> str:
        return f"{self.clip}_{self.filter}_{self.height}_{self.codec}_{self.fps:g}"


def _resample(frames: list, src_fps: float, fps: float) -> list:
    if not fps or abs(fps - src_fps) < 0.01:
        return frames
    n = max(1, round(len(frames) * fps / src_fps))
    return [frames[min(int(i * src_fps / fps), len(frames) - 1)] for i in range(n)]


def _resize(frames: list, height: int, interpolation: int) -> list:
    h, w = frames[0].shape[:2]
    if not height or height == h:
        return frames
    size = (int(round(w * height / h / 2)) * 2, height)
    return [cv2.resize(f, size, interpolation=interpolation) for f in frames]


def _mp4v(frames: list, fps: float) -> list:
    h, w = frames[0].shape[:2]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pass.mp4")
        writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
        if not writer.isOpened():
            raise RuntimeError("OpenCV cannot write mp4v here")
        for f in frames:
            writer.write(f)
        writer.release()
        out, _ = _read(Path(path))
    return out


def _h264(frames: list, fps: float) -> list:
    from fractions import Fraction

    import av  # PyAV: FFmpeg with libx264 (the dev extra)

    h, w = frames[0].shape[:2]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pass.mp4")
        with av.open(path, "w") as box:
            stream = box.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
            stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
            for f in frames:
                for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="bgr24")):
                    box.mux(packet)
            for packet in stream.encode():
                box.mux(packet)
        with av.open(path) as box:
            return [fr.to_ndarray(format="bgr24") for fr in box.decode(video=0)]


def variant_pass(v: Variant) -> tuple[list[np.ndarray], float]:
    """One pass of a variant's frames, as decoded, and its frame rate."""
    frames, src_fps = source(v.clip)
    fps = v.fps or src_fps
    frames = _resize(_resample(frames, src_fps, fps), v.height, FILTERS[v.filter])
    if v.codec == "mp4v":
        frames = _mp4v(frames, fps)
    elif v.codec == "h264":
        frames = _h264(frames, fps)
    elif v.codec == "jpeg30":
        frames = [cv2.imdecode(cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, 30])[1], cv2.IMREAD_COLOR) for f in frames]
    return frames, fps


def loop_order(n: int, loop: str, count: int) -> list[int]:
    """The pass frames a presentation shows: "once", "fwd" (looped) or "fwd+bwd" (forwards, then backwards)."""
    if loop == "once":
        return list(range(min(n, count)))
    order = list(range(n)) + (list(range(n - 2, 0, -1)) if loop == "fwd+bwd" else [])
    return [order[i % len(order)] for i in range(count)]


class _CachedDetector:
    """The app's detector with its schedule, its searches answered from a cache keyed by the pass frame."""

    def __init__(self, inner, every: int, cache: dict):
        self.inner, self.every, self.cache = inner, every, cache
        self.name, self.fresh, self.key = inner.name, True, 0
        self.score_threshold = getattr(inner, "score_threshold", 0.0)
        self._calls = 0

    def __call__(self, image, hints=None):
        from emotion_monitor.types import Detections

        self._calls += 1
        self.fresh = (self._calls - 1) % self.every == 0
        if not self.fresh:
            return Detections()
        dets = self.cache.get(self.key)
        if dets is None:
            dets = self.cache[self.key] = self.inner(image)
        return dets

    def reset(self, phase: int = 0) -> None:
        self._calls = phase % self.every

    def close(self) -> None:
        self.inner.close()


class _CachedClassifier:
    """The app's classifier, each crop's reading cached by its pixels."""

    def __init__(self, inner, cache: dict):
        self.inner, self.cache = inner, cache
        self.size, self.name = inner.size, getattr(inner, "name", "")

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        keys = [hashlib.blake2b(c.tobytes(), digest_size=12).digest() for c in crops]
        todo = [i for i, k in enumerate(keys) if k not in self.cache]
        if todo:
            for i, p in zip(todo, self.inner(crops[todo])):
                self.cache[keys[i]] = p
        return np.stack([self.cache[k] for k in keys]) if keys else self.inner(crops)

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close:
            close()


class Presenter:
    """Plays presentations of variants through the app's pipeline with cached detections and readings
    (``model``: "" for the shipped emotion model; ``read_rate``: the pipeline's, 0 reads every face every frame)."""

    def __init__(self, model: str = "", read_rate: float = 0.0):
        from emotion_monitor.app import build_detector
        from emotion_monitor.settings import Settings

        self.settings = Settings(model=model, read_rate=read_rate)
        self.model = model
        self.folder = CACHE / model_key(model)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._detector = build_detector(self.settings.changed(detect_every=1))
        self._classifier = None

    def _caches(self, v: Variant, frames: list) -> tuple[Path, dict]:
        """The variant's caches, kept only while its pass is the same (a fingerprint of its frames)."""
        path = self.folder / f"{v.key}.pkl"
        mark = hashlib.blake2b(b"".join(f[::16, ::16].tobytes() for f in frames[:: max(1, len(frames) // 8)]),
                               digest_size=16).hexdigest() + f"/{len(frames)}"
        cache = pickle.loads(path.read_bytes()) if path.exists() else {}
        if cache.get("pass") != mark:
            cache = {"pass": mark, "dets": {}, "probs": {}}
        shared = CACHE / model_key("") / path.name  # the detections do not depend on the emotion model
        if not cache["dets"] and shared != path and shared.exists():
            other = pickle.loads(shared.read_bytes())
            if other.get("pass") == mark:
                cache["dets"] = dict(other["dets"])
        return path, cache

    def play(self, v: Variant, loop: str, seconds: float, made=None) -> Iterator[tuple[float, tuple]]:
        """``(media time, tracks)`` of every frame of a presentation (``made``: the variant's pass, if at hand)."""
        from emotion_monitor.app import build_pipeline
        from emotion_monitor.types import Frame

        frames, fps = made or variant_pass(v)
        path, cache = self._caches(v, frames)
        pipe = build_pipeline(self.settings, classifier=self._classifier)  # the model loads once, not per play
        self._classifier = pipe.classifier
        pipe.detector.close()
        det = pipe.detector = _CachedDetector(self._detector, self.settings.detect_every, cache["dets"])
        pipe.classifier = _CachedClassifier(self._classifier, cache["probs"])
        before = (len(cache["dets"]), len(cache["probs"]))
        try:
            for i, k in enumerate(loop_order(len(frames), loop, int(round(seconds * fps)))):
                det.key = k
                r = pipe.process(Frame(frames[k], i, 1796067040.0 + i / fps, i / fps))
                if r is not None:
                    yield r.frame.media_time, r.tracks
        finally:
            if (len(cache["dets"]), len(cache["probs"])) != before:
                path.write_bytes(pickle.dumps(cache))
