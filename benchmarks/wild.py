"""In-the-wild evaluation: do the readings agree with what a person sees, end to end?

    python benchmarks/wild.py                          # the shipped model, and the fer package's classifier
    python benchmarks/wild.py --model old.tflite --no-fer

Footage and its labels (by eye, or by FER+ taggers):
- crowd_1080p.mp4 and hikers_walking.mp4 (../shared/media): every face neutral by eye;
- composites (benchmarks/composite.py): FER+ PrivateTest faces with a happy, neutral or negative
  majority vote, moving over a real background, JPEG-compressed. Each composite's name says how many
  distinct faces it shows (40 in the default 20 s): its shares are means over those faces, a standard
  error of about 7 points at 40; ``--seconds 100`` shows 200.

Each clip runs through the real pipeline (YuNet, crops, the model, tracker, quality gate, mood).
Per clip and model: face rows; the share of rows of neutral or happy faces that read negative
(angry, disgust, fear, sad); the share of rows of negative faces that read negative; the mean face
score; the mean group mood (each face counted as read: ``settle`` 0, no resting faces). "all rows"
counts every tracked face, "counted" only those the quality gate lets into the mood. The `fer`
package's classifier (mini-Xception, its own venv, see compare_fer.py) is scored on the same crops of
the same boxes, per detection (no smoothing), beside ours per detection.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks import composite  # noqa: E402
from emotion_monitor.app import build_pipeline  # noqa: E402
from emotion_monitor.crops import crop_faces  # noqa: E402
from emotion_monitor.mood import face_score  # noqa: E402
from emotion_monitor.settings import Settings  # noqa: E402
from emotion_monitor.types import LABELS, Frame  # noqa: E402

MEDIA = ROOT.parent / "shared" / "media"
NEG = [LABELS.index(n) for n in composite.NEGATIVE]


def video_frames(path, label):
    cap = cv2.VideoCapture(str(path))
    while True:
        ok, img = cap.read()
        if not ok:
            return
        yield img, label


def clips(seconds):
    yield "crowd_1080p.mp4 (neutral by eye)", lambda: video_frames(MEDIA / "crowd_1080p.mp4", "neutral"), 25.0
    yield "hikers_walking.mp4 (neutral by eye)", lambda: video_frames(MEDIA / "hikers_walking.mp4", "neutral"), 29.97
    for group in ("neutral", "happy", "negative"):
        faces = composite.labelled_faces(group)
        n = composite.shown(len(faces[0]), seconds)
        yield (f"FER+ {group} faces, composite ({n} faces)",
               lambda f=faces, g=group: composite.frames(g, seconds, faces=f), 25.0)


def run_clip(make_frames, fps, model, read_rate: float = 0.0):
    """Rows of (truth, smoothed probs, quality, track id) and crops."""
    # settle 0: the group mood as the model reads it (each face as read). With the resting-face rule every
    # face in view from a clip's start would count 0 while it is learned, and the column would measure the rule
    pipe = build_pipeline(Settings(model=model or "", settle=0.5, read_rate=read_rate))
    rows, moods, crops, crop_truth = [], [], [], []
    for i, (img, truth) in enumerate(make_frames()):
        r = pipe.process(Frame(img, i, 0.0, i / fps))
        if r is None:
            continue
        if r.mood.faces:
            moods.append(r.mood.score)
        for t in r.tracks:
            label = truth if isinstance(truth, str) else composite.truth_of(t.xyxy, truth)
            if label is not None:
                rows.append((label, t.probs.copy(), t.quality, t.track_id))
        if len(r.detections):  # the crops the model saw this frame, for per-detection scoring
            c = crop_faces(r.frame.image, r.detections)
            for k, box in enumerate(r.detections.xyxy):
                label = truth if isinstance(truth, str) else composite.truth_of(box, truth)
                if label is not None:
                    crops.append(c[k])
                    crop_truth.append(label)
    raw = pipe.classifier(np.array(crops)) if crops else np.zeros((0, 7))
    pipe.close()
    return rows, moods, np.array(crops), crop_truth, raw


def reads_negative(probs) -> np.ndarray:
    """Whether each face's most likely emotion is a negative one (angry, disgust, fear, sad)."""
    probs = np.asarray(probs).reshape(-1, 7)
    return np.isin(probs.argmax(1), NEG) if len(probs) else np.zeros(0, bool)


def summary(truth, probs):
    """(n, share of neutral/happy reading negative, share of negative reading negative, mean face score)."""
    truth = np.array(truth)
    probs = np.asarray(probs).reshape(-1, 7)
    negative = reads_negative(probs)
    calm = np.isin(truth, ("neutral", "happy"))
    neg = np.isin(truth, composite.NEGATIVE)
    share = lambda m: f"{negative[m].mean():.0%}" if m.any() else "-"  # noqa: E731
    return len(truth), share(calm), share(neg), float(face_score(probs).mean()) if len(probs) else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", action="append", help="emotion .tflite (default: the shipped one); repeatable")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each composite clip")
    ap.add_argument("--no-fer", action="store_true", help="leave out the fer package's row")
    args = ap.parse_args()
    models = args.model or [None]
    print("| clip | model | rows | neutral/happy read negative | negative read negative | mean face score | "
          "mean group mood |")
    print("|---|---|---|---|---|---|---|")
    for name, make, fps in clips(args.seconds):
        for model in models:
            tag = f"{Path(model).parent.name}/{Path(model).name}" if model else "shipped"
            rows, moods, crops, crop_truth, raw = run_clip(make, fps, model)
            truth = [r[0] for r in rows]
            probs = [r[1] for r in rows]
            ok = [r[2] == "ok" for r in rows]
            n, calm, neg, s = summary(truth, probs)
            mood = f"{np.mean(moods):+.2f}" if moods else "-"
            print(f"| {name} | {tag}, tracked, all rows | {n} | {calm} | {neg} | {s:+.2f} | {mood} |")
            n, calm, neg, s = summary([t for t, k in zip(truth, ok) if k], [p for p, k in zip(probs, ok) if k])
            print(f"| {name} | {tag}, tracked, counted (quality ok) | {n} | {calm} | {neg} | {s:+.2f} | {mood} |")
            n, calm, neg, s = summary(crop_truth, raw)
            print(f"| {name} | {tag}, per detection | {n} | {calm} | {neg} | {s:+.2f} | |", flush=True)
        if not args.no_fer and len(crops):
            from benchmarks.compare_fer import run_fer

            with tempfile.TemporaryDirectory() as tmp:  # the crops live only for this call
                np.savez(Path(tmp) / "faces.npz", x=crops)
                fer = run_fer("faces", Path(tmp) / "faces.npz")
            n, calm, neg, s = summary(crop_truth, np.array(fer["probs"]))
            print(f"| {name} | fer package, same crops, per detection | {n} | {calm} | {neg} | {s:+.2f} | |",
                  flush=True)


if __name__ == "__main__":
    main()
