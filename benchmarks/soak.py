"""Resources: start-to-first-frame time and resident memory over a long run on the looped clip.

    python benchmarks/soak.py --minutes 10

Prints a markdown table: time from start to the first processed frame, RSS after warm-up (the
first 100 frames) and at the end, and the growth between them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

T0 = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GLOG_minloglevel", "2")


def rss_mb() -> float:
    with open("/proc/self/status") as fh:  # Linux; the soak is a Linux benchmark
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--video", default=str(ROOT / "assets" / "demo.mp4"))
    args = ap.parse_args()
    from emotion_monitor.app import build_pipeline, open_capture
    from emotion_monitor.settings import Settings

    pipe = build_pipeline(Settings())
    cap = open_capture(video=args.video).start()
    first = None
    frames = 0
    warm = None
    samples = []
    end = time.perf_counter() + args.minutes * 60
    while time.perf_counter() < end:
        f = cap.get(timeout=5)
        if f is None:  # loop the clip: a new capture, the same pipeline (tracks carry on)
            cap.stop()
            cap = open_capture(video=args.video).start()
            continue
        pipe.process(f)
        frames += 1
        if first is None:
            first = time.perf_counter() - T0
        if frames == 100:
            warm = rss_mb()
        if frames % 500 == 0:
            samples.append((time.perf_counter() - T0, rss_mb()))
            print(f"{samples[-1][0]:7.0f} s  {frames:7d} frames  RSS {samples[-1][1]:.1f} MB", flush=True)
    cap.stop()
    final = rss_mb()
    pipe.close()
    print()
    print("| soak | start to first frame | frames | RSS after warm-up | RSS at end | growth |")
    print("|---|---|---|---|---|---|")
    print(f"| {args.minutes:g} min, looped {Path(args.video).name} | {first:.2f} s | {frames} | {warm:.1f} MB | "
          f"{final:.1f} MB | {final - warm:+.1f} MB |")


if __name__ == "__main__":
    main()
