"""Face boxes of every detector setting on every shared clip, against the clips' reference boxes.

    python benchmarks/detection.py                 # both tables and the contact sheet
    python benchmarks/detection.py --skip-sweep    # only the end-to-end table

Table 1 (detector + tracker, as the pipeline runs them): recall against the MTCNN reference
(IoU >= 0.3, one-to-one), faces a frame, boxes a frame that match no reference, detector ms a frame.
Table 2 (end to end): ``emotion-monitor --video CLIP`` with default settings, recall and faces a
frame read back from its CSV, fps from its ``--stats-json``. The default's unmatched boxes of one
clip go to a contact sheet (``--sheet``) to be looked at: the references miss many small faces.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.boxes import load_reference, score, unmatched_boxes  # noqa: E402
from emotion_monitor.detection import HaarDetector, YuNetDetector  # noqa: E402
from emotion_monitor.detection.mediapipe import MediaPipeDetector  # noqa: E402
from emotion_monitor.tracking import Tracker  # noqa: E402

MEDIA = ROOT.parent / "shared" / "media"
CLIPS = ("crowd_1080p.mp4", "hikers_walking.mp4", "marathon_540p.mkv")
SETTINGS = {
    "yunet, width 960, every 2 frames (default)": lambda: YuNetDetector(max_width=960, every=2),
    "yunet, width 960, every frame": lambda: YuNetDetector(max_width=960, every=1),
    "yunet, width 960, every 3 frames": lambda: YuNetDetector(max_width=960, every=3),
    "yunet, width 640, every 2 frames": lambda: YuNetDetector(max_width=640, every=2),
    "yunet, width 1280, every 2 frames": lambda: YuNetDetector(max_width=1280, every=2),
    "mediapipe, 4x3 tiles, 1 view a frame": lambda: MediaPipeDetector(),
    "haar": lambda: HaarDetector(),
}


def read_frames(path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            return frames
        frames.append(f)


def run(frames, detector, fps=25.0):
    """Tracked boxes per frame (as the pipeline reports them) and mean detector ms a frame."""
    tracker = Tracker()  # as the pipeline builds it
    preds, times = [], []
    for i, f in enumerate(frames):
        t = time.perf_counter()
        dets = detector(f, hints=tracker.hints())
        times.append(time.perf_counter() - t)
        tracks = tracker.update(dets, np.full((len(dets), 7), 1 / 7, np.float32), i / fps)
        preds.append(np.array([tr.xyxy for tr in tracks], np.float32).reshape(-1, 4))
    return preds, 1000 * float(np.mean(times))


def sweep(clips):
    print("| clip | detector setting | recall | worst frame | faces/frame | unmatched/frame | detect ms/frame |")
    print("|---|---|---|---|---|---|---|")
    for clip in clips:
        frames = read_frames(MEDIA / clip)
        refs = load_reference(MEDIA / (Path(clip).stem + "_faces.json"))
        n = min(len(frames), len(refs))
        for name, make in SETTINGS.items():
            det = make()
            preds, ms = run(frames[:n], det, cv2.VideoCapture(str(MEDIA / clip)).get(cv2.CAP_PROP_FPS) or 25.0)
            s = score(preds, refs[:n])
            faces = np.mean([len(p) for p in preds])
            print(f"| {clip} | {name} | {s['recall']:.3f} | {s['worst_frame_recall']:.2f} | {faces:.1f} | "
                  f"{s['unmatched_per_frame']:.2f} | {ms:.1f} |", flush=True)
            det.close()


def csv_boxes(path, frames):
    per = defaultdict(list)
    with open(path) as fh:
        for r in csv.DictReader(fh):
            x, y, w, h = (float(r[k]) for k in ("x", "y", "w", "h"))
            per[int(r["frame"])].append([x, y, x + w, y + h])
    return [np.array(per.get(i, []), np.float32).reshape(-1, 4) for i in range(frames)]


def end_to_end(clips, sheet_clip, sheet_path):
    exe = Path(sys.executable).parent / "emotion-monitor"
    print("| clip (emotion-monitor --video, defaults) | recall | faces/frame | reference faces/frame | "
          "unmatched/frame | fps (with decoding) |")
    print("|---|---|---|---|---|---|")
    for clip in clips:
        refs = load_reference(MEDIA / (Path(clip).stem + "_faces.json"))
        with tempfile.TemporaryDirectory() as tmp:
            out, stats = Path(tmp) / "rows.csv", Path(tmp) / "stats.json"
            subprocess.run([str(exe), "--video", str(MEDIA / clip), "--record", str(out), "--stats-json", str(stats),
                            "--quiet", "--privacy", "full"], check=True)  # full: the rows keep their boxes
            st = json.loads(stats.read_text())
            preds = csv_boxes(out, st["frames"])
        n = min(len(preds), len(refs))
        s = score(preds[:n], refs[:n])
        print(f"| {clip} | {s['recall']:.3f} | {np.mean([len(p) for p in preds[:n]]):.1f} | "
              f"{np.mean([len(r) for r in refs[:n]]):.1f} | {s['unmatched_per_frame']:.2f} | {st['fps']:.1f} |",
              flush=True)
        if clip == sheet_clip and sheet_path:
            contact_sheet(MEDIA / clip, preds[:n], refs[:n], sheet_path)


def contact_sheet(video, preds, refs, out_path, every=10, tile=96, cols=12):
    """Every ``every``-th frame's unmatched boxes, cut out with a margin, on one image."""
    frames = read_frames(video)
    tiles = []
    for i in range(0, len(preds), every):
        for x0, y0, x1, y1 in unmatched_boxes(preds[i], refs[i]):
            m = 0.25 * max(x1 - x0, y1 - y0)
            h, w = frames[i].shape[:2]
            a, b = int(max(0, x0 - m)), int(max(0, y0 - m))
            c, d = int(min(w, x1 + m)), int(min(h, y1 + m))
            if c - a < 2 or d - b < 2:
                continue
            t = cv2.resize(frames[i][b:d, a:c], (tile, tile))
            cv2.putText(t, str(i), (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 255, 255), 1, cv2.LINE_AA)
            tiles.append(t)
    if not tiles:
        return
    rows = [tiles[i:i + cols] for i in range(0, len(tiles), cols)]
    rows[-1] += [np.zeros_like(tiles[0])] * (cols - len(rows[-1]))
    cv2.imwrite(str(out_path), np.vstack([np.hstack(r) for r in rows]))
    print(f"\n{len(tiles)} unmatched boxes of {video.name} (every {every}th frame): {out_path}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clip", action="append", choices=CLIPS, help="default: all shared clips")
    ap.add_argument("--skip-sweep", action="store_true")
    ap.add_argument("--sheet", default=str(ROOT / "docs" / "unmatched_marathon.jpg"))
    ap.add_argument("--sheet-clip", default="marathon_540p.mkv")
    args = ap.parse_args()
    clips = args.clip or CLIPS
    if not args.skip_sweep:
        sweep(clips)
        print()
    end_to_end(clips, args.sheet_clip, args.sheet)


if __name__ == "__main__":
    main()
