"""LiteRT milliseconds per batch for the shipped emotion model (1, 6, 8, 24 and 40 faces), 2 threads, with
and without the mirror-image average (the app's default), everything included (contrast stretch,
calibration).

    python benchmarks/classifier.py [--model models/emotion.tflite]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from emotion_monitor.classifier import DEFAULT_MODEL, EmotionClassifier  # noqa: E402


def milliseconds(clf: EmotionClassifier, n: int, runs: int = 200, seed: int = 0) -> list[float]:
    """Milliseconds of ``runs`` calls of ``clf`` on ``n`` random faces, after 10 warm-up calls."""
    x = np.random.default_rng(seed).integers(0, 255, (n, clf.size, clf.size), dtype=np.uint8)
    for _ in range(10):
        clf(x)
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        clf(x)
        ts.append((time.perf_counter() - t) * 1000)
    return ts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(DEFAULT_MODEL))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    size = Path(args.model).stat().st_size / 1e6
    print("| faces | mirror average | median ms | p95 ms | ms per face |")
    print("|---|---|---|---|---|")
    for flip in (False, True):
        clf = EmotionClassifier(args.model, threads=args.threads, flip_average=flip)
        for n in (1, 6, 8, 24, 40):
            ts = milliseconds(clf, n, args.runs)
            med = float(np.median(ts))
            print(f"| {n} | {'yes' if flip else 'no'} | {med:.2f} | {np.percentile(ts, 95):.2f} | {med / n:.3f} |")
        clf.close()
    print(f"\n{Path(args.model).name} ({clf.meta.get('quantization')}, {size:.2f} MB), LiteRT, {args.threads} threads")


if __name__ == "__main__":
    main()
