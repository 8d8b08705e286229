"""End-to-end speed and face-box quality of the pipeline on crowd_1080p.mp4 (every frame).

    python benchmarks/pipeline.py [--video PATH] [--tiles-per-frame N]

Decodes the clip first (decoding is not the pipeline's cost), then runs every stage on every frame
and prints a markdown table: fps, per-stage p50/p95 ms, faces per frame, recall against the
reference boxes (IoU >= 0.3) and boxes per frame matching none.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.boxes import load_reference, score  # noqa: E402
from benchmarks.detection import MEDIA, read_frames  # noqa: E402
from emotion_monitor.app import build_pipeline  # noqa: E402
from emotion_monitor.pipeline import STAGES  # noqa: E402
from emotion_monitor.settings import Settings  # noqa: E402
from emotion_monitor.types import Frame  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--video", default=str(MEDIA / "crowd_1080p.mp4"))
    ap.add_argument("--ref", default=str(MEDIA / "crowd_1080p_faces.json"))
    ap.add_argument("--tiles-per-frame", type=int, default=Settings.tiles_per_frame)
    ap.add_argument("--repeat", type=int, default=2, help="passes over the clip (the first one warms up)")
    args = ap.parse_args()
    frames = read_frames(args.video)
    refs = load_reference(args.ref) if Path(args.ref).exists() else None
    rows = []
    for rep in range(args.repeat):
        pipe = build_pipeline(Settings(tiles_per_frame=args.tiles_per_frame))
        boxes = []
        t0 = time.perf_counter()
        for i, img in enumerate(frames):
            r = pipe.process(Frame(img.copy(), i, time.time(), i / 25))
            boxes.append(np.array([t.xyxy for t in r.tracks], np.float32).reshape(-1, 4))
        wall = time.perf_counter() - t0
        stats = pipe.stats()
        faces = np.mean([len(b) for b in boxes])
        pipe.close()
        rows.append((rep, wall, stats, faces, score(boxes, refs) if refs else None))
    rep, wall, stats, faces, q = rows[-1]
    print(f"Pipeline on {Path(args.video).name}: {len(frames)} frames, {frames[0].shape[1]}x{frames[0].shape[0]}, "
          f"{platform.processor() or platform.machine()} x{os.cpu_count()}, views/frame {args.tiles_per_frame}")
    print()
    print("| stage | p50 ms | p95 ms |")
    print("|---|---|---|")
    for k in STAGES:
        print(f"| {k} | {stats[k]['p50_ms']:.1f} | {stats[k]['p95_ms']:.1f} |")
    print()
    print("| fps (all frames) | fps (p50 frame) | faces/frame | recall | worst frame recall | unmatched/frame |")
    print("|---|---|---|---|---|---|")
    qs = (f"{q['recall']:.3f} | {q['worst_frame_recall']:.2f} | {q['unmatched_per_frame']:.2f}" if q else "- | - | -")
    print(f"| {len(frames) / wall:.1f} | {1000 / stats['total']['p50_ms']:.1f} | {faces:.2f} | {qs} |")


if __name__ == "__main__":
    main()
