"""Identity: does a person keep one id? Ground truth on composites, ids per person on the shared clips.

    python benchmarks/identity.py [--seconds 30] [--sheets docs/]

1. Composites (benchmarks/composite.py ``people_frames``): six people with known ids walk, cross in
   front of each other, pass behind a pillar, turn to profile, leave the frame and come back, through
   the real pipeline (YuNet, classifier, tracker). MOT metrics by ``motmetrics`` (py-motmetrics):
   IDF1, ID switches, fragmentations, MOTA; a face counts as visible when half of it is in view, and
   a tracked box matches it at IoU >= 0.3. Switches are also given per 100 person-seconds.
2. The shared clips through ``emotion-monitor --video`` defaults: ids, ids living <= 5 rows, median
   rows per id, and with ``--sheets DIR`` a contact sheet per clip of each id's first and last crop
   (to count the people by eye).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
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

from benchmarks.composite import people_frames  # noqa: E402
from benchmarks.detection import MEDIA  # noqa: E402
from emotion_monitor.app import build_pipeline  # noqa: E402
from emotion_monitor.settings import Settings  # noqa: E402
from emotion_monitor.tracking import iou_matrix  # noqa: E402
from emotion_monitor.types import Frame  # noqa: E402

CLIPS = ("crowd_1080p.mp4", "marathon_540p.mkv", "hikers_walking.mp4")


def composite_metrics(seconds: float, fps: float = 25.0, settings: Settings | None = None) -> dict:
    """MOT metrics of the pipeline's tracks against the composite's people."""
    import motmetrics as mm

    pipe = build_pipeline(settings or Settings())
    acc = mm.MOTAccumulator(auto_id=True)
    person_frames = 0
    ids = set()
    t_track = []
    for i, (img, truth) in enumerate(people_frames(seconds, fps)):
        r = pipe.process(Frame(img, i, time.time(), i / fps))
        t_track.append(r.timings_ms["track"])
        seen = [t for t in truth if t[5] >= 0.5]
        person_frames += len(seen)
        gt = np.array([t[1:5] for t in seen], np.float32).reshape(-1, 4)
        hyp = np.array([t.xyxy for t in r.tracks], np.float32).reshape(-1, 4)
        ids |= {t.track_id for t in r.tracks}
        dist = 1 - iou_matrix(gt, hyp)
        dist[dist > 0.7] = np.nan
        acc.update([t[0] for t in seen], [t.track_id for t in r.tracks], dist)
    pipe.close()
    m = mm.metrics.create().compute(acc, metrics=["idf1", "num_switches", "num_fragmentations", "mota",
                                                  "recall", "precision"], name="c")
    row = {k: float(m[k].iloc[0]) for k in m.columns}
    person_seconds = person_frames / fps
    row.update(person_seconds=person_seconds, ids=len(ids), switches_per_100=100 * row["num_switches"] / person_seconds,
               track_ms_p50=float(np.percentile(t_track, 50)))
    return row


def clip_ids(clip: Path, sheet_dir: Path | None) -> dict:
    """Run the CLI on a clip; ids, short ids and median track length from its CSV (and a sheet)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.csv"
        subprocess.run([sys.executable, "-m", "emotion_monitor.cli", "--video", str(clip), "--record", str(out),
                        "--quiet", "--privacy", "full"], check=True, cwd=ROOT)  # full: the rows keep their boxes
        rows = list(csv.DictReader(out.open()))
    by_id: dict[int, list[dict]] = defaultdict(list)
    for r in rows:
        by_id[int(r["face_id"])].append(r)
    lengths = [len(v) for v in by_id.values()]
    if sheet_dir is not None:
        contact_sheet(clip, by_id, sheet_dir / f"identity_{clip.stem}.jpg")
    return {"clip": clip.name, "frames": len({r["frame"] for r in rows}), "rows": len(rows), "ids": len(by_id),
            "short": sum(n <= 5 for n in lengths), "median": statistics.median(lengths) if lengths else 0}


def contact_sheet(clip: Path, by_id: dict, out: Path, cell: int = 72) -> None:
    """One row per id: its first and last crop side by side, labelled with the id and its rows."""
    want = defaultdict(list)
    for fid, rs in by_id.items():
        for r in (rs[0], rs[-1]):
            want[int(r["frame"])].append((fid, r))
    crops: dict[int, list] = defaultdict(list)
    cap = cv2.VideoCapture(str(clip))
    i = 0
    while want:
        ok, img = cap.read()
        if not ok:
            break
        for fid, r in want.pop(i, []):
            x, y, w, h = (int(float(r[k])) for k in "xywh")
            c = img[max(0, y):y + h, max(0, x):x + w]
            crops[fid].append(cv2.resize(c, (cell, cell)) if c.size else np.zeros((cell, cell, 3), np.uint8))
        i += 1
    cap.release()
    tiles = []
    for fid in sorted(crops):
        pair = (crops[fid] + crops[fid][-1:])[:2]
        t = np.hstack([np.full((cell, 90, 3), 255, np.uint8), *pair])
        cv2.putText(t, f"#{fid}", (4, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 2)
        cv2.putText(t, f"{len(by_id[fid])} rows", (4, 58), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1)
        tiles.append(t)
    cols = 4
    while len(tiles) % cols:
        tiles.append(np.full_like(tiles[0], 255))
    sheet = np.vstack([np.hstack(tiles[k:k + cols]) for k in range(0, len(tiles), cols)])
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), sheet, [cv2.IMWRITE_JPEG_QUALITY, 80])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--sheets", type=Path, help="write a contact sheet of every id per clip here")
    ap.add_argument("--no-clips", action="store_true")
    args = ap.parse_args()
    m = composite_metrics(args.seconds)
    print(f"Composite: six people, {args.seconds:.0f} s at 25 fps, {m['person_seconds']:.0f} person-seconds in view")
    print()
    print("| IDF1 | ID switches | per 100 person-s | fragmentations | MOTA | recall | precision | ids | track ms p50 |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {m['idf1']:.3f} | {m['num_switches']:.0f} | {m['switches_per_100']:.2f} | {m['num_fragmentations']:.0f} "
          f"| {m['mota']:.3f} | {m['recall']:.3f} | {m['precision']:.3f} | {m['ids']} | {m['track_ms_p50']:.2f} |")
    if args.no_clips:
        return
    print()
    print("| clip | frames | rows | ids | ids living <= 5 rows | median rows per id |")
    print("|---|---|---|---|---|---|")
    for name in CLIPS:
        c = clip_ids(MEDIA / name, args.sheets)
        print(f"| {c['clip']} | {c['frames']} | {c['rows']} | {c['ids']} | {c['short']} | {c['median']:.0f} |")


if __name__ == "__main__":
    main()
