"""Side by side with the `fer` package (Haar + mini-Xception), in one run on this machine.

    python benchmarks/compare_fer.py            # writes docs/benchmarks.md and prints it

`fer` is installed by this script into its own virtual environment (.bench/fer-venv, with
`--no-deps` and only the packages its Haar path imports: its declared facenet-pytorch/torch are for
the MTCNN option, not used here), never into the project's.
1. Pipeline: every frame of crowd_1080p.mp4 at 1080p and 540p: fps, p50/p95 ms a frame, faces a
   frame, recall (IoU >= 0.3) and unmatched boxes a frame against the reference boxes; ratio ours/fer.
   At 540p `fer` runs twice: as it comes (its Haar skips faces under 50 px) and with that limit
   halved like the frame, so it looks for the same faces.
2. Classifier: FER2013 PrivateTest, each model with its own preprocessing: accuracy, macro-F1,
   per-class recall, ms a face.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GLOG_minloglevel", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.boxes import load_reference, score  # noqa: E402
from benchmarks.detection import read_frames  # noqa: E402

MEDIA = ROOT.parent / "shared" / "media"
DATA = ROOT.parent / "shared" / "data" / "fer2013.tar.xz"
VENV = ROOT / ".bench" / "fer-venv"
FER_PACKAGES = ["tensorflow", "opencv-contrib-python<5", "pandas", "requests", "tqdm", "Pillow", "matplotlib",
                "setuptools<81"]


FER_SCALED = "fer, min face 25 px"


def fer_python() -> str:
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "fer==25.10.3"], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *FER_PACKAGES], check=True)
    return str(py)


def run_fer(*args) -> dict:
    out = subprocess.run([fer_python(), str(ROOT / "benchmarks" / "_fer_worker.py"), *map(str, args)],
                         capture_output=True, text=True, check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def ours_video(frames, scale):
    from emotion_monitor.app import build_pipeline
    from emotion_monitor.settings import Settings
    from emotion_monitor.types import Frame

    pipe = build_pipeline(Settings())
    boxes, ms = [], []
    for i, f in enumerate(frames):
        img = cv2.resize(f, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale != 1 else f
        t = time.perf_counter()
        r = pipe.process(Frame(img, i, time.time(), i / 25))
        ms.append((time.perf_counter() - t) * 1000)
        boxes.append([list(np.asarray(tr.xyxy) / scale) for tr in r.tracks])
    pipe.close()
    return {"boxes": boxes, "ms": ms}


def pipeline_table(lines):
    frames = read_frames(MEDIA / "crowd_1080p.mp4")
    refs = load_reference(MEDIA / "crowd_1080p_faces.json")
    lines += ["## 1. Pipeline: crowd_1080p.mp4, every frame (105), detection + emotion of every face", "",
              "| input | package | fps | p50 ms | p95 ms | faces/frame | recall | unmatched/frame |",
              "|---|---|---|---|---|---|---|---|"]
    for scale, name in ((1.0, "1080p"), (0.5, "540p")):
        res = {"ours": ours_video(frames, scale), "fer": run_fer("video", MEDIA / "crowd_1080p.mp4", scale)}
        if scale != 1:
            # fer's Haar pass skips faces under 50 px, a size in pixels: at half the resolution the same
            # faces are half as big. The like-for-like run scales that limit with the frame.
            res[FER_SCALED] = run_fer("video", MEDIA / "crowd_1080p.mp4", scale, round(50 * scale))
        fps = {}
        for pkg, r in res.items():
            ms = np.array(r["ms"])
            fps[pkg] = 1000 / ms.mean()
            q = score([np.array(b, np.float32).reshape(-1, 4) for b in r["boxes"]], refs)
            lines.append(f"| {name} | {pkg} | {fps[pkg]:.1f} | {np.percentile(ms, 50):.1f} | {np.percentile(ms, 95):.1f} | "
                         f"{np.mean([len(b) for b in r['boxes']]):.2f} | {q['recall']:.3f} | {q['unmatched_per_frame']:.2f} |")
        for other in (k for k in res if k != "ours"):
            lines.append(f"| {name} | ratio ours/{other} | {fps['ours'] / fps[other]:.1f}x | | | | | |")
    lines.append("")


def classifier_table(lines):
    from emotion_monitor.classifier import EmotionClassifier
    from training import data, ferplus
    from training.evaluate import report

    ds = data.load(DATA)
    x, y = ds.split("PrivateTest")
    fp_labels, fp_keep = ferplus.majority(ferplus.load_votes(DATA.parent / "ferplus_votes.csv", ds))
    te = ds.usage == 2
    fp_y, fp_mask = fp_labels[te], fp_keep[te]
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(Path(tmp) / "faces.npz", x=x)
        fer = run_fer("faces", Path(tmp) / "faces.npz")
    clf = EmotionClassifier(flip_average=True)  # as the app runs it
    t = time.perf_counter()
    ours = np.concatenate([clf(x[i:i + 256]) for i in range(0, len(x), 256)])
    ours_batch = (time.perf_counter() - t) * 1000 / len(x)
    t = time.perf_counter()
    for i in range(200):
        clf(x[i:i + 1])
    ours_one = (time.perf_counter() - t) * 1000 / 200
    lines += ["## 2. Classifier: PrivateTest, FER+ majority votes (3,349 faces) and FER2013 labels (3,589), "
              "each package with its own preprocessing", "",
              "| package | model | labels | accuracy | macro-F1 | " + " | ".join(f"recall {c}" for c in data.LABELS)
              + " | ms/face (1 face) | ms/face (batched) |",
              "|---|---|---|---|---|" + "---|" * len(data.LABELS) + "---|---|"]
    for pkg, model, probs, one, batch in (
            ("ours", f"{clf.meta.get('model')} {clf.meta.get('quantization', 'float')} (LiteRT), mirror average, "
                     "calibrated", ours, ours_one, ours_batch),
            ("fer", "mini-Xception 64x64, its default quantized TFLite", np.array(fer["probs"]), fer["ms_per_face_single"],
             fer["ms_per_face_batch"])):
        for labels, truth, p in (("FER+", fp_y[fp_mask], probs[fp_mask]), ("FER2013", y, probs)):
            r = report(truth, p, data.LABELS)
            rec = " | ".join(f"{r['per_class'][c]['recall']:.3f}" for c in data.LABELS)
            lines.append(f"| {pkg} | {model} | {labels} | {r['accuracy']:.4f} | {r['macro_f1']:.4f} | {rec} | "
                         f"{one:.2f} | {batch:.2f} |")
    lines.append("")


def main():
    import importlib.metadata as md

    lines = ["# Benchmarks: Emotion Monitor vs the `fer` package", "",
             f"One run of `python benchmarks/compare_fer.py` on {platform.node()}: {platform.processor() or platform.machine()}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}. "
             f"Ours: YuNet in opencv, ai-edge-litert {md.version('ai-edge-litert')}, "
             f"opencv {cv2.__version__}. fer 25.10.3 (Haar cascade + mini-Xception, `mtcnn=False`), in its own venv.", ""]
    pipeline_table(lines)
    classifier_table(lines)
    text = "\n".join(lines) + "\n"
    out = ROOT / "docs" / "benchmarks.md"
    out.parent.mkdir(exist_ok=True)
    # the sections after the two tables (the soak's table, reading notes) are written by hand: keep them
    kept = out.read_text().partition("\n## 3.") if out.exists() else ("", "", "")
    out.write_text(text + (kept[1].lstrip("\n") + kept[2] if kept[1] else ""))
    print(text)


if __name__ == "__main__":
    main()
