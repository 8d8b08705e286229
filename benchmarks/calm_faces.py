"""Why do calm faces read sad? What separates the calm faces the shipped model reads sad from those it
reads neutral, on the shared clips (every face calm by eye) and on FER+'s own faces.

    nice python benchmarks/calm_faces.py [--model FILE.tflite] [--every 4] [--boot 1000]

Each clip (the street, the hikers, the marathon) runs through the app's pipeline on every frame (the
tracker needs them; YuNet searches every other frame); on every ``--every``-th frame each tracked face
is matched to its detection and measured, and its reading is the one the window shows (the track's
smoothed top class). Cues, from YuNet's five landmarks and the 48-px crop the model reads:

* ``nose drop``: the nose tip's height between the eye line and the mouth line (0 at the eyes, 1 at the
  mouth), measured across the eye line so a tilted head reads the same; a head bowed forward drops it
  towards the mouth (the first look of #49: 0.59 for the street's two walkers read sad, 0.54 for the rest);
* ``roll``: the eye line's angle (degrees, absolute); ``yaw``: the nose's offset along the eye line over
  the eye distance (the quality gate's measure);
* ``height``: the box's height in px; ``blur``: variance of the Laplacian of the crop (the gate's);
  ``brightness`` and ``contrast``: the crop's mean and standard deviation; ``score``: YuNet's confidence.
* Where the eyes look is not measured: YuNet gives each eye's centre, not its iris, and at 20-60 px a
  face's iris is 2-6 px.

Only faces read sad or neutral are compared. Per cue: the median of each group; the AUC (the chance that
a face read sad has the higher value; 0.5: the cue says nothing) with a 95% interval from resampling
*people* (tracks), not rows; the same per person (each person's mean, people read sad in most of their
rows against the rest); and within people seen both ways, the mean of (their sad rows - their neutral
rows), with a bootstrap interval. The FER+ part runs YuNet on PrivateTest and PublicTest faces upscaled
x4 with their border replicated (as benchmarks/composite.py shows them) and measures the same cues for
the taggers' sad against neutral faces, and for neutral faces the model reads sad against neutral.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from emotion_monitor.crops import crop_faces, roll_degrees  # noqa: E402
from emotion_monitor.types import LABELS, Frame  # noqa: E402

MEDIA = ROOT.parent / "shared" / "media"
CLIPS = {"crowd_1080p.mp4": 25.0, "hikers_walking.mp4": 29.97, "marathon_540p.mkv": 29.97}
CUES = ("nose drop", "roll", "yaw", "height", "blur", "brightness", "contrast", "score")
SAD, NEUTRAL = LABELS.index("sad"), LABELS.index("neutral")


def cues(landmarks: np.ndarray, xyxy: np.ndarray, crops: np.ndarray, scores: np.ndarray) -> dict[str, np.ndarray]:
    """The cues of :data:`CUES` for N faces: landmarks (N, 5, 2), boxes (N, 4), 48-px crops, detector scores."""
    lm = np.asarray(landmarks, np.float64).reshape(-1, 5, 2)
    eyes, nose, mouth = lm[:, :2].mean(1), lm[:, 2], lm[:, 3:].mean(1)
    along = lm[:, 1] - lm[:, 0]  # right eye -> left eye (image left to right on a frontal face)
    dist = np.maximum(np.linalg.norm(along, axis=1), 1e-6)
    u = along / dist[:, None]
    n = np.stack([-u[:, 1], u[:, 0]], 1)  # across the eye line
    n *= np.sign(((mouth - eyes) * n).sum(1, keepdims=True) + 1e-12)  # pointing from the eyes to the mouth
    depth = np.maximum(((mouth - eyes) * n).sum(1), 1e-6)
    return {"nose drop": ((nose - eyes) * n).sum(1) / depth,
            "roll": np.abs(roll_degrees(lm)),
            "yaw": np.abs(((nose - eyes) * u).sum(1)) / dist,
            "height": np.asarray(xyxy, np.float64).reshape(-1, 4)[:, 3] - np.asarray(xyxy).reshape(-1, 4)[:, 1],
            "blur": np.array([cv2.Laplacian(c, cv2.CV_32F).var() for c in crops], np.float64),
            "brightness": np.array([c.mean() for c in crops], np.float64),
            "contrast": np.array([c.std() for c in crops], np.float64),
            "score": np.asarray(scores, np.float64)}


def logit(probs) -> np.ndarray:
    """log(P(sad) / P(neutral)): how far a reading leans to sad, whatever its top class (one per row)."""
    p = np.asarray(probs, np.float64)
    return np.asarray(np.log(np.maximum(p[..., SAD], 1e-6) / np.maximum(p[..., NEUTRAL], 1e-6)))


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of each box of ``a`` (N, 4) with each of ``b`` (M, 4)."""
    lo, hi = np.maximum(a[:, None, :2], b[None, :, :2]), np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=2)
    area = lambda x: np.prod(x[:, 2:] - x[:, :2], axis=1)  # noqa: E731
    return inter / np.maximum(area(a)[:, None] + area(b)[None, :] - inter, 1e-9)


