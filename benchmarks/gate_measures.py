"""What the ship gate measures, one flag per unit judged (a face, a person), so that every share gets an
interval by count of units and two models can be compared on the same units (benchmarks/gate_stats.py).

* :func:`tagger_reads`: each PrivateTest face's label and the model's reading, as the app reads a crop
  (int8 file, mirror average, calibration; ``EmotionClassifier``), FER+ majority votes and FER2013 labels.
* :func:`composite_faces`: the unhappy composite (benchmarks/composite.py) through the real pipeline, one
  flag per distinct FER+ face: read negative in most of its tracked rows. 100 s show 200 faces.
* :func:`calm_people`: a calm clip through the real pipeline, one flag per tracked person (a track with
  at least ``MIN_ROWS`` rows): read negative in most of their rows.
* :func:`matrix_report`: the alert matrix's own report (``alert_matrix.py --out FILE``), read back rather
  than run again: the matrix takes about an hour a model on 2 cores and its owner runs it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from benchmarks import composite

DATA = composite.SHARED / "data"
MIN_ROWS = 10  # rows a track needs to count as a person (shorter ones are the tracker's fragments)


def tagger_reads(model: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{"FER+": (labels, readings), "FER2013": (labels, readings)}`` over PrivateTest (3,349 / 3,589)."""
    from emotion_monitor.classifier import EmotionClassifier
    from training import data, ferplus

    ds = data.load(DATA / "fer2013.tar.xz")
    x_fp, y_fp = ferplus.split_majority(ds, DATA / "ferplus_votes.csv", "PrivateTest")
    private = ds.usage == data.USAGES.index("PrivateTest")
    clf = EmotionClassifier(model, flip_average=True)
    read = lambda x: np.concatenate([clf(x[i:i + 256]).argmax(1) for i in range(0, len(x), 256)])  # noqa: E731
    out = {"FER+": (np.asarray(y_fp), read(x_fp)), "FER2013": (ds.labels[private], read(ds.images[private]))}
    clf.close()
    return out


def majority_negative(rows) -> dict:
    """``{unit: read negative in more than half its rows}`` from ``(unit, probabilities)`` rows."""
    from benchmarks.wild import reads_negative

    by: dict = defaultdict(list)
    for unit, probs in rows:
        by[unit].append(probs)
    return {u: bool(reads_negative(np.array(p)).mean() > 0.5) for u, p in by.items()}


def composite_faces(model: str, seconds: float = 100.0, read_rate: float | None = None) -> dict[int, bool]:
    """``{face index: read negative}`` for each distinct face the unhappy composite shows in ``seconds``."""
    from benchmarks import wild
    from emotion_monitor.settings import Settings

    images, _ = composite.labelled_faces("negative")
    ids = [str(i) for i in range(len(images))]
    make = lambda: composite.frames("negative", seconds, faces=(images, ids))  # noqa: E731
    rate = Settings().read_rate if read_rate is None else read_rate
    rows = wild.run_clip(make, 25.0, model, read_rate=rate)[0]
    return {int(k): v for k, v in majority_negative((r[0], r[1]) for r in rows).items()}


def calm_people(model: str, clip: str, read_rate: float | None = None) -> dict[int, bool]:
    """``{track id: read negative}`` for each person (>= MIN_ROWS rows) of a calm clip, every frame."""
    from benchmarks import wild
    from emotion_monitor.settings import Settings

    fps = 29.97 if clip.startswith("hikers") else 25.0
    rate = Settings().read_rate if read_rate is None else read_rate
    rows = wild.run_clip(lambda: wild.video_frames(wild.MEDIA / clip, "neutral"), fps, model, read_rate=rate)[0]
    counts: dict = defaultdict(int)
    for r in rows:
        counts[r[3]] += 1
    return majority_negative((r[3], r[1]) for r in rows if counts[r[3]] >= MIN_ROWS)


def _table(lines: list[str], start: int) -> list[dict[str, str]]:
    """The markdown table whose header is ``lines[start]``, as dicts by column name."""
    cells = lambda line: [c.strip() for c in line.strip().strip("|").split("|")]  # noqa: E731
    head = cells(lines[start])
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(dict(zip(head, cells(line))))
    return rows


def matrix_report(path: str | Path) -> dict:
    """``{"model", "false alerts", "hours", "turns": {case presentation: verdict}}`` of an alert-matrix report
    (the default rule's columns); a clear one-line error when the file is not such a report."""
    text = Path(path).read_text()
    lines = text.splitlines()
    head = re.match(r"# The alert's presentation matrix \((.*?)(?:, read rate [^;]*)?; mood", lines[0] if lines else "")
    calm = next((i for i, s in enumerate(lines) if s.startswith("| clip |") and "false alerts (default)" in s), None)
    if head is None or calm is None:
        raise ValueError(f"{path}: not a report of benchmarks/alert_matrix.py --out (no header or calm table)")
    total = next((r for r in _table(lines, calm) if r["clip"] == "**all**"), None)
    if total is None:
        raise ValueError(f"{path}: the calm table has no **all** row")
    turns = {}
    at = next((i for i, s in enumerate(lines) if s.startswith("| case |")), None)
    for r in _table(lines, at) if at is not None else []:
        turns[f"{r['case']} {r['presentation']}"] = r["default"]
    return {"model": head.group(1), "false alerts": int(total["false alerts (default)"]),
            "hours": float(total["hours"]), "turns": turns}
