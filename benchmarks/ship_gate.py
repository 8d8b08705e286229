"""Should a candidate emotion model replace the shipped one? Both measured in one run, each measure with
its 95% interval, and the candidate compared with the shipped model on the same faces and people.

    python benchmarks/ship_gate.py --model runs/kd/emotion.tflite                 # every part it can run
    python benchmarks/ship_gate.py --model cand.tflite --parts taggers            # PrivateTest only (~20 s)
    python benchmarks/ship_gate.py --model cand.tflite --matrix cand.md --matrix-baseline shipped.md

The candidate is an int8 .tflite with its calibrated .json beside it (``python -m training export``, then
``calibrate``), run as the app runs it: mirror average, calibration. Parts (``--parts``, all by default):

* ``taggers``: FER+ PrivateTest (majority vote, 3,349 faces) accuracy, the recall of each class, the
  share of its unhappy faces read unhappy (854) and of its neutral faces read unhappy (the calm face read
  sad, lower is better); FER2013 PrivateTest accuracy. One flag per face, so the two models are compared
  on the same faces (McNemar: benchmarks/gate_stats.py).
* ``speed``: end-to-end frames a second, as before (street >= 30, marathon >= 25, four 720p lanes keep
  >= 90% of their frames). A CPU busy with other work lowers both models alike.
* ``footage``: the unhappy composite over ``--seconds`` (110 s show 220 distinct faces, of which the
  detector finds 210; the gate needs >= 200 read: a share over fewer is too noisy to judge), each
  face read negative in most of its rows or not; the calm street and hikers,
  each tracked person (>= 10 rows) read negative in most of their rows or not.
* ``matrix``: the alert matrix's report (``benchmarks/alert_matrix.py --model FILE --out FILE``), read
  back: 0 false alerts on every calm presentation and every turn alerted in time and cleared.

The rule (:func:`decision`): SHIP when the candidate reads FER+ PrivateTest better beyond noise (the
difference's whole interval above 0), no measure is worse beyond noise (the difference's whole interval on
the worse side), the unhappy composite reads >= 70% of its faces negative, the hikers <= 3% of their
people, the frame rates hold and the matrix is clean. A condition not measured makes it UNDECIDED, never
SHIP. Each interval is 95%, one measure at a time: across the ~15 compared measures a candidate no better
and no worse than the shipped model shows one "worse beyond noise" by chance in up to about a quarter of runs,
so a failure there says "look", and a second run on other faces (held-out footage) decides.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks import gate_stats as st  # noqa: E402
from emotion_monitor.classifier import DEFAULT_MODEL  # noqa: E402
from emotion_monitor.types import LABELS  # noqa: E402

NEG = [LABELS.index(n) for n in ("angry", "disgust", "fear", "sad")]
NEUTRAL = LABELS.index("neutral")
PRIMARY = "FER+ PrivateTest accuracy"
SPEED_BARS = {"street 1080p, frames a second": 30.0, "marathon 540p, frames a second": 25.0,
              "four 720p lanes at 15 fps, frames kept (lowest)": 0.90}
CALM_CLIPS = ("crowd_1080p.mp4", "hikers_walking.mp4")
UNHAPPY = "unhappy composite: faces read negative"
# bars on the candidate's share itself (op, value); the share's interval is shown beside it
FOOTAGE_BARS = {UNHAPPY: (">=", 0.70), "hikers_walking.mp4: people read negative": ("<=", 0.03)}
MIN_COMPOSITE_FACES = 200
PARTS = ("taggers", "speed", "footage", "matrix")


@dataclass(frozen=True)
class Row:
    name: str
    bar: str
    shipped: str
    candidate: str
    diff: str
    ok: bool | None  # None: not measured


def compare(name: str, base, cand, higher: bool = True, primary: bool = False, bar=None, paired=True) -> Row:
    """A row for one measure from each model's flags (one per unit; ``paired``: the same units in the same
    order). ``higher``: a higher share is better. The primary measure must be better beyond noise; any
    other must not be worse beyond noise; ``bar`` (op, value) also bounds the candidate's own share."""
    sb, sc = st.share_of(base), st.share_of(cand)
    d = st.paired(base, cand) if paired else st.independent(sb, sc)
    better, worse = (d.above(), d.below()) if higher else (d.below(), d.above())
    ok = better if primary else not worse
    text = "better beyond noise" if primary else "not worse beyond noise"
    if bar is not None:
        op, value = bar
        ok = ok and (sc.p >= value if op == ">=" else sc.p <= value)
        text += f"; {op} {value:.0%}"
    return Row(name, text, sb.text(), sc.text(), d.text(), ok)


