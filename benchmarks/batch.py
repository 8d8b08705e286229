"""Archive throughput: video-seconds analysed per wall-second, for 1 and 2 local jobs and for Ray.

    python benchmarks/batch.py [--copies 2]

The archive is ``--copies`` copies of each shared clip (../shared/media), analysed from scratch for
each setting into a fresh folder; prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emotion_monitor.batch import run_batch  # noqa: E402
from emotion_monitor.settings import Settings  # noqa: E402

MEDIA = ROOT.parent / "shared" / "media"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "archive"
        archive.mkdir()
        for k in range(args.copies):
            for clip in ("crowd_1080p.mp4", "hikers_walking.mp4", "marathon_540p.mkv"):
                shutil.copy(MEDIA / clip, archive / f"{k}-{clip}")
        print(f"Archive: {args.copies} copies of the 3 shared clips; {platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} cores\n")
        print("| setting | files | video s | wall s | throughput (video s / wall s) |")
        print("|---|---|---|---|---|")
        configs = [("1 job", dict(jobs=1)), ("2 jobs", dict(jobs=2)), ("Ray, local runtime (2 CPUs)", dict(ray_address="local")),
                   ("1 job, --sample-fps 5", dict(jobs=1, sample_fps=5))]
        for name, kw in configs:
            out = Path(tmp) / name.replace(" ", "_").replace(",", "")
            if kw.get("ray_address"):
                import ray

                ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level="ERROR", log_to_driver=False)
            s = run_batch(str(archive), str(out), Settings(), progress=False, **kw)
            if kw.get("ray_address"):
                import ray

                ray.shutdown()
            print(f"| {name} | {s['done']} | {s['video_seconds_analysed']:.1f} | {s['wall_seconds']:.1f} | "
                  f"{s['throughput']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
