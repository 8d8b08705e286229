"""Held-out presentations for the alert: ones benchmarks/alert_matrix.py does not contain and that nothing
in the rule was chosen on (written after the rule was fixed). Calm footage through a filter, heights,
frame rates and a codec outside the matrix (nearest-neighbour resizing, 480p, 432p, 10 and 20 fps, every
frame a JPEG of quality 30), and a calm-then-distressed queue of other faces at other times.

    python benchmarks/alert_heldout.py [--model candidate.tflite]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import alert_matrix as am  # noqa: E402
from benchmarks import presentations as pr  # noqa: E402

CALM = [(pr.Variant("street", "nearest", 480, "jpeg30", 10.0), "fwd+bwd", 60.0),
        (pr.Variant("street", "linear", 432, "h264", 20.0), "fwd", 60.0),
        (pr.Variant("hikers", "nearest", 480, "h264", 10.0), "fwd+bwd", 60.0),
        (pr.Variant("marathon", "cubic", 432, "jpeg30", 20.0), "fwd+bwd", 60.0),
        (pr.Variant("walkers", "nearest", 600, "jpeg30", 10.0), "fwd", 60.0),
        (pr.Variant("queue", "linear", 480, "mp4v", 20.0), "fwd+bwd", 60.0)]
# two of five calm people turn unhappy at 20 s and leave at 35 s (an alert within 6 s, cleared after 36.5 s)
TURN = [(pr.Variant("heldout-turn", "linear", 720, "h264", 20.0), (20.0, 36.5)),
        (pr.Variant("heldout-turn", "nearest", 480, "jpeg30", 10.0), (20.0, 36.5))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="", help="emotion model .tflite (default: the shipped one)")
    args = ap.parse_args()
    configs = am.configs()
    print("| held-out presentation | seconds | " + " | ".join(configs) + " | lowest group fall | longest turn held (s) |")
    print("|---|---|" + "---|" * len(configs) + "---|---|")
    for v, loop, seconds in CALM:
        frames = am.tracks_of(v, (loop,), seconds, args.model)[loop]
        res = {n: am.replay(frames, c) for n, c in configs.items()}
        cells = ["ok" if not any(e[0] == "alert" for e in r["events"]) else
                 "FAIL: " + ", ".join(f"{e[1]:.1f} s {e[2]}" for e in r["events"] if e[0] == "alert") for r in res.values()]
        print(f"| {v.key} {loop} | {seconds:g} | " + " | ".join(cells) +
              f" | {res['default']['low']:+.2f} | {res['default']['hold']:.1f} |", flush=True)
    pr.TURNS["heldout-turn"] = (20.0, 36.5)
    for v, _ in TURN:
        frames = am.tracks_of(v, ("once",), 3600.0, args.model)["once"]
        cells = []
        for c in configs.values():
            ok, text = am.turn_verdict("heldout-turn", am.replay(frames, c))
            cells.append(("ok: " if ok else "FAIL: ") + text)
        print(f"| {v.key} (2 of 5 turn at 20 s, leave at 35 s) | 45 | " + " | ".join(cells) + " | | |", flush=True)


if __name__ == "__main__":
    main()
