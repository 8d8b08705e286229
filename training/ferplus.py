"""FER+ labels (Barsoum et al. 2016): ten taggers' votes per FER2013 face, joined to our archive.

``ferplus_votes.csv`` (see ../shared/data/README_ferplus.txt) names each image by its path inside
fer2013.tar.xz; :func:`load_votes` puts its rows in the dataset's canonical order (usage, file name,
label), so row ``i`` of the votes belongs to ``dataset.images[i]``.

Two protocols of the FER+ paper are used:
- *probability* (training): the votes, with single votes removed as outliers (the paper's
  ``emotion_raw < 1`` rule in FERPlus' code), normalised over our seven emotions. **Contempt is
  dropped**: its votes are removed before normalising, and faces whose top vote is contempt leave the
  training set (it is not one of the app's seven classes, and folding it into disgust or anger would
  teach a mapping FER+'s taggers did not make). Faces whose top vote is unknown or not-a-face are left
  out too.
- *majority* (evaluation): the top vote among the raw counts; faces whose top vote is contempt,
  unknown, not-a-face, or tied between two classes are left out; the label is one of the seven.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from .data import LABELS, USAGES, Dataset

COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF")
# FER+ column of each of our labels, in LABELS order (angry, disgust, fear, happy, neutral, sad, surprise)
EMOTION_COLUMNS = [COLUMNS.index(c) for c in ("anger", "disgust", "fear", "happiness", "neutral", "sadness", "surprise")]


def load_votes(csv_path: str | Path, ds: Dataset) -> np.ndarray:
    """float32 (N, 10) vote counts in ``ds``'s order (all zeros where FER+ has no label)."""
    rows = []
    with open(csv_path, newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"member", *COLUMNS} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{csv_path}: missing column(s) {', '.join(sorted(missing))}")
        for row in reader:
            parts = Path(row["member"]).parts
            cls, fname = parts[-2], parts[-1]
            usage = USAGES.index(fname.split("_", 1)[0])
            votes = [float(row[c]) if row[c] not in ("", None) else 0.0 for c in COLUMNS]
            rows.append((usage, fname, LABELS.index(cls), votes))
    if len(rows) != len(ds):
        raise ValueError(f"{csv_path}: {len(rows)} rows for {len(ds)} images: not the votes of this dataset")
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    labels = np.array([r[2] for r in rows])
    usage = np.array([r[0] for r in rows])
    if not (np.array_equal(labels, ds.labels) and np.array_equal(usage, ds.usage)):
        raise ValueError(f"{csv_path}: rows do not line up with the dataset's images (another archive?)")
    return np.array([r[3] for r in rows], np.float32)


def probabilities(votes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities (N, 7) in LABELS order, usable mask): the FER+ probability protocol, contempt
    dropped; faces with no votes, or whose top vote is contempt, unknown or not-a-face, are unusable."""
    v = np.where(votes <= 1.0, 0.0, votes)  # single votes are outliers (FER+ code)
    emo = v[:, EMOTION_COLUMNS]
    top = v.argmax(1)
    usable = (emo.sum(1) > 0) & np.isin(top, EMOTION_COLUMNS)
    probs = emo / np.maximum(emo.sum(1, keepdims=True), 1e-9)
    return probs.astype(np.float32), usable


def majority(votes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels (N,) in LABELS order, mask): the majority protocol for evaluation (raw votes; top vote
    contempt, unknown, not-a-face or tied left out)."""
    top = votes.argmax(1)
    top_count = votes.max(1)
    tied = (votes == top_count[:, None]).sum(1) > 1
    keep = (top_count > 0) & ~tied & np.isin(top, EMOTION_COLUMNS)
    to_label = {col: i for i, col in enumerate(EMOTION_COLUMNS)}
    labels = np.array([to_label.get(int(t), -1) for t in top], np.int64)
    return labels, keep


def split_majority(ds: Dataset, csv_path: str | Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of one split's faces that have a FER+ majority label (:func:`majority`):
    what evaluation, calibration and the soup's choice of mix score against."""
    labels, keep = majority(load_votes(csv_path, ds))
    m = (ds.usage == USAGES.index(split)) & keep
    return ds.images[m], labels[m]


def soft_labels(ds: Dataset, votes: np.ndarray, fer2013_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Training targets (N, 7) and mask: ``(1 - w) * FER+ probabilities + w * FER2013 one-hot``.

    The FER2013 share keeps a trace of the original, often unhappy, label where FER+ taggers split
    between it and neutral. Faces without usable FER+ votes keep their FER2013 label alone unless the
    taggers called them not a face or unknown.
    """
    if not 0.0 <= fer2013_weight <= 1.0:
        raise ValueError(f"the FER2013 weight must be in [0, 1], got {fer2013_weight}")
    probs, usable = probabilities(votes)
    onehot = np.eye(len(LABELS), dtype=np.float32)[ds.labels]
    targets = np.where(usable[:, None], (1 - fer2013_weight) * probs + fer2013_weight * onehot, onehot)
    no_votes = votes.sum(1) == 0
    return targets.astype(np.float32), usable | no_votes
