"""Ids on the looped demo when a loaded machine drops frames, offline and repeatable (#52).

    python benchmarks/demo_ids.py [--seconds 125] [--keep 1,0.35] [--seeds 2]

A real run (``emotion-monitor --video assets/demo.mp4 --realtime --loop`` with both cores busy) keeps
about a third of the frames (1,095 of 3,105 in 125 s), and which ones depends on the moment. Here the
demo clip (the street forwards, then backwards: 208 frames) is played looped through the app's pipeline
and frames are skipped as such a run skips them: the gap to the next frame analysed is drawn from a gamma
distribution (shape 4) whose mean is 1 / ``keep`` frames, seeded, so two versions of the tracker can be
compared on the same drops. ``keep`` 1 analyses every frame.

Measured, a row per (keep, seed):

* **ids**: ids the tracker issued (the issue's bar: the distinct people + 2);
* **people**: the people of the reference, each a track of >= 20 frames when every frame of the forward
  half is analysed once (the same source frame is the same image in every pass, and the backwards half
  shows the forward frames again);
* **switches**: how often a reference person's box (IoU > 0.5 with a reported track, on the same source
  frame) changed id from one time they were found to the next; 0 when ids hold;
* **ids worn**: distinct ids the reference people wore, summed over people (= people when ids hold);
* **IDF1**: ``motmetrics``' identity F1 of the reported boxes against the reference people (one person in
  every pass is one identity, IoU >= 0.5): an id handed from one person to another costs as much as a new
  one, so recycling lost ids among people (few ids, many switches) does not score well.

The reference's own mistakes count as switches too (two of its people swap once at every-frame rates),
so compare rows, not the figure with 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.detection import read_frames  # noqa: E402
from emotion_monitor.app import build_pipeline  # noqa: E402
from emotion_monitor.build import DEMO_CLIP  # noqa: E402
from emotion_monitor.detection.yunet import YuNetDetector  # noqa: E402
from emotion_monitor.matching import stacked_on  # noqa: E402
from emotion_monitor.settings import Settings  # noqa: E402
from emotion_monitor.tracking import greedy_match, iou_matrix  # noqa: E402
from emotion_monitor.types import Frame  # noqa: E402

FORWARD = 105  # the demo's forward half; frame k >= 105 shows source frame 208 - k


def source_frame(k: int) -> int:
    return k if k < FORWARD else 208 - k


def reference(frames: list[np.ndarray], min_frames: int = 20, gap: int = 15) -> dict[int, dict[int, np.ndarray]]:
    """Each reference person's box on each source frame of the forward half: the detector's boxes on every
    frame (searched whole), chained from frame to frame by overlap (IoU >= 0.3 with the chain's last box, at
    most ``gap`` frames back), then what is left by nearness (centres within 0.8 of a face's size: the man
    in glasses is hidden 3 frames behind the boy and comes out beside where he went in); greedy, one box a
    chain. No appearance and no velocity: a chain does not jump to another person, as the app's own tracker,
    used as a reference before, did twice a pass. Looked at on the frames (every chain drawn): 9 people.
    Chains of < ``min_frames`` frames are left out, and one on another's head (the red-haired man's hair)."""
    detector = YuNetDetector(every=1)
    chains: list[dict[int, np.ndarray]] = []
    for i in range(FORWARD):
        boxes = detector(frames[i]).xyxy
        live = [c for c in chains if i - max(c) <= gap]
        last = np.array([c[max(c)] for c in live], np.float32).reshape(-1, 4)
        pairs = greedy_match(iou_matrix(last, boxes), 0.3) if len(live) and len(boxes) else []
        rest_c = [r for r in range(len(live)) if r not in {r for r, _ in pairs}]
        rest_b = [b for b in range(len(boxes)) if b not in {b for _, b in pairs}]
        if rest_c and rest_b:
            size = np.sqrt((last[rest_c, 2] - last[rest_c, 0]) * (last[rest_c, 3] - last[rest_c, 1]))
            centres = (boxes[rest_b, :2] + boxes[rest_b, 2:]) / 2
            dist = np.linalg.norm((last[rest_c, None, :2] + last[rest_c, None, 2:]) / 2 - centres[None], axis=2)
            pairs += [(rest_c[r], rest_b[b]) for r, b in greedy_match(-dist / size[:, None], -0.8)]
        for r, c in pairs:
            live[r][i] = boxes[c].copy()
        chains += [{i: boxes[c].copy()} for c in set(range(len(boxes))) - {c for _, c in pairs}]
    detector.close()
    long = [c for c in chains if len(c) >= min_frames]
    return {p: chain for p, chain in enumerate((c for c in long if not _hair(c, long)), 1)}


def _hair(chain: dict[int, np.ndarray], chains: list[dict[int, np.ndarray]]) -> bool:
    """Whether a chain is a box on another person's head most of its frames (the red-haired man's hair)."""
    on = [stacked_on(box, np.array([c[i] for c in chains if c is not chain and i in c], np.float32).reshape(-1, 4))
          for i, box in chain.items()]
    return sum(on) > len(on) / 2


def looped_run(frames: list[np.ndarray], ref: dict, keep: float, seed: int, seconds: float) -> dict:
    """The looped demo with frames skipped as a loaded machine skips them; ids, switches, ids worn."""
    import motmetrics as mm

    rng = np.random.default_rng(seed)
    pipe = build_pipeline(Settings())
    acc = mm.MOTAccumulator(auto_id=True)
    last: dict[int, int | None] = {p: None for p in ref}
    worn: dict[int, set] = {p: set() for p in ref}
    switches = analysed = i = 0
    while i < seconds * 25:
        k = i % len(frames)
        r = pipe.process(Frame(frames[k], i, 1e9 + i / 25, i / 25))
        analysed += 1
        boxes = np.array([t.xyxy for t in r.tracks], np.float32).reshape(-1, 4)
        s = source_frame(k)
        here = [p for p, where in ref.items() if s in where]
        truth = np.array([ref[p][s] for p in here], np.float32).reshape(-1, 4)
        acc.update(here, [t.track_id for t in r.tracks],
                   np.where(iou_matrix(truth, boxes) >= 0.5, 1 - iou_matrix(truth, boxes), np.nan))
        for p, where in ref.items():
            if s not in where or not len(boxes):
                continue
            overlap = iou_matrix(where[s][None], boxes)[0]
            if overlap.max() > 0.5:
                now = r.tracks[int(overlap.argmax())].track_id
                switches += last[p] is not None and now != last[p]
                last[p] = now
                worn[p].add(now)
        i += 1 if keep >= 1 else max(1, int(round(rng.gamma(4.0, 1.0 / keep / 4.0))))
    ids = pipe.tracker.ids_issued
    pipe.close()
    idf1 = float(mm.metrics.create().compute(acc, metrics=["idf1"])["idf1"].iloc[0])
    return {"ids": ids, "switches": switches, "worn": sum(len(v) for v in worn.values()), "analysed": analysed,
            "idf1": idf1}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=125.0)
    ap.add_argument("--keep", default="1,0.35", help="shares of the frames analysed, comma-separated")
    ap.add_argument("--seeds", type=int, default=2, help="drop patterns a share below 1")
    args = ap.parse_args()
    frames = read_frames(DEMO_CLIP)
    ref = reference(frames)
    print(f"The demo looped {args.seconds:g} s ({len(frames)} frames a pass), {len(ref)} reference people\n")
    print("| frames kept | seed | frames analysed | ids | reference people | switches | ids worn | IDF1 |")
    print("|---|---|---|---|---|---|---|---|")
    for keep in (float(k) for k in args.keep.split(",")):
        for seed in range(1 if keep >= 1 else args.seeds):
            m = looped_run(frames, ref, keep, seed, args.seconds)
            print(f"| {keep:g} | {seed if keep < 1 else '-'} | {m['analysed']} | {m['ids']} | {len(ref)} | "
                  f"{m['switches']} | {m['worn']} | {m['idf1']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
