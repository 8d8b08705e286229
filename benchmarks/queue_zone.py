"""A queue with known arrivals and departures, and a passer-by behind it: who counted, and how long each waited.

    python benchmarks/queue_zone.py [--seconds 60] [--out docs/queue.md]

The scene (benchmarks/composite.py's queue: FER+ PrivateTest faces over shirts, on a blurred real frame,
JPEG at quality 70): five people walk in from the right edge to a place in the line, stand, and walk off
to the right, at known times; one of them turns unhappy while waiting. A passer-by walks across the top
of the frame, twice, behind the queue. The zone is the line's area, its right edge short of the frame's
(the corridor people walk in along is not the queue).

Each person's true time in the zone is the span of frames where the centre of their drawn face lies in
the zone; the app's is the longest ``waited`` any of their tracks reached (a track belongs to the person
whose drawn face it overlaps most). Printed: each person's true and measured wait and the error, the
median absolute error (bar: <= 1 s), how many frames the passer-by was counted in the queue (bar: 0),
how many frames counted a face outside the zone, and the app's frame rate with and without the zone.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks import composite  # noqa: E402
from emotion_monitor.app import build_pipeline  # noqa: E402
from emotion_monitor.settings import Settings  # noqa: E402
from emotion_monitor.types import Frame, Zone  # noqa: E402
from emotion_monitor.zones import contains, parse_zones  # noqa: E402

ZONE = "0,0.3 0.85,0.3 0.85,1 0,1"  # the line's area; the corridor on the right and the street above are not
# pid: (place in the line, arrives, leaves (None: stays), turns unhappy (None: never))
PEOPLE = {1: (0, 0.0, 40.0, None), 2: (1, 5.0, 50.0, 30.0), 3: (2, 12.0, 30.0, None), 4: (3, 20.0, None, None),
          5: (4, 35.0, 55.0, None)}
PASSER = 9
PASSES = [(10.0, 18.0), (40.0, 48.0)]  # the passer-by's walks across the top, left to right


def scene(seconds: float, fps: float = 25.0, face_px: int = 72):
    """The queue's frames with a passer-by drawn over the top: ``(image, truth)``, truth as
    composite.queue_frames gives it, the passer-by's box added under id PASSER."""
    passer = composite.labelled_faces("neutral")[0][7]
    size = face_px * 3 // 4
    walker = cv2.cvtColor(cv2.resize(passer, (size, size), interpolation=cv2.INTER_CUBIC), cv2.COLOR_GRAY2BGR)
    for i, (img, truth) in enumerate(composite.queue_frames(PEOPLE, seconds, fps, face_px)):
        t = i / fps
        img = img.copy()
        for t0, t1 in PASSES:
            if t0 <= t < t1:
                x = int(-size + (960 + size) * (t - t0) / (t1 - t0))
                y = 40
                x0, x1 = max(0, x), min(960, x + size)
                if x1 > x0:
                    img[y:y + size, x0:x1] = walker[:, x0 - x:x1 - x]
                    truth = [*truth, (PASSER, x, y, x + size, y + size, "calm")]
        yield img, truth


def true_waits(truth_frames, zone: Zone, fps: float) -> dict[int, float]:
    """Each person's time in the zone: first to last frame with their face's centre inside it."""
    spans: dict[int, list[float]] = {}
    for i, truth in enumerate(truth_frames):
        for pid, x0, y0, x1, y1, _ in truth:
            if contains(zone, np.array([[(x0 + x1) / 2, (y0 + y1) / 2]]), 960, 540)[0]:
                span = spans.setdefault(pid, [i / fps, i / fps])
                span[1] = i / fps
    return {pid: b - a for pid, (a, b) in spans.items()}


def owner(box, truth) -> int | None:
    """The person whose drawn face ``box`` overlaps most (IoU >= 0.3), or None."""
    best, who = 0.3, None
    for pid, x0, y0, x1, y1, _ in truth:
        ix = max(0.0, min(box[2], x1) - max(box[0], x0))
        iy = max(0.0, min(box[3], y1) - max(box[1], y0))
        inter = ix * iy
        iou = inter / ((box[2] - box[0]) * (box[3] - box[1]) + (x1 - x0) * (y1 - y0) - inter)
        if iou > best:
            best, who = iou, pid
    return who


def run(frames, zone_text: str, fps: float):
    """Play ``frames`` through the app's pipeline with the zone (or none): each person's longest wait, the
    frames the passer-by and any face outside the zone counted, the pipeline's frames a second, the truth."""
    pipe = build_pipeline(Settings(zone=zone_text))
    waited: dict[int, float] = {}
    passer_counted = outside_counted = n = 0
    seconds = 0.0
    truths = []
    try:
        for i, (img, truth) in enumerate(frames):
            truths.append(truth)
            t0 = time.perf_counter()
            r = pipe.process(Frame(img, i, 1_800_000_000.0 + i / fps, i / fps))
            seconds += time.perf_counter() - t0
            n += 1
            for t in r.tracks:
                who = owner(t.xyxy, truth)
                if who is not None:
                    waited[who] = max(waited.get(who, 0.0), t.waited)
                if who == PASSER and (t.zone or t.quality == "ok"):
                    passer_counted += 1
                if zone_text and t.quality == "ok" and not t.zone:
                    outside_counted += 1
    finally:
        pipe.close()
    return waited, passer_counted, outside_counted, n / seconds, truths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--out", default="", help="also write the tables to this markdown file")
    ap.add_argument("--write-video", default="", metavar="PATH", help="only write the scene to this video file "
                    "(to play it in the app: emotion-monitor --video PATH --zone ...)")
    args = ap.parse_args()
    fps = 25.0
    if args.write_video:
        out = cv2.VideoWriter(args.write_video, cv2.VideoWriter_fourcc(*"mp4v"), fps, (960, 540))
        for img, _ in scene(args.seconds, fps):
            out.write(img)
        out.release()
        print(f"wrote {args.write_video}; its zone: --zone '{ZONE}'")
        return
    (zone,) = parse_zones(ZONE)
    waited, passer, outside, zone_fps, truths = run(scene(args.seconds, fps), ZONE, fps)
    truth = true_waits(truths, zone, fps)
    _, passer_plain, _, plain_fps, _ = run(scene(args.seconds, fps), "", fps)
    lines = [f"# The queue composite: {args.seconds:.0f} s at {fps:.0f} fps, zone `{ZONE}`\n",
             "| person | arrives | leaves | true wait (s) | measured (s) | error (s) |", "|---|---|---|---|---|---|"]
    errors = []
    for pid, (_, t_in, t_out, _) in PEOPLE.items():
        true, got = truth.get(pid, 0.0), waited.get(pid, 0.0)
        errors.append(abs(got - true))
        lines.append(f"| {pid} | {t_in:.0f} s | {'-' if t_out is None else f'{t_out:.0f} s'} | {true:.1f} | {got:.1f} | "
                     f"{got - true:+.1f} |")
    med = float(np.median(errors))
    lines += ["", "| condition | bar | measured | holds |", "|---|---|---|---|",
              f"| median absolute wait error | <= 1 s | {med:.2f} s | {'yes' if med <= 1 else 'NO'} |",
              f"| frames the passer-by counted in the queue | 0 | {passer} (without a zone: {passer_plain}) | "
              f"{'yes' if passer == 0 else 'NO'} |",
              f"| frames counting a face outside the zone | 0 | {outside} | {'yes' if outside == 0 else 'NO'} |",
              f"| frames a second, with the zone / without | no worse | {zone_fps:.1f} / {plain_fps:.1f} | - |"]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
