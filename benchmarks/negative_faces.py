"""The unhappy composite without the footage: how many of its faces a model reads negative one by one.

    python benchmarks/negative_faces.py [--model A.tflite --model B.tflite] [--teachers ferplus_teachers.npz]

The composite of ``benchmarks/wild.py`` shows FER+ PrivateTest faces whose majority vote is angry,
disgust, fear or sad: 40 of them in its default 20 s, 200 in 100 s, of 854. Here each face is read once
as the app reads a crop (int8 model, mirror average, calibrated; no detector, JPEG or tracking), and the
share read negative (angry, disgust, fear or sad on top) is printed for all 854, for the 40 and for the
200. Set beside ``wild.py``'s rows it tells whether a composite's figure comes from the pipeline or from
which faces it happens to show. ``--teachers`` adds the stored FER+ teachers (each face averaged with its
mirror image), which no app runs, as the bar a student is taught towards.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks import composite  # noqa: E402
from emotion_monitor.classifier import DEFAULT_MODEL, EmotionClassifier  # noqa: E402
from emotion_monitor.types import LABELS  # noqa: E402

NEG = [LABELS.index(n) for n in composite.NEGATIVE]


def negative_shares(probs: np.ndarray, order: np.ndarray, firsts=(40, 200)) -> list[float]:
    """Share of faces whose top class is negative: all of them, then the first ``firsts`` of ``order``."""
    neg = np.isin(np.asarray(probs).argmax(1), NEG)
    return [float(neg.mean())] + [float(neg[order[:n]].mean()) for n in firsts]


def teacher_probs(path: Path, pick: np.ndarray) -> dict[str, np.ndarray]:
    """Each stored teacher's probabilities (as is and mirrored, averaged) on the faces ``pick`` selects
    from the whole dataset, and the teachers averaged."""
    z = np.load(path)
    out = {f"teacher {k}": z[k].astype(np.float64).mean(axis=0)[pick] for k in z.files if k != "usage"}
    out["teachers averaged"] = np.mean(list(out.values()), axis=0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", action="append", help="a .tflite with its .json (repeat; default: the shipped one)")
    ap.add_argument("--teachers", type=Path, help="ferplus_teachers.npz: add the stored teachers' rows")
    args = ap.parse_args()
    images, _, pick = composite.labelled_faces("negative", where=True)
    order = composite.face_order(len(images))
    rows = {}
    for path in args.model or [str(DEFAULT_MODEL)]:
        clf = EmotionClassifier(path, flip_average=True)
        rows[path] = np.concatenate([clf(images[i:i + 256]) for i in range(0, len(images), 256)])
    if args.teachers:
        rows.update(teacher_probs(args.teachers, pick))
    n40, n200 = (composite.shown(len(images), s) for s in (20, 100))
    print(f"| model | all {len(images)} faces | the {n40} of the 20 s composite | the {n200} of 100 s |")
    print("|---|---|---|---|")
    for name, probs in rows.items():
        shares = negative_shares(probs, order, (n40, n200))
        print(f"| {name} | " + " | ".join(f"{s:.1%}" for s in shares) + " |")


if __name__ == "__main__":
    main()
