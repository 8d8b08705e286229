"""Face-box quality of the detector + tracker on crowd_1080p.mp4 against its reference boxes.

    python benchmarks/detection.py [--grid 4x3 --views 2 --conf 0.5 ...]

Prints a markdown table: recall (IoU >= 0.3), worst frame's recall, boxes per frame matching no
reference box, mean detector ms per frame, for each configuration given (or a default sweep).
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

from benchmarks.boxes import load_reference, score  # noqa: E402
from emotion_monitor.detection import HaarDetector, MediaPipeDetector  # noqa: E402
from emotion_monitor.pipeline import tracker_for  # noqa: E402

MEDIA = ROOT.parent / "shared" / "media"


def read_frames(path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            return frames
        frames.append(f)


def run(frames, detector, tracked=True):
    if hasattr(detector, "reset"):
        detector.reset()
    tracker = tracker_for(detector)  # as the pipeline builds it
    preds, times = [], []
    for f in frames:
        t = time.perf_counter()
        dets = detector(f)
        times.append(time.perf_counter() - t)
        if tracked:
            tracks = tracker.update(dets, np.full((len(dets), 7), 1 / 7, np.float32))
            preds.append(np.array([tr.xyxy for tr in tracks], np.float32).reshape(-1, 4))
        else:
            preds.append(dets.xyxy)
    return preds, 1000 * float(np.mean(times))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--video", default=str(MEDIA / "crowd_1080p.mp4"))
    ap.add_argument("--ref", default=str(MEDIA / "crowd_1080p_faces.json"))
    ap.add_argument("--config", action="append", help="GRID:VIEWS:CONF, e.g. 4x3:2:0.5; 'haar'")
    args = ap.parse_args()
    frames = read_frames(args.video)
    refs = load_reference(args.ref)
    configs = args.config or ["1x1:0:0.5", "4x3:0:0.5", "4x3:2:0.5", "4x3:3:0.5", "5x3:3:0.5", "haar"]
    print("| detector | grid | views/frame | min conf | tracked | recall | worst frame | unmatched/frame | detect ms/frame |")
    print("|---|---|---|---|---|---|---|---|---|")
    for cfg in configs:
        if cfg == "haar":
            det, grid, views, conf = HaarDetector(), "-", "-", "-"
        else:
            grid, views, conf = cfg.split(":")
            cols, rows = (int(v) for v in grid.split("x"))
            det = MediaPipeDetector(tiles=None if (cols, rows) == (1, 1) else (cols, rows),
                                    tiles_per_frame=int(views) or None, min_confidence=float(conf))
        for tracked in (False, True):
            preds, ms = run(frames, det, tracked)
            s = score(preds, refs)
            print(f"| {det.name} | {grid} | {views or 'all'} | {conf} | {'yes' if tracked else 'no'} | "
                  f"{s['recall']:.3f} | {s['worst_frame_recall']:.2f} | {s['unmatched_per_frame']:.2f} | {ms:.1f} |",
                  flush=True)
        det.close()


if __name__ == "__main__":
    main()