def tagger_rows(base: dict, cand: dict) -> list[Row]:
    """Rows from :func:`gate_measures.tagger_reads` of each model (the same faces in the same order)."""
    rows = []
    y, b, c = base["FER+"][0], base["FER+"][1], cand["FER+"][1]
    if not np.array_equal(y, cand["FER+"][0]):
        raise ValueError("the two models were read on different faces")
    rows.append(compare(PRIMARY, b == y, c == y, primary=True))
    y13 = base["FER2013"][0]
    rows.append(compare("FER2013 PrivateTest accuracy", base["FER2013"][1] == y13, cand["FER2013"][1] == y13))
    for k, name in enumerate(LABELS):
        m = y == k
        rows.append(compare(f"FER+ recall {name}", b[m] == k, c[m] == k))
    neg = np.isin(y, NEG)
    rows.append(compare("FER+ unhappy faces read unhappy", np.isin(b[neg], NEG), np.isin(c[neg], NEG)))
    calm = y == NEUTRAL
    rows.append(compare("FER+ neutral faces read unhappy", np.isin(b[calm], NEG), np.isin(c[calm], NEG),
                        higher=False))
    return rows


def people_row(name: str, base: dict, cand: dict, bar=None) -> Row:
    """Calm people read negative (lower is better): paired when both runs tracked the same people."""
    same = base.keys() == cand.keys()
    keys = sorted(base)
    return compare(name, [base[k] for k in keys] if same else list(base.values()),
                   [cand[k] for k in keys] if same else list(cand.values()), higher=False, bar=bar, paired=same)


def footage_rows(base: dict, cand: dict) -> list[Row]:
    """``base``/``cand``: ``{"composite": {face: flag}, clip: {person: flag}}``; the composite is judged on
    the faces both runs read (the detector is the same, so these are the same faces), at least 200."""
    faces = sorted(base["composite"].keys() & cand["composite"].keys())
    if len(faces) < MIN_COMPOSITE_FACES:
        raise ValueError(f"the composite must be read on >= {MIN_COMPOSITE_FACES} faces by both models, got "
                         f"{len(faces)}: give it more --seconds")
    rows = [compare(UNHAPPY, [base["composite"][f] for f in faces], [cand["composite"][f] for f in faces],
                    bar=FOOTAGE_BARS[UNHAPPY])]
    for clip in CALM_CLIPS:
        name = f"{clip}: people read negative"
        rows.append(people_row(name, base[clip], cand[clip], FOOTAGE_BARS.get(name)))
    return rows


def speed_rows(base: dict, cand: dict) -> list[Row]:
    """Rows for the end-to-end figures (``{name: value}`` with the names of :data:`SPEED_BARS`)."""
    show = lambda v: f"{v:.0%}" if v <= 1 else f"{v:.1f}"  # noqa: E731
    return [Row(name, f">= {show(bar)}", show(base[name]), show(cand[name]), "", cand[name] >= bar)
            for name, bar in SPEED_BARS.items()]


def matrix_rows(cand: dict, base: dict | None = None) -> list[Row]:
    """Rows from :func:`gate_measures.matrix_report`: no false alert, every turn ok. A turn the shipped
    model's report also fails for want of faces read ("read in") does not hold the candidate back."""
    b = base or {"false alerts": None, "turns": {}}
    rows = [Row("alert: false alerts on calm footage", "0", str(b["false alerts"] if base else "-"),
                f"{cand['false alerts']} in {cand['hours']:.2f} h", "", cand["false alerts"] == 0)]
    for name, verdict in cand["turns"].items():
        old = b["turns"].get(name, "-")
        unread = old.startswith("FAIL") and "read in" in verdict
        rows.append(Row(f"alert: {name}", "ok", old, verdict, "", verdict.startswith("ok") or unread))
    if not cand["turns"]:
        rows.append(Row("alert: turns", "ok", "-", "not in the report", "", None))
    return rows


def missing_rows(parts) -> list[Row]:
    """Rows saying which parts were not measured (they keep the verdict from SHIP)."""
    return [Row(f"{p}: not measured", "measured", "-", "-", "", None) for p in PARTS if p not in parts]