def clip_rows(clip: str, model: str, every: int) -> list[dict]:
    """One row per tracked face on every ``every``-th frame that YuNet searched: person, reading, cues."""
    from emotion_monitor.app import build_pipeline
    from emotion_monitor.settings import Settings

    pipe = build_pipeline(Settings(model=model, settle=0.5))
    cap = cv2.VideoCapture(str(MEDIA / clip))
    rows: list[dict] = []
    i = 0
    while True:
        ok, img = cap.read()
        if not ok:
            break
        r = pipe.process(Frame(img, i, 0.0, i / CLIPS[clip]))
        i += 1
        if r is None or (i - 1) % every or not len(r.detections) or not r.tracks:
            continue
        dets = r.detections
        boxes = np.array([t.xyxy for t in r.tracks], np.float32)
        match = iou(boxes, dets.xyxy)
        crops = crop_faces(r.frame.image, dets)
        cue = cues(dets.marks, dets.xyxy, crops, dets.confidence)
        for k, t in enumerate(r.tracks):
            j = int(match[k].argmax())
            if match[k, j] < 0.5 or not np.isfinite(dets.marks[j]).all():
                continue
            rows.append({"clip": clip, "person": f"{clip}#{t.track_id}", "read": int(np.argmax(t.probs)),
                         "logit": float(logit(t.probs)), "quality": t.quality, **{c: float(cue[c][j]) for c in CUES}})
    cap.release()
    pipe.close()
    return rows


def auc(sad: np.ndarray, values: np.ndarray, strata: np.ndarray | None = None) -> float:
    """The chance that a face read sad has the higher value than one read neutral *of the same stratum*
    (clip): each stratum's AUC weighted by its pairs, so that a cue that only tells the clips apart (the
    marathon's faces are small) does not count."""
    strata = np.zeros(len(sad), int) if strata is None else np.asarray(strata)
    num = den = 0.0
    for s in np.unique(strata):
        m = strata == s
        pairs = float(sad[m].sum()) * float((~sad[m]).sum())
        if pairs:
            num += pairs * float(roc_auc_score(sad[m], values[m]))
            den += pairs
    return num / den if den else float("nan")


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(spearmanr(x, y)[0])


def boot(stat, groups, n: int, seed: int = 0) -> tuple[float, float, float]:
    """``stat(index)`` on every row and its 95% interval from resampling ``groups`` (people) with replacement."""
    names, inverse = np.unique(np.asarray(groups), return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(names))]
    rng = np.random.default_rng(seed)
    got = [stat(np.concatenate([members[g] for g in rng.integers(0, len(names), len(names))])) for _ in range(n)]
    lo, hi = np.nanpercentile(got, [2.5, 97.5]) if np.isfinite(got).any() else (np.nan, np.nan)
    return stat(np.arange(len(inverse))), float(lo), float(hi)


def within_rho(rows: list[dict], cue: str, n: int, min_rows: int = 8) -> tuple[int, float, float, float]:
    """Each person seen in ``min_rows`` rows or more: Spearman's rho of the cue with their sad-neutral logit
    over time (their own face, so identity cannot explain it); the people's mean rho and its interval."""
    by: dict = defaultdict(list)
    for r in rows:
        by[r["person"]].append((r[cue], r["logit"]))
    rho = np.array([spearman(*np.array(v).T) for v in by.values() if len(v) >= min_rows])
    rho = rho[np.isfinite(rho)]
    if len(rho) < 2:
        return len(rho), float("nan"), float("nan"), float("nan")
    mean, lo, hi = boot(lambda i: float(rho[i].mean()), np.arange(len(rho)), n)
    return len(rho), mean, lo, hi


