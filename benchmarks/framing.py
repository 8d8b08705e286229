"""How FER2013 frames a face, measured with the app's own detector, so the runtime crop can match it.

    python benchmarks/framing.py --data ../shared/data/fer2013.tar.xz

Each FER2013 face (48x48) is upscaled 4x and set in the middle of a canvas three times its size
(border replicated), YuNet runs on it, and the box and landmarks are expressed in units of the
48-px image side, relative to its centre. Prints the medians (a markdown table): box width and
height, box centre offset, eye-line height and eye distance. emotion_monitor/crops.py takes its
framing constants from this table.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from emotion_monitor.detection import YuNetDetector  # noqa: E402


def measure(images: np.ndarray, up: int = 4) -> dict:
    det = YuNetDetector(every=1, max_width=10_000, score_threshold=0.5)
    side = images.shape[1] * up
    rows = []
    for img in images:
        big = cv2.resize(img, (side, side), interpolation=cv2.INTER_CUBIC)
        canvas = cv2.copyMakeBorder(big, side, side, side, side, cv2.BORDER_REPLICATE)
        d = det(cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR))
        if not len(d):
            continue
        i = int(np.argmax(d.confidence))
        x0, y0, x1, y1 = (d.xyxy[i] - side) / side  # units of the FER2013 image side, origin at its corner
        lm = (d.landmarks[i] - side) / side
        eyes = lm[:2]
        rows.append([x1 - x0, y1 - y0, (x0 + x1) / 2 - 0.5, (y0 + y1) / 2 - 0.5, eyes[:, 1].mean() - 0.5,
                     np.linalg.norm(eyes[0] - eyes[1])])
    r = np.array(rows)
    names = ["box width", "box height", "box centre x offset", "box centre y offset", "eye line y offset", "eye distance"]
    return {"found": len(r), "tried": len(images), **{n: (float(np.median(r[:, k])), float(np.percentile(r[:, k], 25)),
                                                         float(np.percentile(r[:, k], 75))) for k, n in enumerate(names)}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "fer2013.tar.xz"))
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args()
    from training import data

    x, _ = data.load(args.data).split("PublicTest")
    pick = np.random.default_rng(0).permutation(len(x))[: args.n]
    m = measure(x[pick])
    print(f"YuNet found a face in {m['found']} of {m['tried']} PublicTest images. "
          "Units: the FER2013 image side; offsets from its centre (+ is right / down).\n")
    print("| measure | median | 25% | 75% |")
    print("|---|---|---|---|")
    for k, v in m.items():
        if isinstance(v, tuple):
            print(f"| {k} | {v[0]:+.3f} | {v[1]:+.3f} | {v[2]:+.3f} |")


if __name__ == "__main__":
    main()
