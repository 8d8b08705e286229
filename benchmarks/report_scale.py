"""How long a session report takes on a long session: a 3-hour CSV, 10 faces a frame, 25 frames a second.

    python benchmarks/report_scale.py [--hours 3]

Writes the synthetic CSV (2.7 million rows for 3 hours) to a temporary folder, then times
``summarize`` (the streaming pass) and the whole ``emotion-monitor report`` to HTML, with the peak
resident memory of the report process.
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emotion_monitor.recording import (
    HEADER,  # noqa: E402
    iso_utc,  # noqa: E402
)
from emotion_monitor.types import LABELS  # noqa: E402


def write_csv(path: Path, hours: float, faces: int = 10, fps: int = 25) -> int:
    rng = np.random.default_rng(0)
    t0 = 1_795_000_000.0
    n = int(hours * 3600 * fps)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        mood = 0.0
        for i in range(n):
            ts = iso_utc(t0 + i / fps)
            mood = float(np.clip(mood + rng.normal(0, 0.01), -1, 1))
            alert = int(mood < -0.3)
            labels = rng.integers(0, 7, faces)
            for f in range(faces):
                face_id = (i // (fps * 60)) * faces + f  # new faces every minute
                w.writerow([ts, i, face_id, 100, 100, 60, 60, LABELS[labels[f]], "0.6", *["0.14286"] * 7,
                            f"{mood:.4f}", alert, "ok"])
    return n * faces


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=3.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.csv"
        t = time.perf_counter()
        rows = write_csv(path, args.hours)
        print(f"wrote {rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s")
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "emotion_monitor.cli", "report", str(path), "--out",
                               str(Path(tmp) / "r.html")], capture_output=True, text=True)
        wall = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        assert proc.returncode == 0, proc.stderr
        print(f"\n| session | rows | CSV MB | report wall s | peak RSS MB |\n|---|---|---|---|---|\n"
              f"| {args.hours:g} h, 10 faces a frame, 25 fps | {rows:,} | {path.stat().st_size / 1e6:.0f} | "
              f"{wall:.1f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