def cue_table(title: str, rows: list[dict], n_boot: int, by_person: bool = True) -> list[str]:
    """One set of faces: per cue, the medians of faces read sad and read neutral, the AUC within clips
    (interval by person) and the cue's rank correlation with the sad-neutral logit (within people over
    time for the clips; across faces for FER+)."""
    everyone = rows
    rows = [r for r in rows if r["read"] in (SAD, NEUTRAL)]
    sad = np.array([r["read"] == SAD for r in rows])
    groups = np.array([r["person"] for r in rows])
    strata = np.array([r.get("clip", "") for r in rows])
    unit = "person" if by_person else "face"
    out = [f"### {title}: {sad.sum()} rows read sad, {(~sad).sum()} read neutral, of "
           f"{len(set(groups))} {'people' if by_person else 'faces'}", "",
           f"| cue | median, read sad | median, read neutral | AUC sad vs neutral, within clips [95%, by {unit}] | "
           + ("rho with the sad-neutral logit, within a person over time: people, mean [95%] |" if by_person
              else "rho with the sad-neutral logit, across faces [95%] |"), "|---|---|---|---|---|"]
    for c in CUES:
        v = np.array([r[c] for r in rows])
        a = boot(lambda i, v=v: auc(sad[i], v[i], strata[i]), groups, n_boot)
        if by_person:
            k, m, lo, hi = within_rho(everyone, c, n_boot)
            rho = f"{k}, {m:+.2f} [{lo:+.2f}, {hi:+.2f}]"
        else:
            w, lg = np.array([r[c] for r in everyone]), np.array([r["logit"] for r in everyone])
            m, lo, hi = boot(lambda i, w=w, lg=lg: spearman(w[i], lg[i]), np.arange(len(w)), n_boot)
            rho = f"{m:+.2f} [{lo:+.2f}, {hi:+.2f}]"
        med = lambda m, v=v: f"{np.median(v[m]):.3g}" if m.any() else "-"  # noqa: E731
        out.append(f"| {c} | {med(sad)} | {med(~sad)} | {a[0]:.2f} [{a[1]:.2f}, {a[2]:.2f}] | {rho} |")
    return out


GATES = {"nose drop": (">", (0.55, 0.58, 0.60, 0.62, 0.65)), "score": ("<", (0.75, 0.80, 0.85, 0.90))}


def gate_table(clip_rows: list[dict], fer_rows: list[dict]) -> list[str]:
    """What a quality reason on a cue would do: the share of the clips' counted faces read sad and read
    neutral it keeps out of the mood, against the share of FER+'s sad (taggers) faces it would cost."""
    ok = [r for r in clip_rows if r["quality"] == "ok"]
    out = ["| gate: out of the mood when | clip faces read sad, out | clip faces read neutral, out | "
           "FER+ sad faces, out | FER+ neutral faces, out |", "|---|---|---|---|---|"]
    for cue, (op, limits) in GATES.items():
        for limit in limits:
            out_of = lambda r, cue=cue, op=op, limit=limit: r[cue] > limit if op == ">" else r[cue] < limit  # noqa: E731
            share = lambda rs, f=out_of: f"{sum(map(f, rs))} of {len(rs)}"  # noqa: E731
            out.append(f"| {cue} {op} {limit:g} | {share([r for r in ok if r['read'] == SAD])} | "
                       f"{share([r for r in ok if r['read'] == NEUTRAL])} | "
                       f"{share([r for r in fer_rows if r['truth'] == SAD])} | "
                       f"{share([r for r in fer_rows if r['truth'] == NEUTRAL])} |")
    return out


