"""Evaluation of .keras and .tflite models: scikit-learn metrics, confusion matrix, plots."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np


def predict_keras(model, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0), np.float64)


def predict_tflite(path: str | Path, x: np.ndarray, batch_size: int = 256, threads: int | None = None) -> np.ndarray:
    """Run a .tflite classifier over ``x`` (float input, already scaled) in batches with LiteRT."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path), num_threads=threads)
    inp = interp.get_input_details()[0]
    out = interp.get_output_details()[0]
    results = []
    current = None
    for start in range(0, len(x), batch_size):
        chunk = x[start:start + batch_size].astype(np.float32)
        if current != len(chunk):
            interp.resize_tensor_input(inp["index"], [len(chunk), *x.shape[1:]])
            interp.allocate_tensors()
            current = len(chunk)
        interp.set_tensor(inp["index"], chunk)
        interp.invoke()
        results.append(np.array(interp.get_tensor(out["index"]), np.float64))
    return np.concatenate(results)


def report(y_true: np.ndarray, probs: np.ndarray, class_names) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix (scikit-learn)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    names = list(class_names)
    if probs.shape[1] == 1:  # binary sigmoid
        y_pred = (probs[:, 0] >= 0.5).astype(int)
        labels = [0, 1]
    else:
        y_pred = probs.argmax(1)
        labels = list(range(probs.shape[1]))
    present = sorted(set(labels) & (set(np.unique(y_true)) | set(np.unique(y_pred))))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=present, zero_division=0)
    return {
        "n": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)),
        "per_class": {names[c]: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                                 "support": int(s[i])} for i, c in enumerate(present)},
        "labels": [names[c] for c in present],
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=present).tolist(),
    }


def plot_history(history_csv: Path, out_png: Path) -> None:
    """Loss and accuracy curves from Keras' CSVLogger file (matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not Path(history_csv).exists():
        return
    with open(history_csv) as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        return
    epochs = [int(r["epoch"]) + 1 for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key in zip(axes, ("loss", "accuracy")):
        for prefix, label in (("", "training"), ("val_", "validation (PublicTest)")):
            if prefix + key in rows[0]:
                ax.plot(epochs, [float(r[prefix + key]) for r in rows], label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)


def plot_confusion(rep: dict, out_png: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    cm = np.array(rep["confusion_matrix"], float)
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    ConfusionMatrixDisplay(norm, display_labels=rep["labels"]).plot(ax=ax, values_format=".2f", cmap="Blues",
                                                                    colorbar=False)
    ax.set_title(f"{title}: accuracy {rep['accuracy']:.3f}, n={rep['n']} (rows: true, normalized)")
    plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)


def file_spec(spec, meta: dict):
    """The registry spec with a model file's own preprocessing (its .json) over the registry's defaults."""
    from dataclasses import replace

    if not meta:
        return spec
    return replace(spec, input_scale=float(meta["input_scale"]), input_offset=float(meta["input_offset"]),
                   photometric=meta.get("photometric", "none"))


def evaluate(model_path: str, data_path: str, split: str = "PrivateTest", tta_flip: bool = False,
             spec_name: str | None = None, ferplus: str | None = None) -> dict:
    """Evaluate a .keras or .tflite model; .tflite metadata comes from the .json beside it.

    With ``ferplus`` (ferplus_votes.csv) the labels are the FER+ majority votes of the split (faces
    whose top vote is contempt, unknown, not-a-face or tied left out) instead of FER2013's."""
    from . import data, models
    from .preprocess import class_names, prepare, task_split

    path = Path(model_path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such model file")
    meta = {}
    for cand in (path.with_suffix(".json"), path.parent / "emotion.json"):
        if cand.exists() and path.suffix == ".tflite":
            meta = json.loads(cand.read_text())
            break
    keras_model = None
    if path.suffix == ".keras":
        import keras

        keras_model = keras.saving.load_model(path)  # loaded once: names the spec and predicts
    guessed = keras_model.name.replace("_", "-") if keras_model is not None else None
    name = spec_name or meta.get("model") or (guessed if guessed in models.REGISTRY else "emo-vgg")
    spec = file_spec(models.get(name), meta)
    ds = data.load(data_path)
    x, y = task_split(ds, spec, split)
    if ferplus:
        if spec.task.classes:
            raise ValueError(f"{spec.name} is not a 7-class model: FER+ labels do not apply")
        from . import ferplus as fp

        x, y = fp.split_majority(ds, ferplus, split)
    names = meta.get("labels") or class_names(ds, spec)

    def run(images):
        xin = prepare(images, spec)
        if keras_model is None:
            return predict_tflite(path, xin)
        return predict_keras(keras_model, xin)

    probs = run(x)
    if tta_flip:
        probs = (probs + run(x[:, :, ::-1])) / 2
    cal = meta.get("calibration")
    if cal:  # as the app applies it to every face
        from emotion_monitor.classifier import calibrate

        probs = calibrate(probs.astype(np.float32), float(cal["temperature"]), cal.get("bias"))
    rep = report(y, probs, names)
    rep.update({"model": str(path), "split": split, "tta_flip": tta_flip, "calibrated": bool(cal),
                "labels": "FER+ majority vote" if ferplus else "FER2013"})
    return rep
