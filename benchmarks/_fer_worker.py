"""Runs inside the `fer` package's own virtual environment (see compare_fer.py); prints JSON.

    python _fer_worker.py video PATH SCALE [MIN_FACE]
                                                 -> boxes per frame and ms per frame of FER.detect_emotions
                                                    (MIN_FACE: its Haar min_face_size, default 50 px)
    python _fer_worker.py faces FILE.npz         -> fer's classifier on 48x48 gray faces: probs in OUR label order
"""

import json
import sys
import time

import cv2
import numpy as np
from fer.fer import FER

OURS = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")


def video(path, scale, min_face=50):
    det = FER(mtcnn=False, min_face_size=min_face)
    cap = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        if scale != 1:
            f = cv2.resize(f, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        frames.append(f)
    det.detect_emotions(frames[0])  # warm-up: model load
    boxes, times = [], []
    for f in frames:
        t = time.perf_counter()
        res = det.detect_emotions(f)
        times.append((time.perf_counter() - t) * 1000)
        boxes.append([[x / scale, y / scale, (x + w) / scale, (y + h) / scale] for x, y, w, h in (r["box"] for r in res)])
    print(json.dumps({"boxes": boxes, "ms": times}))


def faces(npz):
    """fer's default classifier (its quantized TFLite mini-Xception), fed as detect_emotions feeds it."""
    det = FER(mtcnn=False)
    x = np.load(npz)["x"]
    size = (64, 64)  # fer's emotion target size
    batch = np.stack([cv2.resize(f, size) for f in x]).astype(np.float32)
    batch = (batch / 255.0 - 0.5) * 2.0  # fer's own preprocessing
    det._classify_emotions(batch[:8])
    t = time.perf_counter()
    probs = np.concatenate([np.asarray(det._classify_emotions(batch[i:i + 256])) for i in range(0, len(x), 256)])
    ms_batch = (time.perf_counter() - t) * 1000 / len(x)
    t = time.perf_counter()
    for i in range(200):
        det._classify_emotions(batch[i % len(batch):i % len(batch) + 1])
    ms_one = (time.perf_counter() - t) * 1000 / 200
    fer_labels = FER._get_labels()  # its output order differs from ours
    order = [next(k for k, v in fer_labels.items() if v == name) for name in OURS]
    print(json.dumps({"probs": probs[:, order].tolist(), "ms_per_face_batch": ms_batch, "ms_per_face_single": ms_one}))


if __name__ == "__main__":
    if sys.argv[1] == "video":
        video(sys.argv[2], float(sys.argv[3]), *(int(v) for v in sys.argv[4:5]))
    else:
        faces(sys.argv[2])