def ferplus_rows(model: str, pad: int = 48, scale: int = 4) -> tuple[list[dict], int]:
    """FER+ PublicTest and PrivateTest faces whose taggers' majority is sad or neutral, measured like the
    clips' faces (YuNet on the face upscaled ``scale`` times with ``pad`` px of its border replicated); the
    row's ``read`` is the shipped model's reading, ``truth`` the taggers'. Also the count YuNet missed."""
    from emotion_monitor.classifier import EmotionClassifier
    from emotion_monitor.detection import create
    from training import data, ferplus

    d = ROOT.parent / "shared" / "data"
    ds = data.load(d / "fer2013.tar.xz")
    labels, keep = ferplus.majority(ferplus.load_votes(d / "ferplus_votes.csv", ds))
    pick = (ds.usage >= 1) & keep & np.isin(labels, [SAD, NEUTRAL])
    images, truth = ds.images[pick], labels[pick]
    clf = EmotionClassifier(model, flip_average=True)
    probs = np.concatenate([clf(images[i:i + 256]) for i in range(0, len(images), 256)])
    read, lean = probs.argmax(1), logit(probs)
    det = create("yunet", every=1)
    rows, missed = [], 0
    for k, img in enumerate(images):
        up = cv2.resize(img, (48 * scale, 48 * scale), interpolation=cv2.INTER_CUBIC)
        up = cv2.cvtColor(cv2.copyMakeBorder(up, pad, pad, pad, pad, cv2.BORDER_REPLICATE), cv2.COLOR_GRAY2BGR)
        found = det(up)
        if not len(found) or not np.isfinite(found.marks).all():
            missed += 1
            continue
        j = int(np.argmax(found.confidence))
        cue = cues(found.marks[j:j + 1], found.xyxy[j:j + 1] / scale, img[None], found.confidence[j:j + 1])
        rows.append({"person": k, "read": int(read[k]), "logit": float(lean[k]), "truth": int(truth[k]),
                     **{c: float(cue[c][0]) for c in CUES}})
    return rows, missed


def main() -> None:
    from emotion_monitor.classifier import DEFAULT_MODEL

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(DEFAULT_MODEL), help="emotion .tflite (default: the shipped one)")
    ap.add_argument("--every", type=int, default=4, help="measure every N-th frame (the pipeline runs on all)")
    ap.add_argument("--boot", type=int, default=1000, help="bootstrap resamples for the intervals")
    ap.add_argument("--no-ferplus", action="store_true", help="leave out FER+'s own faces")
    args = ap.parse_args()
    rows: list[dict] = []
    for clip in CLIPS:
        got = clip_rows(clip, args.model, args.every)
        rows += got
        print(f"  {clip}: {len(got)} rows", file=sys.stderr, flush=True)
    lines = ["| clip | people | rows | read sad | read neutral | read other | quality ok | people read sad in most rows |",
             "|---|---|---|---|---|---|---|---|"]
    for clip in CLIPS:
        mine = [r for r in rows if r["clip"] == clip]
        count = lambda f, mine=mine: sum(1 for r in mine if f(r))  # noqa: E731
        by: dict = defaultdict(list)
        for r in mine:
            by[r["person"]].append(r["read"] == SAD)
        lines.append(f"| {clip} | {len(by)} | {len(mine)} | {count(lambda r: r['read'] == SAD)} | "
                     f"{count(lambda r: r['read'] == NEUTRAL)} | {count(lambda r: r['read'] not in (SAD, NEUTRAL))} | "
                     f"{count(lambda r: r['quality'] == 'ok')} | {sum(np.mean(v) > 0.5 for v in by.values())} |")
    lines += ["", *cue_table("The three clips, every face", rows, args.boot), ""]
    lines += [*cue_table("The three clips, faces the quality gate counts", [r for r in rows if r["quality"] == "ok"],
                         args.boot), ""]
    if not args.no_ferplus:
        fer, missed = ferplus_rows(args.model)
        lines += [f"YuNet found {len(fer)} of {len(fer) + missed} FER+ sad and neutral faces (PublicTest, PrivateTest).", ""]
        truth = [{**r, "read": r["truth"]} for r in fer]
        title = "FER+: the taggers' sad against neutral faces (here \"read\" is the taggers' label)"
        lines += [*cue_table(title, truth, args.boot, by_person=False), ""]
        calm = [r for r in fer if r["truth"] == NEUTRAL]
        lines += cue_table("FER+ neutral faces: read sad against read neutral", calm, args.boot, by_person=False)
        lines += ["", *gate_table(rows, fer)]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
