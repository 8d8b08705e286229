"""What reading each face less often costs and saves: the pipeline's ``--read-rate`` against reading every face
on every frame.

    python benchmarks/read_rate.py [--rates 0,10,6,3] [--model cand.tflite] [--quick]

Per read rate, one table row:

* readings a face a second, and end-to-end frames a second on 2 cores (every frame of the street clip and
  of the marathon, decoded first, three passes; the emotion model with its mirror average);
* four 720p street lanes in real time at 15 fps (benchmarks/multi.py): the lowest share of frames kept;
* the unhappy FER+ composite of benchmarks/wild.py (tracked rows reading negative) and the hikers (the
  same, calm: no higher);
* the alert's cases as made (benchmarks/alert_matrix.py): the turn's delay, the lone unhappy face's, the
  arrival's mark; and the calm clips as made, both loops: false alerts.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import alert_matrix as am  # noqa: E402
from benchmarks import presentations as pr  # noqa: E402
from benchmarks import wild  # noqa: E402
from benchmarks.detection import MEDIA, read_frames  # noqa: E402
from emotion_monitor.app import build_pipeline  # noqa: E402
from emotion_monitor.settings import Settings  # noqa: E402
from emotion_monitor.types import Frame  # noqa: E402


class Counting:
    """The classifier, counting the faces it reads."""

    def __init__(self, inner):
        self.inner, self.faces = inner, 0
        self.size, self.name = inner.size, inner.name

    def __call__(self, crops):
        self.faces += len(crops)
        return self.inner(crops)

    def close(self):
        self.inner.close()


def speed(clip: str, rate: float, model: str, passes: int = 3) -> tuple[float, float]:
    """(frames a second end to end, readings a face a second) over ``passes`` passes of every frame."""
    import cv2

    frames, fps = read_frames(MEDIA / clip), cv2.VideoCapture(str(MEDIA / clip)).get(cv2.CAP_PROP_FPS)
    pipe = build_pipeline(Settings(model=model, read_rate=rate))
    pipe.classifier = counting = Counting(pipe.classifier)
    pipe.process(Frame(frames[0], 0, 0.0, 0.0))  # warm-up: the models' lazy set-up
    pipe.reset()
    counting.faces = tracked = n = 0
    t0 = time.perf_counter()
    for _ in range(passes):
        for img in frames:
            r = pipe.process(Frame(img, n, 0.0, n / fps))
            n += 1
            tracked += len(r.tracks) if r else 0
    wall = time.perf_counter() - t0
    pipe.close()
    return n / wall, counting.faces / max(tracked, 1) * fps


def lanes(rate: float, model: str) -> float:
    from benchmarks import multi

    r = multi.play(multi.clip("720p", 15), 4, 20.0, settings=multi.MULTI_DEFAULTS.changed(model=model, read_rate=rate))
    return min(r["kept"])


def unhappy_and_hikers(rate: float, model: str) -> tuple[float, float]:
    out = []
    for name, make, fps in wild.clips(20.0):
        if name.startswith(("FER+ negative", "hikers")):
            rows = wild.run_clip(make, fps, model, read_rate=rate)[0]
            out.append(float(wild.reads_negative([r[1] for r in rows]).mean()))
    hikers, unhappy = out
    return unhappy, hikers


def alert_cases(rate: float, model: str, calm: bool) -> tuple[dict, int]:
    """{case: verdict text} of the turn cases as made, and the false alerts of the calm clips as made."""
    turns = {kind: am.turn_verdict(kind, res["default"])[1]
             for kind, _, res in am.turn_rows(model, read_rate=rate, presentations=am.TURN_PRESENTATIONS[:1])}
    false = 0
    if calm:
        rows = am.calm_matrix(20.0, 2, model, read_rate=rate, variants=[pr.Variant(c) for c in pr.CALM])
        false = sum(1 for r in rows for e in r[3]["default"]["events"] if e[0] == "alert")
    return turns, false


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", default="0,10,6,3", help="read rates a second, comma-separated (0: every frame)")
    ap.add_argument("--model", default="", help="emotion model .tflite (default: the shipped one)")
    ap.add_argument("--quick", action="store_true", help="speed and footage only (no lanes, no alert cases)")
    args = ap.parse_args()
    print(f"model: {args.model or 'shipped'}; CPU: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}\n")
    print("| read rate | readings a face a second (street) | street fps | marathon fps | 4x720p lanes kept | "
          "unhappy composite read negative | hikers read negative | turn | alone | arrival | calm false alerts |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for rate in (float(r) for r in args.rates.split(",")):
        street, reads = speed("crowd_1080p.mp4", rate, args.model)
        marathon, _ = speed("marathon_540p.mkv", rate, args.model)
        unhappy, hikers = unhappy_and_hikers(rate, args.model)
        if args.quick:
            kept, turns, false = "-", {}, "-"
        else:
            kept = f"{lanes(rate, args.model):.0%}"
            turns, n = alert_cases(rate, args.model, calm=True)
            false = str(n)
        print(f"| {'every frame' if not rate else f'{rate:g}/s'} | {reads:.1f} | {street:.1f} | {marathon:.1f} | "
              f"{kept} | {unhappy:.0%} | {hikers:.0%} | {turns.get('turn', '-')} | {turns.get('alone', '-')} | "
              f"{turns.get('arrival', '-')} | {false} |", flush=True)


if __name__ == "__main__":
    main()
