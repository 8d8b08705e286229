"""From a dataset to model inputs and targets: the one preparation shared by training, evaluation,
export and the soft-target and calibration commands (the app applies the same photometric
normalisation to its crops)."""

from __future__ import annotations

import cv2
import keras
import numpy as np

from . import data, models


def prepare(images: np.ndarray, spec: models.ModelSpec, photometric: bool = True) -> np.ndarray:
    """uint8 gray (N,48,48) -> float32 model input, resized and channel-expanded as the spec asks,
    after the spec's photometric normalisation (unless ``photometric`` is False: training applies it
    after augmenting)."""
    h, w, c = spec.input_shape
    if images.shape[1:3] != (h, w):
        images = np.stack([cv2.resize(im, (w, h), interpolation=cv2.INTER_LINEAR) for im in images])
    norm = models.photometric(spec) if photometric else None
    if norm is not None:
        images = norm(images)
    x = images.astype(np.float32)[..., None] if images.ndim == 3 else images.astype(np.float32)
    if x.shape[-1] != c:
        x = np.repeat(x, c, axis=-1)
    return x * np.float32(spec.input_scale) + np.float32(spec.input_offset)


def task_split(ds: data.Dataset, spec: models.ModelSpec, split: str, seed: int = 0):
    """(uint8 images, labels) of one split, relabelled for the model's task (stand-ins)."""
    x, y = ds.split(split)
    classes = spec.task.classes
    if classes:
        ids = [ds.class_names.index(c) for c in classes]
        keep = np.isin(y, ids)
        x, y = x[keep], np.array([ids.index(v) for v in y[keep]], np.int64)
        if spec.task.max_per_class:
            rng = np.random.default_rng(seed)
            pick = np.concatenate([rng.permutation(np.flatnonzero(y == k))[: spec.task.max_per_class]
                                   for k in range(len(classes))])
            pick.sort()
            x, y = x[pick], y[pick]
    return x, y


def class_names(ds: data.Dataset, spec: models.ModelSpec) -> list[str]:
    if spec.task.classes:
        return list(spec.task.classes)
    names = list(ds.class_names)
    return names + [f"unused{i}" for i in range(len(names), spec.task.n_outputs)]


def targets(y: np.ndarray, spec: models.ModelSpec, loss: str):
    if loss == "binary_crossentropy":
        return y.astype(np.float32)[:, None]
    if loss == "categorical_crossentropy":
        return keras.utils.to_categorical(y, spec.task.n_outputs).astype(np.float32)
    return y