def decision(rows: list[Row]) -> str:
    """The verdict line: SHIP only when every condition was measured and holds."""
    failed = [r.name for r in rows if r.ok is False]
    if failed:
        return f"KEEP the shipped model: {len(failed)} failed ({'; '.join(failed)})"
    unmeasured = [r.name for r in rows if r.ok is None]
    if unmeasured or not any(r.name == PRIMARY for r in rows):
        return f"UNDECIDED: what was measured holds; not measured: {'; '.join(unmeasured) or PRIMARY}"
    return "SHIP: every condition holds"


def table(rows: list[Row], base: str, cand: str) -> list[str]:
    holds = {True: "yes", False: "NO", None: "-"}
    out = [f"| measure | condition | {base} | {cand} | candidate - shipped, points [95%] | holds |",
           "|---|---|---|---|---|---|"]
    out += [f"| {r.name} | {r.bar} | {r.shipped} | {r.candidate} | {r.diff} | {holds[r.ok]} |" for r in rows]
    return out


def speeds(model: str) -> dict:
    """The end-to-end figures of :data:`SPEED_BARS` for ``model`` at the app's read rate."""
    from benchmarks import read_rate
    from emotion_monitor.settings import Settings

    load = os.getloadavg()[0]
    if load > 0.5 * (os.cpu_count() or 1):
        print(f"ship_gate: the CPU is busy (load {load:.1f}): frame rates are lower than on a quiet machine",
              file=sys.stderr)
    rate = Settings().read_rate
    names = list(SPEED_BARS)
    return {names[0]: read_rate.speed("crowd_1080p.mp4", rate, model)[0],
            names[1]: read_rate.speed("marathon_540p.mkv", rate, model)[0], names[2]: read_rate.lanes(rate, model)}


def footage(model: str, seconds: float) -> dict:
    from benchmarks import gate_measures as gm

    out: dict = {"composite": gm.composite_faces(model, seconds)}
    for clip in CALM_CLIPS:
        out[clip] = gm.calm_people(model, clip)
    print(f"  footage of {model}: " + ", ".join(f"{k} {sum(v.values())} of {len(v)}" for k, v in out.items()),
          file=sys.stderr, flush=True)
    return out


def measure(parts, base: str, cand: str, seconds: float, matrix: str, matrix_base: str) -> list[Row]:
    from benchmarks import gate_measures as gm

    rows: list[Row] = []
    if "taggers" in parts:
        rows += tagger_rows(gm.tagger_reads(base), gm.tagger_reads(cand))
    if "speed" in parts:
        rows += speed_rows(speeds(base), speeds(cand))
    if "footage" in parts:
        rows += footage_rows(footage(base, seconds), footage(cand, seconds))
    if "matrix" in parts:
        if not matrix:
            rows.append(Row("alert matrix", "a report (--matrix)", "-", "not given", "", None))
        else:
            report = gm.matrix_report(matrix)
            named = DEFAULT_MODEL if report["model"] == "shipped model" else Path(report["model"])
            if Path(named).resolve() != Path(cand).resolve():
                raise SystemExit(f"ship_gate: {matrix} is the matrix of {report['model']}, not of {cand}")
            rows += matrix_rows(report, gm.matrix_report(matrix_base) if matrix_base else None)
    return rows + missing_rows(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="candidate int8 .tflite with its calibrated .json beside it")
    ap.add_argument("--baseline", default=str(DEFAULT_MODEL), help="the model to beat (default: the shipped one)")
    ap.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {','.join(PARTS)}")
    ap.add_argument("--seconds", type=float, default=110.0,
                    help="the unhappy composite's length (110 s show 220 faces; YuNet reads 210)")
    ap.add_argument("--matrix", default="", help="the candidate's alert_matrix.py --out report")
    ap.add_argument("--matrix-baseline", default="", help="the shipped model's report, for turns no model can read")
    ap.add_argument("--out", default="", help="also write the table to this markdown file")
    args = ap.parse_args()
    parts = [p for p in args.parts.split(",") if p]
    if unknown := [p for p in parts if p not in PARTS]:
        raise SystemExit(f"ship_gate: unknown part {unknown[0]!r} (parts: {', '.join(PARTS)})")
    for path in (args.model, args.baseline, args.matrix, args.matrix_baseline):
        if path and not Path(path).is_file():
            raise SystemExit(f"ship_gate: {path}: no such file")
    rows = measure(parts, args.baseline, args.model, args.seconds, args.matrix, args.matrix_baseline)
    base = "shipped" if Path(args.baseline).resolve() == Path(DEFAULT_MODEL).resolve() else args.baseline
    lines = [*table(rows, base, args.model), "", decision(rows)]
    print("\n".join(lines))
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
